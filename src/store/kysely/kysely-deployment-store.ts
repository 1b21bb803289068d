import type { Kysely, Selectable, Transaction } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type {
  AppendOptions,
  DeploymentConfig,
  DeploymentRecord,
  DeploymentStore,
  GateResultRecord,
  LiveRevision,
  NewDeployment,
  NewGateResult,
  NewRevision,
  NewRollout,
  RevisionRecord,
  RolloutPatch,
  RolloutRecord,
  RolloutState,
  ShadowLogRow,
  StatsRow,
  TargetRole,
} from '../deployment-store.js';
import type {
  Database,
  DeploymentRevisionTable,
  DeploymentRolloutTable,
  DeploymentShadowLogTable,
  DeploymentStatsTable,
  DeploymentTable,
} from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** DeploymentStore over Kysely: every multi-row change is one transaction. */
export class KyselyDeploymentStore implements DeploymentStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async createDeployment(
    input: NewDeployment,
  ): Promise<{ deployment: DeploymentRecord; revision: RevisionRecord }> {
    return this.#db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('deployments')
        .select('name')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (taken) {
        throw new SlipwayError('DEPLOYMENTS_EXISTS', `deployment "${input.name}" already exists`);
      }
      const model = await trx
        .selectFrom('registered_models')
        .select('name')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (model) {
        throw new SlipwayError(
          'DEPLOYMENTS_EXISTS',
          `"${input.name}" is the name of a registered model: deployments and models share one namespace ` +
            '(requests to /v2/models/<name> must reach one thing); pick another name',
        );
      }
      await trx
        .insertInto('deployments')
        .values({
          name: input.name,
          created_at: input.at,
          updated_at: input.at,
          live_revision: 1,
          config_json: JSON.stringify(input.config),
        })
        .execute();
      const revision = await insertRevision(trx, input.name, 1, input.revision);
      const deployment = (await getDeployment(trx, input.name))!;
      return { deployment, revision };
    });
  }

  getDeployment(name: string): Promise<DeploymentRecord | null> {
    return getDeployment(this.#db, name);
  }

  async listDeployments(): Promise<DeploymentRecord[]> {
    const rows = await this.#db.selectFrom('deployments').selectAll().orderBy('name').execute();
    return rows.map(toDeployment);
  }

  async updateConfig(name: string, config: DeploymentConfig, at: number): Promise<DeploymentRecord> {
    const result = await this.#db
      .updateTable('deployments')
      .set({ config_json: JSON.stringify(config), updated_at: at })
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(name);
    return (await getDeployment(this.#db, name))!;
  }

  async deleteDeployment(name: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Children first: foreign keys cascade on SQLite only with `foreign_keys=ON`, so be explicit.
      for (const table of [
        'deployment_shadow_log',
        'deployment_gate_results',
        'deployment_stats',
        'deployment_rollouts',
        'deployment_revisions',
      ] as const) {
        await trx.deleteFrom(table).where('deployment', '=', name).execute();
      }
      const result = await trx.deleteFrom('deployments').where('name', '=', name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound(name);
    });
  }

  async appendRevision(
    name: string,
    input: NewRevision,
    options: AppendOptions = {},
  ): Promise<RevisionRecord> {
    return this.#db.transaction().execute((trx) => appendRevision(trx, name, input, options));
  }

  async getRevision(name: string, revision: number): Promise<RevisionRecord | null> {
    const row = await this.#db
      .selectFrom('deployment_revisions')
      .selectAll()
      .where('deployment', '=', name)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return row ? toRevision(row) : null;
  }

  async listRevisions(name: string): Promise<RevisionRecord[]> {
    const rows = await this.#db
      .selectFrom('deployment_revisions')
      .selectAll()
      .where('deployment', '=', name)
      .orderBy('revision')
      .execute();
    return rows.map(toRevision);
  }

  async liveRevisions(): Promise<LiveRevision[]> {
    const rows = await this.#db
      .selectFrom('deployments')
      .select(['name', 'live_revision', 'updated_at'])
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      liveRevision: Number(r.live_revision),
      updatedAt: Number(r.updated_at),
    }));
  }

  async startRollout(
    name: string,
    rollout: NewRollout,
    firstStep: NewRevision,
    options: AppendOptions = {},
  ): Promise<{ rollout: RolloutRecord; revision: RevisionRecord }> {
    return this.#db.transaction().execute(async (trx) => {
      const running = await trx
        .selectFrom('deployment_rollouts')
        .select('id')
        .where('deployment', '=', name)
        .where('state', '=', 'running')
        .executeTakeFirst();
      if (running) {
        throw new SlipwayError(
          'DEPLOYMENTS_INVALID_STATE',
          `deployment "${name}" already has rollout ${running.id} running: abort it first`,
        );
      }
      const inserted = await trx
        .insertInto('deployment_rollouts')
        .values({
          deployment: name,
          state: 'running',
          spec_json: JSON.stringify(rollout.spec),
          actor: rollout.actor,
          base_revision: rollout.baseRevision,
          step_index: 0,
          step_revision: 0,
          step_started_at: rollout.at,
          reason: null,
          created_at: rollout.at,
          updated_at: rollout.at,
          lease_owner: null,
          lease_until: 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(inserted.id);
      const step = { ...firstStep, details: { ...firstStep.details, rollout: id, step: 0 } };
      const revision = await appendRevision(trx, name, step, options);
      await trx
        .updateTable('deployment_rollouts')
        .set({ step_revision: revision.revision })
        .where('id', '=', id)
        .execute();
      return { rollout: (await getRollout(trx, id))!, revision };
    });
  }

  getRollout(id: number): Promise<RolloutRecord | null> {
    return getRollout(this.#db, id);
  }

  async listRollouts(query: {
    deployment?: string | null;
    state?: RolloutState | null;
  }): Promise<RolloutRecord[]> {
    let q = this.#db.selectFrom('deployment_rollouts').selectAll();
    if (query.deployment) q = q.where('deployment', '=', query.deployment);
    if (query.state) q = q.where('state', '=', query.state);
    const rows = await q.orderBy('id').execute();
    return rows.map(toRollout);
  }

  async updateRollout(id: number, patch: RolloutPatch): Promise<RolloutRecord> {
    return this.#db.transaction().execute(async (trx) => {
      await patchRollout(trx, id, patch);
      return (await getRollout(trx, id))!;
    });
  }

  async leaseRollout(id: number, owner: string, until: number, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('deployment_rollouts')
      .set({ lease_owner: owner, lease_until: until })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async upsertStats(rows: StatsRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const values = {
          deployment: r.deployment,
          revision: r.revision,
          process: r.process,
          model: r.model,
          version: r.version,
          role: r.role,
          requests: r.requests,
          errors: r.errors,
          client_errors: r.clientErrors,
          latency_json: JSON.stringify(r.latency),
          shadow_json: r.shadow ? JSON.stringify(r.shadow) : null,
          updated_at: r.updatedAt,
        };
        await trx
          .insertInto('deployment_stats')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['deployment', 'revision', 'process', 'model', 'version', 'role']).doUpdateSet({
              requests: values.requests,
              errors: values.errors,
              client_errors: values.client_errors,
              latency_json: values.latency_json,
              shadow_json: values.shadow_json,
              updated_at: values.updated_at,
            }),
          )
          .execute();
      }
    });
  }

  async readStats(deployment: string, revision: number): Promise<StatsRow[]> {
    const rows = await this.#db
      .selectFrom('deployment_stats')
      .selectAll()
      .where('deployment', '=', deployment)
      .where('revision', '=', revision)
      .execute();
    return rows.map(toStats);
  }

  async recordGateResult(input: NewGateResult): Promise<GateResultRecord> {
    const row = await this.#db
      .insertInto('deployment_gate_results')
      .values({
        deployment: input.deployment,
        model: input.model,
        version: input.version,
        at: input.at,
        passed: input.passed ? 1 : 0,
        report_json: JSON.stringify(input.report),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...input, id: Number(row.id) };
  }

  async listGateResults(deployment: string): Promise<GateResultRecord[]> {
    const rows = await this.#db
      .selectFrom('deployment_gate_results')
      .selectAll()
      .where('deployment', '=', deployment)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      deployment: r.deployment,
      model: r.model,
      version: Number(r.version),
      at: Number(r.at),
      passed: Number(r.passed) === 1,
      report: JSON.parse(r.report_json),
    }));
  }

  async appendShadowLog(rows: ShadowLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      // Chunks keep each INSERT under SQLite's bound-parameter limit (15 columns × 500 rows).
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('deployment_shadow_log')
          .values(
            rows.slice(i, i + 500).map((r) => ({
              deployment: r.deployment,
              revision: r.revision,
              request_id: r.requestId,
              at: r.at,
              primary_model: r.primaryModel,
              primary_version: r.primaryVersion,
              primary_ms: r.primaryMs,
              shadow_model: r.shadowModel,
              shadow_version: r.shadowVersion,
              shadow_ms: r.shadowMs,
              agree: r.agree === null ? null : r.agree ? 1 : 0,
              max_delta: r.maxDelta,
              outputs_json: r.outputs ? JSON.stringify(r.outputs) : null,
              error: r.error,
            })),
          )
          .execute();
      }
    });
  }

  async listShadowLog(deployment: string, limit: number): Promise<ShadowLogRow[]> {
    const rows = await this.#db
      .selectFrom('deployment_shadow_log')
      .selectAll()
      .where('deployment', '=', deployment)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toShadowLog);
  }
}

async function appendRevision(
  trx: Transaction<Database>,
  name: string,
  input: NewRevision,
  options: AppendOptions,
): Promise<RevisionRecord> {
  const current = await trx
    .selectFrom('deployments')
    .select('live_revision')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!current) throw notFound(name);
  if (options.expectLive !== undefined && Number(current.live_revision) !== options.expectLive) {
    throw new SlipwayError(
      'DEPLOYMENTS_CONFLICT',
      `deployment "${name}" moved to revision ${current.live_revision} while this change was decided on revision ${options.expectLive}`,
      { expected: options.expectLive, live: Number(current.live_revision) },
    );
  }
  const last = await trx
    .selectFrom('deployment_revisions')
    .select((eb) => eb.fn.max('revision').as('max'))
    .where('deployment', '=', name)
    .executeTakeFirst();
  const number = Number(last?.max ?? 0) + 1;
  const revision = await insertRevision(trx, name, number, input);
  await trx
    .updateTable('deployments')
    .set({ live_revision: number, updated_at: input.at })
    .where('name', '=', name)
    .execute();
  if (options.rollout) await patchRollout(trx, options.rollout.id, options.rollout.patch);
  return revision;
}

async function insertRevision(
  trx: Transaction<Database>,
  name: string,
  number: number,
  input: NewRevision,
): Promise<RevisionRecord> {
  const row = await trx
    .insertInto('deployment_revisions')
    .values({
      deployment: name,
      revision: number,
      created_at: input.at,
      actor: input.actor,
      action: input.action,
      message: input.message,
      spec_json: JSON.stringify(input.spec),
      resolved_json: JSON.stringify(input.resolved),
      details_json: JSON.stringify(input.details),
    })
    .returning('seq')
    .executeTakeFirstOrThrow();
  return { ...input, deployment: name, revision: number, seq: Number(row.seq) };
}

async function patchRollout(trx: Db, id: number, patch: RolloutPatch): Promise<void> {
  const set: Partial<Record<keyof DeploymentRolloutTable, unknown>> = { updated_at: patch.updatedAt };
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.stepIndex !== undefined) set.step_index = patch.stepIndex;
  if (patch.stepRevision !== undefined) set.step_revision = patch.stepRevision;
  if (patch.stepStartedAt !== undefined) set.step_started_at = patch.stepStartedAt;
  if (patch.reason !== undefined) set.reason = patch.reason;
  const result = await trx
    .updateTable('deployment_rollouts')
    .set(set as never)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw new SlipwayError('DEPLOYMENTS_ROLLOUT_NOT_FOUND', `rollout ${id} does not exist`);
  }
}

async function getDeployment(db: Db, name: string): Promise<DeploymentRecord | null> {
  const row = await db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toDeployment(row) : null;
}

async function getRollout(db: Db, id: number): Promise<RolloutRecord | null> {
  const row = await db.selectFrom('deployment_rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRollout(row) : null;
}

function toDeployment(row: Selectable<DeploymentTable>): DeploymentRecord {
  return {
    name: row.name,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    liveRevision: Number(row.live_revision),
    config: JSON.parse(row.config_json),
  };
}

function toRevision(row: Selectable<DeploymentRevisionTable>): RevisionRecord {
  return {
    deployment: row.deployment,
    revision: Number(row.revision),
    seq: Number(row.seq),
    at: Number(row.created_at),
    actor: row.actor,
    action: row.action,
    message: row.message,
    spec: JSON.parse(row.spec_json),
    resolved: JSON.parse(row.resolved_json),
    details: JSON.parse(row.details_json),
  };
}

function toRollout(row: Selectable<DeploymentRolloutTable>): RolloutRecord {
  return {
    id: Number(row.id),
    deployment: row.deployment,
    state: row.state as RolloutState,
    spec: JSON.parse(row.spec_json),
    actor: row.actor,
    at: Number(row.created_at),
    baseRevision: Number(row.base_revision),
    stepIndex: Number(row.step_index),
    stepRevision: Number(row.step_revision),
    stepStartedAt: Number(row.step_started_at),
    reason: row.reason,
    updatedAt: Number(row.updated_at),
    leaseOwner: row.lease_owner,
    leaseUntil: Number(row.lease_until),
  };
}

function toStats(row: Selectable<DeploymentStatsTable>): StatsRow {
  return {
    deployment: row.deployment,
    revision: Number(row.revision),
    process: row.process,
    model: row.model,
    version: Number(row.version),
    role: row.role as TargetRole,
    requests: Number(row.requests),
    errors: Number(row.errors),
    clientErrors: Number(row.client_errors),
    latency: JSON.parse(row.latency_json),
    shadow: row.shadow_json ? JSON.parse(row.shadow_json) : null,
    updatedAt: Number(row.updated_at),
  };
}

function toShadowLog(row: Selectable<DeploymentShadowLogTable>): ShadowLogRow {
  return {
    deployment: row.deployment,
    revision: Number(row.revision),
    requestId: row.request_id,
    at: Number(row.at),
    primaryModel: row.primary_model,
    primaryVersion: Number(row.primary_version),
    primaryMs: Number(row.primary_ms),
    shadowModel: row.shadow_model,
    shadowVersion: Number(row.shadow_version),
    shadowMs: row.shadow_ms === null ? null : Number(row.shadow_ms),
    agree: row.agree === null ? null : Number(row.agree) === 1,
    maxDelta: row.max_delta === null ? null : Number(row.max_delta),
    outputs: row.outputs_json ? JSON.parse(row.outputs_json) : null,
    error: row.error,
  };
}

function notFound(name: string): SlipwayError {
  return new SlipwayError('DEPLOYMENTS_NOT_FOUND', `deployment "${name}" does not exist`);
}
