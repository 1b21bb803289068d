/**
 * The floor: what exact tests cannot avoid, copying and sorting every column, with V8's
 * built-in `Float64Array.prototype.sort` and with slipway's radix sort.
 */
import { sortFloat64 } from '../../../src/monitoring/profile/sort-float64.js';
import type { BenchData } from '../data/generate.js';

export function runFloor(data: BenchData) {
  let t0 = performance.now();
  for (const c of [...Object.values(data.reference), ...Object.values(data.current)])
    Float64Array.from(c).sort();
  const builtinSortMs = performance.now() - t0;
  t0 = performance.now();
  for (const c of [...Object.values(data.reference), ...Object.values(data.current)])
    sortFloat64(Float64Array.from(c));
  const radixSortMs = performance.now() - t0;
  return { builtinSortMs, radixSortMs };
}
