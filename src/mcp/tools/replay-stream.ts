import type { AnyMachineSnapshot } from 'xstate';
import type { AnyActorKind } from '../../actors/actor-kind.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { initialState } from '../../actors/fold.js';
import { foldRecorded, MACHINE_VERSION_KEY } from '../../actors/rehydrate.js';
import type { EventStore } from '../../events/event-store.js';
import type { JsonObject, JsonValue } from '../../events/json.js';
import type { RecordedEvent } from '../../events/types.js';

const PAGE = 500;

export interface ReplayOptions {
  fromRevision: number;
  limit: number;
  /** Only the state at this revision (no event list). */
  atRevision?: number;
  includeState: boolean;
  includeMetadata: boolean;
}

export interface ReplayResult {
  events: JsonObject[];
  /** The revision to pass as from_revision for the next page; null after the last event. */
  nextRevision: number | null;
  /** The state after the last folded event of interest (at_revision, or the page's last event). */
  state: JsonObject | null;
  revision: number;
}

/** NOT_FOUND codes by actor category. */
const NOT_FOUND: Record<string, DomainErrorCode> = {
  agent: DomainErrorCode.AgentNotFound,
  thread: DomainErrorCode.ThreadNotFound,
  subscription: DomainErrorCode.SubscriptionNotFound,
};

/** An actor's stream: its category's kind and its id; INVALID_PARAMETERS for anything else. */
export function actorStream(
  kinds: readonly AnyActorKind[],
  stream: string,
): { kind: AnyActorKind; actorId: string } {
  const dash = stream.indexOf('-');
  const kind = dash > 0 ? kinds.find((k) => k.category === stream.slice(0, dash)) : undefined;
  const actorId = stream.slice(dash + 1);
  if (!kind || actorId === '') {
    throw new DomainError(
      DomainErrorCode.InvalidParameters,
      `${stream} is not an actor stream (${kinds.map((k) => `${k.category}-<id>`).join(', ')})`,
      { stream },
    );
  }
  return { kind, actorId };
}

/** The revision of the stream's last event, or a NOT_FOUND error naming the actor when it has none. */
export async function headRevision(store: EventStore, kind: AnyActorKind, stream: string): Promise<number> {
  const [last] = await store.readStream(stream, { direction: 'backwards', fromRevision: 'end', maxCount: 1 });
  if (last) return last.revision;
  throw new DomainError(
    NOT_FOUND[kind.category] ?? DomainErrorCode.InvalidParameters,
    `${stream} has no events`,
    { stream },
  );
}

/**
 * Folds a stream from its first event with the machine's pure transition (no effects run, nothing is
 * appended) and collects each event of the requested page with the actor's view after it.
 */
export async function replayStream(
  store: EventStore,
  kind: AnyActorKind,
  stream: string,
  actorId: string,
  options: ReplayOptions,
): Promise<ReplayResult> {
  let state: AnyMachineSnapshot = initialState(kind, actorId);
  let revision = -1;
  const events: JsonObject[] = [];
  let nextRevision: number | null = null;
  let from = 0;
  let pageEnd: AnyMachineSnapshot | undefined;
  paging: for (;;) {
    const page = await store.readStream(stream, { fromRevision: from, maxCount: PAGE });
    for (const recorded of page) {
      if (
        options.atRevision === undefined &&
        recorded.revision >= options.fromRevision &&
        events.length === options.limit
      ) {
        nextRevision = recorded.revision;
        break paging;
      }
      state = foldRecorded(kind, state, recorded);
      revision = recorded.revision;
      if (options.atRevision !== undefined) {
        if (revision >= options.atRevision) break paging;
        continue;
      }
      if (revision < options.fromRevision) continue;
      pageEnd = state;
      events.push(
        entryOf(
          recorded,
          state,
          options.includeState ? kind.view(state) : undefined,
          options.includeMetadata,
        ),
      );
    }
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.revision + 1;
  }
  // The page stops before folding the first event it leaves out: `revision` is the last one folded.
  const last = options.atRevision !== undefined ? state : pageEnd;
  return {
    events,
    nextRevision,
    state: last === undefined ? null : { revision, value: last.value as JsonValue, view: kind.view(last) },
    revision,
  };
}

function entryOf(
  recorded: RecordedEvent,
  state: AnyMachineSnapshot,
  view: JsonObject | undefined,
  includeMetadata: boolean,
): JsonObject {
  const entry: JsonObject = {
    revision: recorded.revision,
    position: recorded.position.toString(),
    id: recorded.id,
    type: recorded.type,
    data: recorded.data,
    recorded_at: recorded.recordedAt,
    machine_version: (recorded.metadata[MACHINE_VERSION_KEY] as JsonValue | undefined) ?? null,
    state_value: state.value as JsonValue,
  };
  if (includeMetadata) entry.metadata = recorded.metadata;
  if (view !== undefined) entry.state = view;
  return entry;
}
