/**
 * What the text writers (CSV, JSON Lines) share: rows are formatted into an in-memory byte buffer
 * that goes to the file in ~1 MB writes, and the file's lifecycle — `sync` (flush + fsync, the
 * resume point), `finish`, `close` — is the same for both. Subclasses format rows in `write`.
 */
import type { TensorMap } from '../runtime/tensor.js';
import type { BatchWriter, WriterState } from './batch-writer.js';
import type { FileSink } from './file-sink.js';
import { OutputBytes } from './output-bytes.js';
import type { OutputPlan } from './output-plan.js';
import type { RowBatch } from './row-batch.js';

/** Buffered bytes past which a row's formatting hands them to the file. */
export const FLUSH_AT = 1 << 20;

export abstract class BufferedBatchWriter implements BatchWriter {
  protected readonly sink: FileSink;
  protected readonly plan: OutputPlan;
  protected readonly out = new OutputBytes(FLUSH_AT + (1 << 16));

  protected constructor(sink: FileSink, plan: OutputPlan) {
    this.sink = sink;
    this.plan = plan;
  }

  abstract write(batch: RowBatch, outputs: TensorMap): Promise<void>;

  async sync(): Promise<WriterState> {
    await this.flush();
    await this.sink.sync();
    return { bytes: this.sink.position, extra: null };
  }

  async finish(): Promise<{ bytes: number }> {
    await this.sync();
    await this.sink.close();
    return { bytes: this.sink.position };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.sink.close();
  }

  protected async flush(): Promise<void> {
    if (this.out.length === 0) return;
    await this.sink.write(this.out.bytes());
    this.out.clear();
  }
}
