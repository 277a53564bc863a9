import { describe, expect, it } from 'vitest';
import { FlagError } from '../../cli/flags.ts';
import { loadKonnectorOptions, type KonnectorOptions } from './options.ts';

/** Options from argv with an empty environment, so the test host's variables do not leak in. */
const load = (argv: readonly string[], env: Record<string, string> = {}) =>
  loadKonnectorOptions(argv, env);

/** The FlagError message for argv; fails the test if argv loads. */
function rejection(argv: readonly string[]): string {
  try {
    load(argv);
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('loadKonnectorOptions', () => {
  it("has upstream's defaults, in-cluster config and leader election on", () => {
    const expected: KonnectorOptions = {
      leaderElection: { enabled: true, namespace: 'kube-system', leaseName: 'kube-bind' },
      serverAddress: { host: '0.0.0.0', port: 8090 },
      providerPollingIntervalMs: 15_000,
      heartbeatIntervalMs: 300_000,
      syncWorkers: 8,
      logging: { verbosity: 2, level: 'info' },
    };
    expect(load([])).toStrictEqual(expected);
  });

  it('takes every flag', () => {
    expect(
      load([
        '--kubeconfig=/etc/consumer.kubeconfig',
        '--context',
        'consumer',
        '--leader-elect=false',
        '--lease-namespace=kube-bind',
        '--lease-name=konnector',
        '--server-address=127.0.0.1:9090',
        '--provider-polling-interval=1m',
        '--heartbeat-interval=30s',
        '--sync-workers=16',
        '-v=4',
      ]),
    ).toStrictEqual({
      kubeconfig: '/etc/consumer.kubeconfig',
      context: 'consumer',
      leaderElection: { enabled: false, namespace: 'kube-bind', leaseName: 'konnector' },
      serverAddress: { host: '127.0.0.1', port: 9090 },
      providerPollingIntervalMs: 60_000,
      heartbeatIntervalMs: 30_000,
      syncWorkers: 16,
      logging: { verbosity: 4, level: 'debug' },
    });
  });

  it('takes an IPv6 listen address in brackets, as Go writes it', () => {
    expect(loadKonnectorOptions(['--server-address=[::1]:8090'], {}).serverAddress).toEqual({
      host: '::1',
      port: 8090,
    });
  });

  it('puts the Lease in $POD_NAMESPACE unless --lease-namespace says otherwise', () => {
    const env = { POD_NAMESPACE: 'kube-bind' };
    expect(load([], env).leaderElection.namespace).toBe('kube-bind');
    expect(load(['--lease-namespace=elsewhere'], env).leaderElection.namespace).toBe('elsewhere');
  });

  it('reads $KUBECONFIG unless --kubeconfig says otherwise', () => {
    const env = { KUBECONFIG: '/home/me/.kube/config' };
    expect(load([], env).kubeconfig).toBe('/home/me/.kube/config');
    expect(load(['--kubeconfig=/other'], env).kubeconfig).toBe('/other');
  });

  it('treats empty values as absent', () => {
    const options = load(['--kubeconfig=', '--context='], { KUBECONFIG: '', POD_NAMESPACE: '' });
    expect(options).not.toHaveProperty('kubeconfig');
    expect(options).not.toHaveProperty('context');
    expect(options.leaderElection.namespace).toBe('kube-system');
  });

  it('reports every invalid value in one FlagError, whatever the argument order', () => {
    expect(rejection(['--sync-workers=0', '--server-address=nope'])).toBe(
      'invalid --server-address "nope": want host:port, e.g. :8090 or 127.0.0.1:8090; ' +
        'invalid --sync-workers "0": want a number from 1 to 999',
    );
  });

  it.each([
    ['--server-address=:65536', 'invalid --server-address ":65536"'],
    ['--server-address=localhost', 'invalid --server-address "localhost"'],
    ['--sync-workers=1000', 'invalid --sync-workers "1000": want a number from 1 to 999'],
    ['--sync-workers=two', 'invalid --sync-workers "two"'],
    ['--lease-name=Kube_Bind', 'invalid --lease-name "Kube_Bind": want a DNS subdomain name'],
    [
      '--provider-polling-interval=500ms',
      'invalid --provider-polling-interval "500ms": want at least 1s',
    ],
    ['--heartbeat-interval=0s', 'invalid --heartbeat-interval "0s": want at least 1s'],
    ['--heartbeat-interval=400ms', 'invalid --heartbeat-interval "400ms": want at least 1s'],
    ['--heartbeat-interval=5 minutes', 'invalid --heartbeat-interval "5 minutes"'],
    ['--logging-format=text', 'invalid --logging-format "text"'],
  ])('refuses %s', (arg, message) => {
    expect(rejection([arg])).toContain(message);
  });

  it('accepts the limits', () => {
    const options = load([
      '--server-address=:0',
      '--sync-workers=999',
      '--provider-polling-interval=1s',
      '--heartbeat-interval=1s',
    ]);
    expect(options.serverAddress).toStrictEqual({ host: '0.0.0.0', port: 0 });
    expect(options.syncWorkers).toBe(999);
    expect(options.providerPollingIntervalMs).toBe(1_000);
    expect(options.heartbeatIntervalMs).toBe(1_000);
  });

  it('refuses unknown flags', () => {
    expect(() => load(['--bogus'])).toThrow(FlagError);
  });
});
