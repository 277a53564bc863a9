// What a request may have beyond its schemas: claims a template offers, namespaces that may become
// service namespaces (docs/security.md, "Permission claims stay in the consumer's own namespaces").
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type {
  APIServiceExportRequest,
  APIServiceExportTemplate,
  PermissionClaim,
} from '../../../apis/kubebind/types.gen.ts';
import { claimsOffered, maxNamespaces, namespacesAllowed } from './decide.ts';

const widgets = { group: 'example.com', resource: 'widgets' };
const gadgets = { group: 'example.com', resource: 'gadgets' };
const secrets: PermissionClaim = { group: '', resource: 'secrets', selector: {} };
const configmaps: PermissionClaim = {
  resource: 'configmaps',
  selector: { labelSelector: { matchLabels: { app: 'db' } } },
};

const template = (
  resources: { group: string; resource: string }[],
  permissionClaims?: PermissionClaim[],
): APIServiceExportTemplate => ({
  metadata: { name: 't' },
  spec: { scope: 'Namespaced', resources, ...(permissionClaims && { permissionClaims }) },
});

const request = (
  resources: { group: string; resource: string }[],
  permissionClaims?: PermissionClaim[],
  namespaces?: string[],
): APIServiceExportRequest => ({
  metadata: { name: 'r', namespace: 'kube-bind-abc' },
  spec: {
    resources,
    ...(permissionClaims && { permissionClaims }),
    ...(namespaces && { namespaces: namespaces.map((name) => ({ name })) }),
  },
});

describe('claimsOffered', () => {
  it('needs no template for a request without claims', () => {
    expect(claimsOffered(request([widgets]), [])).toBeUndefined();
  });

  it('accepts the claims of a template that offers every resource (what kubectl bind sends)', () => {
    const offered = template([widgets, gadgets], [configmaps, secrets]);
    expect(claimsOffered(request([widgets], [secrets]), [offered])).toBeUndefined();
    // A claim copied through JSON (keys in another order, group spelled out) is the same claim.
    const copied = JSON.parse(
      JSON.stringify({ selector: configmaps.selector, resource: 'configmaps', group: '' }),
    ) as PermissionClaim;
    expect(claimsOffered(request([widgets], [copied, secrets]), [offered])).toBeUndefined();
  });

  it('refuses a claim no template offers, naming it', () => {
    const refused = claimsOffered(request([widgets], [secrets]), [
      template([widgets], [configmaps]),
    ]);
    expect(refused).toMatchObject({
      condition: 'PermissionClaim',
      reason: 'PermissionClaimNotOffered',
    });
    expect(refused?.message).toContain('secrets.core (selector {})');
  });

  it('refuses a wider selector than the template offers', () => {
    const all: PermissionClaim = { resource: 'configmaps', selector: {} };
    expect(
      claimsOffered(request([widgets], [all]), [template([widgets], [configmaps])]),
    ).toMatchObject({ reason: 'PermissionClaimNotOffered' });
  });

  it('refuses claims offered only for other resources, or spread over two templates', () => {
    expect(
      claimsOffered(request([widgets], [secrets]), [template([gadgets], [secrets])])?.message,
    ).toContain('no APIServiceExportTemplate offers widgets.example.com');
    const split = [template([widgets], [secrets]), template([widgets], [configmaps])];
    expect(claimsOffered(request([widgets], [secrets, configmaps]), split)).toMatchObject({
      reason: 'PermissionClaimNotOffered',
    });
  });

  it('bounds a hostile selector in its message', () => {
    const huge: PermissionClaim = {
      resource: 'secrets',
      selector: { namedResources: Array.from({ length: 500 }, (_, i) => ({ name: `s${i}` })) },
    };
    const refused = claimsOffered(request([widgets], [huge]), []);
    expect(refused?.message.length).toBeLessThan(500);
  });
});

describe('namespacesAllowed', () => {
  const none = () => undefined;
  const served = (name: string, serving?: string): Namespace => ({
    metadata: {
      name,
      ...(serving && { annotations: { 'kube-bind.io/api-service-namespace': serving } }),
    },
  });

  it('allows new namespaces, and ones made for this very APIServiceNamespace', () => {
    const req = request([widgets], undefined, ['wild', 'west']);
    expect(namespacesAllowed(req, 'kube-bind-abc', 'Prefixed', none)).toBeUndefined();
    const mine = served('kube-bind-abc-wild', 'kube-bind-abc/wild');
    expect(
      namespacesAllowed(req, 'kube-bind-abc', 'Prefixed', (n) =>
        n === mine.metadata?.name ? mine : undefined,
      ),
    ).toBeUndefined();
  });

  it('refuses system namespaces with isolation None, but not a prefixed kube-system', () => {
    for (const name of ['kube-system', 'kube-public', 'kube-bind', 'default']) {
      const req = request([widgets], undefined, [name]);
      expect(namespacesAllowed(req, 'kube-bind-abc', 'None', none), name).toMatchObject({
        condition: 'ExportsReady',
        reason: 'SystemNamespace',
      });
      expect(namespacesAllowed(req, 'kube-bind-abc', 'Prefixed', none)).toBeUndefined();
    }
  });

  it('never adopts an existing namespace made for something else', () => {
    const req = request([widgets], undefined, ['shared']);
    const others = served('shared', 'kube-bind-xyz/shared');
    const refused = namespacesAllowed(req, 'kube-bind-abc', 'None', () => others);
    expect(refused).toMatchObject({ reason: 'NamespaceTaken' });
    expect(refused?.message).toContain('it serves kube-bind-xyz/shared');
    expect(namespacesAllowed(req, 'kube-bind-abc', 'None', () => served('shared'))).toMatchObject({
      reason: 'NamespaceTaken',
    });
  });

  it('refuses names that make no namespace, and too many namespaces', () => {
    const long = 'x'.repeat(60);
    expect(
      namespacesAllowed(request([widgets], undefined, [long]), 'kube-bind-abc', 'Prefixed', none),
    ).toMatchObject({ reason: 'InvalidNamespaceName' });
    expect(
      namespacesAllowed(request([widgets], undefined, ['Bad_Name']), 'c', 'None', none),
    ).toMatchObject({ reason: 'InvalidNamespaceName' });
    const many = Array.from({ length: maxNamespaces + 1 }, (_, i) => `n${i}`);
    expect(
      namespacesAllowed(request([widgets], undefined, many), 'c', 'Prefixed', none),
    ).toMatchObject({ reason: 'TooManyNamespaces' });
  });
});
