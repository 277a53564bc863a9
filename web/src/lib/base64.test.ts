import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64FromBytes,
  base64FromText,
  base64UrlFromBytes,
  base64UrlFromText,
  bytesFromBase64,
  textFromBase64,
} from './base64.ts';

describe('base64', () => {
  it('matches Node for any bytes, in both alphabets, with padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(base64FromBytes(bytes)).toBe(buf.toString('base64'));
        const url = base64UrlFromBytes(bytes);
        expect(url).toBe(buf.toString('base64').replaceAll('+', '-').replaceAll('/', '_'));
        expect(url.length % 4).toBe(0);
        expect(Array.from(bytesFromBase64(url))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('uses - and _ where standard base64 has + and / (the ? and > cases of §6.5)', () => {
    // "?>?" encodes to "Pz4/" in standard base64.
    expect(base64FromText('?>?')).toBe('Pz4/');
    expect(base64UrlFromText('?>?')).toBe('Pz4_');
    expect(base64FromText('>>>')).toBe('Pj4+');
    expect(base64UrlFromText('>>>')).toBe('Pj4-');
  });

  it('encodes text as UTF-8, so non-Latin-1 characters work (btoa would throw)', () => {
    const text = '{"name":"Grüße ✓ 🤠?"}';
    expect(base64UrlFromText(text)).toBe(
      Buffer.from(text, 'utf8').toString('base64').replaceAll('+', '-').replaceAll('/', '_'),
    );
    expect(textFromBase64(base64UrlFromText(text))).toBe(text);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(textFromBase64(base64UrlFromText(s))).toBe(s);
        expect(textFromBase64(base64FromText(s))).toBe(s);
      }),
    );
  });

  it('rejects what is not base64', () => {
    expect(() => bytesFromBase64('ab$c')).toThrow(/invalid base64 character/);
    expect(() => bytesFromBase64('abcde')).toThrow(/impossible length/);
    expect(() => textFromBase64(base64FromBytes(new Uint8Array([0xff, 0xfe])))).toThrow();
  });

  it('ignores whitespace and missing padding when decoding', () => {
    expect(textFromBase64('aGVs\nbG8')).toBe('hello');
  });
});
