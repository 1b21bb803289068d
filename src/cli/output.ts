/** How every command prints: a readable table for people, or JSON for machines (`--json`). */
export interface Output {
  json: boolean;
  /** Prints `value` as JSON, or `human()` otherwise. */
  emit(value: unknown, human: () => string): void;
}

export function createOutput(
  json: boolean,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Output {
  return {
    json,
    emit(value, human) {
      write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** A plain-text table with a header row, columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  if (cells.length === 0) return `${line(headers)}\n(none)`;
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `key: value` lines, aligned. */
export function fields(pairs: [string, string | number | null | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v ?? '-'}`).join('\n');
}

export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
