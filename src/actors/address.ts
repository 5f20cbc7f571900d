import { DomainError, DomainErrorCode } from './domain-error.js';

/**
 * Semantic addresses, `bzzz://agent:role@project:task/path` (seed: API reference, `bzzz_lookup`).
 *
 * Grammar (ASCII; case-sensitive except the scheme):
 *
 *   address = scheme who [ "@" where ] [ "/" path ]
 *   scheme  = "bzzz://"                  (any letter case; formatted lower-case)
 *   who     = agent [ ":" role ]
 *   where   = project [ ":" task ]
 *   agent   = role = project = task = part
 *   part    = 1*( ALPHA | DIGIT | "." | "_" | "-" | "*" )    (not containing "**")
 *   path    = segment *( "/" segment )
 *   segment = "**" | part                                    (not "." or "..")
 *
 * Decisions:
 * - A part that is `*` or left out means "any" and parses to null (the seed's `parsed_address`).
 *   The seed omits the task in `bzzz://*:architect@*`; we generalise that: `:role`, `:task` and the
 *   whole `@project:task` may be left out, so `bzzz://agent-1` (that agent, anywhere),
 *   `bzzz://*:reviewer` (any reviewer) and `bzzz://agent-1@myproject` are accepted. The agent is
 *   never left out (`bzzz://` is rejected; "everything" is `bzzz://*`), nor is any part empty.
 * - `*` inside a part is a glob for any run of characters (`arch*`, `*-001`, `a*b`), as users of
 *   "addresses with `*` wildcards" expect. `**` is rejected in a part: it would mean the same as `*`,
 *   and one spelling per meaning keeps the canonical form unique.
 * - The path is kept without its leading `/` (`docs/api.md`). In a path, `*` stays within a segment
 *   and a whole `**` segment matches zero or more segments (`docs/**`: anything under docs).
 *   Empty, `.` and `..` segments are rejected: no trailing `/`, nothing that looks like traversal.
 * - Matching is case-sensitive: ids are opaque and the seed's roles are lower-case.
 * - No percent-decoding, query or fragment (`?` and `#` are rejected); at most 512 characters.
 * - Canonical form: `bzzz://agent:role@project`, then `:task` only when the task is set, then
 *   `/path`. Every seed example is already canonical (`bzzz://*:architect@*`). The form is
 *   syntactic: `/**` is not folded into "no path" although both match the same targets.
 */

export const MAX_ADDRESS_LENGTH = 512;

const SCHEME = 'bzzz://';
const PART = /^[A-Za-z0-9._*-]+$/;
const CHARSET = `may only contain ASCII letters, digits, '.', '_', '-' and '*' wildcards`;

/** The parts of an address; null is "any". */
export interface AddressParts {
  readonly agent: string | null;
  readonly role: string | null;
  readonly project: string | null;
  readonly task: string | null;
  /** `/`-separated, without the leading `/` (e.g. `docs/api.md`). */
  readonly path: string | null;
}

export interface SemanticAddress extends AddressParts {
  /** The text as given to `parseAddress`. */
  readonly raw: string;
}

/** The seed's `parsed_address` object, key for key. */
export type ParsedAddressJson = {
  agent: string | null;
  role: string | null;
  project: string | null;
  task: string | null;
  path: string | null;
  raw: string;
};

/** Concrete values an address is matched against (an agent, a resource…); missing is "none". */
export interface AddressTarget {
  agent?: string | null;
  role?: string | null;
  project?: string | null;
  task?: string | null;
  path?: string | null;
}

/** Parses a semantic address; throws DomainError INVALID_ADDRESS naming the offending part. */
export function parseAddress(raw: string): SemanticAddress {
  const fail = (reason: string): never => {
    // An over-long address is cut in the message: errors are echoed back to agents and logs.
    const shown = raw.length > MAX_ADDRESS_LENGTH ? `${raw.slice(0, 64)}…` : raw;
    throw new DomainError(DomainErrorCode.InvalidAddress, `invalid address ${quote(shown)}: ${reason}`, {
      address: shown,
      reason,
    });
  };

  if (raw.length > MAX_ADDRESS_LENGTH) fail(`longer than ${MAX_ADDRESS_LENGTH} characters (${raw.length})`);
  if (raw.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    const other = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw)?.[1];
    fail(other ? `unsupported scheme "${other}://" (expected "bzzz://")` : 'missing "bzzz://" scheme');
  }
  const body = raw.slice(SCHEME.length);
  const extra = /[?#]/.exec(body)?.[0];
  if (extra) fail(`unexpected ${quote(extra)}: queries and fragments are not supported`);

  const slash = body.indexOf('/');
  const [who = '', where, ...moreAt] = (slash < 0 ? body : body.slice(0, slash)).split('@');
  if (moreAt.length > 0) fail('too many "@" (expected agent:role@project:task)');
  const [agent = '', role, ...moreWho] = who.split(':');
  if (moreWho.length > 0) fail('too many ":" before "@" (expected agent:role)');
  const [project, task, ...moreWhere] = where === undefined ? [] : where.split(':');
  if (moreWhere.length > 0) fail('too many ":" after "@" (expected project:task)');

  const path = slash < 0 ? null : body.slice(slash + 1);
  const problem = addressProblem({ agent, role, project, task }, path);
  if (problem !== undefined) fail(problem);

  return {
    agent: anyToNull(agent),
    role: anyToNull(role),
    project: anyToNull(project),
    task: anyToNull(task),
    path,
    raw,
  };
}

/**
 * The canonical spelling of an address (see the module comment); a `*` part is written like null.
 * Throws DomainError INVALID_ADDRESS when a part could not be parsed back (e.g. `p:t` as project).
 */
export function formatAddress(address: AddressParts): string {
  const { agent, role, project, task, path } = address;
  const problem = addressProblem({ agent, role, project, task }, path);
  if (problem !== undefined) {
    throw new DomainError(DomainErrorCode.InvalidAddress, `cannot format address: ${problem}`);
  }
  const taskText = anyToNull(task) === null ? '' : `:${task}`;
  const pathText = path === null ? '' : `/${path}`;
  return `${SCHEME}${agent ?? '*'}:${role ?? '*'}@${project ?? '*'}${taskText}${pathText}`;
}

/** Exactly the seed's `parsed_address` shape, whatever else the address object carries. */
export function toParsedAddressJson(address: SemanticAddress): ParsedAddressJson {
  const { agent, role, project, task, path, raw } = address;
  return { agent, role, project, task, path, raw };
}

/**
 * Whether `target` is addressed by `pattern`: a null (or `*`) part matches anything, even a
 * missing value; a glob part matches by prefix/suffix/infix; any other part matches exactly.
 * The target path is split on `/` ignoring empty segments, so `/docs/api.md` works too.
 */
export function matchesAddress(pattern: AddressParts, target: AddressTarget): boolean {
  return (
    matchesPart(pattern.agent, target.agent) &&
    matchesPart(pattern.role, target.role) &&
    matchesPart(pattern.project, target.project) &&
    matchesPart(pattern.task, target.task) &&
    matchesPath(pattern.path, target.path)
  );
}

/** Why the parts are not a valid address, or undefined. Left to right, so the first bad part is named. */
function addressProblem(
  parts: Record<'agent' | 'role' | 'project' | 'task', string | null | undefined>,
  path: string | null,
): string | undefined {
  for (const [name, value] of Object.entries(parts)) {
    const problem = value === null || value === undefined ? undefined : partProblem(name, value);
    if (problem !== undefined) return problem;
  }
  return path === null ? undefined : pathProblem(path);
}

/** Why `value` is not a valid address part called `name`, or undefined if it is. */
function partProblem(name: string, value: string): string | undefined {
  if (value === '') return `${name} is empty`;
  if (!PART.test(value)) return `${name} ${quote(value)} ${CHARSET}`;
  if (value.includes('**')) return `${name} ${quote(value)} may not contain "**" (use a single "*")`;
  return undefined;
}

function pathProblem(path: string): string | undefined {
  if (path === '') return 'path is empty (drop the trailing "/")';
  for (const segment of path.split('/')) {
    if (segment === '') return `path ${quote(path)} has an empty segment`;
    if (segment === '.' || segment === '..') return `path segment ${quote(segment)} is not allowed`;
    if (segment === '**') continue;
    if (!PART.test(segment)) return `path segment ${quote(segment)} ${CHARSET}`;
    if (segment.includes('**')) return `path segment ${quote(segment)} may use "**" only as a whole segment`;
  }
  return undefined;
}

function anyToNull(part: string | null | undefined): string | null {
  return part === undefined || part === null || part === '*' ? null : part;
}

/** Quoted with escapes, so control characters stay visible in messages. */
function quote(text: string): string {
  return JSON.stringify(text);
}

function matchesPart(pattern: string | null, value: string | null | undefined): boolean {
  const glob = anyToNull(pattern);
  if (glob === null) return true;
  return value !== undefined && value !== null && matchesGlob(glob, value);
}

function matchesGlob(pattern: string, value: string): boolean {
  return pattern.includes('*')
    ? matchesWildcards([...pattern], [...value], '*', (p, v) => p === v)
    : pattern === value;
}

function matchesPath(pattern: string | null, value: string | null | undefined): boolean {
  if (pattern === null) return true;
  const segments = (value ?? '').split('/').filter((segment) => segment !== '');
  return matchesWildcards(pattern.split('/'), segments, '**', matchesGlob);
}

/**
 * Wildcard matching over units (characters of a part, segments of a path): `star` matches any run
 * of units, every other pattern unit matches one unit by `matches`. Greedy with backtracking to the
 * last star only, which is exact for one-unit matchers and O(pattern × target), never exponential.
 */
function matchesWildcards(
  pattern: readonly string[],
  target: readonly string[],
  star: string,
  matches: (pattern: string, unit: string) => boolean,
): boolean {
  let p = 0;
  let t = 0;
  let lastStar = -1;
  let resumeAt = 0;
  while (t < target.length) {
    const unit = pattern[p];
    if (unit === star) {
      lastStar = p++;
      resumeAt = t;
    } else if (unit !== undefined && matches(unit, target[t]!)) {
      p++;
      t++;
    } else if (lastStar >= 0) {
      // Let the last star swallow one more unit and retry the rest of the pattern from there.
      p = lastStar + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === star) p++;
  return p === pattern.length;
}
