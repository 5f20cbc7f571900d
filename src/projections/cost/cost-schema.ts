import type Database from 'better-sqlite3';

/**
 * Version of the cost view's tables and of the folding rules (the projection's version too): a change
 * drops the tables here and the runner rebuilds the view from `$all`.
 */
export const COST_VIEW_VERSION = 1;

/** Every table of the cost view, dropped and recreated when {@link COST_VIEW_VERSION} changes. */
export const COST_TABLES = [
  'cost_facts',
  'cost_tasks',
  'cost_agents',
  'cost_limits',
  'cost_warnings',
] as const;

const SCHEMA = `
-- One row per usage fact: a task's reported usage, or one LLM call. Aggregates are computed at query
-- time from these rows (index range + GROUP BY), so every report is exactly consistent with the facts.
CREATE TABLE IF NOT EXISTS cost_facts (
  position          INTEGER PRIMARY KEY,          -- $all position of the event that carried the usage
  at                TEXT    NOT NULL,             -- ISO-8601 UTC, normalized (toISOString)
  day               TEXT    NOT NULL,             -- YYYY-MM-DD (UTC)
  month             TEXT    NOT NULL,             -- YYYY-MM (UTC)
  agent_id          TEXT,
  model             TEXT,
  thread_id         TEXT,
  task_id           TEXT,
  task_type         TEXT,
  source            TEXT    NOT NULL CHECK (source IN ('task', 'llm')),
  prompt_tokens     INTEGER NOT NULL,
  cached_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  reasoning_tokens  INTEGER NOT NULL,
  cost_usd          REAL,                         -- NULL: unknown, never zero
  cost_known        INTEGER NOT NULL CHECK (cost_known IN (0, 1))
);
CREATE INDEX IF NOT EXISTS cost_facts_day    ON cost_facts (day);
CREATE INDEX IF NOT EXISTS cost_facts_month  ON cost_facts (month);
CREATE INDEX IF NOT EXISTS cost_facts_agent  ON cost_facts (agent_id, day);
CREATE INDEX IF NOT EXISTS cost_facts_model  ON cost_facts (model, day);
CREATE INDEX IF NOT EXISTS cost_facts_thread ON cost_facts (thread_id, day);
CREATE INDEX IF NOT EXISTS cost_facts_task   ON cost_facts (agent_id, task_id);

-- What TaskAssigned said about a task, for the usage facts that follow it.
CREATE TABLE IF NOT EXISTS cost_tasks (
  agent_id    TEXT    NOT NULL,
  task_id     TEXT    NOT NULL,
  thread_id   TEXT,
  task_type   TEXT,
  model       TEXT,                               -- the agent's model when the task was assigned
  assigned_at TEXT,
  llm_usage   INTEGER NOT NULL DEFAULT 0,         -- 1 once an LlmUsageRecorded names the task
  PRIMARY KEY (agent_id, task_id)
) WITHOUT ROWID;

-- The model of each agent's latest profile (AgentAnnounced / AgentProfileUpdated).
CREATE TABLE IF NOT EXISTS cost_agents (
  agent_id   TEXT PRIMARY KEY,
  model      TEXT,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- The cost limits of each agent's latest profile; no row when the profile sets none.
CREATE TABLE IF NOT EXISTS cost_limits (
  agent_id     TEXT PRIMARY KEY,
  daily_usd    REAL,
  monthly_usd  REAL,
  per_task_usd REAL,
  updated_at   TEXT NOT NULL
) WITHOUT ROWID;

-- The first time an agent's spend crossed a warning threshold or reached a limit, per period.
CREATE TABLE IF NOT EXISTS cost_warnings (
  agent_id   TEXT    NOT NULL,                    -- '*' for a warning about the whole node
  period     TEXT    NOT NULL CHECK (period IN ('day', 'month', 'task')),
  period_key TEXT    NOT NULL,                    -- the day, the month or the task id
  level      TEXT    NOT NULL CHECK (level IN ('warning', 'exceeded')),
  limit_usd  REAL    NOT NULL,
  spent_usd  REAL    NOT NULL,
  at         TEXT    NOT NULL,
  position   INTEGER NOT NULL,
  source     TEXT    NOT NULL CHECK (source IN ('derived', 'event')),
  PRIMARY KEY (agent_id, period, period_key, level)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS cost_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * Creates the cost view's tables (idempotent). Tables of another {@link COST_VIEW_VERSION} are dropped
 * first: their rows would not match the statements, and the runner rebuilds the view anyway.
 */
export function createCostSchema(db: Database.Database): void {
  db.transaction(() => {
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cost_meta'")
      .get();
    const stored = hasMeta
      ? (db.prepare("SELECT value FROM cost_meta WHERE key = 'version'").get() as
          { value: string } | undefined)
      : undefined;
    if (stored && stored.value !== String(COST_VIEW_VERSION)) {
      for (const table of COST_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
    db.exec(SCHEMA);
    db.prepare(
      "INSERT INTO cost_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(String(COST_VIEW_VERSION));
  })();
}

/** Empties every table of the view (before a rebuild). */
export function clearCostTables(db: Database.Database): void {
  for (const table of COST_TABLES) db.exec(`DELETE FROM ${table}`);
}

/** Whether the cost view exists in this read-model database (a projection opened it at least once). */
export function hasCostSchema(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cost_facts'").get() !== undefined
  );
}
