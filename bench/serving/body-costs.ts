/**
 * What reading one V2 request body costs: JSON.parse plus the codec's copy into a fresh typed
 * array (what slipway did before), against src/server/protocols/v2-body-reader.ts (numbers parsed
 * straight into a slab-backed typed array), on one thread. Bodies: the fixture GBDT's first row
 * (30 float32 values as Python prints them, 17 digits), the same rounded to 5 digits, and a
 * 32-row batch.
 *
 *   npx tsx bench/serving/body-costs.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignatureIndex } from '../../src/runtime/signature-index.js';
import { TensorArena } from '../../src/runtime/tensor-arena.js';
import { TensorCodec } from '../../src/runtime/tensor-codec.js';
import { V2BodyReader } from '../../src/server/protocols/v2-body-reader.js';

const fixtures = path.resolve(process.cwd(), '../shared/fixtures');
const sample = JSON.parse(fs.readFileSync(path.join(fixtures, 'breast_cancer_gbdt/sample.json'), 'utf8'));
const rows = sample.inputs.features as number[][];
const codec = new TensorCodec(
  new SignatureIndex({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 30] }],
    outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }],
  }),
);
const reader = new V2BodyReader(new TensorArena());

const bodyOf = (data: number[][]) =>
  Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [data.length, 30], data: data.flat() }],
    }),
  );
const bodies: [string, Buffer][] = [
  ['1 row, 17-digit values', bodyOf(rows.slice(0, 1))],
  ['1 row, 5-digit values', bodyOf(rows.slice(0, 1).map((r) => r.map((v) => Number(v.toPrecision(5)))))],
  ['32 rows, 17-digit values', bodyOf(rows.slice(0, 32))],
];

function time(f: () => unknown, n: number): number {
  for (let i = 0; i < n / 5; i++) f();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - start) / n;
}

console.log(
  `${'body'.padEnd(26)} ${'bytes'.padStart(6)} ${'JSON.parse+codec'.padStart(17)} ${'reader+codec'.padStart(13)}`,
);
for (const [what, bytes] of bodies) {
  const n = bytes.length > 5000 ? 50_000 : 500_000;
  const viaParse = time(() => codec.decodeInputs(JSON.parse(bytes.toString('utf8')).inputs), n);
  const viaReader = time(() => codec.decodeInputs(reader.read(bytes)!.inputs as unknown[]), n);
  console.log(
    `${what.padEnd(26)} ${String(bytes.length).padStart(6)} ${`${viaParse.toFixed(0)} ns`.padStart(17)} ${`${viaReader.toFixed(0)} ns`.padStart(13)}`,
  );
}
