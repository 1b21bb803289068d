import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheck } from '../../src/onnx/load-check.js';
import { onnx } from '../../src/onnx/onnx-proto.js';
import { decodeOnnxModel, describeOnnxModel, signatureOf } from '../../src/onnx/read-onnx-model.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const ORT_VERSION: string = JSON.parse(
  fs.readFileSync(path.resolve('node_modules/onnxruntime-node/package.json'), 'utf8'),
).version;

function prepare(bytes: Uint8Array) {
  const model = decodeOnnxModel(bytes, 'model.onnx');
  return signatureOf(describeOnnxModel(model), 'model.onnx');
}

describe('load check', () => {
  for (const model of ['breast_cancer_mlp', 'breast_cancer_gbdt', 'digits_cnn', 'token_classifier']) {
    it(`${model} loads and runs one row of zeros`, async () => {
      const bytes = fs.readFileSync(path.join(FIXTURES, model, 'model.onnx'));
      const result = await loadCheck(bytes, prepare(bytes), model);
      expect(result.loadMs).toBeGreaterThan(0);
      expect(result.firstRunMs).toBeGreaterThan(0);
      expect(result.residentBytes).toBeGreaterThanOrEqual(0);
      expect(result.onnxruntimeVersion).toBe(ORT_VERSION);
    });
  }

  it('a model that decodes but onnxruntime cannot load fails with ONNX_LOAD_FAILED', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'breast_cancer_mlp/model.onnx'));
    const model = decodeOnnxModel(bytes, 'mlp.onnx');
    // An operator set from the future: the protobuf is fine, the runtime knows no such opset.
    model.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 999 })];
    const broken = onnx.ModelProto.encode(model).finish();
    await expect(loadCheck(broken, prepare(broken), 'future.onnx')).rejects.toMatchObject({
      code: 'ONNX_LOAD_FAILED',
      message: expect.stringMatching(/^future\.onnx: onnxruntime could not load the model: /),
    });
  });

  it('a model that loads but fails on one row fails with ONNX_LOAD_FAILED', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'breast_cancer_mlp/model.onnx'));
    const signature = prepare(bytes);
    // Declare a wrong input width: the Gemm inside cannot multiply [1,29] by its [30,n] weights.
    const lying = { ...signature, inputs: [{ ...signature.inputs[0], shape: [-1, 29] }] };
    await expect(loadCheck(bytes, lying, 'mlp.onnx')).rejects.toMatchObject({ code: 'ONNX_LOAD_FAILED' });
  });
});
