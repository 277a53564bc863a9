// The logging flags upstream's backend and konnector take from Kubernetes component-base
// (docs/protocol.md §9), so a deployment's `-v=2` keeps working: verbosity maps onto log levels,
// and the output is JSON (structured, one object per line).
import type { FlagSpec } from './flags.ts';
import type { FlagReader } from './reader.ts';
import { ValueError, positiveDuration } from './values.ts';

export interface LoggingOptions {
  /** klog verbosity: up to 3 is info, 4 and 5 debug, 6 and more trace. */
  verbosity: number;
  level: 'info' | 'debug' | 'trace';
}

export const loggingFlags: readonly FlagSpec[] = [
  {
    name: 'v',
    shorthand: 'v',
    kind: 'string',
    help: 'log verbosity (klog levels)',
    defaultText: '2',
  },
  {
    name: 'vmodule',
    kind: 'string',
    help: 'accepted for compatibility; per-file verbosity is not supported',
  },
  { name: 'logging-format', kind: 'string', help: 'json (the only format)', defaultText: 'json' },
  {
    name: 'log-flush-frequency',
    kind: 'string',
    help: 'accepted for compatibility (logs are not buffered)',
    defaultText: '5s',
  },
];

export function readLogging(r: FlagReader): LoggingOptions {
  const verbosity = r.value('v', '2', verbosityLevel);
  r.value('logging-format', 'json', (raw) => {
    if (raw !== 'json') throw new ValueError('want json (this process logs JSON only)');
    return raw;
  });
  r.value('log-flush-frequency', '5s', positiveDuration);
  return { verbosity, level: verbosity >= 6 ? 'trace' : verbosity >= 4 ? 'debug' : 'info' };
}

function verbosityLevel(raw: string): number {
  if (!/^\d{1,2}$/.test(raw)) throw new ValueError('want a number from 0 to 99');
  return Number(raw);
}
