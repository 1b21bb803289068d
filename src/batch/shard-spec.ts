/**
 * Distributed runs: N processes (or the N pods of a Kubernetes Indexed Job) each take a disjoint,
 * contiguous share of the input, so that together they cover it exactly once and `predict merge`
 * joins their parts in shard order into what one process would have written.
 *
 * Shares are byte ranges for CSV and JSON Lines (a row belongs to the share its first byte falls in,
 * as Hadoop splits text files) and row ranges for Parquet.
 */
import path from 'node:path';
import { SlipwayError } from '../core/errors.js';

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
}

/** The variable Kubernetes sets in each pod of an Indexed Job (`completionMode: Indexed`). */
export const JOB_COMPLETION_INDEX = 'JOB_COMPLETION_INDEX';

/**
 * `--shard i/N` names the shard; `--shard /N` or `--shards N` take the index from
 * JOB_COMPLETION_INDEX. Returns null for an unsharded run (and for a single shard).
 */
export function resolveShard(
  shard: string | null | undefined,
  shards: number | string | null | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ShardSpec | null {
  let index: number | null = null;
  let count: number | null = null;
  if (shard !== null && shard !== undefined && shard !== '') {
    const m = /^\s*(\d*)\s*\/\s*(\d+)\s*$/.exec(shard);
    if (!m) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `--shard must be i/N (for example 3/10) or /N with ${JOB_COMPLETION_INDEX} set, got "${shard}"`,
      );
    }
    count = Number(m[2]);
    if (m[1] !== '') index = Number(m[1]);
  }
  if (shards !== null && shards !== undefined && shards !== '') {
    const n = Number(shards);
    if (!Number.isInteger(n))
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `--shards must be an integer, got "${shards}"`);
    if (count !== null && count !== n) {
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `--shard says ${count} shards but --shards says ${n}`);
    }
    count = n;
  }
  if (count === null) return null;
  if (count < 1)
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `the shard count must be at least 1, got ${count}`);
  if (index === null) {
    const fromEnv = env[JOB_COMPLETION_INDEX];
    if (fromEnv === undefined || !/^\d+$/.test(fromEnv.trim())) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `the shard index is not given: pass --shard i/${count}, or run where ${JOB_COMPLETION_INDEX} is set ` +
          `(a Kubernetes Indexed Job)${fromEnv === undefined ? '' : `; it is "${fromEnv}"`}`,
      );
    }
    index = Number(fromEnv.trim());
  }
  if (index >= count) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `shard index ${index} is out of range for ${count} shards (0 to ${count - 1})`,
    );
  }
  return count === 1 ? null : { index, count };
}

/** `i/N`, as flags and messages write it. */
export function formatShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}

/** The share `[from, to)` of `size` units (bytes or rows) that shard `index` of `count` takes. */
export function shardRange(shard: ShardSpec, size: number): { from: number; to: number } {
  return {
    from: Math.floor((shard.index * size) / shard.count),
    to: Math.floor(((shard.index + 1) * size) / shard.count),
  };
}

/**
 * Where a shard writes: `{shard}` in the path becomes the zero-padded index; without it the name
 * gets `.part-00003-of-00010` before its extension, so the pods of one job never share a file.
 */
export function shardOutputPath(output: string, shard: ShardSpec | null): string {
  if (shard === null) return output.replaceAll('{shard}', '0');
  const width = Math.max(5, String(shard.count - 1).length);
  const index = String(shard.index).padStart(width, '0');
  if (output.includes('{shard}')) return output.replaceAll('{shard}', index);
  const ext = path.extname(output);
  const stem = ext ? output.slice(0, -ext.length) : output;
  return `${stem}.part-${index}-of-${String(shard.count).padStart(width, '0')}${ext}`;
}
