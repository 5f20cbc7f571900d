import type Database from 'better-sqlite3';
import type { LookupMatch } from './lookup-queries.js';
import type { LookupGeneration } from './lookup-schema.js';
import { announcedWrites, UNANNOUNCED_WRITES_SEEN_WITHIN_MS } from '../announced-writes.js';

/**
 * What lookups of one read-model connection remember of the lookup view:
 * - `agents`: agents already read, by id, so that a lookup turns columns into JavaScript values only
 *   for agents it has not read since they last changed (the matches are frozen: callers share them);
 * - `results`: the ids a lookup query answered, by query and parameters, valid until an agent row
 *   changes in a way a query can see (its role, project, status, score, specialization or
 *   capabilities: everything but heartbeat times), with the matches last made of them while no agent
 *   changed at all (`epoch`: any write of an agent row moves it).
 *
 * The view's writer on the same connection tells the cache what it wrote ({@link agentTouched},
 * {@link agentChanged}, {@link viewReset}). Writers on other connections (the projection worker of
 * `bzzz serve`, a rebuild from the CLI) show in the view's generation counters, which every writer
 * moves in the transaction of its change (table `lookup_generation`): `changed` empties the cache,
 * `touched` (heartbeat and activity times only) the agents read. Writes to other views change neither.
 */
export interface LookupCache {
  agents: Map<string, LookupMatch>;
  results: Map<string, CachedResult>;
  epoch: number;
}

export interface CachedResult {
  ids: readonly string[];
  /** The agents of `ids`, as of `epoch`. */
  matches?: readonly LookupMatch[];
  epoch: number;
}

interface CacheState extends LookupCache {
  generation: Database.Statement<[], LookupGeneration>;
  seen: LookupGeneration;
  /** Writes announced (announced-writes.ts) when `seen` was read, and when that was. */
  seenAnnounced: number | undefined;
  seenAt: number;
}

/** Past this many agents, or query results, that part of the cache starts over (a bound on memory). */
const MAX_CACHED_AGENTS = 50_000;
const MAX_CACHED_RESULTS = 2_000;

const caches = new WeakMap<Database.Database, CacheState>();

/**
 * The cache of `db`, emptied first if another connection wrote to the database since the last call.
 * When the database's writes are announced (announced-writes.ts), the generation is read only after an
 * announced write, or once the last reading is UNANNOUNCED_WRITES_SEEN_WITHIN_MS old.
 */
export function lookupCache(db: Database.Database): LookupCache {
  let cache = caches.get(db);
  const announced = announcedWrites(db);
  if (!cache) {
    const generation = db.prepare<[], LookupGeneration>(
      'SELECT changed, touched FROM lookup_generation WHERE id = 1',
    );
    cache = {
      agents: new Map(),
      results: new Map(),
      epoch: 0,
      generation,
      seen: generation.get()!,
      seenAnnounced: announced,
      seenAt: performance.now(),
    };
    caches.set(db, cache);
    return cache;
  }
  const at = performance.now();
  if (
    announced !== undefined &&
    announced === cache.seenAnnounced &&
    at - cache.seenAt < UNANNOUNCED_WRITES_SEEN_WITHIN_MS
  )
    return cache;
  cache.seenAnnounced = announced;
  cache.seenAt = at;
  const now = cache.generation.get()!;
  if (now.changed !== cache.seen.changed || now.touched !== cache.seen.touched) {
    cache.epoch++;
    cache.agents.clear();
    if (now.changed !== cache.seen.changed) cache.results.clear();
    cache.seen = now;
  }
  return cache;
}

/**
 * The writer on this connection moved the generation by `by`, to `generation`: what it changed, it
 * told the cache already. A move that is not all its own (another connection wrote before it) is left
 * for the next lookup to see.
 */
export function generationWritten(
  db: Database.Database,
  by: LookupGeneration,
  generation: LookupGeneration,
): void {
  const cache = caches.get(db);
  if (
    cache &&
    cache.seen.changed + by.changed === generation.changed &&
    cache.seen.touched + by.touched === generation.touched
  )
    cache.seen = generation;
}

/** Keeps an agent just read (frozen), making room if the cache is full. */
export function rememberAgent(cache: LookupCache, match: LookupMatch): LookupMatch {
  if (cache.agents.size >= MAX_CACHED_AGENTS) cache.agents.clear();
  Object.freeze(match.capabilities);
  cache.agents.set(match.id, Object.freeze(match));
  return match;
}

/** Keeps the ids a query answered, making room if the cache is full. */
export function rememberResult(cache: LookupCache, key: string, ids: readonly string[]): CachedResult {
  if (cache.results.size >= MAX_CACHED_RESULTS) cache.results.clear();
  const result: CachedResult = { ids: Object.freeze(ids), epoch: -1 };
  cache.results.set(key, result);
  return result;
}

/** The writer changed only columns no lookup filters or sorts on (heartbeat and activity times). */
export function agentTouched(db: Database.Database, id: string): void {
  const cache = caches.get(db);
  if (!cache) return;
  cache.epoch++;
  cache.agents.delete(id);
}

/** The writer wrote (or replaced) an agent's row: every remembered result may have changed. */
export function agentChanged(db: Database.Database, id: string): void {
  const cache = caches.get(db);
  if (!cache) return;
  cache.epoch++;
  cache.agents.delete(id);
  cache.results.clear();
}

/** The writer emptied the view. */
export function viewReset(db: Database.Database): void {
  const cache = caches.get(db);
  if (!cache) return;
  cache.epoch++;
  cache.agents.clear();
  cache.results.clear();
}
