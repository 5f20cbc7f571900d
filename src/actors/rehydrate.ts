import type { AnyMachineSnapshot } from 'xstate';
import { isBzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import type { JsonObject } from '../events/json.js';
import type { RecordedEvent } from '../events/types.js';
import type { AnyActorKind } from './actor-kind.js';
import { DomainError, DomainErrorCode } from './domain-error.js';
import { applyEvent, fromStoredEvent } from './fold.js';
import type { Snapshot } from './snapshot-store.js';

/** An actor's state as of `revision` (-1: no event yet). */
export interface Folded {
  state: AnyMachineSnapshot;
  revision: number;
}

const PAGE = 1000;

/** Metadata key under which each event records the machine version that accepted it. */
export const MACHINE_VERSION_KEY = 'machineVersion';

/**
 * Brings a folded state up to the stream's head: reads the events after `from.revision` and folds them
 * with the pure transition, running no effects. Events of another machine version are upcast by the
 * kind or refused.
 */
export async function catchUp(
  kind: AnyActorKind,
  store: EventStore,
  stream: string,
  from: Folded,
): Promise<Folded> {
  let { state, revision } = from;
  for (;;) {
    const page = await store.readStream(stream, { fromRevision: revision + 1, maxCount: PAGE });
    for (const recorded of page) {
      state = foldRecorded(kind, state, recorded);
      revision = recorded.revision;
    }
    if (page.length < PAGE) return { state, revision };
  }
}

/** Folds one recorded event (replay: no effects). */
export function foldRecorded(
  kind: AnyActorKind,
  state: AnyMachineSnapshot,
  recorded: RecordedEvent,
): AnyMachineSnapshot {
  const event = machineEventOf(kind, recorded);
  try {
    return applyEvent(kind, state, event)[0];
  } catch (error) {
    if (!isBzzzError(error, DomainErrorCode.InvalidTransition)) throw error;
    throw new DomainError(
      DomainErrorCode.MachineVersionMismatch,
      `${recorded.stream}@${recorded.revision}: the ${kind.category} machine v${kind.version} cannot replay ${recorded.type} (${error.message})`,
      { stream: recorded.stream, revision: recorded.revision },
    );
  }
}

function machineEventOf(kind: AnyActorKind, recorded: RecordedEvent): { type: string } {
  const data = (recorded.data ?? {}) as JsonObject;
  const version = recorded.metadata[MACHINE_VERSION_KEY];
  if (version === kind.version) return fromStoredEvent(recorded.type, data);
  const upcast =
    typeof version === 'number' && version < kind.version
      ? kind.upcast?.({ type: recorded.type, data }, version)
      : undefined;
  if (upcast) return upcast;
  throw new DomainError(
    DomainErrorCode.MachineVersionMismatch,
    `${recorded.stream}@${recorded.revision}: ${recorded.type} was recorded by ${kind.category} machine v${String(version)}, ` +
      `this is v${kind.version} and has no upcaster for it`,
    {
      stream: recorded.stream,
      revision: recorded.revision,
      recordedVersion: String(version),
      currentVersion: kind.version,
    },
  );
}

/** The version a snapshot of `kind` is taken under (ActorKind.stateVersion). */
const stateVersionOf = (kind: AnyActorKind) => kind.stateVersion ?? kind.version;

/** Restores a snapshot when it was taken under the current state version (otherwise: fold from zero). */
export function restoreSnapshot(kind: AnyActorKind, snapshot: Snapshot | undefined): Folded | undefined {
  if (!snapshot || snapshot.machineVersion !== stateVersionOf(kind)) return undefined;
  const persisted = snapshot.state as { value: unknown; context: unknown };
  const state = kind.machine.resolveState({
    value: persisted.value as never,
    context: persisted.context as never,
  });
  return { state, revision: snapshot.revision };
}

export function snapshotOf(kind: AnyActorKind, stream: string, folded: Folded): Snapshot {
  const persisted = kind.machine.getPersistedSnapshot(folded.state) as unknown as {
    value: unknown;
    context: unknown;
  };
  const text = JSON.stringify({ value: persisted.value, context: persisted.context });
  return {
    stream,
    revision: folded.revision,
    machineVersion: stateVersionOf(kind),
    state: JSON.parse(text),
    bytes: text.length,
  };
}
