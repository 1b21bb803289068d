/**
 * Alert rules end to end: a real local HTTP receiver takes the notifications (generic JSON and
 * Slack bodies) and the configured action; a rule fires once per cooldown while its condition
 * holds, resolves when it stops, and keeps its history.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Slipway } from '../../../src/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import {
  csvRows,
  DRIFT_DIR,
  HOLDOUT_CSV,
  infer,
  inferBody,
  ManualClock,
  openWithModel,
  serve,
} from '../helpers.js';

interface Received {
  path: string;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

const received: Received[] = [];
let receiver: http.Server;
let hooks: string;
const clock = new ManualClock();
let slipway: Slipway;
let server: RunningServer;
const MIN = 60_000;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text), headers: req.headers });
      res.writeHead(req.url === '/broken' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  slipway = await openWithModel({ clock });
  server = await serve(slipway);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await slipway?.close();
  await new Promise((r) => receiver.close(r));
});

async function send(rows: number[][]) {
  for (let i = 0; i < rows.length; i += 50) {
    const res = await infer(server, 'cancer', inferBody(rows.slice(i, i + 50)));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  await server.predictionLog!.flush();
}

it('fires once per cooldown, notifies JSON and Slack receivers, calls its action, then resolves', async () => {
  const shifted = csvRows(fs.readFileSync(`${DRIFT_DIR}/drift_mean_shift.csv`, 'utf8')).rows;
  const holdout = csvRows(fs.readFileSync(HOLDOUT_CSV, 'utf8'), ['target']).rows;

  // Over HTTP, as YAML: drift of one feature above its KS statistic of 0.2, a 30 min cooldown.
  const yaml = `rules:
  - name: area-drift
    model: cancer
    metric: feature_drift
    feature: area_error
    op: ">"
    threshold: 0.2
    window: 10m
    cooldown: 30m
    severity: critical
    notify:
      - { url: "${hooks}/json", headers: { authorization: "Bearer s3cret" } }
      - { url: "${hooks}/slack", format: slack }
    action: { url: "${hooks}/retrain" }
`;
  const put = await fetch(`${server.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  expect(put.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body
  const listed = (await (await fetch(`${server.url}/api/v1/alerts`)).json()) as any;
  expect(listed.rules[0].rule).toMatchObject({ name: 'area-drift', window: '10m', cooldown: '30m' });
  expect(listed.rules[0].rule.notify[0].headers.authorization).toBe('***'); // secrets are not shown

  // No traffic yet: no verdict, nothing sent.
  expect((await slipway.monitoring.alerts.evaluate())[0]).toMatchObject({ status: 'no_data' });

  await send(shifted);
  const first = await slipway.monitoring.alerts.evaluate();
  expect(first[0]).toMatchObject({ rule: 'area-drift', status: 'fired', model: 'cancer', version: 1 });
  expect(first[0].deliveries.map((d) => [new URL(d.url).pathname, d.ok])).toEqual([
    ['/json', true],
    ['/slack', true],
    ['/retrain', true],
  ]);
  expect(received.map((r) => r.path)).toEqual(['/json', '/slack', '/retrain']);
  const json = received.find((r) => r.path === '/json')!;
  expect(json.headers.authorization).toBe('Bearer s3cret');
  expect(json.body).toMatchObject({
    version: 1,
    kind: 'slipway.alert',
    alert: {
      severity: 'critical',
      source: 'monitoring.alerts',
      subject: 'model cancer:1',
      details: {
        event: 'fired',
        rule: 'area-drift',
        metric: 'feature_drift',
        feature: 'area_error',
        op: '>',
        threshold: 0.2,
        model: 'cancer',
        version: 1,
        method: 'ks',
        drifted: true,
      },
    },
  });
  expect((json.body.alert as { details: { value: number } }).details.value).toBeGreaterThan(0.2);
  const slack = received.find((r) => r.path === '/slack')!.body as { text: string; blocks: unknown[] };
  expect(slack.text).toContain('area-drift');
  expect(slack.blocks.length).toBeGreaterThanOrEqual(2);

  // Still drifting, within the cooldown: quiet.
  clock.advance(5 * MIN);
  expect((await slipway.monitoring.alerts.evaluate())[0].status).toBe('suppressed');
  clock.advance(5 * MIN);
  await send(shifted);
  clock.advance(MIN);
  expect((await slipway.monitoring.alerts.evaluate())[0].status).toBe('suppressed');
  expect(received).toHaveLength(3);

  // The cooldown has passed and the condition still holds: it fires again, once.
  clock.advance(20 * MIN);
  await send(shifted);
  clock.advance(MIN);
  expect((await slipway.monitoring.alerts.evaluate())[0].status).toBe('fired');
  expect((await slipway.monitoring.alerts.evaluate())[0].status).toBe('suppressed');
  expect(received).toHaveLength(6);

  // Inputs look like the training data again: resolved, notified (no action this time).
  clock.advance(15 * MIN);
  await send(holdout);
  clock.advance(MIN);
  const resolved = await slipway.monitoring.alerts.evaluate();
  expect(resolved[0].status).toBe('resolved');
  expect(received.slice(6).map((r) => r.path)).toEqual(['/json', '/slack']);
  expect((received[6].body.alert as { details: { event: string } }).details.event).toBe('resolved');

  // biome-ignore lint/suspicious/noExplicitAny: a JSON body
  const history = (await (await fetch(`${server.url}/api/v1/alerts/history?rule=area-drift`)).json()) as any;
  expect(history.events.map((e: { kind: string }) => e.kind)).toEqual(['resolved', 'fired', 'fired']);
  expect(history.events[1].deliveries).toHaveLength(3);
});

it('records failed deliveries in the history and reports latency and error-rate rules', async () => {
  received.length = 0;
  await slipway.monitoring.alerts.put({
    name: 'slow',
    model: 'cancer:1',
    metric: 'latency',
    percentile: 50,
    op: '>=',
    threshold: 0,
    window: '1h',
    cooldown: '1d',
    min_samples: 1,
    notify: [`${hooks}/broken`],
  });
  await slipway.monitoring.alerts.put({
    name: 'errors',
    model: 'cancer',
    metric: 'error_rate',
    op: '>',
    threshold: 0.1,
    window: '1h',
    min_samples: 1,
    notify: [`${hooks}/json`],
  });
  const outcomes = await slipway.monitoring.alerts.evaluate();
  const slow = outcomes.find((o) => o.rule === 'slow')!;
  expect(slow.status).toBe('fired');
  expect(slow.value).toBeGreaterThan(0);
  expect(slow.deliveries[0]).toMatchObject({ ok: false, status: 500 });
  const events = await slipway.monitoring.alerts.history({ rule: 'slow' });
  expect(events[0].deliveries[0]).toMatchObject({ ok: false, status: 500 });
  // Error rate needs this process's request counts in the store: no errors were answered.
  const errors = outcomes.find((o) => o.rule === 'errors')!;
  expect(['no_data', 'ok']).toContain(errors.status);
  // Bad rules are refused with the field named.
  const bad = await fetch(`${server.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'x', model: 'cancer', metric: 'drift', threshold: 1 }),
  });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({
    code: 'MONITORING_INVALID_ALERT',
    message: expect.stringContaining('"metric"'),
  });
  expect((await fetch(`${server.url}/api/v1/alerts/slow`, { method: 'DELETE' })).status).toBe(204);
  expect((await fetch(`${server.url}/api/v1/alerts/slow`)).status).toBe(404);
});
