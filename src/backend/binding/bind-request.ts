// Reading the body of POST /api/bind (a BindableResourcesRequest, docs/protocol.md §3.14, §5.4).
// Pure: every problem becomes a BadRequest that says which field to fix, never a crash later on.
import { BackendError } from '../errors.ts';

/** The sentinel identity of the pure web-UI flow (protocol.md §6.6): "bind for me, the logged-in user". */
export const uiIdentity = 'ui-identity';

export interface BindInput {
  /** The name of the APIServiceExportRequest (and so of the export and the binding). */
  name: string;
  templateName: string;
  identity: string;
  prettyName?: string;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function parseBindRequest(body: unknown): BindInput {
  const root = record(body, 'the request body');
  const metadata = record(root['metadata'] ?? {}, 'metadata');
  const spec = record(root['spec'] ?? {}, 'spec');
  const name = text(metadata['name'], 'metadata.name');
  const templateName = text(
    record(spec['templateRef'] ?? {}, 'spec.templateRef')['name'],
    'spec.templateRef.name',
  );
  const clusterIdentity = record(spec['clusterIdentity'] ?? {}, 'spec.clusterIdentity');
  const identity = text(clusterIdentity['identity'], 'spec.clusterIdentity.identity');
  if (identity === '')
    throw bad('Missing cluster identity', 'spec.clusterIdentity.identity is empty');
  if (name === '') throw bad('Missing binding name', 'metadata.name is empty');
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    throw bad(
      'Invalid binding name',
      `metadata.name "${name}" must be lower-case letters, digits, '-' and '.', ` +
        'starting and ending with a letter or digit, at most 253 characters',
    );
  }
  if (templateName === '') throw bad('Missing template', 'spec.templateRef.name is empty');
  const prettyName = clusterIdentity['prettyName'];
  const input: BindInput = { name, templateName, identity };
  if (typeof prettyName === 'string' && prettyName !== '') input.prettyName = prettyName;
  return input;
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw bad('Invalid request', `${what} must be a JSON object`);
  }
  return v as Record<string, unknown>;
}

function text(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad('Invalid request', `${what} must be a string`);
  return v;
}

function bad(message: string, details: string): BackendError {
  return new BackendError('BadRequest', message, { details });
}
