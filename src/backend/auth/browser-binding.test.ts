import { describe, expect, it } from 'vitest';
import { browserBinding, browserNonce, sameBrowser } from './browser-binding.ts';

describe('browser binding of a login', () => {
  it('keep a well-formed nonce the browser sends, and make a new one otherwise', () => {
    const nonce = browserNonce(undefined);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browserNonce(nonce)).toBe(nonce);
    expect(browserNonce('short')).not.toBe('short');
    expect(browserNonce(`${nonce}x`)).not.toBe(`${nonce}x`);
  });

  it('accept only the browser whose nonce was bound', () => {
    const nonce = browserNonce(undefined);
    const binding = browserBinding(nonce);
    expect(binding).not.toContain(nonce);
    expect(sameBrowser(nonce, binding)).toBe(true);
    expect(sameBrowser(undefined, binding)).toBe(false);
    expect(sameBrowser(browserNonce(undefined), binding)).toBe(false);
    expect(sameBrowser(binding, binding)).toBe(false);
  });
});
