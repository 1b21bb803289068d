/**
 * docs/errors.md and the ERROR_CODES table must say the same thing, either way (fastify's
 * test/internals/errors.test.js against docs/Reference/Errors.md): a code added to the table
 * without a row in the doc fails, and so does a row left in the doc for a code that is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EXIT } from '../../src/core/errors.js';

interface DocRow {
  code: string;
  httpStatus: number;
  exitCode: number;
  mlflowCode: string;
  meaning: string;
  whatToDo: string;
}

const DOC = path.resolve('docs/errors.md');

/** Rows of the table whose first cell is a code in backticks. */
function readDoc(): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of fs.readFileSync(DOC, 'utf8').split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    const cells = m[2].split(' | ').map((c) => c.trim());
    expect(cells, `docs/errors.md row ${m[1]} should have 5 cells after the code`).toHaveLength(5);
    const [http, exit, mlflowCode, meaning, whatToDo] = cells;
    rows.push({
      code: m[1],
      httpStatus: Number(http),
      exitCode: Number(exit),
      mlflowCode,
      meaning,
      whatToDo,
    });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const doc = readDoc();
  const table = Object.entries(ERROR_CODES);

  it('lists every code of ERROR_CODES', () => {
    const documented = new Set(doc.map((r) => r.code));
    // Rows to paste into docs/errors.md, with only "what to do" left to write.
    const missing = table
      .filter(([code]) => !documented.has(code))
      .map(
        ([code, r]) =>
          `| \`${code}\` | ${r.httpStatus} | ${r.exitCode} | ${r.mlflowCode} | ${r.meaning} | <what to do> |`,
      );
    expect(missing).toEqual([]);
  });

  it('lists no code that ERROR_CODES lacks, and none twice', () => {
    expect(doc.map((r) => r.code).filter((code) => !(code in ERROR_CODES))).toEqual([]);
    const seen = new Set<string>();
    expect(doc.map((r) => r.code).filter((c) => seen.has(c) || !seen.add(c))).toEqual([]);
  });

  it('gives each code the status, exit code, MLflow code and meaning of the table', () => {
    const byCode = new Map(doc.map((r) => [r.code, r]));
    for (const [code, row] of table) {
      const documented = byCode.get(code);
      if (!documented) continue; // reported by the first test
      expect({ ...documented, whatToDo: undefined }).toEqual({
        code,
        httpStatus: row.httpStatus,
        exitCode: row.exitCode,
        mlflowCode: row.mlflowCode,
        meaning: row.meaning,
        whatToDo: undefined,
      });
      expect(documented.whatToDo.length, `${code} needs a "what to do"`).toBeGreaterThan(10);
    }
  });

  it('uses only the CLI exit codes of STYLE.md and codes named <AREA>_<WHAT>', () => {
    const exits = new Set<number>(Object.values(EXIT));
    const areas = [
      'CORE',
      'ARTIFACTS',
      'ONNX',
      'REGISTRY',
      'RUNTIME',
      'TRACKING',
      'BATCH',
      'MONITORING',
      'DEPLOYMENTS',
      'SERVER',
      'STORE',
      'CLI',
    ];
    for (const [code, row] of table) {
      expect(exits.has(row.exitCode), `${code} exit code ${row.exitCode}`).toBe(true);
      expect(row.exitCode, `${code} must not exit 0`).not.toBe(EXIT.ok);
      if (code !== 'INTERNAL') expect(areas, code).toContain(code.split('_')[0]);
      expect(row.httpStatus >= 400 && row.httpStatus < 600, `${code} HTTP ${row.httpStatus}`).toBe(true);
    }
  });
});
