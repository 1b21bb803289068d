import type { FileHandle } from 'node:fs/promises';

/** Line breaks (`\n` bytes) in `[from, to)` of an open file. */
export async function countLines(fh: FileHandle, from: number, to: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(1 << 20);
  let count = 0;
  let at = from;
  while (at < to) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, to - at), at);
    if (bytesRead === 0) break;
    let i = chunk.indexOf(10, 0);
    while (i >= 0 && i < bytesRead) {
      count++;
      i = chunk.indexOf(10, i + 1);
    }
    at += bytesRead;
  }
  return count;
}
