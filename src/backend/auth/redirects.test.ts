import { describe, expect, it } from 'vitest';
import { checkRedirect } from './redirects.ts';

const own = 'https://bind.example.com';

describe('checkRedirect', () => {
  it.each([
    'http://127.0.0.1:53127/callback',
    'http://localhost:8000/callback?x=1',
    'http://[::1]:9000/callback',
  ])('lets the CLI flow go to the loopback listener %s', (url) => {
    expect(checkRedirect(url, 'cli', own).href).toBe(new URL(url).href);
  });

  it.each([
    'https://evil.example.com/callback',
    'http://127.0.0.1.evil.example.com:80/callback',
    'http://127.0.0.1/callback',
    'https://127.0.0.1:8443/callback',
    'http://user:pw@127.0.0.1:5000/callback',
    'javascript:alert(1)',
    '//evil.example.com',
    '/relative',
  ])('refuses %s for the CLI flow', (url) => {
    expect(() => checkRedirect(url, 'cli', own)).toThrow('Invalid redirect_url');
  });

  it('lets the web flow come back to its own origin only', () => {
    expect(checkRedirect(`${own}/resources?x=1`, 'ui', own).pathname).toBe('/resources');
    for (const url of [
      'https://bind.example.com.evil.com/',
      'http://bind.example.com/',
      'https://bind.example.com:444/',
      'http://127.0.0.1:5000/callback',
    ]) {
      expect(() => checkRedirect(url, 'ui', own), url).toThrow('Invalid redirect_url');
    }
  });
});
