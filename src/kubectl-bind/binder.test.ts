import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  bindingRows,
  checkBindingResponse,
  covers,
  formatDocument,
  planBind,
  type Findings,
} from './binder.ts';
import { konnectorObjects } from '../apis/kubebind/konnector-manifests.ts';
import {
  compareVersions,
  consumerCRDNames,
  describeKonnector,
  konnectorImageDecision,
  parseVersion,
  runningKonnectorImage,
} from './konnector.ts';
import { formatTable } from './list.ts';

const providerKubeconfig = stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'default', cluster: { server: 'https://provider:6443' } }],
  users: [{ name: 'default', user: { token: 't' } }],
  contexts: [
    { name: 'default', context: { cluster: 'default', user: 'default', namespace: 'cluster-x' } },
  ],
  'current-context': 'default',
});

/** The provider kubeconfig, base64, with `user` as its user. */
const withUser = (user: Record<string, unknown>) =>
  Buffer.from(
    stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://p' } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'n' } }],
      'current-context': 'c',
    }),
  ).toString('base64');

const request = {
  kind: 'APIServiceExportRequest',
  apiVersion: 'kube-bind.io/v1alpha2',
  metadata: { name: 'my-cowboys' },
  spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }] },
  status: {},
};

function response(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'BindingResponse',
    apiVersion: 'kube-bind.io/v1alpha2',
    authentication: { oauth2CodeGrant: { sid: 's', id: 'i' } },
    kubeconfig: Buffer.from(providerKubeconfig).toString('base64'),
    requests: [request],
    ...overrides,
  };
}

describe('checkBindingResponse', () => {
  it('decodes the kubeconfig and the requests', () => {
    expect(checkBindingResponse(response())).toMatchObject({
      kubeconfig: providerKubeconfig,
      provider: { server: 'https://provider:6443', namespace: 'cluster-x' },
      requests: [{ name: 'my-cowboys', spec: request.spec }],
    });
    // No name: the CLI creates it with generateName.
    const unnamed = { ...request, metadata: {} };
    expect(checkBindingResponse(response({ requests: [unnamed] })).requests[0]?.name).toBe('');
    expect(checkBindingResponse(response({ requests: undefined })).requests).toEqual([]);
  });

  const noNamespace = stringify({
    clusters: [{ name: 'c', cluster: { server: 'https://p' } }],
    contexts: [{ name: 'c', context: { cluster: 'c' } }],
    'current-context': 'c',
  });
  it.each([
    ['an array', [], 'not a BindingResponse object'],
    [
      'no oauth2CodeGrant',
      response({ authentication: {} }),
      'authentication.oauth2CodeGrant is missing',
    ],
    [
      'null oauth2CodeGrant',
      response({ authentication: { oauth2CodeGrant: null } }),
      'authentication.oauth2CodeGrant is missing',
    ],
    ['no kubeconfig', response({ kubeconfig: '' }), 'it carries no kubeconfig'],
    [
      'a kubeconfig that is not base64',
      response({ kubeconfig: 'a b%c' }),
      'the kubeconfig is not base64',
    ],
    [
      'a kubeconfig without a context',
      response({ kubeconfig: Buffer.from('kind: Config').toString('base64') }),
      'its kubeconfig is unusable: it has no current context',
    ],
    [
      'a kubeconfig whose user runs a command',
      response({ kubeconfig: withUser({ exec: { command: 'touch', args: ['/tmp/x'] } }) }),
      'its kubeconfig is unusable: users[0].user: "exec" is not accepted',
    ],
    [
      'a kubeconfig whose user reads a token file',
      response({ kubeconfig: withUser({ 'token-file': '/home/u/.kube/token' }) }),
      'its kubeconfig is unusable: users[0].user: "token-file" is not accepted',
    ],
    [
      'a kubeconfig without a namespace',
      response({ kubeconfig: Buffer.from(noNamespace).toString('base64') }),
      'current context has no namespace',
    ],
    ['requests that are no list', response({ requests: {} }), 'requests is not a list'],
    [
      'a v1alpha1 request',
      response({ requests: [{ ...request, apiVersion: 'kube-bind.io/v1alpha1' }] }),
      'request 0 has apiVersion "kube-bind.io/v1alpha1", want kube-bind.io/v1alpha2',
    ],
    [
      'a request of another kind',
      response({ requests: [{ ...request, kind: 'Secret' }] }),
      'request 0 is a "Secret"',
    ],
    [
      'a request whose apiVersion fills the screen',
      response({ requests: [{ ...request, apiVersion: 'v'.repeat(100_000) }] }),
      `request 0 has apiVersion "${'v'.repeat(79)}…, want kube-bind.io/v1alpha2`,
    ],
    [
      'a request without resources',
      response({ requests: [{ ...request, spec: {} }] }),
      'request 0 is not an APIServiceExportRequest',
    ],
  ])('refuses %s', (_, doc, message) => {
    expect(() => checkBindingResponse(doc)).toThrow(message);
  });
});

describe('planBind', () => {
  const fresh: Findings = {
    secret: undefined,
    namespaceExists: false,
    konnector: { image: 'k:v1', missingCRDs: ['a.kube-bind.io'] },
    boundNames: new Set(),
  };
  const lines = (findings: Findings) =>
    planBind(checkBindingResponse(response()), findings).flatMap((s) => s.describe);

  it('plans every step of a first bind, in the order a real run executes them', () => {
    expect(lines(fresh)).toEqual([
      'create namespace kube-bind',
      'create secret kube-bind/kubeconfig-<random> (label kube-bind.io/provider-kubeconfig=true) with the provider kubeconfig',
      expect.stringMatching(/^create or update the konnector \(k:v1\): /),
      'install the CRDs a.kube-bind.io',
      'wait until APIServiceBindings can be listed',
      'create APIServiceExportRequest my-cowboys for cowboys.wildwest.dev in namespace cluster-x on the provider and wait until it succeeds',
      'create APIServiceBinding my-cowboys with the kubeconfig of secret kube-bind/kubeconfig-<random>',
      expect.stringMatching(/^grant the konnector what my-cowboys needs: /),
    ]);
  });

  it('plans a run again as reuse, and no konnector with --skip-konnector', () => {
    const again = lines({
      secret: { metadata: { name: 'kubeconfig-abc' } },
      namespaceExists: true,
      boundNames: new Set(['my-cowboys']),
    });
    expect(again.slice(0, 3)).toEqual([
      'update secret kube-bind/kubeconfig-abc with the provider kubeconfig',
      'not deploy the konnector (--skip-konnector)',
      'wait until APIServiceBindings can be listed',
    ]);
    expect(again).toContain(
      'keep APIServiceBinding my-cowboys (it already uses secret kube-bind/kubeconfig-abc)',
    );
  });
});

describe('covers', () => {
  it('allows fields the server added, nothing else', () => {
    const wanted = { resources: [{ group: 'g', resource: 'r', versions: ['v1'] }] };
    expect(covers({ ...wanted, schemaUpdatePolicy: 'Never' }, wanted)).toBe(true);
    expect(
      covers({ resources: [{ group: 'g', resource: 'r', versions: ['v1', 'v2'] }] }, wanted),
    ).toBe(false);
    expect(covers({ resources: [] }, wanted)).toBe(false);
    expect(covers(undefined, wanted)).toBe(false);
    expect(covers({ a: [1] }, { a: {} })).toBe(false);
  });
});

describe('output', () => {
  it('prints bindings with the columns of the CRD', () => {
    const rows = bindingRows(
      [
        {
          metadata: { name: 'b', creationTimestamp: '2026-01-01T00:00:00Z' },
          status: {
            providerPrettyName: 'Wild West',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'Pending',
                message: 'waiting\nfor the konnector',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        },
        { metadata: { name: 'new' } },
      ],
      Date.parse('2026-01-01T00:05:00Z'),
    );
    expect(rows).toEqual([
      ['NAME', 'PROVIDER', 'READY', 'MESSAGE', 'AGE'],
      ['b', 'Wild West', 'False', 'waiting for the konnector', '5m'],
      ['new', '', '', '', '<unknown>'],
    ]);
    expect(formatTable(rows).split('\n')[0]).toBe(
      'NAME   PROVIDER    READY   MESSAGE                     AGE',
    );
  });

  it('prints JSON as kubectl (4 spaces) or YAML', () => {
    expect(formatDocument({ a: [1] }, 'json')).toBe('{\n    "a": [\n        1\n    ]\n}\n');
    expect(formatDocument({ a: [1] }, 'yaml')).toBe('a:\n  - 1\n');
  });
});

describe('konnector', () => {
  it('is the seven objects of the provider manifests, with the image asked for', () => {
    const objects = konnectorObjects({ image: 'example.com/konnector:v1' });
    expect(describeKonnector(objects)).toEqual([
      'Namespace kube-bind',
      'ServiceAccount kube-bind/konnector',
      'ClusterRole kube-bind-konnector',
      'ClusterRoleBinding kube-bind-konnector',
      'Role kube-bind/kube-bind-konnector',
      'RoleBinding kube-bind/kube-bind-konnector',
      'Deployment kube-bind/konnector',
    ]);
    // Least privilege: no wildcard anywhere in the konnector's standing rights.
    expect(JSON.stringify([objects.clusterRole.rules, objects.role.rules])).not.toContain('"*"');
    const pod = objects.deployment.spec?.template.spec;
    expect(objects.deployment.spec?.replicas).toBe(2);
    expect(pod?.serviceAccountName).toBe('konnector');
    expect(pod?.containers[0]).toMatchObject({
      name: 'konnector',
      image: 'example.com/konnector:v1',
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
      ports: [{ name: 'http', containerPort: 8090, protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: '/healthz', port: 8090 } },
      // Pod Security "restricted".
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
    });
    expect(pod?.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(objects.clusterRoleBinding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'konnector', namespace: 'kube-bind' },
    ]);
    expect(consumerCRDNames().sort()).toEqual([
      'apiservicebindingbundles.kube-bind.io',
      'apiservicebindings.kube-bind.io',
    ]);
  });

  describe('image version rule (upstream v0.8.1)', () => {
    const repo = 'ghcr.io/kube-bind/konnector';
    const ours = `${repo}:v0.8.1`;
    const hint = "The running konnector (v0.9.0) is newer than this plugin's (v0.8.1)";

    it('keeps a newer running konnector and says how to downgrade it', () => {
      expect(konnectorImageDecision(`${repo}:v0.9.0`, ours, false)).toEqual({
        image: `${repo}:v0.9.0`,
        note: `${hint}: keeping it; --downgrade-konnector would downgrade it.`,
      });
    });

    it('downgrades it with --downgrade-konnector', () => {
      expect(konnectorImageDecision(`${repo}:v0.9.0`, ours, true)).toEqual({
        image: ours,
        note: `${hint}: downgrading it (--downgrade-konnector).`,
      });
    });

    it.each([
      ['an older one', `${repo}:v0.7.9`],
      ['the same version', ours],
      ['a pre-release of our version', `${repo}:v0.8.1-rc.1`],
      ['a version without the v', `${repo}:0.8.0`],
    ])('upgrades %s', (_, running) => {
      expect(konnectorImageDecision(running, ours, false)).toEqual({ image: ours });
    });

    it.each(['unknown', 'latest', 'main', 'v1', 'nightly-2025'])(
      'applies our image over the tag %s',
      (tag) => {
        expect(konnectorImageDecision(`${repo}:${tag}`, ours, false)).toEqual({ image: ours });
      },
    );

    it('applies our image when our own tag is not a version', () => {
      expect(konnectorImageDecision(`${repo}:v0.9.0`, `${repo}:main`, false)).toEqual({
        image: `${repo}:main`,
      });
    });

    it('applies a custom image of another repository as asked', () => {
      expect(
        konnectorImageDecision(`${repo}:v0.9.0`, 'example.com/konnector:v0.1.0', false),
      ).toEqual({ image: 'example.com/konnector:v0.1.0' });
      // A prefix of the running repository is another repository.
      expect(konnectorImageDecision(`${repo}-fork:v9.0.0`, ours, false)).toEqual({ image: ours });
    });

    it('applies our image when no konnector runs', () => {
      expect(konnectorImageDecision(undefined, ours, false)).toEqual({ image: ours });
    });

    it.each([
      [`${repo}@sha256:${'a'.repeat(64)}`, ours],
      [`${repo}:v0.9.0@sha256:${'a'.repeat(64)}`, ours],
      [`${repo}:v0.9.0`, `${repo}@sha256:${'b'.repeat(64)}`],
      ['registry:5000/konnector', 'registry:5000/konnector:v0.8.1'],
    ])('does not compare %s with %s (digest or no tag)', (running, desired) => {
      expect(konnectorImageDecision(running, desired, false)).toEqual({ image: desired });
    });

    it('orders versions as semver', () => {
      const sorted = [
        'v0.8.1-alpha',
        'v0.8.1-alpha.1',
        'v0.8.1-alpha.beta',
        'v0.8.1-beta.2',
        'v0.8.1-beta.11',
        'v0.8.1-rc.1',
        'v0.8.1',
        'v0.8.10',
        'v0.10.0',
        'v1.0.0',
      ];
      const version = (tag: string) => {
        const v = parseVersion(tag);
        if (!v) throw new Error(`not a version: ${tag}`);
        return v;
      };
      const compare = (a: string, b: string) => compareVersions(version(a), version(b));
      expect([...sorted].reverse().sort(compare)).toEqual(sorted);
      expect(compare('v0.8.1-rc.1', 'v0.8.1')).toBeLessThan(0);
      expect(compare('v0.9.0', 'v0.8.1')).toBeGreaterThan(0);
      expect(compare('v1.2.3+build.5', '1.2.3')).toBe(0);
    });

    it('reads the konnector container of the Deployment', () => {
      expect(runningKonnectorImage(undefined)).toBeUndefined();
      expect(
        runningKonnectorImage({
          spec: {
            selector: {},
            template: {
              spec: {
                containers: [
                  { name: 'sidecar', image: 'proxy:v1' },
                  { name: 'konnector', image: `${repo}:v0.9.0` },
                ],
              },
            },
          },
        }),
      ).toBe(`${repo}:v0.9.0`);
    });
  });
});
