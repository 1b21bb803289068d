/**
 * JSON for values JSON cannot hold as they are: BigInt as `{"$bigint": "12"}`, bytes as
 * `{"$bytes": "<base64>"}`. Checkpoints keep Parquet row-group metadata (BigInt offsets, byte
 * statistics) this way, to rebuild the footer after `--resume`.
 */
export function toTaggedJson(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toTaggedJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toTaggedJson(v);
    return out;
  }
  return value;
}

export function fromTaggedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromTaggedJson);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = fromTaggedJson(v);
    return out;
  }
  return value;
}
