import { SlipwayError } from '../core/errors.js';
import type { OrderClause } from '../store/tracking-store.js';
import type { FilterSpec } from './search-filter.js';

/**
 * Parses MLflow `order_by` items: `metrics.rmse DESC`, `attributes.start_time`, `` `params.my key` ASC ``,
 * `name ASC` (search_utils `_parse_order_by_string`: backticks become quotes, then shell-style
 * splitting; at most a key and ASC/DESC). Keys without an entity are attributes.
 */
export function parseOrderBy(items: string[] | null | undefined, spec: FilterSpec): OrderClause[] {
  const out: OrderClause[] = [];
  const seen = new Set<string>();
  for (const item of items ?? []) {
    const words = shellSplit(item.replace(/`/g, '"'), item);
    if (words.length === 0 || words.length > 2)
      throw invalid(`Invalid order_by clause '${item}'. Could not be parsed.`);
    let ascending = true;
    if (words.length === 2) {
      const dir = words[1].toLowerCase();
      if (dir !== 'asc' && dir !== 'desc')
        throw invalid(`Invalid ordering key in order_by clause '${item}'.`);
      ascending = dir === 'asc';
    }
    const identifier = words[0].trim();
    const dot = identifier.indexOf('.');
    let kind: OrderClause['kind'] = 'attribute';
    let key = identifier;
    if (dot > 0) {
      const entity = spec.entities[identifier.slice(0, dot)];
      if (!entity || entity === 'dataset') {
        throw invalid(
          `Invalid entity type '${identifier.slice(0, dot)}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`,
        );
      }
      kind = entity;
      key = identifier.slice(dot + 1).replace(/^["'](.*)["']$/, '$1');
    }
    if (kind === 'attribute') {
      key = spec.aliases?.[key] ?? key;
      if (!spec.attributes[key]) {
        throw invalid(
          `Invalid attribute key '${key}' specified. Valid keys are '${Object.keys(spec.attributes).join(', ')}'`,
        );
      }
    }
    const id = `${kind}:${key}`;
    if (seen.has(id)) throw invalid(`\`order_by\` contains duplicate fields: ${JSON.stringify(items)}`);
    seen.add(id);
    out.push({ kind, key, ascending });
  }
  return out;
}

/** Whitespace splitting that keeps double-quoted runs together (enough of Python's shlex here). */
function shellSplit(text: string, original: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let any = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (any) out.push(current);
      current = '';
      any = false;
    } else {
      current += ch;
      any = true;
    }
  }
  if (quoted) throw invalid(`Invalid order_by clause '${original}'. Could not be parsed.`);
  if (any) out.push(current);
  return out;
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('TRACKING_INVALID_PARAMETER', message);
}
