import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import { HotCounter, HotGauge, HotHistogram } from './hot-metrics.js';

/**
 * The server's Prometheus metrics, one registry per app (no prom-client global), named by
 * Prometheus' rules: `slipway_` prefix, base units (seconds), `_total` on counters.
 * Labels follow Triton and KServe dashboards: model, version, protocol, status (protocols.md E.5).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  // The hot path's metrics are hot-metrics.ts's (recording is an array increment); the
  // exposition is prom-client's, as for the process metrics.
  readonly requests: HotCounter<'model' | 'version' | 'protocol' | 'status'>;
  readonly requestDuration: HotHistogram<'model' | 'version' | 'protocol'>;
  readonly queueDuration: HotHistogram<'model' | 'version'>;
  readonly inferenceDuration: HotHistogram<'model' | 'version'>;
  readonly batchSize: HotHistogram<'model' | 'version'>;
  readonly inflight: HotGauge<'protocol'>;
  /** `inflight` bound per protocol, for the hot path. */
  readonly inflightV2: { inc(): void; dec(): void };
  readonly inflightMlflow: { inc(): void; dec(): void };
  readonly rejected: HotCounter<'model' | 'version' | 'reason'>;

  constructor() {
    const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.requests = new HotCounter(
      'slipway_requests_total',
      'Inference requests answered, by model, version, protocol and HTTP status.',
      ['model', 'version', 'protocol', 'status'],
    );
    this.requestDuration = new HotHistogram(
      'slipway_request_duration_seconds',
      'Time from request received to response sent, for inference requests.',
      ['model', 'version', 'protocol'],
      latencyBuckets,
    );
    this.queueDuration = new HotHistogram(
      'slipway_queue_duration_seconds',
      'Time a request waited in its model batcher before its batch ran.',
      ['model', 'version'],
      latencyBuckets,
    );
    this.inferenceDuration = new HotHistogram(
      'slipway_inference_duration_seconds',
      'onnxruntime time of the batch that carried the request.',
      ['model', 'version'],
      latencyBuckets,
    );
    this.batchSize = new HotHistogram(
      'slipway_batch_size',
      'Rows in the merged batch that carried the request.',
      ['model', 'version'],
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    );
    this.inflight = new HotGauge('slipway_inflight_requests', 'Inference requests being processed now.', [
      'protocol',
    ]);
    this.inflightV2 = this.inflight.labels({ protocol: 'v2' });
    this.inflightMlflow = this.inflight.labels({ protocol: 'mlflow' });
    this.rejected = new HotCounter(
      'slipway_rejected_requests_total',
      'Requests refused before inference: overload (queue full) or timeout.',
      ['model', 'version', 'reason'],
    );
    for (const metric of [
      this.requests,
      this.requestDuration,
      this.queueDuration,
      this.inferenceDuration,
      this.batchSize,
      this.inflight,
      this.rejected,
    ]) {
      this.registry.registerMetric(metric as unknown as Metric);
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
  }

  /**
   * The labelled series of one model version and protocol, bound once and cached, so recording
   * a request finds no labels at all.
   */
  series(model: string, version: string, protocol: string): ModelSeries {
    // Nested maps: no key is built per request (a joined key cost a concatenation and a hash).
    let byModel = this.#series.get(protocol);
    if (byModel === undefined) {
      byModel = new Map();
      this.#series.set(protocol, byModel);
    }
    let byVersion = byModel.get(model);
    if (byVersion === undefined) {
      byVersion = new Map();
      byModel.set(model, byVersion);
    }
    let s = byVersion.get(version);
    if (!s) {
      const labels = { model, version };
      const requests = new Map<number, { inc(): void }>();
      s = {
        requests: (status) => {
          let c = requests.get(status);
          if (!c) {
            c = this.requests.labels({ ...labels, protocol, status: String(status) });
            requests.set(status, c);
          }
          c.inc();
        },
        duration: this.requestDuration.labels({ ...labels, protocol }),
        queue: this.queueDuration.labels(labels),
        inference: this.inferenceDuration.labels(labels),
        batch: this.batchSize.labels(labels),
        labels,
      };
      byVersion.set(version, s);
    }
    return s;
  }

  readonly #series = new Map<string, Map<string, Map<string, ModelSeries>>>();
}

export interface ModelSeries {
  requests(status: number): void;
  duration: { observe(value: number): void };
  queue: { observe(value: number): void };
  inference: { observe(value: number): void };
  batch: { observe(value: number): void };
  labels: { model: string; version: string };
}
