/**
 * Child program of the projection crash test (test/integration/projection-crash.test.ts):
 *
 *   node --import tsx test/support/projection-worker-child.ts <storePath> <readModelPath>
 *
 * Runs a ProjectionRunner with the counting projection (test/support/counting-projection.ts) and the
 * real lookup projection over the store, into the read-model file, until both views reflect the head
 * of `$all` as it was at start. The parent SIGKILLs it at random moments before that; a run that gets
 * there writes `CAUGHT_UP <position>` on stdout (synchronously, fd 1), stops the runner and exits 0.
 * Any failure is reported on stderr and ends the process with code 1.
 */
import '../../src/polyfill.js';
import { writeSync } from 'node:fs';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { lookupProjection } from '../../src/projections/lookup/lookup-projection.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { countingProjection } from './counting-projection.js';

function fail(message: string, error?: unknown): never {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error ?? '');
  writeSync(2, `projection-worker-child: ${message} ${detail}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const [storePath, readModelPath] = process.argv.slice(2);
  if (!storePath || !readModelPath) fail('usage: projection-worker-child.ts <storePath> <readModelPath>');
  const store = openSqliteEventStore({ path: storePath, nodeId: 'projection-worker-child' });
  const db = openReadModelDatabase(readModelPath);
  const runner = new ProjectionRunner(store, db, [countingProjection(), lookupProjection]);
  runner.start();
  const [head] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
  await runner.waitFor(head?.position, 120_000);
  const failed = runner.status().filter((status) => status.state !== 'running');
  if (failed.length > 0)
    fail(
      `projections not running: ${JSON.stringify(failed, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  writeSync(1, `CAUGHT_UP ${head?.position ?? 'none'}\n`);
  await runner.stop();
  db.close();
  await store.close();
}

main().catch((error: unknown) => fail('stopped', error));
