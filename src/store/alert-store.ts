/**
 * Alert rules, their evaluation state and their history.
 *
 * Contract (every backend passes `test/monitoring/store/alert-store.contract.ts`):
 * - Rules are keyed by name; `putRule` creates or replaces the spec and keeps the state
 *   (firing, last fired) of a rule that already existed. Lists are ordered by name.
 * - `updateState` writes a rule's state and, when given, appends its history event in the same
 *   transaction, so the state never says "fired" without the event that says so.
 * - `claimFiring` is a compare-and-set on `last_fired_at`: it succeeds only when the rule's last
 *   firing is still the one the caller read, so two processes never both fire a rule.
 * - History is append-only and listed newest first.
 */
export interface AlertStore {
  putRule(name: string, specJson: string, at: number): Promise<AlertRuleRecord>;
  getRule(name: string): Promise<AlertRuleRecord | null>;
  listRules(): Promise<AlertRuleRecord[]>;
  /** True when the rule existed. Its history stays. */
  deleteRule(name: string): Promise<boolean>;

  claimFiring(name: string, expectedLastFiredAt: number | null, at: number): Promise<boolean>;
  /** Writes the fields given (the others stay), and appends `event` in the same transaction. */
  updateState(name: string, state: Partial<AlertRuleState>, event: NewAlertEvent | null): Promise<void>;
  listEvents(query: { rule?: string | null; limit?: number | null }): Promise<AlertEventRecord[]>;
}

export interface AlertRuleState {
  firing: boolean;
  lastValue: number | null;
  lastEvaluatedAt: number | null;
  lastFiredAt: number | null;
}

export interface AlertRuleRecord extends AlertRuleState {
  name: string;
  specJson: string;
  createdAt: number;
  updatedAt: number;
}

export interface NewAlertEvent {
  rule: string;
  at: number;
  kind: 'fired' | 'resolved';
  value: number | null;
  message: string;
  detailsJson: string;
  deliveriesJson: string;
}

export interface AlertEventRecord extends NewAlertEvent {
  id: number;
}
