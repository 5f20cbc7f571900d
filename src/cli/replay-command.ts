import type { AnyActorKind } from '../actors/actor-kind.js';
import { actorKinds } from '../actors/kinds.js';
import { type ReplayBound, replayStream, stateAt } from '../audit/replay.js';
import type { BzzzConfig } from '../config/config.js';
import { isBzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import { openEventStore } from '../events/open-store.js';
import { loadOrCreateNodeIdentity } from '../identity/node-identity.js';

export const REPLAY_USAGE = `usage: bzzz replay <stream> [--at <revision> | --at-time <iso>] [--format text|json]

  without --at    every event of the actor's stream, each with the actor's state right after it
  --at            the actor's state after the event at this revision
  --at-time       the actor's state after the last event recorded at or before this time
                  (an ISO-8601 date-time with a zone, or a date: its end, UTC)
  --format        text (default) or json (one JSON object per line)

events are folded with the actor's pure transition: no effect runs.`;

export interface ReplayDeps {
  store: EventStore;
  kinds?: readonly AnyActorKind[];
  out: (line: string) => void;
  err: (line: string) => void;
}

class UsageError extends Error {}

interface ReplayRequest {
  stream: string;
  bound: ReplayBound | undefined;
  json: boolean;
}

/** `bzzz replay <args>`. Returns the exit code: 0, 1 when the point asked for does not exist, 2 bad usage. */
export async function runReplay(args: readonly string[], deps: ReplayDeps): Promise<number> {
  if (args.some((arg) => arg === '--help' || arg === '-h' || arg === 'help')) {
    for (const line of REPLAY_USAGE.split('\n')) deps.out(line);
    return 0;
  }
  let request: ReplayRequest;
  try {
    request = parseReplayArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.err(`bzzz replay: ${error.message}`);
    return 2;
  }
  const kinds = deps.kinds ?? actorKinds;
  const { stream, bound, json } = request;
  try {
    if (bound === undefined) {
      let count = 0;
      for await (const { event, state } of replayStream(deps.store, kinds, stream)) {
        count++;
        if (json) {
          deps.out(
            JSON.stringify({
              stream,
              revision: event.revision,
              position: event.position.toString(),
              type: event.type,
              recordedAt: event.recordedAt,
              data: event.data,
              state,
            }),
          );
        } else {
          deps.out(`@${event.revision}  ${event.recordedAt}  ${event.type}  ${JSON.stringify(event.data)}`);
          deps.out(`    state ${JSON.stringify(state)}`);
        }
      }
      if (count === 0) {
        deps.err(`bzzz replay: ${stream} has no events`);
        return 1;
      }
      return 0;
    }
    const result = await stateAt(deps.store, kinds, stream, bound);
    if (bound.revision !== undefined && result.revision < bound.revision) {
      deps.err(
        `bzzz replay: ${stream} has no revision ${bound.revision}` +
          (result.revision < 0 ? ' (it has no events)' : ` (its last is ${result.revision})`),
      );
      return 1;
    }
    if (json) {
      deps.out(
        JSON.stringify({
          stream,
          revision: result.revision,
          type: result.event?.type ?? null,
          recordedAt: result.event?.recordedAt ?? null,
          state: result.state,
        }),
      );
    } else {
      deps.out(
        result.event
          ? `${stream} at revision ${result.revision} (${result.event.type}, recorded ${result.event.recordedAt}):`
          : `${stream} before its first event:`,
      );
      for (const line of JSON.stringify(result.state, null, 2).split('\n')) deps.out(line);
    }
    return 0;
  } catch (error) {
    if (!isBzzzError(error)) throw error;
    deps.err(`bzzz replay: ${error.message}`);
    return error.code === 'INVALID_PARAMETERS' ? 2 : 1;
  }
}

function parseReplayArgs(args: readonly string[]): ReplayRequest {
  let stream: string | undefined;
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      if (stream !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
      stream = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!['at', 'at-time', 'format'].includes(name)) {
      throw new UsageError(`unknown option "${arg}"; accepted: --at, --at-time, --format`);
    }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    if (given.has(name)) throw new UsageError(`--${name} is given twice`);
    given.set(name, value);
  }
  if (stream === undefined) throw new UsageError('name a stream, e.g. bzzz replay thread-<id>');
  const format = given.get('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format "${format}": use text or json`);
  const at = given.get('at');
  const atTime = given.get('at-time');
  if (at !== undefined && atTime !== undefined) throw new UsageError('give --at or --at-time, not both');
  let bound: ReplayBound | undefined;
  if (at !== undefined) {
    if (!/^\d+$/.test(at) || !Number.isSafeInteger(Number(at))) {
      throw new UsageError(`--at "${at}" is not a revision (a non-negative integer)`);
    }
    bound = { revision: Number(at) };
  } else if (atTime !== undefined) {
    bound = { time: parseInstant(atTime) };
  }
  return { stream, bound, json: format === 'json' };
}

/** An ISO date-time with a zone (Z or ±hh:mm), or a bare date meaning the end of that UTC day. */
export function parseInstant(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = Date.parse(`${text}T00:00:00Z`);
    if (!Number.isNaN(start)) return start + 86_400_000 - 1;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const time = Date.parse(text);
    if (!Number.isNaN(time)) return time;
  }
  throw new UsageError(`--at-time "${text}" is not an ISO-8601 date or date-time with a zone`);
}

/** Runs `bzzz replay` against the configured store, on the console. */
export async function runReplayCommand(args: readonly string[], config: BzzzConfig): Promise<number> {
  const identity = loadOrCreateNodeIdentity(config.dataDir);
  const store = openEventStore(config, identity.nodeId);
  try {
    return await runReplay(args, {
      store,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await store.close();
  }
}
