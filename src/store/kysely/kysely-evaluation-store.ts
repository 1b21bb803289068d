import type { Kysely, Selectable } from 'kysely';
import type { EvaluationRecord, EvaluationStore, NewEvaluation } from '../evaluation-store.js';
import type { Database, EvaluationTable } from '../schema.js';

/** EvaluationStore over Kysely: one append-only table. */
export class KyselyEvaluationStore implements EvaluationStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async recordEvaluation(input: NewEvaluation): Promise<EvaluationRecord> {
    const row = await this.#db
      .insertInto('evaluations')
      .values({
        model_name: input.model,
        version: input.version,
        dataset_path: input.datasetPath,
        dataset_sha256: input.datasetSha256,
        target: input.target,
        rows: input.rows,
        task: input.task,
        metrics_json: JSON.stringify(input.metrics),
        created_at: input.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...input, id: Number(row.id) };
  }

  async latestEvaluation(
    model: string,
    version: number,
    datasetSha256: string,
    target: string,
  ): Promise<EvaluationRecord | null> {
    const row = await this.#db
      .selectFrom('evaluations')
      .selectAll()
      .where('model_name', '=', model)
      .where('version', '=', version)
      .where('dataset_sha256', '=', datasetSha256)
      .where('target', '=', target)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toEvaluation(row) : null;
  }

  async listEvaluations(model: string, version: number | null): Promise<EvaluationRecord[]> {
    let q = this.#db.selectFrom('evaluations').selectAll().where('model_name', '=', model);
    if (version !== null) q = q.where('version', '=', version);
    const rows = await q.orderBy('id', 'desc').execute();
    return rows.map(toEvaluation);
  }
}

function toEvaluation(row: Selectable<EvaluationTable>): EvaluationRecord {
  return {
    id: Number(row.id),
    model: row.model_name,
    version: Number(row.version),
    datasetPath: row.dataset_path,
    datasetSha256: row.dataset_sha256,
    target: row.target,
    rows: Number(row.rows),
    task: row.task as NewEvaluation['task'],
    metrics: JSON.parse(row.metrics_json),
    at: Number(row.created_at),
  };
}
