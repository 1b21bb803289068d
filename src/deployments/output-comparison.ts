import type { Tensor, TensorMap } from '../runtime/tensor.js';

/** How a shadow's answer compares with the primary's, for one request. */
export interface OutputComparison {
  /** Rows compared (the first dimension of the compared outputs), 0 when nothing was comparable. */
  rows: number;
  /** Rows on which the shadow agreed with the primary (see `compareOutputs`). */
  agreeingRows: number;
  /** Sum, count and maximum of |primary − shadow| over floating-point elements. */
  deltaSum: number;
  deltaCount: number;
  deltaMax: number;
}

const FLOAT_TYPES = new Set(['FP16', 'FP32', 'FP64']);

/**
 * Compares the outputs both answers share (same name and shape). A row agrees when, in every
 * shared output: a class-score matrix (`[n, k]`, k > 1, floating point) picks the same argmax; a
 * floating-point value is within 1e-5 relative (1e-6 absolute); anything else is equal. Deltas are
 * taken over every floating-point element.
 */
export function compareOutputs(primary: TensorMap, shadow: TensorMap): OutputComparison {
  const result: OutputComparison = { rows: 0, agreeingRows: 0, deltaSum: 0, deltaCount: 0, deltaMax: 0 };
  let agree: Uint8Array | null = null;
  for (const name of Object.keys(primary)) {
    const a = primary[name];
    const b = shadow[name];
    if (
      b === undefined ||
      a.datatype !== b.datatype ||
      !sameShape(a.shape, b.shape) ||
      a.shape.length === 0
    ) {
      continue;
    }
    const rows = a.shape[0];
    if (agree === null) {
      agree = new Uint8Array(rows).fill(1);
      result.rows = rows;
    } else if (rows !== result.rows) continue;
    compareTensor(a, b, rows, agree, result);
  }
  if (agree !== null) for (const v of agree) result.agreeingRows += v;
  return result;
}

function compareTensor(a: Tensor, b: Tensor, rows: number, agree: Uint8Array, out: OutputComparison): void {
  const width = rows === 0 ? 0 : a.data.length / rows;
  if (FLOAT_TYPES.has(a.datatype) && a.datatype !== 'FP16') {
    const x = a.data as Float32Array | Float64Array;
    const y = b.data as Float32Array | Float64Array;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      out.deltaSum += d;
      out.deltaCount++;
      if (d > out.deltaMax) out.deltaMax = d;
    }
    if (a.shape.length === 2 && width > 1) {
      for (let r = 0; r < rows; r++)
        if (argmax(x, r * width, width) !== argmax(y, r * width, width)) agree[r] = 0;
    } else {
      for (let r = 0; r < rows; r++) {
        for (let c = r * width; c < (r + 1) * width; c++) {
          if (Math.abs(x[c] - y[c]) > 1e-6 + 1e-5 * Math.abs(x[c])) {
            agree[r] = 0;
            break;
          }
        }
      }
    }
    return;
  }
  const x = a.data as ArrayLike<unknown>;
  const y = b.data as ArrayLike<unknown>;
  for (let r = 0; r < rows; r++) {
    for (let c = r * width; c < (r + 1) * width; c++) {
      if (x[c] !== y[c]) {
        agree[r] = 0;
        break;
      }
    }
  }
}

function argmax(data: ArrayLike<number>, start: number, width: number): number {
  let best = 0;
  for (let i = 1; i < width; i++) if (data[start + i] > data[start + best]) best = i;
  return best;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
