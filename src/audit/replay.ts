import type { AnyMachineSnapshot } from 'xstate';
import type { AnyActorKind } from '../actors/actor-kind.js';
import { initialState } from '../actors/fold.js';
import { foldRecorded } from '../actors/rehydrate.js';
import { BzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import type { JsonObject } from '../events/json.js';
import type { RecordedEvent } from '../events/types.js';

/** One event of a replay and the actor's state right after it. */
export interface ReplayStep {
  event: RecordedEvent;
  /** `kind.view` of the state after the event. */
  state: JsonObject;
}

/** Where a replay stops: after a revision, or after the last event recorded at or before a time. */
export interface ReplayBound {
  revision?: number;
  /** Milliseconds since the epoch, compared with each event's `recordedAt`. */
  time?: number;
}

/** The actor state at a point of its history (revision -1: before its first event). */
export interface StateAt {
  stream: string;
  revision: number;
  /** The last event folded, if any. */
  event?: RecordedEvent;
  state: JsonObject;
}

/** One event folded and the machine snapshot right after it. */
export interface FoldStep {
  event: RecordedEvent;
  snapshot: AnyMachineSnapshot;
}

export interface FoldOptions {
  /** Called with each event before it is folded: true ends the fold there, that event left out. */
  stopBefore?: (event: RecordedEvent) => boolean;
}

const PAGE = 1000;

/** The kind whose streams are `<category>-<id>` and the id, for an actor stream name. */
export function actorOfStream(
  kinds: readonly AnyActorKind[],
  stream: string,
): { kind: AnyActorKind; actorId: string } {
  for (const kind of kinds) {
    const prefix = `${kind.category}-`;
    if (stream.startsWith(prefix) && stream.length > prefix.length) {
      return { kind, actorId: stream.slice(prefix.length) };
    }
  }
  throw new BzzzError(
    'INVALID_PARAMETERS',
    `${stream} is not an actor stream (known: ${kinds.map((k) => `${k.category}-<id>`).join(', ')})`,
    { stream },
  );
}

/**
 * The one replay fold, behind `bzzz replay` and the `bzzz_replay` MCP tool: reads an actor's stream
 * from its first event and folds each event with the kind's pure transition (no effect runs, nothing
 * is appended), yielding every event with the machine snapshot after it.
 */
export async function* foldStream(
  store: EventStore,
  kind: AnyActorKind,
  actorId: string,
  stream: string,
  options: FoldOptions = {},
): AsyncGenerator<FoldStep> {
  let snapshot: AnyMachineSnapshot = initialState(kind, actorId);
  for (let from = 0; ;) {
    const page = await store.readStream(stream, { fromRevision: from, maxCount: PAGE });
    for (const event of page) {
      if (options.stopBefore?.(event)) return;
      snapshot = foldRecorded(kind, snapshot, event);
      yield { event, snapshot };
    }
    if (page.length < PAGE) return;
    from = page[page.length - 1]!.revision + 1;
  }
}

/**
 * Replays an actor's stream from its first event, folding each with the kind's pure transition (no
 * effects run), and yields every event with the state after it, up to `bound` when given. Within a
 * stream `recordedAt` only grows, so a time bound stops at the first event recorded after it.
 */
export async function* replayStream(
  store: EventStore,
  kinds: readonly AnyActorKind[],
  stream: string,
  bound: ReplayBound = {},
): AsyncGenerator<ReplayStep> {
  const { kind, actorId } = actorOfStream(kinds, stream);
  const stopBefore = (event: RecordedEvent) =>
    (bound.revision !== undefined && event.revision > bound.revision) ||
    (bound.time !== undefined && Date.parse(event.recordedAt) > bound.time);
  for await (const { event, snapshot } of foldStream(store, kind, actorId, stream, { stopBefore })) {
    yield { event, state: kind.view(snapshot) };
  }
}

/** The actor's state after `bound` (its current state when unbounded). */
export async function stateAt(
  store: EventStore,
  kinds: readonly AnyActorKind[],
  stream: string,
  bound: ReplayBound = {},
): Promise<StateAt> {
  const { kind, actorId } = actorOfStream(kinds, stream);
  let last: ReplayStep | undefined;
  for await (const step of replayStream(store, kinds, stream, bound)) last = step;
  if (!last) return { stream, revision: -1, state: kind.view(initialState(kind, actorId)) };
  return { stream, revision: last.event.revision, event: last.event, state: last.state };
}
