/**
 * How a model version's tensors become the named columns of the prediction log, of its reference
 * profile and of drift windows. One definition, used by the writer (encoding rows), the reference
 * builder (profiling a dataset and the model's answers on it) and window reading, so the three
 * always agree on names.
 *
 * Features: a single 2-D input `[n, k]` is k columns named by the feature names recorded at
 * registration (else `<input>_<j>`); other inputs of one value per row (`[n]`, `[n, 1]`) are a
 * column each, named after the input; wider per-row inputs (images, token ids) are left out of the
 * log (`MAX_LOGGED_WIDTH`), since a drift test on pixels says nothing useful and would multiply the
 * log's size by thousands.
 *
 * Outputs: one value per row is a column named after the output; a vector of up to
 * `MAX_LOGGED_WIDTH` values per row (class scores) is logged as a list and profiled as one column
 * per element, `<output>[<j>]`.
 */

/** Values per row above which an input or output is not logged. */
export const MAX_LOGGED_WIDTH = 256;

export interface TensorShapeInfo {
  name: string;
  /** The tensor's shape; -1 (or any value) for the batch dimension. */
  shape: readonly number[];
}

/** Values per row of a tensor: the product of its non-batch dimensions (1 for `[n]`). */
export function rowWidth(shape: readonly number[]): number {
  let w = 1;
  for (let i = 1; i < shape.length; i++) w *= shape[i];
  return w;
}

/**
 * The feature columns of a model version, in input order: `{name, input, offset}` where `offset`
 * is the position within the input's row.
 */
export function featureColumns(
  inputs: readonly TensorShapeInfo[],
  featureNames: readonly string[] | null,
): { name: string; input: string; offset: number }[] {
  if (inputs.length === 1 && inputs[0].shape.length === 2) {
    const input = inputs[0];
    const k = input.shape[1];
    if (featureNames && (k < 0 || featureNames.length === k)) {
      return featureNames.map((name, offset) => ({ name, input: input.name, offset }));
    }
    if (k > 1 && k <= MAX_LOGGED_WIDTH) {
      return Array.from({ length: k }, (_, offset) => ({
        name: `${input.name}_${offset}`,
        input: input.name,
        offset,
      }));
    }
  }
  const out: { name: string; input: string; offset: number }[] = [];
  for (const input of inputs) {
    if (input.shape.length <= 1 || (input.shape.length === 2 && input.shape[1] === 1)) {
      out.push({ name: input.name, input: input.name, offset: 0 });
    }
  }
  return out;
}

/** The name of element `j` of a vector output in profiles and drift results. */
export function outputElementName(output: string, j: number): string {
  return `${output}[${j}]`;
}

/** One profiled column of a model's outputs: a whole scalar output, or one element of a vector. */
export interface OutputColumn {
  column: string;
  output: string;
  /** The element of a vector output, or null for a scalar one. */
  index: number | null;
}

/** The output columns of answered outputs (tensor name, shape), in output order. */
export function outputColumns(outputs: readonly TensorShapeInfo[]): OutputColumn[] {
  const out: OutputColumn[] = [];
  for (const o of outputs) {
    const width = rowWidth(o.shape);
    if (width > MAX_LOGGED_WIDTH) continue;
    if (o.shape.length <= 1) out.push({ column: o.name, output: o.name, index: null });
    else
      for (let j = 0; j < width; j++)
        out.push({ column: outputElementName(o.name, j), output: o.name, index: j });
  }
  return out;
}
