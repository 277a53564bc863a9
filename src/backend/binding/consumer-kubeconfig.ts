// The consumer kubeconfig a web-UI user uploads for the one-click apply (spec protocol.md §3.16).
// The backend will connect with it, so only inline credentials are accepted (src/kube's check).
import { KubeconfigRejected, parseInlineKubeconfig } from '../../kube/inline-kubeconfig.ts';
import { BackendError } from '../errors.ts';

export function decodeConsumerKubeconfig(base64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw bad('consumerKubeconfig is not standard base64');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return parseInlineKubeconfig(text).text;
  } catch (err) {
    if (err instanceof KubeconfigRejected) throw bad(`consumerKubeconfig ${err.message}`);
    throw err;
  }
}

function bad(details: string): BackendError {
  return new BackendError('BadRequest', 'Invalid consumer kubeconfig', { details });
}
