import { describe, expect, it } from 'vitest';
import {
  crdName,
  groupResourceString,
  resourceGroupName,
  sameGroupResource,
} from './group-resource.ts';

describe('resourceGroupName', () => {
  it('names a core resource `<resource>.core`', () => {
    expect(resourceGroupName({ group: '', resource: 'secrets' })).toBe('secrets.core');
  });

  it('treats a missing group as the core group', () => {
    expect(resourceGroupName({ resource: 'secrets' })).toBe('secrets.core');
  });

  it('names a resource of a named group `<resource>.<group>`', () => {
    expect(resourceGroupName({ group: 'wildwest.dev', resource: 'cowboys' })).toBe(
      'cowboys.wildwest.dev',
    );
  });
});

describe('groupResourceString', () => {
  it('leaves a trailing dot for the core group, as Go’s GroupResource.String()', () => {
    expect(groupResourceString({ group: '', resource: 'secrets' })).toBe('secrets.');
    expect(groupResourceString({ resource: 'secrets' })).toBe('secrets.');
  });

  it('is `<resource>.<group>` for a named group', () => {
    expect(groupResourceString({ group: 'wildwest.dev', resource: 'cowboys' })).toBe(
      'cowboys.wildwest.dev',
    );
  });
});

describe('crdName', () => {
  it('is `<plural>.<group>`', () => {
    expect(crdName('wildwest.dev', 'sheriffs')).toBe('sheriffs.wildwest.dev');
  });
});

describe('sameGroupResource', () => {
  it('matches equal group and resource', () => {
    expect(
      sameGroupResource(
        { group: 'wildwest.dev', resource: 'cowboys' },
        { group: 'wildwest.dev', resource: 'cowboys' },
      ),
    ).toBe(true);
  });

  it('treats a missing group and the empty group as the same core group', () => {
    expect(sameGroupResource({ resource: 'secrets' }, { group: '', resource: 'secrets' })).toBe(
      true,
    );
    expect(sameGroupResource({ group: '', resource: 'secrets' }, { resource: 'secrets' })).toBe(
      true,
    );
  });

  it('does not treat `core` as the core group', () => {
    expect(sameGroupResource({ group: 'core', resource: 'secrets' }, { resource: 'secrets' })).toBe(
      false,
    );
  });

  it('tells apart different resources or groups', () => {
    expect(
      sameGroupResource(
        { group: 'wildwest.dev', resource: 'cowboys' },
        { group: 'wildwest.dev', resource: 'sheriffs' },
      ),
    ).toBe(false);
    expect(
      sameGroupResource(
        { group: 'wildwest.dev', resource: 'cowboys' },
        { group: 'example.com', resource: 'cowboys' },
      ),
    ).toBe(false);
    expect(
      sameGroupResource({ resource: 'cowboys' }, { group: 'wildwest.dev', resource: 'cowboys' }),
    ).toBe(false);
  });
});
