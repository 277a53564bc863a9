// The value rules of the backend's flags, one converter per kind of value. A converter turns the
// raw flag text into its typed value or throws a ValueError that says what is allowed; the
// caller adds the flag name and the raw text, so every message reads
// `invalid --<flag> "<value>": <what is allowed>`.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { InformerScope, Isolation } from '../../apis/kubebind/types.gen.ts';
import { ValueError } from '../../cli/values.ts';

export { ValueError, duration, positiveDuration } from '../../cli/values.ts';

export type Provider = 'kubernetes' | 'kcp';
/** `--consumer-scope` is the informer scope of the exports the backend makes. */
export type ConsumerScope = InformerScope;
export type { Isolation };

/** Where the exported schemas come from: the GVK of the schema objects and their resource. */
export interface SchemaSource {
  kind: 'CustomResourceDefinition' | 'APIResourceSchema';
  version: string;
  group: string;
  resource: string;
}

export function nonEmpty(raw: string): string {
  if (raw === '') throw new ValueError('want a non-empty value');
  return raw;
}

export function provider(raw: string): Provider {
  // Upstream treats an empty provider as the default, single-cluster one.
  if (raw === '' || raw === 'kubernetes') return 'kubernetes';
  if (raw === 'kcp') return 'kcp';
  throw new ValueError('want kubernetes or kcp');
}

export function consumerScope(raw: string): ConsumerScope {
  switch (raw.toLowerCase()) {
    case 'namespaced':
      return 'Namespaced';
    case 'cluster':
      return 'Cluster';
    default:
      throw new ValueError('want Namespaced or Cluster');
  }
}

/** Unlike upstream, which maps any unknown value to None (differences.md item 8). */
export function isolation(raw: string): Isolation {
  switch (raw.toLowerCase()) {
    case 'prefixed':
      return 'Prefixed';
    case 'namespaced':
      return 'Namespaced';
    case 'none':
      return 'None';
    default:
      throw new ValueError('want Prefixed, Namespaced or None');
  }
}

// The hash appended to the prefix has at most 13 characters (a uint64 in base 36), and a
// namespace name is a DNS-1123 label of at most 63.
const maxPrefixLength = 63 - 13;
const labelPrefixPattern = /^[a-z0-9][-a-z0-9]*$/;

export function namespacePrefix(raw: string): string {
  if (raw.length > maxPrefixLength || !labelPrefixPattern.test(raw)) {
    throw new ValueError(
      `want lower-case letters, digits and '-', starting with a letter or digit, ` +
        `at most ${maxPrefixLength} characters`,
    );
  }
  return raw;
}

/** The server URL written into issued kubeconfigs: clients only ever talk TLS to it. */
export function externalAddress(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValueError('want an absolute https:// URL');
  }
  if (url.protocol !== 'https:' || url.hostname === '') {
    throw new ValueError('want an absolute https:// URL');
  }
  return raw;
}

/** The default schema source: labelled CRDs. */
export const crdSource: SchemaSource = {
  kind: 'CustomResourceDefinition',
  version: 'v1',
  group: 'apiextensions.k8s.io',
  resource: 'customresourcedefinitions',
};
/** kcp: labelled APIResourceSchemas. */
export const kcpSource: SchemaSource = {
  kind: 'APIResourceSchema',
  version: 'v1alpha1',
  group: 'apis.kcp.io',
  resource: 'apiresourceschemas',
};
const schemaSources: ReadonlyMap<string, SchemaSource> = new Map([
  ['CustomResourceDefinition.v1.apiextensions.k8s.io', crdSource],
  ['customresourcedefinitions', crdSource],
  ['APIResourceSchema.v1alpha1.apis.kcp.io', kcpSource],
  ['apiresourceschemas', kcpSource],
]);

export function schemaSource(raw: string): SchemaSource {
  const source = schemaSources.get(raw);
  if (!source) throw new ValueError(`want one of ${[...schemaSources.keys()].join(', ')}`);
  return { ...source };
}

const pemCertificate = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Checks that a CA bundle holds at least one certificate and that every certificate block
 * parses, so a key or a truncated file is caught at start rather than by the consumers.
 */
export function caBundle(content: string): string {
  const blocks = content.match(pemCertificate) ?? [];
  if (blocks.length === 0) throw new ValueError('want a file with a PEM CERTIFICATE block');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new ValueError(`certificate ${i + 1} of the file does not parse`);
    }
  });
  return content;
}

const pemPrivateKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Checks that a file holds a PEM private key (the TLS pair is checked for real when served). */
export function privateKey(content: string): string {
  if (!pemPrivateKey.test(content))
    throw new ValueError('want a file with a PEM PRIVATE KEY block');
  try {
    createPrivateKey(content);
  } catch {
    throw new ValueError('the private key does not parse');
  }
  return content;
}
