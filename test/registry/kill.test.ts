/**
 * The kill test (issue 2): a registration killed at any moment leaves only complete versions.
 *
 * The real CLI registers the 6 MB MobileNet and is SIGKILLed part-way. Half of the kills land at a
 * random moment over the whole run (process start included); the other half land while it writes:
 * after its first temporary artifact file appears, spread over the time the write-and-commit phase
 * took when measured on this machine. Each run registers a variant of the model with different
 * bytes (a doc_string appended), so every run writes a new 6 MB artifact that a kill can cut.
 * Afterwards every listed version must be whole: artifacts present and hashing to their digests,
 * manifest readable, signature present, numbers contiguous, the database intact, the CLI working.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/index.js';

const MODEL = path.resolve(process.cwd(), '../shared/fixtures/image_mobilenet_v3_small/model.onnx');
// From sources through tsx, so the test does not depend on `npm run build` having run first.
const CLI = [process.execPath, '--import', 'tsx', path.resolve('src/cli/main.ts')] as const;
// Runs: as many as fit in KILL_BUDGET_MS at the measured registration time (slower on a busy
// machine), between MIN_RUNS and MAX_RUNS, half of them aimed at the write phase; then up to
// EXTRA more if the timing left one side (cut mid-write / committed) empty.
const KILL_BUDGET_MS = 20_000;
const MIN_RUNS = 8;
const MAX_RUNS = 16;
const EXTRA = 6;
const BUDGET_MS = 50_000;

type Kill = { kind: 'none' } | { kind: 'after-start'; ms: number } | { kind: 'after-temp-file'; ms: number };

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  /** Milliseconds from spawn until the first new temporary artifact file appeared, if one did. */
  tempFileAt: number | null;
  stdout: string;
  stderr: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The model with a doc_string appended: protobuf keeps the last value of a singular field seen twice,
 * so this is the same valid ModelProto (ModelProto.doc_string is field 6) with different bytes.
 */
function variant(bytes: Buffer, i: number): Buffer {
  const doc = Buffer.from(`kill test variant ${i}`);
  return Buffer.concat([bytes, Buffer.from([(6 << 3) | 2, doc.length]), doc]);
}

function runCli(args: string[], tmpDir: string, kill: Kill): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const existing = new Set(fs.existsSync(tmpDir) ? fs.readdirSync(tmpDir) : []);
    let tempFileAt: number | null = null;
    let timer: NodeJS.Timeout | null = null;
    const child: ChildProcess = spawn(CLI[0], [...CLI.slice(1), ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killIn = (ms: number) => {
      timer = setTimeout(() => child.kill('SIGKILL'), ms);
    };
    const watcher = fs.existsSync(tmpDir)
      ? fs.watch(tmpDir, (_event, name) => {
          if (tempFileAt !== null || !name || existing.has(name) || !name.endsWith('.part')) return;
          tempFileAt = performance.now() - t0;
          if (kill.kind === 'after-temp-file') killIn(kill.ms);
        })
      : null;
    if (kill.kind === 'after-start') killIn(kill.ms);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      watcher?.close();
      resolve({ code, signal, ms: performance.now() - t0, tempFileAt, stdout, stderr });
    });
  });
}

/** `n` points stratified over [lo, hi), shuffled. */
function spread(n: number, lo: number, hi: number): number[] {
  const points = Array.from({ length: n }, (_, i) => lo + ((i + Math.random()) / n) * (hi - lo));
  return points.sort(() => Math.random() - 0.5);
}

describe('a registration killed at any moment', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
  const sources = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
  const tmpDir = path.join(home, 'artifacts', 'tmp');
  let s: Slipway | null = null;
  afterAll(async () => {
    await s?.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(sources, { recursive: true, force: true });
  });

  it('leaves only complete versions behind', { timeout: 100_000 }, async () => {
    const started = performance.now();
    const original = fs.readFileSync(MODEL);
    const variants = new Map<string, { file: string; size: number }>(); // by sha256
    let next = 0;
    const nextModel = () => {
      const file = path.join(sources, `model-${next}.onnx`);
      const bytes = variant(original, next++);
      fs.writeFileSync(file, bytes);
      variants.set(sha256(bytes), { file, size: bytes.length });
      return file;
    };
    const register = (file: string) => [
      '--home',
      home,
      'models',
      'register',
      'mobilenet',
      file,
      '--code-version',
      'kill-test',
    ];

    // Calibrate on this machine, under whatever else runs beside us: one warm-up run (tsx's cache),
    // then one whole registration, timing when its temporary file appeared and when it ended.
    expect((await runCli(['--home', home, 'models', 'list'], tmpDir, { kind: 'none' })).code).toBe(0);
    const full = await runCli(register(nextModel()), tmpDir, { kind: 'none' });
    expect(full.code, full.stderr).toBe(0);
    expect(full.tempFileAt, 'the registration wrote no temporary file').not.toBeNull();
    const writePhase = full.ms - full.tempFileAt!;

    s = await openSlipway({ home });
    const count = async () => (await s!.registryStore.listVersions('mobilenet')).length;
    expect(await count()).toBe(1);

    const runs = Math.max(MIN_RUNS, Math.min(MAX_RUNS, Math.floor(KILL_BUDGET_MS / full.ms)));
    const whileWriting = Math.ceil(runs / 2);
    const plan: Kill[] = [
      ...spread(runs - whileWriting, full.tempFileAt! * 0.5, full.ms * 1.05).map((ms) => ({
        kind: 'after-start' as const,
        ms,
      })),
      ...spread(whileWriting, 0, writePhase).map((ms) => ({ kind: 'after-temp-file' as const, ms })),
    ].sort(() => Math.random() - 0.5);

    const tally = { killedWhileWriting: 0, killedBeforeCommit: 0, killedAfterCommit: 0, finished: 0 };
    const log: string[] = [];
    const iterate = async (kill: Kill) => {
      const before = await count();
      const out = await runCli(register(nextModel()), tmpDir, kill);
      const after = await count();
      expect(after - before, `one run added ${after - before} versions`).toBeLessThanOrEqual(1);
      if (out.signal === 'SIGKILL') {
        if (after > before) tally.killedAfterCommit++;
        else {
          tally.killedBeforeCommit++;
          if (out.tempFileAt !== null) tally.killedWhileWriting++;
        }
      } else {
        // Not killed in time: then it must have succeeded, like any registration.
        expect(out.code, out.stderr).toBe(0);
        expect(after).toBe(before + 1);
        tally.finished++;
      }
      const at = kill.kind === 'none' ? '' : `${kill.kind} ${Math.round(kill.ms)}ms`;
      log.push(`${at}: ${out.signal ?? `exit ${out.code}`}, ${after > before ? 'committed' : 'nothing'}`);
    };

    for (const kill of plan) await iterate(kill);
    // If this machine's timing put every kill on one side, aim at the side that is missing.
    for (let i = 0; i < EXTRA && performance.now() - started < BUDGET_MS; i++) {
      const committed = tally.killedAfterCommit + tally.finished;
      if (tally.killedWhileWriting > 0 && committed > 0) break;
      await iterate(
        tally.killedWhileWriting === 0
          ? { kind: 'after-temp-file', ms: Math.random() * writePhase * 0.5 }
          : { kind: 'after-start', ms: full.ms * (1.1 + Math.random() * 0.3) },
      );
    }

    const committed = tally.killedAfterCommit + tally.finished;
    // The test proves something only if some kills cut a registration mid-write and some runs committed.
    expect(tally.killedWhileWriting, log.join('\n')).toBeGreaterThan(0);
    expect(committed, log.join('\n')).toBeGreaterThan(0);

    // Every listed version is whole, and the numbers run 1..n with no gap.
    const versions = await s.registryStore.listVersions('mobilenet');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 1 + committed }, (_, i) => i + 1));
    for (const v of versions) {
      expect(v.status).toBe('READY');
      expect(v.signature.inputs.map((i) => i.name)).toEqual(['pixel_values']);
      expect(v.signature.outputs.map((o) => o.name)).toEqual(['logits']);
      const fileSha = v.lineage.modelFileSha256 as string;
      const source = variants.get(fileSha);
      expect(source, `version ${v.version} came from no file this test wrote`).toBeDefined();
      // get() re-hashes the bytes: a partial artifact would throw ARTIFACTS_CORRUPT.
      expect(sha256(await s.artifacts.get(v.modelSha256!))).toBe(fileSha);
      const manifest = await s.registry.manifest(v);
      expect(manifest.files).toEqual([
        { path: path.basename(source!.file), sha256: fileSha, size: source!.size },
      ]);
    }
    // No artifact on disk is partial: each file hashes to its own name.
    const objects = path.join(home, 'artifacts', 'sha256');
    let stored = 0;
    for (const prefix of fs.readdirSync(objects)) {
      for (const rest of fs.readdirSync(path.join(objects, prefix))) {
        expect(sha256(fs.readFileSync(path.join(objects, prefix, rest)))).toBe(prefix + rest);
        stored++;
      }
    }
    expect(stored).toBeGreaterThanOrEqual(2 * versions.length);
    const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(s.db);
    expect(rows).toEqual([{ integrity_check: 'ok' }]);

    // The CLI still works on the home: it lists, and a new registration takes the next number.
    const list = await runCli(['--home', home, '--json', 'models', 'list'], tmpDir, { kind: 'none' });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'mobilenet', latest_version: 1 + committed }]);
    const again = await runCli(['--json', ...register(nextModel())], tmpDir, { kind: 'none' });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).version).toBe(2 + committed);

    console.info(
      `kill test: ${log.length} killed runs in ${Math.round(performance.now() - started)} ms ` +
        `(registration ${Math.round(full.ms)} ms, temp file at ${Math.round(full.tempFileAt!)} ms); ` +
        `${JSON.stringify(tally)}; stray temp files ${fs.readdirSync(tmpDir).length}`,
    );
  });
});
