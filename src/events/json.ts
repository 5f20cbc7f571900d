/** A JSON value as stored in events: what `JSON.parse` can give back, and nothing else. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Why `value` is not plain JSON (a path and a reason), or undefined when it is.
 * Rejects what `JSON.stringify` would silently change: undefined, NaN/Infinity, bigint, functions,
 * symbols, class instances (Date, Map, Buffer…) and cycles.
 */
export function whyNotJson(value: unknown, path = '$', seen = new Set<object>()): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case 'object':
      return whyNotJsonObject(value, path, seen);
    default:
      return `${path} is a ${typeof value}, which JSON cannot hold`;
  }
}

function whyNotJsonObject(value: object, path: string, seen: Set<object>): string | undefined {
  if (seen.has(value)) return `${path} is a cycle`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const reason = whyNotJson(value[i], `${path}[${i}]`, seen);
        if (reason) return reason;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${value.constructor?.name ?? 'non-plain object'}, not a plain JSON object`;
    }
    for (const [key, child] of Object.entries(value)) {
      const reason = whyNotJson(child, `${path}.${key}`, seen);
      if (reason) return reason;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
