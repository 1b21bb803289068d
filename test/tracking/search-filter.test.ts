import { describe, expect, it } from 'vitest';
import { likeToGlob } from '../../src/store/kysely/kysely-tracking-search.js';
import { decodePageToken, encodePageToken } from '../../src/tracking/page-token.js';
import {
  EXPERIMENT_FILTER,
  likeRegExp,
  MODEL_VERSION_FILTER,
  matchesAll,
  parseFilter,
  RUN_FILTER,
} from '../../src/tracking/search-filter.js';
import { parseOrderBy } from '../../src/tracking/search-order.js';

describe('parseFilter (MLflow SearchUtils grammar)', () => {
  it('parses the issue example into four clauses', () => {
    expect(
      parseFilter(
        "metrics.x > 1 and params.y = 'z' and tags.k = 'v' and attributes.status = 'FINISHED'",
        RUN_FILTER,
      ),
    ).toEqual([
      { kind: 'metric', key: 'x', op: '>', value: 1 },
      { kind: 'param', key: 'y', op: '=', value: 'z' },
      { kind: 'tag', key: 'k', op: '=', value: 'v' },
      { kind: 'attribute', key: 'status', op: '=', value: 'FINISHED' },
    ]);
  });

  it('knows entity aliases, backticks, double quotes, dotted keys, signs and exponents', () => {
    expect(
      parseFilter(
        'metric.`train loss` <= -1.5e-3 AND param."my.param" != "a b" and tags.`mlflow.runName` LIKE \'r%\' and metrics.a.b >= 2',
        RUN_FILTER,
      ),
    ).toEqual([
      { kind: 'metric', key: 'train loss', op: '<=', value: -0.0015 },
      { kind: 'param', key: 'my.param', op: '!=', value: 'a b' },
      { kind: 'tag', key: 'mlflow.runName', op: 'LIKE', value: 'r%' },
      { kind: 'metric', key: 'a.b', op: '>=', value: 2 },
    ]);
  });

  it('translates attribute aliases and lists', () => {
    expect(parseFilter("run_name ILIKE '%x%' and created > 5 and `Run name` = 'a'", RUN_FILTER)).toEqual([
      { kind: 'attribute', key: 'run_name', op: 'ILIKE', value: '%x%' },
      { kind: 'attribute', key: 'start_time', op: '>', value: 5 },
      { kind: 'attribute', key: 'run_name', op: '=', value: 'a' },
    ]);
    expect(parseFilter("attributes.run_id IN ('a1', 'b2') and run_id not in ('c3')", RUN_FILTER)).toEqual([
      { kind: 'attribute', key: 'run_id', op: 'IN', value: ['a1', 'b2'] },
      { kind: 'attribute', key: 'run_id', op: 'NOT IN', value: ['c3'] },
    ]);
    expect(parseFilter("datasets.context = 'training'", RUN_FILTER)).toEqual([
      { kind: 'dataset', key: 'context', op: '=', value: 'training' },
    ]);
  });

  it.each([
    ["metrics.x > 'a'", 'Expected numeric value type for metric'],
    ['params.y = 1', 'Expected a quoted string value for parameter'],
    ['params.y = z', 'not quoted'],
    ["metrics.x LIKE '1'", "Invalid comparator 'LIKE'"],
    ["foo.x = 'a'", "Invalid entity type 'foo'"],
    ["attributes.colour = 'red'", "Invalid attribute key 'colour'"],
    ["metrics.x > 1 or params.y = 'z'", 'Invalid clause'],
    ["params.y = 'z' and", 'Invalid clause'],
    ['status IN ()', 'empty list'],
    ["start_time = 'yesterday'", 'Expected numeric value type for numeric attribute'],
    ["params.y = 'unterminated", 'Could not be parsed'],
  ])('refuses %s with INVALID_PARAMETER_VALUE', (filter, message) => {
    expect(() => parseFilter(filter, RUN_FILTER)).toThrowError(
      expect.objectContaining({ code: 'TRACKING_INVALID_PARAMETER' }),
    );
    expect(() => parseFilter(filter, RUN_FILTER)).toThrow(message);
  });

  it('accepts an empty filter', () => {
    expect(parseFilter('', RUN_FILTER)).toEqual([]);
    expect(parseFilter('   ', RUN_FILTER)).toEqual([]);
    expect(parseFilter(null, RUN_FILTER)).toEqual([]);
  });

  it('restricts experiment and model-version filters to their attributes', () => {
    expect(parseFilter("name LIKE 'exp%' and tags.team = 'x'", EXPERIMENT_FILTER)).toHaveLength(2);
    expect(() => parseFilter('metrics.x > 1', EXPERIMENT_FILTER)).toThrow("Invalid entity type 'metrics'");
    expect(parseFilter("name = 'm' and run_id IN ('a')", MODEL_VERSION_FILTER)).toHaveLength(2);
  });
});

describe('in-memory matching (registry searches)', () => {
  const item = {
    attribute: (k: string) => (k === 'name' ? 'Iris-Model' : null),
    tag: (k: string) => (k === 't' ? 'v' : undefined),
  };
  it('follows MLflow LIKE semantics', () => {
    expect(matchesAll(item, parseFilter("name LIKE 'Iris%'", MODEL_VERSION_FILTER))).toBe(true);
    expect(matchesAll(item, parseFilter("name LIKE 'iris%'", MODEL_VERSION_FILTER))).toBe(false);
    expect(matchesAll(item, parseFilter("name ILIKE 'iris%'", MODEL_VERSION_FILTER))).toBe(true);
    expect(matchesAll(item, parseFilter("tags.t = 'v' and tags.missing = 'x'", MODEL_VERSION_FILTER))).toBe(
      false,
    );
    expect(likeRegExp('a_c%', '').test('abcdef')).toBe(true);
    expect(likeRegExp('a.c', '').test('abc')).toBe(false);
  });
  it('turns LIKE patterns into case-sensitive GLOB patterns', () => {
    expect(likeToGlob('r_%')).toBe('r?*');
    expect(likeToGlob('a*b?[c')).toBe('a[*]b[?][[]c');
  });
});

describe('parseOrderBy and page tokens', () => {
  it('parses order_by items as MLflow does', () => {
    expect(
      parseOrderBy(['metrics.rmse DESC', 'attributes.start_time', '`params.my key` asc'], RUN_FILTER),
    ).toEqual([
      { kind: 'metric', key: 'rmse', ascending: false },
      { kind: 'attribute', key: 'start_time', ascending: true },
      { kind: 'param', key: 'my key', ascending: true },
    ]);
    expect(parseOrderBy(['created DESC'], RUN_FILTER)).toEqual([
      { kind: 'attribute', key: 'start_time', ascending: false },
    ]);
  });
  it('refuses bad directions, unknown attributes and duplicates', () => {
    expect(() => parseOrderBy(['metrics.a UP'], RUN_FILTER)).toThrow('Invalid ordering key');
    expect(() => parseOrderBy(['colour'], RUN_FILTER)).toThrow("Invalid attribute key 'colour'");
    expect(() => parseOrderBy(['metrics.a', 'metrics.a DESC'], RUN_FILTER)).toThrow('duplicate');
  });
  it('round-trips MLflow-shaped page tokens and refuses garbage', () => {
    const t = encodePageToken(1000);
    expect(JSON.parse(Buffer.from(t, 'base64').toString())).toEqual({ offset: 1000 });
    expect(decodePageToken(t)).toBe(1000);
    expect(decodePageToken(undefined)).toBe(0);
    expect(() => decodePageToken('not-a-token')).toThrow('Invalid page token');
  });
});
