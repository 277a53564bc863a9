import { describe, expect, it } from 'vitest';
import { ownersAnnotation } from '../../apis/kubebind/wire.ts';
import { decideOwnership, describeOwner, parseOwners } from './ownership.ts';

const alice = { issuer: 'https://idp.example', subject: 'alice' };
const bob = { issuer: 'https://idp.example', subject: 'bob' };
const author = 'backend.kube-bind.io/author';

describe('decideOwnership', () => {
  it('lets a recorded owner in and refuses everyone else', () => {
    const annotations = { [ownersAnnotation]: JSON.stringify([alice, { requestNamespace: 't' }]) };
    expect(decideOwnership(annotations, alice)).toEqual({ kind: 'owned' });
    expect(decideOwnership(annotations, { requestNamespace: 't' })).toEqual({ kind: 'owned' });
    expect(decideOwnership(annotations, bob).kind).toBe('refused');
    // The same subject from another issuer is someone else.
    expect(decideOwnership(annotations, { ...alice, issuer: 'https://other' }).kind).toBe(
      'refused',
    );
    expect(decideOwnership(annotations, { requestNamespace: 'u' }).kind).toBe('refused');
  });

  it('lets the recorded author adopt a namespace without owners, and only that user', () => {
    expect(decideOwnership({ [author]: 'alice' }, alice)).toEqual({
      kind: 'adopt',
      owners: [alice],
    });
    expect(decideOwnership({ [author]: 'alice' }, bob).kind).toBe('refused');
    expect(decideOwnership({}, alice).kind).toBe('refused');
    // spec.author of a BindableResourcesRequest is free text: never enough to adopt.
    expect(decideOwnership({ [author]: 'alice' }, { requestNamespace: 'alice' }).kind).toBe(
      'refused',
    );
  });

  it('refuses everybody when the record is malformed, rather than guess', () => {
    for (const raw of [
      'nope',
      '{}',
      '[1]',
      '[{"issuer":"x"}]',
      '[{"issuer":"x","subject":""}]',
      '[{"issuer":"x","subject":"alice","groups":["a"]}]',
      JSON.stringify(Array.from({ length: 101 }, () => alice)),
    ]) {
      const decision = decideOwnership({ [ownersAnnotation]: raw, [author]: 'alice' }, alice);
      expect(decision.kind, raw).toBe('refused');
    }
  });
});

describe('parseOwners and describeOwner', () => {
  it('round-trips the entry the refusal tells the operator to add', () => {
    expect(describeOwner(alice)).toBe('{"issuer":"https://idp.example","subject":"alice"}');
    expect(parseOwners(`[${describeOwner(alice)}]`)).toEqual([alice]);
    expect(parseOwners(undefined)).toBeUndefined();
  });
});
