import { readFileSync } from 'node:fs';

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, …) in MiB; 0 when it is not there. */
function statusMiB(pid: number | 'self', field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
}

/** Resident memory of `pid` now, MiB. */
export const rssMiB = (pid: number | 'self'): number => statusMiB(pid, 'VmRSS');

/** The most resident memory `pid` has had (VmHWM), MiB. */
export const peakRssMiB = (pid: number | 'self'): number => statusMiB(pid, 'VmHWM');

/** Resident and peak resident memory of `pid`, MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  return { rss: rssMiB(pid), hwm: peakRssMiB(pid) };
}

/** MemAvailable of the machine, MiB. */
export function availableMiB(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  return Number(/MemAvailable:\s+(\d+) kB/.exec(meminfo)?.[1] ?? 0) / 1024;
}

/** User + system CPU time of `pid` in seconds (/proc/<pid>/stat counts in USER_HZ, 100/s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may contain spaces: utime and stime are
  // fields 14 and 15 of the line, 12th and 13th after it.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}
