import path from 'node:path';
import { type Clock, systemClock } from './clock.js';
import { SlipwayError } from './errors.js';

export interface SlipwayConfig {
  /** Data directory of the embedded default (`$SLIPWAY_HOME`, else `./.slipway`). */
  home: string;
  /** Metadata store URL; `sqlite:<file>` (default `sqlite:<home>/slipway.db`). */
  storeUrl: string;
  /** Artifact store URL; `file:<dir>` (default `file:<home>/artifacts`). */
  artifactsUrl: string;
  clock: Clock;
}

export type SlipwayOptions = Partial<SlipwayConfig>;

/** Fills defaults from the environment once, at the root, and freezes the result. */
export function resolveConfig(
  options: SlipwayOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<SlipwayConfig> {
  const home = path.resolve(options.home ?? env.SLIPWAY_HOME ?? '.slipway');
  return Object.freeze({
    home,
    storeUrl: options.storeUrl ?? env.SLIPWAY_STORE_URL ?? `sqlite:${path.join(home, 'slipway.db')}`,
    artifactsUrl: options.artifactsUrl ?? env.SLIPWAY_ARTIFACTS_URL ?? `file:${path.join(home, 'artifacts')}`,
    clock: options.clock ?? systemClock,
  });
}

/** Splits `scheme:rest` (the backend table in openSlipway keys on the scheme). */
export function splitUrl(url: string, what: string): { scheme: string; rest: string } {
  const i = url.indexOf(':');
  if (i <= 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `invalid ${what} URL "${url}": expected <scheme>:<location>`,
    );
  }
  return { scheme: url.slice(0, i), rest: url.slice(i + 1).replace(/^\/\//, '') };
}
