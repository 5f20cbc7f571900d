import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { EventStore } from '../../events/event-store.js';
import { startModuleWorker } from '../../worker-module.js';
import { CheckpointStore } from '../checkpoint-store.js';
import type { ProjectionDefinition } from '../projection.js';
import { type ProjectionLag, projectionLag } from '../projection-lag.js';
import type { ProjectionService } from '../projection-service.js';
import type { ProjectionStatus } from '../projection-view.js';
import { projections } from '../projections.js';
import { announceWrites, writeAnnounced } from '../announced-writes.js';
import { ReadYourWrites } from '../read-your-writes.js';
import { EventForwarder } from './event-forwarder.js';
import type { FromWorker, ProjectionWorkerData } from './protocol.js';
import { ViewMirror } from './view-mirror.js';

export interface ProjectionThreadOptions {
  /**
   * URL of the module whose `projections` export the worker takes the definitions from (by name and
   * version); default: bzzz's own (projections.ts).
   */
  module?: URL | string;
}

/**
 * The projections of a node with a read-model file, applied and written in a worker thread
 * (projection-thread-main.ts) instead of this one: this thread reads `$all` from its store and forwards
 * the events the views read (event-forwarder.ts), mirrors where each view stands from the worker's
 * reports (view-mirror.ts), and answers the read-your-writes waits from the mirrors; the queries read
 * the views through this thread's connection.
 *
 * The views' tables are created on this thread's connection at construction, so queries may run at
 * once. A worker that dies unasked (or fails to start) fails every view with the reason: the waits for
 * them reject, and the views stay as the worker last committed them.
 */
export class ProjectionThread implements ProjectionService {
  readonly #mirrors = new Map<string, ViewMirror>();
  readonly #waits = new ReadYourWrites(this.#mirrors);
  readonly #forwarder: EventForwarder;
  readonly #data: ProjectionWorkerData;
  #worker: Worker | undefined;
  #exited: Promise<void> | undefined;
  #stopping = false;
  #failure: string | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    definitions: readonly ProjectionDefinition[] = projections,
    options: ProjectionThreadOptions = {},
  ) {
    if (db.memory) throw new Error('a projection thread needs a read-model file, not an in-memory database');
    const checkpoints = new CheckpointStore(db);
    for (const definition of definitions) {
      // The tables, before any query: opening is idempotent, the worker opens them again.
      definition.open(db);
      this.#mirrors.set(definition.name, new ViewMirror(definition, checkpoints.get(definition.name)));
    }
    this.#data = {
      path: db.name,
      views: definitions.map(({ name, version }) => ({ name, version })),
      ...(options.module ? { module: String(options.module) } : {}),
    };
    this.#forwarder = new EventForwarder(store, readTypes(definitions), (message) =>
      this.#worker?.postMessage(message),
    );
    // The worker reports every commit (a view's position or state moved) before anything waits on it.
    announceWrites(db);
  }

  start(): void {
    if (this.#worker || this.#stopping) return;
    const worker = startModuleWorker(import.meta.url, 'projection-thread-main', { workerData: this.#data });
    this.#worker = worker;
    // The node's servers keep the process alive, not the worker; stop() holds it while it finishes.
    worker.unref();
    worker.on('message', (message: FromWorker) => this.#receive(message));
    worker.on('error', (error: unknown) => {
      this.#failure ??= error instanceof Error ? error.message : String(error);
    });
    this.#exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.#exit(code);
        resolve();
      });
    });
  }

  /** Lets the worker finish its batch and write its checkpoints; resolves once it has exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    if (worker) {
      worker.ref();
      worker.postMessage({ type: 'stop' });
      await this.#exited;
    } else {
      for (const mirror of this.#mirrors.values()) mirror.halt();
    }
    await this.#forwarder.closeAll();
  }

  /**
   * Ends the worker at once, without letting it write anything more: a crash, for tests of what
   * follows one (the views fail).
   */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
    await this.#exited;
  }

  status(): ProjectionStatus[] {
    return [...this.#mirrors.values()].map((mirror) => mirror.status());
  }

  waitFor(position: bigint | undefined, timeoutMs = 5000, names?: readonly string[]): Promise<void> {
    return this.#waits.waitFor(position, timeoutMs, names);
  }

  noteWrite(position: bigint | undefined, eventTypes: readonly string[]): void {
    this.#waits.noteWrite(position, eventTypes);
  }

  settle(names?: readonly string[], timeoutMs = 5000): Promise<void> {
    return this.#waits.settle(names, timeoutMs);
  }

  lag(): Promise<ProjectionLag[]> {
    return projectionLag(this.store, () => this.status());
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case 'report':
        if (message.statuses.length > 0) writeAnnounced(this.db);
        for (const [id, batches] of message.acks) this.#forwarder.acked(id, batches);
        for (const status of message.statuses) this.#mirrors.get(status.name)?.update(status);
        break;
      case 'subscribe':
        this.#forwarder.subscribe(message.id, message.from);
        break;
      case 'close':
        void this.#forwarder.close(message.id);
        break;
    }
  }

  #exit(code: number): void {
    this.#worker = undefined;
    if (this.#stopping && code === 0 && this.#failure === undefined) {
      for (const mirror of this.#mirrors.values()) mirror.halt();
    } else {
      const reason = `the projection worker ${this.#stopping ? 'failed to stop' : 'exited unexpectedly'} (exit code ${code})${this.#failure ? `: ${this.#failure}` : ''}`;
      for (const mirror of this.#mirrors.values()) mirror.fail(reason);
    }
    void this.#forwarder.closeAll();
  }
}

/** The event types some view reads; undefined when one of them reads them all. */
function readTypes(definitions: readonly ProjectionDefinition[]): ReadonlySet<string> | undefined {
  const types = new Set<string>();
  for (const { eventTypes } of definitions) {
    if (!eventTypes) return undefined;
    for (const type of eventTypes) types.add(type);
  }
  return types;
}
