import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/index.js';
import { newVersion, runRegistryStoreContract } from './contract/registry.contract.js';

const execFileAsync = promisify(execFile);

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
}

async function countRows(db: Kysely<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await db.introspection.getTables()) {
    if (table.isView) continue;
    const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table.name)}`.execute(db);
    counts[table.name] = Number(rows[0].n);
  }
  return counts;
}

runRegistryStoreContract({
  name: 'sqlite',
  async create() {
    const home = tempHome();
    const slipway = await openSlipway({ home });
    return {
      store: slipway.registryStore,
      countRows: () => countRows(slipway.db as unknown as Kysely<unknown>),
      async cleanup() {
        await slipway.close();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
  },
});

describe('SQLite store beside other contexts and processes', () => {
  const opened: Slipway[] = [];
  const homes: string[] = [];
  const open = async (home: string) => {
    const s = await openSlipway({ home });
    opened.push(s);
    return s;
  };
  const home = () => {
    const h = tempHome();
    homes.push(h);
    return h;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
  });

  it('opens the database in WAL mode under <home>/slipway.db', async () => {
    const h = home();
    const s = await open(h);
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(s.db);
    expect(rows[0].journal_mode).toBe('wal');
    expect(fs.existsSync(path.join(h, 'slipway.db'))).toBe(true);
  });

  it('two contexts on different homes in one process do not interfere', async () => {
    const a = await open(home());
    const b = await open(home());
    await a.registryStore.insertVersion(newVersion('m', { aliases: ['champion'] }));
    await a.registryStore.insertVersion(newVersion('m'));
    expect(await b.registryStore.listModels()).toEqual([]);
    expect((await b.registryStore.insertVersion(newVersion('m'))).version).toBe(1);
    expect(await b.registryStore.getAlias('m', 'champion')).toBeNull();
    await a.close();
    // Closing one context leaves the other working.
    expect((await b.registryStore.insertVersion(newVersion('m'))).version).toBe(2);
    expect(a.config.home).not.toBe(b.config.home);
    expect(a.registry).not.toBe(b.registry);
  });

  it('two contexts on the same home (server and CLI) see each other’s writes', async () => {
    const h = home();
    const server = await open(h);
    const cli = await open(h);
    const seen: string[] = [];
    server.registry.events.on('version-registered', (v) => seen.push(`${v.name}:${v.version}`));

    await cli.registryStore.insertVersion(newVersion('m'));
    expect((await server.registryStore.getVersion('m', 1))?.version).toBe(1);
    await server.registryStore.insertVersion(newVersion('m'));
    expect((await cli.registryStore.listVersions('m')).map((v) => v.version)).toEqual([1, 2]);
    await cli.registryStore.setAlias('m', 'champion', 2);
    expect(await server.registryStore.getAlias('m', 'champion')).toBe(2);
    const changes = await server.registryStore.changesSince(0);
    expect(changes.map((c) => `${c.topic} ${c.subject}`)).toContain('alias m@champion');
    // Events are per context: the CLI's writes reach the server through the store, not memory.
    expect(seen).toEqual([]);
  });

  it('opening an up-to-date home does not wait for another process’s write transaction', async () => {
    const h = home();
    const first = await open(h);
    await first.registryStore.insertVersion(newVersion('m'));
    // Another connection (as another process would) holds the write lock.
    const writer = new Sqlite(path.join(h, 'slipway.db'));
    writer.exec('begin immediate');
    try {
      const t0 = performance.now();
      const second = await open(h);
      // busy_timeout is 10 s: an open that took the lock would block that long, then fail.
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect((await second.registryStore.listVersions('m')).map((v) => v.version)).toEqual([1]);
    } finally {
      writer.exec('rollback');
      writer.close();
    }
  });

  it('refuses a store that a newer slipway migrated, saying why', async () => {
    const h = home();
    await (await open(h)).close();
    const raw = new Sqlite(path.join(h, 'slipway.db'));
    raw.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999-future', 'x');
    raw.close();
    await expect(openSlipway({ home: h })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^store migrations cannot run: .*9999-future/),
    });
  });

  it('two processes writing the same fresh home at once both succeed, numbers contiguous', async () => {
    const h = home();
    const script = path.resolve('test/store/concurrent-writer.ts');
    const n = 120;
    const run = (writer: string) =>
      execFileAsync(process.execPath, ['--import', 'tsx', script, h, 'shared', writer, String(n)], {
        cwd: process.cwd(),
      });
    const results = await Promise.all([run('a'), run('b')]);
    const reports = results.map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!));
    expect(reports).toEqual([
      { ok: n, errors: [], failed: 0 },
      { ok: n, errors: [], failed: 0 },
    ]);
    const s = await open(h);
    const versions = await s.registryStore.listVersions('shared');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    expect(versions.filter((v) => v.tags.writer === 'a')).toHaveLength(n);
    expect(await s.registryStore.getAlias('shared', 'latest')).toBe(2 * n);
  });
});
