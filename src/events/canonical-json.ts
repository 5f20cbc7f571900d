import type { JsonValue } from './json.js';

/**
 * Canonical JSON text (RFC 8785, JSON Canonicalization Scheme): object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does.
 * The same value always gives the same text, so hashes over it are stable across nodes and stores.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const child = value[key];
    if (child !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(child)}`);
  }
  return `{${members.join(',')}}`;
}
