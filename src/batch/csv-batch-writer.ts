/**
 * Predictions as CSV (RFC 4180): a header of the output columns, then one line per row, `\n` line
 * ends, cells quoted only when they hold a delimiter, a quote or a line break. Rows are formatted
 * straight into bytes (output-bytes.ts).
 */
import type { TensorMap } from '../runtime/tensor.js';
import { textOf, type WriterState } from './batch-writer.js';
import { BufferedBatchWriter, FLUSH_AT } from './buffered-batch-writer.js';
import { FileSink } from './file-sink.js';
import type { OutputBytes } from './output-bytes.js';
import type { OutputPlan } from './output-plan.js';
import { predictionViews, writeCell } from './prediction-cells.js';
import type { RowBatch } from './row-batch.js';

const COMMA = 44;
const LF = 10;

export class CsvBatchWriter extends BufferedBatchWriter {
  private constructor(sink: FileSink, plan: OutputPlan) {
    super(sink, plan);
  }

  /** The header line, as bytes (merge skips it in every part but the first). */
  static header(plan: OutputPlan): Buffer {
    return Buffer.from(`${plan.columns.map(csvCell).join(',')}\n`, 'utf8');
  }

  static async open(path: string, plan: OutputPlan, resume: WriterState | null): Promise<CsvBatchWriter> {
    const sink = await FileSink.open(path, resume?.bytes ?? null);
    const writer = new CsvBatchWriter(sink, plan);
    if (resume === null) writer.out.raw(CsvBatchWriter.header(plan));
    return writer;
  }

  async write(batch: RowBatch, outputs: TensorMap): Promise<void> {
    const out = this.out;
    const views = predictionViews(this.plan, outputs);
    const { kinds, data, widths, elements } = views;
    const nPred = kinds.length;
    const pass = batch.passthrough;
    const nPass = pass.length;
    for (let r = 0; r < batch.rows; r++) {
      for (let p = 0; p < nPass; p++) {
        const text = textOf(pass[p][r]);
        if (text !== null) writeCsvText(out, text);
        out.byte(COMMA);
      }
      for (let c = 0; c < nPred; c++) {
        writeCell(out, kinds[c], data[c], r * widths[c] + elements[c], writeCsvText);
        out.byte(c === nPred - 1 ? LF : COMMA);
      }
      if (out.length >= FLUSH_AT) await this.flush();
    }
  }
}

/** A cell's text, quoted when it must be (RFC 4180 section 2). */
export function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function writeCsvText(out: OutputBytes, text: string): void {
  out.text(csvCell(text));
}
