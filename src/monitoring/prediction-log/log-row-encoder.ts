/**
 * Turns answered predictions (typed tensors) into batches of prediction-log rows: one row per
 * input row, its features and outputs packed by a layout (row-codec.ts).
 *
 * A request is encoded as it is recorded (`add`), into the batch being built, and the batch is
 * taken whole (`take`) when it is full or due. Keeping the events until the flush instead held
 * every request's tensors for up to 50 ms: they outlived the young generation and were copied and
 * promoted by the garbage collector, which bench/monitoring measured at about 3 µs a request on
 * the event loop, more than the encoding itself. The encoding is kept cheap: each (model,
 * version, tensor shapes) gets its layout and a copy plan once, found again without building a
 * key (the last plan is checked first); float32 features are copied as bytes (one copy for a
 * row's 30 features); and a batch is columns of typed arrays and a few strings, which cross to a
 * writer thread as a handful of blocks rather than thousands of strings.
 */
import { fromFloat16Bits } from '../../runtime/float16.js';
import type { Tensor, TensorMap } from '../../runtime/tensor.js';
import type { PredictionEvent } from '../../serving/prediction-sink.js';
import type { LogBatch, LogStream } from '../../store/prediction-log-store.js';
import { featureColumns, MAX_LOGGED_WIDTH, rowWidth } from './log-columns.js';
import type { FieldSpec, FieldType, LayoutSpec } from './row-codec.js';

/** A run of values copied or converted together: consecutive fields of one tensor. */
interface Segment {
  tensor: string;
  /** First value within the tensor's row, values taken, values per tensor row. */
  offset: number;
  count: number;
  stride: number;
  how: 'copy4' | 'copy8' | 'f4' | 'f8' | 'half' | 'bigint' | 'string';
}

/** What a plan was built for: each tensor's name, datatype and per-row shape, inputs then outputs. */
interface TensorKey {
  name: string;
  datatype: string;
  rowShape: readonly number[];
}

interface Plan {
  model: string;
  version: number;
  inputs: TensorKey[];
  outputs: TensorKey[];
  json: string;
  features: Segment[];
  /** Named `outputSegments` so that `outputs` can name the tensors the plan was built for. */
  outputSegments: Segment[];
  /** Bytes of a row's numeric part (strings come on top). */
  fixedBytes: number;
}

/** Rows in an event: the batch dimension of its first input (1 for a scalar input). */
export function eventRows(event: PredictionEvent): number {
  for (const name in event.inputs) {
    const shape = event.inputs[name].shape;
    return shape.length === 0 ? 1 : shape[0];
  }
  return 0;
}

const encoder = new TextEncoder();

/** Builds one batch at a time; plans and layouts outlive batches. */
export class LogRowEncoder {
  readonly #plans = new Map<string, Plan[]>();
  #lastPlan: Plan | null = null;
  #buf = new Growable(64 * 1024);
  #offsets = new Uint32Array(2048);
  #rows = 0;
  // Per request.
  #requests = 0;
  #stream = new Int32Array(256);
  #layout = new Int32Array(256);
  #at = new Float64Array(256);
  #latency = new Float64Array(256);
  #rowCounts = new Int32Array(256);
  /** Request ids as UTF-8, not the strings: a generated id is a rope of a dozen string pieces, and the garbage collector copied them all while the batch was built. */
  #ids = new Growable(16 * 1024);
  #idEnds = new Uint32Array(256);
  #keys: (string | null)[] | null = null;
  // Per batch: layouts and streams, named by index.
  #layouts: string[] = [];
  #layoutIndex = new Map<string, number>();
  #streams: LogStream[] = [];
  #lastStream = -1;

  /** Rows in the batch being built. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Adds an event's rows, logged at `time`, to the batch being built. Throws only for an event
   * that cannot be encoded, and then leaves the batch as it was.
   */
  add(event: PredictionEvent, time: number): void {
    const plan = this.#planOf(event);
    const rows = eventRows(event);
    const q = this.#requests;
    if (q === this.#rowCounts.length) this.#growRequests();
    const k0 = this.#rows;
    if (2 * (k0 + rows) + 1 > this.#offsets.length) {
      const next = new Uint32Array(Math.max(2 * this.#offsets.length, 2 * (k0 + rows) + 1));
      next.set(this.#offsets);
      this.#offsets = next;
    }
    const buf = this.#buf;
    const start = buf.length;
    const offsets = this.#offsets;
    try {
      buf.reserve(rows * plan.fixedBytes);
      for (let r = 0, k = k0; r < rows; r++, k++) {
        offsets[2 * k] = buf.length;
        packSegments(buf, plan.features, event.inputs, r);
        offsets[2 * k + 1] = buf.length;
        packSegments(buf, plan.outputSegments, event.outputs, r);
      }
    } catch (err) {
      buf.length = start;
      throw err;
    }
    this.#rows = k0 + rows;
    offsets[2 * this.#rows] = buf.length;
    this.#stream[q] = this.#streamOf(event);
    this.#layout[q] = this.#layoutOf(plan.json);
    this.#at[q] = Math.round(time);
    this.#latency[q] = event.latencyMs;
    this.#rowCounts[q] = rows;
    this.#ids.utf8(event.requestId);
    this.#idEnds[q] = this.#ids.length;
    if (event.predictionKey !== null) {
      this.#keys ??= new Array(q).fill(null);
      this.#keys.push(event.predictionKey);
    } else this.#keys?.push(null);
    this.#requests = q + 1;
  }

  /**
   * The batch built so far, in buffers of its own (a typed array crosses to another thread with
   * its whole buffer, so each is cut to size), and a fresh one begins.
   */
  take(): LogBatch {
    const q = this.#requests;
    const batch: LogBatch = {
      layouts: this.#layouts,
      streams: this.#streams,
      stream: this.#stream.slice(0, q),
      layout: this.#layout.slice(0, q),
      at: this.#at.slice(0, q),
      latencyMs: this.#latency.slice(0, q),
      rowCounts: this.#rowCounts.slice(0, q),
      requestIds: this.#ids.copy(),
      requestIdEnds: this.#idEnds.slice(0, q),
      predictionKeys: this.#keys,
      data: this.#buf.copy(),
      offsets: this.#offsets.slice(0, 2 * this.#rows + 1),
    };
    this.#buf.length = 0;
    this.#offsets[0] = 0;
    this.#rows = 0;
    this.#requests = 0;
    this.#ids.length = 0;
    this.#keys = null;
    this.#layouts = [];
    this.#layoutIndex.clear();
    this.#streams = [];
    this.#lastStream = -1;
    return batch;
  }

  /** Drops the batch being built. */
  clear(): void {
    this.take();
  }

  /** Packs the events' rows (each logged at its entry of `times`) into one batch. */
  encodeBatch(events: readonly PredictionEvent[], times: readonly number[]): LogBatch {
    for (let i = 0; i < events.length; i++) this.add(events[i], times[i]);
    return this.take();
  }

  #growRequests(): void {
    const n = 2 * this.#rowCounts.length;
    const grow = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(a);
      return next;
    };
    this.#stream = grow(this.#stream, (m) => new Int32Array(m));
    this.#layout = grow(this.#layout, (m) => new Int32Array(m));
    this.#at = grow(this.#at, (m) => new Float64Array(m));
    this.#latency = grow(this.#latency, (m) => new Float64Array(m));
    this.#rowCounts = grow(this.#rowCounts, (m) => new Int32Array(m));
    this.#idEnds = grow(this.#idEnds, (m) => new Uint32Array(m));
  }

  #streamOf(event: PredictionEvent): number {
    const streams = this.#streams;
    const last = this.#lastStream;
    if (last >= 0 && sameStream(streams[last], event)) return last;
    let i = 0;
    while (i < streams.length && !sameStream(streams[i], event)) i++;
    if (i === streams.length) {
      streams.push({
        model: event.model,
        version: event.version,
        deployment: event.deployment,
        protocol: event.protocol,
      });
    }
    this.#lastStream = i;
    return i;
  }

  #layoutOf(json: string): number {
    let i = this.#layoutIndex.get(json);
    if (i === undefined) {
      i = this.#layouts.push(json) - 1;
      this.#layoutIndex.set(json, i);
    }
    return i;
  }

  #planOf(event: PredictionEvent): Plan {
    const last = this.#lastPlan;
    if (last !== null && planFits(last, event)) return last;
    const key = `${event.model}\u0000${event.version}`;
    let plans = this.#plans.get(key);
    let plan = plans?.find((p) => planFits(p, event));
    if (!plan) {
      plan = buildPlan(event);
      // Versions come and go; a bounded cache keeps a long-running server's memory flat.
      if (this.#plans.size >= 1024) this.#plans.clear();
      plans = this.#plans.get(key) ?? [];
      if (plans.length >= 16) plans.length = 0;
      plans.push(plan);
      this.#plans.set(key, plans);
    }
    this.#lastPlan = plan;
    return plan;
  }
}

function sameStream(s: LogStream, event: PredictionEvent): boolean {
  return (
    s.model === event.model &&
    s.version === event.version &&
    s.deployment === event.deployment &&
    s.protocol === event.protocol
  );
}

/** Whether the plan was built for this event's model version, tensor names, datatypes and row shapes. */
function planFits(plan: Plan, event: PredictionEvent): boolean {
  return (
    plan.model === event.model &&
    plan.version === event.version &&
    tensorsFit(plan.inputs, event.inputs) &&
    tensorsFit(plan.outputs, event.outputs)
  );
}

function tensorsFit(keys: readonly TensorKey[], tensors: TensorMap): boolean {
  let i = 0;
  for (const name in tensors) {
    const key = keys[i++];
    if (key === undefined || key.name !== name) return false;
    const t = tensors[name];
    if (t.datatype !== key.datatype || t.shape.length !== key.rowShape.length + 1) return false;
    for (let d = 1; d < t.shape.length; d++) if (t.shape[d] !== key.rowShape[d - 1]) return false;
  }
  return i === keys.length;
}

function tensorKeys(tensors: TensorMap): TensorKey[] {
  return Object.entries(tensors).map(([name, t]) => ({
    name,
    datatype: t.datatype,
    rowShape: t.shape.slice(1),
  }));
}

function fieldType(t: Tensor): FieldType {
  if (t.datatype === 'BYTES') return 's';
  return t.datatype === 'FP32' || t.datatype === 'FP16' ? 'f4' : 'f8';
}

function how(t: Tensor): Segment['how'] {
  switch (t.datatype) {
    case 'FP32':
      return 'copy4';
    case 'FP64':
      return 'copy8';
    case 'FP16':
      return 'half';
    case 'INT64':
    case 'UINT64':
      return 'bigint';
    case 'BYTES':
      return 'string';
    default:
      return 'f8';
  }
}

function bytesOf(h: Segment['how']): number {
  return h === 'copy4' || h === 'half' || h === 'f4' ? 4 : h === 'string' ? 0 : 8;
}

function buildPlan(event: PredictionEvent): Plan {
  const inputs = Object.entries(event.inputs).map(([name, t]) => ({ name, shape: t.shape }));
  const columns = featureColumns(inputs, event.featureNames);
  const featureFields: FieldSpec[] = [];
  const features: Segment[] = [];
  for (const c of columns) {
    const t = event.inputs[c.input];
    featureFields.push({ name: c.name, type: fieldType(t), width: 1, list: false });
    const last = features.at(-1);
    // Consecutive features of one tensor become one copy.
    if (last && last.tensor === c.input && last.offset + last.count === c.offset && last.how !== 'string')
      last.count++;
    else
      features.push({ tensor: c.input, offset: c.offset, count: 1, stride: rowWidth(t.shape), how: how(t) });
  }
  const outputFields: FieldSpec[] = [];
  const outputs: Segment[] = [];
  for (const [name, t] of Object.entries(event.outputs)) {
    const width = rowWidth(t.shape);
    if (width > MAX_LOGGED_WIDTH) continue;
    outputFields.push({ name, type: fieldType(t), width, list: t.shape.length > 1 });
    outputs.push({ tensor: name, offset: 0, count: width, stride: width, how: how(t) });
  }
  const spec: LayoutSpec = { v: 1, features: featureFields, outputs: outputFields };
  const fixedBytes = [...features, ...outputs].reduce((n, s) => n + s.count * bytesOf(s.how), 0);
  return {
    model: event.model,
    version: event.version,
    inputs: tensorKeys(event.inputs),
    outputs: tensorKeys(event.outputs),
    json: JSON.stringify(spec),
    features,
    outputSegments: outputs,
    fixedBytes,
  };
}

function packSegments(buf: Growable, segments: readonly Segment[], tensors: TensorMap, row: number): void {
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const t = tensors[seg.tensor];
    const base = row * seg.stride + seg.offset;
    switch (seg.how) {
      case 'copy4':
        buf.f32s(t.data as Float32Array, base, seg.count);
        break;
      case 'copy8': {
        const data = t.data as Float64Array;
        buf.append(new Uint8Array(data.buffer, data.byteOffset + base * 8, seg.count * 8));
        break;
      }
      case 'half':
        for (let j = 0; j < seg.count; j++) buf.f32(fromFloat16Bits((t.data as Uint16Array)[base + j]));
        break;
      case 'bigint':
        for (let j = 0; j < seg.count; j++) buf.f64(Number((t.data as BigInt64Array)[base + j]));
        break;
      case 'string':
        for (let j = 0; j < seg.count; j++) buf.text(String((t.data as string[])[base + j] ?? ''));
        break;
      default:
        for (let j = 0; j < seg.count; j++) buf.f64(Number((t.data as Int32Array)[base + j]));
    }
  }
}

/** A byte buffer that grows, written little-endian. */
class Growable {
  #bytes: Uint8Array;
  #view: DataView;
  /** The same bytes as a Buffer, for its native UTF-8 writer. */
  #buffer: Buffer | null = null;
  length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(Math.max(64, capacity));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** The bytes written, in a buffer of their own. */
  copy(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }

  /** Makes room for `n` more bytes at once. */
  reserve(n: number): void {
    this.#ensure(n);
  }

  append(src: Uint8Array): void {
    this.#ensure(src.length);
    this.#bytes.set(src, this.length);
    this.length += src.length;
  }

  /** `count` float32 values from `base` (a loop: for a row's few values, cheaper than a view and a copy). */
  f32s(data: Float32Array, base: number, count: number): void {
    this.#ensure(4 * count);
    const view = this.#view;
    let p = this.length;
    for (let j = 0; j < count; j++, p += 4) view.setFloat32(p, data[base + j], true);
    this.length = p;
  }

  f32(v: number): void {
    this.#ensure(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** A string's UTF-8 bytes, without a length. */
  utf8(s: string): void {
    this.#ensure(3 * s.length);
    this.#buffer ??= Buffer.from(this.#bytes.buffer);
    this.length += this.#buffer.write(s, this.length);
  }

  text(s: string): void {
    const utf8 = encoder.encode(s);
    this.#ensure(4 + utf8.length);
    this.#view.setUint32(this.length, utf8.length, true);
    this.#bytes.set(utf8, this.length + 4);
    this.length += 4 + utf8.length;
  }

  #ensure(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.#bytes.length * 2, this.length + n));
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
    this.#buffer = null;
  }
}
