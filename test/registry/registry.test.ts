import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NUMPY_TO_DATATYPE } from '../../src/core/tensor-types.js';
import { type ModelVersionRecord, openSlipway, type Slipway } from '../../src/index.js';
import { onnx } from '../../src/onnx/onnx-proto.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const MODELS = [
  'breast_cancer_mlp',
  'breast_cancer_gbdt',
  'digits_cnn',
  'token_classifier',
  'image_mobilenet_v3_small',
] as const;
const MLFLOW_DIR = path.resolve('test/fixtures/mlflow-onnx-iris');
const ZIPMAP = path.resolve('test/fixtures/zipmap-logreg.onnx');
const IRIS = path.resolve('examples/models/iris-classifier/model.onnx');
const TRAIN_CSV = '../shared/fixtures/datasets/breast_cancer_train.csv';

interface Meta {
  inputs: { name: string; dtype: string; shape: (number | null)[] }[];
  outputs: { name: string; dtype: string; shape: (number | null)[] }[];
  feature_names?: string[];
}

const meta = (model: string): Meta =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, model, 'meta.json'), 'utf8'));
const modelFile = (model: string) => path.join(FIXTURES, model, 'model.onnx');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sha256File = (file: string) => sha256(fs.readFileSync(file));
const packageVersion = (dir: string): string =>
  JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every regular file under `dir`, as sorted relative paths. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const artifactFiles = (s: Slipway) => filesUnder(path.join(s.config.home, 'artifacts', 'sha256'));

/** Everything a failed call must leave exactly as it was. */
async function snapshot(s: Slipway) {
  const models = await s.registry.listModels();
  const versions: Record<string, ModelVersionRecord[]> = {};
  for (const m of models) versions[m.name] = await s.registryStore.listVersions(m.name);
  return {
    models,
    versions,
    artifacts: artifactFiles(s),
    changes: await s.registryStore.changesSince(0),
  };
}

function expectMetaSignature(v: ModelVersionRecord, model: string): void {
  const m = meta(model);
  const expected = (ts: Meta['inputs']) =>
    ts.map((t) => ({
      name: t.name,
      datatype: NUMPY_TO_DATATYPE[t.dtype],
      shape: t.shape.map((d) => d ?? -1),
    }));
  const strip = (ts: ModelVersionRecord['signature']['inputs']) =>
    ts.map(({ name, datatype, shape }) => ({ name, datatype, shape }));
  expect(strip(v.signature.inputs)).toEqual(expected(m.inputs));
  expect(strip(v.signature.outputs)).toEqual(expected(m.outputs));
}

describe('registering every fixture', () => {
  let s: Slipway;
  const versions: Record<string, ModelVersionRecord> = {};

  beforeAll(async () => {
    s = await openSlipway({ home: tempDir() });
    for (const model of MODELS) {
      versions[model] = await s.registry.register({ name: model.replace(/_/g, '-'), path: modelFile(model) });
    }
    versions.mlflow = await s.registry.register({ name: 'mlflow-iris', path: MLFLOW_DIR });
    versions.zipmap = await s.registry.register({ name: 'zipmap-logreg', path: ZIPMAP });
  });
  afterAll(async () => {
    await s.close();
  });

  for (const model of MODELS) {
    it(`${model}: READY, with the signature of its meta.json and the sha256 of its file`, async () => {
      const v = versions[model];
      expect(v).toMatchObject({ version: 1, status: 'READY', sourceFormat: 'onnx' });
      expectMetaSignature(v, model);
      expect(v.modelSha256).toBe(sha256File(modelFile(model)));
      expect(v.lineage.modelFileSha256).toBe(v.modelSha256);
      // What the store returns later is what registration returned.
      expect(await s.registry.resolve(`${v.name}:1`)).toEqual(v);
      const load = v.metadata.loadCheck as { loadMs: number; residentBytes: number };
      expect(load.loadMs).toBeGreaterThan(0);
      expect(load.residentBytes).toBeGreaterThanOrEqual(0);
    });

    it(`${model}: download returns byte-identical files`, async () => {
      const out = tempDir();
      const { files } = await s.registry.download(`${versions[model].name}:1`, out);
      expect(files).toEqual([path.join(out, 'model.onnx')]);
      expect(sha256File(files[0])).toBe(sha256File(modelFile(model)));
    });
  }

  it('the MLflow directory downloads as every one of its files, byte for byte', async () => {
    const out = tempDir();
    await s.registry.download('mlflow-iris', out);
    const original = filesUnder(MLFLOW_DIR);
    expect(original.length).toBeGreaterThanOrEqual(7);
    expect(filesUnder(out)).toEqual(original);
    for (const f of original) {
      expect({ f, sha: sha256File(path.join(out, f)) }).toEqual({
        f,
        sha: sha256File(path.join(MLFLOW_DIR, f)),
      });
    }
  });

  it('the MLflow directory keeps its MLmodel metadata and takes feature names from its signature', async () => {
    const v = versions.mlflow;
    expect(v).toMatchObject({ sourceFormat: 'mlflow', status: 'READY', sourcePath: MLFLOW_DIR });
    expect(v.metadata.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    const mlflow = v.metadata.mlflow as {
      flavors: string[];
      mlflowVersion: string;
      modelUuid: string;
      signature: { inputs: string; outputs: string };
      inputExample: unknown;
    };
    expect(mlflow.flavors.sort()).toEqual(['onnx', 'python_function']);
    expect(mlflow.mlflowVersion).toBe('3.1.1');
    expect(mlflow.modelUuid).toBe('da485432d9674a378416eaf3fa679a0b');
    expect(JSON.parse(mlflow.signature.inputs).map((c: { name: string }) => c.name)).toEqual(
      v.metadata.featureNames,
    );
    expect(JSON.parse(mlflow.signature.outputs)).toEqual([
      { type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } },
    ]);
    expect(mlflow.inputExample).toEqual(
      JSON.parse(fs.readFileSync(path.join(MLFLOW_DIR, 'input_example.json'), 'utf8')),
    );
    const manifest = await s.registry.manifest(v);
    expect(manifest.files.map((f) => f.path)).toEqual(filesUnder(MLFLOW_DIR));
    expect(v.modelSha256).toBe(sha256File(path.join(MLFLOW_DIR, 'model.onnx')));
  });

  it('a ZipMap classifier is served rewritten but downloads as it was given', async () => {
    const v = versions.zipmap;
    expect(v.signature.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
      { name: 'output_label', datatype: 'BYTES', shape: [-1] },
      { name: 'output_probability', datatype: 'FP32', shape: [-1, 3] },
    ]);
    expect(v.metadata.classLabels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(v.metadata.rewrittenZipMapOutputs).toEqual(['output_probability']);
    expect(v.lineage.modelFileSha256).toBe(sha256File(ZIPMAP));
    expect(v.modelSha256).not.toBe(v.lineage.modelFileSha256);
    expect(sha256(await s.registry.servedModelBytes(v))).toBe(v.modelSha256);
    const out = tempDir();
    const { files } = await s.registry.download('zipmap-logreg:1', out);
    expect(sha256File(files[0])).toBe(sha256File(ZIPMAP));
  });

  it('every stored artifact file hashes to its own name', () => {
    const files = artifactFiles(s);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const digest = f.split(path.sep).join('');
      expect(sha256File(path.join(s.config.home, 'artifacts', 'sha256', f))).toBe(digest);
    }
  });
});

describe('registry', () => {
  let s: Slipway;
  beforeEach(async () => {
    s = await openSlipway({ home: tempDir() });
  });
  afterEach(async () => {
    await s.close();
  });

  it('registering the same file twice stores its bytes once; versions are 1 then 2', async () => {
    const v1 = await s.registry.register({ name: 'iris', path: IRIS });
    const after1 = artifactFiles(s);
    // The model file and the manifest.
    expect(after1).toHaveLength(2);
    const v2 = await s.registry.register({ name: 'iris', path: IRIS });
    const v3 = await s.registry.register({ name: 'iris-copy', path: IRIS });
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 1]);
    expect(artifactFiles(s)).toEqual(after1);
    expect(v2.modelSha256).toBe(v1.modelSha256);
    expect(v2.manifestSha256).toBe(v1.manifestSha256);
    expect((await s.registry.listVersions('iris')).map((v) => v.version)).toEqual([1, 2]);
    expect(fs.readdirSync(path.join(s.config.home, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('resolves name (champion, else latest), name:N, name@alias and models:/ references', async () => {
    for (let i = 0; i < 3; i++) await s.registry.register({ name: 'iris', path: IRIS });
    const version = async (ref: string) => (await s.registry.resolve(ref)).version;
    expect(await version('iris')).toBe(3);
    await s.registry.setAlias('iris', 'champion', 1);
    await s.registry.setAlias('iris', 'challenger', 2);
    expect(await version('iris')).toBe(1);
    expect(await version('iris:2')).toBe(2);
    expect(await version('iris@champion')).toBe(1);
    expect(await version('iris@challenger')).toBe(2);
    expect(await version('models:/iris/2')).toBe(2);
    expect(await version('models:/iris@challenger')).toBe(2);
    await s.registry.setAlias('iris', 'champion', 3);
    expect(await version('iris')).toBe(3);
    await s.registry.deleteAlias('iris', 'champion');
    await s.registry.register({ name: 'iris', path: IRIS });
    expect(await version('iris')).toBe(4);

    await expect(s.registry.resolve('iris@nope')).rejects.toMatchObject({ code: 'REGISTRY_ALIAS_NOT_FOUND' });
    await expect(s.registry.resolve('iris:9')).rejects.toMatchObject({ code: 'REGISTRY_VERSION_NOT_FOUND' });
    await expect(s.registry.resolve('ghost')).rejects.toMatchObject({ code: 'REGISTRY_MODEL_NOT_FOUND' });
    for (const bad of ['iris:abc', 'iris:0', 'iris:', 'a/b', 'models:/iris/x']) {
      await expect(s.registry.resolve(bad), bad).rejects.toMatchObject({
        code: expect.stringMatching(/^(REGISTRY_INVALID_REF|CORE_INVALID_NAME)$/),
      });
    }
  });

  it('records lineage: file sha256, producer, opsets, environment', async () => {
    const v = await s.registry.register({ name: 'mlp', path: modelFile('breast_cancer_mlp') });
    expect(v.lineage).toMatchObject({
      modelFileSha256: sha256File(modelFile('breast_cancer_mlp')),
      servedModelSha256: v.modelSha256,
      producer: { name: 'pytorch', version: '1.13.0' },
      opsets: { 'ai.onnx': 15 },
      irVersion: 8,
      environment: {
        node: process.versions.node,
        onnxruntime: packageVersion('node_modules/onnxruntime-node'),
        slipway: packageVersion('.'),
        platform: process.platform,
        arch: process.arch,
      },
    });
    const mobilenet = await s.registry.register({ name: 'mob', path: modelFile('image_mobilenet_v3_small') });
    const m = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'image_mobilenet_v3_small/meta.json'), 'utf8'));
    const producer = mobilenet.lineage.producer as { name: string; version: string };
    expect(`${producer.name} ${producer.version}`).toBe(m.producer);
    expect(mobilenet.lineage.opsets).toEqual(m.opsets);
  });

  it('records the code version: the git commit, its dirty flag, or --code-version', async () => {
    const repo = tempDir();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'train.py'), 'print("train")\n');
    git('add', 'train.py');
    git('commit', '-q', '-m', 'train');
    const head = git('rev-parse', 'HEAD');

    const clean = await s.registry.register({ name: 'iris', path: IRIS, cwd: repo });
    expect(clean.lineage.codeVersion).toEqual({ commit: head, dirty: false, source: 'git' });
    fs.appendFileSync(path.join(repo, 'train.py'), 'print("changed")\n');
    const dirty = await s.registry.register({ name: 'iris', path: IRIS, cwd: repo });
    expect(dirty.lineage.codeVersion).toEqual({ commit: head, dirty: true, source: 'git' });
    const explicit = await s.registry.register({
      name: 'iris',
      path: IRIS,
      cwd: repo,
      codeVersion: 'abc123',
    });
    expect(explicit.lineage.codeVersion).toEqual({ commit: 'abc123', dirty: null, source: 'explicit' });
    const outside = await s.registry.register({ name: 'iris', path: IRIS, cwd: tempDir() });
    expect(outside.lineage.codeVersion).toBeNull();
  });

  it('records a training dataset: rows, sha256, columns, and feature names in input order', async () => {
    const v = await s.registry.register({
      name: 'mlp',
      path: modelFile('breast_cancer_mlp'),
      dataset: TRAIN_CSV,
      target: 'target',
    });
    const header = fs.readFileSync(TRAIN_CSV, 'utf8').split('\n')[0].trim().split(',');
    expect(v.datasets).toEqual([
      {
        path: path.resolve(TRAIN_CSV),
        sha256: sha256File(TRAIN_CSV),
        rows: 398,
        columns: header,
        role: 'training',
        target: 'target',
      },
    ]);
    expect(v.metadata.featureNames).toEqual(meta('breast_cancer_mlp').feature_names);
  });

  it('registers a valid name of 128 characters', async () => {
    const name = `a${'-'.repeat(126)}z`;
    expect((await s.registry.register({ name, path: IRIS })).name).toBe(name);
  });

  it('emits version-registered and alias-moved', async () => {
    const seen: string[] = [];
    s.registry.events.on('version-registered', (v) => seen.push(`registered ${v.name}:${v.version}`));
    s.registry.events.on('alias-moved', (e) => seen.push(`alias ${e.name}@${e.alias}=${e.version}`));
    await s.registry.register({ name: 'iris', path: IRIS, aliases: ['champion'] });
    await s.registry.register({ name: 'iris', path: IRIS });
    await s.registry.setAlias('iris', 'champion', 2);
    await s.registry.deleteAlias('iris', 'champion');
    expect(seen).toEqual([
      'registered iris:1',
      'alias iris@champion=1',
      'registered iris:2',
      'alias iris@champion=2',
      'alias iris@champion=null',
    ]);
  });
});

describe('bad input fails with its code and leaves the registry exactly as it was', () => {
  let s: Slipway;
  let bad: string;
  beforeAll(async () => {
    s = await openSlipway({ home: tempDir() });
    await s.registry.register({ name: 'iris', path: IRIS, aliases: ['champion'] });
    bad = tempDir();
    const mlp = fs.readFileSync(modelFile('breast_cancer_mlp'));
    const gbdt = fs.readFileSync(modelFile('breast_cancer_gbdt'));
    fs.writeFileSync(
      path.join(bad, 'model.zip'),
      Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00junk', 'latin1'),
    );
    fs.writeFileSync(path.join(bad, 'model.pkl'), Buffer.from([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0]));
    fs.writeFileSync(path.join(bad, 'half.onnx'), mlp.subarray(0, mlp.length >> 1));
    // Cut just before its last opset import: still a well-formed protobuf.
    fs.writeFileSync(path.join(bad, 'cut.onnx'), gbdt.subarray(0, gbdt.length - 16));
    fs.writeFileSync(path.join(bad, 'empty.onnx'), Buffer.alloc(0));
    const future = onnx.ModelProto.decode(mlp);
    future.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 999 })];
    fs.writeFileSync(path.join(bad, 'future.onnx'), onnx.ModelProto.encode(future).finish());
    fs.mkdirSync(path.join(bad, 'not-mlflow'));
    fs.writeFileSync(path.join(bad, 'not-mlflow', 'model.onnx'), mlp);
    fs.mkdirSync(path.join(bad, 'broken-mlflow'));
    fs.writeFileSync(path.join(bad, 'broken-mlflow', 'MLmodel'), 'artifact_path: x\n');
    fs.writeFileSync(path.join(bad, 'bad-columns.csv'), 'a,b\n1,2\n3\n');
  });
  afterAll(async () => {
    await s.close();
  });

  const mlp = () => modelFile('breast_cancer_mlp');
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'a missing file',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'nope.onnx') }),
      'ARTIFACTS_FILE_NOT_FOUND',
    ],
    [
      'a zip',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'model.zip') }),
      'ONNX_INVALID_MODEL',
    ],
    [
      'a pickle',
      () => s.registry.register({ name: 'iris', path: path.join(bad, 'model.pkl') }),
      'ONNX_INVALID_MODEL',
    ],
    [
      'a truncated file',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'half.onnx') }),
      'ONNX_INVALID_MODEL',
    ],
    [
      'a file cut at an opset boundary',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'cut.onnx') }),
      'ONNX_INVALID_MODEL',
    ],
    [
      'an empty file',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'empty.onnx') }),
      'ONNX_INVALID_MODEL',
    ],
    [
      'a model onnxruntime cannot load',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'future.onnx') }),
      'ONNX_LOAD_FAILED',
    ],
    [
      'a folder without MLmodel',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'not-mlflow') }),
      'REGISTRY_INVALID_MLMODEL',
    ],
    [
      'an MLmodel without flavors',
      () => s.registry.register({ name: 'm', path: path.join(bad, 'broken-mlflow') }),
      'REGISTRY_INVALID_MLMODEL',
    ],
    [
      'an alias to a version that does not exist',
      () => s.registry.setAlias('iris', 'champion', 9),
      'REGISTRY_VERSION_NOT_FOUND',
    ],
    [
      'an alias on a model that does not exist',
      () => s.registry.setAlias('ghost', 'champion', 1),
      'REGISTRY_MODEL_NOT_FOUND',
    ],
    [
      'deleting an alias that does not exist',
      () => s.registry.deleteAlias('iris', 'nope'),
      'REGISTRY_ALIAS_NOT_FOUND',
    ],
    ['an empty name', () => s.registry.register({ name: '', path: IRIS }), 'CORE_INVALID_NAME'],
    ['a name with a space', () => s.registry.register({ name: 'a b', path: IRIS }), 'CORE_INVALID_NAME'],
    [
      'a name of 129 characters',
      () => s.registry.register({ name: 'x'.repeat(129), path: IRIS }),
      'CORE_INVALID_NAME',
    ],
    ['a name with a path', () => s.registry.register({ name: '../x', path: IRIS }), 'CORE_INVALID_NAME'],
    [
      'an invalid alias at registration',
      () => s.registry.register({ name: 'iris', path: IRIS, aliases: ['bad alias'] }),
      'CORE_INVALID_NAME',
    ],
    [
      'an alias that looks like a version',
      () => s.registry.register({ name: 'iris', path: IRIS, aliases: ['3'] }),
      'CORE_INVALID_NAME',
    ],
    ['an invalid alias moved', () => s.registry.setAlias('iris', 'v2', 1), 'CORE_INVALID_NAME'],
    [
      'an empty tag key',
      () => s.registry.register({ name: 'iris', path: IRIS, tags: { '': 'x' } }),
      'CORE_INVALID_ARGUMENT',
    ],
    [
      'a dataset without --target (31 columns for 30 inputs)',
      () => s.registry.register({ name: 'm', path: mlp(), dataset: TRAIN_CSV }),
      'REGISTRY_INVALID_DATASET',
    ],
    [
      'a target the dataset lacks',
      () => s.registry.register({ name: 'm', path: mlp(), dataset: TRAIN_CSV, target: 'label' }),
      'REGISTRY_INVALID_DATASET',
    ],
    [
      'a dataset with ragged rows',
      () => s.registry.register({ name: 'm', path: mlp(), dataset: path.join(bad, 'bad-columns.csv') }),
      'REGISTRY_INVALID_DATASET',
    ],
    [
      'a missing dataset',
      () => s.registry.register({ name: 'm', path: mlp(), dataset: path.join(bad, 'nope.csv'), target: 't' }),
      'ARTIFACTS_FILE_NOT_FOUND',
    ],
  ];

  for (const [what, call, code] of cases) {
    it(`${what} → ${code}`, async () => {
      const before = await snapshot(s);
      let caught: unknown;
      try {
        await call();
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ name: 'SlipwayError', code });
      const message = (caught as Error).message;
      expect(message.length).toBeGreaterThan(10);
      expect(message).not.toContain('\n');
      expect(await snapshot(s)).toEqual(before);
      expect(fs.readdirSync(path.join(s.config.home, 'artifacts', 'tmp'))).toEqual([]);
    });
  }

  it('the registry still works after all of that', async () => {
    const v = await s.registry.register({ name: 'iris', path: IRIS });
    expect(v.version).toBe(2);
    expect((await s.registry.resolve('iris')).version).toBe(1); // champion
  });
});
