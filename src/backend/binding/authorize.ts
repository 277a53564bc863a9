// Who may bind is decided by the provider cluster's RBAC, not by a list in the backend (spec
// protocol.md §4.3): a SubjectAccessReview for verb `bind` on group kube-bind.io, as the OIDC
// user with their groups. The cluster controller grants it to --oidc-allowed-users/-groups.
import type { KubeClient } from '../../kube/client.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { SubjectAccessReviews } from '../../kube/resources.ts';
import { BackendError } from '../errors.ts';

export interface Subject {
  subject: string;
  groups: readonly string[];
}

export async function authorizeBind(client: KubeClient, who: Subject): Promise<void> {
  const review = await new ResourceClient(client, SubjectAccessReviews).create({
    spec: {
      user: who.subject,
      groups: [...who.groups],
      resourceAttributes: { verb: 'bind', group: 'kube-bind.io' },
    },
  });
  if (review.status?.allowed === true) return;
  const reason = review.status?.reason ? ` (${review.status.reason})` : '';
  throw new BackendError(
    'Forbidden',
    'Cluster authorization failed. Missing required permissions in the cluster to access bindings.',
    {
      details:
        `User "${who.subject}" may not bind on this provider${reason}. ` +
        `The provider's operator can allow it with --oidc-allowed-users=${who.subject} ` +
        `or --oidc-allowed-groups=<one of your groups>.`,
    },
  );
}
