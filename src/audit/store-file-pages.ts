import type { Worker } from 'node:worker_threads';
import { type CanonicalPage, readAllCanonical } from '../events/canonical-reads.js';
import type { EventStore } from '../events/event-store.js';
import { embeddedStoreFile } from '../events/sqlite/store-file.js';
import { startModuleWorker } from '../worker-module.js';
import {
  NEXT_RANGE,
  type PageMessage,
  type PagesData,
  type PagesReply,
  TAKEN_RANGES,
} from './store-file-pages-protocol.js';

/** Pages a worker reads ahead of verification at most (each is `pageSize` entries). */
const DEPTH = 3;

export interface CanonicalPagesOptions {
  author: string;
  excludeStreamPrefixes: string[];
  fromPosition: bigint;
  pageSize: number;
  /**
   * For the embedded store on a file: read the pages from the file in a worker thread, beside the
   * caller's work on them (true), or on this thread through the store (false).
   */
  readStoreFile: boolean;
}

/** Canonical pages of `$all`, in order, from `fromPosition` to the end of the log. */
export interface CanonicalPages {
  /** The next page; a page with fewer than `pageSize` entries is the last one. */
  next(): Promise<CanonicalPage>;
  /** Resolves once a worker reads the pages (true; until then this thread does), or never will (false). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The canonical pages of `$all` (canonical-reads.ts) for a scan of the whole log (verification):
 * when asked and possible, read by a worker thread from the embedded store's file
 * (store-file-pages-main.ts), so that SQL composes the next pages while the caller hashes this one;
 * else by `readAllCanonical` on this thread. This thread still reads the first page, every page until
 * the worker has opened the file (starting a thread takes a while), any page the worker has not
 * started on when it is wanted, and, rather than wait for the worker (on a busy machine it may be
 * waiting for a core), the next free one or, if none is, the one wanted: whoever is free reads
 * (store-file-pages-protocol.ts), and this thread never waits. The pages are the same either way.
 */
export function openCanonicalPages(store: EventStore, options: CanonicalPagesOptions): CanonicalPages {
  const file = options.readStoreFile ? embeddedStoreFile(store) : undefined;
  if (file === undefined) {
    let from = options.fromPosition;
    return {
      async next() {
        const page = await readHere(store, options, from);
        if (page.last !== undefined) from = page.last + 1n;
        return page;
      },
      ready: async () => false,
      async close() {},
    };
  }
  return new PagesFromFile(store, options, file);
}

function readHere(store: EventStore, options: CanonicalPagesOptions, from: bigint): Promise<CanonicalPage> {
  return readAllCanonical(store, {
    author: options.author,
    excludeStreamPrefixes: options.excludeStreamPrefixes,
    fromPosition: from,
    maxCount: options.pageSize,
  });
}

type Arrived = { page: CanonicalPage } | { error: unknown };

class PagesFromFile implements CanonicalPages {
  readonly #store: EventStore;
  readonly #options: CanonicalPagesOptions;
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #opened: Promise<boolean>;
  readonly #claims = new Int32Array(new SharedArrayBuffer(8));
  /** Pages the worker has read, by range. */
  readonly #arrived = new Map<number, Arrived>();
  #ready = false;
  /** The worker is gone (closed, failed or never started): it reads nothing more. */
  #gone = false;
  #startSent = false;
  /** Where range 0 starts: after the first page (undefined: not read yet). */
  #start: bigint | undefined;
  /** The next range wanted. */
  #range = 0;
  /** Set when the ranges do not cut the log into pages (a gap in the positions): read on in order here. */
  #inOrderFrom: bigint | undefined;

  constructor(store: EventStore, options: CanonicalPagesOptions, file: string) {
    this.#store = store;
    this.#options = options;
    const data: PagesData = {
      storeFile: file,
      author: options.author,
      excludeStreamPrefixes: options.excludeStreamPrefixes,
      pageSize: options.pageSize,
      depth: DEPTH,
      claims: this.#claims.buffer as SharedArrayBuffer,
    };
    this.#worker = startModuleWorker(import.meta.url, 'store-file-pages-main', { workerData: data });
    let opened!: (ready: boolean) => void;
    this.#opened = new Promise((resolve) => (opened = resolve));
    this.#worker.on('message', (reply: PagesReply) => {
      if ('ready' in reply) opened((this.#ready = true));
      else if ('page' in reply) this.#arrive(reply.range, { page: pageOf(reply.page) });
      else if ('error' in reply) this.#arrive(reply.range, { error: new Error(reply.error) });
      else this.#gone = true;
    });
    this.#worker.on('error', () => (this.#gone = true));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        opened(false);
        this.#gone = true;
        resolve();
      }),
    );
  }

  async next(): Promise<CanonicalPage> {
    // A turn of the event loop before reading here, until the worker's `ready` is seen.
    if (!this.#ready && !this.#gone) await new Promise((resolve) => setImmediate(resolve));
    if (this.#start === undefined) {
      const page = await readHere(this.#store, this.#options, this.#options.fromPosition);
      if (page.scanned === this.#options.pageSize) this.#start = page.last! + 1n;
      return page;
    }
    if (this.#inOrderFrom !== undefined) {
      const page = await readHere(this.#store, this.#options, this.#inOrderFrom);
      if (page.last !== undefined) this.#inOrderFrom = page.last + 1n;
      return page;
    }
    const range = this.#range;
    let yielded = false;
    for (;;) {
      if (this.#ready && !this.#gone && !this.#startSent) {
        this.#startSent = true;
        this.#worker.postMessage({ start: this.#start.toString() });
      }
      const arrived = this.#arrived.get(range);
      if (arrived !== undefined) {
        if ('error' in arrived) throw arrived.error;
        return this.#took(range, arrived.page);
      }
      // Not claimed by the worker yet (or it is gone): read it here.
      if (this.#gone || this.#claim(range)) return this.#took(range, await this.#readRange(range));
      // The worker has it: let in what it has sent meanwhile.
      if (!yielded) {
        yielded = true;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      // It is still reading it: read a later range meanwhile, if one is free and within reach…
      const later = Atomics.load(this.#claims, NEXT_RANGE);
      if (later - range <= DEPTH && this.#claim(later)) {
        const read = this.#readRange(later);
        this.#arrived.set(
          later,
          await read.then(
            (page) => ({ page }),
            (error: unknown) => ({ error }),
          ),
        );
        yielded = false;
        continue;
      }
      // …else read it here too rather than wait for a worker that may be waiting for a core (its copy
      // is dropped).
      return this.#took(range, await this.#readRange(range));
    }
  }

  ready(): Promise<boolean> {
    return this.#opened;
  }

  async close(): Promise<void> {
    if (!this.#gone) this.#worker.postMessage('close');
    await this.#exited;
  }

  /** Claims range `range` for this thread if nobody has yet (the worker claims ranges in order too). */
  #claim(range: number): boolean {
    return Atomics.compareExchange(this.#claims, NEXT_RANGE, range, range + 1) === range;
  }

  #rangeStart(range: number): bigint {
    return this.#start! + BigInt(range) * BigInt(this.#options.pageSize);
  }

  #readRange(range: number): Promise<CanonicalPage> {
    return readHere(this.#store, this.#options, this.#rangeStart(range));
  }

  /** Range `range`'s page, taken: the worker may read further ahead. */
  #took(range: number, page: CanonicalPage): CanonicalPage {
    this.#arrived.delete(range);
    this.#range = range + 1;
    Atomics.store(this.#claims, TAKEN_RANGES, range + 1);
    const end = this.#rangeStart(range + 1);
    if (page.scanned === this.#options.pageSize && page.last !== end - 1n) {
      // A gap in the positions: the page is right (read from the range's start), the ranges after it
      // are not pages; read on in order from after it, here.
      this.#inOrderFrom = page.last! + 1n;
      if (!this.#gone) this.#worker.postMessage('close');
    } else if (this.#startSent && !this.#gone) {
      this.#worker.postMessage('took');
    }
    return page;
  }

  #arrive(range: number, arrived: Arrived): void {
    // A range already taken was read here too.
    if (range >= this.#range) this.#arrived.set(range, arrived);
  }
}

function pageOf(message: PageMessage): CanonicalPage {
  return {
    scanned: message.scanned,
    last: message.last === null ? undefined : BigInt(message.last),
    composed: {
      count: message.count,
      positions: Array.from(message.positions),
      bytes: Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
      offsets: message.offsets,
    },
    parsed: message.parsed,
    parsedAfter: message.parsedAfter,
    fromStoredText: message.fromStoredText,
  };
}
