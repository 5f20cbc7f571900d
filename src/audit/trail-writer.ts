import { BzzzError } from '../errors.js';
import { WrongExpectedRevisionError } from '../events/errors.js';
import { subscriptionBatches } from '../events/subscription-batches.js';
import type { EventStore } from '../events/event-store.js';
import type { RecordedEvent, Subscription } from '../events/types.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import {
  CHECKPOINT_EVENT_TYPE,
  checkCheckpoint,
  type SignedCheckpoint,
  signCheckpoint,
} from './checkpoint.js';
import { MerkleTree } from './merkle-tree.js';
import type { LeafRecord, TrailDb } from './trail-db.js';
import { bytesEqual, checkpointStream, eventLeafHash, isTrailEvent, toHex } from './trail.js';

/** Defaults of the checkpoint policy: every 1000 trail events or every 60 s if the trail grew. */
export const DEFAULT_CHECKPOINT_EVERY = 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

const MAX_BATCH = 1000;
/**
 * Leaves are written to the audit database in groups: under live load the subscription delivers a few
 * dozen events at a time, and one transaction per delivery cost more than hashing them. A group is
 * written once it holds this many leaves, PERSIST_DELAY_MS after its first one, and always before a
 * checkpoint is signed, at flush() and at stop(). Until then the position followed is not recorded
 * either, so a crash only makes the writer read those events again.
 */
const PERSIST_EVERY = 1000;
const PERSIST_DELAY_MS = 100;
const APPEND_ATTEMPTS = 5;

export interface TrailWriterOptions {
  store: EventStore;
  identity: NodeIdentity;
  /** The audit database of this node's trail (see trail-db.ts). */
  db: TrailDb;
  /** Sign a checkpoint once the trail has grown by this many events since the last one. */
  checkpointEvery?: number;
  /** Sign a checkpoint this often (ms) when the trail has grown; 0 turns the timer off. */
  checkpointIntervalMs?: number;
  /** Milliseconds since the epoch: the checkpoints' `time`. */
  now?: () => number;
  /** Failures of the background work (following `$all`, timed checkpoints). */
  onError?: (error: unknown) => void;
}

/** The latest valid checkpoint in the node's `audit-` stream. */
interface KnownCheckpoint {
  size: number;
  root: Uint8Array;
  checkpoint: SignedCheckpoint;
}

/** The trail writer was asked to sign a tree that does not extend what the node already signed. */
export class TrailDivergedError extends BzzzError {
  constructor(message: string, details: Record<string, string | number> = {}) {
    super('AUDIT_TRAIL_DIVERGED', message, details);
  }
}

/**
 * Maintains the node's trail: follows `$all` from where it stopped, records each authored event's leaf
 * (trail index, event, leaf hash) in the audit database, keeps the RFC 6962 tree in memory, and appends
 * signed checkpoints to `audit-<nodeId>` every `checkpointEvery` events, every `checkpointIntervalMs`
 * if the trail grew, and at `stop()`.
 *
 * It never signs a tree that does not extend the latest checkpoint already in the log (that would be
 * equivocation); it fails with AUDIT_TRAIL_DIVERGED instead.
 */
export class TrailWriter {
  readonly #store: EventStore;
  readonly #identity: NodeIdentity;
  readonly #db: TrailDb;
  readonly #every: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #tree: MerkleTree;
  readonly #waiters = new Set<() => void>();
  #followed: bigint | undefined;
  /** Leaves in the tree not yet in the audit database, and whether #followed is not recorded yet. */
  #unrecorded: LeafRecord[] = [];
  #followedUnrecorded = false;
  #persistTimer: NodeJS.Timeout | undefined;
  #last: KnownCheckpoint | undefined;
  /** Revision of the last event of the checkpoint stream (-1: none), for optimistic appends. */
  #streamRevision = -1;
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerTicks = 0;
  #state: 'new' | 'running' | 'stopped' | 'failed' = 'new';
  #error: unknown;
  #signing: Promise<unknown> = Promise.resolve();

  constructor(options: TrailWriterOptions) {
    if (options.db.trail !== options.identity.nodeId) {
      throw new BzzzError('AUDIT_DB_MISMATCH', `the audit database is for trail ${options.db.trail}`);
    }
    this.#store = options.store;
    this.#identity = options.identity;
    this.#db = options.db;
    this.#every = Math.max(1, options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
    this.#intervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#tree = new MerkleTree(options.db.leafHashes());
    this.#followed = options.db.followed;
  }

  get trail(): string {
    return this.#identity.nodeId;
  }

  /** Number of trail events recorded so far. */
  get size(): number {
    return this.#tree.size;
  }

  /** The last `$all` position processed. */
  get followed(): bigint | undefined {
    return this.#followed;
  }

  /** The in-memory tree (read it, never append to it). */
  get tree(): MerkleTree {
    return this.#tree;
  }

  /** The latest valid checkpoint of this trail known to the writer. */
  get latestCheckpoint(): SignedCheckpoint | undefined {
    return this.#last?.checkpoint;
  }

  get state(): 'new' | 'running' | 'stopped' | 'failed' {
    return this.#state;
  }

  /** Current RFC 6962 root of the trail. */
  root(): Uint8Array {
    return this.#tree.root();
  }

  /** Reads the latest checkpoint, then follows `$all` from where the audit database stopped. */
  /** How many times the checkpoint timer has fired (it signs only when the trail grew). */
  get timerTicks(): number {
    return this.#timerTicks;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`the trail writer is ${this.#state}`);
    await this.#loadLatestCheckpoint();
    this.#assertExtendsLast();
    const from = this.#followed;
    this.#subscription = this.#store.subscribeToAll({ from: from === undefined ? 'start' : { after: from } });
    this.#state = 'running';
    this.#loop = this.#follow(this.#subscription);
    if (this.#intervalMs > 0) {
      this.#timer = setInterval(() => {
        this.#timerTicks++;
        if (this.#tree.size > (this.#last?.size ?? 0)) {
          this.checkpoint().catch((error) => this.#onError(error));
        }
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Resolves once every event in `$all` at the time of the call has been processed. */
  async flush(): Promise<void> {
    const [head] = await this.#store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    if (head !== undefined) await this.#caughtUp(head.position);
    this.#persist();
  }

  async #caughtUp(position: bigint): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#followed !== undefined && this.#followed >= position) resolve();
        else if (this.#state === 'failed') reject(this.#error);
        else if (this.#state !== 'running') resolve();
        else return;
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * Signs and appends a checkpoint of the current tree if it grew since the latest one; returns the
   * checkpoint now latest (undefined: the trail is empty).
   */
  checkpoint(): Promise<SignedCheckpoint | undefined> {
    const run = this.#signing.then(() => this.#checkpointNow());
    this.#signing = run.catch(() => {});
    return run;
  }

  /**
   * Processes what is already in `$all`, stops following, and signs a final checkpoint if the trail
   * grew. Rejects if the writer had failed (nothing is signed then).
   */
  async stop(): Promise<SignedCheckpoint | undefined> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#state === 'running') await this.flush();
    if (this.#state === 'running') this.#state = 'stopped';
    await this.#subscription?.close();
    await this.#loop;
    this.#notify();
    await this.#signing;
    if (this.#state === 'failed') throw this.#error;
    this.#persist();
    if (this.#state === 'new') this.#state = 'stopped';
    return this.#checkpointNow();
  }

  async #checkpointNow(): Promise<SignedCheckpoint | undefined> {
    const stream = checkpointStream(this.trail);
    for (let attempt = 1; ; attempt++) {
      const size = this.#tree.size;
      if (size === 0 || size <= (this.#last?.size ?? 0)) return this.#last?.checkpoint;
      this.#assertExtendsLast();
      // What is signed is in the audit database first (inclusion proofs are built from it).
      this.#persist();
      const root = this.#tree.rootAt(size);
      const checkpoint = signCheckpoint(this.#identity, { size, root, time: new Date(this.#now()) });
      try {
        const result = await this.#store.append(
          stream,
          [{ type: CHECKPOINT_EVENT_TYPE, data: { ...checkpoint } }],
          { expectedRevision: this.#streamRevision < 0 ? 'no_stream' : this.#streamRevision },
        );
        this.#streamRevision = result.nextExpectedRevision;
        this.#last = { size, root, checkpoint };
        return checkpoint;
      } catch (error) {
        // Another writer of this node (a CLI next to the server) signed meanwhile: take up its checkpoint.
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= APPEND_ATTEMPTS) throw error;
        await this.#loadLatestCheckpoint();
      }
    }
  }

  async #loadLatestCheckpoint(): Promise<void> {
    const stream = checkpointStream(this.trail);
    const page = await this.#store.readStream(stream, { direction: 'backwards', maxCount: 100 });
    this.#streamRevision = page[0]?.revision ?? -1;
    for (const event of page) {
      if (event.type !== CHECKPOINT_EVENT_TYPE) continue;
      const check = checkCheckpoint(event.data, this.trail, this.#identity.publicKey);
      if (!check.ok) continue;
      if (!this.#last || check.checkpoint.size >= this.#last.size) {
        this.#last = { size: check.checkpoint.size, root: check.root, checkpoint: check.checkpoint };
      }
      return;
    }
  }

  /** The tree must reproduce the latest signed root at its size before anything more is signed. */
  #assertExtendsLast(): void {
    const last = this.#last;
    if (!last || this.#tree.size < last.size) return;
    const root = this.#tree.rootAt(last.size);
    if (!bytesEqual(root, last.root)) {
      throw new TrailDivergedError(
        `the recorded trail has root ${toHex(root)} at size ${last.size}, but the node signed ${last.checkpoint.root}: ` +
          'refusing to sign a checkpoint that would not be consistent with it (run `bzzz audit verify`)',
        { size: last.size, recorded: toHex(root), signed: last.checkpoint.root },
      );
    }
  }

  async #follow(subscription: Subscription): Promise<void> {
    try {
      for await (const batch of subscriptionBatches(subscription, MAX_BATCH)) {
        this.#apply(batch);
        if (this.#tree.size - (this.#last?.size ?? 0) >= this.#every) await this.checkpoint();
      }
    } catch (error) {
      await this.#fail(error);
    } finally {
      this.#notify();
    }
  }

  async #fail(error: unknown): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'failed';
    this.#error = error;
    clearTimeout(this.#persistTimer);
    this.#onError(error);
    this.#notify();
    await this.#subscription?.close();
  }

  /** Extends the in-memory tree with the batch's trail leaves; they are recorded by #persist. */
  #apply(events: readonly RecordedEvent[]): void {
    const leaves: LeafRecord[] = [];
    for (const event of events) {
      if (!isTrailEvent(event, this.trail)) continue;
      leaves.push({
        index: this.#tree.size + leaves.length,
        eventId: event.id,
        position: event.position,
        stream: event.stream,
        revision: event.revision,
        leaf: eventLeafHash(event),
      });
    }
    const last = events[events.length - 1];
    for (const leaf of leaves) {
      this.#tree.append(leaf.leaf);
      this.#unrecorded.push(leaf);
    }
    if (last) {
      this.#followed = last.position;
      this.#followedUnrecorded = true;
    }
    if (this.#unrecorded.length >= PERSIST_EVERY) this.#persist();
    else if (this.#persistTimer === undefined && this.#followedUnrecorded) {
      this.#persistTimer = setTimeout(() => {
        this.#persistTimer = undefined;
        try {
          this.#persist();
        } catch (error) {
          void this.#fail(error);
        }
      }, PERSIST_DELAY_MS);
      this.#persistTimer.unref();
    }
    this.#notify();
  }

  /**
   * Records the leaves applied since the last call and the position followed, in one transaction.
   * A conflict with what the database holds (AUDIT_DB_CONFLICT) is thrown to the caller.
   */
  #persist(): void {
    clearTimeout(this.#persistTimer);
    this.#persistTimer = undefined;
    if (this.#unrecorded.length === 0 && !this.#followedUnrecorded) return;
    // Cleared only once recorded: after a conflict, every later attempt (a checkpoint) fails again.
    this.#db.record(this.#unrecorded, this.#followed);
    this.#unrecorded = [];
    this.#followedUnrecorded = false;
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
