import type { Command } from 'commander';
import { openSlipway, type Slipway } from '../index.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
}

/** Opens the library for one command and closes it afterwards, whatever happens. */
export async function withSlipway<T>(
  cmd: Command,
  fn: (slipway: Slipway, out: Output) => Promise<T>,
): Promise<T> {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const slipway = await openSlipway({ home: opts.home });
  try {
    return await fn(slipway, createOutput(Boolean(opts.json)));
  } finally {
    await slipway.close();
  }
}
