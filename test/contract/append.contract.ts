import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import { WrongExpectedRevisionError } from '../../src/events/errors.js';
import { type ContractContext, event, events, failure } from './harness.js';

export function appendContract(t: ContractContext): void {
  describe('append and expected revision', () => {
    it('starts revisions at 0 and returns the next expected revision and a bigint position', async () => {
      const stream = t.stream();
      const first = await t.store.append(stream, [event()], { expectedRevision: 'no_stream' });
      expect(first.nextExpectedRevision).toBe(0);
      expect(typeof first.position).toBe('bigint');
      const second = await t.store.append(stream, events(3), { expectedRevision: 0 });
      expect(second.nextExpectedRevision).toBe(3);
      expect(second.position > first.position).toBe(true);
      const read = await t.store.readStream(stream);
      expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      expect(read[3]?.position).toBe(second.position);
    });

    it('accepts any, stream_exists and the exact revision when they hold', async () => {
      const stream = t.stream();
      await t.store.append(stream, [event()], { expectedRevision: 'any' });
      await t.store.append(stream, [event()], { expectedRevision: 'stream_exists' });
      const result = await t.store.append(stream, [event()], { expectedRevision: 1 });
      expect(result.nextExpectedRevision).toBe(2);
      expect((await t.store.append(stream, [event()])).nextExpectedRevision).toBe(3);
    });

    it.each([
      ['an exact revision that is behind', 0, 1],
      ['an exact revision that is ahead', 5, 1],
      ['no_stream on an existing stream', 'no_stream', 1],
    ] as const)('refuses %s, naming expected and actual, and writes nothing', async (_, expected, actual) => {
      const stream = t.stream();
      await t.store.append(stream, events(2));
      const error = await failure(t.store.append(stream, [event()], { expectedRevision: expected }));
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(isBzzzError(error, 'WRONG_EXPECTED_REVISION')).toBe(true);
      expect(error).toMatchObject({ stream, expected, actual });
      expect(await t.store.readStream(stream)).toHaveLength(2);
    });

    it('refuses stream_exists and exact revisions on a missing stream (actual no_stream)', async () => {
      const stream = t.stream();
      expect(
        await failure(t.store.append(stream, [event()], { expectedRevision: 'stream_exists' })),
      ).toMatchObject({
        code: 'WRONG_EXPECTED_REVISION',
        actual: 'no_stream',
      });
      expect(await failure(t.store.append(stream, [event()], { expectedRevision: 0 }))).toMatchObject({
        actual: 'no_stream',
      });
      expect(await t.store.readStream(stream)).toEqual([]);
    });

    it('lets concurrent appends fail or succeed on their own (one bad append fails no other)', async () => {
      const streams = Array.from({ length: 40 }, () => t.stream());
      await Promise.all(streams.map((stream) => t.store.append(stream, [event()])));
      const outcomes = await Promise.allSettled(
        streams.map((stream, i) =>
          t.store.append(stream, [event()], { expectedRevision: i % 3 === 0 ? 7 : 0 }),
        ),
      );
      outcomes.forEach((outcome, i) => {
        if (i % 3 === 0) {
          expect(outcome.status).toBe('rejected');
          expect(
            isBzzzError(outcome.status === 'rejected' ? outcome.reason : null, 'WRONG_EXPECTED_REVISION'),
          ).toBe(true);
        } else {
          expect(outcome).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 1 } });
        }
      });
      const lengths = await Promise.all(
        streams.map(async (stream) => (await t.store.readStream(stream)).length),
      );
      expect(lengths).toEqual(streams.map((_, i) => (i % 3 === 0 ? 1 : 2)));
    });

    it('serialises concurrent appends to one stream: exactly one of many same-revision writers wins', async () => {
      const stream = t.stream();
      await t.store.append(stream, [event()]);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => t.store.append(stream, [event()], { expectedRevision: 0 })),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(await t.store.readStream(stream)).toHaveLength(2);
    });
  });

  describe('idempotent appends', () => {
    it('returns the original result and writes nothing when the same event ids are appended again', async () => {
      const stream = t.stream();
      const batch = events(3);
      const first = await t.store.append(stream, batch, { expectedRevision: 'no_stream' });
      await t.store.append(stream, [event()]);
      const again = await t.store.append(stream, batch, { expectedRevision: 'no_stream' });
      expect(again).toEqual(first);
      const againAny = await t.store.append(stream, batch);
      expect(againAny).toEqual(first);
      expect(await t.store.readStream(stream)).toHaveLength(4);
    });

    it('finds a retry with an exact expected revision after later appends', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(2), { expectedRevision: 'no_stream' });
      const batch = events(2);
      const first = await t.store.append(stream, batch, { expectedRevision: 1 });
      await t.store.append(stream, events(3), { expectedRevision: 3 });
      expect(await t.store.append(stream, batch, { expectedRevision: 1 })).toEqual(first);
      const reordered = [batch[1]!, batch[0]!];
      const refused = await failure(t.store.append(stream, reordered, { expectedRevision: 1 }));
      expect(isBzzzError(refused, 'WRONG_EXPECTED_REVISION')).toBe(true);
      expect(await t.store.readStream(stream)).toHaveLength(7);
    });

    it('refuses a retry whose ids only partly match what was written, and writes nothing', async () => {
      const stream = t.stream();
      const batch = events(2);
      await t.store.append(stream, batch);
      const mixed = [batch[0]!, event('Other', {}, randomUUID())];
      expect(isBzzzError(await failure(t.store.append(stream, mixed)), 'WRONG_EXPECTED_REVISION')).toBe(true);
      expect(await t.store.readStream(stream)).toHaveLength(2);
    });

    it('treats ids case-insensitively as UUIDs', async () => {
      const stream = t.stream();
      const id = randomUUID();
      const first = await t.store.append(stream, [event('Upper', {}, id)]);
      const again = await t.store.append(stream, [event('Upper', {}, id.toUpperCase())]);
      expect(again).toEqual(first);
      expect((await t.store.readStream(stream))[0]?.id).toBe(id);
    });
  });
}
