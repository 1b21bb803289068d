import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Contender } from './contender.js';

/**
 * The anchor: `mlflow server` (pip `mlflow`, the full package) with its defaults except that the
 * backend store is named explicitly as SQLite (`sqlite:///…/mlflow.db`) and the proxied artifact
 * destination is a temporary folder. Started from the bench venv (`.cache/venvs/mlflow-server`).
 */
export function mlflowServer(mlflowBin: string): Contender {
  return {
    name: 'mlflow server (SQLite)',
    async start() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tracking-mlflow-'));
      const port = await freePort();
      const child = spawn(
        mlflowBin,
        [
          'server',
          '--backend-store-uri',
          `sqlite:///${path.join(dir, 'mlflow.db')}`,
          '--artifacts-destination',
          path.join(dir, 'mlartifacts'),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-4000);
      });
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 120_000;
      for (;;) {
        try {
          const r = await fetch(`${url}/health`);
          if (r.ok) break;
        } catch {
          // not up yet
        }
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`mlflow server did not start:\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      return {
        url,
        async stop() {
          // The server forks workers: end the whole process group it leads.
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
          await new Promise((r) => setTimeout(r, 1000));
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
