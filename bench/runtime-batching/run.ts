/**
 * How the batching defaults and the inline threshold were chosen.
 *
 * A node:http server in this process answers V2 infer requests for one fixture model through the
 * runtime (decode, infer, encode); a load generator in a child process keeps `--connections` keep-alive
 * connections busy with single-row requests (closed loop, like DESIGN.md's measurements) and counts.
 * Each configuration (placement x maxQueueDelayMs x maxBatchSize) runs side by side with the bare floor:
 * the same server answering a canned response without inference.
 *
 *   npx tsx bench/runtime-batching/run.ts [--seconds 3] [--connections 64] [--models a,b]
 *
 * Not a vitest file: it measures, it does not check. It belongs in bench/ with the other benchmarks;
 * it lives here only because this change may touch test/runtime alone.
 */

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NUMPY_TO_DATATYPE, type Signature } from '../../src/core/tensor-types.js';
import { createInferenceRuntime } from '../../src/runtime/inference-runtime.js';
import { SignatureIndex } from '../../src/runtime/signature-index.js';
import { TensorCodec } from '../../src/runtime/tensor-codec.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    models: { type: 'string', default: 'breast_cancer_gbdt,breast_cancer_mlp' },
    client: { type: 'string' },
    grid: { type: 'string', default: 'full' },
    repeat: { type: 'string', default: '1' },
  },
});

if (values.client !== undefined) await runClient(values.client);
else await runServer();

/**
 * The load generator: `connections` keep-alive sockets, each a closed loop (send, read the whole
 * response, send again) for `seconds`, then report over IPC. Raw HTTP/1.1 on net.Socket rather than
 * http.request: the node:http client costs more CPU per request than the server under test.
 */
async function runClient(target: string): Promise<void> {
  const { port, body, seconds, connections } = JSON.parse(target) as {
    port: number;
    body: string;
    seconds: number;
    connections: number;
  };
  const request = Buffer.from(
    `POST /infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.setNoDelay(true);
          let buffered = '';
          let sentAt = 0;
          const send = () => {
            if (performance.now() >= deadline) {
              socket.end();
              resolve();
              return;
            }
            sentAt = performance.now();
            socket.write(request);
          };
          socket.on('connect', send);
          socket.on('data', (chunk: Buffer) => {
            buffered += chunk.toString('latin1');
            const headerEnd = buffered.indexOf('\r\n\r\n');
            if (headerEnd < 0) return;
            const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, headerEnd))?.[1] ?? 0);
            if (buffered.length < headerEnd + 4 + length) return;
            if (buffered.startsWith('HTTP/1.1 200')) latencies.push(performance.now() - sentAt);
            else errors++;
            buffered = buffered.slice(headerEnd + 4 + length);
            send();
          });
          socket.on('error', () => {
            errors++;
            resolve();
          });
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  process.send?.({
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    errors,
    count: latencies.length,
  });
}

interface ClientReport {
  count: number;
  /** Server CPU (all threads) per answered request, µs; filled in by the server side. */
  cpuUs: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Run the load generator once; also measures this process's CPU (every thread) per request. */
async function load(port: number, body: string, seconds: number, connections: number): Promise<ClientReport> {
  const cpu = process.cpuUsage();
  const report = await generate(port, body, seconds, connections);
  const used = process.cpuUsage(cpu);
  report.cpuUs = (used.user + used.system) / Math.max(1, report.count);
  return report;
}

function generate(port: number, body: string, seconds: number, connections: number): Promise<ClientReport> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      ['--client', JSON.stringify({ port, body, seconds, connections })],
      {
        execArgv: process.execArgv,
      },
    );
    child.once('message', (m) => {
      child.disconnect();
      resolve(m as ClientReport);
    });
    child.once('error', reject);
  });
}

function shapeOf(data: unknown): number[] {
  return Array.isArray(data) ? [data.length, ...shapeOf(data[0])] : [];
}

function signatureOf(model: string): Signature {
  const meta = JSON.parse(readFileSync(new URL(`${model}/meta.json`, FIXTURES), 'utf8'));
  const spec = (t: { name: string; dtype: string; shape: (number | null)[] }) => ({
    name: t.name,
    datatype: NUMPY_TO_DATATYPE[t.dtype],
    shape: t.shape.map((d) => d ?? -1),
  });
  return { inputs: meta.inputs.map(spec), outputs: meta.outputs.map(spec) };
}

async function runServer(): Promise<void> {
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const runtime = createInferenceRuntime({ workers: 2 });
  let handler: (body: string, res: ServerResponse) => void = () => undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const reply = (res: ServerResponse, status: number, payload: unknown) => {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const grid =
    values.grid === 'full'
      ? [
          { placement: 'inline', delay: 0, size: 16 },
          { placement: 'inline', delay: 0, size: 32 },
          { placement: 'inline', delay: 0, size: 64 },
          { placement: 'inline', delay: 0, size: 128 },
          { placement: 'inline', delay: 1, size: 64 },
          { placement: 'inline', delay: 2, size: 64 },
          { placement: 'worker', delay: 0, size: 64 },
          { placement: 'worker', delay: 1, size: 64 },
        ]
      : [
          { placement: 'inline', delay: 0, size: 64 },
          { placement: 'worker', delay: 0, size: 64 },
        ];
  const repeat = Number(values.repeat);
  console.log(
    `${connections} connections, ${seconds} s each, single-row V2 requests, load generator in a child process, ` +
      `${repeat} round(s); each row is the median over rounds, each round runs every configuration side by side`,
  );
  // Rounds interleave the configurations, so a neighbour's burst of CPU on a shared machine hits one
  // round of everything rather than every round of one configuration.
  const results = new Map<
    string,
    { rps: number[]; ratio: number[]; p50: number[]; p99: number[]; batch: number[]; cpu: number[] }
  >();
  const record = (label: string, r: ClientReport, floor: number, batch: number) => {
    let entry = results.get(label);
    if (entry === undefined) {
      entry = { rps: [], ratio: [], p50: [], p99: [], batch: [], cpu: [] };
      results.set(label, entry);
    }
    entry.rps.push(r.rps);
    entry.ratio.push(r.rps / floor);
    entry.p50.push(r.p50);
    entry.p99.push(r.p99);
    entry.batch.push(batch);
    entry.cpu.push(r.cpuUs);
  };
  for (let round = 0; round < repeat; round++) {
    for (const model of values.models.split(',')) {
      const signature = signatureOf(model);
      const codec = new TensorCodec(new SignatureIndex(signature));
      const sample = JSON.parse(readFileSync(new URL(`${model}/sample.json`, FIXTURES), 'utf8'));
      const [name, rows] = Object.entries(sample.inputs)[0] as [string, unknown[]];
      const body = JSON.stringify({
        inputs: [
          { name, datatype: signature.inputs[0].datatype, shape: [1, ...shapeOf(rows[0])], data: rows[0] },
        ],
      });
      const path = new URL(`${model}/model.onnx`, FIXTURES).pathname;

      // The floor: parse, canned answer, no inference.
      const canned = {
        model_name: model,
        outputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [0.5, 0.5] }],
      };
      handler = (text, res) => {
        JSON.parse(text);
        reply(res, 200, canned);
      };
      await load(port, body, 1, connections); // warm-up
      const floor = await load(port, body, seconds, connections);
      record(
        `${model.padEnd(19)} ${'floor'.padEnd(9)} ${''.padStart(6)} ${''.padStart(5)}`,
        floor,
        floor.rps,
        0,
      );

      for (const { placement, delay, size } of grid) {
        const key = `${model}-${placement}-${delay}-${size}`;
        const info = await runtime.load(key, { path }, signature, {
          placement: placement as 'inline' | 'worker',
          maxQueueDelayMs: delay,
          maxBatchSize: size,
        });
        if (round === 0 && delay === 0 && size === 64) {
          console.log(`${model} ${placement}: ${JSON.stringify(info.latency)}`);
        }
        handler = (text, res) => {
          const request = JSON.parse(text);
          let inputs: ReturnType<TensorCodec['decodeInputs']>;
          try {
            inputs = codec.decodeInputs(request.inputs);
          } catch (error) {
            reply(res, 400, { error: (error as Error).message });
            return;
          }
          runtime.infer(key, inputs).then(
            (r) => reply(res, 200, { model_name: model, outputs: codec.encodeOutputs(r.outputs) }),
            (error: Error) => reply(res, 500, { error: error.message }),
          );
        };
        await load(port, body, 1, connections); // warm-up
        const before = runtime.stats(key)!;
        const r = await load(port, body, seconds, connections);
        const after = runtime.stats(key)!;
        const meanBatch = (after.rows - before.rows) / Math.max(1, after.batches - before.batches);
        await runtime.unload(key);
        if (r.errors > 0) console.log(`${key}: ${r.errors} errors`);
        record(
          `${model.padEnd(19)} ${placement.padEnd(9)} ${String(delay).padStart(6)} ${String(size).padStart(5)}`,
          r,
          floor.rps,
          meanBatch,
        );
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    'model               placement  delay  size   req/s  x floor  p50 ms  p99 ms  rows/batch  cpu µs/req',
  );
  for (const [label, e] of results) {
    console.log(
      `${label} ${median(e.rps).toFixed(0).padStart(7)} ${median(e.ratio).toFixed(2).padStart(8)} ` +
        `${median(e.p50).toFixed(2).padStart(7)} ${median(e.p99).toFixed(2).padStart(7)} ${median(e.batch).toFixed(1).padStart(11)} ${median(e.cpu).toFixed(0).padStart(11)}`,
    );
  }
  server.close();
  await runtime.close();
}
