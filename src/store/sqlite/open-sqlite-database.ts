import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from '../schema.js';

/**
 * Opens (creating if needed) the embedded SQLite store and brings its schema up to date.
 *
 * WAL lets readers (the server) run beside a writer (a CLI registering a model); `busy_timeout`
 * makes a second writer wait instead of failing; `synchronous=NORMAL` is durable in WAL mode
 * except for the last transactions before a power loss, never corrupting.
 */
export async function openSqliteDatabase(file: string): Promise<Kysely<Database>> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Sqlite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return db;
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new SlipwayError('INTERNAL', `store migration "${failed}" failed`, undefined, { cause: error });
  }
}
