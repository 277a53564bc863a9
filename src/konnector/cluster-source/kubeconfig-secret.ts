// Which provider kubeconfigs the konnector serves, and whether a Secret holds a usable one. Pure:
// the provider (provider.ts) and the binding-secret controller both decide from these. The
// kubeconfig comes from the provider (or whoever may write Secrets in kube-bind), so it is read by
// the allow-list of src/kube/inline-kubeconfig.ts: a token-file, exec or proxy-url there makes
// the Secret invalid (SecretValid=False), and nothing is read, run or sent.
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { APIServiceBinding, APIServiceBindingBundle } from '../../apis/kubebind/types.gen.ts';
import { providerKubeconfigLabel } from '../../apis/kubebind/wire.ts';
import type { ClusterConnection } from '../../kube/config.ts';
import { KubeconfigRejected, parseInlineKubeconfig } from '../../kube/inline-kubeconfig.ts';
import type { SecretKeyRef } from '../cluster.ts';
import { secretKeyRefName } from '../cluster.ts';
import { byCodeUnits } from '../../apis/order.ts';

export const defaultKubeconfigKey = 'kubeconfig';

export type KubeconfigCheck =
  | {
      ok: true;
      text: string;
      contractNamespace: string;
      server: string;
      /** Built from the allow-listed fields (the trusted-kubeconfig loader, config.ts, never reads this one). */
      connection: ClusterConnection;
    }
  | { ok: false; reason: 'KubeconfigSecretNotFound' | 'KubeconfigSecretInvalid'; message: string };

/** Whether `secret` (undefined: not found) holds a provider kubeconfig the konnector can use. */
export function checkProviderSecret(
  ref: SecretKeyRef,
  secret: Secret | undefined,
): KubeconfigCheck {
  const where = `${ref.namespace}/${ref.name}`;
  if (!secret) {
    return {
      ok: false,
      reason: 'KubeconfigSecretNotFound',
      message: `Kubeconfig secret ${where} not found. Rerun kubectl bind for repair.`,
    };
  }
  const invalid = (why: string): KubeconfigCheck => ({
    ok: false,
    reason: 'KubeconfigSecretInvalid',
    message: `Kubeconfig secret ${where} is invalid: ${why}`,
  });
  const data = secret.data?.[ref.key];
  if (!data) return invalid(`it has no "${ref.key}" key`);
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    const parsed = parseInlineKubeconfig(text);
    if (!parsed.namespace) return invalid('the current context has no namespace');
    return {
      ok: true,
      text,
      contractNamespace: parsed.namespace,
      server: parsed.server,
      connection: parsed.connection,
    };
  } catch (err) {
    if (err instanceof KubeconfigRejected) return invalid(err.message);
    throw err;
  }
}

/** A binding's or bundle's kubeconfig reference, with the key defaulted. */
export function refOf(
  obj: APIServiceBinding | APIServiceBindingBundle | undefined,
): SecretKeyRef | undefined {
  const ref = obj?.spec?.kubeconfigSecretRef;
  if (!ref?.namespace || !ref.name) return undefined;
  return { namespace: ref.namespace, name: ref.name, key: ref.key || defaultKubeconfigKey };
}

/**
 * Every provider kubeconfig in use: those bindings and bundles reference, plus labelled Secrets
 * (key `kubeconfig`), so a konnector heartbeats as soon as the plugin stored the kubeconfig. Sorted
 * by name, without duplicates.
 */
export function providerRefs(
  bindings: readonly APIServiceBinding[],
  bundles: readonly APIServiceBindingBundle[],
  labelledSecrets: readonly Secret[],
): SecretKeyRef[] {
  const refs = new Map<string, SecretKeyRef>();
  const add = (ref: SecretKeyRef | undefined): void => {
    if (ref) refs.set(secretKeyRefName(ref), ref);
  };
  for (const b of bindings) add(refOf(b));
  for (const b of bundles) add(refOf(b));
  for (const s of labelledSecrets) {
    const { namespace, name, labels } = s.metadata ?? {};
    if (namespace && name && labels?.[providerKubeconfigLabel] === 'true') {
      add({ namespace, name, key: defaultKubeconfigKey });
    }
  }
  return [...refs.entries()].sort(([a], [b]) => byCodeUnits(a, b)).map(([, r]) => r);
}
