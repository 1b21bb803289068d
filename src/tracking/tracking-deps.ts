/** What the tracking modules share: the store, the clock, run artifacts and the root's hooks. */

import type { Clock } from '../core/clock.js';
import type { LoggedModelRecord, TrackingStore } from '../store/tracking-store.js';
import type { RunArtifacts } from './run-artifacts.js';

/** Listeners the root wires: the registry bridge completes pending versions when a model is final. */
export interface TrackingHooks {
  loggedModelFinalized?: (model: LoggedModelRecord) => Promise<void>;
}

export interface TrackingDeps {
  store: TrackingStore;
  clock: Clock;
  artifacts: RunArtifacts;
  hooks: TrackingHooks;
}
