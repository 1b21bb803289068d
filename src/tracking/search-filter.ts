import { SlipwayError } from '../core/errors.js';
import type { NumericOp, SearchClause, StringOp } from '../store/tracking-store.js';

/**
 * MLflow's search filter grammar (mlflow/utils/search_utils.py, SearchUtils and friends), parsed
 * by hand into clauses that each store compiles to SQL:
 *
 *   filter     := comparison ( AND comparison )*          -- AND only; MLflow has no OR
 *   comparison := identifier operator value
 *   identifier := [entity "."] key                         -- no entity means an attribute
 *   key        := word | `back ticked` | "double quoted"    -- words may hold dots: metrics.a.b
 *   operator   := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN   (keywords in any case)
 *   value      := 'string' | "string" | number | ( 'a', 'b', ... )
 *
 * Which entities, attributes and operators are allowed depends on what is searched (runs,
 * experiments, registered models, model versions, logged models): a `FilterSpec` says it.
 * Errors are `TRACKING_INVALID_PARAMETER` (MLflow's INVALID_PARAMETER_VALUE) with MLflow's text
 * where a client might match on it.
 */
export interface FilterSpec {
  /** Entity names accepted before the dot, mapped to their kind. */
  entities: Record<string, SearchClause['kind']>;
  /** Attribute keys (after alias translation) and whether each is numeric. */
  attributes: Record<string, 'string' | 'numeric'>;
  /** Attribute aliases, such as `created` for `start_time`. */
  aliases?: Record<string, string>;
  /** Attributes that accept `IN (...)` / `NOT IN (...)`. */
  listAttributes?: string[];
}

const METRIC_OPS = new Set<string>(['>', '>=', '!=', '=', '<', '<=']);
const STRING_OPS = new Set<string>(['!=', '=', 'LIKE', 'ILIKE']);
const STRING_ATTRIBUTE_OPS = new Set<string>(['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);

export const RUN_FILTER: FilterSpec = {
  entities: {
    metric: 'metric',
    metrics: 'metric',
    parameter: 'param',
    parameters: 'param',
    param: 'param',
    params: 'param',
    tag: 'tag',
    tags: 'tag',
    attribute: 'attribute',
    attributes: 'attribute',
    attr: 'attribute',
    run: 'attribute',
    dataset: 'dataset',
    datasets: 'dataset',
  },
  attributes: {
    run_id: 'string',
    run_name: 'string',
    status: 'string',
    user_id: 'string',
    artifact_uri: 'string',
    start_time: 'numeric',
    end_time: 'numeric',
  },
  aliases: {
    created: 'start_time',
    Created: 'start_time',
    'run name': 'run_name',
    'Run name': 'run_name',
    'Run Name': 'run_name',
  },
  listAttributes: ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri'],
};

export const EXPERIMENT_FILTER: FilterSpec = {
  entities: { attribute: 'attribute', tag: 'tag', tags: 'tag' },
  attributes: { name: 'string', creation_time: 'numeric', last_update_time: 'numeric' },
};

export const REGISTERED_MODEL_FILTER: FilterSpec = {
  entities: { attribute: 'attribute', tag: 'tag', tags: 'tag' },
  attributes: { name: 'string' },
};

export const MODEL_VERSION_FILTER: FilterSpec = {
  entities: { attribute: 'attribute', tag: 'tag', tags: 'tag' },
  attributes: { name: 'string', run_id: 'string', source_path: 'string', version_number: 'numeric' },
  listAttributes: ['run_id', 'name'],
};

export const LOGGED_MODEL_FILTER: FilterSpec = {
  entities: {
    metric: 'metric',
    metrics: 'metric',
    param: 'param',
    params: 'param',
    tag: 'tag',
    tags: 'tag',
    attribute: 'attribute',
    attributes: 'attribute',
  },
  attributes: {
    name: 'string',
    model_id: 'string',
    status: 'string',
    source_run_id: 'string',
    model_type: 'string',
    creation_timestamp: 'numeric',
    creation_time: 'numeric',
    last_updated_timestamp: 'numeric',
  },
  listAttributes: ['name', 'model_id', 'status', 'source_run_id'],
};

type Token =
  | { t: 'ident'; parts: string[]; raw: string }
  | { t: 'string'; value: string; raw: string }
  | { t: 'number'; value: number; raw: string }
  | { t: 'op'; value: string; raw: string }
  | { t: 'lparen'; raw: string }
  | { t: 'rparen'; raw: string }
  | { t: 'comma'; raw: string }
  | { t: 'and'; raw: string };

export function parseFilter(filter: string | null | undefined, spec: FilterSpec): SearchClause[] {
  if (!filter || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const clauses: SearchClause[] = [];
  let i = 0;
  while (i < tokens.length) {
    const left = tokens[i];
    const opToken = tokens[i + 1];
    if (left?.t !== 'ident' || !opToken || opToken.t !== 'op') {
      throw invalid(`Invalid clause(s) in filter string: '${filter.trim()}'`);
    }
    i += 2;
    let value: Token | Token[] | undefined;
    if (opToken.value === 'IN' || opToken.value === 'NOT IN') {
      if (tokens[i]?.t !== 'lparen') throw invalid(`Invalid clause(s) in filter string: '${filter.trim()}'`);
      const items: Token[] = [];
      i++;
      while (tokens[i] && tokens[i].t !== 'rparen') {
        const item = tokens[i];
        if (item.t !== 'string') {
          throw invalid(
            'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
              `but got different type in list: ${item.raw}`,
          );
        }
        items.push(item);
        i++;
        if (tokens[i]?.t === 'comma') i++;
        else if (tokens[i]?.t !== 'rparen')
          throw invalid(
            'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
          );
      }
      if (tokens[i]?.t !== 'rparen') throw invalid(`Invalid clause(s) in filter string: '${filter.trim()}'`);
      if (items.length === 0) {
        throw invalid(
          'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
        );
      }
      i++;
      value = items;
    } else {
      value = tokens[i];
      if (!value || (value.t !== 'string' && value.t !== 'number' && value.t !== 'ident')) {
        throw invalid(`Invalid comparison clause. Expected value token found '${value?.raw ?? ''}'`);
      }
      i++;
    }
    clauses.push(toClause(left, opToken.value, value, spec));
    if (i < tokens.length) {
      if (tokens[i].t !== 'and') throw invalid(`Invalid clause(s) in filter string: '${tokens[i].raw}'`);
      i++;
      if (i >= tokens.length) throw invalid(`Invalid clause(s) in filter string: 'AND'`);
    }
  }
  return clauses;
}

function toClause(
  left: Token & { t: 'ident' },
  op: string,
  right: Token | Token[],
  spec: FilterSpec,
): SearchClause {
  let entity = 'attribute';
  let key: string;
  if (left.parts.length === 1) key = left.parts[0];
  else {
    entity = left.parts[0];
    key = left.parts.slice(1).join('.');
  }
  const kind = left.parts.length === 1 ? 'attribute' : spec.entities[entity];
  if (!kind) {
    throw invalid(
      `Invalid entity type '${entity}'. Valid values are ${pyList([...new Set(Object.values(spec.entities))].map(entityName))}`,
    );
  }
  if (kind === 'attribute') key = spec.aliases?.[key] ?? key;
  const values = Array.isArray(right) ? right : null;
  const single = Array.isArray(right) ? null : right;
  switch (kind) {
    case 'metric': {
      if (!METRIC_OPS.has(op)) throw invalid(`Invalid comparator '${op}' not one of '${pySet(METRIC_OPS)}'`);
      if (single?.t !== 'number') {
        throw invalid(`Expected numeric value type for metric. Found ${single?.raw ?? '(list)'}`);
      }
      return { kind, key, op: op as NumericOp, value: single.value };
    }
    case 'param':
    case 'tag': {
      if (!STRING_OPS.has(op)) throw invalid(`Invalid comparator '${op}' not one of '${pySet(STRING_OPS)}'`);
      if (!single || single.t === 'number') {
        throw invalid(
          `Expected a quoted string value for ${kind === 'param' ? 'parameter' : 'tag'} (e.g. 'my-value'). Got value ${single?.raw ?? '(list)'}`,
        );
      }
      return { kind, key, op: op as StringOp, value: stringOf(single) };
    }
    case 'dataset': {
      if (key !== 'name' && key !== 'digest' && key !== 'context') {
        throw invalid(
          `Invalid dataset key '${key}' specified. Valid keys are '{'name', 'digest', 'context'}'`,
        );
      }
      if (!STRING_ATTRIBUTE_OPS.has(op)) {
        throw invalid(`Invalid comparator '${op}' not one of '${pySet(STRING_ATTRIBUTE_OPS)}'`);
      }
      if (values) return { kind, key, op: op as StringOp, value: values.map(stringOf) };
      if (!single || single.t === 'number') {
        throw invalid(`Expected a quoted string value for dataset attributes. Got value ${single?.raw}`);
      }
      return { kind, key, op: op as StringOp, value: stringOf(single) };
    }
    case 'attribute': {
      const type = spec.attributes[key];
      if (!type) {
        throw invalid(
          `Invalid attribute key '${key}' specified. Valid keys are '${pySet(new Set(Object.keys(spec.attributes)))}'`,
        );
      }
      if (type === 'numeric') {
        if (!METRIC_OPS.has(op))
          throw invalid(`Invalid comparator '${op}' not one of '${pySet(METRIC_OPS)}'`);
        if (single?.t !== 'number') {
          throw invalid(
            `Expected numeric value type for numeric attribute: ${key}. Found ${single?.raw ?? '(list)'}`,
          );
        }
        return { kind, key, op: op as NumericOp, value: single.value };
      }
      if (!STRING_ATTRIBUTE_OPS.has(op)) {
        throw invalid(`Invalid comparator '${op}' not one of '${pySet(STRING_ATTRIBUTE_OPS)}'`);
      }
      if (values) {
        if (!(spec.listAttributes ?? []).includes(key)) {
          throw invalid(
            `Only the 'run_id' attribute supports comparison with a list of quoted string values.`,
          );
        }
        return { kind, key, op: op as StringOp, value: values.map(stringOf) };
      }
      if (op === 'IN' || op === 'NOT IN' || !single || single.t === 'number') {
        throw invalid(`Expected a quoted string value for attributes. Got value ${single?.raw ?? '(list)'}`);
      }
      return { kind, key, op: op as StringOp, value: stringOf(single) };
    }
  }
}

function stringOf(token: Token): string {
  if (token.t === 'string') return token.value;
  throw invalid(
    `Parameter value is either not quoted or unidentified quote types used for string value ${token.raw}. ` +
      'Use either single or double quotes.',
  );
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(') {
      out.push({ t: 'lparen', raw: ch });
      i++;
    } else if (ch === ')') {
      out.push({ t: 'rparen', raw: ch });
      i++;
    } else if (ch === ',') {
      out.push({ t: 'comma', raw: ch });
      i++;
    } else if (ch === "'") {
      const end = closingQuote(text, i, "'");
      out.push({ t: 'string', value: text.slice(i + 1, end), raw: text.slice(i, end + 1) });
      i = end + 1;
    } else if ('=!<>'.includes(ch)) {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '>=' || two === '<=' || two === '<>') {
        if (two === '<>') throw invalid(`Invalid comparator '<>' not one of '${pySet(METRIC_OPS)}'`);
        out.push({ t: 'op', value: two, raw: two });
        i += 2;
      } else if (ch === '!') {
        throw invalid(`Invalid clause(s) in filter string: '${text.slice(i)}'`);
      } else {
        out.push({ t: 'op', value: ch, raw: ch });
        i++;
      }
    } else if (
      /[0-9]/.test(ch) ||
      ((ch === '-' || ch === '+' || ch === '.') && /[0-9.]/.test(text[i + 1] ?? ''))
    ) {
      const m = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(text.slice(i));
      if (!m) throw invalid(`Invalid clause(s) in filter string: '${text.slice(i)}'`);
      // A number directly followed by letters is an identifier such as `1abc`: not a value.
      if (/[A-Za-z_]/.test(text[i + m[0].length] ?? '')) {
        throw invalid(`Invalid clause(s) in filter string: '${text.slice(i)}'`);
      }
      out.push({ t: 'number', value: Number(m[0]), raw: m[0] });
      i += m[0].length;
    } else if (ch === '`' || ch === '"' || /[A-Za-z_]/.test(ch)) {
      const start = i;
      const parts: string[] = [];
      for (;;) {
        const c = text[i];
        if (c === '`' || c === '"') {
          const end = closingQuote(text, i, c);
          parts.push(text.slice(i + 1, end));
          i = end + 1;
        } else {
          const m = /^[A-Za-z0-9_\-/:]+/.exec(text.slice(i));
          if (!m) throw invalid(`Invalid clause(s) in filter string: '${text.slice(start)}'`);
          parts.push(m[0]);
          i += m[0].length;
        }
        if (text[i] === '.' && i + 1 < text.length && !/\s/.test(text[i + 1])) {
          i++;
          continue;
        }
        break;
      }
      const raw = text.slice(start, i);
      const word = raw.toUpperCase();
      if (parts.length === 1 && !/^[`"]/.test(raw)) {
        if (word === 'AND') {
          out.push({ t: 'and', raw });
          continue;
        }
        if (word === 'OR') throw invalid(`Invalid clause(s) in filter string: 'OR'`);
        if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') {
          out.push({ t: 'op', value: word, raw });
          continue;
        }
        if (word === 'NOT') {
          const rest = /^\s+IN\b/i.exec(text.slice(i));
          if (!rest) throw invalid(`Invalid clause(s) in filter string: '${text.slice(start)}'`);
          i += rest[0].length;
          out.push({ t: 'op', value: 'NOT IN', raw: 'NOT IN' });
          continue;
        }
      }
      // A double-quoted word alone is a string value (`params.x = "y"` works in MLflow).
      if (raw.startsWith('"') && parts.length === 1 && out[out.length - 1]?.t === 'op') {
        out.push({ t: 'string', value: parts[0], raw });
        continue;
      }
      out.push({ t: 'ident', parts, raw });
    } else {
      throw invalid(`Invalid clause(s) in filter string: '${text.slice(i)}'`);
    }
  }
  return out;
}

function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === quote) {
      if (text[i + 1] === quote && quote === "'") {
        i += 2;
        continue;
      }
      return i;
    }
    i++;
  }
  throw invalid(`Invalid filter '${text}'. Could not be parsed.`);
}

function entityName(kind: SearchClause['kind']): string {
  return kind === 'param' ? 'parameter' : kind;
}

function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

function pySet(items: Set<string>): string {
  return `{${[...items].map((s) => `'${s}'`).join(', ')}}`;
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('TRACKING_INVALID_PARAMETER', message);
}

// ---- evaluation in memory, for the registry searches (small sets, read from the registry) ----

export interface Searchable {
  attribute(key: string): string | number | null | undefined;
  tag(key: string): string | null | undefined;
}

/** True when `item` satisfies every clause (MLflow's FileStore semantics: a missing key fails). */
export function matchesAll(item: Searchable, clauses: SearchClause[]): boolean {
  return clauses.every((c) => matches(item, c));
}

function matches(item: Searchable, c: SearchClause): boolean {
  const lhs = c.kind === 'tag' ? item.tag(c.key) : c.kind === 'attribute' ? item.attribute(c.key) : null;
  if (lhs === null || lhs === undefined) return false;
  if (typeof c.value === 'number') {
    const n = Number(lhs);
    switch (c.op) {
      case '=':
        return n === c.value;
      case '!=':
        return n !== c.value;
      case '>':
        return n > c.value;
      case '>=':
        return n >= c.value;
      case '<':
        return n < c.value;
      case '<=':
        return n <= c.value;
      default:
        return false;
    }
  }
  const s = String(lhs);
  const values = Array.isArray(c.value) ? c.value : [c.value];
  switch (c.op) {
    case '=':
      return s === values[0];
    case '!=':
      return s !== values[0];
    case 'IN':
      return values.includes(s);
    case 'NOT IN':
      return !values.includes(s);
    case 'LIKE':
      return likeRegExp(values[0], '').test(s);
    case 'ILIKE':
      return likeRegExp(values[0], 'i').test(s);
    default:
      return false;
  }
}

/** MLflow's `_convert_like_pattern_to_regex`: `%` any run, `_` one character, anchored. */
export function likeRegExp(pattern: string, flags: string): RegExp {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '.*';
    else if (ch === '_') out += '.';
    else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, `${flags}s`);
}
