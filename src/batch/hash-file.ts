import { Worker } from 'node:worker_threads';

/**
 * The sha256 of a file, computed on a thread of its own so that hashing a large input does not
 * take turns with parsing on the main thread.
 */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(HASHER, { eval: true, workerData: file });
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the sha256 thread for ${file} exited with code ${code}`));
    });
  });
}

// One buffer, read into again and again: a stream would allocate a chunk per read, and on a
// multi-GB input those chunks pile up as garbage in this thread until V8 collects (peak RSS).
const HASHER = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const hash = crypto.createHash('sha256');
const fd = fs.openSync(workerData, 'r');
const buffer = Buffer.allocUnsafe(1 << 20);
try {
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
  }
} finally {
  fs.closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;
