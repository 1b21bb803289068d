/**
 * Reference profiles per model version, in the store: computed from the registration dataset when
 * a version is registered (or on first use, when that did not happen), or from any dataset on
 * request (`slipway monitor reference <ref> --dataset F`). When a model can be run, the reference
 * also profiles the model's own answers on the dataset, the reference of prediction drift; a
 * reference made without them gets them on first need, while its dataset is unchanged.
 */
import fs from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { SlipwayError } from '../../core/errors.js';
import type { Registry } from '../../registry/registry.js';
import type { InferenceEngine } from '../../serving/inference-engine.js';
import type { MonitoringStore } from '../../store/monitoring-store.js';
import type { ModelVersionRecord } from '../../store/registry-store.js';
import { fromJSON, toJSON } from '../profile/profile-json.js';
import { predictWithEngine } from './predict-with-engine.js';
import { readDatasetColumns } from './read-dataset.js';
import { buildReference, type Predict, type Reference, type ReferenceSource } from './reference-builder.js';

export interface ReferenceSummary {
  model: string;
  version: number;
  created_at: number;
  origin: ReferenceSource['origin'];
  dataset: ReferenceSource['dataset'];
  features: string[];
  target: string | null;
  outputs: string[] | null;
}

export class References {
  readonly #store: MonitoringStore;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #engine: (() => Promise<InferenceEngine>) | null;
  /** Parsed references by `model:version`, checked against the store's `created_at`. */
  readonly #cache = new Map<string, Reference>();

  constructor(deps: {
    store: MonitoringStore;
    registry: Registry;
    clock: Clock;
    engine: (() => Promise<InferenceEngine>) | null;
  }) {
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#clock = deps.clock;
    this.#engine = deps.engine;
  }

  /** Computes and stores the reference of `record` from `dataset` (a CSV), replacing any. */
  async compute(
    record: ModelVersionRecord,
    dataset: string,
    options: { target?: string | null; predictions?: boolean; origin?: ReferenceSource['origin'] } = {},
  ): Promise<Reference> {
    const columns = await readDatasetColumns(dataset);
    const target =
      options.target ??
      record.datasets.find((d) => d.sha256 === columns.sha256)?.target ??
      registrationTarget(record);
    const reference = await buildReference({
      record,
      dataset: columns,
      target,
      predict: options.predictions === false ? null : await this.predictor(record),
      origin: options.origin ?? 'command',
      at: this.#clock.now(),
    });
    await this.#save(reference);
    return reference;
  }

  /**
   * The stored reference of a version; built from its registration dataset when there is none.
   * With `outputs`, a reference without prediction columns gets them first, when a model can be run
   * and the dataset is still the one profiled.
   */
  async get(record: ModelVersionRecord, options: { outputs?: boolean } = {}): Promise<Reference> {
    let reference = await this.#load(record.name, record.version);
    if (reference === null) {
      const dataset = record.datasets[0];
      if (!dataset || !fs.existsSync(dataset.path)) {
        throw new SlipwayError(
          'MONITORING_NO_REFERENCE',
          `model "${record.name}" version ${record.version} has no reference profile${dataset ? ` and its registration dataset ${dataset.path} is gone` : ' and was registered without a dataset'}: run \`slipway monitor reference ${record.name}:${record.version} --dataset <training or validation CSV>\``,
        );
      }
      reference = await this.compute(record, dataset.path, {
        target: dataset.target,
        predictions: options.outputs === true,
        origin: 'first-use',
      });
    }
    if (options.outputs && reference.source.outputs === null && this.#engine !== null) {
      const file = reference.source.dataset.path;
      if (fs.existsSync(file)) {
        const again = await this.compute(record, file, {
          target: reference.source.target,
          predictions: true,
          origin: reference.source.origin,
        });
        // The file changed since it was profiled: keep the reference it made, without predictions.
        if (again.source.dataset.sha256 === reference.source.dataset.sha256) reference = again;
        else await this.#save(reference);
      }
    }
    return reference;
  }

  /** At registration: profile the dataset the version was registered with, if it has one. */
  async onRegistered(record: ModelVersionRecord): Promise<void> {
    const dataset = record.datasets[0];
    if (!dataset || !fs.existsSync(dataset.path)) return;
    if (record.status !== 'READY') return;
    await this.compute(record, dataset.path, {
      target: dataset.target,
      predictions: false,
      origin: 'registration',
    });
  }

  async list(model: string | null): Promise<ReferenceSummary[]> {
    return (await this.#store.listReferences(model)).map((r) =>
      summaryOf(r.model, r.version, r.createdAt, JSON.parse(r.sourceJson)),
    );
  }

  /** The version a reference names, through the registry. */
  resolve(ref: string): Promise<ModelVersionRecord> {
    return this.#registry.resolve(ref);
  }

  /** Runs the version over inputs, when an engine is available. */
  async predictor(record: ModelVersionRecord): Promise<Predict | null> {
    if (this.#engine === null || !record.modelSha256) return null;
    const engine = await this.#engine();
    const bytes = await this.#registry.servedModelBytes(record);
    return (inputs) => predictWithEngine(engine, record, bytes, inputs);
  }

  async #save(reference: Reference): Promise<void> {
    await this.#store.putReference({
      model: reference.model,
      version: reference.version,
      createdAt: reference.createdAt,
      sourceJson: JSON.stringify(reference.source),
      profileJson: JSON.stringify(toJSON(reference.profile)),
    });
    this.#cache.set(`${reference.model}:${reference.version}`, reference);
  }

  async #load(model: string, version: number): Promise<Reference | null> {
    const row = await this.#store.getReference(model, version);
    if (row === null) return null;
    const key = `${model}:${version}`;
    const cached = this.#cache.get(key);
    if (cached && cached.createdAt === row.createdAt) return cached;
    const reference: Reference = {
      model,
      version,
      createdAt: row.createdAt,
      source: JSON.parse(row.sourceJson),
      profile: fromJSON(JSON.parse(row.profileJson)),
    };
    if (this.#cache.size >= 256) this.#cache.clear();
    this.#cache.set(key, reference);
    return reference;
  }
}

export function summaryOf(
  model: string,
  version: number,
  createdAt: number,
  source: ReferenceSource,
): ReferenceSummary {
  return {
    model,
    version,
    created_at: createdAt,
    origin: source.origin,
    dataset: source.dataset,
    features: source.features,
    target: source.target,
    outputs: source.outputs?.map((o) => o.column) ?? null,
  };
}

function registrationTarget(record: ModelVersionRecord): string | null {
  return record.datasets[0]?.target ?? null;
}
