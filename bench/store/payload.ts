import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../../src/events/json.js';
import type { NewEvent } from '../../src/events/types.js';

export const EVENT_TYPE = 'TaskUpdated';

/** A realistic event body of about 200 bytes of JSON, the same for the store and the reference. */
export function eventData(n: number): JsonObject {
  return {
    taskId: `task-${n.toString().padStart(8, '0')}`,
    title: 'Refactor the billing projection to read from snapshots',
    status: n % 3 === 0 ? 'done' : 'in_progress',
    priority: n % 5,
    assignee: `agent-${n % 17}`,
    tags: ['billing', 'projection'],
    estimate: { points: 5, confidence: 0.8 },
  };
}

/** `count` new events with writer-chosen ids, as an actor would append them. */
export function newEvents(count: number, first: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: EVENT_TYPE,
    data: eventData(first + i),
  }));
}
