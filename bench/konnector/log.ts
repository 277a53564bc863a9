// The konnector's warnings and errors, grouped by the phase they fell in.
import { readFileSync } from 'node:fs';
import { logSummary } from '../lib/log-summary.ts';
import type { Server } from './cluster.ts';
import type { Snapshot } from './snapshot.ts';

/**
 * The konnector runs with LOG_LEVEL=warn, so every line of its log is a problem: grouped by
 * phase, controller and error, with a count and the first message of each.
 */
export function konnectorLogSummary(konnector: Server, snapshots?: readonly Snapshot[]): string {
  const phaseOf = (time: number | undefined): string => {
    if (!snapshots || time === undefined) return '';
    const i = snapshots.findIndex((s) => time < s.at);
    return (
      [
        'set-up',
        'spec sync',
        'status sync',
        'claims → provider',
        'claims set-up',
        'reference change',
        'claims → consumer',
        'sample set-up',
        'sample, fewer cowboys',
        'more cowboys',
        'sample, more cowboys',
      ][i] ?? 'after'
    );
  };
  return logSummary(
    'konnector log',
    readFileSync(konnector.proc.logFile, 'utf8'),
    (e) =>
      `${phaseOf(e.time)} level ${e.level} ${e.controller ?? '-'}: ${e.msg} (${e.err?.type ?? '-'})`,
  );
}
