// The backend's options: one typed object built from upstream's flags (spec protocol.md §9).
// Issue 4 brings the provider-cluster access and the CRD installation; later issues add the rest.
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from './flags.ts';

export interface BackendOptions {
  /** Path of a kubeconfig for the provider cluster; in-cluster config when absent. */
  kubeconfig?: string;
  /** The kubeconfig context; its current context when absent. */
  context?: string;
  /**
   * Apply the kube-bind.io CRDs at start with server-side apply and wait until they are
   * Established. Turn off where the CRDs are managed elsewhere (Helm, GitOps); the backend then
   * only checks they are there.
   */
  installCRDs: boolean;
}

export const backendFlags: readonly FlagSpec[] = [
  { name: 'kubeconfig', kind: 'string', help: 'kubeconfig of the provider cluster' },
  { name: 'context', kind: 'string', help: 'context in the kubeconfig' },
  {
    name: 'install-crds',
    kind: 'bool',
    help: 'apply the kube-bind.io CRDs at start and wait until they are Established',
    defaultText: 'true',
  },
];

export function defaultOptions(): BackendOptions {
  return { installCRDs: true };
}

/** Parses argv (without node and script) into options; throws FlagError on bad input. */
export function parseBackendOptions(argv: readonly string[]): BackendOptions {
  const flags = parseFlags(argv, backendFlags);
  const options = defaultOptions();
  const kubeconfig = stringFlag(flags, 'kubeconfig');
  const context = stringFlag(flags, 'context');
  if (kubeconfig !== undefined) options.kubeconfig = kubeconfig;
  if (context !== undefined) options.context = context;
  const install = flags.get('install-crds');
  if (typeof install === 'boolean') options.installCRDs = install;
  return options;
}

function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new FlagError(`--${name} needs a non-empty value`);
  }
  return value;
}
