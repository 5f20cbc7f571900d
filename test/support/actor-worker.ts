/**
 * A second process for actor tests: `press <db> <lamps> <presses> <tag>` sends presses to lamps l0..
 * concurrently through its own actor system on the same store file; `dump <db> <lamps>` prints every
 * lamp's state as JSON lines. Run with `node --import tsx test/support/actor-worker.ts …`.
 */
import '../../src/polyfill.js';
import { writeSync } from 'node:fs';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { lampKind } from './lamp-kind.js';

const [mode, path, lampsArg, pressesArg, tag] = process.argv.slice(2);
const lamps = Number(lampsArg);
const store = openSqliteEventStore({ path: path ?? '', nodeId: `worker-${process.pid}` });
const system = new ActorSystem({ store, kinds: [lampKind], maxConflictRetries: 100 });

if (mode === 'press') {
  const presses = Number(pressesArg);
  await Promise.all(
    Array.from({ length: lamps }, async (_, lamp) => {
      for (let n = 0; n < presses; n++)
        await system.send('lamp', `l${lamp}`, { type: 'Press', by: `${tag}-${n}` });
    }),
  );
} else if (mode === 'dump') {
  for (let lamp = 0; lamp < lamps; lamp++) {
    const { revision, state } = await system.inspect('lamp', `l${lamp}`);
    writeSync(1, `${JSON.stringify({ lamp, revision, state })}\n`);
  }
}
await store.close();
