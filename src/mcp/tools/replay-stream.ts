import type { AnyMachineSnapshot } from 'xstate';
import type { AnyActorKind } from '../../actors/actor-kind.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { initialState } from '../../actors/fold.js';
import { MACHINE_VERSION_KEY } from '../../actors/rehydrate.js';
import { foldStream } from '../../audit/replay.js';
import type { EventStore } from '../../events/event-store.js';
import type { JsonObject, JsonValue } from '../../events/json.js';
import type { RecordedEvent } from '../../events/types.js';

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
 * One page of an actor's replay for bzzz_replay: the stream is folded by the same fold as `bzzz
 * replay` (foldStream in src/audit/replay.ts: pure transition, no effects, nothing appended), and
 * each event of the requested page is collected with the actor's view after it.
 */
export async function replayStream(
  store: EventStore,
  kind: AnyActorKind,
  stream: string,
  actorId: string,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const { atRevision, fromRevision, limit } = options;
  let revision = -1;
  let folded: AnyMachineSnapshot = initialState(kind, actorId);
  let pageEnd: AnyMachineSnapshot | undefined;
  const events: JsonObject[] = [];
  let nextRevision: number | null = null;
  // The page stops before folding the first event it leaves out: `revision` is the last one folded.
  const stopBefore = (event: RecordedEvent): boolean => {
    if (atRevision !== undefined) return revision >= atRevision;
    if (event.revision < fromRevision || events.length < limit) return false;
    nextRevision = event.revision;
    return true;
  };
  for await (const { event, snapshot } of foldStream(store, kind, actorId, stream, { stopBefore })) {
    folded = snapshot;
    revision = event.revision;
    if (atRevision !== undefined || revision < fromRevision) continue;
    pageEnd = snapshot;
    events.push(
      entryOf(
        event,
        snapshot,
        options.includeState ? kind.view(snapshot) : undefined,
        options.includeMetadata,
      ),
    );
  }
  const last = atRevision !== undefined ? folded : pageEnd;
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
