import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CodeVersion {
  /** A git commit, or whatever the user passed with --code-version. */
  commit: string;
  /** True when the work tree had uncommitted changes; null when not read from git. */
  dirty: boolean | null;
  source: 'git' | 'explicit';
}

/** The git commit of the work tree around `cwd`, or null outside one (or without git). */
export async function detectCodeVersion(cwd: string): Promise<CodeVersion | null> {
  try {
    const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5000 });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      timeout: 10000,
    });
    return { commit: head.trim(), dirty: status.trim().length > 0, source: 'git' };
  } catch {
    return null;
  }
}
