/**
 * The columns of a prediction output: the copied-through columns (id first), then one column per
 * value of each model output, in signature order. An output of one value per row (`[-1]` or
 * `[-1, 1]`) is a column named after it; a wider one (`probabilities`, `[-1, k]`) gives
 * `probabilities_<label>` when the model's class labels are known and number k, else
 * `probabilities_0` to `probabilities_<k-1>`.
 */
import { SlipwayError } from '../core/errors.js';
import type { Datatype, TensorSpec } from '../core/tensor-types.js';
import type { TensorMap } from '../runtime/tensor.js';
import type { ModelVersionRecord } from '../store/registry-store.js';

export interface PredictionColumn {
  name: string;
  /** The model output it comes from, and its element within a row of that output. */
  output: string;
  element: number;
  /** Values per row of that output. */
  width: number;
  datatype: Datatype;
}

export class OutputPlan {
  readonly passthrough: readonly string[];
  readonly predictions: readonly PredictionColumn[];

  private constructor(passthrough: readonly string[], predictions: PredictionColumn[]) {
    this.passthrough = passthrough;
    this.predictions = predictions;
  }

  /** Every output column name, in order. */
  get columns(): string[] {
    return [...this.passthrough, ...this.predictions.map((p) => p.name)];
  }

  /**
   * Plans the columns from the signature; `sample` (the first batch's outputs) gives the width of
   * outputs whose second dimension is dynamic. Without a sample such an output counts as width 1.
   */
  static of(
    record: ModelVersionRecord,
    passthrough: readonly string[],
    sample: TensorMap | null,
  ): OutputPlan {
    const labels = (record.metadata.classLabels as string[] | null | undefined) ?? null;
    const predictions: PredictionColumn[] = [];
    for (const spec of record.signature.outputs) {
      const width = widthOf(spec, sample);
      if (width === 1) {
        predictions.push({ name: spec.name, output: spec.name, element: 0, width, datatype: spec.datatype });
        continue;
      }
      const named = labels !== null && labels.length === width && spec.shape.length === 2;
      for (let e = 0; e < width; e++) {
        predictions.push({
          name: `${spec.name}_${named ? labels[e] : e}`,
          output: spec.name,
          element: e,
          width,
          datatype: spec.datatype,
        });
      }
    }
    const seen = new Set<string>();
    for (const name of [...passthrough, ...predictions.map((p) => p.name)]) {
      if (seen.has(name)) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `output column "${name}" would appear twice: a copied-through column has the name of a prediction column; ` +
            'rename that column in the input or leave it out of --keep-columns/--id-column',
          { column: name },
        );
      }
      seen.add(name);
    }
    return new OutputPlan(passthrough, predictions);
  }
}

function widthOf(spec: TensorSpec, sample: TensorMap | null): number {
  const observed = sample?.[spec.name]?.shape;
  const dims = observed ?? spec.shape;
  let width = 1;
  for (let i = 1; i < dims.length; i++) width *= dims[i] < 0 ? 1 : dims[i];
  return width;
}
