import type { AgentEvent, TaskUsage } from '../../actors/agent/agent-events.js';
import type { RecordedEvent } from '../../events/types.js';
import { typedData } from '../event-data.js';
import type { ProjectionDefinition } from '../projection.js';

const AGENT_STREAM = 'agent-';
const THREAD_STREAM = 'thread-';

/** Costs are summed as integers of 1e-9 USD, so totals do not drift with float rounding. */
export const NANO_USD = 1e9;

/**
 * Counters `stats_counters` holds (all start at 0):
 * - messages_posted: MessagePosted events (the seed's MessagesProcessed)
 * - tasks_assigned / tasks_completed / tasks_failed: TaskAssigned, TaskCompleted, TaskFailed
 * - prompt_tokens / completion_tokens / cached_tokens: usage of finished tasks (completed or failed)
 * - cost_nano_usd: known cost of finished tasks; costed_tasks: how many had one
 * - uncosted_tasks: finished tasks without a known cost (usage cost_usd null, or no usage at all)
 * - completed_cost_nano_usd / completed_costed_tasks: the same for completed tasks only (for the average)
 */
export const STATS_COUNTERS = [
  'messages_posted',
  'tasks_assigned',
  'tasks_completed',
  'tasks_failed',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cost_nano_usd',
  'costed_tasks',
  'uncosted_tasks',
  'completed_cost_nano_usd',
  'completed_costed_tasks',
] as const;
export type StatsCounter = (typeof STATS_COUNTERS)[number];

/** Agent states the stats count: `online` is idle or busy (the seed's active agents). */
export type StatsAgentStatus = 'online' | 'offline' | 'error' | 'retired';

export const STATS_DDL = `
CREATE TABLE IF NOT EXISTS stats_counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_times (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_agents (
  agent_id TEXT PRIMARY KEY,
  status   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_agents_by_status ON stats_agents (status);
CREATE TABLE IF NOT EXISTS stats_threads (
  thread_id TEXT PRIMARY KEY,
  closed    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_threads_by_closed ON stats_threads (closed);
`;

export const STATS_TABLES = ['stats_counters', 'stats_times', 'stats_agents', 'stats_threads'] as const;

/** Agent and thread events the stats read. */
export const STATS_EVENT_TYPES = [
  'AgentAnnounced',
  'AgentProfileUpdated',
  'AgentCameOnline',
  'AgentWentOffline',
  'AgentErrorReported',
  'AgentRecovered',
  'AgentRetired',
  'TaskAssigned',
  'TaskCompleted',
  'TaskFailed',
  'ThreadCreated',
  'ThreadClosed',
  'MessagePosted',
] as const;

/**
 * Server statistics (the seed's ServerStats) folded from agent and thread events: agents by state,
 * threads created and open, messages, tasks, tokens and costs, and the time of the first and last event
 * read. Request counts belong to the HTTP layer and are not here. Read them with `getStats`.
 */
export const statsProjection: ProjectionDefinition = {
  name: 'stats',
  version: 1,
  eventTypes: STATS_EVENT_TYPES,
  open(db) {
    db.exec(STATS_DDL);
    const add = db.prepare<[string, number]>(
      `INSERT INTO stats_counters (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    );
    const firstTime = db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO stats_times (name, value) VALUES (?, ?)',
    );
    const setTime = db.prepare<[string, string]>(
      'INSERT OR REPLACE INTO stats_times (name, value) VALUES (?, ?)',
    );
    const agentStatus = db
      .prepare<[string], StatsAgentStatus>('SELECT status FROM stats_agents WHERE agent_id = ?')
      .pluck();
    const setAgent = db.prepare<[string, StatsAgentStatus]>(
      'INSERT OR REPLACE INTO stats_agents (agent_id, status) VALUES (?, ?)',
    );
    const setThread = db.prepare<[string, number]>(
      'INSERT OR REPLACE INTO stats_threads (thread_id, closed) VALUES (?, ?)',
    );
    // What the batch adds to the counters and the times it read, written once at flush.
    const counts = new Map<StatsCounter, number>();
    let first: string | undefined;
    let last: string | undefined;
    const count = (name: StatsCounter, by = 1) => {
      if (by !== 0) counts.set(name, (counts.get(name) ?? 0) + by);
    };
    const forget = () => {
      counts.clear();
      first = last = undefined;
    };
    const finished = (usage: TaskUsage | null, completed: boolean) => {
      count(completed ? 'tasks_completed' : 'tasks_failed');
      if (usage) {
        count('prompt_tokens', usage.prompt_tokens);
        count('completion_tokens', usage.completion_tokens);
        count('cached_tokens', usage.cached_tokens);
      }
      if (usage?.cost_usd === null || usage?.cost_usd === undefined) {
        count('uncosted_tasks');
        return;
      }
      const nano = Math.round(usage.cost_usd * NANO_USD);
      count('cost_nano_usd', nano);
      count('costed_tasks');
      if (!completed) return;
      count('completed_cost_nano_usd', nano);
      count('completed_costed_tasks');
    };
    const agent = (id: string, event: AgentEvent) => {
      if (event.type === 'TaskAssigned') return count('tasks_assigned');
      if (event.type === 'TaskCompleted') return finished(event.usage, true);
      if (event.type === 'TaskFailed') return finished(event.usage, false);
      const status = agentStatus.get(id);
      if (event.type === 'AgentAnnounced') {
        if (status === undefined) setAgent.run(id, 'online');
        return;
      }
      if (status === undefined || status === 'retired') return;
      switch (event.type) {
        case 'AgentProfileUpdated':
        case 'AgentCameOnline':
          // A new profile brings an offline agent back; an agent in error stays there until it recovers.
          if (status === 'offline') setAgent.run(id, 'online');
          return;
        case 'AgentWentOffline':
          return void setAgent.run(id, 'offline');
        case 'AgentErrorReported':
          return void setAgent.run(id, 'error');
        case 'AgentRecovered':
          return void setAgent.run(id, 'online');
        case 'AgentRetired':
          return void setAgent.run(id, 'retired');
      }
    };
    return {
      reset() {
        forget();
        db.exec(STATS_TABLES.map((table) => `DELETE FROM ${table};`).join('\n'));
      },
      flush() {
        for (const [name, by] of counts) if (by !== 0) add.run(name, by);
        if (first !== undefined) firstTime.run('first_event_at', first);
        if (last !== undefined) setTime.run('last_event_at', last);
        forget();
      },
      forget,
      apply(event: RecordedEvent) {
        if (event.stream.startsWith(AGENT_STREAM)) {
          agent(event.stream.slice(AGENT_STREAM.length), typedData<AgentEvent>(event));
        } else if (event.stream.startsWith(THREAD_STREAM)) {
          const id = event.stream.slice(THREAD_STREAM.length);
          if (event.type === 'ThreadCreated') setThread.run(id, 0);
          else if (event.type === 'ThreadClosed') setThread.run(id, 1);
          else if (event.type === 'MessagePosted') count('messages_posted');
        } else {
          return;
        }
        first ??= event.recordedAt;
        last = event.recordedAt;
      },
    };
  },
};
