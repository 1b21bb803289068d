/** One check of a promotion gate, with its numbers when it has some. */
export interface GateCheck {
  /** `signature`, `evaluation.accuracy.min`, `evaluation.log_loss.margin`, `latency.p99`… */
  check: string;
  passed: boolean;
  /** One line a person reads: what was expected, what came, and by how much it missed. */
  message: string;
  actual: number | null;
  threshold: number | null;
  /** How far past the threshold (positive when failed), in the check's units. */
  by: number | null;
}

/** What the gates said about a candidate. `passed` only when every check passed. */
export interface GateReport {
  candidate: { model: string; version: number };
  current: { model: string; version: number } | null;
  passed: boolean;
  checks: GateCheck[];
  at: number;
}

export function failedChecks(report: GateReport): GateCheck[] {
  return report.checks.filter((c) => !c.passed);
}

/** One line per failed check, for error messages and the CLI. */
export function describeFailures(report: GateReport): string {
  return failedChecks(report)
    .map((c) => `${c.check}: ${c.message}`)
    .join('; ');
}
