import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, type SqliteDatabase, SqliteDialect } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from '../schema.js';

/**
 * Opens (creating if needed) the embedded SQLite store and brings its schema up to date.
 *
 * WAL lets readers (the server) run beside a writer (a CLI registering a model); `busy_timeout`
 * makes a second writer wait instead of failing; `synchronous=NORMAL` is durable in WAL mode
 * except for the last transactions before a power loss, never corrupting.
 *
 * Kysely opens transactions with a plain (deferred) `begin`. A deferred transaction that has read
 * and then wants to write cannot wait for another process's write lock: SQLite answers SQLITE_BUSY
 * (or SQLITE_BUSY_SNAPSHOT in WAL) at once, without calling the busy handler, to avoid a deadlock
 * (https://sqlite.org/lang_transaction.html). Every transaction here writes, so each one takes the
 * write lock up front with `begin immediate`, and `busy_timeout` makes a second process wait its turn.
 */
export async function openSqliteDatabase(file: string): Promise<Kysely<Database>> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Sqlite(file);
  // First, so that switching a fresh file to WAL also waits for another process opening it.
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const database: SqliteDatabase = {
    close: () => sqlite.close(),
    prepare: (text) => sqlite.prepare(text === 'begin' ? 'begin immediate' : text),
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  // Kysely's SQLite adapter takes no migration lock and runs DDL outside a transaction, so two
  // processes opening a fresh home at once (server and CLI) would both create the tables. One
  // immediate transaction around the whole migration makes the second wait, then find it done.
  // An up-to-date store (the usual open) is checked without the write lock, so opens never queue.
  if (await isUpToDate(sqlite)) return db;
  sqlite.exec('begin immediate');
  try {
    await migrate(db);
    sqlite.exec('commit');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('rollback');
    sqlite.close();
    throw err;
  }
  return db;
}

/** True when every known migration is recorded as run (a plain read; WAL needs no lock for it). */
async function isUpToDate(sqlite: Sqlite.Database): Promise<boolean> {
  const known = Object.keys(await migrationProvider.getMigrations());
  let done: Set<string>;
  try {
    const rows = sqlite.prepare('select name from kysely_migration').all() as { name: string }[];
    done = new Set(rows.map((r) => r.name));
  } catch {
    return false; // a fresh file: no migration table yet
  }
  // Exactly the known set: a store migrated by a newer slipway goes to the migrator, which refuses it.
  return done.size === known.length && known.every((name) => done.has(name));
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    // Kysely refuses before running anything (no failed result) when the recorded migrations do not
    // match the known ones, e.g. a store written by a newer slipway: say why rather than "unknown".
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const message = failed
      ? `store migration "${failed}" failed: ${why}`
      : `store migrations cannot run: ${why}`;
    throw new SlipwayError('INTERNAL', message, undefined, { cause: error });
  }
}
