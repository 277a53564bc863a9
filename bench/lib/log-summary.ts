/** The fields of a pino log line that a summary groups by. */
export interface LogEntry {
  time?: number;
  level?: number;
  provider?: string;
  controller?: string;
  msg?: string;
  err?: { type?: string; message?: string };
}

/**
 * A process's log of warnings and errors in a few lines: grouped by `keyOf` each JSON line (a line
 * that is not JSON, such as a crash trace, by its beginning), with a count and the first message.
 */
export function logSummary(title: string, text: string, keyOf: (e: LogEntry) => string): string {
  const groups = new Map<string, { count: number; example: string }>();
  const lines = text.trim() === '' ? [] : text.trim().split('\n');
  for (const line of lines) {
    let key = line.slice(0, 120);
    let example = line;
    try {
      const e = JSON.parse(line) as LogEntry;
      key = keyOf(e);
      example = e.err?.message ?? e.msg ?? line;
    } catch {
      // not JSON: keyed by its beginning
    }
    const group = groups.get(key) ?? { count: 0, example: example.slice(0, 300) };
    group.count++;
    groups.set(key, group);
  }
  const count = [...groups.values()].reduce((sum, g) => sum + g.count, 0);
  return [
    `${title}: ${count} warning/error lines`,
    ...[...groups].map(([key, g]) => `  ${g.count}× ${key}\n      e.g. ${g.example}`),
    '',
  ].join('\n');
}
