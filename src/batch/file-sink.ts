/**
 * An output file written front to back, made durable on demand. Opened fresh (truncated) or, for
 * `--resume`, cut back to the length a checkpoint recorded, so rows written after that checkpoint
 * are written again exactly once.
 */
import fs from 'node:fs/promises';

export class FileSink {
  readonly path: string;
  readonly #fh: fs.FileHandle;
  #position: number;

  private constructor(path: string, fh: fs.FileHandle, position: number) {
    this.path = path;
    this.#fh = fh;
    this.#position = position;
  }

  /** Create `path` empty, or keep its first `resumeAt` bytes and continue after them. */
  static async open(path: string, resumeAt: number | null): Promise<FileSink> {
    if (resumeAt === null) {
      const fh = await fs.open(path, 'w');
      return new FileSink(path, fh, 0);
    }
    const fh = await fs.open(path, 'r+');
    try {
      const { size } = await fh.stat();
      if (size < resumeAt) {
        throw new Error(`${path} has ${size} bytes, fewer than the ${resumeAt} its checkpoint recorded`);
      }
      await fh.truncate(resumeAt);
      return new FileSink(path, fh, resumeAt);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  /** Bytes in the file so far. */
  get position(): number {
    return this.#position;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#fh.write(bytes, done, bytes.length - done, this.#position);
      done += bytesWritten;
      this.#position += bytesWritten;
    }
  }

  /** Everything written is on disk (fdatasync) before this resolves. */
  async sync(): Promise<void> {
    await this.#fh.datasync();
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
