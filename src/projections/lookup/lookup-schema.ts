import type Database from 'better-sqlite3';

/**
 * The lookup view: one row per agent (seen on this node or another: `node_id` is the author of its
 * events) and one row per capability, indexed for every filter a lookup can push down.
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
  last_heartbeat TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lookup_agents_by_role ON lookup_agents (role, performance DESC);
CREATE INDEX IF NOT EXISTS lookup_agents_by_project ON lookup_agents (project, role);
CREATE INDEX IF NOT EXISTS lookup_agents_by_status ON lookup_agents (status);
CREATE INDEX IF NOT EXISTS lookup_agents_by_availability ON lookup_agents (available, performance DESC);
CREATE TABLE IF NOT EXISTS lookup_capabilities (
  capability TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  PRIMARY KEY (capability, agent_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lookup_capabilities_by_agent ON lookup_capabilities (agent_id);
`;

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
}

export function prepareLookupStatements(db: Database.Database) {
  db.exec(LOOKUP_DDL);
  return {
    get: db.prepare<[string], AgentRow>('SELECT * FROM lookup_agents WHERE id = ?'),
    upsert: db.prepare<AgentRow>(
      `INSERT OR REPLACE INTO lookup_agents VALUES (@id, @role, @specialization, @project, @status, @available,
        @performance, @max_tasks, @current_tasks, @completed, @failed, @capabilities, @model, @owner, @node_id,
        @created_at, @last_activity, @last_heartbeat)`,
    ),
    touch: db.prepare<[string, string | null, string]>(
      'UPDATE lookup_agents SET last_activity = ?, last_heartbeat = coalesce(?, last_heartbeat) WHERE id = ?',
    ),
    deleteCapabilities: db.prepare<[string]>('DELETE FROM lookup_capabilities WHERE agent_id = ?'),
    insertCapability: db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO lookup_capabilities (capability, agent_id) VALUES (?, ?)',
    ),
    reset: () => db.exec('DELETE FROM lookup_agents; DELETE FROM lookup_capabilities;'),
  };
}
