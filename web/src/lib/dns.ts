// Kubernetes name rules the UI checks before asking the backend.

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dnsLabelError(name: string): string | undefined {
  if (name === '') return 'A name is required.';
  if (name.length > 63) return `Must be at most 63 characters (it has ${name.length}).`;
  if (!label.test(name)) {
    return "Must consist of lower-case letters, digits or '-', and start and end with a letter or digit.";
  }
  return undefined;
}

export function isDnsLabel(name: string): boolean {
  return dnsLabelError(name) === undefined;
}

/** A DNS-1123 label derived from `source` (e.g. a template name), for a default binding name. */
export function suggestLabel(source: string): string {
  const squashed = source
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-');
  const trimmed = squashed.slice(0, 63).replace(/^-+|-+$/g, '');
  return trimmed === '' ? 'binding' : trimmed;
}
