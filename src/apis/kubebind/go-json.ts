// Go's encoding/json, reproduced byte for byte for the values kube-bind hashes
// (docs/controllers.md §4.4). The backend annotates objects with a SHA-256 of Go's encoding of a
// BoundSchemaSpec; to take over a provider cluster without rewriting those annotations we must
// produce the very same bytes. Two flavours are needed:
//
// * `goJsonEncode` — a JSON value held in a Go `map[string]any` (an unstructured object, or a
//   runtime.RawExtension filled from one): object keys are sorted by their UTF-8 bytes.
// * `goJsonEncodeAs` — a value decoded into a typed Go struct and marshalled from it: fields in
//   declaration order, unknown fields dropped, missing fields as Go zero values, `omitempty`.
//
// Both escape strings like Go: `<`, `>`, `&`, U+2028 and U+2029 as \uXXXX; control characters as
// \b \f \n \r \t (Go ≥ 1.22) or \u00XX; lone surrogates become U+FFFD (Go's decoder does that
// before the value ever reaches the encoder). Numbers follow Go's float formatting, which for
// finite doubles is exactly JavaScript's Number#toString.

/**
 * The Go type a value is decoded into before it is encoded (runtime.DefaultUnstructuredConverter
 * semantics, then encoding/json):
 * - `string`, `bool`, `int`: scalars; a missing value is the zero value ("", false, 0).
 * - `bytes`: a `[]byte`, base64 in JSON; missing is nil (`null`).
 * - `raw`: a runtime.RawExtension filled from an unstructured value, i.e. `json.Marshal` of a Go
 *   map — encoded as `goJsonEncode` does; missing is `null`. It is a struct, so never omitted.
 * - `{ pointer }`, `{ slice }`: missing is nil (`null`, or omitted with omitempty).
 * - `{ struct }`: fields in Go declaration order; missing is the zero struct; never omitted.
 */
export type GoType =
  | 'string'
  | 'bool'
  | 'int'
  | 'bytes'
  | 'raw'
  | { readonly pointer: GoType }
  | { readonly slice: GoType }
  | { readonly struct: readonly GoField[] };

/** One struct field: its json tag name, Go type and whether the tag says `omitempty`. */
export interface GoField {
  readonly name: string;
  readonly type: GoType;
  readonly omitempty?: boolean;
}

/** Go's `json.Marshal` of a JSON value held in Go maps/slices: object keys sorted by UTF-8 bytes. */
export function goJsonEncode(value: unknown): string {
  const out: string[] = [];
  encodeValue(value, out);
  return out.join('');
}

/** Go's `json.Marshal` of `value` after decoding it into the Go type `type` (see GoType). */
export function goJsonEncodeAs(value: unknown, type: GoType): string {
  const out: string[] = [];
  encodeAs(value, type, out);
  return out.join('');
}

// Go's json package formats a float64 with 'f' unless |v| < 1e-6 or |v| >= 1e21, shortest
// round-trip digits, and trims `e-07` to `e-7`: the same text as Number#toString. Two cases JS
// cannot tell apart from what Go saw: -0 (Go prints `0` when the source said `-0`, which decodes
// to an int64, and `-0` for `-0.0`) — we print `0`; and integers beyond 2^53, which Go keeps exact
// as int64 but JSON.parse has already rounded — pass a bigint to keep them exact.
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${String(n)}`);
  return n === 0 ? '0' : String(n);
}

// What Go escapes, plus lone surrogates (matched by code unit, hence no `u` flag). Control
// characters are the point of this pattern.
const needsEscape =
  // eslint-disable-next-line no-control-regex
  /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const shortEscapes: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function quote(s: string): string {
  const escaped = s.replace(needsEscape, (c) => {
    const short = shortEscapes[c];
    if (short !== undefined) return short;
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) return '\ufffd';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

function encodeValue(value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'string') {
    out.push(quote(value));
  } else if (typeof value === 'number') {
    out.push(formatNumber(value));
  } else if (typeof value === 'boolean' || typeof value === 'bigint') {
    out.push(value.toString());
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      encodeValue(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    // Absent (undefined) members do not exist in a Go map. Go sorts keys with strings.Compare,
    // i.e. by UTF-8 bytes, which differs from JS's UTF-16 order beyond the BMP; encoding to
    // UTF-8 also turns lone surrogates into U+FFFD, as Go's decoder would have.
    const members = Object.entries(value as Readonly<Record<string, unknown>>);
    const entries = members.filter(([, v]) => v !== undefined);
    const keyed = entries.map(([k, v]) => ({ k, v, bytes: Buffer.from(k, 'utf8') }));
    keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    out.push('{');
    keyed.forEach(({ k, v }, i) => {
      if (i > 0) out.push(',');
      out.push(quote(k), ':');
      encodeValue(v, out);
    });
    out.push('}');
  } else {
    throw new TypeError(`json: unsupported type: ${typeof value}`);
  }
}

const absent = (v: unknown): v is null | undefined => v === null || v === undefined;

function mismatch(type: string, value: unknown): TypeError {
  return new TypeError(`cannot decode ${typeof value} into Go ${type}`);
}

// Canonical standard base64 (Go's StdEncoding also skips CR/LF); anything else makes Go's
// converter fail, so we fail too rather than hash something Go never would.
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function encodeAs(value: unknown, type: GoType, out: string[]): void {
  if (type === 'string') {
    if (absent(value)) out.push('""');
    else if (typeof value === 'string') out.push(quote(value));
    else throw mismatch(type, value);
  } else if (type === 'bool') {
    if (absent(value)) out.push('false');
    else if (typeof value === 'boolean') out.push(String(value));
    else throw mismatch(type, value);
  } else if (type === 'int') {
    if (absent(value)) out.push('0');
    else if (typeof value === 'bigint') out.push(value.toString());
    else if (typeof value === 'number' && Number.isInteger(value)) out.push(formatNumber(value));
    else throw mismatch(type, value);
  } else if (type === 'bytes') {
    if (absent(value)) out.push('null');
    else if (typeof value !== 'string') throw mismatch(type, value);
    else {
      const text = value.replace(/[\r\n]/g, '');
      if (!base64.test(text)) throw new TypeError('cannot decode invalid base64 into Go []byte');
      // Decode and re-encode: Go marshals the decoded bytes, not the original text.
      out.push(quote(Buffer.from(text, 'base64').toString('base64')));
    }
  } else if (type === 'raw') {
    encodeValue(value, out);
  } else if ('pointer' in type) {
    if (absent(value)) out.push('null');
    else encodeAs(value, type.pointer, out);
  } else if ('slice' in type) {
    if (absent(value)) out.push('null');
    else if (!Array.isArray(value)) throw mismatch('slice', value);
    else {
      out.push('[');
      value.forEach((item: unknown, i) => {
        if (i > 0) out.push(',');
        encodeAs(item, type.slice, out);
      });
      out.push(']');
    }
  } else {
    encodeStruct(value, type.struct, out);
  }
}

function encodeStruct(value: unknown, fields: readonly GoField[], out: string[]): void {
  if (!absent(value) && (typeof value !== 'object' || Array.isArray(value))) {
    throw mismatch('struct', value);
  }
  const members = (value ?? {}) as Readonly<Record<string, unknown>>;
  out.push('{');
  let first = true;
  for (const field of fields) {
    const member = Object.hasOwn(members, field.name) ? members[field.name] : undefined;
    if (field.omitempty === true && isEmpty(member, field.type)) continue;
    if (!first) out.push(',');
    first = false;
    out.push(quote(field.name), ':');
    encodeAs(member, field.type, out);
  }
  out.push('}');
}

// Go's isEmptyValue, applied to the value after decoding into `type`: false, 0, "", nil and
// empty slices are empty; structs (including RawExtension) never are.
function isEmpty(value: unknown, type: GoType): boolean {
  if (absent(value)) return typeof type === 'string' ? type !== 'raw' : !('struct' in type);
  if (type === 'string' || type === 'bytes') return value === '';
  if (type === 'bool') return value === false;
  if (type === 'int') return value === 0 || value === 0n;
  if (typeof type === 'object' && 'slice' in type)
    return Array.isArray(value) && value.length === 0;
  return false;
}
