import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { type ActorRuntime, startActorRuntime } from '../actors/actor-runtime.js';
import type { Clock } from '../actors/clock.js';
import { startTrailService, type TrailService } from '../audit/trail-service.js';
import type { EffectHandler } from '../actors/effects.js';
import { actorKinds } from '../actors/kinds.js';
import type { BzzzConfig } from '../config/config.js';
import type { EventStore } from '../events/event-store.js';
import { openEventStore } from '../events/open-store.js';
import { type NodeIdentity, loadOrCreateNodeIdentity } from '../identity/node-identity.js';
import { createLlmService, type LlmService } from '../llm/llm-service.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import type { ProjectionService } from '../projections/projection-service.js';
import { projections } from '../projections/projections.js';
import { openReadModelDatabase } from '../projections/read-model-db.js';
import { ProjectionThread } from '../projections/thread/projection-thread.js';

/** Everything one bzzz node runs, wired in the order of the flow: store → trail, actors → projections. */
export interface BzzzNode {
  identity: NodeIdentity;
  store: EventStore;
  actors: ActorRuntime;
  /** The read models, for queries (the projections write them from a worker thread's connection). */
  readModel: Database.Database;
  projections: ProjectionService;
  /** The node's audit trail: leaves indexed as events are appended, checkpoints signed. */
  trail: TrailService;
  /** The LLM task runner with its budget guard (answers "not configured" without an API key). */
  llm: LlmService;
  close(): Promise<void>;
}

export interface NodeOptions {
  clock?: Clock;
  effects?: Readonly<Record<string, EffectHandler>>;
  onError?: (error: unknown) => void;
}

/** The files a node keeps beside its store: the actors' cache and the read models. */
export function nodePaths(config: BzzzConfig) {
  return {
    runtimeDb: join(config.dataDir, 'runtime.db'),
    readModelDb: join(config.dataDir, 'read-model.db'),
  };
}

/** Opens the store and starts the actor runtime and the projections. */
export function startBzzzNode(config: BzzzConfig, options: NodeOptions = {}): BzzzNode {
  const identity = loadOrCreateNodeIdentity(config.dataDir);
  const store = openEventStore(config, identity.nodeId);
  const paths = nodePaths(config);
  const trail = startTrailService({
    dataDir: config.dataDir,
    store,
    identity,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const clock = options.clock;
  const llm = createLlmService({
    config: config.llm,
    store,
    system: () => actors.system,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const actors = startActorRuntime({
    store,
    kinds: actorKinds,
    runtimeDbPath: paths.runtimeDb,
    ...(clock ? { clock } : {}),
    // Always on: without an API key a task fails visibly (OPENAI_ERROR, not configured) instead of
    // waiting forever; callers may replace any handler.
    effects: { ...llm.effects, ...options.effects },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const readModel = openReadModelDatabase(paths.readModelDb);
  // Applied and written beside the main thread, which only forwards events and answers queries.
  const runner = new ProjectionThread(store, readModel, projections);
  runner.start();
  return {
    identity,
    store,
    actors,
    readModel,
    projections: runner,
    trail,
    llm,
    async close() {
      await runner.stop();
      await actors.close();
      // After the actors: the last checkpoint covers their last events. Never rejects.
      await trail.close();
      readModel.close();
      await store.close();
    },
  };
}

/**
 * For one-shot commands (reports, listings): opens the store and the read models, brings every view
 * up to the head of `$all`, and stops following.
 */
export async function openCaughtUpReadModel(
  config: BzzzConfig,
): Promise<{ readModel: Database.Database; close(): Promise<void> }> {
  const identity = loadOrCreateNodeIdentity(config.dataDir);
  const store = openEventStore(config, identity.nodeId);
  const readModel = openReadModelDatabase(nodePaths(config).readModelDb);
  const runner = new ProjectionRunner(store, readModel, projections);
  runner.start();
  const [head] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
  await runner.waitFor(head?.position, 10 * 60_000);
  await runner.stop();
  return {
    readModel,
    async close() {
      readModel.close();
      await store.close();
    },
  };
}
