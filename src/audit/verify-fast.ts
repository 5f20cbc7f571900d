import type { CanonicalPage } from '../events/canonical-reads.js';
import type { RecordedEvent } from '../events/types.js';
import { HASH_SIZE, leafHashInPlace } from './rfc6962-hash.js';
import { TrailChecker, type TrailReport } from './trail-checks.js';
import type { LeafRun } from './leaf-runs.js';
import { type CanonicalPages, openCanonicalPages } from './store-file-pages.js';
import type { TrailDb } from './trail-db.js';
import { AUDIT_STREAM_PREFIX, checkpointStream, eventLeafHash, isTrailEvent } from './trail.js';
import { DEFAULT_PAGE, LogProgress, logHead, type VerifyTrailOptions } from './verify-common.js';

const RECORDED_RUN = 4096;
/** Entries per read when reading events again, parsed, to vouch for their leaves. */
const RECHECK_PAGE = 2000;
/** Entries of `$all` from which the log is read in a worker by default (its start costs some ms). */
const WORKER_FROM_ENTRIES = 20_000;

/**
 * The fast pass of store verification. The full pass (verify-trail.ts) parses every event and
 * re-serialises it canonically; this one hashes the trail events' canonical bytes as the store composes
 * them from its stored text (canonical reads: for the embedded store, one SQL query and one buffer per
 * page, nothing parsed), and builds the tree with no Buffer per hash. Checkpoints, and events the store
 * gives parsed, take the full pass's path.
 *
 * Bytes composed from stored text are the canonical bytes only as long as the row holds what the store
 * wrote. So the pass keeps a leaf only when something vouches for it:
 * - the leaf recorded for that position in the audit database is equal to it (the writer computed it
 *   from the event's canonical bytes), or
 * - a checkpoint that matches the events covers it (the node signed a root over canonical bytes);
 * and in both cases the bytes have exactly one `","metadata":` (see `MemberScan`). Leaves
 * nothing vouches for (events after the last checkpoint and beyond the audit database, say) are
 * re-read parsed and recomputed as the full pass does.
 *
 * It returns the report only when it is clean, which then is word for word the full pass's: same
 * leaves, same tree, same checkpoints. At the first problem of any kind it returns undefined, and the
 * caller runs the full pass, which names every problem.
 */
export async function verifyTrailFast(options: VerifyTrailOptions): Promise<TrailReport | undefined> {
  try {
    return await fastPass(options);
  } catch {
    // An unreadable page, a malformed audit database…: the full pass reads on and names it.
    return undefined;
  }
}

async function fastPass(options: VerifyTrailOptions): Promise<TrailReport | undefined> {
  const head = await logHead(options.store);
  const pages = openCanonicalPages(options.store, {
    author: options.trail,
    excludeStreamPrefixes: [AUDIT_STREAM_PREFIX],
    fromPosition: 0n,
    pageSize: options.pageSize ?? DEFAULT_PAGE,
    readStoreFile: options.readStoreFile ?? head >= WORKER_FROM_ENTRIES,
  });
  try {
    return await scan(options, pages, head);
  } finally {
    await pages.close();
  }
}

/** The pass over the pages of the whole log, up to `head` (for progress). */
async function scan(
  options: VerifyTrailOptions,
  pages: CanonicalPages,
  head: bigint,
): Promise<TrailReport | undefined> {
  const { trail } = options;
  const pageSize = options.pageSize ?? DEFAULT_PAGE;
  const checker = new TrailChecker(trail, options.publicKey);
  const recorded = options.recorded && new RecordedRun(options.recorded);
  const auditStream = checkpointStream(trail);
  const progress = new LogProgress(options, head);
  /** Composed leaves nothing has vouched for yet. */
  const unvouched: Unvouched[] = [];
  let scanned = 0;
  const counts = () => ({ scanned, trailEvents: checker.tree.size, checkpoints: checker.checkpointEvents });

  /** An entry the store gave parsed, as the full pass takes it; false: not clean. */
  const parsedEntry = (event: RecordedEvent): boolean => {
    if (event.stream === auditStream) {
      checker.addCheckpoint(event.type, event.data, { sortKey: event.position, position: event.position });
      return checker.issueCount === 0 && recorded?.nonTrail(event.position) !== false;
    }
    if (!isTrailEvent(event, trail)) return recorded?.nonTrail(event.position) !== false;
    const leaf = Buffer.from(eventLeafHash(event)).toString('latin1');
    checker.addLeafLatin1(leaf);
    return recorded === undefined || recorded.check(event.position, leaf) !== 'mismatch';
  };

  for (;;) {
    const page: CanonicalPage = await pages.next();
    const { composed, parsed, parsedAfter } = page;
    const members = new MemberScan(composed.bytes);
    let p = 0;
    for (let i = 0; i <= composed.count; i++) {
      while (p < parsed.length && parsedAfter[p] === i) if (!parsedEntry(parsed[p++]!)) return undefined;
      if (i === composed.count) break;
      const start = composed.offsets[i]!;
      const end = composed.offsets[i + 1]!;
      const leaf = leafHashInPlace(composed.bytes, start, end);
      const index = checker.addLeafLatin1(leaf);
      const position = composed.positions[i]!;
      const match = recorded?.check(position, leaf);
      if (match === 'mismatch') return undefined;
      if (!page.fromStoredText) continue;
      const unambiguous = members.splitIsUnambiguous(start, end);
      if (match !== 'match' || !unambiguous) unvouched.push({ index, position, leaf, unambiguous });
    }
    scanned += page.scanned;
    if (page.last !== undefined) progress.maybe(page.last, counts());
    if (page.scanned < pageSize) break;
  }
  if (recorded && !recorded.finished()) return undefined;
  const extra: Partial<TrailReport> = recorded ? { recordedCompared: recorded.compared } : {};
  const report = checker.finish(scanned, options.maxIssues ?? 100, extra);
  if (!report.ok) return undefined;
  const covered = report.latest?.size ?? 0;
  const rest = unvouched.filter((leaf) => leaf.index >= covered || !leaf.unambiguous);
  if (!(await recomputedAlike(options, rest))) return undefined;
  progress.report(head, counts());
  return report;
}

interface Unvouched {
  index: number;
  position: bigint;
  leaf: string;
  unambiguous: boolean;
}

// The frame of the canonical form (canonical-event.ts) around the data and metadata texts:
// {"data":D,"id":I,"metadata":M,"revision":…}, with I a JSON string.
const METADATA_MEMBER = Buffer.from('","metadata":');
// Searched for by `metada`: Buffer#indexOf finds a needle that short by memchr on its first byte (a
// rare `m`, where `"` is everywhere in JSON), while a longer needle costs a Boyer-Moore table per call.
const NEEDLE_AT = 3;
const NEEDLE = METADATA_MEMBER.subarray(NEEDLE_AT, NEEDLE_AT + 6);

/**
 * Counts, event by event, the `","metadata":` in a page of composed events, for `splitIsUnambiguous`.
 * Events are asked for in order; the scan goes through the page once.
 */
class MemberScan {
  /** Where the next needle not yet looked at is (-1: none left). */
  #needle: number;
  constructor(private readonly bytes: Buffer) {
    this.#needle = bytes.indexOf(NEEDLE);
  }

  /**
   * Whether `bytes[start, end)` holds exactly one `","metadata":`, that is, splits into its members in
   * one way only. Equal composed bytes come from rows with equal columns, except for one edit: moving
   * text between the `data` and `metadata` columns so that D and M change while
   * D + `,"id":I,"metadata":` + M does not (and D no longer parses). Such a move leaves a second
   * `","metadata":` in D or M (the one it moved over), so bytes with a single one can only have been
   * split where the canonical bytes the leaf vouches for were.
   */
  splitIsUnambiguous(start: number, end: number): boolean {
    const { bytes } = this;
    let found = 0;
    while (this.#needle >= 0 && this.#needle - NEEDLE_AT < end) {
      const at = this.#needle - NEEDLE_AT;
      if (at >= start && at + METADATA_MEMBER.length <= end && matchesAt(bytes, at)) found++;
      this.#needle = bytes.indexOf(NEEDLE, this.#needle + 1);
    }
    return found === 1;
  }
}

function matchesAt(bytes: Buffer, at: number): boolean {
  for (let i = 0; i < METADATA_MEMBER.length; i++) {
    if (bytes[at + i] !== METADATA_MEMBER[i]) return false;
  }
  return true;
}

/** Reads the events of `leaves` parsed and checks each hashes, as the full pass hashes it, to its leaf. */
async function recomputedAlike(options: VerifyTrailOptions, leaves: Unvouched[]): Promise<boolean> {
  let next = 0;
  while (next < leaves.length) {
    const page = await options.store.readAll({
      fromPosition: leaves[next]!.position,
      maxCount: RECHECK_PAGE,
    });
    let k = 0;
    for (; next < leaves.length; next++) {
      const { position, leaf } = leaves[next]!;
      while (k < page.length && page[k]!.position < position) k++;
      if (k === page.length) break;
      const event = page[k]!;
      if (event.position !== position || !isTrailEvent(event, options.trail)) return false;
      if (Buffer.from(eventLeafHash(event)).toString('latin1') !== leaf) return false;
    }
    if (page.length === 0) return false;
  }
  return true;
}

/**
 * The recorded leaves, walked in step with the log: each trail event must be the next one recorded
 * (same position, same leaf) up to how far the writer had followed when verification began; after
 * that, nothing is expected.
 */
class RecordedRun {
  readonly #db: TrailDb;
  readonly #horizon: bigint;
  #run: LeafRun = { positions: [], leaves: Buffer.alloc(0) };
  #at = 0;
  #nextIndex = 0;
  #exhausted = false;
  compared = 0;

  constructor(db: TrailDb) {
    this.#db = db;
    this.#horizon = db.followed ?? -1n;
  }

  /** The next recorded position within the horizon (undefined: none left). */
  #peek(): bigint | undefined {
    if (this.#at === this.#run.positions.length) {
      if (this.#exhausted) return undefined;
      this.#run = this.#db.leafRun(this.#nextIndex, RECORDED_RUN);
      this.#nextIndex += this.#run.positions.length;
      this.#at = 0;
      if (this.#run.positions.length < RECORDED_RUN) this.#exhausted = true;
    }
    const position = this.#run.positions[this.#at];
    return position !== undefined && position <= this.#horizon ? position : undefined;
  }

  /** A trail event: the next recorded leaf (`match`), or past the horizon (`beyond`). */
  check(position: bigint, leaf: string): 'match' | 'beyond' | 'mismatch' {
    const next = this.#peek();
    if (next === undefined) return position > this.#horizon ? 'beyond' : 'mismatch';
    const offset = this.#at * HASH_SIZE;
    if (next !== position || this.#run.leaves.toString('latin1', offset, offset + HASH_SIZE) !== leaf) {
      return 'mismatch';
    }
    this.#at++;
    this.compared++;
    return 'match';
  }

  /** An entry that is not a trail event: false if a leaf was recorded at its position. */
  nonTrail(position: bigint): boolean {
    return this.#peek() !== position;
  }

  /** Whether every leaf recorded within the horizon was met. */
  finished(): boolean {
    return this.#peek() === undefined;
  }
}
