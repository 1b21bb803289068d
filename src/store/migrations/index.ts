import type { Migration, MigrationProvider } from 'kysely';
import * as registry from './0001-registry.js';

/**
 * Every migration, in order. Names sort lexically, so keep the four-digit prefix; never edit a
 * migration that has shipped — add the next one. Listed statically (not read from a folder) so the
 * compiled package and the TypeScript sources see the same set.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-registry': registry,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
