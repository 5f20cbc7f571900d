import type { CanonicalPage, CanonicalReadOptions } from '../canonical-reads.js';
import type { PreparedEvent } from '../prepare-events.js';
import type { AppendResult, EventMetadata, RecordedEvent } from '../types.js';
import type { AppendJob } from './apply-append.js';

/** An event this connection committed, as it wrote it (its texts only: the objects may go). */
interface Committed {
  position: number;
  stream: string;
  revision: number;
  event: Pick<PreparedEvent, 'id' | 'type' | 'dataText' | 'metadataText'>;
  recordedAt: number;
}

/**
 * Events kept at most; past that, the older half is dropped. Events a page has been served are dropped
 * at once: kept longer, they outlive the young generation and every scavenge copies them.
 */
const CAPACITY = 8192;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** A lone surrogate: stored as bytes that read back as U+FFFD, so not what a read would give. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Buffer#utf8Write: what write(…) calls for UTF-8, without its argument juggling (not in @types/node). */
type Utf8Writable = Buffer & { utf8Write(text: string, offset: number): number };
/** Where pages are written before being copied out at their size (reads are synchronous). */
let scratch = Buffer.allocUnsafe(1 << 20);

/**
 * The events this connection committed lately, exactly as it wrote them, so that a canonical
 * subscription following the head of the log (the trail writer) is served from memory instead of
 * reading them back: the same text SQL would compose (canonical-query.ts) from the same columns, under the same
 * conditions, and the other entries parsed from the text written. A read is served from here only when
 * every entry it asks for is here, contiguous from its start and up to the head of the log; any gap
 * (another connection's commit) and it goes to SQL.
 *
 * Positions are row ids: an append's rows get consecutive ones in its transaction, so the last one
 * (`AppendResult.position`) gives them all.
 */
export class RecentCommits {
  #committed: Committed[] = [];
  #staged: Committed[] = [];
  /** Off until a canonical subscription starts: a store nobody follows that way keeps nothing. */
  #enabled = false;

  enable(): void {
    this.#enabled = true;
  }

  /** An append that wrote its events (not a replay), inside the group's transaction. */
  stage(job: AppendJob, result: AppendResult, recordedAt: number): void {
    if (!this.#enabled) return;
    const count = job.events.length;
    const last = Number(result.position);
    for (let i = 0; i < count; i++) {
      const back = count - 1 - i;
      const { id, type, dataText, metadataText } = job.events[i]!;
      this.#staged.push({
        position: last - back,
        stream: job.stream,
        revision: result.nextExpectedRevision - back,
        event: { id, type, dataText, metadataText },
        recordedAt,
      });
    }
  }

  commit(): void {
    if (this.#staged.length === 0) return;
    for (const entry of this.#staged) this.#committed.push(entry);
    this.#staged = [];
    if (this.#committed.length > CAPACITY) this.#committed = this.#committed.slice(-CAPACITY / 2);
  }

  discard(): void {
    this.#staged = [];
  }

  /**
   * The page `readAllCanonical` would read, composed from memory; undefined when memory does not hold
   * all of it. `head` is the last position of the log now.
   */
  page(options: CanonicalReadOptions, head: number | undefined): CanonicalPage | undefined {
    const committed = this.#committed;
    const from = Number(options.fromPosition);
    if (committed.length === 0 || head === undefined || from > head || options.maxCount === 0)
      return undefined;
    const start = lowerBound(committed, from);
    if (committed[start]?.position !== from) return undefined;
    const end = Math.min(committed.length, start + options.maxCount);
    const last = committed[end - 1]!.position;
    // Contiguous, and reaching the head unless the page is full.
    if (last - from !== end - 1 - start || (end - start < options.maxCount && last !== head))
      return undefined;
    const authorPrefix = `{"author":${JSON.stringify(options.author)}`;
    const frames = new FrameCache(options.excludeStreamPrefixes ?? []);
    const composed: Committed[] = [];
    const offsets = new Uint32Array(end - start + 1);
    const parsed: RecordedEvent[] = [];
    const parsedAfter: number[] = [];
    let written = 0;
    for (let i = start; i < end; i++) {
      const entry = committed[i]!;
      const { stream, revision, event } = entry;
      // What canonical-query.ts composes; the rest as a read parses it.
      const tail = event.metadataText.startsWith(authorPrefix) ? frames.tail(stream, event.type) : undefined;
      if (tail !== undefined) {
        // ids are lowercase UUIDs (prepare-events.ts): JSON.stringify only adds the quotes.
        const text = `{"data":${event.dataText},"id":"${event.id}","metadata":${event.metadataText},"revision":${revision}${tail}`;
        // Room for the worst case: 3 UTF-8 bytes per UTF-16 unit.
        if (scratch.length - written < 3 * text.length) {
          const larger = Buffer.allocUnsafe(2 * (scratch.length + 3 * text.length));
          scratch.copy(larger, 0, 0, written);
          scratch = larger;
        }
        written += (scratch as Utf8Writable).utf8Write(text, written);
        composed.push(entry);
        offsets[composed.length] = written;
      } else if (LONE_SURROGATE.test(stream) || LONE_SURROGATE.test(event.type)) {
        return undefined;
      } else {
        parsed.push(recordedEvent(entry));
        parsedAfter.push(composed.length);
      }
    }
    // Served: not kept any longer (another reader of the same events reads them from the file).
    this.#committed = committed.slice(end);
    const page: CanonicalPage = {
      scanned: end - start,
      last: BigInt(last),
      composed: {
        count: composed.length,
        positions: composed.map((entry) => BigInt(entry.position)),
        bytes: Buffer.from(scratch.subarray(0, written)),
        offsets: offsets.subarray(0, composed.length + 1),
      },
      parsed,
      parsedAfter,
      fromStoredText: true,
    };
    if (options.withIdentity) {
      page.composed.identity = {
        ids: composed.map((entry) => entry.event.id),
        streams: composed.map((entry) => entry.stream),
        revisions: composed.map((entry) => entry.revision),
      };
    }
    return page;
  }
}

/**
 * The end of the frame after the revision, `,"stream":…,"type":…,"v":1}`, for each stream and type,
 * or undefined where SQL would not compose (canonical-query.ts): a stream or type that is not
 * printable ASCII, or a stream excluded. Streams and types repeat: each is looked at once per page.
 */
class FrameCache {
  readonly #streams = new Map<string, string | undefined>();
  readonly #tails = new Map<string, Map<string, string | undefined>>();

  constructor(private readonly excluded: readonly string[]) {}

  tail(stream: string, type: string): string | undefined {
    let byType = this.#tails.get(stream);
    if (byType === undefined) {
      byType = new Map();
      this.#tails.set(stream, byType);
    }
    if (byType.has(type)) return byType.get(type);
    const quotedStream = this.#stream(stream);
    const tail =
      quotedStream !== undefined && PRINTABLE_ASCII.test(type)
        ? `,"stream":${quotedStream},"type":${JSON.stringify(type)},"v":1}`
        : undefined;
    byType.set(type, tail);
    return tail;
  }

  #stream(stream: string): string | undefined {
    if (!this.#streams.has(stream)) {
      const composable =
        PRINTABLE_ASCII.test(stream) && !this.excluded.some((prefix) => stream.startsWith(prefix));
      this.#streams.set(stream, composable ? JSON.stringify(stream) : undefined);
    }
    return this.#streams.get(stream);
  }
}

/** The event as a read gives it back (rows.ts: toRecordedEvent). */
function recordedEvent({ position, stream, revision, event, recordedAt }: Committed): RecordedEvent {
  return {
    id: event.id,
    stream,
    revision,
    position: BigInt(position),
    type: event.type,
    data: JSON.parse(event.dataText),
    metadata: JSON.parse(event.metadataText) as EventMetadata,
    recordedAt: new Date(recordedAt).toISOString(),
  };
}

/** Index of the first entry at or after `position`. */
function lowerBound(committed: readonly Committed[], position: number): number {
  let low = 0;
  let high = committed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (committed[mid]!.position < position) low = mid + 1;
    else high = mid;
  }
  return low;
}
