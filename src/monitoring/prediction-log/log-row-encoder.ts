/**
 * Turns answered predictions (typed tensors) into a batch of prediction-log rows: one row per
 * input row, its features and outputs packed by a layout (row-codec.ts).
 *
 * Runs in the writer's flush, off the request path but on the event loop, so it is kept cheap:
 * each (model, version, tensor shapes) gets its layout and a copy plan once; a batch's rows are
 * packed into one buffer, float32 features copied as bytes (one copy for a row's 30 features),
 * and each row keeps a view of its part. One buffer per batch also crosses to the writer thread
 * as one block.
 */
import { fromFloat16Bits } from '../../runtime/float16.js';
import type { Tensor, TensorMap } from '../../runtime/tensor.js';
import type { PredictionEvent } from '../../serving/prediction-sink.js';
import type { LogBatch } from '../../store/prediction-log-store.js';
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

interface Plan {
  /** Index of the layout within the batch being built (-1 until the batch uses it). */
  json: string;
  features: Segment[];
  outputs: Segment[];
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

export class LogRowEncoder {
  readonly #plans = new Map<string, Plan>();

  /** Packs the events' rows (each logged at its entry of `times`) into one batch. */
  encodeBatch(events: readonly PredictionEvent[], times: readonly number[]): LogBatch {
    const plans = events.map((e) => this.#planOf(e));
    const q = events.length;
    let bytes = 0;
    let rows = 0;
    const rowCounts = new Int32Array(q);
    for (let i = 0; i < q; i++) {
      rowCounts[i] = eventRows(events[i]);
      rows += rowCounts[i];
      bytes += rowCounts[i] * plans[i].fixedBytes;
    }
    const buf = new Growable(bytes + 64);
    const offsets = new Uint32Array(2 * rows + 1);
    const layouts: string[] = [];
    const layoutIndex = new Map<string, number>();
    const batch: LogBatch = {
      layouts,
      requestIds: new Array(q),
      predictionKeys: new Array(q),
      models: new Array(q),
      versions: new Int32Array(q),
      deployments: new Array(q),
      protocols: new Array(q),
      at: new Float64Array(q),
      latencyMs: new Float64Array(q),
      layout: new Int32Array(q),
      rowCounts,
      data: EMPTY,
      offsets,
    };
    let k = 0;
    for (let i = 0; i < q; i++) {
      const event = events[i];
      const plan = plans[i];
      let layout = layoutIndex.get(plan.json);
      if (layout === undefined) {
        layout = layouts.push(plan.json) - 1;
        layoutIndex.set(plan.json, layout);
      }
      batch.requestIds[i] = event.requestId;
      batch.predictionKeys[i] = event.predictionKey;
      batch.models[i] = event.model;
      batch.versions[i] = event.version;
      batch.deployments[i] = event.deployment;
      batch.protocols[i] = event.protocol;
      batch.at[i] = Math.round(times[i]);
      batch.latencyMs[i] = event.latencyMs;
      batch.layout[i] = layout;
      for (let r = 0; r < rowCounts[i]; r++) {
        offsets[2 * k] = buf.length;
        packSegments(buf, plan.features, event.inputs, r);
        offsets[2 * k + 1] = buf.length;
        packSegments(buf, plan.outputs, event.outputs, r);
        k++;
      }
    }
    offsets[2 * rows] = buf.length;
    batch.data = buf.bytes();
    return batch;
  }

  #planOf(event: PredictionEvent): Plan {
    let key = `${event.model}\u0000${event.version}`;
    for (const name in event.inputs) {
      const t = event.inputs[name];
      key += `\u0000${name}:${t.datatype}:${t.shape.slice(1).join('x')}`;
    }
    key += '\u0001';
    for (const name in event.outputs) {
      const t = event.outputs[name];
      key += `\u0000${name}:${t.datatype}:${t.shape.slice(1).join('x')}`;
    }
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = buildPlan(event);
      // Versions come and go; a bounded cache keeps a long-running server's memory flat.
      if (this.#plans.size >= 1024) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }
}

const EMPTY = new Uint8Array(0);

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
  return { json: JSON.stringify(spec), features, outputs, fixedBytes };
}

function packSegments(buf: Growable, segments: readonly Segment[], tensors: TensorMap, row: number): void {
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const t = tensors[seg.tensor];
    const base = row * seg.stride + seg.offset;
    switch (seg.how) {
      case 'copy4':
      case 'copy8': {
        const data = t.data as Float32Array | Float64Array;
        const size = data.BYTES_PER_ELEMENT;
        buf.append(new Uint8Array(data.buffer, data.byteOffset + base * size, seg.count * size));
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
  length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(Math.max(64, capacity));
    this.#view = new DataView(this.#bytes.buffer);
  }

  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  append(src: Uint8Array): void {
    this.#ensure(src.length);
    this.#bytes.set(src, this.length);
    this.length += src.length;
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
  }
}
