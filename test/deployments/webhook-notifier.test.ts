import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { type Alert, WebhookNotifier } from '../../src/index.js';
import { jsonAlertBody, slackAlertBody } from '../../src/monitoring/alerts/webhook-notifier.js';

const alert: Alert = {
  title: 'rollout 1 of fraud rolled back',
  severity: 'critical',
  source: 'deployments',
  subject: 'deployment fraud',
  summary: 'candidate error rate 20.0% exceeds the primary’s 0.0% <by> 20 points & more',
  details: { rollout: 1, candidateVersion: 4, check: 'error-rate', nested: { x: 1 } },
  at: Date.UTC(2026, 10, 29, 12),
};

// A real receiver: answers 500 to the first request on /flaky, 400 on /bad, 204 otherwise.
const received: { path: string; body: unknown }[] = [];
let flakyCalls = 0;
const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => {
    text += d;
  });
  req.on('end', () => {
    received.push({ path: req.url!, body: JSON.parse(text) });
    if (req.url === '/flaky' && flakyCalls++ === 0) return void res.writeHead(500).end();
    if (req.url === '/bad') return void res.writeHead(400).end();
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(204).end(), 800);
    res.writeHead(204).end();
  });
});
const base = await new Promise<string>((resolve) =>
  server.listen(0, '127.0.0.1', () =>
    resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
  ),
);
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('WebhookNotifier', () => {
  it('posts the generic body and the Slack body, retrying 5xx but not 4xx, and reports each target', async () => {
    const notifier = new WebhookNotifier({ backoffMs: 10, timeoutMs: 300, retries: 2 });
    const results = await notifier.notify(alert, [
      { url: `${base}/json`, format: 'json' },
      { url: `${base}/flaky`, format: 'slack' },
      { url: `${base}/bad`, format: 'json' },
      { url: `${base}/slow`, format: 'json' },
      { url: 'http://127.0.0.1:1/nothing-listens', format: 'json' },
    ]);
    expect(results.map((r) => [r.ok, r.status, r.attempts])).toEqual([
      [true, 204, 1],
      [true, 204, 2],
      [false, 400, 1],
      [false, null, 3],
      [false, null, 3],
    ]);
    expect(results[3].error).toMatch(/abort|timeout/i);
    const json = received.find((r) => r.path === '/json')!.body;
    expect(json).toEqual(jsonAlertBody(alert));
    expect(json).toMatchObject({
      version: 1,
      kind: 'slipway.alert',
      alert: { severity: 'critical', atIso: '2026-11-29T12:00:00.000Z' },
    });
  });

  it('writes a Slack message with text, escaped mrkdwn blocks and the scalar details as fields', () => {
    const body = slackAlertBody(alert) as {
      text: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
    };
    expect(body.text).toMatch(/^:rotating_light: \[critical\] rollout 1 of fraud rolled back: /);
    expect(body.blocks[0].text!.text).toContain('&lt;by&gt; 20 points &amp; more');
    expect(body.blocks[1].fields!.map((f) => f.text)).toEqual([
      '*rollout*\n1',
      '*candidateVersion*\n4',
      '*check*\nerror-rate',
    ]);
    expect(body.blocks[2].type).toBe('context');
  });
});
