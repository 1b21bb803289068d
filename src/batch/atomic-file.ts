import fs from 'node:fs/promises';
import path from 'node:path';

/** Write `text` to `file` so that readers see the old content or the new, never a mix: temp, fsync, rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  await syncDirectory(path.dirname(file));
}

/** Rename, then make the rename itself durable. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await fs.rename(from, to);
  await syncDirectory(path.dirname(to));
}

async function syncDirectory(dir: string): Promise<void> {
  // A directory fsync makes a rename durable on Linux; some platforms refuse to open directories.
  const fh = await fs.open(dir, 'r').catch(() => null);
  if (fh === null) return;
  try {
    await fh.sync();
  } catch {
    // not supported here
  } finally {
    await fh.close();
  }
}

export async function removeIfExists(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
