// Who may bind is decided by the provider cluster's RBAC, not by a list in the backend
// (docs/protocol.md §4.3): a SubjectAccessReview for verb `bind` on group kube-bind.io, as the OIDC
// user with their groups. The cluster controller grants it to --oidc-allowed-users/-groups.
//
// The review names the IdP's subject and groups as Kubernetes users and groups, so the IdP must
// not be able to name Kubernetes' own identities (docs/security.md, "Smaller ones"): a subject
// `system:…` (`system:serviceaccount:…`, `system:kube-controller-manager`, …) is refused, and
// groups `system:…` from the IdP (`system:masters` passes every check) are left out. Upstream
// passes both through. Groups the backend adds itself (the embedded issuer's
// `system:authenticated`) are kept: they come from our configuration, not from a token.
import type { KubeClient } from '../../kube/client.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { SubjectAccessReviews } from '../../kube/resources.ts';
import { BackendError } from '../errors.ts';

export interface Subject {
  subject: string;
  /** From the IdP (the session). */
  groups: readonly string[];
  /** Added by the backend's own configuration, never from a token. */
  trustedGroups?: readonly string[];
}

/** The prefix Kubernetes reserves for its own users and groups. */
export const reservedPrefix = 'system:';

/** The user and groups the review asks about; throws Forbidden for a reserved subject. */
export function reviewedIdentity(who: Subject): { user: string; groups: string[] } {
  if (who.subject.startsWith(reservedPrefix)) {
    throw new BackendError('Forbidden', 'This identity may not bind', {
      details:
        `The OIDC subject "${who.subject.slice(0, 200)}" starts with "${reservedPrefix}", which ` +
        "Kubernetes reserves for its own users; the provider's identity provider must not issue it.",
    });
  }
  const fromIdp = who.groups.filter((g) => !g.startsWith(reservedPrefix));
  return { user: who.subject, groups: [...new Set([...fromIdp, ...(who.trustedGroups ?? [])])] };
}

export async function authorizeBind(client: KubeClient, who: Subject): Promise<void> {
  const { user, groups } = reviewedIdentity(who);
  const review = await new ResourceClient(client, SubjectAccessReviews).create({
    spec: { user, groups, resourceAttributes: { verb: 'bind', group: 'kube-bind.io' } },
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
