// A small YAML writer for the manifests the UI offers as downloads. It writes block style and
// double-quotes every string that could read back as anything but itself, so `parse(toYaml(x))`
// equals `x` for any JSON value.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const reserved = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

function scalar(value: null | boolean | number | string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${String(value)} as YAML`);
    return String(value);
  }
  const plain = /^[A-Za-z][A-Za-z0-9_./-]*$/.test(value) && !reserved.has(value.toLowerCase());
  // JSON string escapes are a subset of YAML double-quoted escapes.
  return plain ? value : JSON.stringify(value);
}

function inline(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') {
    return scalar(value as null | boolean | number | string);
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  return Object.values(value).some((v) => v !== undefined) ? undefined : '{}';
}

function block(value: object): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown) => {
      const one = inline(item);
      if (one !== undefined) return [`- ${one}`];
      const [first = '', ...rest] = block(item as object);
      return [`- ${first}`, ...rest.map((line) => `  ${line}`)];
    });
  }
  return Object.entries(value).flatMap(([key, item]: [string, unknown]) => {
    if (item === undefined) return [];
    const one = inline(item);
    if (one !== undefined) return [`${scalar(key)}: ${one}`];
    return [`${scalar(key)}:`, ...block(item as object).map((line) => `  ${line}`)];
  });
}

/** One YAML document (no `---`), ending with a newline. Object keys keep their order. */
export function toYaml(value: unknown): string {
  const one = inline(value);
  if (one !== undefined) return `${one}\n`;
  return `${block(value as object).join('\n')}\n`;
}

/** Several documents separated by `---` lines. */
export function toYamlDocuments(values: readonly unknown[]): string {
  return values.map(toYaml).join('---\n');
}

export type { Json };
