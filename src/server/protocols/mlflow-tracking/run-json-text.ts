import type { DatasetInputRecord, MetricRecord, RunRecord } from '../../../index.js';

/**
 * The JSON text of a runs/search answer, written directly: byte for byte what
 * `JSON.stringify(withToken({ runs: runs.map(runJson) }, token))` gives (wire.ts holds that
 * reference shape, and test/tracking/run-json-text.test.ts holds them equal), without building a
 * compacted object per run, metric and pair first. A page of 1,000 runs is ≈ 650 kB; the objects
 * and their serialization were ≈ 5 ms of a ≈ 30 ms answer, plus the garbage (bench/tracking).
 */
export function runsSearchText(runs: RunRecord[], nextPageToken: string | null): string {
  let s = '{';
  if (runs.length > 0) {
    s += '"runs":[';
    for (let i = 0; i < runs.length; i++) {
      if (i > 0) s += ',';
      s += runText(runs[i]);
    }
    s += ']';
  }
  if (nextPageToken) s += `${runs.length > 0 ? ',' : ''}"next_page_token":${str(nextPageToken)}`;
  return `${s}}`;
}

/** One run, as `JSON.stringify(runJson(r))`: unset fields and empty lists left out (D.0). */
export function runText(r: RunRecord): string {
  const i = r.info;
  const info =
    text('run_id', i.runId) +
    text('run_uuid', i.runId) +
    text('run_name', i.runName) +
    text('experiment_id', i.experimentId) +
    text('user_id', i.userId) +
    text('status', i.status) +
    num('start_time', i.startTime) +
    num('end_time', i.endTime) +
    text('artifact_uri', i.artifactUri) +
    text('lifecycle_stage', i.lifecycleStage);
  let metrics = '';
  for (const m of r.metrics) metrics += `,${metricText(m)}`;
  const data =
    (metrics === '' ? '' : `,"metrics":[${metrics.slice(1)}]`) +
    pairsText('params', r.params) +
    pairsText('tags', r.tags);
  let datasets = '';
  for (const d of r.datasetInputs) datasets += `,${datasetInputText(d)}`;
  let modelInputs = '';
  for (const id of r.modelInputs) modelInputs += `,{${text('model_id', id).slice(1)}}`;
  const inputs =
    (datasets === '' ? '' : `,"dataset_inputs":[${datasets.slice(1)}]`) +
    (modelInputs === '' ? '' : `,"model_inputs":[${modelInputs.slice(1)}]`);
  let outputs = '';
  for (const o of r.modelOutputs)
    outputs += `,{${(text('model_id', o.modelId) + num('step', o.step)).slice(1)}}`;
  return (
    `{"info":{${info.slice(1)}},"data":{${data.slice(1)}},"inputs":{${inputs.slice(1)}},` +
    `"outputs":{${outputs === '' ? '' : `"model_outputs":[${outputs.slice(1)}]`}}}`
  );
}

function metricText(m: MetricRecord): string {
  const v = m.value;
  const value = Number.isNaN(v)
    ? '"NaN"'
    : v === Number.POSITIVE_INFINITY
      ? '"Infinity"'
      : v === Number.NEGATIVE_INFINITY
        ? '"-Infinity"'
        : String(v);
  const body =
    text('key', m.key) +
    `,"value":${value}` +
    num('timestamp', m.timestamp) +
    num('step', m.step) +
    text('dataset_name', m.datasetName) +
    text('dataset_digest', m.datasetDigest) +
    text('model_id', m.modelId);
  return `{${body.slice(1)}}`;
}

function datasetInputText(d: DatasetInputRecord): string {
  const ds = d.dataset;
  const dataset =
    text('name', ds.name) +
    text('digest', ds.digest) +
    text('source_type', ds.sourceType) +
    text('source', ds.source) +
    text('schema', ds.schema) +
    text('profile', ds.profile);
  const tags = pairsText('tags', d.tags);
  return `{${tags === '' ? '' : `${tags.slice(1)},`}"dataset":{${dataset.slice(1)}}}`;
}

/** `,"name":[{"key":k,"value":v},...]`, or nothing for an empty record. */
function pairsText(name: string, record: Record<string, string>): string {
  let s = '';
  for (const key in record) s += `,{"key":${str(key)},"value":${str(record[key])}}`;
  return s === '' ? '' : `,"${name}":[${s.slice(1)}]`;
}

/** `,"name":"value"`, or nothing when unset. */
function text(name: string, v: string | null | undefined): string {
  return v === undefined || v === null ? '' : `,"${name}":${str(v)}`;
}

/** `,"name":n`, or nothing when unset (JSON.stringify writes a non-finite number as null). */
function num(name: string, v: number | null | undefined): string {
  if (v === undefined || v === null) return '';
  return `,"${name}":${Number.isFinite(v) ? String(v) : 'null'}`;
}

const str: (s: string) => string = JSON.stringify;
