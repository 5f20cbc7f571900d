import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { actorKinds } from '../../src/actors/kinds.js';
import { replayStream, stateAt } from '../../src/audit/replay.js';
import { runReplay } from '../../src/cli/replay-command.js';
import { lampKind } from '../support/lamp-kind.js';
import { TrailFixture } from './trail-fixture.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;

describe('replay and time travel', () => {
  let fixture: TrailFixture;
  let now: number;
  let system: ActorSystem;

  beforeEach(async () => {
    now = T0;
    fixture = new TrailFixture({ clock: () => now });
    system = new ActorSystem({ store: fixture.store, kinds: [lampKind] });
    // One command a minute: installed, on, pressed twice, off.
    const commands = [
      { type: 'Install', room: 'hall' },
      { type: 'SwitchOn', minutes: 30 },
      { type: 'Press', by: 'ada' },
      { type: 'Press', by: 'bob' },
      { type: 'SwitchOff' },
    ];
    for (const command of commands) {
      await system.send('lamp', 'l1', command);
      now += MINUTE;
    }
  });
  afterEach(async () => {
    await system.stop();
    await fixture.dispose();
  });

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReplay(args, {
      store: fixture.store,
      kinds: [lampKind],
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err };
  };

  it('folds every event and ends in the state the actor system has', async () => {
    const steps = [];
    for await (const step of replayStream(fixture.store, [lampKind], 'lamp-l1')) steps.push(step);
    expect(steps.map((s) => [s.event.revision, s.event.type, s.state.status, s.state.presses])).toEqual([
      [0, 'LampInstalled', 'off', 0],
      [1, 'LampSwitchedOn', 'on', 0],
      [2, 'LampPressed', 'on', 1],
      [3, 'LampPressed', 'on', 2],
      [4, 'LampSwitchedOff', 'off', 2],
    ]);
    const inspected = await system.inspect('lamp', 'l1');
    expect(steps.at(-1)!.state).toEqual(inspected.state);
  });

  it('gives the state at a revision and at a time', async () => {
    expect(await stateAt(fixture.store, [lampKind], 'lamp-l1', { revision: 2 })).toMatchObject({
      revision: 2,
      state: { status: 'on', presses: 1, room: 'hall' },
    });
    // Recorded at T0 + 0, 1, 2, 3, 4 minutes: at T0 + 3.5 min the fourth event is the last.
    expect(await stateAt(fixture.store, [lampKind], 'lamp-l1', { time: T0 + 3.5 * MINUTE })).toMatchObject({
      revision: 3,
      state: { status: 'on', presses: 2 },
    });
    // Exactly at an event's recorded time, that event is included.
    expect((await stateAt(fixture.store, [lampKind], 'lamp-l1', { time: T0 + MINUTE })).revision).toBe(1);
    expect(await stateAt(fixture.store, [lampKind], 'lamp-l1', { time: T0 - 1 })).toMatchObject({
      revision: -1,
      state: { status: 'uninstalled' },
    });
    expect((await stateAt(fixture.store, [lampKind], 'lamp-l1')).state).toEqual(
      (await system.inspect('lamp', 'l1')).state,
    );
  });

  it('replays the real agent machine to the state the runtime reports', async () => {
    const agents = new ActorSystem({ store: fixture.store, kinds: actorKinds });
    await agents.send('agent', 'a1', {
      type: 'AnnounceAgent',
      role: 'reviewer',
      capabilities: ['code_review'],
    });
    await agents.send('agent', 'a1', { type: 'RecordHeartbeat' });
    const replayed = await stateAt(fixture.store, actorKinds, 'agent-a1');
    expect(replayed.revision).toBe(1);
    expect(replayed.state).toEqual((await agents.inspect('agent', 'a1')).state);
    await agents.stop();
  });

  it('prints each event with the state after it, or the state at a point (bzzz replay)', async () => {
    const all = await run(['lamp-l1']);
    expect(all.code).toBe(0);
    expect(all.out).toHaveLength(10);
    expect(all.out[0]).toBe(`@0  ${new Date(T0).toISOString()}  LampInstalled  {"room":"hall"}`);
    expect(JSON.parse(all.out[9]!.replace(/^ +state /, ''))).toMatchObject({ status: 'off', presses: 2 });

    const atRevision = await run(['lamp-l1', '--at', '1', '--format', 'json']);
    expect(atRevision.code).toBe(0);
    expect(JSON.parse(atRevision.out[0]!)).toMatchObject({
      revision: 1,
      type: 'LampSwitchedOn',
      state: { status: 'on' },
    });

    const atTime = await run(['lamp-l1', '--at-time', new Date(T0 + 2.5 * MINUTE).toISOString()]);
    expect(atTime.out[0]).toMatch(/^lamp-l1 at revision 2 \(LampPressed, recorded /);
    expect(JSON.parse(atTime.out.slice(1).join('\n'))).toMatchObject({ presses: 1 });

    const jsonLines = await run(['lamp-l1', '--format=json']);
    expect(jsonLines.out.map((line) => JSON.parse(line).revision)).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses bad requests with a one-line reason', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['lamp-l1', '--at', '1', '--at-time', '2026-03-01'])).code).toBe(2);
    expect((await run(['lamp-l1', '--at', 'x'])).code).toBe(2);
    expect((await run(['lamp-l1', '--at-time', 'tomorrow'])).code).toBe(2);
    expect((await run(['nothing-here'])).code).toBe(2);
    const beyond = await run(['lamp-l1', '--at', '9']);
    expect(beyond).toMatchObject({
      code: 1,
      err: ['bzzz replay: lamp-l1 has no revision 9 (its last is 4)'],
    });
    expect((await run(['lamp-l2'])).code).toBe(1);
  });
});
