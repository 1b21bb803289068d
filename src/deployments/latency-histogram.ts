/**
 * A latency histogram with log-spaced buckets: each bucket is 4% wider than the one before, from
 * 10 µs up, so any quantile read from it is within 2% of the true value (the bucket's geometric
 * middle) whatever the scale — 0.1 ms inference and 2 s timeouts alike. Buckets merge by addition,
 * which is how histograms from several serving processes become one (stored sparse, as JSON).
 */
const MIN_MS = 0.01;
const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);
/** Enough buckets to reach ~60 s; slower observations land in the last one. */
export const LATENCY_BUCKETS = 480;

export function latencyBucket(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH);
  return i < LATENCY_BUCKETS ? i : LATENCY_BUCKETS - 1;
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(LATENCY_BUCKETS);
  count = 0;

  observe(ms: number): void {
    this.counts[latencyBucket(ms)]++;
    this.count++;
  }

  /** Adds a sparse histogram (`{bucket: count}`, as stored). */
  addSparse(sparse: Record<string, number>): void {
    for (const [k, v] of Object.entries(sparse)) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && i < LATENCY_BUCKETS && v > 0) {
        this.counts[i] += v;
        this.count += v;
      }
    }
  }

  toSparse(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < LATENCY_BUCKETS; i++) if (this.counts[i] > 0) out[i] = this.counts[i];
    return out;
  }

  /** The q-quantile (0..1) in milliseconds, or null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === 0 ? MIN_MS : MIN_MS * GROWTH ** (i - 0.5);
    }
    return MIN_MS * GROWTH ** (LATENCY_BUCKETS - 1);
  }
}
