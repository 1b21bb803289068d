/**
 * The slice of a logger the runtime calls: pino's `(object, message)` form, so a pino logger fits
 * as it is, without the runtime importing pino (Kysely's habit of typing only what it calls).
 */
export interface RuntimeLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
