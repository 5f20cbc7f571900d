import type { AnyMachineSnapshot } from 'xstate';
import type { JsonObject } from '../events/json.js';
import type { ActorCell } from './actor-cell.js';
import type { AnyActorKind } from './actor-kind.js';
import type { Folded } from './rehydrate.js';

/** What a command did: the events it appended (none when nothing happened) and the state after. */
export interface CommandResult {
  stream: string;
  actorId: string;
  events: { type: string; revision: number }[];
  /** The actor's revision after the command (-1: the actor has no event). */
  revision: number;
  /** `$all` position of the last appended event: wait for it to read your writes in projections. */
  position?: bigint;
  /** The kind's view of the actor after the command (built when first read). */
  state: JsonObject;
  /** The machine snapshot after the command, for callers that need one field rather than the view: read only. */
  snapshot: AnyMachineSnapshot;
}

const RESULT_PARTS = Symbol('bzzz.commandResultParts');

interface ResultParts {
  kind: AnyActorKind;
  view?: JsonObject;
}

/*
 * One getter shared by every result, so that results share one hidden class: a getter written in an
 * object literal is a new closure per result and gives each a hidden class of its own, which keeps the
 * state it closes over out of reach of the young generation's collections.
 */
const LAZY_VIEW: PropertyDescriptor = {
  enumerable: true,
  get(this: { snapshot: AnyMachineSnapshot; [RESULT_PARTS]: ResultParts }) {
    const parts = this[RESULT_PARTS];
    return (parts.view ??= parts.kind.view(this.snapshot));
  },
};

/** The result of a command on `cell` that left it at `folded`, with the events it appended (if any). */
export function commandResult(
  cell: ActorCell,
  folded: Folded,
  events: CommandResult['events'],
  position?: bigint,
): CommandResult {
  const result = {
    stream: cell.stream,
    actorId: cell.actorId,
    events,
    revision: folded.revision,
    snapshot: folded.state,
  };
  Object.defineProperty(result, RESULT_PARTS, { value: { kind: cell.kind } satisfies ResultParts });
  // Built on first read: most senders need only the revision and the position.
  Object.defineProperty(result, 'state', LAZY_VIEW);
  if (position !== undefined) (result as { position?: bigint }).position = position;
  return result as CommandResult;
}
