import { SlipwayError } from '../core/errors.js';
import { assertValidName } from '../core/names.js';

/** A way to name a model version: the latest (or `champion`), a number, or an alias. */
export type ModelRef =
  | { name: string; kind: 'default' }
  | { name: string; kind: 'version'; version: number }
  | { name: string; kind: 'alias'; alias: string };

/**
 * Parses `name`, `name:3`, `name@champion`, and MLflow's `models:/name/3` and `models:/name@alias`.
 */
export function parseModelRef(text: string): ModelRef {
  const mlflow = /^models:\/([^/@]+)(?:\/(\d+)|@(.+))?$/.exec(text);
  const m = mlflow ?? /^([^:@/]+)(?::(\d+)|@(.+))?$/.exec(text);
  if (!m) {
    throw new SlipwayError(
      'REGISTRY_INVALID_REF',
      `invalid model reference "${text}": expected name, name:<version> or name@<alias>`,
    );
  }
  const [, name, version, alias] = m;
  assertValidName('model', name);
  if (version !== undefined) {
    const n = Number(version);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new SlipwayError(
        'REGISTRY_INVALID_REF',
        `invalid version in "${text}": expected a positive integer`,
      );
    }
    return { name, kind: 'version', version: n };
  }
  if (alias !== undefined) {
    assertValidName('alias', alias);
    return { name, kind: 'alias', alias };
  }
  if (text.includes(':') && !mlflow) {
    throw new SlipwayError(
      'REGISTRY_INVALID_REF',
      `invalid model reference "${text}": expected name:<version>`,
    );
  }
  return { name, kind: 'default' };
}

export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'default':
      return ref.name;
    case 'version':
      return `${ref.name}:${ref.version}`;
    case 'alias':
      return `${ref.name}@${ref.alias}`;
  }
}
