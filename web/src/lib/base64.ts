// Base64 in both alphabets, on bytes (never on JavaScript strings directly, so any Unicode text
// survives: encode it with TextEncoder first).

const standard = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const urlSafe = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const left = bytes.length - i;
    out += alphabet.charAt((n >> 18) & 63) + alphabet.charAt((n >> 12) & 63);
    out += left > 1 ? alphabet.charAt((n >> 6) & 63) : '=';
    out += left > 2 ? alphabet.charAt(n & 63) : '=';
  }
  return out;
}

/** Standard base64 (`+`, `/`) with `=` padding, as Kubernetes and `/api/apply-binding` expect. */
export function base64FromBytes(bytes: Uint8Array): string {
  return encode(bytes, standard);
}

/** URL-safe base64 (`-`, `_`) WITH `=` padding — what Go's `base64.URLEncoding` decodes. */
export function base64UrlFromBytes(bytes: Uint8Array): string {
  return encode(bytes, urlSafe);
}

/** Standard base64 of the UTF-8 encoding of `text`. */
export function base64FromText(text: string): string {
  return base64FromBytes(new TextEncoder().encode(text));
}

/** URL-safe padded base64 of the UTF-8 encoding of `text`. */
export function base64UrlFromText(text: string): string {
  return base64UrlFromBytes(new TextEncoder().encode(text));
}

/**
 * Decodes base64 in either alphabet (padding optional, whitespace ignored).
 * Throws on any other character or an impossible length.
 */
export function bytesFromBase64(input: string): Uint8Array {
  const clean = input.replace(/\s+/g, '').replace(/=+$/, '');
  if (clean.length % 4 === 1) throw new Error('invalid base64: impossible length');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let j = 0;
  for (const ch of clean) {
    let idx = standard.indexOf(ch);
    if (idx < 0) idx = urlSafe.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base64 character ${JSON.stringify(ch)}`);
    value = ((value << 6) | idx) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** Decodes base64 and then UTF-8 (strictly: invalid UTF-8 throws). */
export function textFromBase64(input: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytesFromBase64(input));
}
