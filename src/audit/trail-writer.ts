import { BzzzError } from '../errors.js';
import { WrongExpectedRevisionError } from '../events/errors.js';
import type { EventStore } from '../events/event-store.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import {
  CHECKPOINT_EVENT_TYPE,
  checkCheckpoint,
  type SignedCheckpoint,
  signCheckpoint,
} from './checkpoint.js';
import { MerkleTree } from './merkle-tree.js';
import type { TrailDb } from './trail-db.js';
import { bytesEqual, checkpointStream, toHex } from './trail.js';
import { openTrailFeed, type RecordedBatch, type TrailFeed } from './trail-feed.js';

/** Defaults of the checkpoint policy: every 1000 trail events or every 60 s if the trail grew. */
export const DEFAULT_CHECKPOINT_EVERY = 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

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
  /**
   * For the embedded store on a file: read the trail's events from the file in a worker thread
   * (default true), rather than follow the store's subscription on this thread (trail-feed.ts).
   */
  readStoreFile?: boolean;
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
  readonly #readStoreFile: boolean;
  readonly #tree: MerkleTree;
  readonly #waiters = new Set<() => void>();
  #followed: bigint | undefined;
  /** Reads, hashes and records the trail's events (trail-feed.ts): the tree only ever holds recorded leaves. */
  #feed: TrailFeed | undefined;
  #last: KnownCheckpoint | undefined;
  /** Revision of the last event of the checkpoint stream (-1: none), for optimistic appends. */
  #streamRevision = -1;
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
    this.#readStoreFile = options.readStoreFile ?? true;
    this.#tree = new MerkleTree();
    for (const hash of options.db.leafHashes()) this.#tree.appendLatin1(hash);
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
    this.#feed = await openTrailFeed({
      store: this.#store,
      db: this.#db,
      trail: this.trail,
      frontier: this.#tree.frontier(),
      followed: this.#followed,
      // Someone waits, or the writer is stopping: the feed does not pause until it has caught up.
      urgent: () => this.#waiters.size > 0 || this.#state !== 'running',
      readStoreFile: this.#readStoreFile,
    });
    this.#state = 'running';
    this.#loop = this.#follow(this.#feed);
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
  }

  async #caughtUp(position: bigint): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#followed !== undefined && this.#followed >= position) resolve();
        else if (this.#state === 'failed') reject(this.#error);
        else if (this.#state !== 'running') resolve();
        else return;
        this.#waiters.delete(check);
        if (this.#waiters.size === 0) this.#feed?.relax();
      };
      this.#waiters.add(check);
      check();
      // Someone waits for the writer to catch up: no pause until it has (see trail-feed.ts).
      if (this.#waiters.has(check)) this.#feed?.hurry();
    });
  }

  /**
   * Signs and appends a checkpoint of the current tree if it grew since the latest one; returns the
   * checkpoint now latest (undefined: the trail is empty).
   */
  checkpoint(): Promise<SignedCheckpoint | undefined> {
    return this.#sign(() => this.#tree.size);
  }

  /** Signs, after whatever signing is under way, the tree at the size `size()` gives then. */
  #sign(size: () => number): Promise<SignedCheckpoint | undefined> {
    const run = this.#signing.then(() => this.#checkpointNow(size()));
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
    await this.#feed?.stop();
    await this.#loop;
    this.#notify();
    await this.#signing;
    await this.#feed?.close();
    if (this.#state === 'failed') throw this.#error;
    if (this.#state === 'new') this.#state = 'stopped';
    return this.#checkpointNow(this.#tree.size);
  }

  /** Signs the tree at `size` (at most the current size) if that extends the latest checkpoint. */
  async #checkpointNow(wanted: number): Promise<SignedCheckpoint | undefined> {
    if (this.#state === 'failed') throw this.#error;
    const stream = checkpointStream(this.trail);
    for (let attempt = 1; ; attempt++) {
      const size = Math.min(wanted, this.#tree.size);
      if (size === 0 || size <= (this.#last?.size ?? 0)) return this.#last?.checkpoint;
      this.#assertExtendsLast();
      // The tree only holds recorded leaves: what is signed is in the audit database (inclusion
      // proofs are built from it).
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

  async #follow(feed: TrailFeed): Promise<void> {
    try {
      for (let batch = await feed.next(); batch !== undefined; batch = await feed.next()) {
        this.#apply(batch);
        // Every `checkpointEvery` events exactly, however many a batch brought (the tree answers for any
        // earlier size).
        while (this.#tree.size - (this.#last?.size ?? 0) >= this.#every) {
          await this.#sign(() => (this.#last?.size ?? 0) + this.#every);
        }
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
    this.#onError(error);
    this.#notify();
    await this.#feed?.stop();
  }

  /** Extends the in-memory tree with a batch the feed has recorded (with the position followed). */
  #apply(batch: RecordedBatch): void {
    const { count, leaves, upper } = batch;
    if (count > 0) {
      if (upper) this.#tree.appendComputed(leaves, count, upper);
      else this.#tree.appendPacked(leaves, count);
    }
    this.#followed = batch.followed ?? this.#followed;
    this.#notify();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
