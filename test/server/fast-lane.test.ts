import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { readRequestHead } from '../../src/server/fast-lane/request-head.js';
import { createApp } from '../../src/server/index.js';
import { fixtureModelPath, fixtureSample, tempHome } from '../helpers/fixtures.js';

// The fast lane reads requests off the raw socket; these tests talk to it with raw bytes, so
// pipelining, handoffs to node:http and connection closing are exercised exactly as sent.

const limits = { maxHeaderSize: 16 * 1024, bodyLimit: 1000 };
const head = (text: string) => readRequestHead(Buffer.from(text, 'latin1'), 0, limits);

describe('the fast lane reads one narrow request shape and leaves the rest to node:http', () => {
  const ok =
    'POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';

  it('reads a well-formed POST', () => {
    const r = head(ok);
    expect(r.kind).toBe('request');
    if (r.kind !== 'request') return;
    expect(r.target).toBe('/v2/models/m/infer');
    expect(r.headers).toEqual({ host: 'x', 'content-type': 'application/json', 'content-length': '2' });
    expect(r.bodyStart).toBe(ok.length - 2);
    expect(r.keepAlive).toBe(true);
  });

  it('notes Connection: close', () => {
    const r = head(ok.replace('Host: x', 'Host: x\r\nConnection: Close'));
    expect(r.kind === 'request' && r.keepAlive).toBe(false);
  });

  it('waits for the rest of a head', () => {
    expect(head(ok.slice(0, 40)).kind).toBe('incomplete');
  });

  const others: [string, string][] = [
    ['another method', ok.replace('POST', 'GET')],
    ['HTTP/1.0', ok.replace('HTTP/1.1', 'HTTP/1.0')],
    ['two spaces in the request line', ok.replace('POST ', 'POST  ')],
    ['a chunked body', ok.replace('Content-Length: 2', 'Transfer-Encoding: chunked')],
    ['chunked beside a length', ok.replace('Host: x', 'Host: x\r\nTransfer-Encoding: chunked')],
    ['two lengths', ok.replace('Host: x', 'Host: x\r\nContent-Length: 2')],
    ['no length', ok.replace('Content-Length: 2\r\n', '')],
    ['a signed length', ok.replace('Content-Length: 2', 'Content-Length: +2')],
    ['a body over the limit', ok.replace('Content-Length: 2', 'Content-Length: 1001')],
    ['a folded header', ok.replace('Host: x', 'Host: x\r\n  folded')],
    ['a space before the colon', ok.replace('Host: x', 'Host : x')],
    ['a control character in a value', ok.replace('Host: x', 'Host: x\x01y')],
    ['a non-ASCII value', ok.replace('Host: x', 'Host: x\xe9')],
    ['a lone LF in a value', ok.replace('Host: x', 'Host: x\ny')],
    ['a lone CR in a value', ok.replace('Host: x', 'Host: x\ry')],
    ['LF line ends', ok.replace('HTTP/1.1\r\nHost: x\r\n', 'HTTP/1.1\nHost: x\n')],
    ['a lone CR in the request line', ok.replace('POST /v2', 'POST /v2\r')],
    ['Expect: 100-continue', ok.replace('Host: x', 'Host: x\r\nExpect: 100-continue')],
    ['an upgrade', ok.replace('Host: x', 'Host: x\r\nConnection: Upgrade\r\nUpgrade: h2c')],
  ];
  for (const [what, text] of others) {
    it(`hands over ${what}`, () => expect(head(text).kind).toBe('other'));
  }

  it('hands over a head past the size limit, complete or not', () => {
    const big = `POST /v2/models/m/infer HTTP/1.1\r\nX-Big: ${'a'.repeat(17 * 1024)}`;
    expect(head(big).kind).toBe('other');
    expect(head(`${big}\r\nContent-Length: 0\r\n\r\n`).kind).toBe('other');
  });
});

let slipway: Slipway;
let serving: Awaited<ReturnType<typeof createServing>>;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome() });
  await slipway.registry.register({ name: 'gbdt', path: fixtureModelPath('breast_cancer_gbdt') });
  serving = await createServing(slipway, { selection: null, workers: 1 });
  ({ app } = await createApp({ slipway, repository: serving.repository }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
  await serving?.close();
  await slipway?.close();
});

const sample = fixtureSample('breast_cancer_gbdt');
const features = sample.inputs.features as number[][];
const expectedLabels = sample.expected.label as number[];

function inferRequest(row: number, extra = ''): string {
  const body = JSON.stringify({
    id: `row-${row}`,
    inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: features[row] }],
  });
  return `POST /v2/models/gbdt/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `parts` (each one write, `gapMs` apart) and reads `count` responses off the socket. */
async function exchange(
  parts: string[],
  count: number,
  gapMs = 30,
): Promise<{ responses: Response[]; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let data = Buffer.alloc(0);
  let closed = false;
  const responses: Response[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`got ${responses.length} of ${count} responses`)),
      10_000,
    );
    const settle = () => {
      if (responses.length >= count) {
        clearTimeout(timer);
        // Give a server that will close the connection the time to do it.
        setTimeout(resolve, 100);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) break;
        const lines = data.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (data.length < end + 4 + length) break;
        responses.push({
          status: Number(lines[0].split(' ')[1]),
          headers,
          body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
        });
        data = data.subarray(end + 4 + length);
      }
      settle();
    });
    socket.on('close', () => {
      closed = true;
    });
  });
  for (const part of parts) {
    socket.write(part);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await done;
  socket.destroy();
  return { responses, closed };
}

const label = (r: Response) => (JSON.parse(r.body).outputs as { name: string; data: number[] }[])[0].data[0];

describe('the fast lane on a real socket', () => {
  it('answers pipelined requests in order, each with its own rows', async () => {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7];
    const { responses } = await exchange([rows.map((r) => inferRequest(r)).join('')], rows.length);
    expect(responses.map((r) => r.status)).toEqual(rows.map(() => 200));
    expect(responses.map((r) => JSON.parse(r.body).id)).toEqual(rows.map((r) => `row-${r}`));
    expect(responses.map(label)).toEqual(rows.map((r) => expectedLabels[r]));
    for (const r of responses) {
      expect(r.headers.connection).toBe('keep-alive');
      expect(r.headers['x-model-version']).toBe('1');
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.date).toBeTruthy();
    }
  });

  it('hands a connection to node:http at its first other request, with the bytes after it', async () => {
    const { responses } = await exchange(
      [
        inferRequest(0),
        `GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n${inferRequest(1)}`,
        inferRequest(2),
      ],
      4,
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(responses.map((r) => JSON.parse(r.body).id)).toEqual(['row-0', undefined, 'row-1', 'row-2']);
    expect(JSON.parse(responses[1].body)).toEqual({ ready: true });
  });

  it('waits for its own answers before a pipelined handoff', async () => {
    const { responses } = await exchange(
      [`${inferRequest(3)}${inferRequest(4)}GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n`],
      3,
    );
    expect(responses.map((r) => JSON.parse(r.body).id)).toEqual(['row-3', 'row-4', undefined]);
    expect(JSON.parse(responses[2].body)).toEqual({ live: true });
  });

  it('hands over a request split across reads, and node:http answers it whole', async () => {
    const request = inferRequest(5, 'X-Request-Id: split-1\r\n');
    const cut = request.length - 20;
    const { responses } = await exchange([request.slice(0, cut), request.slice(cut), inferRequest(6)], 2);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(responses[0].headers['x-request-id']).toBe('split-1');
    expect(responses.map(label)).toEqual([expectedLabels[5], expectedLabels[6]]);
  });

  it('closes after a request that asks for it, and reads nothing after it', async () => {
    const { responses, closed } = await exchange(
      [inferRequest(7, 'Connection: close\r\n') + inferRequest(8)],
      1,
    );
    expect(responses).toHaveLength(1);
    expect(responses[0].headers.connection).toBe('close');
    expect(closed).toBe(true);
  });

  it('leaves malformed requests to node:http, which refuses them', async () => {
    const { responses, closed } = await exchange(
      ['POST /v2/models/gbdt/infer HTTP/1.1\r\nBad Header\r\n\r\n'],
      1,
    );
    expect(responses[0].status).toBe(400);
    expect(closed).toBe(true);
  });

  it('answers errors with their status and message, and keeps serving', async () => {
    const bad = '{"inputs": [';
    const { responses } = await exchange(
      [
        `POST /v2/models/gbdt/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${bad.length}\r\n\r\n${bad}${inferRequest(9)}`,
      ],
      2,
    );
    expect(responses[0].status).toBe(400);
    expect(JSON.parse(responses[0].body).error).toMatch(/not valid JSON/);
    expect(responses[1].status).toBe(200);
    expect(label(responses[1])).toBe(expectedLabels[9]);
  });
});

describe('closing a server with connections in the fast lane', () => {
  it('ends idle keep-alive connections at once, so close() does not wait for their timeout', async () => {
    const own = (await createApp({ slipway, repository: serving.repository })).app;
    await own.listen({ port: 0, host: '127.0.0.1' });
    const address = own.server.address();
    const socket = net.connect(typeof address === 'object' && address ? address.port : 0, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const answered = new Promise<string>((resolve) =>
      socket.once('data', (d) => resolve(d.toString('latin1'))),
    );
    socket.write(inferRequest(0));
    expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: keep-alive/);
    const started = Date.now();
    await own.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers the first request of a connection accepted just before shutdown, then closes it', async () => {
    const own = (await createApp({ slipway, repository: serving.repository })).app;
    await own.listen({ port: 0, host: '127.0.0.1' });
    const address = own.server.address();
    const socket = net.connect(typeof address === 'object' && address ? address.port : 0, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await new Promise((r) => setTimeout(r, 50)); // the server has accepted it
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const closing = own.close();
    socket.write(inferRequest(1));
    await closing;
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close\r\n/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).id).toBe('row-1');
  });
});
