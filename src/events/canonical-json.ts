import type { JsonValue } from './json.js';

/**
 * Canonical JSON text (RFC 8785, JSON Canonicalization Scheme): object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does.
 * The same value always gives the same text, so hashes over it are stable across nodes and stores.
 */
export function canonicalJson(value: JsonValue): string {
  return write(value, false, 0);
}

/**
 * The canonical text of a value that must be plain JSON (what `whyNotJson` accepts), in one pass; or
 * undefined when it is not (or nests deeper than MAX_DEPTH), and then `whyNotJson` says why.
 */
export function strictCanonicalJson(value: unknown): string | undefined {
  try {
    return write(value, true, 0);
  } catch (error) {
    if (error === NOT_JSON) return undefined;
    throw error;
  }
}

const NOT_JSON = Symbol('not plain JSON');
/** Deeper than this, the strict pass gives up (a cycle also ends here) and the caller checks slowly. */
const MAX_DEPTH = 256;

function write(value: unknown, strict: boolean, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (strict && !Number.isFinite(value)) throw NOT_JSON;
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (strict && depth >= MAX_DEPTH) throw NOT_JSON;
      return Array.isArray(value) ? writeArray(value, strict, depth) : writeObject(value, strict, depth);
    default:
      if (strict) throw NOT_JSON;
      return JSON.stringify(value);
  }
}

function writeArray(value: readonly unknown[], strict: boolean, depth: number): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += write(value[i], strict, depth + 1);
  }
  return `${out}]`;
}

function writeObject(value: object, strict: boolean, depth: number): string {
  if (strict) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
  }
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as RFC 8785 asks.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const child = record[key];
    if (child === undefined) {
      if (strict) throw NOT_JSON;
      continue;
    }
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${write(child, strict, depth + 1)}`;
  }
  return `${out}}`;
}
