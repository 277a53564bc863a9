// The contract namespace of a consumer is named from its cluster identity (docs/controllers.md
// §3.1). The name must be byte-identical to the Go backend's, or a consumer served by both would
// get two namespaces: SHA-224 of the identity, first 8 bytes, as a big-endian unsigned integer in
// lower-case base 36 — with the quirk of the Go base36 library used upstream, which writes one
// extra `0` for every leading zero byte of its input.
import { createHash } from 'node:crypto';

/** The hash part of a contract namespace name, e.g. `37p3oxx6sh4fd` for `test-id-123`. */
export function identityHash(identity: string): string {
  const bytes = createHash('sha224').update(identity, 'utf8').digest().subarray(0, 8);
  let leadingZeros = 0;
  while (leadingZeros < bytes.length && bytes[leadingZeros] === 0) leadingZeros++;
  if (leadingZeros === bytes.length) return '0'.repeat(bytes.length);
  const value = bytes.readBigUInt64BE(0);
  return '0'.repeat(leadingZeros) + value.toString(36);
}

/** `<prefix><hash>`, e.g. `cluster-37p3oxx6sh4fd` (no separator is added). */
export function contractNamespaceName(prefix: string, identity: string): string {
  return `${prefix}${identityHash(identity)}`;
}
