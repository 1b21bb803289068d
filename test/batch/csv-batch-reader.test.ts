/**
 * The purpose-built CSV reader against csv-parse as an oracle (RFC 4180: quotes, doubled quotes,
 * line breaks in quotes, CRLF), across read-buffer boundaries, and its numbers against parseFloat,
 * exactly. Byte-range shards of any count cover every row exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvBatchReader } from '../../src/batch/csv-batch-reader.js';
import { InputPlan } from '../../src/batch/input-plan.js';
import { RowBatch } from '../../src/batch/row-batch.js';
import { shardRange } from '../../src/batch/shard-spec.js';
import type { ModelVersionRecord } from '../../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

function model(features: string[], datatype = 'FP32'): ModelVersionRecord {
  return {
    name: 'm',
    version: 1,
    signature: { inputs: [{ name: 'x', datatype, shape: [-1, features.length] }], outputs: [] },
    metadata: { featureNames: features },
  } as unknown as ModelVersionRecord;
}

interface Read {
  rows: number[][];
  ids: unknown[];
  rejects: { line: number; column: string | null; reason: string }[];
}

async function readAll(
  file: string,
  features: string[],
  options: {
    id?: string;
    range?: { from: number; to: number } | null;
    batch?: number;
    datatype?: string;
  } = {},
): Promise<Read> {
  const reader = await CsvBatchReader.open(file);
  const plan = new InputPlan(model(features, options.datatype), reader.columns, {
    idColumn: options.id ?? null,
  });
  const range = options.range ?? null;
  await reader.start(plan, {
    start: null,
    from: range?.from || null,
    to: range && range.to < reader.size ? range.to : null,
  });
  const batch = new RowBatch(plan, options.batch ?? 100);
  const out: Read = { rows: [], ids: [], rejects: [] };
  while (await reader.read(batch)) {
    const data = batch.inputs[0] as Float32Array | Float64Array;
    for (let r = 0; r < batch.rows; r++) {
      out.rows.push(Array.from(data.subarray(r * features.length, (r + 1) * features.length)));
      if (options.id) out.ids.push(batch.passthrough[0][r]);
    }
    out.rejects.push(...batch.rejects.map((j) => ({ line: j.line, column: j.column, reason: j.reason })));
  }
  await reader.close();
  return out;
}

/** Seeded text cells that exercise quoting. */
function quirkyText(i: number): string {
  const kinds = [
    'plain',
    'with, comma',
    'with "quotes"',
    'two\nlines',
    'crlf\r\nin quotes',
    '',
    ' spaced ',
    'ünïcödé',
  ];
  return `${kinds[i % kinds.length]}${i}`;
}

function csvCell(text: string): string {
  return /[",\r\n ]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

describe('CsvBatchReader', () => {
  it('reads what csv-parse reads, across buffer boundaries, quotes and line breaks', async () => {
    const features = ['a', 'b', 'c'];
    const lines = ['id,a,b,c,note'];
    let s = 1;
    const rnd = () => {
      s = (Math.imul(s, 48271) + 11) >>> 0;
      return s / 2 ** 32;
    };
    for (let i = 0; i < 40_000; i++) {
      const values = [rnd() * 1000 - 500, rnd() * 1e-3, Math.round(rnd() * 1e6)];
      const cells = values.map((v, k) =>
        k === 1 ? v.toExponential(6) : k === 0 && i % 7 === 0 ? `"${v}"` : String(v),
      );
      lines.push([csvCell(quirkyText(i)), ...cells, csvCell(quirkyText(i + 3))].join(','));
    }
    const file = path.join(dir, 'quirky.csv');
    fs.writeFileSync(file, `\ufeff${lines.join('\r\n')}\r\n`);
    const oracle = parse(fs.readFileSync(file), { bom: true, columns: true }) as Record<string, string>[];
    const read = await readAll(file, features, { id: 'id', batch: 333 });
    expect(read.rejects).toEqual([]);
    expect(read.rows.length).toBe(oracle.length);
    for (let i = 0; i < oracle.length; i++) {
      expect(read.ids[i]).toBe(oracle[i].id);
      expect(read.rows[i]).toEqual(features.map((f) => Math.fround(Number.parseFloat(oracle[i][f]))));
    }
  });

  it('decodes every number exactly as parseFloat does', async () => {
    const texts = [
      '0',
      '-0',
      '1',
      '+1.5',
      '.5',
      '5.',
      '007',
      '0.000123456',
      '123456789012345',
      '1234567890123456789',
      '3.141592653589793238',
      '1e10',
      '1E-10',
      '-2.5e+3',
      '1e308',
      '4.9e-324',
      '0.1',
      '13.199999809265137',
      '9007199254740993',
      'NaN',
      'inf',
      '-Infinity',
      ' 42 ',
      '\t-7.25',
    ];
    const file = path.join(dir, 'numbers.csv');
    fs.writeFileSync(file, `x\n${texts.join('\n')}\n`);
    const read = await readAll(file, ['x'], { datatype: 'FP64' });
    const expected = texts.map((t) => {
      const v = t.trim().toLowerCase();
      if (v === 'inf') return Number.POSITIVE_INFINITY;
      return Number.parseFloat(t.trim());
    });
    expect(read.rows.map((r) => r[0])).toEqual(expected);
  });

  it('refuses text that is not a number, naming line and column', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'x,y\n1,2\n1e,2\n0x10,2\n1,,\n"a\nb",3\n4,5');
    const read = await readAll(file, ['x', 'y']);
    expect(read.rows).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(read.rejects).toEqual([
      { line: 3, column: 'x', reason: 'not a number' },
      { line: 4, column: 'x', reason: 'not a number' },
      { line: 5, column: 'y', reason: 'empty value; a number is required' },
      { line: 6, column: 'x', reason: 'not a number' },
    ]);
  });

  it('reads a row longer than its read buffer, and a file without a final line break', async () => {
    const features = Array.from({ length: 20_000 }, (_, i) => `f${i}`);
    const file = path.join(dir, 'wide.csv');
    const row = (k: number) => features.map((_, i) => ((i * 7 + k) % 1000) / 8).join(',');
    fs.writeFileSync(file, `${features.join(',')}\n${row(1)}\n${row(2)}\n\n${row(3)}`);
    const read = await readAll(file, features, { batch: 2 });
    expect(read.rows.length).toBe(3);
    expect(read.rows[2][19_999]).toBe(((19_999 * 7 + 3) % 1000) / 8);
  });

  it('byte-range shards of any count cover every row exactly once', async () => {
    const file = path.join(dir, 'shards.csv');
    const lines = ['id,a'];
    for (let i = 0; i < 3000; i++) lines.push(`r${i},${'9'.repeat(i % 17)}${i}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const size = fs.statSync(file).size;
    for (const count of [1, 2, 3, 7, 64, 1000, 5000]) {
      const ids: unknown[] = [];
      for (let index = 0; index < count; index++) {
        ids.push(
          ...(await readAll(file, ['a'], { id: 'id', range: shardRange({ index, count }, size), batch: 64 }))
            .ids,
        );
      }
      expect(ids, `${count} shards`).toEqual(lines.slice(1).map((l) => l.split(',')[0]));
    }
  });
});
