import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, strictCanonicalJson } from '../../src/events/canonical-json.js';
import { type JsonValue, whyNotJson } from '../../src/events/json.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    // RFC 8785 section 3.2.3 sorting example, reduced: "\u20ac" sorts after "\r" and "1", before "\ud83d\ude00".
    const value = { '\u20ac': 'Euro', '\r': 'CR', '1': 'One', '\ud83d\ude00': 'Smiley', '\u00f6': 'o' };
    expect(canonicalJson(value)).toBe('{"\\r":"CR","1":"One","ö":"o","€":"Euro","😀":"Smiley"}');
  });

  it('serialises numbers as ECMAScript does (RFC 8785 section 3.2.2.3)', () => {
    expect(canonicalJson([1e21, 1e-7, 0.1, -0, 333333333.3333333, 1.0])).toBe(
      '[1e+21,1e-7,0.1,0,333333333.3333333,1]',
    );
  });

  it('gives the same text for the same value whatever the key order, and parses back to it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = value as JsonValue;
        const text = canonicalJson(json);
        const reordered = JSON.parse(JSON.stringify(json), (_, v) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        );
        expect(canonicalJson(reordered)).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('strict pass: the same text for plain JSON, nothing for what whyNotJson refuses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(strictCanonicalJson(value)).toBe(canonicalJson(value as JsonValue));
      }),
    );
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const refused = [
      NaN,
      Infinity,
      undefined,
      1n,
      () => 1,
      new Date(0),
      { a: undefined },
      [1, undefined],
      cycle,
    ];
    for (const value of refused) {
      expect(strictCanonicalJson({ nested: [value] })).toBeUndefined();
      expect(whyNotJson({ nested: [value] })).toBeDefined();
    }
    expect(strictCanonicalJson(Object.assign(Object.create(null), { b: 1, a: [true, null] }))).toBe(
      '{"a":[true,null],"b":1}',
    );
  });
});
