import type Database from 'better-sqlite3';
import type { ThreadStatus } from '../../actors/thread/thread-view.js';
import { BzzzError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../events/json.js';
import type {
  DecisionRow,
  EscalationRow,
  MessageRow,
  ParticipantRow,
  ThreadRow,
  VoteRow,
} from './threads-schema.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** One page; `next_cursor` is null on the last page. Cursors are opaque (base64url). */
export type Page<T> = { items: T[]; next_cursor: string | null };

/** A thread in a list: the seed's `bzzz_thread` list entry, plus created_at, project and stop_reason. */
export type ThreadListItem = {
  id: string;
  topic: string;
  /** Ids of the participants who have not left, in the order they came. */
  participants: string[];
  status: ThreadStatus;
  last_activity: string;
  message_count: number;
  created_at: string;
  project: string | null;
  stop_reason: string | null;
};

export type ListThreadsOptions = {
  status?: string;
  /** Threads this agent takes part in (invited, active or idle; not after leaving). */
  participant?: string;
  project?: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
};

/** The seed's ThreadMessage in snake_case, with its place in the thread and its error flag. */
export type ThreadMessageView = {
  seq: number;
  id: string;
  thread_id: string;
  sender: string;
  content: string;
  message_type: string;
  timestamp: string;
  reply_to: string | null;
  metadata: JsonObject;
  /** Flagged by `metadata.error: true` or a reported error. */
  error: boolean;
};

export type ThreadMessagesOptions = {
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
  /** `asc` (default): oldest first; `desc`: newest first. */
  order?: 'asc' | 'desc';
};

/**
 * The whole thread, with the same fields as the thread actor's view (src/actors/thread/thread-view.ts)
 * except `messages`: those are paged with {@link getThreadMessages}.
 */
export type ThreadDetail = {
  id: string;
  topic: string;
  creator: string;
  status: ThreadStatus;
  participants: {
    id: string;
    status: string;
    invited_at: string | null;
    joined_at: string | null;
    left_at: string | null;
  }[];
  created_at: string;
  last_activity: string;
  message_count: number;
  error_count: number;
  decisions: {
    id: string;
    decision: string;
    decided_by: string[];
    rationale: string;
    confidence: number;
    timestamp: string;
  }[];
  /** The latest vote of each voter on each proposal, in the order they were cast. */
  votes: { voter: string; proposal_id: string; stance: string; comment: string | null; cast_at: string }[];
  consensus: JsonObject | null;
  consensus_threshold: number;
  max_rounds: number | null;
  escalation_rules: JsonValue;
  escalation_history: {
    id: string;
    thread_id: string;
    rule: string;
    condition: string;
    reason: string;
    triggered_at: string;
    actions: JsonValue;
    resolved: boolean;
    resolution: string | null;
    resolved_by: string | null;
    resolved_at: string | null;
  }[];
  summary: string | null;
  summarized_at: string | null;
  summary_requested: boolean;
  paused: { paused_by: string; reason: string | null; paused_at: string } | null;
  stop_reason: string | null;
  closed_at: string | null;
  closed_by: string | null;
  close_note: string | null;
  project: string | null;
  task: string | null;
  metadata: JsonObject;
};

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function statement<Row>(db: Database.Database, sql: string): Database.Statement<unknown[], Row> {
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = new Map()));
  let prepared = statements.get(sql);
  if (!prepared) statements.set(sql, (prepared = db.prepare(sql)));
  return prepared as Database.Statement<unknown[], Row>;
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

function encodeCursor(value: JsonValue): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw new BzzzError('INVALID_PARAMETERS', 'invalid cursor', { cursor });
  return value;
}

const isThreadCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

const isMessageCursor = (v: unknown): v is [number] =>
  Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]);

/** Threads, most recently active first (then by id), filtered by status, participant and project. */
export function listThreads(db: Database.Database, options: ListThreadsOptions = {}): Page<ThreadListItem> {
  const limit = pageSize(options.limit);
  const where: string[] = [];
  const params: Record<string, string | number> = { limit: limit + 1 };
  let from = 'threads t';
  if (options.participant !== undefined) {
    from += ` JOIN thread_participants p ON p.thread_id = t.id AND p.agent_id = @participant AND p.status <> 'left'`;
    params.participant = options.participant;
  }
  if (options.status !== undefined) {
    where.push('t.status = @status');
    params.status = options.status;
  }
  if (options.project !== undefined) {
    where.push('t.project = @project');
    params.project = options.project;
  }
  if (options.cursor !== undefined) {
    const [activity, id] = decodeCursor(options.cursor, isThreadCursor);
    where.push('(t.last_activity < @activity OR (t.last_activity = @activity AND t.id > @id))');
    Object.assign(params, { activity, id });
  }
  const sql = `SELECT t.id, t.topic, t.participants, t.status, t.last_activity, t.message_count, t.created_at,
      t.project, t.stop_reason
    FROM ${from} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY t.last_activity DESC, t.id ASC LIMIT @limit`;
  const rows = statement<ThreadRow>(db, sql).all(params);
  const items = rows.slice(0, limit).map((row): ThreadListItem => ({
    id: row.id,
    topic: row.topic,
    participants: JSON.parse(row.participants) as string[],
    status: row.status as ThreadStatus,
    last_activity: row.last_activity,
    message_count: row.message_count,
    created_at: row.created_at,
    project: row.project,
    stop_reason: row.stop_reason,
  }));
  const last = items[items.length - 1];
  return {
    items,
    next_cursor: rows.length > limit && last ? encodeCursor([last.last_activity, last.id]) : null,
  };
}

/** The whole thread (without its messages), or undefined when this view has no such thread. */
export function getThread(db: Database.Database, id: string): ThreadDetail | undefined {
  const row = statement<ThreadRow>(db, 'SELECT * FROM threads WHERE id = ?').get(id);
  if (!row) return undefined;
  const of = <R>(sql: string) => statement<R>(db, sql).all(id);
  const participants = of<ParticipantRow>(
    'SELECT * FROM thread_participants WHERE thread_id = ? ORDER BY ordinal',
  );
  const decisions = of<DecisionRow>('SELECT * FROM thread_decisions WHERE thread_id = ? ORDER BY revision');
  const votes = of<VoteRow>('SELECT * FROM thread_votes WHERE thread_id = ? ORDER BY revision');
  const escalations = of<EscalationRow>(
    'SELECT * FROM thread_escalations WHERE thread_id = ? ORDER BY revision',
  );
  return {
    id: row.id,
    topic: row.topic,
    creator: row.creator,
    status: row.status as ThreadStatus,
    participants: participants.map((p) => ({
      id: p.agent_id,
      status: p.status,
      invited_at: p.invited_at,
      joined_at: p.joined_at,
      left_at: p.left_at,
    })),
    created_at: row.created_at,
    last_activity: row.last_activity,
    message_count: row.message_count,
    error_count: row.error_count,
    decisions: decisions.map((d) => ({
      id: d.decision_id,
      decision: d.decision,
      decided_by: JSON.parse(d.decided_by) as string[],
      rationale: d.rationale,
      confidence: d.confidence,
      timestamp: d.decided_at,
    })),
    votes: votes.map((v) => ({
      voter: v.voter,
      proposal_id: v.proposal_id,
      stance: v.stance,
      comment: v.comment,
      cast_at: v.cast_at,
    })),
    consensus: row.consensus_record === null ? null : (JSON.parse(row.consensus_record) as JsonObject),
    consensus_threshold: row.consensus_threshold,
    max_rounds: row.max_rounds,
    escalation_rules: JSON.parse(row.escalation_rules) as JsonValue,
    escalation_history: escalations.map((e) => ({
      id: e.id,
      thread_id: e.thread_id,
      rule: e.rule,
      condition: e.condition,
      reason: e.reason,
      triggered_at: e.triggered_at,
      actions: JSON.parse(e.actions) as JsonValue,
      resolved: e.resolved === 1,
      resolution: e.resolution,
      resolved_by: e.resolved_by,
      resolved_at: e.resolved_at,
    })),
    summary: row.summary,
    summarized_at: row.summarized_at,
    summary_requested: row.pending_summary_request !== null,
    paused:
      row.paused_at === null
        ? null
        : { paused_by: row.paused_by!, reason: row.pause_reason, paused_at: row.paused_at },
    stop_reason: row.stop_reason,
    closed_at: row.closed_at,
    closed_by: row.closed_by,
    close_note: row.close_note,
    project: row.project,
    task: row.task,
    metadata: JSON.parse(row.metadata) as JsonObject,
  };
}

/** A thread's messages by `seq` (1 for the first message); an empty page for an unknown thread. */
export function getThreadMessages(
  db: Database.Database,
  id: string,
  options: ThreadMessagesOptions = {},
): Page<ThreadMessageView> {
  const limit = pageSize(options.limit);
  const desc = options.order === 'desc';
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, isMessageCursor)[0];
  const sql = `SELECT * FROM thread_messages WHERE thread_id = @id ${
    after === undefined ? '' : desc ? 'AND seq < @after' : 'AND seq > @after'
  } ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT @limit`;
  const rows = statement<MessageRow>(db, sql).all({
    id,
    limit: limit + 1,
    ...(after === undefined ? {} : { after }),
  });
  const items = rows.slice(0, limit).map((m): ThreadMessageView => ({
    seq: m.seq,
    id: m.message_id,
    thread_id: m.thread_id,
    sender: m.sender,
    content: m.content,
    message_type: m.message_type,
    timestamp: m.posted_at,
    reply_to: m.reply_to,
    metadata: JSON.parse(m.metadata) as JsonObject,
    error: m.error === 1,
  }));
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor([last.seq]) : null };
}
