/** One sample for `error_rate`: a message (possibly flagged) or an error reported without a message. */
export type Turn = { message_id: string | null; at: string; error: boolean };

/** Turns per chunk: a new turn copies the last chunk (at most this many entries), never the whole log. */
export const TURN_CHUNK = 256;

/**
 * Every turn of a thread in order, in chunks of TURN_CHUNK turns: all full but the last. Like the rest
 * of the context it is plain JSON and never changed in place: a new turn copies the last chunk and the
 * list of chunks, flagging a message copies its chunk. So a post costs the same in a thread of ten
 * messages as in one of a million, and a full chunk, which no later state changes, can keep an index
 * of its ids and its counts (kept beside it, built once, on first use).
 */
export type TurnLog = readonly (readonly Turn[])[];

interface ChunkSummary {
  /** Message id → index in the chunk. */
  ids: Map<string, number>;
  errors: number;
  /** Earliest and latest turn times (ms). */
  earliest: number;
  latest: number;
}

const summaries = new WeakMap<readonly Turn[], ChunkSummary>();

function summaryOf(chunk: readonly Turn[]): ChunkSummary {
  let summary = summaries.get(chunk);
  if (summary) return summary;
  summary = { ids: new Map(), errors: 0, earliest: Infinity, latest: -Infinity };
  chunk.forEach((turn, index) => {
    if (turn.message_id !== null) summary!.ids.set(turn.message_id, index);
    if (turn.error) summary!.errors++;
    const at = Date.parse(turn.at);
    summary!.earliest = Math.min(summary!.earliest, at);
    summary!.latest = Math.max(summary!.latest, at);
  });
  summaries.set(chunk, summary);
  return summary;
}

const isFull = (chunk: readonly Turn[]) => chunk.length === TURN_CHUNK;

export function turnCount(log: TurnLog): number {
  const last = log[log.length - 1];
  return last === undefined ? 0 : (log.length - 1) * TURN_CHUNK + last.length;
}

export function appendTurn(log: TurnLog, turn: Turn): TurnLog {
  const last = log[log.length - 1];
  if (last === undefined || isFull(last)) return [...log, [turn]];
  const next = log.slice();
  next[next.length - 1] = [...last, turn];
  return next;
}

/** The turn of message `id`, as [chunk, index in the chunk]. */
function locate(log: TurnLog, id: string): [number, number] | undefined {
  for (let c = 0; c < log.length; c++) {
    const chunk = log[c]!;
    const index = isFull(chunk) ? summaryOf(chunk).ids.get(id) : chunk.findIndex((t) => t.message_id === id);
    if (index !== undefined && index >= 0) return [c, index];
  }
  return undefined;
}

export function findTurn(log: TurnLog, id: string): Turn | undefined {
  const at = locate(log, id);
  return at && log[at[0]]![at[1]];
}

/** The log with message `id` counted as an error (the same log when there is no such message). */
export function flagTurn(log: TurnLog, id: string): TurnLog {
  const at = locate(log, id);
  if (!at) return log;
  const [c, index] = at;
  const chunk = log[c]!.slice();
  chunk[index] = { ...chunk[index]!, error: true };
  const next = log.slice();
  next[c] = chunk;
  return next;
}

/**
 * The turns from index `from` on whose time is at or after `since` (ms; undefined: all of them): how
 * many, and how many of them are errors. Full chunks are counted from their summaries, and skipped
 * whole when all their turns are older than `since`; times need not be in order.
 */
export function countTurns(
  log: TurnLog,
  from: number,
  since: number | undefined,
): { total: number; errors: number } {
  let total = 0;
  let errors = 0;
  for (let c = Math.floor(from / TURN_CHUNK); c < log.length; c++) {
    const chunk = log[c]!;
    const first = Math.max(0, from - c * TURN_CHUNK);
    if (first === 0 && isFull(chunk)) {
      const summary = summaryOf(chunk);
      if (since !== undefined && summary.latest < since) continue;
      if (since === undefined || summary.earliest >= since) {
        total += chunk.length;
        errors += summary.errors;
        continue;
      }
    }
    for (let i = first; i < chunk.length; i++) {
      const turn = chunk[i]!;
      if (since !== undefined && Date.parse(turn.at) < since) continue;
      total++;
      if (turn.error) errors++;
    }
  }
  return { total, errors };
}
