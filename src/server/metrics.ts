import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, one registry per app (no prom-client global), named by
 * Prometheus' rules: `slipway_` prefix, base units (seconds), `_total` on counters.
 * Labels follow Triton and KServe dashboards: model, version, protocol, status (protocols.md E.5).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'version' | 'protocol' | 'status'>;
  readonly requestDuration: Histogram<'model' | 'version' | 'protocol'>;
  readonly queueDuration: Histogram<'model' | 'version'>;
  readonly inferenceDuration: Histogram<'model' | 'version'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly inflight: Gauge<'protocol'>;
  readonly rejected: Counter<'model' | 'version' | 'reason'>;

  constructor() {
    const registers = [this.registry];
    const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.requests = new Counter({
      name: 'slipway_requests_total',
      help: 'Inference requests answered, by model, version, protocol and HTTP status.',
      labelNames: ['model', 'version', 'protocol', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'slipway_request_duration_seconds',
      help: 'Time from request received to response sent, for inference requests.',
      labelNames: ['model', 'version', 'protocol'],
      buckets: latencyBuckets,
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'slipway_queue_duration_seconds',
      help: 'Time a request waited in its model batcher before its batch ran.',
      labelNames: ['model', 'version'],
      buckets: latencyBuckets,
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'slipway_inference_duration_seconds',
      help: 'onnxruntime time of the batch that carried the request.',
      labelNames: ['model', 'version'],
      buckets: latencyBuckets,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'slipway_batch_size',
      help: 'Rows in the merged batch that carried the request.',
      labelNames: ['model', 'version'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.inflight = new Gauge({
      name: 'slipway_inflight_requests',
      help: 'Inference requests being processed now.',
      labelNames: ['protocol'],
      registers,
    });
    this.rejected = new Counter({
      name: 'slipway_rejected_requests_total',
      help: 'Requests refused before inference: overload (queue full) or timeout.',
      labelNames: ['model', 'version', 'reason'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
  }

  /**
   * The labelled series of one model version and protocol, bound once and cached: prom-client
   * validates and hashes labels on every `observe({...})`, a few percent of a small request's time.
   */
  series(model: string, version: string, protocol: string): ModelSeries {
    const key = `${protocol}\u0000${model}\u0000${version}`;
    let s = this.#series.get(key);
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
      this.#series.set(key, s);
    }
    return s;
  }

  readonly #series = new Map<string, ModelSeries>();
}

export interface ModelSeries {
  requests(status: number): void;
  duration: { observe(value: number): void };
  queue: { observe(value: number): void };
  inference: { observe(value: number): void };
  batch: { observe(value: number): void };
  labels: { model: string; version: string };
}
