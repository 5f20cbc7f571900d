import type { EventStore } from '../events/event-store.js';
import type { RecordedEvent } from '../events/types.js';
import type { SpendFact } from './budget-guard.js';
import { LLM_USAGE_RECORDED } from './llm-events.js';

const USAGE_TYPES = [LLM_USAGE_RECORDED, 'TaskCompleted', 'TaskFailed'];
const DAY_MS = 86_400_000;

/**
 * The known costs of the current UTC month, read from the event log backwards until a day before the
 * month began, with the cost view's rule against double counting: a task that has LlmUsageRecorded
 * events is counted by them, and its TaskCompleted/TaskFailed usage only when it has none. Reading the
 * log (not the cost view) needs no projection to have caught up when the node starts.
 */
export async function spentFromEventLog(
  store: EventStore,
  now: number,
  pageSize = 1000,
): Promise<SpendFact[]> {
  const monthStart = Date.parse(`${new Date(now).toISOString().slice(0, 7)}-01T00:00:00.000Z`);
  const month = new Date(now).toISOString().slice(0, 7);
  const calls: SpendFact[] = [];
  const summaries: SpendFact[] = [];
  const withCalls = new Set<string>();
  let from: bigint | 'end' = 'end';
  for (;;) {
    const page = await store.readAll({
      direction: 'backwards',
      fromPosition: from,
      maxCount: pageSize,
      filter: { eventTypes: USAGE_TYPES },
    });
    for (const event of page) {
      const fact = factOf(event);
      if (!fact) continue;
      if (event.type === LLM_USAGE_RECORDED) {
        if (fact.taskId !== null) withCalls.add(taskKey(fact.agentId, fact.taskId));
        calls.push(fact);
      } else {
        summaries.push(fact);
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < pageSize || last.position <= 0n) break;
    if (Date.parse(last.recordedAt) < monthStart - DAY_MS) break;
    from = last.position - 1n;
  }
  const counted = summaries.filter(
    (fact) => fact.taskId === null || !withCalls.has(taskKey(fact.agentId, fact.taskId)),
  );
  return [...calls, ...counted].filter((fact) => fact.at.slice(0, 7) === month);
}

function taskKey(agentId: string | null, taskId: string): string {
  return JSON.stringify([agentId, taskId]);
}

function factOf(event: RecordedEvent): SpendFact | undefined {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<
    string,
    unknown
  >;
  const usage = event.type === LLM_USAGE_RECORDED ? data : asObject(data.usage);
  const cost = usage?.cost_usd;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) return undefined;
  const agentId =
    text(data.agent_id) ?? (event.stream.startsWith('agent-') ? event.stream.slice('agent-'.length) : null);
  const own =
    event.type === 'TaskCompleted'
      ? data.completed_at
      : event.type === 'TaskFailed'
        ? data.failed_at
        : data.at;
  return { agentId, taskId: text(data.task_id), at: timeOf(own, event), costUsd: cost };
}

function timeOf(own: unknown, event: RecordedEvent): string {
  for (const candidate of [own, event.metadata.occurredAt, event.recordedAt]) {
    if (typeof candidate !== 'string') continue;
    const ms = Date.parse(candidate);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return event.recordedAt;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
