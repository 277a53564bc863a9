// The consumer kubeconfig a web-UI user uploads for the one-click apply (spec protocol.md §3.16).
// The backend will connect with it, so it must not make the backend run a program (exec, auth
// providers) or read its own files (paths to certificates, keys or tokens): only inline
// credentials are accepted.
import { parse } from 'yaml';
import { BackendError } from '../errors.ts';

const fileFields = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];
const programFields = ['exec', 'auth-provider'];

export function decodeConsumerKubeconfig(base64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw bad('consumerKubeconfig is not standard base64');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch {
    throw bad('consumerKubeconfig is not a kubeconfig (YAML does not parse)');
  }
  if (typeof doc !== 'object' || doc === null) throw bad('consumerKubeconfig is not a kubeconfig');
  const sections = doc as Record<string, unknown>;
  for (const [section, inner] of [
    ['clusters', 'cluster'],
    ['users', 'user'],
  ] as const) {
    const entries = sections[section];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as unknown[]) {
      const body = (entry as Record<string, unknown> | null)?.[inner];
      if (typeof body !== 'object' || body === null) continue;
      for (const field of [...fileFields, ...programFields]) {
        if (field in body) {
          throw bad(
            `consumerKubeconfig uses "${field}": only inline credentials ` +
              '(certificate-authority-data, client-certificate-data, client-key-data, token) are accepted',
          );
        }
      }
    }
  }
  return text;
}

function bad(details: string): BackendError {
  return new BackendError('BadRequest', 'Invalid consumer kubeconfig', { details });
}
