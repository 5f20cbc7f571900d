import type Database from 'better-sqlite3';

/**
 * The ranking score of a row, 0..100: 60 × performance + 25 × available + 15 × free task slots (share
 * of max_tasks not in use), rounded to 0.1. `prefix` names the columns (`a.`) or parameters (`@`).
 */
export function scoreSql(prefix = ''): string {
  const p = prefix;
  return `round(100 * (0.6 * ${p}performance + 0.25 * ${p}available + 0.15 * (1.0 - min(${p}current_tasks, ${p}max_tasks) * 1.0 / ${p}max_tasks)), 1)`;
}

/**
 * The lookup view: one row per agent (seen on this node or another: `node_id` is the author of its
 * events) and one row per capability, indexed for every filter a lookup can push down. `score` is
 * stored (written with the row, see {@link scoreSql}) so that the role and role-in-project indexes end
 * with (score DESC, id, status): a lookup by role, or by role in a project, reads its matches best
 * first from the index alone, with no sort and no row read, and stops at its limit. Heartbeats touch
 * only unindexed columns.
 */
export const LOOKUP_DDL = `
CREATE TABLE IF NOT EXISTS lookup_agents (
  id             TEXT PRIMARY KEY,
  role           TEXT NOT NULL,
  specialization TEXT NOT NULL,
  project        TEXT,
  status         TEXT NOT NULL,
  available      INTEGER NOT NULL,
  performance    REAL NOT NULL,
  max_tasks      INTEGER NOT NULL,
  current_tasks  INTEGER NOT NULL,
  completed      INTEGER NOT NULL,
  failed         INTEGER NOT NULL,
  capabilities   TEXT NOT NULL,
  model          TEXT,
  owner          TEXT,
  node_id        TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  last_activity  TEXT NOT NULL,
  last_heartbeat TEXT,
  score          REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lookup_agents_by_role ON lookup_agents (role, score DESC, id, status);
CREATE INDEX IF NOT EXISTS lookup_agents_by_project ON lookup_agents (project, role);
CREATE INDEX IF NOT EXISTS lookup_agents_by_project_score ON lookup_agents (project, role, score DESC, id, status);
CREATE INDEX IF NOT EXISTS lookup_agents_by_status ON lookup_agents (status);
CREATE INDEX IF NOT EXISTS lookup_agents_by_availability ON lookup_agents (available, performance DESC);
CREATE TABLE IF NOT EXISTS lookup_capabilities (
  capability TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  PRIMARY KEY (capability, agent_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lookup_capabilities_by_agent ON lookup_capabilities (agent_id);
CREATE TABLE IF NOT EXISTS lookup_generation (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  changed INTEGER NOT NULL,
  touched INTEGER NOT NULL
);
INSERT OR IGNORE INTO lookup_generation VALUES (1, 0, 0);
`;

/** How many batches changed agent rows in a way lookups can see (`changed`), or only their times (`touched`). */
export interface LookupGeneration {
  changed: number;
  touched: number;
}

export interface AgentRow {
  id: string;
  role: string;
  specialization: string;
  project: string | null;
  status: string;
  available: number;
  performance: number;
  max_tasks: number;
  current_tasks: number;
  completed: number;
  failed: number;
  capabilities: string;
  model: string | null;
  owner: string | null;
  node_id: string;
  created_at: string;
  last_activity: string;
  last_heartbeat: string | null;
  /** Stored by the upsert from the other columns ({@link scoreSql}); absent on rows not yet written. */
  score?: number;
}

export function prepareLookupStatements(db: Database.Database) {
  // A view written by a version without the stored score (lookup view version 1): its tables go, and the
  // runner rebuilds the view (its version changed too).
  const columns = db.prepare<[], string>("SELECT name FROM pragma_table_info('lookup_agents')").pluck().all();
  if (columns.length > 0 && !columns.includes('score')) db.exec('DROP TABLE lookup_agents');
  db.exec(LOOKUP_DDL);
  return {
    get: db.prepare<[string], AgentRow>('SELECT * FROM lookup_agents WHERE id = ?'),
    upsert: db.prepare<AgentRow>(
      `INSERT OR REPLACE INTO lookup_agents VALUES (@id, @role, @specialization, @project, @status, @available,
        @performance, @max_tasks, @current_tasks, @completed, @failed, @capabilities, @model, @owner, @node_id,
        @created_at, @last_activity, @last_heartbeat, ${scoreSql('@')})`,
    ),
    touch: db.prepare<[string, string | null, string]>(
      'UPDATE lookup_agents SET last_activity = ?, last_heartbeat = coalesce(?, last_heartbeat) WHERE id = ?',
    ),
    deleteCapabilities: db.prepare<[string]>('DELETE FROM lookup_capabilities WHERE agent_id = ?'),
    insertCapability: db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO lookup_capabilities (capability, agent_id) VALUES (?, ?)',
    ),
    reset: () => db.exec('DELETE FROM lookup_agents; DELETE FROM lookup_capabilities;'),
    /** Moves the view's generation counters (see lookup-cache.ts), in the writer's transaction. */
    bump: db.prepare<[number, number], LookupGeneration>(
      'UPDATE lookup_generation SET changed = changed + ?, touched = touched + ? WHERE id = 1 RETURNING changed, touched',
    ),
  };
}
