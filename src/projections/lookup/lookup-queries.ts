import type Database from 'better-sqlite3';
import type { AddressParts } from '../../actors/address.js';
import { type LookupCache, lookupCache, rememberAgent, rememberResult } from './lookup-cache.js';
import { type AgentRow, scoreSql } from './lookup-schema.js';

/** The seed's `filter_criteria` of bzzz_lookup. */
export interface LookupCriteria {
  /** Every one of these must be a capability (or the specialization) of the agent. */
  expertise?: readonly string[];
  /** Only agents that can take a task now. */
  availability?: boolean;
  /** Minimum performance, 0..1. */
  performance_threshold?: number;
  /** Include retired agents (default: no). */
  include_retired?: boolean;
}

export interface LookupMatch {
  id: string;
  role: string;
  capabilities: string[];
  specialization: string;
  project: string | null;
  status: string;
  available: boolean;
  performance: number;
  current_tasks: number;
  max_tasks: number;
  node_id: string;
  last_activity: string;
  score: number;
}

/**
 * The ranking score, 0..100: 60 × performance + 25 × available + 15 × free task slots (share of
 * max_tasks not in use). A proven, idle, available agent scores near 100; a new one 55 to 70. The view
 * stores it in column `score`, written with the row from this expression.
 */
export const SCORE_SQL = scoreSql();

export type Parameter = string | number;

/**
 * Agents matching a semantic address (agent, role, project exact or `*` glob; task matches a capability
 * or the specialization) and the seed's filter criteria, best score first. Every filter is pushed into
 * SQL so that the indexes on role, project, availability and capabilities bound the rows read.
 *
 * The query reads only the matches' ids (from the index alone for a role, or a role in a project), and
 * is answered from the lookup cache (lookup-cache.ts) while no agent changed in a way it can see; the
 * agents come from the cache of rows already read, so a lookup turns columns into JavaScript values
 * only for agents it has not read since they changed. The answer is frozen, and while no agent row
 * changes the same query answers the same array: callers share it (and may keep what they derive
 * from it by its identity).
 */
export function lookupAgents(
  db: Database.Database,
  address: AddressParts,
  criteria: LookupCriteria = {},
  limit = 100,
): readonly LookupMatch[] {
  const { sql, parameters } = lookupQuery(address, criteria);
  const cache = lookupCache(db);
  const key = `${limit} ${JSON.stringify(parameters)} ${sql}`;
  const result =
    cache.results.get(key) ??
    rememberResult(
      cache,
      key,
      statementsOf(db)
        .idStatement(sql)
        .all(...parameters, limit),
    );
  if (result.matches === undefined || result.epoch !== cache.epoch) {
    result.matches = Object.freeze(matchesOf(db, cache, result.ids));
    result.epoch = cache.epoch;
  }
  return result.matches;
}

/** The SQL of a lookup and its parameters (the limit comes last); exported so tests can EXPLAIN it. */
export function lookupQuery(
  address: AddressParts,
  criteria: LookupCriteria = {},
): { sql: string; parameters: Parameter[] } {
  const where: string[] = [];
  const parameters: Parameter[] = [];
  const part = (column: string, value: string | null) => {
    if (value === null || value === '*') return;
    where.push(value.includes('*') ? `${column} GLOB ?` : `${column} = ?`);
    parameters.push(value);
  };
  part('id', address.agent);
  part('role', address.role);
  part('project', address.project);
  if (address.task !== null && address.task !== '*') {
    where.push(
      '(specialization GLOB ? OR EXISTS (SELECT 1 FROM lookup_capabilities c WHERE c.agent_id = a.id AND c.capability GLOB ?))',
    );
    parameters.push(address.task, address.task);
  }
  for (const expertise of criteria.expertise ?? []) {
    where.push(
      '(specialization = ? OR EXISTS (SELECT 1 FROM lookup_capabilities c WHERE c.agent_id = a.id AND c.capability = ?))',
    );
    parameters.push(expertise, expertise);
  }
  // `+` keeps SQLite from choosing these nearly-everyone columns' indexes over role or project.
  if (criteria.availability) where.push('+available = 1');
  if (criteria.performance_threshold !== undefined) {
    where.push('+performance >= ?');
    parameters.push(criteria.performance_threshold);
  }
  if (!criteria.include_retired) where.push("status <> 'retired'");
  const sql = `SELECT a.id FROM lookup_agents a
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY score DESC, id LIMIT ?`;
  return { sql, parameters };
}

type Row = AgentRow & { score: number };

/** Up to this many agents missing from the cache are read one by one; more in one query. */
const SINGLE_READS = 4;

/**
 * Prepared id queries kept, the least recently used dropped beyond: the input schema allows some
 * 7,000 shapes, each statement holding about 30 KB of SQLite memory, so a client cycling through
 * them would otherwise hold some 200 MB.
 */
const SHAPES_KEPT = 256;

interface Statements {
  /** The prepared id query of a lookup shape (the SHAPES_KEPT most recently used are kept). */
  idStatement(sql: string): Database.Statement<Parameter[], string>;
  /** How many shapes have a prepared query now. */
  shapes(): number;
  row: Database.Statement<[string], Row>;
  rows: Database.Statement<[string], Row>;
}

const statements = new WeakMap<Database.Database, Statements>();

function statementsOf(db: Database.Database): Statements {
  let cached = statements.get(db);
  if (!cached) {
    const byShape = new Map<string, Database.Statement<Parameter[], string>>();
    cached = {
      idStatement(sql) {
        let statement = byShape.get(sql);
        if (statement) {
          byShape.delete(sql);
        } else {
          statement = db.prepare<Parameter[], string>(sql).pluck();
          if (byShape.size >= SHAPES_KEPT) byShape.delete(byShape.keys().next().value!);
        }
        byShape.set(sql, statement);
        return statement;
      },
      shapes: () => byShape.size,
      row: db.prepare<[string], Row>('SELECT * FROM lookup_agents WHERE id = ?'),
      rows: db.prepare<[string], Row>(
        'SELECT * FROM lookup_agents WHERE id IN (SELECT value FROM json_each(?))',
      ),
    };
    statements.set(db, cached);
  }
  return cached;
}

/** How many lookup shapes have a prepared query on `db` (at most SHAPES_KEPT). */
export function preparedLookupShapes(db: Database.Database): number {
  return statementsOf(db).shapes();
}

/** The agents of `ids`, in that order, from the cache or else the view. */
function matchesOf(db: Database.Database, cache: LookupCache, ids: readonly string[]): LookupMatch[] {
  const matches: (LookupMatch | undefined)[] = new Array<LookupMatch | undefined>(ids.length);
  let missing: number[] | undefined;
  for (let i = 0; i < ids.length; i++) {
    const match = cache.agents.get(ids[i]!);
    if (match === undefined) (missing ??= []).push(i);
    else matches[i] = match;
  }
  if (missing === undefined) return matches as LookupMatch[];
  const { row, rows } = statementsOf(db);
  const read =
    missing.length <= SINGLE_READS
      ? missing.flatMap((i) => row.get(ids[i]!) ?? [])
      : rows.all(JSON.stringify(missing.map((i) => ids[i]!)));
  const byId = new Map(read.map((r) => [r.id, r]));
  for (const i of missing) {
    const found = byId.get(ids[i]!);
    if (found) matches[i] = rememberAgent(cache, toMatch(found));
  }
  // An agent gone between the two reads (a rebuild in another process) is left out.
  return missing.length === read.length ? (matches as LookupMatch[]) : matches.filter((m) => m !== undefined);
}

/** One agent by id, or undefined. */
export function getAgent(db: Database.Database, id: string): LookupMatch | undefined {
  const row = statementsOf(db).row.get(id);
  return row && toMatch(row);
}

function toMatch(row: Row): LookupMatch {
  return {
    id: row.id,
    role: row.role,
    capabilities: JSON.parse(row.capabilities) as string[],
    specialization: row.specialization,
    project: row.project,
    status: row.status,
    available: row.available === 1,
    performance: Math.round(row.performance * 1000) / 1000,
    current_tasks: row.current_tasks,
    max_tasks: row.max_tasks,
    node_id: row.node_id,
    last_activity: row.last_activity,
    score: row.score,
  };
}
