import { describe, expect, it } from 'vitest';
import { apiResourceSchemaVWPath, parseAPIExportURL } from './vw-url.ts';

const engaged = 'https://h:6443/services/apiexport/root:kube-bind/kube-bind.io/clusters/2abc';

describe('parseAPIExportURL', () => {
  it('takes the logical cluster from an engaged cluster’s URL', () => {
    expect(parseAPIExportURL(engaged)).toEqual({
      origin: 'https://h:6443',
      prefix: '',
      clusterId: '2abc',
    });
  });

  it('accepts a URL object, a trailing slash and a proxy’s base path', () => {
    expect(parseAPIExportURL(new URL(`${engaged}/`)).clusterId).toBe('2abc');
    expect(
      parseAPIExportURL('https://proxy/kcp/services/apiexport/root:a:b/my.export/clusters/x1'),
    ).toEqual({ origin: 'https://proxy', prefix: '/kcp', clusterId: 'x1' });
  });

  it.each([
    ['a workspace URL', 'https://h/clusters/root:kube-bind'],
    [
      'the export URL without a cluster',
      'https://h/services/apiexport/root:kube-bind/kube-bind.io',
    ],
    ['the wildcard', 'https://h/services/apiexport/root:kube-bind/kube-bind.io/clusters/*'],
    ['another virtual workspace', 'https://h/services/apiresourceschema/2abc/clusters/2abc'],
    ['extra segments', `${engaged}/api/v1`],
  ])('rejects %s', (_what, url) => {
    expect(() => parseAPIExportURL(url)).toThrow(/invalid apiexport URL format/);
  });
});

describe('apiResourceSchemaVWPath', () => {
  it('names the cluster twice, literally', () => {
    expect(apiResourceSchemaVWPath(engaged)).toBe('/services/apiresourceschema/2abc/clusters/2abc');
  });

  it('keeps a base path', () => {
    expect(apiResourceSchemaVWPath('https://proxy/kcp/services/apiexport/root/e/clusters/x1')).toBe(
      '/kcp/services/apiresourceschema/x1/clusters/x1',
    );
  });
});
