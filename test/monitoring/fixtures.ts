/** Test helpers: paths to the shared fixtures, a tiny numeric CSV reader, and the Python oracle runner. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');

/** A plain numeric CSV with a header row, as columns of Float64Array. */
export function readNumericCsv(file: string, drop: readonly string[] = []): Record<string, Float64Array> {
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const rows = lines.length - 1;
  const columns = header.map(() => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    for (let c = 0; c < header.length; c++) columns[c][r] = cells[c] === '' ? Number.NaN : Number(cells[c]);
  }
  const out: Record<string, Float64Array> = {};
  header.forEach((name, c) => {
    if (!drop.includes(name)) out[name] = columns[c];
  });
  return out;
}

/**
 * Run a Python oracle script and parse its JSON. A missing package fails the test with the exact
 * pip line CI uses (the scripts exit with code 3 and say which).
 */
export function runPythonOracle(script: string, pipLine: string, input?: string): unknown {
  let stdout: string;
  try {
    stdout = execFileSync('python3', [script], {
      encoding: 'utf8',
      input,
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { status?: number; stderr?: string; message: string };
    throw new Error(
      `Python oracle ${path.basename(script)} failed (exit ${e.status ?? '?'}): ${e.stderr?.trim() || e.message}\n` +
        `Install the pinned oracle packages with: ${pipLine}`,
    );
  }
  return JSON.parse(stdout);
}

export const SCIPY_PIP = 'pip install scipy==1.17.1 numpy==2.4.6';
export const SKLEARN_PIP = 'pip install scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6';

/** |a - b| / |b|, with exact equality (including both 0) counting as 0. */
export function relErr(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.abs(b);
}
