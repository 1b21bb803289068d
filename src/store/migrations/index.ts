import type { Migration, MigrationProvider } from 'kysely';
import * as registry from './0001-registry.js';
import * as tracking from './0002-tracking.js';
import * as batchJobs from './0003-batch-jobs.js';
import * as deployments from './0004-deployments.js';
import * as monitoring from './0005-monitoring.js';
import * as predictionLogStreams from './0006-prediction-log-streams.js';

/**
 * Every migration, in order. Names sort lexically, so keep the four-digit prefix; never edit a
 * migration that has shipped — add the next one. Listed statically (not read from a folder) so the
 * compiled package and the TypeScript sources see the same set.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-registry': registry,
  '0002-tracking': tracking,
  '0003-batch-jobs': batchJobs,
  '0004-deployments': deployments,
  '0005-monitoring': monitoring,
  '0006-prediction-log-streams': predictionLogStreams,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
