/**
 * The V2 JSON codec as round trips (decode then encode gives back the input; STYLE.md 19), for every
 * datatype, flat and nested; and every refusal with its code and the message a client will read.
 */

import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/errors.js';
import type { Datatype, Signature, TensorSpec } from '../../src/core/tensor-types.js';
import { fromFloat16Bits, toFloat16Bits } from '../../src/runtime/float16.js';
import { SignatureIndex } from '../../src/runtime/signature-index.js';
import {
  DATATYPE_TO_ORT_TYPE,
  datatypeOfOrtType,
  type Tensor,
  type TensorMap,
  TYPED_ARRAY_CONSTRUCTORS,
} from '../../src/runtime/tensor.js';
import {
  decodeTensor,
  encodeTensor,
  TensorCodec,
  type V2RequestInput,
} from '../../src/runtime/tensor-codec.js';

function spec(name: string, datatype: Datatype, shape: number[]): TensorSpec {
  return { name, datatype, shape };
}

function caught(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a SlipwayError');
}

/** One value per datatype that survives the trip exactly, including each type's extremes. */
const CASES: { datatype: Datatype; data: (number | boolean | string)[]; type: unknown }[] = [
  { datatype: 'BOOL', data: [true, false, false, true, true, false], type: Uint8Array },
  { datatype: 'UINT8', data: [0, 1, 2, 127, 128, 255], type: Uint8Array },
  { datatype: 'UINT16', data: [0, 1, 300, 40000, 65534, 65535], type: Uint16Array },
  { datatype: 'UINT32', data: [0, 1, 70000, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1], type: Uint32Array },
  {
    datatype: 'UINT64',
    data: [0, 1, 2 ** 32, 2 ** 40, 2 ** 52, Number.MAX_SAFE_INTEGER],
    type: BigUint64Array,
  },
  { datatype: 'INT8', data: [-128, -1, 0, 1, 100, 127], type: Int8Array },
  { datatype: 'INT16', data: [-32768, -1, 0, 1, 1000, 32767], type: Int16Array },
  { datatype: 'INT32', data: [-(2 ** 31), -1, 0, 1, 123456, 2 ** 31 - 1], type: Int32Array },
  {
    datatype: 'INT64',
    data: [Number.MIN_SAFE_INTEGER, -1, 0, 1, 944, Number.MAX_SAFE_INTEGER],
    type: BigInt64Array,
  },
  { datatype: 'FP16', data: [0, -2, 0.5, 65504, 2 ** -24, -0.0999755859375], type: Uint16Array },
  {
    datatype: 'FP32',
    data: [0, -1.5, 17.079999923706055, 3.4028234663852886e38, 1e-45, 0.1],
    type: Float32Array,
  },
  { datatype: 'FP64', data: [0, -1.5, 0.1, Number.MAX_VALUE, Number.MIN_VALUE, Math.PI], type: Float64Array },
  { datatype: 'BYTES', data: ['', 'a', 'héllo', 'ü∑', '{"json":1}', ' '], type: Array },
];

function nest(data: unknown[], shape: number[]): unknown {
  if (shape.length <= 1) return data;
  const size = data.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(data.slice(i * size, (i + 1) * size), shape.slice(1)),
  );
}

describe('round trips', () => {
  it.each(CASES)(
    '$datatype, flat and nested, decodes to its typed array and back',
    ({ datatype, data, type }) => {
      const s = spec('x', datatype, [-1, 3]);
      const flat: V2RequestInput = { name: 'x', datatype, shape: [2, 3], data };
      const tensor = decodeTensor(flat, s);
      expect(tensor.data).toBeInstanceOf(type);
      expect(tensor.shape).toEqual([2, 3]);
      // FP32 values print as their float32 value; the others come back as sent.
      const expected = datatype === 'FP32' ? Array.from(Float32Array.from(data as number[])) : data;
      expect(encodeTensor('x', tensor)).toEqual({ name: 'x', datatype, shape: [2, 3], data: expected });

      const nested = decodeTensor({ ...flat, data: nest(data, [2, 3]) }, s);
      expect(nested).toEqual(tensor);
      // And once more through: encode then decode gives the same tensor.
      expect(decodeTensor(encodeTensor('x', tensor), s)).toEqual(tensor);
    },
  );

  it('walks any depth of nesting, including ragged-but-complete and deeper than the rank', () => {
    const s = spec('t', 'INT32', [2, 2, 2]);
    const want = decodeTensor(
      { name: 't', datatype: 'INT32', shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] },
      s,
    );
    for (const data of [
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      [[[[1]], [[2]]], 3, [4, [5, [6, [7, [8]]]]]],
    ]) {
      expect(decodeTensor({ name: 't', datatype: 'INT32', shape: [2, 2, 2], data }, s)).toEqual(want);
    }
  });

  it('takes INT64 as numbers, decimal strings beyond 2^53, and 0/1 for BOOL', () => {
    const big = decodeTensor(
      { name: 'i', datatype: 'INT64', shape: [3], data: ['9223372036854775807', '-9223372036854775808', 7] },
      spec('i', 'INT64', [-1]),
    );
    expect([...(big.data as BigInt64Array)]).toEqual([2n ** 63n - 1n, -(2n ** 63n), 7n]);
    const bools = decodeTensor(
      { name: 'b', datatype: 'BOOL', shape: [3], data: [1, 0, true] },
      spec('b', 'BOOL', [-1]),
    );
    expect(encodeTensor('b', bools).data).toEqual([true, false, true]);
  });

  it('decodes base64 BYTES when the input says content_type base64', () => {
    const t = decodeTensor(
      {
        name: 's',
        datatype: 'BYTES',
        shape: [2],
        data: ['aMOpbGxv', 'eA=='],
        parameters: { content_type: 'base64' },
      },
      spec('s', 'BYTES', [-1]),
    );
    expect(t.data).toEqual(['héllo', 'x']);
  });

  it('handles empty batches and scalars', () => {
    const empty = decodeTensor(
      { name: 'x', datatype: 'FP32', shape: [0, 3], data: [] },
      spec('x', 'FP32', [-1, 3]),
    );
    expect(empty.data).toEqual(new Float32Array(0));
    const scalar = decodeTensor(
      { name: 'x', datatype: 'FP64', shape: [], data: [2.5] },
      spec('x', 'FP64', []),
    );
    expect(encodeTensor('x', scalar)).toEqual({ name: 'x', datatype: 'FP64', shape: [], data: [2.5] });
  });

  it('converts FP16 with round-to-nearest-even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up past the largest half: infinity
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // exact tie between 0 and the smallest subnormal: even
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even (1)
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: even (1+2^-9)
    expect(toFloat16Bits(Number.NaN)).toBe(0x7e00);
    expect(fromFloat16Bits(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(fromFloat16Bits(0x7e00))).toBe(true);
    for (let bits = 0; bits < 0x7c00; bits += 7) {
      expect(toFloat16Bits(fromFloat16Bits(bits))).toBe(bits);
      expect(toFloat16Bits(-fromFloat16Bits(bits))).toBe(bits | 0x8000);
    }
  });

  it('maps every datatype to an onnxruntime type and back', () => {
    for (const { datatype } of CASES) {
      expect(datatypeOfOrtType(DATATYPE_TO_ORT_TYPE[datatype])).toBe(datatype);
      if (datatype !== 'BYTES') expect(TYPED_ARRAY_CONSTRUCTORS[datatype]).toBeDefined();
    }
    expect(datatypeOfOrtType('int4')).toBeNull();
  });
});

describe('TensorCodec against a signature', () => {
  const signature: Signature = {
    inputs: [spec('input_ids', 'INT64', [-1, -1]), spec('attention_mask', 'INT64', [-1, -1])],
    outputs: [spec('logits', 'FP32', [-1, 3]), spec('label', 'INT64', [-1])],
  };
  const codec = new TensorCodec(new SignatureIndex(signature));
  const ids = { name: 'input_ids', datatype: 'INT64', shape: [1, 2], data: [5, 6] };
  const mask = { name: 'attention_mask', datatype: 'INT64', shape: [1, 2], data: [1, 1] };

  it('decodes every input, in any order, into named tensors', () => {
    const inputs = codec.decodeInputs([mask, ids]);
    expect(Object.keys(inputs).sort()).toEqual(['attention_mask', 'input_ids']);
    expect([...(inputs.input_ids.data as BigInt64Array)]).toEqual([5n, 6n]);
  });

  it('encodes outputs flat, in the model order or the requested one', () => {
    const outputs = {
      label: { datatype: 'INT64' as const, shape: [2], data: new BigInt64Array([1n, 0n]) },
      logits: { datatype: 'FP32' as const, shape: [2, 3], data: new Float32Array([0.5, 1, 2, 3, 4, 5]) },
    };
    expect(codec.encodeOutputs(outputs).map((o) => o.name)).toEqual(['logits', 'label']);
    expect(codec.encodeOutputs(outputs, ['label'])).toEqual([
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
    ]);
  });

  it('refuses an unknown input name (RUNTIME_UNKNOWN_INPUT)', () => {
    const e = caught(() => codec.decodeInputs([ids, mask, { ...ids, name: 'token_type_ids' }]));
    expect(e.code).toBe('RUNTIME_UNKNOWN_INPUT');
    expect(e.message).toBe(
      'input "token_type_ids" is not an input of the model; expected one of: input_ids, attention_mask',
    );
    expect(e.httpStatus).toBe(400);
  });

  it('refuses a missing input and a repeated one', () => {
    const missing = caught(() => codec.decodeInputs([ids]));
    expect(missing.code).toBe('RUNTIME_MISSING_INPUT');
    expect(missing.message).toBe(
      'input "attention_mask" is missing; the model takes input_ids, attention_mask',
    );
    const twice = caught(() => codec.decodeInputs([ids, ids, mask]));
    expect(twice.code).toBe('RUNTIME_INVALID_INPUT');
    expect(twice.message).toBe('input "input_ids" is given more than once');
    expect(caught(() => codec.decodeInputs([42])).message).toBe(
      'inputs[0]: expected an object with a string "name"',
    );
  });

  it('refuses inputs that disagree on the batch size', () => {
    const e = caught(() => codec.decodeInputs([ids, { ...mask, shape: [2, 1] }]));
    expect(e.code).toBe('RUNTIME_INPUT_SHAPE_MISMATCH');
    expect(e.message).toBe(
      'inputs disagree on the batch dimension: "input_ids" has 1 rows, "attention_mask" has 2',
    );
  });
});

describe('refusals of one input', () => {
  const features = spec('features', 'FP32', [-1, 30]);
  const row = Array.from({ length: 30 }, (_, i) => i / 10);

  it('wrong datatype: RUNTIME_INPUT_DATATYPE_MISMATCH', () => {
    const e = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP64', shape: [1, 30], data: row }, features),
    );
    expect(e.code).toBe('RUNTIME_INPUT_DATATYPE_MISMATCH');
    expect(e.message).toBe('input "features": expected datatype FP32, got FP64');
    const unknown = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FLOAT', shape: [1, 30], data: row }, features),
    );
    expect(unknown.message).toBe('input "features": expected datatype FP32, got FLOAT');
  });

  it('shape against the spec: RUNTIME_INPUT_SHAPE_MISMATCH', () => {
    const e = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [2, 29], data: row }, features),
    );
    expect(e.code).toBe('RUNTIME_INPUT_SHAPE_MISMATCH');
    expect(e.message).toBe('input "features": expected shape [-1,30], got [2,29]');
    expect(e.details).toEqual({ input: 'features', expected: [-1, 30], got: [2, 29] });
    const rank = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [30], data: row }, features),
    );
    expect(rank.message).toBe('input "features": expected shape [-1,30], got [30]');
    const negative = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [-1, 30], data: row }, features),
    );
    expect(negative.message).toBe('input "features": expected shape [-1,30], got [-1,30]');
    const notList = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: 3 as never, data: row }, features),
    );
    expect(notList.code).toBe('RUNTIME_INVALID_INPUT');
  });

  it('data that does not fill the shape: RUNTIME_INPUT_SHAPE_MISMATCH', () => {
    const short = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [2, 30], data: row }, features),
    );
    expect(short.code).toBe('RUNTIME_INPUT_SHAPE_MISMATCH');
    expect(short.message).toBe('input "features": shape [2,30] holds 60 values, got 30');
    const nested = caught(() =>
      decodeTensor(
        { name: 'features', datatype: 'FP32', shape: [2, 30], data: [row, row.slice(1)] },
        features,
      ),
    );
    expect(nested.message).toBe('input "features": shape [2,30] holds 60 values, got 59');
    // A huge claimed shape is compared with the data before anything is allocated.
    const huge = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [1e9, 30], data: row }, features),
    );
    expect(huge.message).toBe('input "features": shape [1000000000,30] holds 30000000000 values, got 30');
  });

  it('a value of the wrong kind: RUNTIME_INVALID_INPUT naming the index', () => {
    const bad = [...row];
    bad[7] = 'abc' as never;
    const e = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [1, 30], data: bad }, features),
    );
    expect(e.code).toBe('RUNTIME_INVALID_INPUT');
    expect(e.message).toBe('input "features": value at index 7 is "abc", expected a number');
    expect(e.details).toMatchObject({ input: 'features', index: 7 });
    const nullValue = caught(() =>
      decodeTensor(
        { name: 'features', datatype: 'FP32', shape: [2, 30], data: [row, [...row.slice(0, 29), null]] },
        features,
      ),
    );
    expect(nullValue.message).toBe('input "features": value at index 59 is null, expected a number');
  });

  it('integers out of range, fractions, and non-booleans', () => {
    const cases: [Datatype, unknown, string][] = [
      ['INT8', 128, 'value at index 1 is 128, expected an integer in [-128, 127]'],
      ['UINT8', -1, 'value at index 1 is -1, expected an integer in [0, 255]'],
      ['INT32', 1.5, 'value at index 1 is 1.5, expected an integer in [-2147483648, 2147483647]'],
      [
        'INT64',
        1.5,
        'value at index 1 is 1.5, expected an integer in [-9223372036854775808, 9223372036854775807]',
      ],
      ['UINT64', -3, 'value at index 1 is -3, expected an integer in [0, 18446744073709551615]'],
      [
        'INT64',
        '12x',
        'value at index 1 is "12x", expected an integer in [-9223372036854775808, 9223372036854775807]',
      ],
      ['BOOL', 2, 'value at index 1 is 2, expected true or false'],
      ['BYTES', 3, 'value at index 1 is 3, expected a string'],
      ['FP32', true, 'value at index 1 is true, expected a number'],
    ];
    for (const [datatype, value, message] of cases) {
      const good = datatype === 'BOOL' ? true : datatype === 'BYTES' ? 'ok' : 0;
      const e = caught(() =>
        decodeTensor({ name: 'v', datatype, shape: [2], data: [good, value] }, spec('v', datatype, [-1])),
      );
      expect(e.code).toBe('RUNTIME_INVALID_INPUT');
      expect(e.message).toBe(`input "v": ${message}`);
    }
  });

  it('data that is not an array, or nested too deep', () => {
    const e = caught(() =>
      decodeTensor({ name: 'features', datatype: 'FP32', shape: [1, 30], data: 'x' }, features),
    );
    expect(e.message).toBe('input "features": "data" must be an array');
    let deep: unknown = [1];
    for (let i = 0; i < 100; i++) deep = [deep];
    const d = caught(() =>
      decodeTensor({ name: 'x', datatype: 'FP32', shape: [1], data: deep }, spec('x', 'FP32', [-1])),
    );
    expect(d.message).toBe('input "x": "data" is nested deeper than 32');
  });
});

describe('data already decoded into a typed array (the V2 body reader)', () => {
  const features = spec('features', 'FP32', [-1, 30]);
  const row = Array.from({ length: 30 }, (_, i) => i / 7);

  it("is used as it is when it is the datatype's own array", () => {
    const data = new Float32Array(row);
    const tensor = decodeTensor({ name: 'features', datatype: 'FP32', shape: [1, 30], data }, features);
    expect(tensor.data).toBe(data);
    expect(tensor.shape).toEqual([1, 30]);
  });

  it('is checked like any data: length against the shape, array type against the datatype', () => {
    const short = caught(() =>
      decodeTensor(
        { name: 'features', datatype: 'FP32', shape: [2, 30], data: new Float32Array(row) },
        features,
      ),
    );
    expect(short.message).toBe('input "features": shape [2,30] holds 60 values, got 30');
    const other = caught(() =>
      decodeTensor(
        { name: 'features', datatype: 'FP32', shape: [1, 30], data: new Float64Array(row) },
        features,
      ),
    );
    expect(other.code).toBe('RUNTIME_INVALID_INPUT');
    expect(other.message).toBe('input "features": "data" holds FP64 values, expected FP32');
  });
});

describe('outputs as JSON text', () => {
  it('write exactly what JSON.stringify writes of the encoded outputs, for every datatype', () => {
    const outputs: TensorMap = Object.fromEntries(
      [
        ...CASES.map((c) => {
          const decoded = decodeTensor(
            { name: c.datatype, datatype: c.datatype, shape: [2, 3], data: c.data },
            spec(c.datatype, c.datatype, [-1, 3]),
          );
          return [c.datatype, decoded];
        }),
        [
          'FP64',
          { datatype: 'FP64', shape: [5], data: Float64Array.from([Number.NaN, Infinity, -0, 1e21, 1e-7]) },
        ],
        ['FP32 odd', { datatype: 'FP32', shape: [3], data: Float32Array.from([Number.NaN, -Infinity, 0.1]) }],
        [
          'BYTES',
          { datatype: 'BYTES', shape: [3], data: ['plain', 'a "quote" \\ and \n', 'ünïcödé \u2028'] },
        ],
        ['empty', { datatype: 'FP32', shape: [0, 2], data: new Float32Array(0) }],
      ].map(([name, t]) => [name as string, t as Tensor]),
    );
    const names = Object.keys(outputs);
    const codec = new TensorCodec(
      new SignatureIndex({
        inputs: [],
        outputs: names.map((n) =>
          spec(
            n,
            outputs[n].datatype,
            outputs[n].shape.map(() => -1),
          ),
        ),
      }),
    );
    expect(codec.encodeOutputsJson(outputs)).toBe(JSON.stringify(codec.encodeOutputs(outputs)));
    const some = [names[3], names[0]];
    expect(codec.encodeOutputsJson(outputs, some)).toBe(JSON.stringify(codec.encodeOutputs(outputs, some)));
  });
});
