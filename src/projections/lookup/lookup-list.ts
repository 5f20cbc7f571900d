import type Database from 'better-sqlite3';
import { BzzzError } from '../../errors.js';
import { getAgent, type LookupMatch } from './lookup-queries.js';

/** Statuses an agent of the lookup view can have. */
export const AGENT_STATUSES = ['idle', 'busy', 'offline', 'error', 'retired'] as const;
export type ListedAgentStatus = (typeof AGENT_STATUSES)[number];

export const DEFAULT_AGENT_PAGE = 50;
export const MAX_AGENT_PAGE = 500;

export interface ListAgentsOptions {
  role?: string;
  /** Without a status, every agent is listed, retired ones too. */
  status?: string;
  project?: string;
  available?: boolean;
  /** Default 50, at most 500. */
  limit?: number;
  /** A previous page's `next_cursor`. */
  cursor?: string;
}

/** One page of agents; `next_cursor` is null on the last page. */
export interface AgentPage {
  items: LookupMatch[];
  next_cursor: string | null;
}

/** The cursor of a page that ends with agent `id`: the id, base64url. */
export function agentCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id a cursor stands for; INVALID_PARAMETERS if it is not one {@link agentCursor} made. */
export function decodeAgentCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (id === '' || agentCursor(id) !== cursor) {
    throw new BzzzError('INVALID_PARAMETERS', 'invalid cursor', { parameter: 'cursor', cursor });
  }
  return id;
}

type Parameter = string | number;

/**
 * The SQL of a listing and its parameters (the limit comes last); exported so tests can EXPLAIN it.
 * Keyset pagination on the primary key: `id > ? ORDER BY id LIMIT ?`, never OFFSET. Secondary indexes
 * of a WITHOUT ROWID table end with the key, so with no filter, a status filter, or project and role
 * together, SQLite seeks straight to the cursor in id order (lookup_agents_by_status is (status, id),
 * lookup_agents_by_project is (project, role, id)). A role, project or availability filter alone is
 * bounded by its index and only the matching agents are sorted by id; indexes (role, id), (project,
 * id) and (available, id) in lookup-schema.ts would remove that sort if agent counts ever call for it.
 */
export function listAgentsQuery(options: ListAgentsOptions = {}): { sql: string; parameters: Parameter[] } {
  const where: string[] = [];
  const parameters: Parameter[] = [];
  const equal = (column: string, value: Parameter | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    parameters.push(value);
  };
  equal('role', options.role);
  equal('status', options.status);
  equal('project', options.project);
  equal('available', options.available === undefined ? undefined : options.available ? 1 : 0);
  if (options.cursor !== undefined) {
    where.push('id > ?');
    parameters.push(decodeAgentCursor(options.cursor));
  }
  const sql = `SELECT id FROM lookup_agents
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY id LIMIT ?`;
  return { sql, parameters };
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement<Parameter[], string>>>();

/**
 * Agents by id (a stable order), filtered by role, status, project and availability, one page at a time.
 * Each item is {@link getAgent}'s view of the agent (read in the same synchronous call, so the page is
 * one consistent state of the view).
 */
export function listAgents(db: Database.Database, options: ListAgentsOptions = {}): AgentPage {
  const limit = pageSize(options.limit);
  const { sql, parameters } = listAgentsQuery(options);
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare<Parameter[], string>(sql).pluck()));
  const ids = statement.all(...parameters, limit + 1);
  const items = ids.slice(0, limit).flatMap((id) => getAgent(db, id) ?? []);
  const last = items[items.length - 1];
  return { items, next_cursor: ids.length > limit && last ? agentCursor(last.id) : null };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_AGENT_PAGE;
  return Math.min(MAX_AGENT_PAGE, Math.max(1, Math.floor(limit)));
}
