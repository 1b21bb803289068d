/** Runs searches compiled to SQL: filters as EXISTS subqueries, orderings as scalar subqueries. */
import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../schema.js';
import type { OrderClause, RunQuery, RunRecord, SearchClause, StringOp } from '../tracking-store.js';
import { experimentNumber } from './kysely-tracking-rows.js';
import { hydrateRuns } from './kysely-tracking-runs.js';

/** How the database spells a case-sensitive LIKE: a capability, not a database name check. */
export type LikeFlavour = 'glob' | 'like';

export async function searchRuns(
  db: Kysely<Database>,
  like: LikeFlavour,
  query: RunQuery,
): Promise<RunRecord[]> {
  if (query.experimentIds.length === 0) return [];
  const ids = query.experimentIds.map(experimentNumber).filter((n): n is number => n !== null);
  if (ids.length === 0) return [];
  let q = db
    .selectFrom('tracking_runs as r')
    .selectAll('r')
    .where('r.experiment_id', 'in', ids)
    .where('r.lifecycle_stage', 'in', query.stages);
  for (const c of query.clauses) q = q.where(() => runClause(c, like));
  for (const o of query.orderBy) {
    for (const [expr, asc] of runOrder(o)) q = q.orderBy(expr, asc ? 'asc' : 'desc');
  }
  if (!query.orderBy.some((o) => o.kind === 'attribute' && o.key === 'start_time')) {
    q = q.orderBy('r.start_time', 'desc');
  }
  q = q.orderBy('r.run_id', 'asc');
  const rows = await q.limit(query.limit).offset(query.offset).execute();
  return hydrateRuns(db, rows);
}

export function runClause(c: SearchClause, like: LikeFlavour): Expression<SqlBool> {
  switch (c.kind) {
    case 'metric':
      return sql<SqlBool>`exists (select 1 from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${c.key} and m.is_nan = 0 and m.value ${sql.raw(c.op)} ${c.value})`;
    case 'param':
    case 'tag': {
      const table = c.kind === 'param' ? 'tracking_params' : 'tracking_tags';
      return sql<SqlBool>`exists (select 1 from ${sql.table(table)} kv where kv.run_id = r.run_id and kv.key = ${c.key} and ${compare(like, sql.ref('kv.value'), c.op, c.value)})`;
    }
    case 'attribute': {
      const column = RUN_ATTRIBUTE_COLUMNS[c.key];
      if (typeof c.value === 'number') {
        return sql<SqlBool>`${sql.ref(`r.${column}`)} ${sql.raw(c.op)} ${c.value}`;
      }
      return compare(like, sql.ref(`r.${column}`), c.op as StringOp, c.value);
    }
    case 'dataset': {
      const target = c.key === 'context' ? sql.ref('i.context') : sql.ref(`d.${c.key}`);
      return sql<SqlBool>`exists (select 1 from tracking_run_inputs i join tracking_datasets d on d.dataset_id = i.dataset_id where i.run_id = r.run_id and ${compare(like, target, c.op, c.value)})`;
    }
  }
}

export function runOrder(o: OrderClause): [RawBuilder<unknown>, boolean][] {
  if (o.kind === 'attribute') {
    const column = sql.ref(`r.${RUN_ATTRIBUTE_COLUMNS[o.key]}`);
    return [
      [sql`case when ${column} is null then 1 else 0 end`, true],
      [sql`${column}`, o.ascending],
    ];
  }
  if (o.kind === 'metric') {
    // Runs with the metric first, then NaN, then runs without it, in either direction (MLflow).
    return [
      [
        sql`coalesce((select m.is_nan from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${o.key}), 2)`,
        true,
      ],
      [
        sql`(select m.value from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${o.key})`,
        o.ascending,
      ],
    ];
  }
  const table = o.kind === 'param' ? 'tracking_params' : 'tracking_tags';
  const value = sql`(select kv.value from ${sql.table(table)} kv where kv.run_id = r.run_id and kv.key = ${o.key})`;
  return [
    [sql`case when ${value} is null then 1 else 0 end`, true],
    [value, o.ascending],
  ];
}

export function compare(
  like: LikeFlavour,
  column: RawBuilder<unknown>,
  op: StringOp,
  value: string | string[],
): RawBuilder<SqlBool> {
  const values = Array.isArray(value) ? value : [value];
  switch (op) {
    case '=':
      return sql<SqlBool>`${column} = ${values[0]}`;
    case '!=':
      return sql<SqlBool>`${column} != ${values[0]}`;
    case 'IN':
      return values.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`${column} in (${sql.join(values)})`;
    case 'NOT IN':
      return values.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`${column} not in (${sql.join(values)})`;
    case 'LIKE':
      return like === 'glob'
        ? sql<SqlBool>`${column} glob ${likeToGlob(values[0])}`
        : sql<SqlBool>`${column} like ${values[0]}`;
    case 'ILIKE':
      return like === 'glob'
        ? sql<SqlBool>`lower(${column}) like lower(${values[0]})`
        : sql<SqlBool>`${column} ilike ${values[0]}`;
  }
}

/** MLflow's LIKE (`%`, `_`, no escape) as a case-sensitive SQLite GLOB pattern. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

const RUN_ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
  experiment_id: 'experiment_id',
};
