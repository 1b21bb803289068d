/**
 * `predict merge`: joins the outputs of the N shards of one job into the file one process would
 * have written. Each part's provenance says which shard it is and what produced it; the merge checks
 * that the parts are one complete set (same input and model bytes, same columns, shards 0 to N-1
 * each exactly once) before it writes anything, then concatenates them in shard order: CSV parts
 * after the first lose their header, JSON Lines parts are joined as they are, Parquet parts are
 * copied row group by row group. Rejects are joined too (their lines are lines of the whole input).
 */

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type FileMetaData, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { ByteWriter, type ColumnSource, ParquetWriter } from 'hyparquet-writer';
import { SlipwayError } from '../core/errors.js';
import { removeIfExists, renameDurably, writeFileAtomic } from './atomic-file.js';
import { formatOf } from './batch-format.js';
import { FileSink } from './file-sink.js';
import { jobFiles } from './job-files.js';
import type { Provenance } from './provenance.js';

export interface MergeResult {
  output: string;
  rejects: string | null;
  provenance: Provenance;
}

export async function mergeParts(
  parts: readonly string[],
  output: string,
  version: string,
): Promise<MergeResult> {
  if (parts.length === 0) throw invalid('name the parts to merge (the outputs of predict --shard)');
  const loaded = await Promise.all(parts.map(readPart));
  const first = loaded[0].provenance;
  const count = first.shard?.count ?? 0;
  for (const { file, provenance: p } of loaded) {
    if (p.shard === null) throw invalid(`${file} is not a shard's output (its provenance has no shard)`);
    if (p.shard.count !== count)
      throw invalid(`${file} is shard ${p.shard.index} of ${p.shard.count}, the first part of ${count}`);
    if (p.input.sha256 !== first.input.sha256)
      throw invalid(`${file} was made from another input (sha256 ${p.input.sha256})`);
    if (p.model.sha256 !== first.model.sha256)
      throw invalid(`${file} was made by another model (sha256 ${p.model.sha256})`);
    if (p.output.format !== first.output.format)
      throw invalid(`${file} is ${p.output.format}, the first part ${first.output.format}`);
    if (p.output.columns.join('\u0000') !== first.output.columns.join('\u0000')) {
      throw invalid(
        `${file} has columns ${p.output.columns.join(', ')}, the first part ${first.output.columns.join(', ')}`,
      );
    }
  }
  const byIndex = new Map<number, (typeof loaded)[number]>();
  for (const part of loaded) {
    const index = part.provenance.shard!.index;
    const twin = byIndex.get(index);
    if (twin) throw invalid(`${twin.file} and ${part.file} are both shard ${index}`);
    byIndex.set(index, part);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw invalid(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing`);
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i)!);
  const format = formatOf(output, first.output.format, 'output');
  if (format !== first.output.format)
    throw invalid(`the parts are ${first.output.format}, the output is named as ${format}`);

  const files = jobFiles(path.resolve(output));
  await fs.mkdir(path.dirname(files.output), { recursive: true });
  try {
    if (format === 'parquet')
      await mergeParquet(
        ordered.map((p) => p.file),
        files.partial,
      );
    else
      await concatenate(
        ordered.map((p) => ({
          file: p.file,
          skip: format === 'csv' ? (p.provenance.output.header_bytes ?? 0) : 0,
        })),
        files.partial,
        format === 'csv',
      );
    const rejectParts = ordered.map((p) => p.provenance.rejects).filter((r): r is string => r !== null);
    if (rejectParts.length > 0) {
      await concatenate(
        rejectParts.map((file) => ({ file, skip: 0 })),
        files.rejectsPartial,
        false,
      );
      await renameDurably(files.rejectsPartial, files.rejects);
    } else await removeIfExists(files.rejects);
    const sum = (k: 'read' | 'written' | 'rejected') => ordered.reduce((a, p) => a + p.provenance.rows[k], 0);
    const provenance: Provenance = {
      ...first,
      job_id: randomUUID(),
      output: { ...first.output, path: files.output },
      rows: { read: sum('read'), written: sum('written'), rejected: sum('rejected') },
      rejects: rejectParts.length > 0 ? files.rejects : null,
      started_at: ordered.map((p) => p.provenance.started_at).sort()[0],
      finished_at: ordered
        .map((p) => p.provenance.finished_at)
        .sort()
        .at(-1)!,
      slipway_version: version,
      shard: null,
      resumes: ordered.reduce((a, p) => a + p.provenance.resumes, 0),
      parts: ordered.map((p) => ({
        path: p.file,
        shard: p.provenance.shard!.index,
        rows: p.provenance.rows,
      })),
    };
    await writeFileAtomic(files.provenance, `${JSON.stringify(provenance, null, 2)}\n`);
    await renameDurably(files.partial, files.output);
    return { output: files.output, rejects: provenance.rejects, provenance };
  } catch (error) {
    await removeIfExists(files.partial);
    await removeIfExists(files.rejectsPartial);
    throw error;
  }
}

async function readPart(file: string): Promise<{ file: string; provenance: Provenance }> {
  const resolved = path.resolve(file);
  const provenanceFile = jobFiles(resolved).provenance;
  let text: string;
  try {
    text = await fs.readFile(provenanceFile, 'utf8');
  } catch {
    throw invalid(
      `${file} has no ${path.basename(provenanceFile)}; merge joins complete outputs of predict --shard`,
    );
  }
  return { file: resolved, provenance: JSON.parse(text) as Provenance };
}

/** Joins files into `target`, skipping the first `skip` bytes of each but the first when `headerOnce`. */
async function concatenate(
  sources: { file: string; skip: number }[],
  target: string,
  headerOnce: boolean,
): Promise<void> {
  let header: Buffer | null = null;
  const out = createWriteStream(target);
  const opened = new Promise<void>((resolve, reject) =>
    out.once('open', () => resolve()).once('error', reject),
  );
  await opened;
  for (const [i, { file, skip }] of sources.entries()) {
    if (headerOnce && skip > 0) {
      const fh = await fs.open(file, 'r');
      const own = Buffer.alloc(skip);
      await fh.read(own, 0, skip, 0);
      await fh.close();
      if (header !== null && !own.equals(header))
        throw invalid(`${file} has another header than the first part`);
      header ??= own;
    }
    const start = headerOnce && i > 0 ? skip : 0;
    await pipeline(createReadStream(file, { start }), out, { end: false });
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  const fh = await fs.open(target, 'r+');
  await fh.datasync();
  await fh.close();
}

/** Copies every row group of every part, in order, into one file with the first part's schema. */
async function mergeParquet(files: string[], target: string): Promise<void> {
  const sink = await FileSink.open(target, null);
  try {
    let schema: FileMetaData['schema'] | null = null;
    const writer = new (class extends ByteWriter {
      async flush(): Promise<void> {
        if (this.index === 0) return;
        await sink.write(new Uint8Array(this.buffer, 0, this.index));
        this.index = 0;
      }
      override finish(): Promise<void> {
        return this.flush();
      }
    })(1 << 20);
    let parquet: ParquetWriter | null = null;
    for (const file of files) {
      const fh = await fs.open(file, 'r');
      try {
        const { size } = await fh.stat();
        const asyncBuffer = {
          byteLength: size,
          async slice(start: number, end?: number): Promise<ArrayBuffer> {
            const bytes = new Uint8Array((end ?? size) - start);
            await fh.read(bytes, 0, bytes.length, start);
            return bytes.buffer;
          },
        };
        const metadata = await parquetMetadataAsync(asyncBuffer);
        schema ??= metadata.schema;
        parquet ??= new ParquetWriter({ writer, schema, createdBy: 'slipway' });
        const names = schema.slice(1).map((e) => e.name);
        let start = 0;
        for (const group of metadata.row_groups) {
          const rows = Number(group.num_rows);
          const columns = new Map<string, unknown[]>();
          await parquetRead({
            file: asyncBuffer,
            metadata,
            rowStart: start,
            rowEnd: start + rows,
            onChunk: (chunk) => {
              const list = columns.get(chunk.columnName) ?? new Array<unknown>(rows);
              for (let r = Math.max(chunk.rowStart, start); r < Math.min(chunk.rowEnd, start + rows); r++) {
                list[r - start] = chunk.columnData[r - chunk.rowStart];
              }
              columns.set(chunk.columnName, list);
            },
          });
          const columnData: ColumnSource[] = names.map((name) => ({
            name,
            data: (columns.get(name) ?? []) as ColumnSource['data'],
            offsetIndex: false,
          }));
          if (rows > 0) await parquet.write({ columnData, rowGroupSize: rows });
          start += rows;
        }
      } finally {
        await fh.close();
      }
    }
    await parquet?.finish();
    await sink.sync();
  } finally {
    await sink.close();
  }
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('BATCH_INVALID_PARTS', message);
}
