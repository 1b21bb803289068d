/**
 * How the columns of an input file feed a model: which column fills which element of which input
 * tensor, and which columns are copied through to the output. Built once per job from the file's
 * header, before any row is read, so a missing column stops the job before any work.
 *
 * The mapping follows `serving/tabular-input.ts` (MLflow's tabular convention):
 * - a model with one 2-D input `[-1, k]` takes k columns named by the feature names recorded at
 *   registration (`models register --dataset`), in that order; without recorded names, the file's
 *   own columns (less the copied-through ones) when there are exactly k;
 * - otherwise each input `[-1]` or `[-1, 1]` takes the column named after it.
 * Extra columns are ignored.
 */
import { SlipwayError } from '../core/errors.js';
import type { Datatype, TensorSpec } from '../core/tensor-types.js';
import type { ModelVersionRecord } from '../store/registry-store.js';

/** What the reader does with one column of the file (a small integer: it is read once per cell). */
export const COLUMN_KIND = {
  ignore: 0,
  /** FP32 or FP64: the parsed number is stored as is. */
  float: 1,
  /** An integer type of at most 32 bits or BOOL: the number must be an integer in range. */
  int: 2,
  /** INT64 or UINT64: stored as a BigInt. */
  bigint: 3,
  /** FP16: stored as half-precision bits. */
  fp16: 4,
  /** BYTES: the cell's text. */
  text: 5,
} as const;

export interface PlannedInput {
  name: string;
  datatype: Datatype;
  /** Values per row (k for `[-1, k]`, 1 otherwise). */
  width: number;
  /** True for `[-1, k]` and `[-1, 1]` inputs (the tensor is `[rows, width]`), false for `[-1]`. */
  matrix: boolean;
  /** The file columns that fill it, in element order. */
  columns: string[];
}

export interface InputPlanOptions {
  idColumn?: string | null;
  keepColumns?: readonly string[];
}

export class InputPlan {
  readonly inputs: readonly PlannedInput[];
  /** The file's columns, as its header names them. */
  readonly header: readonly string[];
  /** Per file column: a COLUMN_KIND. */
  readonly kinds: Uint8Array;
  /** Per file column: the index of the input it fills, or -1. */
  readonly inputOf: Int32Array;
  /** Per file column: its element within a row of that input. */
  readonly offsetOf: Int32Array;
  /** Per file column: its index among the copied-through columns, or -1. */
  readonly passOf: Int32Array;
  /** The copied-through columns: the id column first, then the kept ones. */
  readonly passthrough: readonly string[];
  /** Per file column that feeds an input: whether integer kinds may be signed, and their bounds. */
  readonly bounds: Float64Array;

  constructor(record: ModelVersionRecord, header: readonly string[], options: InputPlanOptions = {}) {
    this.header = header;
    const seen = new Map<string, number>();
    for (const [i, name] of header.entries()) {
      if (seen.has(name)) {
        throw new SlipwayError(
          'BATCH_INVALID_INPUT',
          `the input file names column "${name}" twice (columns ${seen.get(name)! + 1} and ${i + 1})`,
          { column: name },
        );
      }
      seen.set(name, i);
    }
    const passthrough = [...(options.idColumn ? [options.idColumn] : []), ...(options.keepColumns ?? [])];
    this.passthrough = [...new Set(passthrough)];
    this.inputs = planInputs(record, header, this.passthrough);

    const missingFeatures = this.inputs.flatMap((i) => i.columns).filter((c) => !seen.has(c));
    const missingCopied = this.passthrough.filter((c) => !seen.has(c));
    if (missingFeatures.length + missingCopied.length > 0) {
      throw missingColumns(record, missingFeatures, missingCopied, header);
    }

    const n = header.length;
    this.kinds = new Uint8Array(n);
    this.inputOf = new Int32Array(n).fill(-1);
    this.offsetOf = new Int32Array(n);
    this.passOf = new Int32Array(n).fill(-1);
    this.bounds = new Float64Array(2 * n);
    for (const [p, name] of this.passthrough.entries()) this.passOf[seen.get(name)!] = p;
    for (const [i, input] of this.inputs.entries()) {
      const kind = kindOf(input.datatype);
      const [lo, hi] = INT_BOUNDS[input.datatype] ?? [0, 0];
      for (const [offset, name] of input.columns.entries()) {
        const col = seen.get(name)!;
        if (this.inputOf[col] >= 0) {
          throw new SlipwayError(
            'BATCH_UNSUPPORTED_MODEL',
            `column "${name}" would feed two model inputs; batch prediction maps each column to one input`,
          );
        }
        this.kinds[col] = kind;
        this.inputOf[col] = i;
        this.offsetOf[col] = offset;
        this.bounds[2 * col] = lo;
        this.bounds[2 * col + 1] = hi;
      }
    }
  }

  /** Columns the reader must decode for each row: those feeding an input or copied through. */
  get usedColumns(): string[] {
    return this.header.filter((_, i) => this.kinds[i] !== COLUMN_KIND.ignore || this.passOf[i] >= 0);
  }
}

function planInputs(
  record: ModelVersionRecord,
  header: readonly string[],
  passthrough: readonly string[],
): PlannedInput[] {
  const specs = record.signature.inputs;
  const ref = `${record.name}:${record.version}`;
  if (specs.length === 0) {
    throw new SlipwayError('BATCH_UNSUPPORTED_MODEL', `model ${ref} has no inputs slipway can read`);
  }
  const featureNames = (record.metadata.featureNames as string[] | null | undefined) ?? null;
  const single = specs.length === 1 && specs[0].shape.length === 2;
  if (single && (specs[0].shape[1] !== 1 || featureNames?.length === 1)) {
    const spec = specs[0];
    const width = spec.shape[1];
    let columns: string[];
    if (featureNames) columns = featureNames;
    else {
      const candidates = header.filter((c) => !passthrough.includes(c));
      if (width >= 0 && candidates.length !== width) {
        throw new SlipwayError(
          'BATCH_MISSING_COLUMN',
          `model ${ref} takes ${width} features in input "${spec.name}" but records no feature names, and the ` +
            `file has ${candidates.length} columns to give it; register the model with --dataset (and --target) ` +
            'so that columns are matched by name',
          { model: ref },
        );
      }
      columns = candidates;
    }
    checkSupported(spec, ref);
    return [{ name: spec.name, datatype: spec.datatype, width: columns.length, matrix: true, columns }];
  }
  return specs.map((spec) => {
    const oneValue = spec.shape.length === 1 || (spec.shape.length === 2 && spec.shape[1] === 1);
    if (!oneValue) {
      throw new SlipwayError(
        'BATCH_UNSUPPORTED_MODEL',
        `model ${ref}: input "${spec.name}" has shape [${spec.shape.join(',')}]; batch prediction reads ` +
          'tabular inputs: one [-1, k] input, or inputs of one value per row named after columns',
        { model: ref, input: spec.name },
      );
    }
    checkSupported(spec, ref);
    return {
      name: spec.name,
      datatype: spec.datatype,
      width: 1,
      matrix: spec.shape.length === 2,
      columns: [spec.name],
    };
  });
}

function checkSupported(spec: TensorSpec, ref: string): void {
  if (spec.shape[0] !== -1 && spec.shape[0] !== undefined) {
    throw new SlipwayError(
      'BATCH_UNSUPPORTED_MODEL',
      `model ${ref}: input "${spec.name}" has a fixed batch dimension ${spec.shape[0]}; batch prediction needs a dynamic one`,
      { model: ref, input: spec.name },
    );
  }
}

function kindOf(datatype: Datatype): number {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return COLUMN_KIND.float;
    case 'INT64':
    case 'UINT64':
      return COLUMN_KIND.bigint;
    case 'FP16':
      return COLUMN_KIND.fp16;
    case 'BYTES':
      return COLUMN_KIND.text;
    default:
      return COLUMN_KIND.int;
  }
}

const INT_BOUNDS: Partial<Record<Datatype, [number, number]>> = {
  BOOL: [0, 1],
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647],
  UINT32: [0, 4294967295],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

function missingColumns(
  record: ModelVersionRecord,
  features: string[],
  copied: string[],
  header: readonly string[],
): SlipwayError {
  const shown = header.length > 40 ? [...header.slice(0, 40), `... (${header.length} in all)`] : header;
  const quote = (names: string[]) => names.map((m) => `"${m}"`).join(', ');
  const parts: string[] = [];
  if (features.length > 0) {
    parts.push(
      `the input file has no column ${quote(features)}, which model ${record.name}:${record.version} ` +
        `needs as ${features.length > 1 ? 'features' : 'a feature'}`,
    );
  }
  if (copied.length > 0) parts.push(`the input file has no column ${quote(copied)} to copy through`);
  return new SlipwayError(
    'BATCH_MISSING_COLUMN',
    `${parts.join('; ')}; the file's columns are ${shown.join(', ') || '(none)'}`,
    { missing: [...features, ...copied], model: `${record.name}:${record.version}` },
  );
}
