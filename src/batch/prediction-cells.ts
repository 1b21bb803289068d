/**
 * Reads prediction values out of output tensors for the text writers: one small integer per column
 * says how its values are stored and printed, resolved once per batch, not per cell.
 */
import type { Datatype } from '../core/tensor-types.js';
import { fromFloat16Bits } from '../runtime/float16.js';
import type { TensorData, TensorMap } from '../runtime/tensor.js';
import type { OutputBytes } from './output-bytes.js';
import type { OutputPlan } from './output-plan.js';

/** Index of the low 32-bit half of an int64 in an Int32Array view (0 on little-endian machines). */
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

export const CELL = { float32: 0, float64: 1, integer: 2, bigint: 3, bool: 4, text: 5, float16: 6 } as const;

export function cellKind(datatype: Datatype): number {
  switch (datatype) {
    case 'FP32':
      return CELL.float32;
    case 'FP64':
      return CELL.float64;
    case 'FP16':
      return CELL.float16;
    case 'INT64':
    case 'UINT64':
      return CELL.bigint;
    case 'BOOL':
      return CELL.bool;
    case 'BYTES':
      return CELL.text;
    default:
      return CELL.integer;
  }
}

/** Per prediction column of `plan`: its tensor's data, stride and element, for one batch. */
export interface PredictionViews {
  kinds: Uint8Array;
  /** For 64-bit integer columns, an Int32Array over the same bytes (see `writeCell`). */
  data: TensorData[];
  widths: Int32Array;
  elements: Int32Array;
}

export function predictionViews(plan: OutputPlan, outputs: TensorMap): PredictionViews {
  const n = plan.predictions.length;
  const views: PredictionViews = {
    kinds: new Uint8Array(n),
    data: new Array<TensorData>(n),
    widths: new Int32Array(n),
    elements: new Int32Array(n),
  };
  for (let c = 0; c < n; c++) {
    const p = plan.predictions[c];
    const tensor = outputs[p.output];
    if (tensor === undefined) throw new Error(`the model returned no output "${p.output}"`);
    views.kinds[c] = cellKind(tensor.datatype);
    const data = tensor.data;
    views.data[c] =
      views.kinds[c] === CELL.bigint
        ? new Int32Array((data as BigInt64Array).buffer, (data as BigInt64Array).byteOffset, data.length * 2)
        : data;
    views.widths[c] = p.width;
    views.elements[c] = p.element;
  }
  return views;
}

/** Whether the value at `index` is a finite number (JSON has no NaN or infinity). */
export function isFiniteCell(kind: number, data: TensorData, index: number): boolean {
  if (kind === CELL.float32 || kind === CELL.float64) return Number.isFinite((data as Float32Array)[index]);
  if (kind === CELL.float16) return Number.isFinite(fromFloat16Bits((data as Uint16Array)[index]));
  return true;
}

/** Print one prediction value; `text` writes a BYTES value (quoted for CSV, JSON-encoded for JSON Lines). */
export function writeCell(
  out: OutputBytes,
  kind: number,
  data: TensorData,
  index: number,
  text: (out: OutputBytes, value: string) => void,
): void {
  switch (kind) {
    case CELL.float32:
      out.float32((data as Float32Array)[index]);
      return;
    case CELL.float64:
      out.float64((data as Float64Array)[index]);
      return;
    case CELL.integer:
      out.integer((data as Int32Array)[index]);
      return;
    case CELL.bigint: {
      // Reading a BigInt64Array allocates a BigInt per value; class labels and counts fit in 32
      // bits, so read the two halves (little-endian) and only build a BigInt when they do not.
      const halves = data as Int32Array;
      const lo = halves[2 * index + LOW];
      const hi = halves[2 * index + 1 - LOW];
      if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) out.integer(lo);
      else out.text(String(new BigInt64Array(halves.buffer, halves.byteOffset + 8 * index, 1)[0]));
      return;
    }
    case CELL.bool:
      out.text((data as Uint8Array)[index] ? 'true' : 'false');
      return;
    case CELL.float16:
      out.float32(fromFloat16Bits((data as Uint16Array)[index]));
      return;
    default:
      text(out, (data as string[])[index]);
  }
}
