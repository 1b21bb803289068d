/**
 * `<output>.provenance.json`: what produced an output, so that any prediction file can be traced back
 * to the exact model bytes and input bytes (both by sha256), with the row counts that make silent
 * loss visible (read = written + rejected).
 */
export interface Provenance {
  job_id: string;
  model: { ref: string; name: string; version: number; sha256: string };
  input: { path: string; sha256: string; bytes: number; format: string };
  output: {
    path: string;
    format: string;
    columns: string[];
    /** Bytes of the CSV header line (merge skips it in every part but the first); null otherwise. */
    header_bytes: number | null;
  };
  rows: { read: number; written: number; rejected: number };
  /** `<output>.rejects.jsonl` when rows were refused, else null. */
  rejects: string | null;
  started_at: string;
  finished_at: string;
  slipway_version: string;
  /** The share of the input this part covers (byte or row offsets), or null for the whole input. */
  shard: { index: number; count: number; unit: 'bytes' | 'rows'; from: number; to: number } | null;
  options: {
    batch_size: number;
    workers: number;
    on_error: string;
    id_column: string | null;
    keep_columns: string[];
  };
  /** Times the job was resumed from a checkpoint. */
  resumes: number;
  /** For a merged output: its parts, in shard order. */
  parts?: { path: string; shard: number; rows: { read: number; written: number; rejected: number } }[];
}
