/** search_runs: the request checked and parsed here, filtered, ordered and paged by the store. */

import type { RunRecord } from '../store/tracking-store.js';
import { decodePageToken, maxResults, type Page, pageOf } from './page-token.js';
import { parseFilter, RUN_FILTER } from './search-filter.js';
import { parseOrderBy } from './search-order.js';
import type { TrackingDeps } from './tracking-deps.js';
import { LIMITS } from './validation.js';
import { stagesOf, type ViewType } from './view-type.js';

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string | null;
  viewType?: ViewType;
  maxResults?: number | null;
  orderBy?: string[];
  pageToken?: string | null;
}

export async function searchRuns(deps: TrackingDeps, opts: SearchRunsOptions): Promise<Page<RunRecord>> {
  const limit = maxResults(opts.maxResults, 1000, LIMITS.maxRunsPerSearch);
  const offset = decodePageToken(opts.pageToken);
  const clauses = parseFilter(opts.filter, RUN_FILTER);
  const orderBy = parseOrderBy(opts.orderBy, RUN_FILTER);
  const rows = await deps.store.searchRuns({
    experimentIds: opts.experimentIds,
    stages: stagesOf(opts.viewType),
    clauses,
    orderBy,
    offset,
    limit: limit + 1,
  });
  return pageOf(rows, offset, limit);
}
