import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvField, renderCsv, renderTable } from '../../src/cli/format-table.js';
import { runReport } from '../../src/cli/report-command.js';
import { createCostSchema } from '../../src/projections/cost/cost-schema.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';

/** Facts written straight into the view: the report only reads it. */
function insertFact(
  db: Database.Database,
  position: number,
  at: string,
  fact: {
    agent: string;
    model: string | null;
    thread?: string;
    prompt: number;
    completion: number;
    cost: number | null;
  },
): void {
  db.prepare(
    `INSERT INTO cost_facts (position, at, day, month, agent_id, model, thread_id, task_id, task_type, source,
       prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_usd, cost_known)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'task', ?, 0, ?, 0, ?, ?)`,
  ).run(
    position,
    at,
    at.slice(0, 10),
    at.slice(0, 7),
    fact.agent,
    fact.model,
    fact.thread ?? null,
    fact.prompt,
    fact.completion,
    fact.cost,
    fact.cost === null ? 0 : 1,
  );
}

describe('bzzz report cost', () => {
  let db: Database.Database;
  let out: string[];
  let err: string[];
  const run = (...args: string[]) =>
    runReport(args, { db, out: (line) => out.push(line), err: (line) => err.push(line) });

  beforeEach(() => {
    db = openReadModelDatabase(':memory:');
    createCostSchema(db);
    insertFact(db, 1, '2026-06-01T10:00:00.000Z', {
      agent: 'a1',
      model: 'gpt-5',
      thread: 't,1',
      prompt: 12000,
      completion: 3000,
      cost: 1.5,
    });
    insertFact(db, 2, '2026-06-01T11:00:00.000Z', {
      agent: 'a2',
      model: 'gpt-4o-mini',
      prompt: 800,
      completion: 200,
      cost: 0.01,
    });
    insertFact(db, 3, '2026-06-02T00:00:00.000Z', {
      agent: 'a1',
      model: 'gpt-5',
      prompt: 100,
      completion: 50,
      cost: null,
    });
    insertFact(db, 4, '2026-06-03T09:00:00.000Z', {
      agent: 'a2',
      model: null,
      prompt: 10,
      completion: 0,
      cost: null,
    });
    out = [];
    err = [];
  });
  afterEach(() => db.close());

  it('prints an aligned table by model with a total line by default', () => {
    expect(run('cost')).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      'MODEL        CALLS  PROMPT  CACHED  COMPLETION  TOTAL TOKENS  COST (USD)  UNKNOWN COST',
      '-----------  -----  ------  ------  ----------  ------------  ----------  ------------',
      'gpt-5            2  12,100       0       3,050        15,150    1.500000             1',
      'gpt-4o-mini      1     800       0         200         1,000    0.010000             0',
      '(none)           1      10       0           0            10     unknown             1',
      '-----------  -----  ------  ------  ----------  ------------  ----------  ------------',
      'TOTAL            4  12,910       0       3,250        16,160    1.510000             2',
    ]);
  });

  it('groups by day within a range, in csv with a header', () => {
    expect(run('cost', '--by', 'day', '--since', '2026-06-01', '--until=2026-06-02', '--format', 'csv')).toBe(
      0,
    );
    expect(out).toEqual([
      'day,calls,prompt_tokens,cached_tokens,completion_tokens,total_tokens,cost_usd,unknown_cost_calls',
      '2026-06-01,2,12800,0,3200,16000,1.51,0',
      '2026-06-02,1,100,0,50,150,,1',
    ]);
  });

  it('quotes csv fields and writes json arrays', () => {
    expect(run('cost', '--by', 'thread', '--format', 'csv', '--agent', 'a1')).toBe(0);
    expect(out).toEqual([
      'thread,calls,prompt_tokens,cached_tokens,completion_tokens,total_tokens,cost_usd,unknown_cost_calls',
      '"t,1",1,12000,0,3000,15000,1.5,0',
      ',1,100,0,50,150,,1',
    ]);
    out = [];
    expect(run('cost', '--by', 'agent', '--format', 'json', '--until', '2026-06-01T10:30:00Z')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual([
      {
        key: 'a1',
        calls: 1,
        prompt_tokens: 12000,
        cached_tokens: 0,
        completion_tokens: 3000,
        total_tokens: 15000,
        cost_usd: 1.5,
        unknown_cost_calls: 0,
      },
    ]);
    out = [];
    expect(run('cost', '--by', 'month', '--since', '2027-01-01', '--format', 'json')).toBe(0);
    expect(out).toEqual(['[]']);
    out = [];
    expect(run('cost', '--since', '2027-01-01')).toBe(0);
    expect(out).toEqual(['no usage recorded for this selection']);
  });

  it.each([
    [
      ['cost', '--by', 'foo'],
      'bzzz report: --by "foo" is not accepted; use one of: model, agent, day, month, thread, task',
    ],
    [
      ['cost', '--format', 'xml'],
      'bzzz report: --format "xml" is not accepted; use one of: table, json, csv',
    ],
    [
      ['cost', '--since', '2026-02-30'],
      'bzzz report: --since "2026-02-30" is not an ISO date (YYYY-MM-DD) or date-time with a zone (YYYY-MM-DDTHH:MM[:SS]Z)',
    ],
    [
      ['cost', '--until', '2026-06-01T10:00'],
      'bzzz report: --until "2026-06-01T10:00" is not an ISO date (YYYY-MM-DD) or date-time with a zone (YYYY-MM-DDTHH:MM[:SS]Z)',
    ],
    [
      ['cost', '--since', '2026-06-03', '--until', '2026-06-02'],
      'bzzz report: --since "2026-06-03" is after --until "2026-06-02"',
    ],
    [['cost', '--by'], 'bzzz report: --by needs a value'],
    [['cost', '--by', '--format', 'csv'], 'bzzz report: --by needs a value'],
    [['cost', '--by', 'day', '--by', 'model'], 'bzzz report: --by is given twice'],
    [
      ['cost', '--colour', 'red'],
      'bzzz report: unknown option "--colour"; accepted: --by, --since, --until, --format, --agent, --model, --thread',
    ],
    [['cost', 'extra'], 'bzzz report: unexpected argument "extra"'],
    [['tokens'], 'bzzz report: unknown report "tokens"; accepted: cost'],
    [[], 'bzzz report: name a report; accepted: cost (bzzz report --help shows the options)'],
  ])('refuses %j with one line and code 2', (args, message) => {
    expect(run(...args)).toBe(2);
    expect(err).toEqual([message]);
    expect(out).toEqual([]);
  });

  it('prints its usage on --help, and says when the view is missing', () => {
    expect(run('cost', '--help')).toBe(0);
    expect(out[0]).toMatch(/^usage: bzzz report cost/);
    const empty = openReadModelDatabase(':memory:');
    err = [];
    expect(
      runReport(['cost'], { db: empty, out: (line) => out.push(line), err: (line) => err.push(line) }),
    ).toBe(1);
    expect(err).toEqual([expect.stringMatching(/no cost view/)]);
    empty.close();
  });
});

describe('format-table', () => {
  it('aligns columns, right-aligns numbers and trims trailing spaces', () => {
    expect(
      renderTable(
        [{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
        [
          ['alpha', '1', ''],
          ['b', '1,000', 'x'],
        ],
        [['TOTAL', '1,001']],
      ),
    ).toEqual([
      'NAME       N  NOTE',
      '-----  -----  ----',
      'alpha      1',
      'b      1,000  x',
      '-----  -----  ----',
      'TOTAL  1,001',
    ]);
  });

  it('quotes csv fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(null)).toBe('');
    expect(renderCsv(['a', 'b'], [[1, null]])).toEqual(['a,b', '1,']);
  });
});
