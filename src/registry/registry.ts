import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { assertValidAlias, assertValidName } from '../core/names.js';
import type { Signature } from '../core/tensor-types.js';
import { classLabelsOf } from '../onnx/class-labels.js';
import { loadCheck } from '../onnx/load-check.js';
import { onnx } from '../onnx/onnx-proto.js';
import {
  decodeOnnxModel,
  describeOnnxModel,
  type OnnxModelInfo,
  signatureOf,
} from '../onnx/read-onnx-model.js';
import { rewriteZipMap } from '../onnx/rewrite-zipmap.js';
import type {
  DatasetLineage,
  ModelVersionRecord,
  RegisteredModelRecord,
  RegistryStore,
  VersionCompletion,
} from '../store/registry-store.js';
import { type CodeVersion, detectCodeVersion } from './code-version.js';
import { readDatasetLineage } from './dataset-lineage.js';
import { describeEnvironment } from './environment.js';
import { type ModelRef, parseModelRef } from './model-ref.js';
import { readModelSource, sha256Hex, type VersionManifest } from './model-source.js';

export interface RegisterOptions {
  name: string;
  /** An ONNX file or an MLflow model directory. */
  path: string;
  aliases?: string[];
  description?: string | null;
  tags?: Record<string, string>;
  /** A CSV dataset the model was trained on; its header minus `target` gives the feature names. */
  dataset?: string | null;
  target?: string | null;
  /** Overrides the git commit read from `cwd`. */
  codeVersion?: string | null;
  /** Where to look for a git work tree (default: the process's cwd). */
  cwd?: string;
  /** Class labels in probability-column order, when the model does not carry them. */
  classLabels?: string[] | null;
  /** Figures measured at training time (`accuracy=0.97`), the baseline for live quality. */
  metrics?: Record<string, number>;
  runId?: string | null;
  /** Recorded as the version's source instead of `path` (an MLflow `models:/…` or artifact URI). */
  sourceUri?: string | null;
  /** More lineage, merged into what registration records (the MLflow run: params, metrics, datasets). */
  lineage?: Record<string, unknown>;
  /** Complete this PENDING_REGISTRATION version (see `reserveVersion`) instead of adding one. */
  intoVersion?: number;
}

/** A version without files yet, or whose files slipway cannot read (see `Registry.reserveVersion`). */
export interface ReserveOptions {
  name: string;
  status: 'PENDING_REGISTRATION' | 'NOT_SERVABLE' | 'FAILED_REGISTRATION';
  statusMessage: string | null;
  sourceUri: string;
  runId?: string | null;
  description?: string | null;
  tags?: Record<string, string>;
  lineage?: Record<string, unknown>;
}

export interface RegistryEvents {
  'version-registered': [ModelVersionRecord];
  'alias-moved': [{ name: string; alias: string; version: number | null }];
  'model-deleted': [{ name: string }];
  'version-deleted': [{ name: string; version: number }];
}

/**
 * The model registry: immutable, versioned, traceable model artifacts. The CLI, the HTTP API and
 * the MLflow-compatible API all go through this class; it checks arguments once and leaves
 * atomicity to the store's transactions and the artifact store's atomic puts.
 */
export class Registry {
  readonly events = new EventEmitter<RegistryEvents>();
  readonly #store: RegistryStore;
  readonly #artifacts: ArtifactStore;
  readonly #clock: Clock;

  constructor(deps: { store: RegistryStore; artifacts: ArtifactStore; clock: Clock }) {
    this.#store = deps.store;
    this.#artifacts = deps.artifacts;
    this.#clock = deps.clock;
  }

  /**
   * Registers a new version. Order matters for crash safety: everything is read, checked and
   * stored as content-addressed artifacts first (an orphan artifact is harmless), and the version
   * becomes visible only in the final store transaction.
   */
  async register(opts: RegisterOptions): Promise<ModelVersionRecord> {
    assertValidName('model', opts.name);
    const aliases = opts.aliases ?? [];
    for (const a of aliases) assertValidAlias(a);
    const tags = opts.tags ?? {};
    for (const key of Object.keys(tags)) assertValidTagKey(key);

    const source = readModelSource(opts.path);
    const label = path.basename(source.path);
    let signature: Signature = { inputs: [], outputs: [] };
    let servedBytes: Uint8Array | null = null;
    let onnxInfo: Omit<OnnxModelInfo, 'inputs' | 'outputs'> | null = null;
    let classLabels: string[] | null = opts.classLabels ?? null;
    let rewrittenOutputs: string[] = [];
    let originalSha256: string | null = null;

    if (source.onnxFile) {
      const file = source.files.find((f) => f.relativePath === source.onnxFile)!;
      const bytes = fs.readFileSync(file.absolutePath);
      originalSha256 = sha256Hex(bytes);
      let model = decodeOnnxModel(bytes, label);
      servedBytes = bytes;
      const rewrite = rewriteZipMap(model, label);
      if (rewrite) {
        model = rewrite.model;
        servedBytes = onnx.ModelProto.encode(model).finish();
        classLabels ??= rewrite.classLabels;
        rewrittenOutputs = rewrite.outputs;
      }
      const info = describeOnnxModel(model);
      signature = signatureOf(info, label);
      classLabels ??= classLabelsOf(model);
      const { inputs: _i, outputs: _o, ...rest } = info;
      onnxInfo = rest;
    }

    const load = servedBytes ? await loadCheck(servedBytes, signature, label) : null;
    const datasets: DatasetLineage[] = [];
    let featureNames = source.mlflow?.columnNames ?? null;
    if (opts.dataset) {
      const read = await readDatasetLineage(opts.dataset, opts.target ?? null);
      datasets.push(read.lineage);
      featureNames = read.featureNames;
    }
    if (featureNames) checkFeatureCount(featureNames, signature, opts.dataset ?? source.path);
    const codeVersion = await resolveCodeVersion(opts);

    // Artifacts: the files as given (download returns them byte for byte), the served model when
    // a rewrite changed it, and a manifest tying them together.
    const manifest: VersionManifest = { format: source.format, files: [], onnxFile: source.onnxFile };
    for (const f of source.files) {
      const sha256 = await this.#artifacts.putFile(f.absolutePath);
      manifest.files.push({ path: f.relativePath, sha256, size: fs.statSync(f.absolutePath).size });
    }
    const servedSha256 = servedBytes ? await this.#artifacts.put(servedBytes) : null;
    const manifestSha256 = await this.#artifacts.put(Buffer.from(JSON.stringify(manifest)));

    const unservable = source.onnxFile
      ? null
      : `not servable: flavor ${(source.mlflow?.flavors ?? []).filter((f) => f !== 'python_function').join(', ') || 'unknown'} (slipway serves the onnx flavor)`;
    const fields: VersionCompletion = {
      modelSha256: servedSha256,
      manifestSha256,
      sourceFormat: source.format,
      sourcePath: opts.sourceUri ?? source.path,
      status: unservable ? 'NOT_SERVABLE' : 'READY',
      statusMessage: unservable,
      signature,
      lineage: {
        modelFileSha256: originalSha256,
        servedModelSha256: servedSha256,
        codeVersion,
        producer: onnxInfo ? { name: onnxInfo.producerName, version: onnxInfo.producerVersion } : null,
        opsets: onnxInfo?.opsets ?? null,
        irVersion: onnxInfo?.irVersion ?? null,
        environment: describeEnvironment(),
        runId: opts.runId ?? source.mlflow?.runId ?? null,
        ...opts.lineage,
      },
      metadata: {
        featureNames,
        classLabels,
        metrics: opts.metrics ?? {},
        onnx: onnxInfo,
        rewrittenZipMapOutputs: rewrittenOutputs,
        loadCheck: load,
        mlflow: source.mlflow
          ? {
              flavors: source.mlflow.flavors,
              mlflowVersion: source.mlflow.mlflowVersion,
              modelUuid: source.mlflow.modelUuid,
              signature: source.mlflow.signature,
              inputExample: source.mlflow.inputExample,
              mlmodel: source.mlflow.mlmodel,
            }
          : null,
      },
      runId: opts.runId ?? source.mlflow?.runId ?? null,
      tags,
      datasets,
    };
    const record =
      opts.intoVersion !== undefined
        ? await this.#store.completeVersion(opts.name, opts.intoVersion, fields)
        : await this.#store.insertVersion({
            ...fields,
            modelName: opts.name,
            createModel: true,
            description: opts.description ?? null,
            createdAt: this.#clock.now(),
            aliases,
          });
    this.events.emit('version-registered', record);
    for (const alias of aliases)
      this.events.emit('alias-moved', { name: opts.name, alias, version: record.version });
    return record;
  }

  /**
   * Adds a version that has no files (yet): PENDING_REGISTRATION until `register({intoVersion})`
   * completes it, NOT_SERVABLE when its files are out of slipway's reach, FAILED_REGISTRATION when
   * they never came. It is visible at once, like MLflow's, but serving never loads it.
   */
  async reserveVersion(opts: ReserveOptions): Promise<ModelVersionRecord> {
    assertValidName('model', opts.name);
    const tags = opts.tags ?? {};
    for (const key of Object.keys(tags)) assertValidTagKey(key);
    const empty: VersionManifest = { format: 'mlflow', files: [], onnxFile: null };
    const manifestSha256 = await this.#artifacts.put(Buffer.from(JSON.stringify(empty)));
    return this.#store.insertVersion({
      modelName: opts.name,
      createModel: true,
      description: opts.description ?? null,
      createdAt: this.#clock.now(),
      modelSha256: null,
      manifestSha256,
      sourceFormat: 'mlflow',
      sourcePath: opts.sourceUri,
      status: opts.status,
      statusMessage: opts.statusMessage,
      signature: { inputs: [], outputs: [] },
      lineage: { runId: opts.runId ?? null, environment: describeEnvironment(), ...opts.lineage },
      metadata: {},
      runId: opts.runId ?? null,
      tags,
      datasets: [],
      aliases: [],
    });
  }

  /** Marks a PENDING_REGISTRATION version failed (its logged model's upload failed). */
  async failVersion(record: ModelVersionRecord, message: string): Promise<ModelVersionRecord> {
    return this.#store.completeVersion(record.name, record.version, {
      modelSha256: null,
      manifestSha256: record.manifestSha256,
      sourceFormat: record.sourceFormat,
      sourcePath: record.sourcePath,
      status: 'FAILED_REGISTRATION',
      statusMessage: message,
      signature: record.signature,
      lineage: record.lineage,
      metadata: record.metadata,
      runId: record.runId,
      tags: {},
      datasets: [],
    });
  }

  listModels(query?: {
    nameContains?: string;
    limit?: number;
    offset?: number;
  }): Promise<RegisteredModelRecord[]> {
    return this.#store.listModels(query);
  }

  async getModel(name: string): Promise<RegisteredModelRecord> {
    assertValidName('model', name);
    const model = await this.#store.getModel(name);
    if (!model)
      throw new SlipwayError('REGISTRY_MODEL_NOT_FOUND', `registered model "${name}" does not exist`);
    return model;
  }

  async listVersions(name: string): Promise<ModelVersionRecord[]> {
    await this.getModel(name);
    return this.#store.listVersions(name);
  }

  /**
   * Resolves a reference to one version. A bare name means the version behind `champion` when
   * that alias exists, else the latest version.
   */
  async resolve(ref: string | ModelRef): Promise<ModelVersionRecord> {
    const r = typeof ref === 'string' ? parseModelRef(ref) : ref;
    await this.getModel(r.name);
    let version: number | null;
    if (r.kind === 'version') version = r.version;
    else if (r.kind === 'alias') {
      version = await this.#store.getAlias(r.name, r.alias);
      if (version === null) {
        throw new SlipwayError('REGISTRY_ALIAS_NOT_FOUND', `model "${r.name}" has no alias "${r.alias}"`);
      }
    } else {
      version = await this.#store.getAlias(r.name, 'champion');
      if (version === null) {
        const latest = await this.#store.latestVersion(r.name);
        if (!latest)
          throw new SlipwayError('REGISTRY_VERSION_NOT_FOUND', `model "${r.name}" has no versions`);
        return latest;
      }
    }
    const record = await this.#store.getVersion(r.name, version);
    if (!record)
      throw new SlipwayError('REGISTRY_VERSION_NOT_FOUND', `model "${r.name}" has no version ${version}`);
    return record;
  }

  async setAlias(name: string, alias: string, version: number): Promise<ModelVersionRecord> {
    assertValidName('model', name);
    assertValidAlias(alias);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `invalid version ${version}: expected a positive integer`,
      );
    }
    await this.#store.setAlias(name, alias, version);
    this.events.emit('alias-moved', { name, alias, version });
    return (await this.#store.getVersion(name, version))!;
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    assertValidName('model', name);
    assertValidName('alias', alias);
    const deleted = await this.#store.deleteAlias(name, alias);
    if (!deleted)
      throw new SlipwayError('REGISTRY_ALIAS_NOT_FOUND', `model "${name}" has no alias "${alias}"`);
    this.events.emit('alias-moved', { name, alias, version: null });
  }

  /** The ONNX bytes that serving loads (after any ZipMap rewrite). */
  async servedModelBytes(record: ModelVersionRecord): Promise<Uint8Array> {
    if (!record.modelSha256) {
      throw new SlipwayError(
        'RUNTIME_MODEL_NOT_SERVABLE',
        `model "${record.name}" version ${record.version} is ${record.statusMessage ?? 'not servable'}`,
      );
    }
    return this.#artifacts.get(record.modelSha256);
  }

  async manifest(record: ModelVersionRecord): Promise<VersionManifest> {
    return JSON.parse(Buffer.from(await this.#artifacts.get(record.manifestSha256)).toString('utf8'));
  }

  /** Writes the version's files, as registered, into `dir`; returns their paths. */
  async download(ref: string, dir: string): Promise<{ record: ModelVersionRecord; files: string[] }> {
    const record = await this.resolve(ref);
    const manifest = await this.manifest(record);
    const target = path.resolve(dir);
    const written: string[] = [];
    for (const f of manifest.files) {
      const out = path.join(target, ...f.path.split('/'));
      if (!out.startsWith(target + path.sep)) {
        throw new SlipwayError('CORE_INVALID_ARGUMENT', `manifest path "${f.path}" leaves the target folder`);
      }
      const bytes = await this.#artifacts.get(f.sha256);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, bytes);
      written.push(out);
    }
    return { record, files: written };
  }
}

function checkFeatureCount(featureNames: string[], signature: Signature, where: string): void {
  if (signature.inputs.length !== 1) return;
  const shape = signature.inputs[0].shape;
  if (shape.length === 2 && shape[1] > 0 && shape[1] !== featureNames.length) {
    throw new SlipwayError(
      'REGISTRY_INVALID_DATASET',
      `${where} has ${featureNames.length} feature columns but input "${signature.inputs[0].name}" expects ${shape[1]} ` +
        `(shape [${shape.join(',')}]); pass --target to name the label column`,
    );
  }
}

async function resolveCodeVersion(opts: RegisterOptions): Promise<CodeVersion | null> {
  if (opts.codeVersion) return { commit: opts.codeVersion, dirty: null, source: 'explicit' };
  return detectCodeVersion(opts.cwd ?? process.cwd());
}

function assertValidTagKey(key: string): void {
  if (key.length === 0 || key.length > 250) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid tag key "${key}": expected 1 to 250 characters`);
  }
}
