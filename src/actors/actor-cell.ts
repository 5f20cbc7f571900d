import type { AnyActorKind } from './actor-kind.js';
import { Mailbox } from './mailbox.js';
import type { Folded } from './rehydrate.js';

/** A live actor in memory: its kind, its folded state (loaded on first use) and its mailbox. */
export class ActorCell {
  readonly mailbox = new Mailbox();
  folded: Folded | undefined;
  lastUsed: number;
  /** The actor system's count of cell insertions when this cell was last put at the back of its order. */
  insertedAt = 0;
  /** The revision before which this actor takes no snapshot (ActorSystem: large states less often). */
  snapshotNotBefore = 0;

  constructor(
    readonly kind: AnyActorKind,
    readonly actorId: string,
    readonly stream: string,
    now: number,
  ) {
    this.lastUsed = now;
  }

  get idle(): boolean {
    return this.mailbox.pending === 0;
  }
}
