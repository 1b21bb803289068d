import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../core/errors.js';
import {
  isMlflowModelDir,
  listFilesRecursive,
  type MlflowModelInfo,
  readMlflowModelDir,
} from './mlflow-model-dir.js';

/** A model as the user handed it over: one ONNX file, or an MLflow model directory. */
export interface ModelSource {
  format: 'onnx' | 'mlflow';
  /** Absolute path of what was given. */
  path: string;
  /** Every file to keep, relative to the source folder (one file for a bare ONNX model). */
  files: SourceFile[];
  /** The ONNX file among `files` (relative path), or null when an MLflow model has no onnx flavor. */
  onnxFile: string | null;
  mlflow: MlflowModelInfo | null;
}

export interface SourceFile {
  relativePath: string;
  absolutePath: string;
}

export function readModelSource(given: string): ModelSource {
  const absolute = path.resolve(given);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `model file not found: ${given}`);
  }
  if (stat.isDirectory()) {
    if (!isMlflowModelDir(absolute)) {
      throw new SlipwayError(
        'REGISTRY_INVALID_MLMODEL',
        `${given} is a folder without an MLmodel file: expected an ONNX file or an MLflow model directory`,
      );
    }
    const mlflow = readMlflowModelDir(absolute);
    const files = listFilesRecursive(absolute).map((rel) => ({
      relativePath: rel,
      absolutePath: path.join(absolute, rel),
    }));
    if (mlflow.onnxFile && !files.some((f) => f.relativePath === mlflow.onnxFile)) {
      throw new SlipwayError(
        'REGISTRY_INVALID_MLMODEL',
        `${given}: the onnx flavor names "${mlflow.onnxFile}", which is not in the folder`,
      );
    }
    return { format: 'mlflow', path: absolute, files, onnxFile: mlflow.onnxFile, mlflow };
  }
  const name = path.basename(absolute);
  return {
    format: 'onnx',
    path: absolute,
    files: [{ relativePath: name, absolutePath: absolute }],
    onnxFile: name,
    mlflow: null,
  };
}

/** The list of stored files of a version; itself stored as an artifact (JSON). */
export interface VersionManifest {
  format: 'onnx' | 'mlflow';
  files: { path: string; sha256: string; size: number }[];
  /** Relative path of the ONNX file as given, before any rewrite. */
  onnxFile: string | null;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
