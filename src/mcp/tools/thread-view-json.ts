import type { JsonObject, JsonValue } from '../../events/json.js';

/** What a thread action answers besides its own result. */
export interface ThreadActionOutcome {
  thread_id?: string;
  result: JsonObject | JsonObject[];
  /** `$all` position of the action's last event (null: nothing changed; absent: a read). */
  position?: string | null;
  next_cursor?: string | null;
  /** One line for clients that read text. */
  text: string;
}

type ParticipantJson = { id: string; status: string };

/** The thread's identity and state, from the thread actor's view (thread-view.ts). */
export function threadBrief(view: JsonObject): JsonObject {
  return {
    id: view.id ?? null,
    topic: view.topic ?? null,
    creator: view.creator ?? null,
    status: view.status ?? null,
    participants: participantsOf(view).map((p) => ({ id: p.id, status: p.status })),
    message_count: view.message_count ?? 0,
    last_activity: view.last_activity ?? null,
    stop_reason: view.stop_reason ?? null,
  };
}

/** Ids of the participants who have not left, in the order they came (as the thread list shows them). */
export function participantIds(view: JsonObject): string[] {
  return participantsOf(view)
    .filter((p) => p.status !== 'left')
    .map((p) => p.id);
}

function participantsOf(view: JsonObject): ParticipantJson[] {
  const participants = view.participants;
  return Array.isArray(participants) ? (participants as unknown as ParticipantJson[]) : [];
}

/** The last element of a view array matching `test` (the one a command just added). */
export function lastOf(
  view: JsonObject,
  field: string,
  test: (item: JsonObject) => boolean,
): JsonObject | null {
  const items = view[field];
  if (!Array.isArray(items)) return null;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as JsonValue;
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && test(item)) return item;
  }
  return null;
}

export function positionOf(position: bigint | undefined): string | null {
  return position === undefined ? null : position.toString();
}
