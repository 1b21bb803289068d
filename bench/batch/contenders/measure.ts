import { readFileSync } from 'node:fs';
/** Wall and CPU time of one contender run, and its peak resident memory when it ran in a child. */
export interface Timing {
  rows: number;
  wallMs: number;
  /** CPU time of this process (every thread), user + system. */
  cpuMs: number;
}

export async function timed(run: () => Promise<number>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { rows, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * Peak resident memory of this process: VmHWM from /proc/self/status on Linux. getrusage's maxrss
 * is not used: Linux carries it across exec, so a child spawned by a large parent reports the
 * parent's peak.
 */
export function peakRssBytes(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
