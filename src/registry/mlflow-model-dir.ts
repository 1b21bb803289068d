import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../core/errors.js';

/** What slipway keeps from an MLflow model directory's `MLmodel` file. */
export interface MlflowModelInfo {
  flavors: string[];
  /** The ONNX file named by the onnx flavor, relative to the directory; null when there is none. */
  onnxFile: string | null;
  mlflowVersion: string | null;
  modelUuid: string | null;
  runId: string | null;
  /** The MLmodel `signature` block as written (inputs/outputs are JSON strings there). */
  signature: { inputs: unknown; outputs: unknown; params: unknown } | null;
  /** Column names from a column-based signature, in order: the model's feature names. */
  columnNames: string[] | null;
  /** The input example, parsed, when the directory has one. */
  inputExample: unknown;
  /** The whole MLmodel document, for display and round trips. */
  mlmodel: Record<string, unknown>;
}

export function isMlflowModelDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'MLmodel'));
}

/** Reads `<dir>/MLmodel` as `mlflow.<flavor>.save_model` writes it (protocols.md D.10). */
export function readMlflowModelDir(dir: string): MlflowModelInfo {
  const file = path.join(dir, 'MLmodel');
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SlipwayError(
      'REGISTRY_INVALID_MLMODEL',
      `${file} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (!doc || typeof doc !== 'object' || typeof doc.flavors !== 'object' || doc.flavors === null) {
    throw new SlipwayError(
      'REGISTRY_INVALID_MLMODEL',
      `${file} has no "flavors" section: expected an MLflow MLmodel file`,
    );
  }
  const flavors = doc.flavors as Record<string, Record<string, unknown> | null>;
  const onnxFlavor = flavors.onnx;
  const onnxFile = onnxFlavor && typeof onnxFlavor.data === 'string' ? onnxFlavor.data : null;
  const signature = (doc.signature as MlflowModelInfo['signature']) ?? null;
  return {
    flavors: Object.keys(flavors),
    onnxFile,
    mlflowVersion: typeof doc.mlflow_version === 'string' ? doc.mlflow_version : null,
    modelUuid: typeof doc.model_uuid === 'string' ? doc.model_uuid : null,
    runId: typeof doc.run_id === 'string' ? doc.run_id : null,
    signature,
    columnNames: columnNamesOf(signature),
    inputExample: readInputExample(dir, doc),
    mlmodel: doc,
  };
}

function columnNamesOf(signature: MlflowModelInfo['signature']): string[] | null {
  if (!signature || typeof signature.inputs !== 'string') return null;
  try {
    const cols = JSON.parse(signature.inputs) as { type?: string; name?: string }[];
    if (!Array.isArray(cols) || cols.some((c) => c.type === 'tensor' || typeof c.name !== 'string'))
      return null;
    return cols.map((c) => c.name as string);
  } catch {
    return null;
  }
}

function readInputExample(dir: string, doc: Record<string, unknown>): unknown {
  const info = doc.saved_input_example_info as { artifact_path?: string } | undefined;
  if (!info?.artifact_path) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, info.artifact_path), 'utf8'));
  } catch {
    return null;
  }
}

/** Every regular file under `dir`, as sorted relative POSIX paths. */
export function listFilesRecursive(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}
