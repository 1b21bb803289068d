/** The MLflow-side fields of registry versions: source, logged model, stage (KyselyTrackingStore). */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { VersionLink } from '../tracking-store.js';

export async function putVersionLink(db: Kysely<Database>, link: VersionLink): Promise<void> {
  const values = {
    model_name: link.name,
    version: link.version,
    source: link.source,
    storage_location: link.storageLocation,
    model_id: link.modelId,
    run_id: link.runId,
    run_link: link.runLink,
    user_id: link.userId,
    current_stage: link.currentStage,
    last_updated_at: link.lastUpdatedAt,
  };
  const { model_name: _n, version: _v, ...rest } = values;
  await db
    .insertInto('tracking_version_links')
    .values(values)
    .onConflict((oc) => oc.columns(['model_name', 'version']).doUpdateSet(rest))
    .execute();
}

export async function getVersionLink(
  db: Kysely<Database>,
  name: string,
  version: number,
): Promise<VersionLink | null> {
  const row = await db
    .selectFrom('tracking_version_links')
    .selectAll()
    .where('model_name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? versionLinkOf(row) : null;
}

export async function listVersionLinks(
  db: Kysely<Database>,
  filter: { modelId?: string; name?: string },
): Promise<VersionLink[]> {
  let q = db.selectFrom('tracking_version_links').selectAll().orderBy('model_name').orderBy('version');
  if (filter.modelId !== undefined) q = q.where('model_id', '=', filter.modelId);
  if (filter.name !== undefined) q = q.where('model_name', '=', filter.name);
  return (await q.execute()).map(versionLinkOf);
}

export async function updateVersionLink(
  db: Kysely<Database>,
  name: string,
  version: number,
  patch: Partial<Omit<VersionLink, 'name' | 'version'>>,
): Promise<void> {
  await db
    .updateTable('tracking_version_links')
    .set({
      ...(patch.source !== undefined ? { source: patch.source } : {}),
      ...(patch.storageLocation !== undefined ? { storage_location: patch.storageLocation } : {}),
      ...(patch.modelId !== undefined ? { model_id: patch.modelId } : {}),
      ...(patch.runId !== undefined ? { run_id: patch.runId } : {}),
      ...(patch.runLink !== undefined ? { run_link: patch.runLink } : {}),
      ...(patch.userId !== undefined ? { user_id: patch.userId } : {}),
      ...(patch.currentStage !== undefined ? { current_stage: patch.currentStage } : {}),
      last_updated_at: patch.lastUpdatedAt ?? Date.now(),
    })
    .where('model_name', '=', name)
    .where('version', '=', version)
    .execute();
}

function versionLinkOf(row: Database['tracking_version_links']): VersionLink {
  return {
    name: row.model_name,
    version: Number(row.version),
    source: row.source,
    storageLocation: row.storage_location,
    modelId: row.model_id,
    runId: row.run_id,
    runLink: row.run_link,
    userId: row.user_id,
    currentStage: row.current_stage,
    lastUpdatedAt: Number(row.last_updated_at),
  };
}
