import { describe, expect, it } from 'vitest';
import { FlagError } from './flags.ts';
import { parseBackendOptions } from './options.ts';

describe('parseBackendOptions', () => {
  it('installs the CRDs unless told not to', () => {
    expect(parseBackendOptions([])).toEqual({ installCRDs: true });
    expect(parseBackendOptions(['--install-crds=false']).installCRDs).toBe(false);
  });

  it('takes the provider cluster access', () => {
    expect(parseBackendOptions(['--kubeconfig', '/k', '--context=provider'])).toEqual({
      kubeconfig: '/k',
      context: 'provider',
      installCRDs: true,
    });
  });

  it('rejects an empty kubeconfig path with the flag name', () => {
    expect(() => parseBackendOptions(['--kubeconfig='])).toThrow(FlagError);
    expect(() => parseBackendOptions(['--kubeconfig='])).toThrow('--kubeconfig needs a non-empty');
  });
});
