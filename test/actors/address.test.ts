import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AddressParts,
  type AddressTarget,
  formatAddress,
  MAX_ADDRESS_LENGTH,
  matchesAddress,
  parseAddress,
  toParsedAddressJson,
} from '../../src/actors/address.js';
import { DomainError } from '../../src/actors/domain-error.js';

const ANY: AddressParts = { agent: null, role: null, project: null, task: null, path: null };

function partsOf(raw: string): AddressParts {
  const { agent, role, project, task, path } = parseAddress(raw);
  return { agent, role, project, task, path };
}

function parseError(raw: string): DomainError {
  try {
    parseAddress(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('INVALID_ADDRESS');
    return error as DomainError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

function matches(pattern: string, target: AddressTarget): boolean {
  return matchesAddress(parseAddress(pattern), target);
}

describe('seed examples', () => {
  it('parses the bzzz_lookup example into exactly the seed parsed_address', () => {
    const json = toParsedAddressJson(parseAddress('bzzz://*:architect@myproject:api_design'));
    // Copied from the seed's bzzz_lookup response.
    expect(json).toStrictEqual({
      agent: null,
      role: 'architect',
      project: 'myproject',
      task: 'api_design',
      path: null,
      raw: 'bzzz://*:architect@myproject:api_design',
    });
    expect(Object.keys(json)).toEqual(['agent', 'role', 'project', 'task', 'path', 'raw']);
  });

  it.each([
    // bzzz_get
    [
      'bzzz://architect-001:architect@myproject:api_design',
      { agent: 'architect-001', role: 'architect', project: 'myproject', task: 'api_design', path: null },
    ],
    // bzzz_post
    [
      'bzzz://reviewer-001:reviewer@myproject:code_review',
      { agent: 'reviewer-001', role: 'reviewer', project: 'myproject', task: 'code_review', path: null },
    ],
    // bzzz_subscribe filter_address: the task is left out
    ['bzzz://*:architect@*', { ...ANY, role: 'architect' }],
    // the format line itself (API reference and implementation summary) is a valid address
    [
      'bzzz://agent:role@project:task/path',
      { agent: 'agent', role: 'role', project: 'project', task: 'task', path: 'path' },
    ],
  ])('parses %s, which is already canonical', (raw, parts) => {
    expect(partsOf(raw)).toEqual(parts);
    expect(parseAddress(raw).raw).toBe(raw);
    expect(formatAddress(parseAddress(raw))).toBe(raw);
  });

  it('matches the seed agents as the seed filters would', () => {
    const architect = { agent: 'architect-001', role: 'architect', project: 'myproject', task: 'api_design' };
    const reviewer = { agent: 'reviewer-001', role: 'reviewer', project: 'myproject', task: 'code_review' };
    expect(matches('bzzz://*:architect@*', architect)).toBe(true);
    expect(matches('bzzz://*:architect@*', reviewer)).toBe(false);
    expect(matches('bzzz://*:architect@myproject:api_design', architect)).toBe(true);
    expect(matches('bzzz://*:architect@myproject:api_design', { ...architect, task: 'other' })).toBe(false);
    expect(matches('bzzz://reviewer-001:reviewer@myproject:code_review', reviewer)).toBe(true);
    expect(matches('bzzz://reviewer-001:reviewer@myproject:code_review', architect)).toBe(false);
  });
});

describe('short forms and canonical spelling', () => {
  it.each([
    ['bzzz://agent-1', { ...ANY, agent: 'agent-1' }, 'bzzz://agent-1:*@*'],
    ['bzzz://*:reviewer', { ...ANY, role: 'reviewer' }, 'bzzz://*:reviewer@*'],
    [
      'bzzz://agent-1@myproject',
      { ...ANY, agent: 'agent-1', project: 'myproject' },
      'bzzz://agent-1:*@myproject',
    ],
    ['bzzz://*', ANY, 'bzzz://*:*@*'],
    ['bzzz://*:*@*:*', ANY, 'bzzz://*:*@*'],
    ['bzzz://*:*@p:*', { ...ANY, project: 'p' }, 'bzzz://*:*@p'],
    ['BZZZ://a:b@p:t', { agent: 'a', role: 'b', project: 'p', task: 't', path: null }, 'bzzz://a:b@p:t'],
    [
      'bzzz://agent-1/notes/today',
      { ...ANY, agent: 'agent-1', path: 'notes/today' },
      'bzzz://agent-1:*@*/notes/today',
    ],
    [
      'bzzz://*:*@myproject/docs/**',
      { ...ANY, project: 'myproject', path: 'docs/**' },
      'bzzz://*:*@myproject/docs/**',
    ],
    [
      'bzzz://arch*:*-lead@my.project:v1_2',
      { ...ANY, agent: 'arch*', role: '*-lead', project: 'my.project', task: 'v1_2' },
      'bzzz://arch*:*-lead@my.project:v1_2',
    ],
  ])('accepts %s', (raw, parts, canonical) => {
    expect(partsOf(raw)).toEqual(parts);
    expect(formatAddress(parseAddress(raw))).toBe(canonical);
  });

  it('accepts exactly 512 characters', () => {
    const raw = `bzzz://${'a'.repeat(MAX_ADDRESS_LENGTH - 'bzzz://'.length)}`;
    expect(parseAddress(raw).agent).toHaveLength(505);
  });

  it('formats a "*" part like null and refuses parts that would not parse back', () => {
    expect(formatAddress({ agent: '*', role: 'architect', project: '*', task: '*', path: null })).toBe(
      'bzzz://*:architect@*',
    );
    expect(() => formatAddress({ ...ANY, project: 'p:t' })).toThrow(
      'cannot format address: project "p:t" may only contain',
    );
    expect(() => formatAddress({ ...ANY, role: '' })).toThrow('cannot format address: role is empty');
    expect(() => formatAddress({ ...ANY, path: '/docs' })).toThrow('path "/docs" has an empty segment');
  });

  it('returns only the parsed_address keys, whatever the object carries', () => {
    const address = { ...parseAddress('bzzz://a:b@p'), extra: 1 };
    expect(toParsedAddressJson(address)).toStrictEqual({
      agent: 'a',
      role: 'b',
      project: 'p',
      task: null,
      path: null,
      raw: 'bzzz://a:b@p',
    });
  });
});

describe('malformed addresses', () => {
  it('names the bad part in the message', () => {
    expect(parseError('bzzz://a b:x@p:t').message).toBe(
      `invalid address "bzzz://a b:x@p:t": agent "a b" may only contain ASCII letters, digits, '.', '_', '-' and '*' wildcards`,
    );
  });

  it.each([
    ['architect-001:architect@myproject', 'missing "bzzz://" scheme'],
    ['', 'missing "bzzz://" scheme'],
    ['bzzz:/a:b@p', 'missing "bzzz://" scheme'],
    [' bzzz://a:b@p', 'missing "bzzz://" scheme'],
    ['http://a:b@p:t', 'unsupported scheme "http://" (expected "bzzz://")'],
    ['bzzz://', 'agent is empty'],
    ['bzzz://:architect@p', 'agent is empty'],
    ['bzzz://@p', 'agent is empty'],
    ['bzzz://a:@p', 'role is empty'],
    ['bzzz://a:b@', 'project is empty'],
    ['bzzz://a:b@:t', 'project is empty'],
    ['bzzz://a:b@p:', 'task is empty'],
    ['bzzz://a:b@p:t x', 'task "t x" may only contain'],
    ['bzzz://a:b@p:t ', 'task "t " may only contain'],
    ['bzzz://a:rôle@p', 'role "rôle" may only contain'],
    ['bzzz://a\n:b@p', 'agent "a\\n" may only contain'],
    ['bzzz://a%20b', 'agent "a%20b" may only contain'],
    ['bzzz://a**:b', 'agent "a**" may not contain "**"'],
    ['bzzz://a:b:c@p:t', 'too many ":" before "@"'],
    ['bzzz://a:b@p:t:u', 'too many ":" after "@"'],
    ['bzzz://a:b@p@q', 'too many "@"'],
    ['bzzz://a:b@p:t?x=1', 'unexpected "?": queries and fragments are not supported'],
    ['bzzz://a:b@p:t#frag', 'unexpected "#"'],
    ['bzzz://a:b@p:t/', 'path is empty'],
    ['bzzz://a:b@p:t/docs//x', 'path "docs//x" has an empty segment'],
    ['bzzz://a:b@p:t/docs/', 'path "docs/" has an empty segment'],
    ['bzzz://a:b@p:t/../etc', 'path segment ".." is not allowed'],
    ['bzzz://a:b@p:t/./x', 'path segment "." is not allowed'],
    ['bzzz://a:b@p:t/do cs', 'path segment "do cs" may only contain'],
    ['bzzz://a:b@p:t/a:b', 'path segment "a:b" may only contain'],
    ['bzzz://a:b@p:t/a**', 'path segment "a**" may use "**" only as a whole segment'],
  ])('rejects %j: %s', (raw, part) => {
    const error = parseError(raw);
    expect(error.message).toContain(part);
    expect(error.message).toContain(`invalid address ${JSON.stringify(raw)}`);
  });

  it('reports the leftmost bad part', () => {
    expect(parseError('bzzz://a b:c d@e f').message).toContain('agent "a b"');
  });

  it('rejects an over-long address without echoing all of it', () => {
    const raw = `bzzz://${'a'.repeat(600)}`;
    const error = parseError(raw);
    expect(error.message).toContain('longer than 512 characters (607)');
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('matching', () => {
  it.each([
    ['bzzz://arch*', 'architect-001', true],
    ['bzzz://arch*', 'xarchitect', false],
    ['bzzz://*-001', 'architect-001', true],
    ['bzzz://*-001', 'architect-0011', false],
    ['bzzz://*tect*', 'architect-001', true],
    ['bzzz://a*-*1', 'architect-001', true],
    ['bzzz://architect-001', 'architect-001', true],
    ['bzzz://architect-001', 'architect-0012', false],
    ['bzzz://Architect-001', 'architect-001', false],
  ])('%s against agent %s: %s', (pattern, agent, expected) => {
    expect(matches(pattern, { agent })).toBe(expected);
  });

  it('does not match a set part against a missing or null value', () => {
    expect(matches('bzzz://*:architect', {})).toBe(false);
    expect(matches('bzzz://*:architect', { role: null })).toBe(false);
    expect(matches('bzzz://*:arch*', {})).toBe(false);
    expect(matches('bzzz://*:architect', { role: 'architect' })).toBe(true);
  });

  it.each([
    ['docs/*', 'docs/api.md', true],
    ['docs/*', 'docs/a/b', false],
    ['docs/*', 'docs', false],
    ['docs/**', 'docs', true],
    ['docs/**', 'docs/a/b', true],
    ['docs/**', 'doc', false],
    ['docs/**', 'other/docs', false],
    ['**/api.md', 'api.md', true],
    ['**/api.md', 'x/y/api.md', true],
    ['**/api.md', 'x/api.md/y', false],
    ['*.md', 'readme.md', true],
    ['*.md', 'a/readme.md', false],
    ['docs/api.md', '/docs/api.md', true],
    ['docs', undefined, false],
    ['**', undefined, true],
  ])('path %s against %s: %s', (path, target, expected) => {
    expect(matches(`bzzz://*/${path}`, { path: target })).toBe(expected);
  });

  it('matches any path when the pattern has none', () => {
    expect(matches('bzzz://*', { path: 'a/b' })).toBe(true);
    expect(matches('bzzz://*', {})).toBe(true);
  });
});

describe('properties', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/);
  const glob = fc
    .tuple(fc.boolean(), fc.array(word, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([lead, words, trail]) => `${lead ? '*' : ''}${words.join('*')}${trail ? '*' : ''}`);
  const part = fc.option(fc.oneof(word, glob), { nil: null });
  const segment = fc.oneof(fc.constant('**'), word, glob).filter((s) => s !== '.' && s !== '..');
  const path = fc.option(
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
    { nil: null },
  );
  const address: fc.Arbitrary<AddressParts> = fc.record({
    agent: part,
    role: part,
    project: part,
    task: part,
    path,
  });

  /** Any accepted spelling of `a`: scheme case, `*` written or left out where the grammar allows. */
  const spelling = address.chain((a) =>
    fc
      .record({
        scheme: fc.constantFrom('bzzz://', 'BZZZ://', 'Bzzz://'),
        role: fc.constantFrom('', ':*'),
        where: fc.constantFrom('', '@*', '@*:*'),
        task: fc.constantFrom('', ':*'),
      })
      .map((c) => {
        const who = `${a.agent ?? '*'}${a.role === null ? c.role : `:${a.role}`}`;
        const where =
          a.project === null && a.task === null
            ? c.where
            : `@${a.project ?? '*'}${a.task === null ? c.task : `:${a.task}`}`;
        return { parts: a, raw: `${c.scheme}${who}${where}${a.path === null ? '' : `/${a.path}`}` };
      }),
  );

  it('round-trips: parse(format(a)) is a', () => {
    fc.assert(
      fc.property(address, (a) => {
        const text = formatAddress(a);
        expect(text.length).toBeLessThanOrEqual(MAX_ADDRESS_LENGTH);
        expect(partsOf(text)).toEqual(a);
        expect(parseAddress(text).raw).toBe(text);
      }),
    );
  });

  it('gives every spelling of an address the same canonical form', () => {
    fc.assert(
      fc.property(spelling, ({ parts, raw }) => {
        expect(partsOf(raw)).toEqual(parts);
        expect(formatAddress(parseAddress(raw))).toBe(formatAddress(parts));
      }),
    );
  });

  it('format∘parse is idempotent, and anything else is an INVALID_ADDRESS DomainError', () => {
    const noise = fc.oneof(
      fc.string(),
      spelling.map((s) => s.raw),
      fc.stringMatching(/^[ab*:@/.?\- ]{0,16}$/).map((s) => `bzzz://${s}`),
    );
    fc.assert(
      fc.property(noise, (raw) => {
        let canonical: string;
        try {
          canonical = formatAddress(parseAddress(raw));
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe('INVALID_ADDRESS');
          return;
        }
        expect(formatAddress(parseAddress(canonical))).toBe(canonical);
        expect(partsOf(canonical)).toEqual(partsOf(raw));
      }),
      { numRuns: 500 },
    );
  });

  const concreteSegment = word.filter((s) => s !== '.' && s !== '..');
  const concrete = fc.record(
    {
      agent: word,
      role: word,
      project: word,
      task: word,
      path: fc.array(concreteSegment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
    },
    { requiredKeys: [] },
  );
  const patternOf = (t: AddressTarget): AddressParts => ({
    agent: t.agent ?? null,
    role: t.role ?? null,
    project: t.project ?? null,
    task: t.task ?? null,
    path: t.path ?? null,
  });

  it('matches a target with the pattern formatted from it, and not after changing one part', () => {
    const key = fc.constantFrom('agent', 'role', 'project', 'task', 'path' as const);
    fc.assert(
      fc.property(concrete, key, word, (target, changed, other) => {
        const pattern = parseAddress(formatAddress(patternOf(target)));
        expect(matchesAddress(pattern, target)).toBe(true);
        const value = target[changed];
        if (value !== undefined && value !== other) {
          expect(matchesAddress(pattern, { ...target, [changed]: other })).toBe(false);
        }
      }),
    );
  });

  it('the all-wildcard pattern matches everything', () => {
    const anything = fc.record(
      {
        agent: fc.option(fc.string()),
        role: fc.option(fc.string()),
        project: fc.option(fc.string()),
        task: fc.option(fc.string()),
        path: fc.option(fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(anything, fc.constantFrom('bzzz://*', 'bzzz://*:*@*:*'), (target, pattern) => {
        expect(matches(pattern, target)).toBe(true);
      }),
    );
  });

  it('globs match by prefix, suffix and infix', () => {
    fc.assert(
      fc.property(word, word, word, (x, y, z) => {
        expect(matchesAddress({ ...ANY, role: `${x}*` }, { role: `${x}${y}` })).toBe(true);
        expect(matchesAddress({ ...ANY, role: `*${y}` }, { role: `${x}${y}` })).toBe(true);
        expect(matchesAddress({ ...ANY, role: `${x}*${y}` }, { role: `${x}${z}${y}` })).toBe(true);
        expect(matchesAddress({ ...ANY, role: `*${z}*` }, { role: `${x}${z}${y}` })).toBe(true);
      }),
    );
  });

  it('part globs agree with a regular-expression oracle', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*]{1,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (pattern, value) => {
        const oracle = new RegExp(`^${pattern.replaceAll('*', '.*')}$`).test(value);
        expect(matchesAddress({ ...ANY, task: pattern }, { task: value })).toBe(oracle);
      }),
    );
  });

  it('path globs agree with a naive recursive oracle', () => {
    const oracle = (p: readonly string[], t: readonly string[]): boolean => {
      const [head, ...rest] = p;
      if (head === undefined) return t.length === 0;
      if (head === '**') return oracle(rest, t) || (t.length > 0 && oracle(p, t.slice(1)));
      const [first, ...others] = t;
      return (
        first !== undefined &&
        new RegExp(`^${head.replaceAll('*', '.*')}$`).test(first) &&
        oracle(rest, others)
      );
    };
    const patternSegment = fc.constantFrom('a', 'b', '*', 'a*', '*b', '**');
    const targetSegment = fc.constantFrom('a', 'b', 'ab', 'ba');
    fc.assert(
      fc.property(
        fc.array(patternSegment, { minLength: 1, maxLength: 5 }),
        fc.array(targetSegment, { maxLength: 6 }),
        (pattern, target) => {
          const expected = oracle(pattern, target);
          expect(matchesAddress({ ...ANY, path: pattern.join('/') }, { path: target.join('/') })).toBe(
            expected,
          );
        },
      ),
    );
  });
});
