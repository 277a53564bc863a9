// The consumer kubeconfig a web-UI user uploads for the one-click apply (docs/protocol.md §3.16).
// The backend will connect with it, so it is read by src/kube's allow-list (inline credentials
// only, nothing that runs a program, reads a file or changes where requests go), and the
// connection comes from that parse: the trusted-kubeconfig loader (config.ts) never sees it.
import {
  KubeconfigRejected,
  inlineKubeconfigLimits,
  parseInlineKubeconfig,
  type InlineKubeconfig,
} from '../../kube/inline-kubeconfig.ts';
import { BackendError } from '../errors.ts';

export function decodeConsumerKubeconfig(base64: string): InlineKubeconfig {
  // Base64 is 4/3 of the text: refuse what cannot decode to an acceptable size before decoding.
  if (base64.length > Math.ceil(inlineKubeconfigLimits.text / 3) * 4) {
    throw bad(`consumerKubeconfig is too large: at most ${inlineKubeconfigLimits.text} bytes`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw bad('consumerKubeconfig is not standard base64');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return parseInlineKubeconfig(text);
  } catch (err) {
    if (err instanceof KubeconfigRejected) throw bad(`consumerKubeconfig: ${err.message}`);
    throw err;
  }
}

function bad(details: string): BackendError {
  return new BackendError('BadRequest', 'Invalid consumer kubeconfig', { details });
}
