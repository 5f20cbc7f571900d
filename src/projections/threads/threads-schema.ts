import type Database from 'better-sqlite3';

/**
 * The threads view: one row per thread (what lists and filters need, plus the thread's scalar fields),
 * its participants, every message (paged by `seq`), decisions, latest votes and escalations. JSON columns
 * hold values exactly as the events carried them.
 */
export const THREADS_DDL = `
CREATE TABLE IF NOT EXISTS threads (
  id                      TEXT PRIMARY KEY,
  revision                INTEGER NOT NULL,
  topic                   TEXT NOT NULL,
  creator                 TEXT NOT NULL,
  status                  TEXT NOT NULL,
  stop_reason             TEXT,
  project                 TEXT,
  task                    TEXT,
  metadata                TEXT NOT NULL,
  escalation_rules        TEXT NOT NULL,
  consensus_threshold     REAL NOT NULL,
  max_rounds              INTEGER,
  created_at              TEXT NOT NULL,
  last_activity           TEXT NOT NULL,
  message_count           INTEGER NOT NULL,
  error_count             INTEGER NOT NULL,
  participants            TEXT NOT NULL,
  open_escalations        INTEGER NOT NULL,
  consensus               INTEGER NOT NULL,
  consensus_record        TEXT,
  summary                 TEXT,
  summarized_at           TEXT,
  pending_summary_request TEXT,
  paused_by               TEXT,
  pause_reason            TEXT,
  paused_at               TEXT,
  closed_by               TEXT,
  close_note              TEXT,
  closed_at               TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS threads_by_activity ON threads (last_activity DESC, id);
CREATE INDEX IF NOT EXISTS threads_by_status ON threads (status, last_activity DESC, id);
CREATE INDEX IF NOT EXISTS threads_by_project ON threads (project, last_activity DESC, id);
CREATE TABLE IF NOT EXISTS thread_participants (
  thread_id  TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  ordinal    INTEGER NOT NULL,
  status     TEXT NOT NULL,
  invited_at TEXT,
  joined_at  TEXT,
  left_at    TEXT,
  PRIMARY KEY (thread_id, agent_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_participants_by_agent ON thread_participants (agent_id, status, thread_id);
CREATE TABLE IF NOT EXISTS thread_messages (
  thread_id    TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  message_id   TEXT NOT NULL,
  sender       TEXT NOT NULL,
  content      TEXT NOT NULL,
  message_type TEXT NOT NULL,
  reply_to     TEXT,
  metadata     TEXT NOT NULL,
  error        INTEGER NOT NULL,
  posted_at    TEXT NOT NULL,
  PRIMARY KEY (thread_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS thread_messages_by_id ON thread_messages (thread_id, message_id);
CREATE TABLE IF NOT EXISTS thread_decisions (
  thread_id   TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  decision    TEXT NOT NULL,
  decided_by  TEXT NOT NULL,
  rationale   TEXT NOT NULL,
  confidence  REAL NOT NULL,
  decided_at  TEXT NOT NULL,
  PRIMARY KEY (thread_id, decision_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thread_votes (
  thread_id   TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  voter       TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  stance      TEXT NOT NULL,
  comment     TEXT,
  cast_at     TEXT NOT NULL,
  PRIMARY KEY (thread_id, proposal_id, voter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thread_escalations (
  thread_id    TEXT NOT NULL,
  id           TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  rule         TEXT NOT NULL,
  condition    TEXT NOT NULL,
  reason       TEXT NOT NULL,
  triggered_at TEXT NOT NULL,
  actions      TEXT NOT NULL,
  resolved     INTEGER NOT NULL,
  resolution   TEXT,
  resolved_by  TEXT,
  resolved_at  TEXT,
  PRIMARY KEY (thread_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_escalations_open ON thread_escalations (resolved, triggered_at);
`;

/** Every table of the view, in the order a dump lists them. */
export const THREAD_TABLES = [
  'threads',
  'thread_participants',
  'thread_messages',
  'thread_decisions',
  'thread_votes',
  'thread_escalations',
] as const;

export interface ThreadRow {
  id: string;
  /** Stream revision of the last event applied: events at or below it are skipped. */
  revision: number;
  topic: string;
  creator: string;
  status: string;
  stop_reason: string | null;
  project: string | null;
  task: string | null;
  metadata: string;
  escalation_rules: string;
  consensus_threshold: number;
  max_rounds: number | null;
  created_at: string;
  last_activity: string;
  message_count: number;
  error_count: number;
  /** JSON array of the ids of participants who have not left, in the order they came. */
  participants: string;
  open_escalations: number;
  consensus: number;
  consensus_record: string | null;
  summary: string | null;
  summarized_at: string | null;
  pending_summary_request: string | null;
  paused_by: string | null;
  pause_reason: string | null;
  paused_at: string | null;
  closed_by: string | null;
  close_note: string | null;
  closed_at: string | null;
}

export interface ParticipantRow {
  thread_id: string;
  agent_id: string;
  ordinal: number;
  status: string;
  invited_at: string | null;
  joined_at: string | null;
  left_at: string | null;
}

export interface MessageRow {
  thread_id: string;
  seq: number;
  message_id: string;
  sender: string;
  content: string;
  message_type: string;
  reply_to: string | null;
  metadata: string;
  error: number;
  posted_at: string;
}

/** A message's columns in table order (MessageRow's), for the positional insert. */
export type MessageValues = [
  thread_id: string,
  seq: number,
  message_id: string,
  sender: string,
  content: string,
  message_type: string,
  reply_to: string | null,
  metadata: string,
  error: number,
  posted_at: string,
];

export interface DecisionRow {
  thread_id: string;
  decision_id: string;
  revision: number;
  decision: string;
  decided_by: string;
  rationale: string;
  confidence: number;
  decided_at: string;
}

export interface VoteRow {
  thread_id: string;
  proposal_id: string;
  voter: string;
  revision: number;
  stance: string;
  comment: string | null;
  cast_at: string;
}

export interface EscalationRow {
  thread_id: string;
  id: string;
  revision: number;
  rule: string;
  condition: string;
  reason: string;
  triggered_at: string;
  actions: string;
  resolved: number;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

const named = (columns: readonly string[]) => columns.map((column) => `@${column}`).join(', ');

/** The columns of `threads`, in table order. */
export const THREAD_COLUMNS = [
  'id',
  'revision',
  'topic',
  'creator',
  'status',
  'stop_reason',
  'project',
  'task',
  'metadata',
  'escalation_rules',
  'consensus_threshold',
  'max_rounds',
  'created_at',
  'last_activity',
  'message_count',
  'error_count',
  'participants',
  'open_escalations',
  'consensus',
  'consensus_record',
  'summary',
  'summarized_at',
  'pending_summary_request',
  'paused_by',
  'pause_reason',
  'paused_at',
  'closed_by',
  'close_note',
  'closed_at',
] as const satisfies readonly (keyof ThreadRow)[];
export type ThreadColumn = (typeof THREAD_COLUMNS)[number];

/** Creates the tables (idempotent) and prepares the writer's statements. */
export function prepareThreadStatements(db: Database.Database) {
  db.exec(THREADS_DDL);
  return {
    getThread: db.prepare<[string], ThreadRow>('SELECT * FROM threads WHERE id = ?'),
    saveThread: db.prepare<ThreadRow>(
      `INSERT OR REPLACE INTO threads (${THREAD_COLUMNS.join(', ')}) VALUES (${named(THREAD_COLUMNS)})`,
    ),
    participantsOf: db.prepare<[string], ParticipantRow>(
      'SELECT * FROM thread_participants WHERE thread_id = ? ORDER BY ordinal',
    ),
    saveParticipant: db.prepare<ParticipantRow>(
      `INSERT OR REPLACE INTO thread_participants (thread_id, agent_id, ordinal, status, invited_at, joined_at, left_at)
       VALUES (@thread_id, @agent_id, @ordinal, @status, @invited_at, @joined_at, @left_at)`,
    ),
    // Positional: binding ten named parameters costs about as much as the insert (one per message).
    insertMessage: db.prepare<MessageValues>(
      `INSERT INTO thread_messages (thread_id, seq, message_id, sender, content, message_type, reply_to, metadata,
         error, posted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    flagMessage: db.prepare<[string, string]>(
      'UPDATE thread_messages SET error = 1 WHERE thread_id = ? AND message_id = ? AND error = 0',
    ),
    insertDecision: db.prepare<DecisionRow>(
      `INSERT OR REPLACE INTO thread_decisions (thread_id, decision_id, revision, decision, decided_by, rationale,
         confidence, decided_at)
       VALUES (@thread_id, @decision_id, @revision, @decision, @decided_by, @rationale, @confidence, @decided_at)`,
    ),
    saveVote: db.prepare<VoteRow>(
      `INSERT OR REPLACE INTO thread_votes (thread_id, proposal_id, voter, revision, stance, comment, cast_at)
       VALUES (@thread_id, @proposal_id, @voter, @revision, @stance, @comment, @cast_at)`,
    ),
    insertEscalation: db.prepare<EscalationRow>(
      `INSERT OR REPLACE INTO thread_escalations (thread_id, id, revision, rule, condition, reason, triggered_at,
         actions, resolved, resolution, resolved_by, resolved_at)
       VALUES (@thread_id, @id, @revision, @rule, @condition, @reason, @triggered_at, @actions, @resolved,
         @resolution, @resolved_by, @resolved_at)`,
    ),
    resolveEscalation: db.prepare<[string, string, string, string, string]>(
      `UPDATE thread_escalations SET resolved = 1, resolution = ?, resolved_by = ?, resolved_at = ?
       WHERE thread_id = ? AND id = ? AND resolved = 0`,
    ),
    reset: () => db.exec(THREAD_TABLES.map((table) => `DELETE FROM ${table};`).join('\n')),
  };
}

export type ThreadStatements = ReturnType<typeof prepareThreadStatements>;
