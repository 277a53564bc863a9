// What the node test looks at on the machine to tell that a node left nothing behind.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hostStateDir, kubeletSysctls } from './node-host.ts';
import type { TestNode } from './node.ts';

/** Running, that is: a zombie waiting for the machine's init to reap it does not count. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** kubelet's links in /var/log/containers into `dir` (other test files' nodes have theirs). */
export function podLogLinks(dir: string): string[] {
  const links = existsSync('/var/log/containers') ? readdirSync('/var/log/containers') : [];
  return links.filter((l) => {
    try {
      return readlinkSync(join('/var/log/containers', l)).startsWith(dir);
    } catch {
      return false; // removed meanwhile by another node's cleanup
    }
  });
}

/**
 * The shim sockets in /run/containerd/s of a node's tasks that exist now (shims killed by SIGKILL
 * leave them), named as containerd 1.6 names them: sha256 of <containerd socket>/<ns>/<task id>.
 */
export function shimSockets(node: TestNode): string[] {
  const tasks = join(node.stateDir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io');
  const socket = join(node.stateDir, 'containerd.sock');
  return readdirSync(tasks)
    .map((id) => createHash('sha256').update(`${socket}/k8s.io/${id}`).digest('hex'))
    .map((hash) => `/run/containerd/s/${hash}`)
    .filter((path) => existsSync(path));
}

export const sysctls = (): Record<string, string> =>
  Object.fromEntries(kubeletSysctls.map((k) => [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()]));

/** The sysctls as they were before the first test node on this machine started. */
export function savedSysctls(): Record<string, string> {
  const lines = readFileSync(join(hostStateDir, 'sysctl.saved'), 'utf8').trim().split('\n');
  return Object.fromEntries(lines.map((l) => l.split(' ') as [string, string]));
}

/** Whether nodes of other test processes still hold the machine (and its sysctls). */
export function otherNodesRunning(): boolean {
  return readdirSync(join(hostStateDir, 'nodes')).length > 0;
}
