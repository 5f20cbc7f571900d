import { parentPort, workerData } from 'node:worker_threads';
import { CheckpointStore } from '../checkpoint-store.js';
import type { ProjectionDefinition } from '../projection.js';
import { ProjectionLoop } from '../projection-loop.js';
import { ProjectionView } from '../projection-view.js';
import { projections } from '../projections.js';
import { openReadModelDatabase } from '../read-model-db.js';
import { ForwardedEvents } from './forwarded-events.js';
import type { FromWorker, ProjectionWorkerData, ToWorker } from './protocol.js';
import { WorkerReport } from './worker-report.js';

/**
 * The projection worker (started by projection-thread.ts): the views, their shared loop and their
 * transactions, exactly as ProjectionRunner runs them in a thread of its own, on a connection of its
 * own to the read-model file, over the `$all` the main thread forwards (forwarded-events.ts). After
 * each batch it reports where the views stand (worker-report.ts). On `stop` it stops the loop, which
 * writes the checkpoints held in memory only, reports, closes the database and lets the thread end.
 */

const port = parentPort!;
const data = workerData as ProjectionWorkerData;
const post = (message: FromWorker) => port.postMessage(message);
const report = new WorkerReport(post);
const source = new ForwardedEvents(post, report);
let stopping: Promise<void> | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stopping ??= stop();
  else source.receive(message);
});

const running = start();

async function start() {
  const definitions = await load(data);
  const db = openReadModelDatabase(data.path);
  const checkpoints = new CheckpointStore(db);
  const views = definitions.map((definition) => new ProjectionView(definition, db, checkpoints));
  for (const view of views) view.observe(() => report.changed(view.name, () => view.status()));
  const loop = new ProjectionLoop(source, db);
  loop.join(views);
  return { db, loop };
}

async function stop(): Promise<void> {
  const { db, loop } = await running;
  await loop.stop();
  report.flush();
  db.close();
  port.close();
}

/** The definitions the main thread named, from the module it named: the same versions. */
async function load({ module, views }: ProjectionWorkerData): Promise<ProjectionDefinition[]> {
  const all = module
    ? ((await import(module)) as { projections: readonly ProjectionDefinition[] }).projections
    : projections;
  return views.map(({ name, version }) => {
    const definition = all.find((candidate) => candidate.name === name);
    if (definition?.version !== version) {
      throw new Error(`the projection worker has no projection ${name} of version ${version}`);
    }
    return definition;
  });
}
