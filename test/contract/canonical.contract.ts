import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import {
  type CanonicalPage,
  type CanonicalSelection,
  isSelected,
  readAllCanonical,
  subscribeToAllCanonical,
} from '../../src/events/canonical-reads.js';
import type { JsonObject, JsonValue } from '../../src/events/json.js';
import type { NewEvent, RecordedEvent } from '../../src/events/types.js';
import { type ContractContext, events } from './harness.js';

const OTHER_AUTHOR = '12D3KooWCanonicalOtherAuthor';

/** The page's entries in log order: composed ones as [position, bytes], parsed ones as events. */
function entries(page: CanonicalPage): ({ position: bigint; bytes: Buffer } | RecordedEvent)[] {
  const { composed, parsed, parsedAfter } = page;
  const out: ({ position: bigint; bytes: Buffer } | RecordedEvent)[] = [];
  let p = 0;
  for (let i = 0; i <= composed.count; i++) {
    while (p < parsed.length && parsedAfter[p] === i) out.push(parsed[p++]!);
    if (i < composed.count) {
      const bytes = composed.bytes.subarray(composed.offsets[i], composed.offsets[i + 1]);
      out.push({ position: composed.positions[i]!, bytes });
    }
  }
  expect(p).toBe(parsed.length);
  return out;
}

/** Holds a canonical page to readAll over the same entries: same order, bytes = canonicalEventBytes. */
function expectSameAsReadAll(
  page: CanonicalPage,
  read: RecordedEvent[],
  selection: CanonicalSelection,
): void {
  const got = entries(page);
  expect(page.scanned).toBe(read.length);
  expect(page.last).toBe(read.at(-1)?.position);
  expect(got).toHaveLength(read.length);
  got.forEach((entry, i) => {
    const event = read[i]!;
    if ('bytes' in entry) {
      expect(entry.position).toBe(event.position);
      expect(isSelected(event, selection)).toBe(true);
      expect(Buffer.from(entry.bytes).toString('utf8')).toBe(
        Buffer.from(canonicalEventBytes(event)).toString('utf8'),
      );
    } else {
      expect(entry).toEqual(event);
    }
  });
}

export function canonicalContract(t: ContractContext, nodeId: string): void {
  /** Position of a stream's first event (positions need not be contiguous). */
  const firstOf = async (stream: string) => (await t.store.readStream(stream, { maxCount: 1 }))[0]!.position;

  describe('canonical reads', () => {
    it('gives the author’s events as their canonical bytes and every other entry as readAll does', async () => {
      const [a, b, excluded] = [t.stream('a'), t.stream('b'), t.stream('audit')];
      await t.store.append(a, events(3));
      await t.store.append(b, [
        { type: 'ByOther', data: { n: 1 }, metadata: { author: OTHER_AUTHOR } },
        // A metadata key sorting before `author` (upper case first): still the node's event.
        { type: 'Traced', data: { deep: { list: [1, 'two', null, true] } }, metadata: { Trace: 'x' } },
        { type: 'Unicode', data: { text: 'naïve 🐝 \u2028 "quoted" \\ back' } },
      ]);
      await t.store.append(excluded, events(2));
      const last = await t.store.append(a, events(2));
      const from = await firstOf(a);
      const selection = { author: nodeId, excludeStreamPrefixes: [`${t.prefix}audit`] };
      const read = (await t.store.readAll({ fromPosition: from, maxCount: 1000 })).filter(
        (event) => event.position <= last.position,
      );
      const count = read.length;
      const page = await readAllCanonical(t.store, { ...selection, fromPosition: from, maxCount: count });
      expectSameAsReadAll(page, read, selection);
      const mine = read.filter((event) => event.stream.startsWith(t.prefix));
      const selected = mine.filter((event) => isSelected(event, selection)).map((event) => event.type);
      expect(selected).toEqual(['Counted', 'Counted', 'Counted', 'Traced', 'Unicode', 'Counted', 'Counted']);
    });

    it('pages through $all: each page starts after the last one, a short page ends the log', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(7));
      const selection = { author: nodeId };
      const seen: bigint[] = [];
      const start = await firstOf(stream);
      let from = start;
      for (;;) {
        const page = await readAllCanonical(t.store, { ...selection, fromPosition: from, maxCount: 3 });
        for (const entry of entries(page)) seen.push(entry.position);
        if (page.scanned < 3) break;
        from = page.last! + 1n;
      }
      const read = await t.store.readAll({ fromPosition: start });
      expect(seen).toEqual(read.map((event) => event.position));
      const end = await readAllCanonical(t.store, {
        ...selection,
        fromPosition: seen.at(-1)! + 1n,
        maxCount: 3,
      });
      expect(end).toMatchObject({ scanned: 0, last: undefined, parsed: [], composed: { count: 0 } });
    });

    it('gives each composed event’s id, stream and revision when asked', async () => {
      const stream = t.stream();
      const appended = events(3);
      await t.store.append(stream, appended);
      const page = await readAllCanonical(t.store, {
        author: nodeId,
        fromPosition: await firstOf(stream),
        maxCount: 3,
        withIdentity: true,
      });
      expect(page.composed.identity).toEqual({
        ids: appended.map((event) => event.id),
        streams: [stream, stream, stream],
        revisions: [0, 1, 2],
      });
    });

    it('composes the canonical bytes of any JSON the store accepts', async () => {
      const stream = t.stream('p');
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              data: fc.jsonValue({ maxDepth: 3 }),
              extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
                maxKeys: 3,
              }),
              suffix: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
              type: fc.constantFrom('Plain', 'Ünïcode', 'With"Quote', 'Back\\slash'),
            }),
            { minLength: 1, maxLength: 4 },
          ),
          async (specs) => {
            const written: RecordedEvent[] = [];
            for (const spec of specs) {
              const name = `${stream}-${spec.suffix}`.replace(/[\s\p{Cc}]/gu, '_');
              const event: NewEvent = {
                type: spec.type,
                data: spec.data as JsonValue,
                metadata: { ...(spec.extra as JsonObject), author: nodeId },
              };
              const { position } = await t.store.append(name, [event]);
              const [recorded] = await t.store.readAll({ fromPosition: position, maxCount: 1 });
              written.push(recorded!);
            }
            for (const event of written) {
              const page = await readAllCanonical(t.store, {
                author: nodeId,
                fromPosition: event.position,
                maxCount: 1,
              });
              expectSameAsReadAll(page, [event], { author: nodeId });
            }
          },
        ),
        { numRuns: 15 },
      );
    });

    it('subscribes: past pages, then live ones, with no gap and no duplicate', async () => {
      const stream = t.stream();
      const first = await t.store.append(stream, events(5));
      const start = await firstOf(stream);
      const subscription = subscribeToAllCanonical(t.store, {
        author: nodeId,
        from: { after: start - 1n },
        maxCount: 2,
      });
      const seen: bigint[] = [];
      const iterator = subscription[Symbol.asyncIterator]();
      const takeUntil = async (position: bigint) => {
        while (seen.at(-1) === undefined || seen.at(-1)! < position) {
          const next = await iterator.next();
          if (next.done) throw new Error('the subscription ended');
          expect(next.value.scanned).toBeGreaterThan(0);
          for (const entry of entries(next.value)) seen.push(entry.position);
        }
      };
      try {
        await takeUntil(first.position);
        const live = await t.store.append(stream, events(3));
        await takeUntil(live.position);
        const read = await t.store.readAll({ fromPosition: start });
        expect(seen).toEqual(read.filter((e) => e.position <= live.position).map((e) => e.position));
      } finally {
        await subscription.close();
      }
    });
  });
}
