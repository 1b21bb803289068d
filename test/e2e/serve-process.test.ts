import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureModelPath, fixtureSample, tempHome } from '../helpers/fixtures.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function cli(home: string, args: string[]) {
  return spawnSync(process.execPath, [...CLI, '--home', home, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SLIPWAY_TOKEN: '' },
  });
}

/** Starts `slipway serve` and resolves with its URL once it prints it. */
function startServe(
  home: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [...CLI, '--home', home, 'serve', '--port', '0', ...args], {
    env: { ...process.env, SLIPWAY_TOKEN: '', SLIPWAY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve({ child, url: m[1], exited });
    });
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function waitFor(ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('slipway serve, as a process', () => {
  it('drains requests in flight on SIGTERM, then exits 0', async () => {
    const home = tempHome();
    expect(
      cli(home, ['models', 'register', 'mobilenet', fixtureModelPath('image_mobilenet_v3_small')]).status,
    ).toBe(0);
    const { child, url, exited } = await startServe(home, ['--workers', '1']);
    const image = (fixtureSample('image_mobilenet_v3_small').inputs.pixel_values as unknown[]).slice(0, 2);
    const body = JSON.stringify({
      inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [2, 3, 224, 224], data: image }],
    });
    const inflight = Array.from({ length: 6 }, () =>
      fetch(`${url}/v2/models/mobilenet/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    // SIGTERM once the first request is in inference: by then the server has accepted all six
    // connections (a connection still in the kernel's accept queue when the listener closes is
    // refused, by any server: it was never in flight) and is reading their bodies.
    await waitFor(async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      return /slipway_inflight_requests\{protocol="v2"\} [1-9]/.test(metrics);
    });
    child.kill('SIGTERM');
    const responses = await Promise.all(inflight);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const logits = ((await responses[0].json()) as { outputs: { shape: number[] }[] }).outputs[0];
    expect(logits.shape).toEqual([2, 10]);
    expect(await exited).toBe(0);
  });

  it('refuses to bind a non-loopback address without a token', () => {
    const home = tempHome();
    const res = cli(home, ['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toBe(
      'error: refusing to bind 0.0.0.0 without authentication: set SLIPWAY_TOKEN, or bind 127.0.0.1',
    );
  });
});
