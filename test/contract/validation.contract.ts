import { describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import type { NewEvent } from '../../src/events/types.js';
import { type ContractContext, event, failure } from './harness.js';

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

const badEvents: [string, unknown][] = [
  ['an empty type', { type: '', data: {} }],
  ['a type with whitespace', { type: 'Agent Announced', data: {} }],
  ['a type starting with $', { type: '$metadata', data: {} }],
  ['a type that is not a string', { type: 42, data: {} }],
  ['missing data', { type: 'NoData' }],
  ['data holding a function', { type: 'Fn', data: { run: () => 1 } }],
  ['data holding NaN', { type: 'Nan', data: { value: Number.NaN } }],
  ['data holding a bigint', { type: 'Big', data: { value: 1n } }],
  ['data holding a Date', { type: 'Dated', data: { at: new Date(0) } }],
  ['data holding undefined', { type: 'Undef', data: { value: undefined } }],
  ['cyclic data', { type: 'Cycle', data: cyclic }],
  ['an id that is not a UUID', { id: 'abc', type: 'BadId', data: {} }],
  ['metadata that is not an object', { type: 'Meta', data: {}, metadata: 'x' }],
  ['metadata with a non-string correlation id', { type: 'Meta', data: {}, metadata: { correlationId: 7 } }],
  ['metadata with a bad occurredAt', { type: 'Meta', data: {}, metadata: { occurredAt: 'yesterday' } }],
];

export function validationContract(t: ContractContext): void {
  describe('invalid events', () => {
    it.each(badEvents)('refuses %s with INVALID_EVENT, writing nothing of the append', async (_, bad) => {
      const stream = t.stream();
      await t.store.append(stream, [event('Before')]);
      const error = await failure(t.store.append(stream, [event('Good'), bad as NewEvent]));
      expect(isBzzzError(error, 'INVALID_EVENT')).toBe(true);
      expect((await t.store.readStream(stream)).map((e) => e.type)).toEqual(['Before']);
      expect((await t.store.append(stream, [event('After')])).nextExpectedRevision).toBe(1);
    });

    it('refuses two events with the same id in one append', async () => {
      const stream = t.stream();
      const twice = { ...event(), id: '0b7f7a36-5a3e-4d43-9d55-0a1e4f8b9a11' };
      expect(isBzzzError(await failure(t.store.append(stream, [twice, twice])), 'INVALID_EVENT')).toBe(true);
      expect(await t.store.readStream(stream)).toEqual([]);
    });

    it('refuses an event over the default 1 MiB limit and accepts one just under it', async () => {
      const stream = t.stream();
      const big = 'x'.repeat(1024 * 1024);
      const error = await failure(t.store.append(stream, [event('Big', { big })]));
      expect(error).toMatchObject({ code: 'INVALID_EVENT', details: { limit: 1024 * 1024 } });
      await t.store.append(stream, [event('Fits', { fits: 'x'.repeat(1000 * 1000) })]);
      expect((await t.store.readStream(stream)).map((e) => e.type)).toEqual(['Fits']);
    });

    it('honours a configured maximum event size', async () => {
      const small = await t.fixture.open({ maxEventSize: 600 });
      const stream = t.stream();
      const error = await failure(small.append(stream, [event('Big', { text: 'y'.repeat(700) })]));
      expect(error).toMatchObject({ code: 'INVALID_EVENT', details: { limit: 600 } });
      expect(await small.readStream(stream)).toEqual([]);
    });
  });

  describe('invalid arguments', () => {
    it.each([
      ['an empty stream name', ''],
      ['a stream name starting with $', '$all'],
      ['a stream name with a newline', 'a\nb'],
    ])('refuses %s with INVALID_ARGUMENT', async (_, stream) => {
      expect(isBzzzError(await failure(t.store.append(stream, [event()])), 'INVALID_ARGUMENT')).toBe(true);
      expect(isBzzzError(await failure(t.store.readStream(stream)), 'INVALID_ARGUMENT')).toBe(true);
    });

    it('refuses an empty append, a negative expected revision and a negative maxCount', async () => {
      const stream = t.stream();
      expect(isBzzzError(await failure(t.store.append(stream, [])), 'INVALID_ARGUMENT')).toBe(true);
      expect(
        isBzzzError(
          await failure(t.store.append(stream, [event()], { expectedRevision: -1 })),
          'INVALID_ARGUMENT',
        ),
      ).toBe(true);
      expect(
        isBzzzError(await failure(t.store.readStream(stream, { maxCount: -2 })), 'INVALID_ARGUMENT'),
      ).toBe(true);
      expect(await t.store.readStream(stream)).toEqual([]);
    });
  });
}
