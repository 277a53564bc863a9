// `bin/kcp-init`'s flags: where kcp is, where the kube-bind.io workspace goes, who may bind it.
import { parseFlags } from '../../../cli/flags.ts';
import type { FlagSpec } from '../../../cli/flags.ts';
import { loggingFlags, readLogging } from '../../../cli/logging.ts';
import type { LoggingOptions } from '../../../cli/logging.ts';
import { FlagReader } from '../../../cli/reader.ts';
import { ValueError, duration } from '../../../cli/values.ts';
import type { KcpBootstrapOptions } from '../bootstrap.ts';

export type Subject = NonNullable<KcpBootstrapOptions['bindableBy']>[number];

export interface KcpInitOptions {
  kubeconfig?: string;
  context?: string;
  parent: string;
  workspace: string;
  bindableBy: Subject[];
  timeoutMs: number;
  logging: LoggingOptions;
}

export const kcpInitFlags: readonly FlagSpec[] = [
  { name: 'kubeconfig', kind: 'string', help: 'kubeconfig of kcp (default: $KUBECONFIG)' },
  { name: 'context', kind: 'string', help: 'kubeconfig context (default: the current context)' },
  { name: 'parent', kind: 'string', help: 'parent workspace path', defaultText: 'root' },
  { name: 'workspace', kind: 'string', help: 'the kube-bind workspace', defaultText: 'kube-bind' },
  {
    name: 'bindable-by',
    kind: 'array',
    help: 'who may bind kube-bind.io: Group:<name>, User:<name> or ServiceAccount:<ns>/<name> (repeatable)',
  },
  {
    name: 'timeout',
    kind: 'string',
    help: 'how long to wait for workspace and binding',
    defaultText: '2m',
  },
  ...loggingFlags,
];

const workspaceName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const workspacePath = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `Group:<name>`, `User:<name>` or `ServiceAccount:<namespace>/<name>`. */
export function parseSubject(raw: string): Subject {
  const colon = raw.indexOf(':');
  const kind = raw.slice(0, colon);
  const rest = raw.slice(colon + 1);
  if (colon < 1 || !rest)
    throw new ValueError('want Group:<name>, User:<name> or ServiceAccount:<ns>/<name>');
  if (kind === 'Group' || kind === 'User') return { kind, name: rest };
  if (kind === 'ServiceAccount') {
    const [namespace, name, extra] = rest.split('/');
    if (!namespace || !name || extra !== undefined) {
      throw new ValueError('want ServiceAccount:<namespace>/<name>');
    }
    return { kind, namespace, name };
  }
  throw new ValueError(
    `unknown subject kind ${JSON.stringify(kind)} (want Group, User or ServiceAccount)`,
  );
}

export function loadKcpInitOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): KcpInitOptions {
  const r = new FlagReader(parseFlags(argv, kcpInitFlags));
  const kubeconfig = r.raw('kubeconfig') || env['KUBECONFIG'] || undefined;
  const context = r.raw('context') || undefined;
  if (!kubeconfig) r.missing('kubeconfig', '(or $KUBECONFIG): kcp has no in-cluster default');
  const bindableBy = r.list('bindable-by', []).flatMap((raw) => {
    const subject = r.check('bindable-by', raw, parseSubject);
    return subject ? [subject] : [];
  });
  const options: KcpInitOptions = {
    ...(kubeconfig && { kubeconfig }),
    ...(context && { context }),
    parent: r.value('parent', 'root', (raw) => {
      if (!workspacePath.test(raw))
        throw new ValueError('want a workspace path like root or root:org');
      return raw;
    }),
    workspace: r.value('workspace', 'kube-bind', (raw) => {
      if (!workspaceName.test(raw)) throw new ValueError('want a workspace name (DNS label)');
      return raw;
    }),
    bindableBy,
    timeoutMs: r.value('timeout', '2m', duration(1_000, '1s')),
    logging: readLogging(r),
  };
  r.throwIfInvalid();
  return options;
}
