/**
 * What recording one request's metrics costs: prom-client's bound children against
 * src/server/hot-metrics.ts, same buckets and labels, on one thread.
 *
 *   npx tsx bench/serving/metric-costs.ts
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HotCounter, HotGauge, HotHistogram } from '../../src/server/hot-metrics.js';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const labels = { model: 'm', version: '1' };
const registers = [new Registry()];
const promHistogram = new Histogram({
  name: 'h',
  help: 'h',
  labelNames: ['model', 'version'],
  buckets,
  registers,
});
const promCounter = new Counter({
  name: 'c',
  help: 'c',
  labelNames: ['model', 'version', 'protocol', 'status'],
  registers,
});
const promGauge = new Gauge({ name: 'g', help: 'g', labelNames: ['protocol'], registers });
const hotHistogram = new HotHistogram('h', 'h', ['model', 'version'], buckets);
const hotCounter = new HotCounter('c', 'c', ['model', 'version', 'protocol', 'status']);
const hotGauge = new HotGauge('g', 'g', ['protocol']);

const N = 2_000_000;
function time(what: string, f: (i: number) => void): number {
  for (let i = 0; i < 100_000; i++) f(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${what.padEnd(44)} ${ns.toFixed(0).padStart(5)} ns`);
  return ns;
}

const ph = promHistogram.labels(labels);
const pc = promCounter.labels({ ...labels, protocol: 'v2', status: '200' });
const hh = hotHistogram.labels(labels);
const hc = hotCounter.labels({ ...labels, protocol: 'v2', status: '200' });
const promRequest =
  4 * time('prom-client histogram observe (bound)', (i) => ph.observe((i % 100) / 10_000)) +
  time('prom-client counter inc (bound)', () => pc.inc()) +
  time('prom-client gauge inc + dec (labels)', () => {
    promGauge.inc({ protocol: 'v2' });
    promGauge.dec({ protocol: 'v2' });
  });
const hotRequest =
  4 * time('hot histogram observe (bound)', (i) => hh.observe((i % 100) / 10_000)) +
  time('hot counter inc (bound)', () => hc.inc()) +
  time('hot gauge inc + dec (labels)', () => {
    hotGauge.inc({ protocol: 'v2' });
    hotGauge.dec({ protocol: 'v2' });
  });
console.log(
  `one request's metrics (4 observations, 1 increment, inflight up and down): prom-client ${(promRequest / 1000).toFixed(2)} µs, hot ${(hotRequest / 1000).toFixed(2)} µs`,
);
