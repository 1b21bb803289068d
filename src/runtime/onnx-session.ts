/**
 * One onnxruntime session, in our tensors: the only file that speaks onnxruntime-node's API. Used on
 * worker threads and, for inline placement, on the main thread.
 *
 * onnxruntime-node is imported lazily: a process whose models all run in workers never loads the
 * native library on its main thread.
 */

import type { InferenceSession } from 'onnxruntime-node';
import { SlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import { DATATYPE_TO_ORT_TYPE, datatypeOfOrtType, type Tensor, type TensorMap } from './tensor.js';

/** Where a model's bytes come from. Bytes may live in a SharedArrayBuffer (shared with workers). */
export type ModelSource = { bytes: Uint8Array } | { path: string };

export interface SessionSettings {
  /** Threads for one operator; 1 per worker was fastest for small models on a 2-core machine (DESIGN.md). */
  intraOpNumThreads: number;
}

/**
 * Session options. Idle onnxruntime threads spin by default and burn a core on a small machine
 * (DESIGN.md, measured facts): spinning is off, inter-op parallelism is off (one model runs one
 * operator at a time; workers give the parallelism), and the graph is fully optimised once at load.
 * The `extra` keys are ORT session config entries (onnxruntime_session_options_config_keys.h), which
 * the Node binding passes through as strings.
 */
function sessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: settings.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // 4 = fatal only: converter-made graphs warn about unused initializers on every load, and ORT
    // prints every failed run to stderr itself, though we already report it as a SlipwayError.
    logSeverityLevel: 4,
    extra: {
      'session.intra_op.allow_spinning': '0',
      'session.inter_op.allow_spinning': '0',
    },
  };
}

export class OnnxSession {
  readonly #session: InferenceSession;
  readonly #ort: typeof import('onnxruntime-node');
  readonly #name: string;
  /** The signature's outputs: a model may have more (the registry can leave some out), never fewer. */
  readonly #fetches: readonly string[];
  #released = false;

  private constructor(
    ort: typeof import('onnxruntime-node'),
    session: InferenceSession,
    name: string,
    signature: Signature,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.#name = name;
    this.#fetches = signature.outputs.map((s) => s.name);
  }

  /**
   * Create a session and check it against the signature the registry recorded, so a model whose
   * inputs or outputs differ fails at load, not on its first request.
   */
  static async open(
    name: string,
    source: ModelSource,
    signature: Signature,
    settings: SessionSettings,
  ): Promise<OnnxSession> {
    const ort = await import('onnxruntime-node');
    let session: InferenceSession;
    try {
      if ('path' in source)
        session = await ort.InferenceSession.create(source.path, sessionOptions(settings));
      else {
        // The Node binding rejects SharedArrayBuffer-backed views: give it a private copy.
        const bytes =
          source.bytes.buffer instanceof SharedArrayBuffer ? new Uint8Array(source.bytes) : source.bytes;
        session = await ort.InferenceSession.create(bytes, sessionOptions(settings));
      }
    } catch (error) {
      throw new SlipwayError(
        'ONNX_LOAD_FAILED',
        `model "${name}": onnxruntime could not load it: ${errorText(error)}`,
        { model: name },
        { cause: error },
      );
    }
    const opened = new OnnxSession(ort, session, name, signature);
    try {
      opened.#checkSignature(signature);
    } catch (error) {
      await session.release();
      throw error;
    }
    return opened;
  }

  /** Run the model; `outputNames` null means every output of the signature. */
  async run(inputs: TensorMap, outputNames: readonly string[] | null): Promise<TensorMap> {
    const ort = this.#ort;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const name in inputs) {
      const t = inputs[name];
      feeds[name] = new ort.Tensor(DATATYPE_TO_ORT_TYPE[t.datatype], t.data, t.shape);
    }
    let results: InferenceSession.ReturnType;
    try {
      results = await this.#session.run(feeds, outputNames ?? this.#fetches);
    } catch (error) {
      throw new SlipwayError(
        'RUNTIME_INFERENCE_FAILED',
        `model "${this.#name}": onnxruntime failed: ${errorText(error)}`,
        { model: this.#name },
        { cause: error },
      );
    }
    const outputs: TensorMap = {};
    for (const name in results) {
      const value = results[name] as InstanceType<typeof ort.Tensor>;
      const datatype = datatypeOfOrtType(value.type);
      if (datatype === null) {
        throw new SlipwayError(
          'RUNTIME_INFERENCE_FAILED',
          `model "${this.#name}": output "${name}" has type ${value.type}, which V2 cannot carry`,
          { model: this.#name, output: name },
        );
      }
      outputs[name] = { datatype, shape: value.dims.slice(), data: value.data } as Tensor;
    }
    return outputs;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#session.release();
  }

  #checkSignature(signature: Signature): void {
    const problems: string[] = [];
    const check = (
      kind: 'input' | 'output',
      names: readonly string[],
      metadata: readonly InferenceSession.ValueMetadata[],
      specs: Signature['inputs'],
    ) => {
      for (const spec of specs) {
        const index = names.indexOf(spec.name);
        if (index < 0) {
          problems.push(`the model has no ${kind} "${spec.name}" (it has ${names.join(', ')})`);
          continue;
        }
        const meta = metadata[index];
        const datatype = meta?.isTensor ? datatypeOfOrtType(meta.type) : null;
        if (datatype !== spec.datatype) {
          problems.push(
            `${kind} "${spec.name}" is ${meta?.isTensor ? meta.type : 'not a tensor'} in the model, ${spec.datatype} in the signature`,
          );
        }
      }
    };
    check('input', this.#session.inputNames, this.#session.inputMetadata, signature.inputs);
    check('output', this.#session.outputNames, this.#session.outputMetadata, signature.outputs);
    for (const name of this.#session.inputNames) {
      if (!signature.inputs.some((s) => s.name === name))
        problems.push(`model input "${name}" is not in the signature`);
    }
    if (problems.length > 0) {
      throw new SlipwayError(
        'RUNTIME_MODEL_NOT_SERVABLE',
        `model "${this.#name}" does not match its signature: ${problems.join('; ')}`,
        { model: this.#name, problems },
      );
    }
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // ORT messages can span lines ("for the following indices\n index: 1 Got: 29 Expected: 30").
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
