// The wire vocabulary holds no clashes: two labels (or annotations, finalizers, condition types)
// with one value would make two meanings indistinguishable on the objects.
import { describe, expect, it } from 'vitest';
import * as types from './types.gen.ts';
import * as wire from './wire.ts';

const kinds = ['Label', 'Annotation', 'Finalizer', 'Condition'] as const;

/** The string constants of wire.ts whose name ends in `suffix`, as [name, value]. */
function namesEndingIn(suffix: string): [string, string][] {
  const entries: [string, unknown][] = Object.entries(wire);
  return entries.filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0].endsWith(suffix),
  );
}

/** The values that more than one name holds. */
function duplicates(entries: readonly [string, string][]): string[] {
  const values = entries.map(([, value]) => value);
  return values.filter((value, i) => values.indexOf(value) !== i);
}

// A qualified name as Kubernetes validates label and annotation keys: an optional DNS-subdomain
// prefix and a name of at most 63 characters. Finalizers follow the same form.
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const name = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const local = key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) return false;
  return local.length <= 63 && name.test(local);
}

describe('the wire vocabulary', () => {
  it('names every string constant by what it is', () => {
    const unclassified = Object.entries(wire)
      .filter(([, value]) => typeof value === 'string')
      .map(([key]) => key)
      .filter((key) => !kinds.some((kind) => key.endsWith(kind)));
    expect(unclassified).toEqual([]);
  });

  it.each(kinds)('gives no two %ss the same value', (kind) => {
    const entries = namesEndingIn(kind);
    expect(entries.length).toBeGreaterThan(0);
    expect(duplicates(entries)).toEqual([]);
  });

  it.each(['Label', 'Annotation', 'Finalizer'])('writes every %s as a qualified name', (kind) => {
    const invalid = namesEndingIn(kind).filter(([, value]) => !isQualifiedName(value));
    expect(invalid).toEqual([]);
  });

  it('lists each claimable resource once', () => {
    const keys = wire.claimableResources.map((r) => `${r.resource}.${r.group}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('generates enums whose values are distinct', () => {
    const exports: [string, unknown][] = Object.entries(types);
    const lists = exports.filter(
      (entry): entry is [string, readonly string[]] =>
        entry[0].endsWith('Values') && Array.isArray(entry[1]),
    );
    expect(lists.map(([key]) => key)).toContain('isolationValues');
    for (const [key, values] of lists) {
      expect(new Set(values).size, key).toBe(values.length);
    }
  });

  it('tells a qualified name from a malformed one', () => {
    expect(isQualifiedName('kube-bind.io/owner')).toBe(true);
    expect(isQualifiedName('Ready')).toBe(true);
    expect(isQualifiedName('kube-bind.io/a/b')).toBe(false);
    expect(isQualifiedName('Kube-Bind.io/owner')).toBe(false);
    expect(isQualifiedName(`kube-bind.io/${'x'.repeat(64)}`)).toBe(false);
  });
});
