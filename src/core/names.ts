import { SlipwayError } from './errors.js';

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** Names of models, aliases and deployments: letters, digits, `-`, `_`, `.`; 1 to 128 characters. */
export function assertValidName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    const shown =
      typeof name === 'string'
        ? JSON.stringify(name.length > 140 ? `${name.slice(0, 140)}…` : name)
        : String(name);
    throw new SlipwayError(
      'CORE_INVALID_NAME',
      `invalid ${kind} name ${shown}: expected 1 to 128 letters, digits, "-", "_" or "."`,
    );
  }
}

/** An alias may not look like a version number, or `name@3` would be ambiguous. */
export function assertValidAlias(alias: unknown): asserts alias is string {
  assertValidName('alias', alias);
  if (/^v?\d+$/.test(alias)) {
    throw new SlipwayError(
      'CORE_INVALID_NAME',
      `invalid alias name "${alias}": an alias must not look like a version number`,
    );
  }
}
