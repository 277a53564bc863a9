// Who may be handed the kubeconfig of a contract namespace (docs/security.md, "A contract
// namespace belongs to whoever provisioned it"). The consumer
// identity that names the namespace is chosen by the client (the CLI sends its kube-system UID,
// which anyone who can read that cluster knows), so it cannot decide access. The namespace
// records who provisioned it in an annotation of our own, beside upstream's untouched `author`,
// and a later bind gets its kubeconfig only when it comes from one of the recorded owners.
//
// Namespaces provisioned before owners were recorded (by upstream's backend, or by ours before
// this change) carry upstream's `backend.kube-bind.io/author` = the OIDC subject of the first
// bind. An OIDC user whose subject equals it adopts the namespace (the same person upstream would
// have served; the subject is what upstream recorded); anyone else, and every BindableResources
// Request, is refused until the provider's operator writes the owners annotation. Pure.
import { authorAnnotation, ownersAnnotation } from '../../apis/kubebind/wire.ts';
import { formatOwners, isUserOwner, type ConsumerOwner } from '../resources/consumer.ts';

export type { ConsumerOwner };

export type OwnershipDecision =
  | { kind: 'owned' }
  /** Provisioned before owners were recorded, by this very user: record them as the owner. */
  | { kind: 'adopt'; owners: ConsumerOwner[] }
  | { kind: 'refused'; why: string };

/** Bounds on what we read back from the annotation (the operator may edit it by hand). */
const maxOwners = 100;
const maxField = 1024;

/**
 * The owners the annotation lists; `undefined` when it is absent, an Error when it is not an
 * array of well-formed entries (allow-list: exactly {issuer, subject} or {requestNamespace}).
 */
export function parseOwners(raw: string | undefined): ConsumerOwner[] | undefined | Error {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return new Error(`${ownersAnnotation} is not JSON`);
  }
  if (!Array.isArray(value) || value.length > maxOwners) {
    return new Error(`${ownersAnnotation} must be a JSON array of at most ${maxOwners} owners`);
  }
  const owners: ConsumerOwner[] = [];
  for (const entry of value) {
    const owner = ownerEntry(entry);
    if (!owner) {
      return new Error(
        `${ownersAnnotation} entry ${((JSON.stringify(entry) as string | undefined) ?? '').slice(0, 200)} is not ` +
          '{"issuer":"…","subject":"…"} or {"requestNamespace":"…"}',
      );
    }
    owners.push(owner);
  }
  return owners;
}

function ownerEntry(entry: unknown): ConsumerOwner | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const fields = entry as Record<string, unknown>;
  const keys = Object.keys(fields).sort().join(',');
  const text = (v: unknown): v is string =>
    typeof v === 'string' && v !== '' && v.length <= maxField;
  if (keys === 'issuer,subject' && text(fields['issuer']) && text(fields['subject'])) {
    return { issuer: fields['issuer'], subject: fields['subject'] };
  }
  if (keys === 'requestNamespace' && text(fields['requestNamespace'])) {
    return { requestNamespace: fields['requestNamespace'] };
  }
  return undefined;
}

export function sameOwner(a: ConsumerOwner, b: ConsumerOwner): boolean {
  if (isUserOwner(a) && isUserOwner(b)) return a.issuer === b.issuer && a.subject === b.subject;
  if (!isUserOwner(a) && !isUserOwner(b)) return a.requestNamespace === b.requestNamespace;
  return false;
}

/** Whether `who` may use a contract namespace with these annotations. */
export function decideOwnership(
  annotations: Readonly<Record<string, string>>,
  who: ConsumerOwner,
): OwnershipDecision {
  const owners = parseOwners(annotations[ownersAnnotation]);
  if (owners instanceof Error) return { kind: 'refused', why: owners.message };
  if (owners !== undefined) {
    return owners.some((o) => sameOwner(o, who))
      ? { kind: 'owned' }
      : { kind: 'refused', why: 'it belongs to another owner' };
  }
  // Provisioned before owners were recorded: upstream's author is the first binder's subject.
  const author = annotations[authorAnnotation];
  if (isUserOwner(who) && author !== undefined && author === who.subject) {
    return { kind: 'adopt', owners: [who] };
  }
  return { kind: 'refused', why: 'it records no owner and was provisioned by someone else' };
}

/** The entry that would let `who` in: what the refusal tells the operator to add. */
export function describeOwner(who: ConsumerOwner): string {
  return formatOwners([who]).slice(1, -1);
}
