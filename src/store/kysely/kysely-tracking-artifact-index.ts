/** The path index of artifacts served under `mlflow-artifacts:/` (KyselyTrackingStore). */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ArtifactEntry } from '../tracking-store.js';

export async function putArtifactEntry(db: Kysely<Database>, entry: ArtifactEntry): Promise<void> {
  await db
    .insertInto('tracking_artifacts')
    .values({ path: entry.path, sha256: entry.sha256, size: entry.size, updated_at: entry.updatedAt })
    .onConflict((oc) =>
      oc.column('path').doUpdateSet({ sha256: entry.sha256, size: entry.size, updated_at: entry.updatedAt }),
    )
    .execute();
}

export async function getArtifactEntry(db: Kysely<Database>, path: string): Promise<ArtifactEntry | null> {
  const row = await db
    .selectFrom('tracking_artifacts')
    .selectAll()
    .where('path', '=', path)
    .executeTakeFirst();
  return row ? artifactOf(row) : null;
}

export async function listArtifactEntries(db: Kysely<Database>, prefix: string): Promise<ArtifactEntry[]> {
  let q = db.selectFrom('tracking_artifacts').selectAll().orderBy('path');
  // A range on the primary key: everything below `prefix/` ("/" + 1 = "0").
  if (prefix !== '') q = q.where('path', '>=', `${prefix}/`).where('path', '<', `${prefix}0`);
  return (await q.execute()).map(artifactOf);
}

export async function deleteArtifactEntries(db: Kysely<Database>, path: string): Promise<number> {
  const res = await db
    .deleteFrom('tracking_artifacts')
    .where((eb) =>
      path === ''
        ? eb.lit(true)
        : eb.or([eb('path', '=', path), eb.and([eb('path', '>=', `${path}/`), eb('path', '<', `${path}0`)])]),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

function artifactOf(row: { path: string; sha256: string; size: number; updated_at: number }): ArtifactEntry {
  return { path: row.path, sha256: row.sha256, size: Number(row.size), updatedAt: Number(row.updated_at) };
}
