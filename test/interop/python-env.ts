import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Pinned Python environments for the interop suites, one virtualenv per client version under
 * `.cache/venvs/<name>` (gitignored). A marker file keyed by the pin list makes a warm run skip
 * pip entirely; a changed pin list rebuilds the venv.
 *
 * Pins: mlflow-skinny 3.6.0 is the 3.x release protocols.md section D was read against (logged
 * models, `runs/outputs`); 2.22.5 is the newest 2.x. The rest match requirements-test.txt.
 */
const COMMON = [
  'numpy==2.2.6',
  'pandas==2.2.3',
  'scikit-learn==1.6.1',
  'skl2onnx==1.18.0',
  'onnx==1.17.0',
  'onnxruntime==1.20.1',
];

export const CLIENT_ENVS = {
  mlflow3: ['mlflow-skinny==3.6.0', ...COMMON],
  mlflow2: ['mlflow-skinny==2.22.5', ...COMMON],
} as const;

export type ClientEnv = keyof typeof CLIENT_ENVS;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const MARKER = '.slipway-pins';

/** The venv's python, creating or updating the venv first when its pins changed. */
export async function ensureVenv(name: ClientEnv, log: (line: string) => void = defaultLog): Promise<string> {
  return ensureVenvWith(name, [...CLIENT_ENVS[name]], log);
}

/** A venv named `name` under `.cache/venvs` holding exactly `pins` (bench/tracking uses full `mlflow`). */
export async function ensureVenvWith(
  name: string,
  pins: string[],
  log: (line: string) => void = defaultLog,
): Promise<string> {
  const dir = path.join(ROOT, '.cache', 'venvs', name);
  const python = path.join(dir, 'bin', 'python');
  const marker = path.join(dir, MARKER);
  const wanted = `${pins.join('\n')}\n`;
  if (fs.existsSync(python) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted)
    return python;

  const base = process.env.SLIPWAY_PYTHON ?? 'python3';
  if (!fs.existsSync(python)) {
    log(`[${name}] creating virtualenv ${dir} with ${base}`);
    await run(base, ['-m', 'venv', dir], log, name);
  }
  log(`[${name}] pip install ${pins.join(' ')} (a cold install downloads ~150 MB)`);
  await run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', ...pins],
    log,
    name,
  );
  fs.writeFileSync(marker, wanted);
  log(`[${name}] ready`);
  return python;
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

function run(cmd: string, args: string[], log: (line: string) => void, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) {
        if (/^(Collecting|Successfully|ERROR)/.test(line.trim())) log(`[${name}] ${line.trim()}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`)),
    );
  });
}

/** Runs a script of test/interop/scripts with the given python; rejects with its stderr on failure. */
export function runScript(
  python: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 240_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(HERE, 'scripts', script), ...args], {
      cwd: path.join(HERE, 'scripts'),
      env: {
        ...process.env,
        // Fail fast: the client retries 5xx for minutes by default, which would hide a bug as a hang.
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '60',
        PYTHONUNBUFFERED: '1',
        PYTHONWARNINGS: 'ignore',
        GIT_PYTHON_REFRESH: 'quiet',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `${script} exited ${code}\n--- stderr ---\n${stderr.slice(-6000)}\n--- stdout ---\n${stdout.slice(-2000)}`,
          ),
        );
    });
  });
}
