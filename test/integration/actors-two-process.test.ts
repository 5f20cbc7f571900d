import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import type { EventStore } from '../../src/events/event-store.js';
import { lampKind } from '../support/lamp-kind.js';
import { tempStore } from '../support/temp-store.js';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('../support/actor-worker.ts', import.meta.url));
const worker = (...args: string[]) => run(process.execPath, ['--import', 'tsx', WORKER, ...args]);

describe('actors across processes (integration)', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  beforeEach(() => {
    temp = tempStore('bzzz-two-process-');
    store = temp.open();
  });
  afterEach(() => temp.dispose());

  it('two processes sending to the same actors never lose or duplicate an event', async () => {
    const lamps = 4;
    const presses = 25;
    const system = new ActorSystem({ store, kinds: [lampKind], maxConflictRetries: 100 });
    for (let lamp = 0; lamp < lamps; lamp++)
      await system.send('lamp', `l${lamp}`, { type: 'Install', room: 'r' });
    const here = Promise.all(
      Array.from({ length: lamps }, async (_, lamp) => {
        for (let n = 0; n < presses; n++)
          await system.send('lamp', `l${lamp}`, { type: 'Press', by: `parent-${n}` });
      }),
    );
    await Promise.all([here, worker('press', temp.path, String(lamps), String(presses), 'child')]);
    for (let lamp = 0; lamp < lamps; lamp++) {
      const events = await store.readStream(`lamp-l${lamp}`);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 2 * presses + 1 }, (_, i) => i));
      const by = events.filter((e) => e.type === 'LampPressed').map((e) => (e.data as { by: string }).by);
      expect(new Set(by).size).toBe(2 * presses);
      expect(by.filter((b) => b.startsWith('child-'))).toHaveLength(presses);
    }
    expect((await system.inspect('lamp', 'l0')).state).toMatchObject({ presses: 2 * presses });
  });

  it('a restarted process finds every actor in the same state', async () => {
    const system = new ActorSystem({ store, kinds: [lampKind] });
    for (let lamp = 0; lamp < 6; lamp++) {
      await system.send('lamp', `l${lamp}`, { type: 'Install', room: `room-${lamp}` });
      for (let n = 0; n < lamp; n++) await system.send('lamp', `l${lamp}`, { type: 'Press', by: `p${n}` });
      if (lamp % 2 === 0) await system.send('lamp', `l${lamp}`, { type: 'SwitchOn', minutes: 5 });
    }
    const { stdout } = await worker('dump', temp.path, '7');
    const dumped = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(dumped).toHaveLength(7);
    for (const { lamp, revision, state } of dumped) {
      const here = await system.inspect('lamp', `l${lamp}`);
      expect({ revision, state }).toEqual({ revision: here.revision, state: here.state });
    }
    expect(dumped[6]).toMatchObject({ revision: -1 });
  });
});
