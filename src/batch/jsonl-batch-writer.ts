/**
 * Predictions as JSON Lines: one object per row with the output columns as keys, in column order.
 * Keys are encoded once; values are formatted straight into bytes. JSON has no NaN or infinity, so a
 * non-finite prediction is written as null.
 */
import type { TensorMap } from '../runtime/tensor.js';
import { jsonSafe, type WriterState } from './batch-writer.js';
import { BufferedBatchWriter, FLUSH_AT } from './buffered-batch-writer.js';
import { FileSink } from './file-sink.js';
import type { OutputBytes } from './output-bytes.js';
import type { OutputPlan } from './output-plan.js';
import { isFiniteCell, predictionViews, writeCell } from './prediction-cells.js';
import type { RowBatch } from './row-batch.js';

const CLOSE_LINE = Buffer.from('}\n');
const NULL = Buffer.from('null');

export class JsonlBatchWriter extends BufferedBatchWriter {
  /** `{"name":` for the first column, `,"name":` for the others. */
  readonly #keys: Buffer[];

  private constructor(sink: FileSink, plan: OutputPlan) {
    super(sink, plan);
    this.#keys = plan.columns.map((name, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(name)}:`));
  }

  static async open(path: string, plan: OutputPlan, resume: WriterState | null): Promise<JsonlBatchWriter> {
    return new JsonlBatchWriter(await FileSink.open(path, resume?.bytes ?? null), plan);
  }

  async write(batch: RowBatch, outputs: TensorMap): Promise<void> {
    const out = this.out;
    const keys = this.#keys;
    const { kinds, data, widths, elements } = predictionViews(this.plan, outputs);
    const nPred = kinds.length;
    const pass = batch.passthrough;
    const nPass = pass.length;
    for (let r = 0; r < batch.rows; r++) {
      for (let p = 0; p < nPass; p++) {
        out.raw(keys[p]);
        const value = pass[p][r];
        out.text(value === undefined ? 'null' : JSON.stringify(value, jsonSafe));
      }
      for (let c = 0; c < nPred; c++) {
        out.raw(keys[nPass + c]);
        const index = r * widths[c] + elements[c];
        if (isFiniteCell(kinds[c], data[c], index)) writeCell(out, kinds[c], data[c], index, writeJsonText);
        else out.raw(NULL);
      }
      out.raw(CLOSE_LINE);
      if (out.length >= FLUSH_AT) await this.flush();
    }
  }
}

function writeJsonText(out: OutputBytes, text: string): void {
  out.text(JSON.stringify(text));
}
