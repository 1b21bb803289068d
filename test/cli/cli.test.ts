/**
 * The real `slipway` CLI, run from sources through tsx on a temporary home: what people read,
 * what machines parse (`--json`), and how bad input is reported (one `error:` line, exit code).
 * Each CLI run costs about a second of CPU (tsx loading the sources), so state that is not the
 * point of a test is read in-process through the library instead of through more CLI runs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/index.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const GBDT = path.join(FIXTURES, 'breast_cancer_gbdt/model.onnx');
const MLP = path.join(FIXTURES, 'breast_cancer_mlp/model.onnx');
const TRAIN_CSV = path.join(FIXTURES, 'datasets/breast_cancer_train.csv');
const MAIN = path.resolve('src/cli/main.ts');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: process.cwd(),
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sha256File = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('slipway models', () => {
  const home = tempDir();
  const run = (...args: string[]) => cli(['--home', home, ...args], { SLIPWAY_HOME: undefined });
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    return r.stdout;
  };
  const json = async (...args: string[]) => JSON.parse(await ok('--json', ...args));

  let reader: Slipway;
  /** The whole registry, read in-process. */
  const state = async () => {
    const models = await reader.registry.listModels();
    return { models, versions: await Promise.all(models.map((m) => reader.registry.listVersions(m.name))) };
  };

  beforeAll(async () => {
    // Version 1 of gbdt is registered by the first test; this gives the others something to read.
    await ok('models', 'register', 'mlp', MLP, '--dataset', TRAIN_CSV, '--target', 'target');
    reader = await openSlipway({ home });
  });
  afterAll(async () => {
    await reader.close();
  });

  it('register --json prints name, version, sha256 and the signature in V2 datatypes', async () => {
    const v = await json('models', 'register', 'gbdt', GBDT);
    expect(v).toMatchObject({
      name: 'gbdt',
      version: 1,
      sha256: sha256File(GBDT),
      signature: {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 30] }],
        outputs: [
          { name: 'label', datatype: 'INT64', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
        ],
      },
    });
    for (const t of [...v.signature.inputs, ...v.signature.outputs]) {
      expect(Object.keys(t).sort()).toEqual(expect.arrayContaining(['datatype', 'name', 'shape']));
    }
  });

  it('register prints a readable summary, and takes alias, description, tags', async () => {
    const out = await ok(
      'models',
      'register',
      'gbdt',
      GBDT,
      '--alias',
      'champion',
      '--description',
      'second',
      '--tag',
      'team=fraud',
      '--tag',
      'stage=dev',
      '--alias',
      'staging',
    );
    expect(out).toMatch(/^registered gbdt version 2 \(sha256 [0-9a-f]{64}\)/);
    expect(out).toMatch(/^inputs:\s+features FP32\[-1,30\]$/m);
    expect(out).toMatch(/^aliases:\s+champion staging$/m);
    expect(await reader.registry.resolve('gbdt:2')).toMatchObject({
      description: 'second',
      aliases: ['champion', 'staging'],
      tags: { team: 'fraud', stage: 'dev' },
    });
  });

  it('register with --dataset records its lineage and feature names', async () => {
    const v = await reader.registry.resolve('mlp:1');
    const meta = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'breast_cancer_mlp/meta.json'), 'utf8'));
    expect(v.metadata.featureNames).toEqual(meta.feature_names);
    expect(v.datasets).toMatchObject([{ rows: 398, sha256: sha256File(TRAIN_CSV), target: 'target' }]);
  });

  it('list prints a table, and JSON with --json', async () => {
    const table = await ok('models', 'list');
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+LATEST\s+ALIASES\s+UPDATED\s+DESCRIPTION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['gbdt', 'mlp']);
    expect(table).toMatch(/^gbdt\s+2\s+champion→2 staging→2\s/m);
    const list = await json('models', 'list');
    expect(list).toMatchObject([
      { name: 'gbdt', latest_version: 2, aliases: { champion: 2, staging: 2 } },
      { name: 'mlp', latest_version: 1, aliases: {} },
    ]);
  });

  it('show name lists the versions; show name:N and name@alias show one version', async () => {
    const model = await ok('models', 'show', 'gbdt');
    expect(model).toMatch(/^name:\s+gbdt$/m);
    expect(model).toMatch(/^VERSION\s+CREATED\s+STATUS/m);
    expect(model).toMatch(/^1\s+\S+ \S+\s+READY\s/m);
    expect(model).toMatch(/^2\s+\S+ \S+\s+READY\s+champion staging\s/m);
    const modelJson = await json('models', 'show', 'gbdt');
    expect(modelJson).toMatchObject({ name: 'gbdt', aliases: { champion: 2 } });
    expect(modelJson.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);

    const one = await ok('models', 'show', 'gbdt:1');
    expect(one).toMatch(/^model:\s+gbdt:1$/m);
    expect(one).toMatch(/^outputs:\s+label INT64\[-1\], probabilities FP32\[-1,2\]$/m);
    expect(one).toMatch(new RegExp(`^sha256:\\s+${sha256File(GBDT)}$`, 'm'));
    expect(await json('models', 'show', 'gbdt@champion')).toMatchObject({ name: 'gbdt', version: 2 });
  });

  it('alias moves an alias; delete-alias removes it', async () => {
    expect(await ok('models', 'alias', 'gbdt', 'challenger', '1')).toBe('gbdt@challenger → version 1\n');
    expect(await json('models', 'alias', 'gbdt', 'challenger', '2')).toEqual({
      name: 'gbdt',
      alias: 'challenger',
      version: 2,
    });
    expect((await reader.registry.getModel('gbdt')).aliases).toEqual({
      champion: 2,
      challenger: 2,
      staging: 2,
    });
    expect(await ok('models', 'delete-alias', 'gbdt', 'staging')).toBe('deleted gbdt@staging\n');
    expect(await json('models', 'delete-alias', 'gbdt', 'challenger')).toEqual({
      name: 'gbdt',
      alias: 'challenger',
      deleted: true,
    });
    expect((await reader.registry.getModel('gbdt')).aliases).toEqual({ champion: 2 });
  });

  it('download writes the registered file byte for byte', async () => {
    const out = tempDir();
    const text = await ok('models', 'download', 'gbdt:1', out);
    expect(text).toBe(`gbdt version 1:\n  ${path.join(out, 'model.onnx')}\n`);
    expect(sha256File(path.join(out, 'model.onnx'))).toBe(sha256File(GBDT));
    const out2 = tempDir();
    expect(await json('models', 'download', 'gbdt@champion', out2)).toEqual({
      name: 'gbdt',
      version: 2,
      files: [path.join(out2, 'model.onnx')],
    });
    expect(sha256File(path.join(out2, 'model.onnx'))).toBe(sha256File(GBDT));
  });

  describe('bad input: one "error:" line on stderr, nothing on stdout, the catalogue’s exit code', () => {
    let notOnnx: string;
    beforeAll(() => {
      notOnnx = path.join(tempDir(), 'model.pkl');
      fs.writeFileSync(notOnnx, Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0]));
    });
    const cases: [string, () => string[], number, RegExp][] = [
      ['an invalid name', () => ['models', 'register', 'a b', GBDT], 2, /invalid model name "a b"/],
      [
        'a name of 129 characters',
        () => ['models', 'register', 'x'.repeat(129), GBDT],
        2,
        /invalid model name/,
      ],
      ['a missing file', () => ['models', 'register', 'm', '/nonexistent/model.onnx'], 3, /not found/],
      ['a file that is not ONNX', () => ['models', 'register', 'm', notOnnx], 2, /pickle/],
      [
        'an alias to a missing version',
        () => ['models', 'alias', 'gbdt', 'champion', '9'],
        3,
        /no version 9/,
      ],
      [
        'an alias on an unknown model',
        () => ['models', 'alias', 'ghost', 'champion', '1'],
        3,
        /"ghost" does not exist/,
      ],
      [
        'an invalid version',
        () => ['models', 'alias', 'gbdt', 'champion', 'abc'],
        2,
        /invalid version "abc"/,
      ],
      ['an invalid alias', () => ['models', 'alias', 'gbdt', '7', '1'], 2, /must not look like a version/],
      ['showing an unknown model', () => ['models', 'show', 'ghost'], 3, /"ghost" does not exist/],
      ['showing an unknown alias', () => ['models', 'show', 'gbdt@nope'], 3, /no alias "nope"/],
      ['an invalid reference', () => ['models', 'show', 'gbdt:0'], 2, /positive integer/],
      ['deleting an unknown alias', () => ['models', 'delete-alias', 'gbdt', 'nope'], 3, /no alias "nope"/],
      [
        '--target without --dataset',
        () => ['models', 'register', 'm', MLP, '--target', 'target'],
        2,
        /--target needs --dataset/,
      ],
      [
        'a dataset that does not fit',
        () => ['models', 'register', 'm', MLP, '--dataset', TRAIN_CSV],
        2,
        /31 feature columns/,
      ],
      [
        'a malformed tag',
        () => ['models', 'register', 'm', MLP, '--tag', 'novalue'],
        2,
        /expected key=value/,
      ],
    ];

    // Concurrently: none of them may write, and each is a separate process.
    it.concurrent.each(cases)('%s', async (_what, args, code, message) => {
      const before = await state();
      const r = await run(...args());
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(message);
      expect(await state()).toEqual(before);
    });

    it('a usage error starts with an "error:" line and exits 2', async () => {
      const r = await run('models', 'register', 'only-a-name');
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe("error: missing required argument 'path'");
    });
  });
});

describe('choosing the home', () => {
  it('SLIPWAY_HOME picks the home; --home overrides it', async () => {
    const a = tempDir();
    const b = tempDir();
    const reg = await cli(['--json', 'models', 'register', 'mlp', MLP], { SLIPWAY_HOME: a });
    expect(reg.code, reg.stderr).toBe(0);
    const inA = await openSlipway({ home: a });
    try {
      expect((await inA.registry.listModels()).map((m) => m.name)).toEqual(['mlp']);
    } finally {
      await inA.close();
    }
    const listB = await cli(['--home', b, '--json', 'models', 'list'], { SLIPWAY_HOME: a });
    expect(listB.code, listB.stderr).toBe(0);
    expect(JSON.parse(listB.stdout)).toEqual([]);
    expect(fs.existsSync(path.join(b, 'slipway.db'))).toBe(true);
  });
});
