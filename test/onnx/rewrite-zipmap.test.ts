import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { classLabelsOf } from '../../src/onnx/class-labels.js';
import { onnx } from '../../src/onnx/onnx-proto.js';
import { decodeOnnxModel, describeOnnxModel, signatureOf } from '../../src/onnx/read-onnx-model.js';
import { rewriteZipMap } from '../../src/onnx/rewrite-zipmap.js';

// A scikit-learn LogisticRegression exported by skl2onnx with its default ZipMap, and what
// scikit-learn itself computed for five rows (predict and predict_proba).
const ZIPMAP = path.resolve('test/fixtures/zipmap-logreg.onnx');
const EXPECTED: { inputs: number[][]; labels: string[]; probabilities: number[][] } = JSON.parse(
  fs.readFileSync(path.resolve('test/fixtures/zipmap-logreg.expected.json'), 'utf8'),
);

function decode(file: string) {
  return decodeOnnxModel(fs.readFileSync(file), path.basename(file));
}

describe('ZipMap rewrite', () => {
  it('turns the sequence of maps into the FP32 [-1,3] probability tensor with its class labels', () => {
    const rewrite = rewriteZipMap(decode(ZIPMAP), 'zipmap-logreg.onnx');
    expect(rewrite).not.toBeNull();
    expect(rewrite!.classLabels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(rewrite!.outputs).toEqual(['output_probability']);
    const signature = signatureOf(describeOnnxModel(rewrite!.model), 'zipmap-logreg.onnx');
    expect(signature.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
      { name: 'output_label', datatype: 'BYTES', shape: [-1] },
      { name: 'output_probability', datatype: 'FP32', shape: [-1, 3] },
    ]);
    expect(signature.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
      { name: 'features', datatype: 'FP32', shape: [-1, 4] },
    ]);
    // No ZipMap is left in the graph.
    expect(rewrite!.model.graph!.node!.map((n) => n.opType)).not.toContain('ZipMap');
  });

  it('the rewritten model, run by onnxruntime, gives scikit-learn’s probabilities and labels', async () => {
    const rewrite = rewriteZipMap(decode(ZIPMAP), 'zipmap-logreg.onnx')!;
    const bytes = onnx.ModelProto.encode(rewrite.model).finish();
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    try {
      const rows = EXPECTED.inputs.length;
      const features = new ort.Tensor('float32', Float32Array.from(EXPECTED.inputs.flat()), [rows, 4]);
      const result = await session.run({ features });
      const probs = result.output_probability;
      expect(probs.type).toBe('float32');
      expect(probs.dims).toEqual([rows, 3]);
      const data = probs.data as Float32Array;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < 3; c++) {
          const got = data[r * 3 + c];
          const want = EXPECTED.probabilities[r][c];
          // numpy.allclose(rtol=1e-4, atol=1e-7): float32 against scikit-learn's float64.
          expect(Math.abs(got - want), `row ${r} class ${c}: ${got} vs ${want}`).toBeLessThanOrEqual(
            1e-4 * Math.abs(want) + 1e-7,
          );
        }
      }
      expect(Array.from(result.output_label.data as string[])).toEqual(EXPECTED.labels);
    } finally {
      await session.release();
    }
  });

  it('leaves a model without ZipMap alone', () => {
    expect(rewriteZipMap(decode(path.resolve('examples/models/iris-classifier/model.onnx')), 'x')).toBeNull();
    const mlp = path.resolve(process.cwd(), '../shared/fixtures/breast_cancer_mlp/model.onnx');
    expect(rewriteZipMap(decode(mlp), 'x')).toBeNull();
  });

  it('does not change the model it was given', () => {
    const model = decode(ZIPMAP);
    const before = Buffer.from(onnx.ModelProto.encode(model).finish());
    rewriteZipMap(model, 'zipmap-logreg.onnx');
    expect(Buffer.from(onnx.ModelProto.encode(model).finish()).equals(before)).toBe(true);
  });

  it('refuses a ZipMap without class labels, saying how to export without it', () => {
    const model = decode(ZIPMAP);
    const zipmap = model.graph!.node!.find((n) => n.opType === 'ZipMap')!;
    zipmap.attribute = [];
    expect(() => rewriteZipMap(model, 'nolabels.onnx')).toThrow(
      expect.objectContaining({
        code: 'ONNX_UNSUPPORTED_OUTPUT',
        message: expect.stringContaining('"zipmap": False'),
      }),
    );
  });
});

describe('class labels of ai.onnx.ml classifiers', () => {
  it('reads string labels in probability-column order, integer labels as strings, none for a net', () => {
    expect(classLabelsOf(decode(path.resolve('examples/models/iris-classifier/model.onnx')))).toEqual([
      'setosa',
      'versicolor',
      'virginica',
    ]);
    const fixtures = path.resolve(process.cwd(), '../shared/fixtures');
    expect(classLabelsOf(decode(path.join(fixtures, 'breast_cancer_gbdt/model.onnx')))).toEqual(['0', '1']);
    expect(classLabelsOf(decode(path.join(fixtures, 'breast_cancer_mlp/model.onnx')))).toBeNull();
  });
});
