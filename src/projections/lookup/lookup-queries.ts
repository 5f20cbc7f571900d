import type Database from 'better-sqlite3';
import type { AddressParts } from '../../actors/address.js';
import type { AgentRow } from './lookup-schema.js';

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
 * max_tasks not in use). A proven, idle, available agent scores near 100; a new one 55 to 70.
 */
export const SCORE_SQL =
  'round(100 * (0.6 * performance + 0.25 * available + 0.15 * (1.0 - min(current_tasks, max_tasks) * 1.0 / max_tasks)), 1)';

export type Parameter = string | number;

/**
 * Agents matching a semantic address (agent, role, project exact or `*` glob; task matches a capability
 * or the specialization) and the seed's filter criteria, best score first. Every filter is pushed into
 * SQL so that the indexes on role, project, availability and capabilities bound the rows read.
 */
export function lookupAgents(
  db: Database.Database,
  address: AddressParts,
  criteria: LookupCriteria = {},
  limit = 100,
): LookupMatch[] {
  const { sql, parameters } = lookupQuery(address, criteria);
  return cachedStatement(db, sql)
    .all(...parameters, limit)
    .map(toMatch);
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
  const sql = `SELECT a.*, ${SCORE_SQL} AS score FROM lookup_agents a
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY score DESC, id LIMIT ?`;
  return { sql, parameters };
}

const statements = new WeakMap<
  Database.Database,
  Map<string, Database.Statement<Parameter[], AgentRow & { score: number }>>
>();

/** Lookups vary in shape, not in number: cache each shape's prepared statement per database. */
function cachedStatement(db: Database.Database, sql: string) {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare<Parameter[], AgentRow & { score: number }>(sql)));
  return statement;
}

/** One agent by id, or undefined. */
export function getAgent(db: Database.Database, id: string): LookupMatch | undefined {
  const row = cachedStatement(db, `SELECT a.*, ${SCORE_SQL} AS score FROM lookup_agents a WHERE id = ?`).get(
    id,
  );
  return row && toMatch(row);
}

function toMatch(row: AgentRow & { score: number }): LookupMatch {
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
