/**
 * IEEE 754 half precision <-> JavaScript number, for FP16 tensors in JSON.
 *
 * Node 20 has no Float16Array, and onnxruntime-node takes and returns `float16` data as the raw bits
 * in a Uint16Array. Triton refuses FP16 in JSON altogether (protocols.md A.8); converting here lets a
 * JSON client use an FP16 model at all. Rounding is to nearest, ties to even, like numpy's astype.
 */

/** The half-precision bit pattern nearest to `value`. */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs >= 65520) return sign | 0x7c00; // rounds past the largest half (65504): infinity
  if (abs < 2 ** -24 / 2) return sign; // below half the smallest subnormal: zero
  if (abs < 2 ** -14) {
    // Subnormal: a multiple of 2^-24; Math.round ties away from zero, so fix ties to even by hand.
    const scaled = abs / 2 ** -24;
    let m = Math.floor(scaled);
    const rest = scaled - m;
    if (rest > 0.5 || (rest === 0.5 && (m & 1) === 1)) m += 1;
    return sign | m;
  }
  // Normal: abs = 2^e * (1 + m/1024). Dividing by a power of two and scaling by 1024 are exact in
  // double precision, so the tie test sees the true remainder (no double rounding through float32).
  let e = Math.floor(Math.log2(abs));
  if (2 ** e > abs) e -= 1;
  else if (2 ** (e + 1) <= abs) e += 1;
  const scaled = (abs / 2 ** e) * 1024 - 1024;
  let m = Math.floor(scaled);
  const rest = scaled - m;
  if (rest > 0.5 || (rest === 0.5 && (m & 1) === 1)) m += 1;
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** The number a half-precision bit pattern stands for. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
