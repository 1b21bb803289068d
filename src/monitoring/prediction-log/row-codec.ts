/**
 * How a logged row's features and outputs are packed: values in the order of a layout (one per
 * model version and tensor shapes, stored once), little-endian, float32 values as 4 bytes (a
 * float32 input is logged exactly as the model saw it), other numbers as float64, strings as a
 * uint32 byte length and their UTF-8 bytes. A 30-feature row of a tabular classifier is 136
 * bytes; the same row as JSON with names was ~1.1 KB, and SQLite's insert cost grows with the row
 * (bench/monitoring/README.md has the measurement that chose this).
 */

export const FIELD_TYPES = ['f4', 'f8', 's'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Values of the field in one row: 1 for a scalar, k for a vector (class scores). */
  width: number;
  /** True when the values read back as a list (a vector output), false for one value. */
  list: boolean;
}

export interface LayoutSpec {
  v: 1;
  features: FieldSpec[];
  outputs: FieldSpec[];
}

const decoder = new TextDecoder();

/** Reads packed values back into `{name: value | value[]}`. */
export function unpackFields(fields: readonly FieldSpec[], bytes: Uint8Array): Record<string, unknown> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, unknown> = {};
  let pos = 0;
  for (const f of fields) {
    const values: unknown[] = f.list ? new Array(f.width) : [];
    for (let j = 0; j < f.width; j++) {
      let v: unknown;
      if (f.type === 'f4') {
        v = view.getFloat32(pos, true);
        pos += 4;
      } else if (f.type === 'f8') {
        v = view.getFloat64(pos, true);
        pos += 8;
      } else {
        const n = view.getUint32(pos, true);
        v = decoder.decode(bytes.subarray(pos + 4, pos + 4 + n));
        pos += 4 + n;
      }
      if (f.list) values[j] = v;
      else out[f.name] = v;
    }
    if (f.list) out[f.name] = values;
  }
  return out;
}

/** A row of values packed by a layout, read back: features and outputs by name. */
export interface UnpackedRow {
  features: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export function parseLayout(json: string): LayoutSpec {
  return JSON.parse(json) as LayoutSpec;
}
