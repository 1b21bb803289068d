import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KyselyTrackingStore } from '../../src/store/kysely/kysely-tracking-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/open-sqlite-database.js';
import { runTrackingStoreContract } from './tracking-store.contract.js';

runTrackingStoreContract({
  name: 'sqlite',
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-tracking-store-'));
    const db = await openSqliteDatabase(path.join(dir, 'slipway.db'));
    return {
      store: new KyselyTrackingStore(db, { like: 'glob' }),
      async cleanup() {
        await db.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
