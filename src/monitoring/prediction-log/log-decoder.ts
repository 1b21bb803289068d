/**
 * Reads logged rows back by name: each row's packed features and outputs through its layout,
 * fetched from the store once per reader.
 */
import type { PredictionLogRow, PredictionLogStore } from '../../store/prediction-log-store.js';
import { type LayoutSpec, parseLayout, unpackFields } from './row-codec.js';

/** One logged prediction row, decoded. */
export interface LoggedPrediction {
  id: number;
  requestId: string;
  row: number;
  predictionKey: string | null;
  at: number;
  model: string;
  version: number;
  deployment: string | null;
  protocol: string;
  latencyMs: number;
  features: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** The label feedback attached, or null. */
  label: unknown;
  labelledAt: number | null;
}

export class LogDecoder {
  readonly #store: PredictionLogStore;
  readonly #layouts = new Map<number, LayoutSpec>();

  constructor(store: PredictionLogStore) {
    this.#store = store;
  }

  /** Fetches the layouts of `rows` not seen yet; call before decoding them. */
  async load(rows: readonly PredictionLogRow[]): Promise<void> {
    const missing = new Set<number>();
    for (const r of rows) if (!this.#layouts.has(r.layoutId)) missing.add(r.layoutId);
    if (missing.size === 0) return;
    for (const [id, json] of await this.#store.layouts([...missing]))
      this.#layouts.set(id, parseLayout(json));
  }

  features(row: PredictionLogRow): Record<string, unknown> {
    const layout = this.#layouts.get(row.layoutId);
    return layout ? unpackFields(layout.features, row.features) : {};
  }

  outputs(row: PredictionLogRow): Record<string, unknown> {
    const layout = this.#layouts.get(row.layoutId);
    return layout ? unpackFields(layout.outputs, row.outputs) : {};
  }

  decode(row: PredictionLogRow): LoggedPrediction {
    return {
      id: row.id,
      requestId: row.requestId,
      row: row.row,
      predictionKey: row.predictionKey,
      at: row.at,
      model: row.model,
      version: row.version,
      deployment: row.deployment,
      protocol: row.protocol,
      latencyMs: row.latencyMs,
      features: this.features(row),
      outputs: this.outputs(row),
      label: row.labelJson === null ? null : JSON.parse(row.labelJson),
      labelledAt: row.labelledAt,
    };
  }
}
