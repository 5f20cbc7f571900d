import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { auditDbPath, TrailDb } from '../../src/audit/trail-db.js';
import { TrailWriter, type TrailWriterOptions } from '../../src/audit/trail-writer.js';
import type { EventStore } from '../../src/events/event-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../src/identity/node-identity.js';
import { lampKind } from '../support/lamp-kind.js';

/**
 * A node's data directory in a temp dir: its key, an embedded store and the audit database, with
 * helpers to fill the trail through real actor commands and to reopen everything after editing the
 * SQLite file directly.
 */
export class TrailFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'bzzz-audit-'));
  readonly storePath = join(this.dir, 'events.db');
  readonly auditPath = auditDbPath(this.dir);
  readonly identity: NodeIdentity = loadOrCreateNodeIdentity(this.dir);
  store: EventStore;
  db: TrailDb;
  #clock: () => number;
  #stores: EventStore[] = [];
  readonly #installed = new Set<string>();

  constructor(options: { clock?: () => number } = {}) {
    this.#clock = options.clock ?? Date.now;
    this.store = this.#openStore();
    this.db = TrailDb.open(this.auditPath, this.identity.nodeId);
  }

  get trail(): string {
    return this.identity.nodeId;
  }

  #openStore(): EventStore {
    const store = openSqliteEventStore({
      path: this.storePath,
      nodeId: this.identity.nodeId,
      clock: this.#clock,
    });
    this.#stores.push(store);
    return store;
  }

  writer(options: Partial<TrailWriterOptions> = {}): TrailWriter {
    return new TrailWriter({
      store: this.store,
      identity: this.identity,
      db: this.db,
      checkpointIntervalMs: 0,
      ...options,
    });
  }

  actors(): ActorSystem {
    return new ActorSystem({ store: this.store, kinds: [lampKind] });
  }

  /** Real commands on a few lamps: `count` events in all, spread over `lamps` streams. */
  async runLamps(count: number, lamps = 3, system = this.actors()): Promise<void> {
    for (let i = 0; i < count; i++) {
      const lamp = `l${i % lamps}`;
      if (this.#installed.has(lamp)) {
        await system.send('lamp', lamp, { type: 'Press', by: `user-${i}` });
      } else {
        this.#installed.add(lamp);
        await system.send('lamp', lamp, { type: 'Install', room: `room-${i}` });
      }
    }
  }

  /** Events written by another node (replicated, say): in the log, not in this trail. */
  async foreignEvents(count: number, author = '12D3KooWOtherNodeOtherNodeOtherNode'): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.store.append('foreign-1', [{ type: 'Noted', data: { i }, metadata: { author } }]);
    }
  }

  /** Fills the trail and runs a writer over it that checkpoints every `every` events, then stops. */
  async filledTrail(events: number, every: number): Promise<void> {
    const writer = this.writer({ checkpointEvery: every });
    await writer.start();
    await this.runLamps(events);
    await this.foreignEvents(3);
    await writer.stop();
  }

  /** Closes the store and the audit database, runs `edit` on the raw SQLite store file, reopens both. */
  async editStoreFile(edit: (db: Database.Database) => void): Promise<void> {
    await this.store.close();
    this.db.close();
    const raw = new Database(this.storePath);
    try {
      edit(raw);
    } finally {
      raw.close();
    }
    this.store = this.#openStore();
    this.db = TrailDb.open(this.auditPath, this.identity.nodeId);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#stores.map((store) => store.close()));
    try {
      this.db.close();
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Rows of the raw `events` table, in position order. */
export function rawEvents(db: Database.Database): {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}[] {
  return db
    .prepare(
      'SELECT position, stream, revision, event_id, type, data, metadata FROM events ORDER BY position',
    )
    .all() as never;
}
