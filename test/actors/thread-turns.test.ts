import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendTurn,
  countTurns,
  findTurn,
  flagTurn,
  TURN_CHUNK,
  type Turn,
  type TurnLog,
  turnCount,
} from '../../src/actors/thread/thread-turns.js';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

/** The flat list the chunks stand for: what every query must agree with. */
function flatCount(turns: Turn[], from: number, since: number | undefined) {
  const counted = turns.slice(from).filter((t) => since === undefined || Date.parse(t.at) >= since);
  return { total: counted.length, errors: counted.filter((t) => t.error).length };
}

type Step =
  | { op: 'message'; seconds: number; error: boolean }
  | { op: 'report'; seconds: number }
  | { op: 'flag'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant('message' as const), seconds: fc.nat(5000), error: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('report' as const), seconds: fc.nat(5000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flag' as const), pick: fc.nat() }) },
);

describe('thread turns in chunks', () => {
  it('agrees with a flat list on counts, lookups and flags, across chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 4 * TURN_CHUNK + 7, size: 'max' }),
        fc.nat(),
        fc.option(fc.nat(5000)),
        (steps, fromPick, sinceSeconds) => {
          let log: TurnLog = [];
          const flat: Turn[] = [];
          /** Some earlier logs, with what they held then: later steps must not change them. */
          const earlier: { log: TurnLog; flat: string }[] = [];
          steps.forEach((s, n) => {
            if (n % 29 === 0) earlier.push({ log, flat: JSON.stringify(log.flat()) });
            if (s.op === 'flag') {
              const ids = flat.filter((t) => t.message_id !== null);
              const target = ids[s.pick % Math.max(1, ids.length)];
              if (!target) return;
              log = flagTurn(log, target.message_id!);
              const i = flat.indexOf(target);
              flat[i] = { ...target, error: true };
              return;
            }
            const turn: Turn =
              s.op === 'message'
                ? { message_id: `m${n}`, at: at(s.seconds), error: s.error }
                : { message_id: null, at: at(s.seconds), error: true };
            log = appendTurn(log, turn);
            flat.push(turn);
          });
          // Every chunk but the last is full; nothing older changed in place.
          expect(log.slice(0, -1).every((chunk) => chunk.length === TURN_CHUNK)).toBe(true);
          expect(log.flat()).toEqual(flat);
          for (const { log: old, flat: held } of earlier) expect(JSON.stringify(old.flat())).toBe(held);
          expect(turnCount(log)).toBe(flat.length);
          const from = fromPick % (flat.length + 1);
          const since = sinceSeconds === null ? undefined : BASE + sinceSeconds * 1000;
          expect(countTurns(log, from, since)).toEqual(flatCount(flat, from, since));
          for (const turn of flat) {
            if (turn.message_id !== null) expect(findTurn(log, turn.message_id)).toEqual(turn);
          }
          expect(findTurn(log, 'no-such-message')).toBeUndefined();
        },
      ),
      // No shrinking: a counterexample of a thousand steps takes minutes to shrink.
      { numRuns: 100, endOnFailure: true },
    );
  });

  it('copies only the last chunk and the chunk list on a new turn: older chunks are shared', () => {
    let log: TurnLog = [];
    for (let i = 0; i < 3 * TURN_CHUNK + 1; i++)
      log = appendTurn(log, { message_id: `m${i}`, at: at(i), error: false });
    const next = appendTurn(log, { message_id: 'new', at: at(9999), error: false });
    expect(next.slice(0, 3)).toEqual(log.slice(0, 3));
    for (let c = 0; c < 3; c++) expect(next[c]).toBe(log[c]);
    expect(next[3]).not.toBe(log[3]);
    // Flagging a message of the first chunk replaces that chunk only.
    const flagged = flagTurn(next, 'm5');
    expect(flagged[0]).not.toBe(next[0]);
    expect(flagged[1]).toBe(next[1]);
    expect(findTurn(flagged, 'm5')?.error).toBe(true);
    expect(findTurn(next, 'm5')?.error).toBe(false);
    expect(countTurns(flagged, 0, undefined).errors).toBe(1);
    expect(countTurns(next, 0, undefined).errors).toBe(0);
    expect(flagTurn(next, 'unknown')).toBe(next);
  });
});
