/**
 * The V2 body reader against its oracle, JSON.parse: every body it takes must mean exactly what
 * JSON.parse + the codec make of it (numbers bit for bit, for FP32 and FP64), and every body it
 * cannot read that way — malformed, duplicate keys, other datatypes, refused nesting — must be
 * declined (null) so that JSON.parse judges it.
 */

import { describe, expect, it } from 'vitest';
import { TensorArena } from '../../src/runtime/tensor-arena.js';
import { V2BodyReader } from '../../src/server/protocols/v2-body-reader.js';
import { FIXTURE_MODELS, fixtureSample } from '../helpers/fixtures.js';

function reader(): V2BodyReader {
  return new V2BodyReader(new TensorArena());
}

function read(text: string, r = reader()): Record<string, unknown> | null {
  return r.read(Buffer.from(text)) as Record<string, unknown> | null;
}

/** Deterministic numbers (mulberry32), so a failure names a body that can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Number texts of every kind the reader handles differently. */
function numberText(next: () => number): string {
  const kind = next();
  const f32 = new Float32Array(1);
  if (kind < 0.25) {
    // What Python prints for a float32 value: 16-17 significant digits.
    f32[0] = (next() - 0.5) * 10 ** Math.floor(next() * 20 - 10);
    return String(f32[0]);
  }
  if (kind < 0.4) return String((next() - 0.5) * 10 ** Math.floor(next() * 40 - 20));
  if (kind < 0.55) {
    // Next to the midpoint between two floats, where a computed value must not be trusted.
    f32[0] = next() * 1000;
    const below = f32[0];
    new Uint32Array(f32.buffer)[0]++;
    const mid = (below + f32[0]) / 2;
    return String(mid + (next() - 0.5) * 1e-12 * mid);
  }
  if (kind < 0.75) {
    let digits = '';
    const count = 1 + Math.floor(next() * 24);
    for (let i = 0; i < count; i++) digits += Math.floor(next() * 10);
    const dot = Math.floor(next() * count);
    let text = `${digits.slice(0, dot)}.${digits.slice(dot)}`.replace(/^0+(?=\d)/, '');
    if (text.startsWith('.')) text = `0${text}`;
    if (text.endsWith('.')) text += '0';
    if (next() < 0.3) {
      const exponent = Math.floor(next() * 80 - 40);
      const sign = exponent < 0 ? '-' : next() < 0.3 ? '+' : '';
      text += `${next() < 0.5 ? 'e' : 'E'}${sign}${Math.abs(exponent)}`;
    }
    return (next() < 0.5 ? '-' : '') + text;
  }
  if (kind < 0.85) return String(Math.floor((next() - 0.5) * 2e6));
  const edges = [
    '0',
    '-0',
    '0.0',
    '1e22',
    '1e23',
    '3.4028235677973366e38',
    '3.4028235677973362e38',
    '1.401298464324817e-45',
    '7.006492321624085e-46',
    '5e-324',
    '1.7976931348623157e308',
    '1e400',
    '0.1',
    '123456789012345678',
    '9007199254740993',
    '0.000000000000000000000000001',
  ];
  return edges[Math.floor(next() * edges.length)];
}

function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, body: string): void {
  expect(got.length, body).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`value ${i}: ${got[i]} != ${want[i]} in ${body}`);
  }
}

describe('V2BodyReader: numbers', () => {
  it('gives every FP32 and FP64 value exactly as JSON.parse then the typed array would', () => {
    const next = random(20261130);
    const r = reader();
    for (let n = 0; n < 20000; n++) {
      const count = 1 + Math.floor(next() * 8);
      const numbers = Array.from({ length: count }, () => numberText(next));
      const datatype = next() < 0.7 ? 'FP32' : 'FP64';
      // The datatype before `data` (the common order) and after it (values must then be exact).
      const body =
        next() < 0.5
          ? `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[${count}],"data":[${numbers.join(',')}]}]}`
          : `{ "inputs" : [ { "data" : [ ${numbers.join(' , ')} ] ,"shape":[${count}], "datatype":"${datatype}","name":"x"} ] }`;
      const got = read(body, r);
      expect(got, body).not.toBeNull();
      const data = (got!.inputs as { data: Float32Array | Float64Array }[])[0].data;
      const parsed = JSON.parse(body).inputs[0].data;
      const want = datatype === 'FP32' ? new Float32Array(parsed) : new Float64Array(parsed);
      expect(data).toBeInstanceOf(datatype === 'FP32' ? Float32Array : Float64Array);
      expectSameBits(data, want, body);
    }
  });

  it('reads every fixture sample with float inputs as JSON.parse does, and declines the others', () => {
    for (const model of FIXTURE_MODELS) {
      const sample = fixtureSample(model);
      for (const [name, rows] of Object.entries(sample.inputs)) {
        const flat = (rows as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
        const datatype = model === 'token_classifier' ? 'INT64' : 'FP32';
        const shape = [rows.length, ...shapeTail(rows)];
        const body = JSON.stringify({ inputs: [{ name, datatype, shape, data: rows }] });
        const got = read(body);
        if (datatype !== 'FP32') {
          expect(got, model).toBeNull();
          continue;
        }
        const input = (got!.inputs as { name: string; shape: number[]; data: Float32Array }[])[0];
        expect(input.name).toBe(name);
        expect(input.shape).toEqual(shape);
        expectSameBits(input.data, new Float32Array(flat), model);
      }
    }
  });
});

function shapeTail(rows: unknown[]): number[] {
  const shape: number[] = [];
  let cur = rows[0];
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

describe('V2BodyReader: the rest of the body', () => {
  it('keeps id, parameters, outputs and unknown members as JSON.parse reads them', () => {
    const body = {
      id: 'req-1',
      parameters: { prediction_key: 'k-7', nested: { a: [1, 'two', null, true] } },
      inputs: [
        {
          name: 'f\u00e9ature "quoted"',
          datatype: 'FP32',
          shape: [1, 2],
          parameters: { content_type: 'np' },
          data: [1.5, -2],
          custom: 'kept',
        },
      ],
      outputs: [{ name: 'probabilities' }],
      extra: [1, { b: '}]' }],
    };
    const got = read(JSON.stringify(body, null, 2));
    const input = (got!.inputs as Record<string, unknown>[])[0];
    expectSameBits(input.data as Float32Array, [1.5, -2], 'body');
    expect({ ...got, inputs: [{ ...input, data: [...(input.data as Float32Array)] }] }).toEqual(body);
  });

  it('flattens nested data the way the codec does', () => {
    const got = read('{"inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4]]}]}');
    expectSameBits((got!.inputs as { data: Float32Array }[])[0].data, [1, 2, 3, 4], 'nested');
    const ragged = read('{"inputs":[{"name":"x","datatype":"FP32","shape":[3],"data":[1,[2,3]]}]}');
    expectSameBits((ragged!.inputs as { data: Float32Array }[])[0].data, [1, 2, 3], 'ragged');
  });

  it('gives each request its own array, however many came before', () => {
    const r = reader();
    const kept: Float32Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const got = read(
        `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[${i},${i + 1},${i + 2}]}]}`,
        r,
      );
      kept.push((got!.inputs as { data: Float32Array }[])[0].data);
    }
    for (const [i, data] of kept.entries()) expectSameBits(data, [i, i + 1, i + 2], `request ${i}`);
  });

  it('reads a body of over a million values, then small ones again', () => {
    const r = reader();
    const n = 1_100_000;
    const data = Array.from({ length: n }, (_, i) => (i % 1000) / 8);
    const got = read(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n], data }] }), r);
    const values = (got!.inputs as { data: Float32Array }[])[0].data;
    expect(values.length).toBe(n);
    expect(values[n - 1]).toBe(((n - 1) % 1000) / 8);
    expectSameBits(values.subarray(0, 2000), new Float32Array(data.slice(0, 2000)), 'large body');
    const small = read('{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[0.5,2]}]}', r);
    expectSameBits((small!.inputs as { data: Float32Array }[])[0].data, [0.5, 2], 'after the large body');
  });

  it('leaves other shapes of `inputs` and `shape` to the codec, as JSON.parse reads them', () => {
    expect(read('{"inputs":{"name":"x"}}')).toEqual({ inputs: { name: 'x' } });
    expect(read('{"inputs":[7]}')).toEqual({ inputs: [7] });
    const got = read('{"inputs":[{"name":"x","datatype":"FP32","shape":"1,2","data":[1,2]}]}');
    expect((got!.inputs as { shape: unknown }[])[0].shape).toBe('1,2');
  });
});

describe('V2BodyReader: what it leaves to JSON.parse', () => {
  const valid = (data: string, extra = '') =>
    `{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":${data}${extra}}]}`;

  it.each([
    ['a trailing comma in data', valid('[1,2,]')],
    ['a leading zero', valid('[01,2]')],
    ['a bare fraction', valid('[.5,2]')],
    ['a dot without digits', valid('[1.,2]')],
    ['a plus sign', valid('[+1,2]')],
    ['an exponent without digits', valid('[1e,2]')],
    ['NaN', valid('[NaN,2]')],
    ['an unterminated body', valid('[1,2]').slice(0, -2)],
    ['trailing bytes', `${valid('[1,2]')}x`],
    ['a byte-order mark', `\ufeff${valid('[1,2]')}`],
    ['a single-quoted key', "{'inputs':[]}"],
    ['a bad escape in a value', '{"id":"\\x","inputs":[]}'],
  ])('declines %s (JSON.parse refuses it too)', (_what, body) => {
    expect(read(body)).toBeNull();
    expect(() => JSON.parse(body)).toThrow();
  });

  it.each([
    ['a duplicate top-level key', '{"inputs":[],"inputs":[]}'],
    ['a duplicate input key', valid('[1,2]', ',"data":[3,4]')],
    ['a duplicate unknown key', '{"x":1,"x":2,"inputs":[]}'],
    ['__proto__', '{"__proto__":{"polluted":1},"inputs":[]}'],
    ['null in data', valid('[null,2]')],
    ['a string in data', valid('["1",2]')],
    ['true in data', valid('[true,2]')],
    ['an object in data', valid('[{},2]')],
    ['data that is not an array', valid('"1,2"')],
    ['INT64 data', '{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":[1,2]}]}'],
    ['data with no datatype', '{"inputs":[{"name":"x","shape":[2],"data":[1,2]}]}'],
    ['nesting the codec refuses', '{"inputs":[{"name":"x","datatype":"FP32","shape":[3],"data":[1,[2],3]}]}'],
    ['nesting deeper than 8', valid(`${'['.repeat(10)}1,2${']'.repeat(10)}`)],
    ['a top-level array', '[{"inputs":[]}]'],
  ])('declines %s (valid JSON it will not read itself)', (_what, body) => {
    expect(read(body)).toBeNull();
    expect(() => JSON.parse(body)).not.toThrow();
  });
});
