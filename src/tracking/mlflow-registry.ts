import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import type { ModelVersionRecord, RegisteredModelRecord, RegistryStore } from '../store/registry-store.js';
import type { LoggedModelRecord, SearchClause, TrackingStore, VersionLink } from '../store/tracking-store.js';
import { joinPath, joinUri, proxiedArtifactPath } from './artifact-uri.js';
import { decodePageToken, type Page, pageOf } from './page-token.js';
import type { RunArtifacts } from './run-artifacts.js';
import { MODEL_VERSION_FILTER, matchesAll, parseFilter, REGISTERED_MODEL_FILTER } from './search-filter.js';
import { parseOrderBy } from './search-order.js';
import type { Tracking } from './tracking.js';
import { checkKey, checkLength, invalid, LIMITS, missing } from './validation.js';

export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/** MLflow's view of one registry version (camelCase; the REST adapter spells it in snake_case). */
export interface MlflowModelVersion {
  name: string;
  version: number;
  createdAt: number;
  lastUpdatedAt: number;
  currentStage: string;
  description: string | null;
  source: string;
  runId: string | null;
  /** MLflow's states: slipway's NOT_SERVABLE is READY with a status message saying why. */
  status: 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';
  statusMessage: string | null;
  tags: Record<string, string>;
  runLink: string | null;
  aliases: string[];
  modelId: string | null;
  userId: string | null;
  /** slipway's own status (READY, NOT_SERVABLE, ...), for callers that want the precise one. */
  slipwayStatus: string;
}

export interface MlflowRegisteredModel {
  name: string;
  createdAt: number;
  lastUpdatedAt: number;
  description: string | null;
  tags: Record<string, string>;
  aliases: { alias: string; version: number }[];
  latestVersions: MlflowModelVersion[];
}

/**
 * MLflow's model registry API over slipway's one Registry: a version created here is the same
 * object `slipway models register` creates. `createModelVersion` finds the files behind the MLflow
 * `source` in the run-artifact index; an MLflow model directory goes through `Registry.register`
 * with the run's lineage (onnx flavor → READY and servable; other flavors → NOT_SERVABLE with the
 * reason). What MLflow keeps and slipway's registry does not (source URI, logged model id, stage,
 * run link) lives beside it in `tracking_version_links`.
 *
 * Call order (protocols.md D.11): 3.x uploads the logged model's files, finalizes it READY, then
 * creates the version, so the files are there; 2.x uploads under the run, then registers. A
 * version created while its logged model is still PENDING is reserved as PENDING_REGISTRATION
 * (the client polls `model-versions/get`) and completed when the model is finalized.
 */
export class MlflowRegistry {
  readonly #registry: Registry;
  readonly #registryStore: RegistryStore;
  readonly #tracking: Tracking;
  readonly #store: TrackingStore;
  readonly #artifacts: RunArtifacts;
  readonly #clock: Clock;

  constructor(deps: {
    registry: Registry;
    registryStore: RegistryStore;
    tracking: Tracking;
    trackingStore: TrackingStore;
    clock: Clock;
  }) {
    this.#registry = deps.registry;
    this.#registryStore = deps.registryStore;
    this.#tracking = deps.tracking;
    this.#store = deps.trackingStore;
    this.#artifacts = deps.tracking.artifacts;
    this.#clock = deps.clock;
  }

  // ------------------------------------------------------------ registered models

  async createRegisteredModel(opts: {
    name: unknown;
    description?: string | null;
    tags?: Record<string, string>;
  }): Promise<MlflowRegisteredModel> {
    const name = requireName(opts.name);
    const tags = opts.tags ?? {};
    for (const [key, value] of Object.entries(tags)) checkRegistryTag(key, value);
    if (await this.#registryStore.getModel(name)) {
      throw new SlipwayError('REGISTRY_MODEL_EXISTS', `Registered Model (name=${name}) already exists.`);
    }
    await this.#registryStore.createModel({ name, description: opts.description || null, tags });
    return this.getRegisteredModel(name);
  }

  async getRegisteredModel(name: unknown): Promise<MlflowRegisteredModel> {
    const model = await this.#model(requireName(name));
    return this.#describeModel(model);
  }

  async renameRegisteredModel(name: unknown, newName: unknown): Promise<MlflowRegisteredModel> {
    const model = await this.#model(requireName(name));
    const target = requireName(newName, 'new_name');
    // The registry store moves versions by re-inserting them, which drops their links (cascade):
    // keep them and put them back under the new name.
    const links = await this.#store.listVersionLinks({ name: model.name });
    await this.#registryStore.renameModel(model.name, target);
    for (const link of links) await this.#store.putVersionLink({ ...link, name: target });
    this.#registry.events.emit('model-deleted', { name: model.name });
    return this.getRegisteredModel(target);
  }

  async updateRegisteredModel(name: unknown, description: string | null): Promise<MlflowRegisteredModel> {
    const model = await this.#model(requireName(name));
    await this.#registryStore.updateModel(model.name, { description });
    return this.getRegisteredModel(model.name);
  }

  async deleteRegisteredModel(name: unknown): Promise<void> {
    const model = await this.#model(requireName(name));
    await this.#registryStore.deleteModel(model.name);
    this.#registry.events.emit('model-deleted', { name: model.name });
  }

  async setRegisteredModelTag(name: unknown, key: unknown, value: unknown): Promise<void> {
    const model = await this.#model(requireName(name));
    checkKey(key, 'key', 'Tag');
    checkRegistryTag(key, stringOf(value, 'value'));
    await this.#registryStore.setModelTag(model.name, key, stringOf(value, 'value'));
  }

  async deleteRegisteredModelTag(name: unknown, key: unknown): Promise<void> {
    const model = await this.#model(requireName(name));
    if (typeof key !== 'string' || key === '') throw missing('key');
    await this.#registryStore.deleteModelTag(model.name, key);
  }

  async searchRegisteredModels(opts: {
    filter?: string | null;
    maxResults?: number | null;
    orderBy?: string[];
    pageToken?: string | null;
  }): Promise<Page<MlflowRegisteredModel>> {
    const limit = boundedMax(opts.maxResults, 100, 1000);
    const offset = decodePageToken(opts.pageToken);
    const { clauses, prompts } = withoutPromptClauses(parseFilter(opts.filter, REGISTERED_MODEL_FILTER));
    const order = parseOrderBy(opts.orderBy, {
      ...REGISTERED_MODEL_FILTER,
      attributes: { name: 'string', creation_timestamp: 'numeric', last_updated_timestamp: 'numeric' },
      aliases: { timestamp: 'creation_timestamp' },
    });
    const models = (await this.#registry.listModels()).filter(
      (m) =>
        (m.tags[PROMPT_TAG] === 'true') === prompts &&
        matchesAll({ attribute: (k) => (k === 'name' ? m.name : null), tag: (k) => m.tags[k] }, clauses),
    );
    const value = (m: RegisteredModelRecord, key: string) =>
      key === 'creation_timestamp' ? m.createdAt : key === 'last_updated_timestamp' ? m.updatedAt : m.name;
    if (!order.some((o) => o.key === 'name')) order.push({ kind: 'attribute', key: 'name', ascending: true });
    models.sort((a, b) => {
      for (const o of order) {
        const x = value(a, o.key);
        const y = value(b, o.key);
        if (x !== y) return (x < y ? -1 : 1) * (o.ascending ? 1 : -1);
      }
      return 0;
    });
    const slice = models.slice(offset, offset + limit + 1);
    const described = await Promise.all(slice.map((m) => this.#describeModel(m)));
    return pageOf(described, offset, limit);
  }

  async getLatestVersions(name: unknown, stages: string[] = []): Promise<MlflowModelVersion[]> {
    const model = await this.#model(requireName(name));
    const wanted = stages.length > 0 ? new Set(stages.map(canonicalStage)) : new Set<string>(MODEL_STAGES);
    const all = await this.#versionsOf(model.name);
    return latestPerStage(all).filter((v) => wanted.has(v.currentStage));
  }

  // ------------------------------------------------------------ aliases

  async setAlias(name: unknown, alias: unknown, version: unknown): Promise<void> {
    const model = await this.#model(requireName(name));
    if (typeof alias !== 'string' || alias === '') throw missing('alias');
    if (alias.toLowerCase() === 'latest' || /^[vV]\d+$/.test(alias)) {
      throw invalid(`'${alias}' alias name (case insensitive) is reserved.`);
    }
    await this.#registry.setAlias(model.name, alias, versionNumber(version));
  }

  async deleteAlias(name: unknown, alias: unknown): Promise<void> {
    const model = await this.#model(requireName(name));
    if (typeof alias !== 'string' || alias === '') throw missing('alias');
    if (model.aliases[alias] === undefined) return; // MLflow deletes a missing alias silently
    await this.#registry.deleteAlias(model.name, alias);
  }

  async getVersionByAlias(name: unknown, alias: unknown): Promise<MlflowModelVersion> {
    const model = await this.#model(requireName(name));
    if (typeof alias !== 'string' || alias === '') throw missing('alias');
    const version = model.aliases[alias];
    // MLflow answers a missing alias with INVALID_PARAMETER_VALUE, not RESOURCE_DOES_NOT_EXIST.
    if (version === undefined) throw invalid(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(model.name, version);
  }

  // ------------------------------------------------------------ model versions

  async createModelVersion(opts: {
    name: unknown;
    source: unknown;
    runId?: string | null;
    tags?: Record<string, string>;
    runLink?: string | null;
    description?: string | null;
    modelId?: string | null;
    userId?: string | null;
  }): Promise<MlflowModelVersion> {
    const name = requireName(opts.name);
    if (typeof opts.source !== 'string' || opts.source === '') throw missing('source');
    const source = opts.source;
    const tags = opts.tags ?? {};
    for (const [key, value] of Object.entries(tags)) checkRegistryTag(key, value);
    await this.#model(name);
    const where = await this.#resolveSource(source, opts.runId || null, opts.modelId || null);
    const runId = where.runId;
    const common = { name, description: opts.description || null, tags, runId };
    const lineage = runId ? await this.#runLineage(runId) : null;
    let record: ModelVersionRecord;
    if (where.artifactPath === null) {
      record = await this.#registry.reserveVersion({
        ...common,
        status: 'NOT_SERVABLE',
        statusMessage: `not servable: source ${source} is outside slipway's artifact store`,
        sourceUri: source,
        lineage: lineage?.lineage,
      });
    } else if (await this.#hasModelFiles(where.artifactPath)) {
      record = await this.#registerFiles(where.artifactPath, { ...common, sourceUri: source, lineage });
    } else if (where.pendingModel) {
      record = await this.#registry.reserveVersion({
        ...common,
        status: 'PENDING_REGISTRATION',
        statusMessage: `waiting for logged model ${where.pendingModel.modelId} to be finalized`,
        sourceUri: source,
        lineage: lineage?.lineage,
      });
    } else {
      record = await this.#registry.reserveVersion({
        ...common,
        status: 'NOT_SERVABLE',
        statusMessage: `not servable: no MLmodel file or ONNX model under ${where.storageLocation}`,
        sourceUri: source,
        lineage: lineage?.lineage,
      });
    }
    await this.#store.putVersionLink({
      name,
      version: record.version,
      source,
      storageLocation: where.storageLocation,
      modelId: where.modelId,
      runId,
      runLink: opts.runLink || null,
      userId: opts.userId || null,
      currentStage: 'None',
      lastUpdatedAt: this.#clock.now(),
    });
    return this.getModelVersion(name, record.version);
  }

  async getModelVersion(name: unknown, version: unknown): Promise<MlflowModelVersion> {
    const n = requireName(name);
    const v = versionNumber(version);
    const record = await this.#registryStore.getVersion(n, v);
    if (!record) {
      await this.#model(n);
      throw new SlipwayError(
        'REGISTRY_VERSION_NOT_FOUND',
        `Model Version (name=${n}, version=${v}) not found`,
      );
    }
    return this.#describeVersion(record, await this.#store.getVersionLink(n, v));
  }

  async updateModelVersion(
    name: unknown,
    version: unknown,
    description: string | null,
  ): Promise<MlflowModelVersion> {
    const current = await this.getModelVersion(name, version);
    await this.#registryStore.updateVersion(current.name, current.version, { description });
    await this.#touch(current);
    return this.getModelVersion(current.name, current.version);
  }

  async deleteModelVersion(name: unknown, version: unknown): Promise<void> {
    const current = await this.getModelVersion(name, version);
    await this.#registryStore.deleteVersion(current.name, current.version);
    this.#registry.events.emit('version-deleted', { name: current.name, version: current.version });
  }

  async setVersionTag(name: unknown, version: unknown, key: unknown, value: unknown): Promise<void> {
    const current = await this.getModelVersion(name, version);
    checkKey(key, 'key', 'Tag');
    const v = stringOf(value, 'value');
    checkRegistryTag(key, v);
    await this.#registryStore.setVersionTag(current.name, current.version, key, v);
  }

  async deleteVersionTag(name: unknown, version: unknown, key: unknown): Promise<void> {
    const current = await this.getModelVersion(name, version);
    if (typeof key !== 'string' || key === '') throw missing('key');
    await this.#registryStore.deleteVersionTag(current.name, current.version, key);
  }

  async transitionStage(
    name: unknown,
    version: unknown,
    stage: unknown,
    archiveExisting: boolean,
  ): Promise<MlflowModelVersion> {
    const current = await this.getModelVersion(name, version);
    const target = canonicalStage(stage);
    await this.#touch(current, { currentStage: target });
    if (archiveExisting && (target === 'Staging' || target === 'Production')) {
      for (const other of await this.#versionsOf(current.name)) {
        if (other.version !== current.version && other.currentStage === target) {
          await this.#touch(other, { currentStage: 'Archived' });
        }
      }
    }
    return this.getModelVersion(current.name, current.version);
  }

  /** Where the files of a version are, as an artifact URI the client can download from. */
  async getDownloadUri(name: unknown, version: unknown): Promise<string> {
    const current = await this.getModelVersion(name, version);
    const link = await this.#store.getVersionLink(current.name, current.version);
    return link?.storageLocation ?? current.source;
  }

  async searchModelVersions(opts: {
    filter?: string | null;
    maxResults?: number | null;
    orderBy?: string[];
    pageToken?: string | null;
  }): Promise<Page<MlflowModelVersion>> {
    const limit = boundedMax(opts.maxResults, 10_000, 200_000);
    const offset = decodePageToken(opts.pageToken);
    const { clauses, prompts } = withoutPromptClauses(parseFilter(opts.filter, MODEL_VERSION_FILTER));
    const order = parseOrderBy(opts.orderBy, {
      ...MODEL_VERSION_FILTER,
      attributes: {
        name: 'string',
        version_number: 'numeric',
        creation_timestamp: 'numeric',
        last_updated_timestamp: 'numeric',
        run_id: 'string',
      },
      aliases: { timestamp: 'creation_timestamp' },
    });
    const [records, links] = await Promise.all([
      this.#registryStore.listAllVersions(),
      this.#store.listVersionLinks({}),
    ]);
    const linkOf = new Map(links.map((l) => [`${l.name}\u0000${l.version}`, l]));
    const versions = records
      .map((r) => this.#describeVersion(r, linkOf.get(`${r.name}\u0000${r.version}`) ?? null))
      .filter(
        (v) =>
          (v.tags[PROMPT_TAG] === 'true') === prompts &&
          matchesAll(
            {
              attribute: (k) =>
                k === 'name'
                  ? v.name
                  : k === 'run_id'
                    ? v.runId
                    : k === 'source_path'
                      ? v.source
                      : k === 'version_number'
                        ? v.version
                        : null,
              tag: (k) => v.tags[k],
            },
            clauses,
          ),
      );
    const value = (v: MlflowModelVersion, key: string): string | number | null =>
      key === 'version_number'
        ? v.version
        : key === 'creation_timestamp'
          ? v.createdAt
          : key === 'last_updated_timestamp'
            ? v.lastUpdatedAt
            : key === 'run_id'
              ? v.runId
              : v.name;
    if (order.length === 0) order.push({ kind: 'attribute', key: 'name', ascending: true });
    order.push({ kind: 'attribute', key: 'version_number', ascending: false });
    versions.sort((a, b) => {
      for (const o of order) {
        const x = value(a, o.key) ?? '';
        const y = value(b, o.key) ?? '';
        if (x !== y) return (x < y ? -1 : 1) * (o.ascending ? 1 : -1);
      }
      return 0;
    });
    return pageOf(versions.slice(offset, offset + limit + 1), offset, limit);
  }

  /**
   * Completes the versions that waited for this logged model (PENDING_REGISTRATION): registered
   * from its files when it is READY, FAILED_REGISTRATION when its upload failed.
   */
  async loggedModelFinalized(model: LoggedModelRecord): Promise<void> {
    for (const link of await this.#store.listVersionLinks({ modelId: model.modelId })) {
      const record = await this.#registryStore.getVersion(link.name, link.version);
      if (record?.status !== 'PENDING_REGISTRATION') continue;
      const artifactPath = proxiedArtifactPath(model.artifactUri);
      if (
        model.status === 'LOGGED_MODEL_READY' &&
        artifactPath !== null &&
        (await this.#hasModelFiles(artifactPath))
      ) {
        const lineage = link.runId ? await this.#runLineage(link.runId) : null;
        await this.#registerFiles(artifactPath, {
          name: link.name,
          description: record.description,
          tags: {},
          runId: link.runId,
          sourceUri: link.source,
          lineage,
          intoVersion: link.version,
        });
      } else {
        await this.#registry.failVersion(
          record,
          `logged model ${model.modelId} ended ${model.status} without model files`,
        );
      }
      await this.#store.updateVersionLink(link.name, link.version, { lastUpdatedAt: this.#clock.now() });
    }
  }

  // ------------------------------------------------------------ internals

  async #resolveSource(
    source: string,
    runId: string | null,
    modelId: string | null,
  ): Promise<{
    artifactPath: string | null;
    storageLocation: string;
    runId: string | null;
    modelId: string | null;
    pendingModel: LoggedModelRecord | null;
  }> {
    checkNoTraversal(source);
    const logged = /^models:\/(m-[0-9a-f]+)\/?$/.exec(source);
    if (logged || modelId) {
      const model = await this.#tracking.getLoggedModel(modelId ?? logged?.[1]);
      return {
        artifactPath: proxiedArtifactPath(model.artifactUri),
        storageLocation: model.artifactUri,
        runId: runId ?? model.sourceRunId,
        modelId: model.modelId,
        pendingModel: model.status === 'LOGGED_MODEL_PENDING' ? model : null,
      };
    }
    const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (run) {
      const info = await this.#tracking.getRunInfo(run[1]);
      const location = joinUri(info.artifactUri, run[2]);
      return {
        artifactPath: proxiedArtifactPath(location),
        storageLocation: location,
        runId: runId ?? info.runId,
        modelId: null,
        pendingModel: null,
      };
    }
    if (
      source.startsWith('/') ||
      source.startsWith('file:') ||
      /^[A-Za-z]:[\\/]/.test(source) ||
      !/^[a-z][a-z0-9+.-]*:/i.test(source)
    ) {
      throw invalid(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id ` +
          'request parameter has to be specified and the local path has to be contained within the artifact ' +
          'directory of the run specified by the run_id.',
      );
    }
    if (runId) await this.#tracking.getRunInfo(runId);
    return {
      artifactPath: proxiedArtifactPath(source),
      storageLocation: source,
      runId,
      modelId: null,
      pendingModel: null,
    };
  }

  async #hasModelFiles(artifactPath: string): Promise<boolean> {
    if (await this.#store.getArtifactEntry(joinPath(artifactPath, 'MLmodel'))) return true;
    const single = await this.#store.getArtifactEntry(artifactPath);
    return single !== null && artifactPath.endsWith('.onnx');
  }

  async #registerFiles(
    artifactPath: string,
    opts: {
      name: string;
      description: string | null;
      tags: Record<string, string>;
      runId: string | null;
      sourceUri: string;
      lineage: { lineage: Record<string, unknown>; metrics: Record<string, number> } | null;
      intoVersion?: number;
    },
  ): Promise<ModelVersionRecord> {
    const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'slipway-mlflow-'));
    try {
      let local: string;
      if (artifactPath.endsWith('.onnx') && (await this.#store.getArtifactEntry(artifactPath))) {
        local = path.join(tmp, path.posix.basename(artifactPath));
        await fs.promises.writeFile(
          local,
          await this.#artifacts.read(await this.#artifacts.get(artifactPath)),
        );
      } else {
        local = path.join(tmp, path.posix.basename(artifactPath) || 'model');
        await this.#artifacts.materialize(artifactPath, local);
      }
      return await this.#registry.register({
        name: opts.name,
        path: local,
        description: opts.description,
        tags: opts.tags,
        runId: opts.runId,
        sourceUri: opts.sourceUri,
        metrics: opts.lineage?.metrics ?? {},
        lineage: opts.lineage?.lineage ?? { codeVersion: null },
        ...(opts.intoVersion !== undefined ? { intoVersion: opts.intoVersion } : {}),
      });
    } finally {
      await fs.promises.rm(tmp, { recursive: true, force: true });
    }
  }

  /** What a version records of the run that made it: params, metrics, code version, datasets. */
  async #runLineage(
    runId: string,
  ): Promise<{ lineage: Record<string, unknown>; metrics: Record<string, number> } | null> {
    const run = await this.#tracking.getRun(runId).catch(() => null);
    if (!run) return null;
    const metrics: Record<string, number> = {};
    for (const m of run.metrics) if (Number.isFinite(m.value)) metrics[m.key] = m.value;
    const commit = run.tags['mlflow.source.git.commit'];
    return {
      metrics,
      lineage: {
        // Overrides the registry's own git lookup: the code is the client's, not the server's.
        codeVersion: commit ? { commit, dirty: null, source: 'mlflow' } : null,
        run: {
          runId: run.info.runId,
          experimentId: run.info.experimentId,
          runName: run.info.runName,
          userId: run.info.userId,
          params: run.params,
          metrics,
          source: {
            name: run.tags['mlflow.source.name'] ?? null,
            type: run.tags['mlflow.source.type'] ?? null,
            gitCommit: commit ?? null,
            gitRepoUrl: run.tags['mlflow.source.git.repoURL'] ?? null,
          },
          datasets: run.datasetInputs.map((d) => ({
            name: d.dataset.name,
            digest: d.dataset.digest,
            sourceType: d.dataset.sourceType,
            source: d.dataset.source,
            context: d.tags['mlflow.data.context'] ?? null,
            profile: d.dataset.profile,
          })),
        },
      },
    };
  }

  async #model(name: string): Promise<RegisteredModelRecord> {
    const model = await this.#registryStore.getModel(name);
    if (!model)
      throw new SlipwayError('REGISTRY_MODEL_NOT_FOUND', `Registered Model with name=${name} not found`);
    return model;
  }

  async #versionsOf(name: string): Promise<MlflowModelVersion[]> {
    const [records, links] = await Promise.all([
      this.#registryStore.listVersions(name),
      this.#store.listVersionLinks({ name }),
    ]);
    const linkOf = new Map(links.map((l) => [l.version, l]));
    return records.map((r) => this.#describeVersion(r, linkOf.get(r.version) ?? null));
  }

  async #describeModel(model: RegisteredModelRecord): Promise<MlflowRegisteredModel> {
    return {
      name: model.name,
      createdAt: model.createdAt,
      lastUpdatedAt: model.updatedAt,
      description: model.description,
      tags: model.tags,
      aliases: Object.entries(model.aliases).map(([alias, version]) => ({ alias, version })),
      latestVersions: latestPerStage(await this.#versionsOf(model.name)),
    };
  }

  #describeVersion(r: ModelVersionRecord, link: VersionLink | null): MlflowModelVersion {
    const status =
      r.status === 'PENDING_REGISTRATION' || r.status === 'FAILED_REGISTRATION'
        ? r.status
        : ('READY' as const);
    return {
      name: r.name,
      version: r.version,
      createdAt: r.createdAt,
      lastUpdatedAt: link?.lastUpdatedAt ?? r.createdAt,
      currentStage: link?.currentStage ?? 'None',
      description: r.description,
      source: link?.source ?? r.sourcePath ?? '',
      runId: link?.runId ?? r.runId,
      status,
      statusMessage: r.statusMessage,
      tags: r.tags,
      runLink: link?.runLink ?? null,
      aliases: r.aliases,
      modelId: link?.modelId ?? null,
      userId: link?.userId ?? null,
      slipwayStatus: r.status,
    };
  }

  async #touch(v: MlflowModelVersion, patch: Partial<VersionLink> = {}): Promise<void> {
    const existing = await this.#store.getVersionLink(v.name, v.version);
    const now = this.#clock.now();
    if (existing) {
      await this.#store.updateVersionLink(v.name, v.version, { ...patch, lastUpdatedAt: now });
      return;
    }
    // A version registered by `slipway models register` gets its MLflow fields on first change.
    await this.#store.putVersionLink({
      name: v.name,
      version: v.version,
      source: v.source,
      storageLocation: v.source,
      modelId: null,
      runId: v.runId,
      runLink: null,
      userId: null,
      currentStage: 'None',
      ...patch,
      lastUpdatedAt: now,
    });
  }
}

const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/**
 * MLflow 3 clients add `tags.\`mlflow.prompt.is_prompt\` != 'true'` to every registry search, which
 * models without the tag must pass; MLflow's SQL store drops that clause and anti-joins prompts
 * instead (model_registry/sqlalchemy_store.py). Same here: the clause decides prompts or models.
 */
function withoutPromptClauses(clauses: SearchClause[]): { clauses: SearchClause[]; prompts: boolean } {
  let prompts = false;
  const rest = clauses.filter((c) => {
    if (c.kind !== 'tag' || c.key !== PROMPT_TAG) return true;
    const value = String(c.value).toLowerCase();
    prompts = (c.op === '=' && value === 'true') || (c.op === '!=' && value === 'false');
    return false;
  });
  return { clauses: rest, prompts };
}

function latestPerStage(versions: MlflowModelVersion[]): MlflowModelVersion[] {
  const best = new Map<string, MlflowModelVersion>();
  for (const v of versions) {
    const seen = best.get(v.currentStage);
    if (!seen || v.version > seen.version) best.set(v.currentStage, v);
  }
  return [...best.values()].sort((a, b) => a.version - b.version);
}

export function canonicalStage(stage: unknown): ModelStage {
  const found = MODEL_STAGES.find(
    (s) => typeof stage === 'string' && s.toLowerCase() === stage.toLowerCase(),
  );
  if (!found) {
    throw invalid(
      `Invalid Model Version stage: ${String(stage)}. Value must be one of ${MODEL_STAGES.join(', ')}.`,
    );
  }
  return found;
}

function requireName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name === '') throw missing(field);
  return name;
}

function versionNumber(version: unknown): number {
  if (version === undefined || version === null || version === '') throw missing('version');
  const n = Number(version);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw invalid(`Parameter 'version' must be an integer, got '${String(version)}'.`);
  }
  return n;
}

function stringOf(value: unknown, field: string): string {
  if (value === undefined || value === null) throw missing(field);
  return String(value);
}

function checkRegistryTag(key: string, value: string): void {
  checkKey(key, 'key', 'Tag');
  checkLength('value', value, LIMITS.registryTagValue);
}

function boundedMax(given: number | null | undefined, fallback: number, cap: number): number {
  if (!given) return fallback;
  if (!Number.isSafeInteger(given) || given < 1 || given > cap) {
    throw invalid(
      `Invalid value for request parameter max_results. It must be at most ${cap}, but got value ${given}`,
    );
  }
  return given;
}

/** MLflow's `_validate_non_local_source_contains_relative_paths`: no `..`, even encoded. */
function checkNoTraversal(source: string): void {
  let s = source;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (next === s) break;
    s = next;
  }
  if (s.includes('\0') || s.split('/').includes('..')) {
    throw invalid(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ` +
        'ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path ' +
        'references present. Please provide an absolute path.',
    );
  }
}
