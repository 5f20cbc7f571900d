import { parseTimeBound } from '../projections/cost/cost-queries.js';
import { badParameter } from './responses.js';

/**
 * Query parameters, parsed and checked against a spec: every parameter a route accepts, each with its
 * parser. Unknown, repeated or empty parameters and bad values are 400 INVALID_PARAMETERS naming the
 * parameter and saying what is accepted.
 *
 *   const q = parseQuery(ctx.query, { status: oneOf(STATUSES), limit: limit(), cursor: cursor() });
 */
export type Parser<T> = (value: string | undefined, name: string) => T;

export type QuerySpec = Record<string, Parser<unknown>>;

export type ParsedQuery<S extends QuerySpec> = { [K in keyof S]: ReturnType<S[K]> };

export function parseQuery<S extends QuerySpec>(query: URLSearchParams, spec: S): ParsedQuery<S> {
  const accepted = Object.keys(spec);
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (!Object.hasOwn(spec, name)) {
      throw badParameter(
        name,
        `is not a parameter of this endpoint; accepted: ${accepted.length > 0 ? accepted.join(', ') : 'none'}`,
      );
    }
    if (seen.has(name)) throw badParameter(name, 'is given more than once');
    seen.add(name);
  }
  const parsed: Record<string, unknown> = {};
  for (const [name, parser] of Object.entries(spec)) {
    const value = query.get(name) ?? undefined;
    if (value === '') throw badParameter(name, 'is empty; leave it out or give a value');
    parsed[name] = parser(value, name);
  }
  return parsed as ParsedQuery<S>;
}

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

/** A page size, 1..500 (default 50). */
export function limit(fallback = DEFAULT_LIMIT, max = MAX_LIMIT): Parser<number> {
  return (value, name) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^\d{1,6}$/.test(value) || parsed < 1 || parsed > max) {
      throw badParameter(name, `must be an integer from 1 to ${max}`, value);
    }
    return parsed;
  };
}

const CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;

/** An opaque cursor from a previous page's `next_cursor` (base64url); the query decides what it means. */
export function cursor(): Parser<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (!CURSOR.test(value))
      throw badParameter(name, "is not a cursor from a previous page's next_cursor", value);
    return value;
  };
}

/** Free text (an id, a role, a project), at most `maxLength` characters. */
export function text(maxLength = 256): Parser<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (value.length > maxLength) throw badParameter(name, `must be at most ${maxLength} characters`);
    return value;
  };
}

/** One of a fixed set of values. */
export function oneOf<T extends string>(values: readonly T[]): Parser<T | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      throw badParameter(name, `must be one of ${values.join(', ')}`, value);
    }
    return value as T;
  };
}

/** `true` or `false` (also `1`, `0`). */
export function boolean(): Parser<boolean | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw badParameter(name, 'must be true or false', value);
  };
}

function isCalendarDay(value: string): boolean {
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** A UTC day, YYYY-MM-DD, that exists in the calendar. */
export function day(): Parser<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDay(value)) {
      throw badParameter(name, 'must be a UTC day YYYY-MM-DD', value);
    }
    return value;
  };
}

/** A UTC month, YYYY-MM. */
export function month(): Parser<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    if (!/^\d{4}-\d{2}$/.test(value) || !isCalendarDay(`${value}-01`)) {
      throw badParameter(name, 'must be a UTC month YYYY-MM', value);
    }
    return value;
  };
}

/** An ISO date (a whole UTC day) or an ISO date-time with a zone, as the cost queries take them. */
export function timeBound(): Parser<string | undefined> {
  return (value, name) => {
    if (value === undefined) return undefined;
    try {
      parseTimeBound(value, name);
    } catch {
      throw badParameter(
        name,
        'must be an ISO date (YYYY-MM-DD) or a date-time with a zone (YYYY-MM-DDTHH:MM[:SS]Z)',
        value,
      );
    }
    return value;
  };
}
