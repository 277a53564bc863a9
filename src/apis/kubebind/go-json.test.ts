import { describe, expect, it } from 'vitest';
import { goJsonEncode, goJsonEncodeAs, type GoType } from './go-json.ts';

// Characters Go writes unescaped that would be invisible in this file.
const DEL = '\u007f';
const PRIVATE_USE = '\ue000';
const REPLACEMENT = '\ufffd';

describe('goJsonEncode', () => {
  // Measured with Go 1.26: k8s.io/apimachinery/pkg/util/json.Unmarshal (what unstructured
  // decoding uses: integers as int64, other numbers float64) then encoding/json.Marshal.
  it.each([
    {
      name: 'map keys in UTF-8 byte order',
      input: String.raw`{"é":1,"z":2,"Z":3,"a_":4,"a":5,"😀":6,"\ue000":7,"":8,"a\u0000":9}`,
      go: String.raw`{"":8,"Z":3,"a":5,"a\u0000":9,"a_":4,"z":2,"é":1,"${PRIVATE_USE}":7,"😀":6}`,
    },
    {
      name: 'numbers',
      input:
        '[0.5,1e21,1e20,1e-7,1e-6,0.000001234,123456789.125,1.5e300,5e-324,1.7976931348623157e308,' +
        '0.30000000000000004,100,2.0,-1.5,-0,12345678901234567890,1e-100,123e-20]',
      go:
        '[0.5,1e+21,100000000000000000000,1e-7,0.000001,0.000001234,123456789.125,1.5e+300,5e-324,' +
        '1.7976931348623157e+308,0.30000000000000004,100,2,-1.5,0,12345678901234567000,1e-100,1.23e-18]',
    },
    {
      name: 'string escapes',
      input: String.raw`"<a href=\"x\">&amp;</a> \u2028 \u2029 \u0000\u0001\u001f\u007f\b\f\n\r\t \\ / é 😀"`,
      go: String.raw`"\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e \u2028 \u2029 \u0000\u0001\u001f${DEL}\b\f\n\r\t \\ / é 😀"`,
    },
    {
      name: 'lone surrogates',
      input: String.raw`"\ud800 lone \udc00"`,
      go: `"${REPLACEMENT} lone ${REPLACEMENT}"`,
    },
    {
      name: 'nesting',
      input: '{"b":{"d":[],"c":{}},"a":[null,true,false,{"y":1,"x":2}]}',
      go: '{"a":[null,true,false,{"x":2,"y":1}],"b":{"c":{},"d":[]}}',
    },
  ])('$name', ({ input, go }) => {
    expect(goJsonEncode(JSON.parse(input))).toBe(go);
  });

  it('sorts by UTF-8 bytes, not by UTF-16 code units as Array#sort does', () => {
    const keys = ['é', 'z', 'Z', 'a_', 'a', '😀', PRIVATE_USE];
    expect([...keys].sort()).toEqual(['Z', 'a', 'a_', 'z', 'é', '😀', PRIVATE_USE]);
    const encoded = goJsonEncode(Object.fromEntries(keys.map((k) => [k, 0])));
    expect(encoded).toBe(`{"Z":0,"a":0,"a_":0,"z":0,"é":0,"${PRIVATE_USE}":0,"😀":0}`);
  });

  it('treats undefined as absent, like a Go map or JSON.stringify', () => {
    expect(goJsonEncode({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
    expect(goJsonEncode(undefined)).toBe('null');
  });

  it('writes bigints exactly (Go keeps int64 exact; JSON.parse does not)', () => {
    expect(goJsonEncode(9007199254740993n)).toBe('9007199254740993');
    expect(goJsonEncode(-0)).toBe('0');
  });

  it('rejects what Go cannot encode', () => {
    expect(() => goJsonEncode(Number.NaN)).toThrow(TypeError);
    expect(() => goJsonEncode(Infinity)).toThrow(TypeError);
    expect(() => goJsonEncode(() => 1)).toThrow(TypeError);
  });
});

describe('goJsonEncodeAs', () => {
  const item: GoType = {
    struct: [
      { name: 'z', type: 'string' },
      { name: 'a', type: 'int', omitempty: true },
      { name: 'flag', type: 'bool' },
      { name: 'ptr', type: { pointer: 'string' }, omitempty: true },
      { name: 'list', type: { slice: 'string' }, omitempty: true },
      { name: 'nilList', type: { slice: 'string' } },
      { name: 'sub', type: { struct: [] }, omitempty: true },
      { name: 'raw', type: 'raw' },
      { name: 'data', type: 'bytes', omitempty: true },
    ],
  };

  it('keeps declaration order, drops unknown fields and writes Go zero values', () => {
    expect(goJsonEncodeAs({ extra: 1, raw: { b: 1, a: '<' }, z: 'x' }, item)).toBe(
      '{"z":"x","flag":false,"nilList":null,"sub":{},"raw":{"a":"\\u003c","b":1}}',
    );
    expect(goJsonEncodeAs(undefined, item)).toBe(
      '{"z":"","flag":false,"nilList":null,"sub":{},"raw":null}',
    );
  });

  it('applies omitempty as Go does: empty slices and strings go, non-nil pointers stay', () => {
    const value = { a: 0, ptr: '', list: [], nilList: [], data: '' };
    expect(goJsonEncodeAs(value, item)).toBe(
      '{"z":"","flag":false,"ptr":"","nilList":[],"sub":{},"raw":null}',
    );
    expect(goJsonEncodeAs({ a: 2, list: ['<'] }, item)).toContain('"a":2,');
    expect(goJsonEncodeAs({ a: 2, list: ['<'] }, item)).toContain('"list":["\\u003c"]');
  });

  it('re-encodes []byte from its base64 and rejects what Go would not decode', () => {
    expect(goJsonEncodeAs('AB==', 'bytes')).toBe('"AA=="');
    expect(goJsonEncodeAs('AAEC\r\nAw==', 'bytes')).toBe('"AAECAw=="');
    expect(() => goJsonEncodeAs('AAE', 'bytes')).toThrow(TypeError);
  });

  it('rejects values of the wrong JSON type, as the unstructured converter does', () => {
    expect(() => goJsonEncodeAs(1, 'string')).toThrow(TypeError);
    expect(() => goJsonEncodeAs(1.5, 'int')).toThrow(TypeError);
    expect(() => goJsonEncodeAs('x', { slice: 'string' })).toThrow(TypeError);
    expect(() => goJsonEncodeAs([], item)).toThrow(TypeError);
  });
});
