import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors.ts';
import { parseBindRequest } from './bind-request.ts';

const valid = {
  metadata: { name: 'my-cowboys', creationTimestamp: null },
  spec: { templateRef: { name: 'cowboys' }, clusterIdentity: { identity: 'uid-1' }, author: '' },
  status: {},
};

function refusal(body: unknown): { message: string; details: string | undefined } {
  try {
    parseBindRequest(body);
  } catch (err) {
    if (err instanceof BackendError && err.code === 'BadRequest') {
      return { message: err.message, details: err.details };
    }
    throw err;
  }
  throw new Error('accepted');
}

describe('parseBindRequest', () => {
  it('reads what the CLI and the UI send', () => {
    expect(parseBindRequest(valid)).toEqual({
      name: 'my-cowboys',
      templateName: 'cowboys',
      identity: 'uid-1',
    });
    const ui = structuredClone(valid) as typeof valid & {
      spec: { clusterIdentity: { prettyName?: string } };
    };
    ui.spec.clusterIdentity.prettyName = 'Laptop';
    expect(parseBindRequest(ui).prettyName).toBe('Laptop');
  });

  it.each([
    [null, 'Invalid request'],
    [[], 'Invalid request'],
    ['text', 'Invalid request'],
    [{ ...valid, spec: { ...valid.spec, clusterIdentity: {} } }, 'Missing cluster identity'],
    [{ ...valid, metadata: {} }, 'Missing binding name'],
    [{ ...valid, metadata: { name: 'Not_A_Name' } }, 'Invalid binding name'],
    [{ ...valid, metadata: { name: 'x'.repeat(254) } }, 'Invalid binding name'],
    [{ ...valid, metadata: { name: 42 } }, 'Invalid request'],
    [{ ...valid, spec: { ...valid.spec, templateRef: {} } }, 'Missing template'],
    [{ ...valid, spec: { ...valid.spec, templateRef: 'cowboys' } }, 'Invalid request'],
  ])('refuses %j with %s', (body, message) => {
    expect(refusal(body).message).toBe(message);
  });
});
