import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NUMPY_TO_DATATYPE, type TensorSpec } from '../../src/core/tensor-types.js';
import { onnx } from '../../src/onnx/onnx-proto.js';
import { decodeOnnxModel, describeOnnxModel, signatureOf } from '../../src/onnx/read-onnx-model.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const MODELS = [
  'breast_cancer_mlp',
  'breast_cancer_gbdt',
  'digits_cnn',
  'token_classifier',
  'image_mobilenet_v3_small',
] as const;

interface MetaTensor {
  name: string;
  dtype: string;
  shape: (number | null)[];
}
interface Meta {
  framework: string;
  inputs: MetaTensor[];
  outputs: MetaTensor[];
  opsets?: Record<string, number>;
  producer?: string;
}

const meta = (model: string): Meta =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, model, 'meta.json'), 'utf8'));
const modelBytes = (model: string): Buffer => fs.readFileSync(path.join(FIXTURES, model, 'model.onnx'));

/** meta.json's numpy view, in V2 names: dtype through NUMPY_TO_DATATYPE, null dimensions as -1. */
function expectedSpecs(tensors: MetaTensor[]): Omit<TensorSpec, 'dimNames'>[] {
  return tensors.map((t) => {
    const datatype = NUMPY_TO_DATATYPE[t.dtype];
    if (!datatype) throw new Error(`meta.json dtype ${t.dtype} has no V2 datatype`);
    return { name: t.name, datatype, shape: t.shape.map((d) => d ?? -1) };
  });
}

const withoutDimNames = (specs: TensorSpec[]) => specs.map(({ dimNames: _d, ...rest }) => rest);

function read(bytes: Uint8Array, label = 'model.onnx') {
  const info = describeOnnxModel(decodeOnnxModel(bytes, label));
  return { info, signature: signatureOf(info, label) };
}

describe('signature of every fixture model', () => {
  for (const model of MODELS) {
    it(`${model}: names, datatypes and shapes equal meta.json`, () => {
      const { signature } = read(modelBytes(model), model);
      const m = meta(model);
      expect(withoutDimNames(signature.inputs)).toEqual(expectedSpecs(m.inputs));
      expect(withoutDimNames(signature.outputs)).toEqual(expectedSpecs(m.outputs));
      // A symbolic name, where kept, belongs to a dynamic dimension only.
      for (const spec of [...signature.inputs, ...signature.outputs]) {
        if (!spec.dimNames) continue;
        expect(spec.dimNames).toHaveLength(spec.shape.length);
        spec.dimNames.forEach((n, i) => {
          if (n !== null) expect(spec.shape[i]).toBe(-1);
        });
      }
    });
  }

  it('keeps the symbolic names of dynamic dimensions', () => {
    const dims = (model: string) => {
      const { signature } = read(modelBytes(model), model);
      return Object.fromEntries(
        [...signature.inputs, ...signature.outputs].map((s) => [s.name, s.dimNames ?? null]),
      );
    };
    expect(dims('token_classifier')).toEqual({
      input_ids: ['batch', 'seq'],
      attention_mask: ['batch', 'seq'],
      logits: ['batch', null],
    });
    expect(dims('breast_cancer_mlp')).toEqual({
      features: ['batch', null],
      probabilities: ['batch', null],
    });
    expect(dims('image_mobilenet_v3_small').pixel_values).toEqual(['batch', null, null, null]);
  });

  it('records producer and opsets (mobilenet: as its meta.json states them)', () => {
    const m = meta('image_mobilenet_v3_small');
    const { info } = read(modelBytes('image_mobilenet_v3_small'));
    expect(info.opsets).toEqual(m.opsets);
    expect(`${info.producerName} ${info.producerVersion}`).toBe(m.producer);
    expect(info.irVersion).toBeGreaterThan(0);
  });

  it('records producer and opsets of the PyTorch 1.13 and scikit-learn exports (fixtures README)', () => {
    for (const model of ['breast_cancer_mlp', 'digits_cnn', 'token_classifier']) {
      const { info } = read(modelBytes(model));
      expect({ model, name: info.producerName, version: info.producerVersion, opsets: info.opsets }).toEqual({
        model,
        name: 'pytorch',
        version: '1.13.0',
        opsets: { 'ai.onnx': 15 },
      });
    }
    // The tree ensemble lives in the ai.onnx.ml domain, which has its own opset.
    const { info } = read(modelBytes('breast_cancer_gbdt'));
    expect(Object.keys(info.opsets).sort()).toEqual(['ai.onnx', 'ai.onnx.ml']);
  });
});

describe('files that are not ONNX models', () => {
  const mlp = modelBytes('breast_cancer_mlp');

  // Deterministic "random" bytes (an LCG), so the message checked below never changes between runs.
  function noise(n: number, seed = 42): Buffer {
    const out = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  }

  const cases: [string, Buffer, RegExp][] = [
    ['a zip archive', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(200)]), /zip archive/],
    ['a Python pickle', Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), noise(200)]), /pickle/],
    ['an empty file', Buffer.alloc(0), /empty file/],
    ['the first 100 bytes of a model', mlp.subarray(0, 100), /truncated/],
    ['half of a model', mlp.subarray(0, Math.floor(mlp.length / 2)), /truncated/],
    ['random bytes', noise(4096), /not a valid ONNX model/],
    ['a JSON file', Buffer.from('{"inputs": [[1, 2, 3]]}'), /JSON/],
    ['a gzip file', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), noise(100)]), /gzip/],
    ['an MLmodel file', Buffer.from('flavors:\n  onnx:\n    data: model.onnx\n'), /MLmodel/],
    [
      'a protobuf that holds no graph',
      Buffer.from(onnx.ModelProto.encode({ irVersion: 8, producerName: 'x' }).finish()),
      /no graph/,
    ],
  ];

  for (const [what, bytes, message] of cases) {
    it(`refuses ${what} with ONNX_INVALID_MODEL, naming the file and the problem`, () => {
      let caught: unknown;
      try {
        decodeOnnxModel(bytes, 'upload.onnx');
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ name: 'SlipwayError', code: 'ONNX_INVALID_MODEL' });
      const text = (caught as Error).message;
      expect(text).toMatch(message);
      expect(text).toMatch(/^upload\.onnx /);
      expect(text).not.toContain('\n');
    });
  }

  it('refuses every truncation of every fixture (each tail byte, and a stride through the rest)', () => {
    const files = [
      ...MODELS.filter((m) => m !== 'image_mobilenet_v3_small').map((m) =>
        path.join(FIXTURES, m, 'model.onnx'),
      ),
      path.resolve('test/fixtures/zipmap-logreg.onnx'),
    ];
    let checked = 0;
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      const cuts = new Set<number>();
      for (let n = 1; n < bytes.length; n += 97) cuts.add(n);
      for (let n = Math.max(1, bytes.length - 300); n < bytes.length; n++) cuts.add(n);
      for (const n of cuts) {
        let code: string | undefined;
        try {
          decodeOnnxModel(bytes.subarray(0, n), 'cut.onnx');
        } catch (err) {
          code = (err as { code?: string }).code;
        }
        // A cut just before the last opset_import still decodes; the opset check must catch it.
        expect({ file: path.basename(path.dirname(file)), n, code }).toEqual({
          file: path.basename(path.dirname(file)),
          n,
          code: 'ONNX_INVALID_MODEL',
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('names the missing opset when a node’s domain is not imported', () => {
    const model = decodeOnnxModel(modelBytes('breast_cancer_gbdt'), 'gbdt.onnx');
    model.opsetImport = model.opsetImport!.filter((o) => o.domain !== 'ai.onnx.ml');
    const bytes = onnx.ModelProto.encode(model).finish();
    expect(() => decodeOnnxModel(bytes, 'gbdt.onnx')).toThrow(/domain "ai\.onnx\.ml"/);
  });
});

describe('values that are not tensors', () => {
  it('signatureOf refuses a ZipMap output with ONNX_UNSUPPORTED_OUTPUT naming it', () => {
    const bytes = fs.readFileSync(path.resolve('test/fixtures/zipmap-logreg.onnx'));
    const info = describeOnnxModel(decodeOnnxModel(bytes, 'zipmap.onnx'));
    const out = info.outputs.find((o) => o.name === 'output_probability');
    expect(out).toMatchObject({ kind: 'other', description: 'sequence of maps (a ZipMap)' });
    expect(() => signatureOf(info, 'zipmap.onnx')).toThrow(
      expect.objectContaining({
        code: 'ONNX_UNSUPPORTED_OUTPUT',
        message: expect.stringMatching(/"output_probability".*ZipMap/),
      }),
    );
  });
});
