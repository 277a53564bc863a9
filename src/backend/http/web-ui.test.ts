import { describe, expect, it } from 'vitest';
import { proxyTarget } from './web-ui.ts';

describe('proxyTarget', () => {
  const origin = 'http://127.0.0.1:5173';

  it('appends path and query to the development server origin', () => {
    expect(proxyTarget(origin, '/assets/app.js?v=1')?.href).toBe(
      'http://127.0.0.1:5173/assets/app.js?v=1',
    );
  });

  it.each([
    '//169.254.169.254/latest/meta-data/',
    '/\\\\169.254.169.254/',
    '//127.0.0.2:8080/',
    '///evil.example/',
    '/@evil.example/',
  ])('keeps the origin for %s', (path) => {
    expect(proxyTarget(origin, path)?.origin).toBe(origin);
  });

  it('refuses what is not an origin-form path', () => {
    expect(proxyTarget(origin, 'http://169.254.169.254/')).toBeUndefined();
    expect(proxyTarget(origin, '')).toBeUndefined();
    expect(proxyTarget(origin, '*')).toBeUndefined();
  });
});
