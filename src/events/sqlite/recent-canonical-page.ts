import type { CanonicalPage, CanonicalReadOptions } from '../canonical-reads.js';
import type { RecordedEvent } from '../types.js';
import { type Committed, type RecentCommits, recorded } from './recent-commits.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * Buffer#utf8Write and #latin1Write: what write(…) calls, without its argument juggling (not in
 * @types/node). Latin-1 is for the parts known to be ASCII, where it writes the same bytes faster.
 */
type Writable = Buffer & {
  utf8Write(text: string, offset: number): number;
  latin1Write(text: string, offset: number): number;
};
/** Streams and types a subscription's frame cache keeps at most before it starts over. */
const FRAME_CACHE_LIMIT = 10_000;
/** Where pages are written before being copied out at their size (reads are synchronous). */
let scratch = Buffer.allocUnsafe(1 << 20);

/**
 * The page `readAllCanonical` would read, composed from the events this connection committed lately
 * (recent-commits.ts): the same text SQL would compose (canonical-query.ts) from the same columns,
 * under the same conditions, and the other entries parsed from the text written. Undefined when
 * memory does not hold all of it; `head` is the last position of the log now.
 */
export function recentCanonicalPage(
  recent: RecentCommits,
  options: CanonicalReadOptions,
  head: number | undefined,
  frames: FrameCache,
): CanonicalPage | undefined {
  const range = recent.range(Number(options.fromPosition), options.maxCount, head);
  if (range === undefined) return undefined;
  const { entries, start, end } = range;
  const last = entries[end - 1]!.position;
  const authorPrefix = `{"author":${JSON.stringify(options.author)}`;
  const composed: Committed[] = [];
  const offsets = new Uint32Array(end - start + 1);
  const parsed: RecordedEvent[] = [];
  const parsedAfter: number[] = [];
  let written = 0;
  for (let i = start; i < end; i++) {
    const entry = entries[i]!;
    const { stream, revision, event } = entry;
    // What canonical-query.ts composes; the rest as a read parses it.
    const tail = event.metadataText.startsWith(authorPrefix) ? frames.tail(stream, event.type) : undefined;
    if (tail !== undefined) {
      const { dataText, metadataText } = event;
      // Room for the worst case: 3 UTF-8 bytes per UTF-16 unit of the texts; the rest is ASCII.
      const room = 3 * (dataText.length + metadataText.length) + event.id.length + tail.length + 64;
      if (scratch.length - written < room) {
        const larger = Buffer.allocUnsafe(2 * (scratch.length + room));
        scratch.copy(larger, 0, 0, written);
        scratch = larger;
      }
      const out = scratch as Writable;
      // The pieces straight into the buffer (a joined string would be flattened, then encoded).
      // ids are lowercase UUIDs (prepare-events.ts): JSON.stringify only adds the quotes.
      written += out.latin1Write('{"data":', written);
      written += out.utf8Write(dataText, written);
      written += out.latin1Write(`,"id":"${event.id}","metadata":`, written);
      written += out.utf8Write(metadataText, written);
      written += out.latin1Write(`,"revision":${revision}${tail}`, written);
      composed.push(entry);
      offsets[composed.length] = written;
    } else if (entry.lossy) {
      return undefined;
    } else {
      parsed.push(recorded(entry));
      parsedAfter.push(composed.length);
    }
  }
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

/**
 * The end of the frame after the revision, `,"stream":…,"type":…,"v":1}`, for each stream and type,
 * or undefined where SQL would not compose (canonical-query.ts): a stream or type that is not
 * printable ASCII, or a stream excluded. Streams and types repeat: one cache serves a subscription's
 * pages (its excluded prefixes do not change), so each is looked at once, up to FRAME_CACHE_LIMIT.
 */
export class FrameCache {
  readonly #streams = new Map<string, string | undefined>();
  readonly #tails = new Map<string, Map<string, string | undefined>>();

  constructor(private readonly excluded: readonly string[]) {}

  tail(stream: string, type: string): string | undefined {
    let byType = this.#tails.get(stream);
    if (byType === undefined) {
      if (this.#tails.size >= FRAME_CACHE_LIMIT) {
        this.#tails.clear();
        this.#streams.clear();
      }
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
