import type { EventStore } from '../events/event-store.js';
import type { TrailDb } from './trail-db.js';

/** What both passes of store verification (verify-trail.ts, verify-fast.ts) share. */

/** How far a long verification has got. */
export interface VerifyProgress {
  /** Between 0 and 1. */
  fraction: number;
  /** Log entries (or bundle lines) read so far. */
  scanned: number;
  trailEvents: number;
  checkpoints: number;
  eventsPerSecond: number;
  etaSeconds: number | undefined;
}

export interface ProgressOptions {
  onProgress?: (progress: VerifyProgress) => void;
  /** Least time between two progress reports (ms, default 200). */
  progressIntervalMs?: number;
  now?: () => number;
}

export interface VerifyTrailOptions extends ProgressOptions {
  store: EventStore;
  /** Node id of the trail to verify. */
  trail: string;
  /** The trail's public key when the verifier already knows it (else: taken from the checkpoints). */
  publicKey?: Uint8Array;
  /** The audit database: when given, every event is also compared with the leaf recorded for it. */
  recorded?: TrailDb;
  pageSize?: number;
  /** Most issues kept in the report (all are counted). */
  maxIssues?: number;
  /**
   * For the embedded store on a file: whether the fast pass reads the log from the file in a worker
   * thread, beside its hashing (store-file-pages.ts). Default: when the log is long enough for the
   * worker to pay for its start.
   */
  readStoreFile?: boolean;
}

export const DEFAULT_PAGE = 2000;

/** The last position of `$all`, for progress (0: empty, or its last entry cannot be read). */
export async function logHead(store: EventStore): Promise<bigint> {
  try {
    const [last] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    return last?.position ?? 0n;
  } catch {
    // An unreadable last entry: verification reads on and reports it in its place.
    return 0n;
  }
}

/** Progress of a scan of `$all` up to `head`, reported at most every `progressIntervalMs`. */
export class LogProgress {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #head: bigint;
  readonly #started: number;
  #last: number;

  constructor(options: ProgressOptions, head: bigint) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#head = head;
    this.#started = this.#now();
    this.#last = this.#started;
  }

  /** Reports if the interval has passed since the last report. */
  maybe(position: bigint, counts: Pick<VerifyProgress, 'scanned' | 'trailEvents' | 'checkpoints'>): void {
    if (!this.#options.onProgress) return;
    if (this.#now() - this.#last < (this.#options.progressIntervalMs ?? 200)) return;
    this.#last = this.#now();
    this.report(position, counts);
  }

  report(position: bigint, counts: Pick<VerifyProgress, 'scanned' | 'trailEvents' | 'checkpoints'>): void {
    if (!this.#options.onProgress) return;
    const head = this.#head;
    const seconds = Math.max(1e-3, (this.#now() - this.#started) / 1000);
    const fraction = head > 0n ? Math.min(1, Number((position * 10_000n) / head) / 10_000) : 1;
    this.#options.onProgress({
      fraction,
      ...counts,
      eventsPerSecond: counts.scanned / seconds,
      etaSeconds: fraction > 0 ? (seconds / fraction) * (1 - fraction) : undefined,
    });
  }
}
