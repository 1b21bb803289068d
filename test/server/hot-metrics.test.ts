import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotGauge, HotHistogram } from '../../src/server/hot-metrics.js';

// prom-client is the oracle: the same recordings give the same exposition text.
describe('hot-path metrics expose exactly what prom-client would', () => {
  it('histograms, counters and gauges', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const promRegistry = new Registry();
    const hotRegistry = new Registry();
    const registers = [promRegistry];
    const ph = new Histogram({
      name: 'lat_seconds',
      help: 'latency',
      labelNames: ['model', 'version'],
      buckets,
      registers,
    });
    const pc = new Counter({
      name: 'req_total',
      help: 'requests',
      labelNames: ['model', 'status'],
      registers,
    });
    const pg = new Gauge({ name: 'inflight', help: 'now', labelNames: ['protocol'], registers });
    const hh = new HotHistogram('lat_seconds', 'latency', ['model', 'version'], buckets);
    const hc = new HotCounter('req_total', 'requests', ['model', 'status']);
    const hg = new HotGauge('inflight', 'now', ['protocol']);
    for (const m of [hh, hc, hg]) hotRegistry.registerMetric(m as unknown as Metric);

    const values = [0.0005, 0.001, 0.002, 0.05, 0.1, 0.7, 3, 12, 0.01];
    for (const [i, v] of values.entries()) {
      const labels = { model: i % 2 ? 'a' : 'b"q', version: String(i % 3) };
      ph.labels(labels).observe(v);
      hh.labels(labels).observe(v);
      pc.labels({ model: labels.model, status: '200' }).inc();
      hc.labels({ model: labels.model, status: '200' }).inc();
      pc.inc({ model: 'a', status: '500' }, 2);
      hc.inc({ model: 'a', status: '500' }, 2);
    }
    pg.inc({ protocol: 'v2' });
    pg.inc({ protocol: 'v2' });
    pg.dec({ protocol: 'v2' });
    hg.inc({ protocol: 'v2' });
    hg.inc({ protocol: 'v2' });
    hg.dec({ protocol: 'v2' });

    const sorted = (text: string) => text.split('\n').sort().join('\n');
    expect(sorted(await hotRegistry.metrics())).toBe(sorted(await promRegistry.metrics()));
    expect(await hotRegistry.metrics()).toMatch(/lat_seconds_bucket\{le="\+Inf",model="a",version="1"\} 2/);

    hotRegistry.resetMetrics();
    expect(await hotRegistry.metrics()).not.toMatch(/lat_seconds_bucket/);
  });
});
