import { describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { StreamMetadata } from '../../src/events/types.js';
import { type ContractContext, event, events, failure } from './harness.js';

export function retentionContract(t: ContractContext, supportsClock: boolean): void {
  describe('stream metadata', () => {
    it('stores and returns metadata, empty for a stream without any', async () => {
      const stream = t.stream();
      expect(await t.store.getStreamMetadata(stream)).toEqual({});
      const metadata = { maxCount: 5, maxAge: 3600, truncateBefore: 2, custom: { owner: 'ops' } };
      await t.store.setStreamMetadata(stream, metadata);
      expect(await t.store.getStreamMetadata(stream)).toEqual(metadata);
    });

    it('keeps only the last maxCount events visible, forwards and backwards', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(10));
      await t.store.setStreamMetadata(stream, { maxCount: 3 });
      expect((await t.store.readStream(stream)).map((e) => e.revision)).toEqual([7, 8, 9]);
      const backwards = await t.store.readStream(stream, { direction: 'backwards' });
      expect(backwards.map((e) => e.revision)).toEqual([9, 8, 7]);
      await t.store.append(stream, [event()]);
      expect((await t.store.readStream(stream)).map((e) => e.revision)).toEqual([8, 9, 10]);
    });

    it('hides revisions below truncateBefore', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(6));
      await t.store.setStreamMetadata(stream, { truncateBefore: 4 });
      expect((await t.store.readStream(stream)).map((e) => e.revision)).toEqual([4, 5]);
      expect(
        (await t.store.readStream(stream, { fromRevision: 1, maxCount: 1 })).map((e) => e.revision),
      ).toEqual([4]);
    });

    it.skipIf(!supportsClock)('hides events older than maxAge seconds', async () => {
      let now = Date.parse('2026-05-01T00:00:00Z');
      const store = await t.fixture.open({ clock: () => now });
      const stream = t.stream();
      await store.append(stream, events(2));
      now += 60_000;
      await store.append(stream, events(1));
      await store.setStreamMetadata(stream, { maxAge: 30 });
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([2]);
      now += 3_600_000;
      expect(await store.readStream(stream)).toEqual([]);
    });

    it.each<[string, StreamMetadata]>([
      ['a negative maxCount', { maxCount: -1 }],
      ['a fractional maxAge', { maxAge: 1.5 }],
      ['a zero maxAge', { maxAge: 0 }],
      ['a string truncateBefore', { truncateBefore: '3' as unknown as number }],
      ['custom that is not an object', { custom: [] as unknown as StreamMetadata['custom'] }],
    ])('refuses %s with INVALID_ARGUMENT and keeps what was set', async (_, metadata) => {
      const stream = t.stream();
      await t.store.setStreamMetadata(stream, { maxCount: 9 });
      expect(
        isBzzzError(await failure(t.store.setStreamMetadata(stream, metadata)), 'INVALID_ARGUMENT'),
      ).toBe(true);
      expect(await t.store.getStreamMetadata(stream)).toEqual({ maxCount: 9 });
    });
  });

  describe('deleting streams', () => {
    it('soft delete: the stream reads as empty and can be written again, revisions continuing', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(3));
      await t.store.deleteStream(stream, { expectedRevision: 2 });
      expect(await t.store.readStream(stream)).toEqual([]);
      const again = await t.store.append(stream, [event('Reborn')], { expectedRevision: 'no_stream' });
      expect(again.nextExpectedRevision).toBe(3);
      expect((await t.store.readStream(stream)).map((e) => [e.revision, e.type])).toEqual([[3, 'Reborn']]);
    });

    it('soft delete checks the expected revision and changes nothing when it fails', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(2));
      expect(
        isBzzzError(
          await failure(t.store.deleteStream(stream, { expectedRevision: 0 })),
          'WRONG_EXPECTED_REVISION',
        ),
      ).toBe(true);
      expect(await t.store.readStream(stream)).toHaveLength(2);
    });

    it('tombstone: appends, reads and deletes are refused for good', async () => {
      const stream = t.stream();
      await t.store.append(stream, events(2));
      await t.store.tombstoneStream(stream);
      for (const attempt of [
        t.store.append(stream, [event()]),
        t.store.append(stream, [event()], { expectedRevision: 'no_stream' }),
        t.store.readStream(stream),
        t.store.tombstoneStream(stream),
        t.store.deleteStream(stream),
      ]) {
        expect(isBzzzError(await failure(attempt), 'STREAM_DELETED')).toBe(true);
      }
    });

    it('tombstones a stream that never existed, which then refuses appends', async () => {
      const stream = t.stream();
      await t.store.tombstoneStream(stream, { expectedRevision: 'no_stream' });
      expect(isBzzzError(await failure(t.store.append(stream, [event()])), 'STREAM_DELETED')).toBe(true);
    });
  });

  describe('a closed store', () => {
    it('answers STORE_UNAVAILABLE and keeps what was acknowledged before closing', async () => {
      const store = await t.fixture.open();
      const stream = t.stream();
      await store.append(stream, events(2));
      await store.close();
      expect(isBzzzError(await failure(store.append(stream, [event()])), 'STORE_UNAVAILABLE')).toBe(true);
      expect(isBzzzError(await failure(store.readStream(stream)), 'STORE_UNAVAILABLE')).toBe(true);
      expect(await t.store.readStream(stream)).toHaveLength(2);
    });
  });
}
