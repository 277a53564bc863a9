import { readFileSync } from 'node:fs';
import { logSummary } from '../lib/log-summary.ts';

/** The lines of the backend's log (warnings and errors only). */
export function logLines(file: string): string[] {
  const text = readFileSync(file, 'utf8').trim();
  return text === '' ? [] : text.split('\n');
}

/** The log grouped by message and error, with a count. */
export function backendLogSummary(file: string): string {
  return logSummary(
    'backend log',
    readFileSync(file, 'utf8'),
    (e) =>
      `level ${e.level} ${e.provider ?? e.controller ?? '-'}: ${e.msg} (${e.err?.type ?? '-'})`,
  );
}
