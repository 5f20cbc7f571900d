import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startActorRuntime } from '../../src/actors/actor-runtime.js';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { sqliteEffectOutbox } from '../../src/actors/effect-outbox.js';
import { openRuntimeDatabase } from '../../src/actors/runtime-db.js';
import type { Effect } from '../../src/actors/effects.js';
import { isBzzzError } from '../../src/errors.js';
import type { EventStore } from '../../src/events/event-store.js';
import { lampKind } from '../support/lamp-kind.js';
import { tempStore } from '../support/temp-store.js';

async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('actor system', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  beforeEach(() => {
    temp = tempStore('bzzz-actors-');
    store = temp.open();
  });
  afterEach(() => temp.dispose());

  it('appends accepted events with the machine version, then adopts the state', async () => {
    const system = new ActorSystem({ store, kinds: [lampKind] });
    const result = await system.send(
      'lamp',
      'l1',
      { type: 'Install', room: 'hall' },
      { correlationId: 'corr-9' },
    );
    expect(result).toMatchObject({
      stream: 'lamp-l1',
      actorId: 'l1',
      revision: 0,
      events: [{ type: 'LampInstalled', revision: 0 }],
    });
    expect(typeof result.position).toBe('bigint');
    expect(result.state).toMatchObject({ status: 'off', room: 'hall' });
    const [stored] = await store.readStream('lamp-l1');
    expect(stored).toMatchObject({
      type: 'LampInstalled',
      data: { room: 'hall' },
      position: result.position,
    });
    expect(stored?.metadata).toMatchObject({
      machineVersion: 1,
      correlationId: 'corr-9',
      causationId: 'corr-9',
      cause: 'Install',
    });
  });

  it('rejects with a typed error and appends nothing: bad input, domain refusal, invalid transition', async () => {
    const system = new ActorSystem({ store, kinds: [lampKind] });
    expect(await failure(system.send('lamp', 'l1', { type: 'Install', room: '' }))).toMatchObject({
      code: 'INVALID_PARAMETERS',
    });
    expect(await failure(system.send('lamp', 'l1', { type: 'SwitchOff' }))).toMatchObject({
      code: 'INVALID_PARAMETERS',
      message: 'lamp l1 is not installed',
    });
    await system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    const invalid = await failure(system.send('lamp', 'l1', { type: 'SwitchOff' }));
    expect(invalid).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect((invalid as Error).message).toContain('"off"');
    expect(await failure(system.send('nope', 'x', { type: 'Install' }))).toMatchObject({
      code: 'INVALID_PARAMETERS',
    });
    expect(await store.readStream('lamp-l1')).toHaveLength(1);
  });

  it('handles one command at a time per actor: concurrent presses never conflict', async () => {
    const system = new ActorSystem({ store, kinds: [lampKind], maxConflictRetries: 0 });
    await system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => system.send('lamp', 'l1', { type: 'Press', by: `p${i}` })),
    );
    expect(results.map((r) => r.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await system.inspect('lamp', 'l1')).state).toMatchObject({ presses: 50 });
  });

  it('rehydrates from the stream in a new system, running no effects', async () => {
    const effects: Effect[] = [];
    const first = new ActorSystem({
      store,
      kinds: [lampKind],
      effects: { announceLit: async (e) => void effects.push(e) },
    });
    await first.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    await first.send('lamp', 'l1', { type: 'SwitchOn', minutes: 5 });
    await first.settled();
    expect(effects).toHaveLength(1);
    const second = new ActorSystem({
      store,
      kinds: [lampKind],
      effects: { announceLit: async (e) => void effects.push(e) },
    });
    expect(await second.inspect('lamp', 'l1')).toMatchObject({
      exists: true,
      revision: 1,
      state: { status: 'on' },
    });
    await second.settled();
    expect(effects).toHaveLength(1);
    expect(await second.inspect('lamp', 'never')).toMatchObject({ exists: false, revision: -1 });
  });

  it('runs effects after the append with an idempotency key, their outcome coming back as an event', async () => {
    let calls = 0;
    const system: ActorSystem = new ActorSystem({
      store,
      kinds: [lampKind],
      effects: {
        announceLit: async (effect) => {
          calls++;
          if (calls === 1) throw new Error('transient');
          expect(await store.readStream(effect.stream)).toHaveLength(2);
          await system.send('lamp', effect.actorId, { type: 'ConfirmLit', key: effect.idempotencyKey });
        },
      },
    });
    await system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    await system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 1 });
    await system.settled();
    expect(calls).toBe(2);
    expect((await system.inspect('lamp', 'l1')).state).toMatchObject({ lit: ['lamp-l1@1#0'] });
  });

  it('refuses events of another machine version unless the kind upcasts them', async () => {
    await new ActorSystem({ store, kinds: [lampKind] }).send('lamp', 'l1', { type: 'Install', room: 'hall' });
    const v2 = { ...lampKind, version: 2 };
    const refused = await failure(new ActorSystem({ store, kinds: [v2] }).inspect('lamp', 'l1'));
    expect(refused).toMatchObject({ code: 'MACHINE_VERSION_MISMATCH' });
    expect((refused as Error).message).toContain(
      'lamp-l1@0: LampInstalled was recorded by lamp machine v1, this is v2',
    );
    const upcasting = {
      ...v2,
      upcast: (event: { type: string; data: Record<string, unknown> }) =>
        ({ ...event.data, type: event.type, room: 'upcast' }) as never,
    };
    const state = await new ActorSystem({ store, kinds: [upcasting] }).inspect('lamp', 'l1');
    expect(state.state).toMatchObject({ room: 'upcast' });
  });

  it('passivates idle actors and keeps memory bounded by maxLiveActors', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({
      store,
      kinds: [lampKind],
      clock,
      idleAfterMs: 1000,
      maxLiveActors: 100,
    });
    for (let i = 0; i < 1000; i++) await system.inspect('lamp', `l${i}`);
    expect(system.liveActors).toBeLessThanOrEqual(100);
    clock.advance(1001);
    expect(system.passivateIdle()).toBeGreaterThan(0);
    expect(system.liveActors).toBe(0);
    await system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    clock.advance(2000);
    system.passivateIdle();
    expect((await system.inspect('lamp', 'l1')).state).toMatchObject({ room: 'hall' });
  });

  it('reloads and retries when another system wrote first, and gives up with CONCURRENCY_CONFLICT', async () => {
    const a = new ActorSystem({ store, kinds: [lampKind] });
    const b = new ActorSystem({ store, kinds: [lampKind], maxConflictRetries: 0 });
    await a.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    await b.inspect('lamp', 'l1');
    await a.send('lamp', 'l1', { type: 'Press', by: 'a' });
    const conflict = await failure(b.send('lamp', 'l1', { type: 'Press', by: 'b' }));
    expect(isBzzzError(conflict, 'CONCURRENCY_CONFLICT')).toBe(true);
    expect((await store.readStream('lamp-l1')).length).toBe(2);
    const c = new ActorSystem({ store, kinds: [lampKind] });
    await c.inspect('lamp', 'l1');
    await a.send('lamp', 'l1', { type: 'Press', by: 'a' });
    expect((await c.send('lamp', 'l1', { type: 'Press', by: 'c' })).state).toMatchObject({ presses: 3 });
  });

  it('never loses or duplicates an event with two systems writing the same actors concurrently', async () => {
    const a = new ActorSystem({ store, kinds: [lampKind], maxConflictRetries: 50 });
    const b = new ActorSystem({ store: temp.open(), kinds: [lampKind], maxConflictRetries: 50 });
    for (let i = 0; i < 5; i++) await a.send('lamp', `l${i}`, { type: 'Install', room: 'r' });
    await Promise.all(
      [a, b].flatMap((system, s) =>
        Array.from({ length: 5 }, async (_, lamp) => {
          for (let n = 0; n < 20; n++)
            await system.send('lamp', `l${lamp}`, { type: 'Press', by: `${s}-${n}` });
        }),
      ),
    );
    for (let lamp = 0; lamp < 5; lamp++) {
      const events = await store.readStream(`lamp-l${lamp}`);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 41 }, (_, i) => i));
      const presses = events
        .filter((e) => e.type === 'LampPressed')
        .map((e) => (e.data as { by: string }).by);
      expect(new Set(presses).size).toBe(40);
    }
  });

  describe('durable deadlines (simulated clock)', () => {
    it('fires a due deadline, re-arms it after a restart, and fires at once when overdue', async () => {
      const clock = new SimulatedClock();
      const runtimeDbPath = join(temp.dir, 'runtime.db');
      const first = startActorRuntime({ store, kinds: [lampKind], clock, runtimeDbPath });
      await first.system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
      await first.system.send('lamp', 'l2', { type: 'Install', room: 'attic' });
      const on1 = await first.system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 10 });
      const on2 = await first.system.send('lamp', 'l2', { type: 'SwitchOn', minutes: 30 });
      await first.deadlines.caughtUp(on2.position!);
      expect(on1.position! < on2.position!).toBe(true);
      clock.advance(10 * 60_000);
      await first.deadlines.fireDue();
      expect((await first.system.inspect('lamp', 'l1')).state).toMatchObject({ status: 'burnt' });
      expect((await first.system.inspect('lamp', 'l2')).state).toMatchObject({ status: 'on' });
      await first.close();

      clock.advance(60 * 60_000);
      const second = startActorRuntime({ store, kinds: [lampKind], clock, runtimeDbPath });
      await second.deadlines.fireDue();
      expect((await second.system.inspect('lamp', 'l2')).state).toMatchObject({ status: 'burnt' });
      const burnouts = (await store.readAll()).filter((e) => e.type === 'LampBurnedOut');
      expect(burnouts.map((e) => [e.stream, e.metadata.causationId])).toEqual([
        ['lamp-l1', 'deadline:burnout'],
        ['lamp-l2', 'deadline:burnout'],
      ]);
      await second.close();
    });

    it('arms its timer on the clock: advancing time alone fires the deadline', async () => {
      const clock = new SimulatedClock();
      const runtime = startActorRuntime({ store, kinds: [lampKind], clock, runtimeDbPath: ':memory:' });
      await runtime.system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
      const on = await runtime.system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 1 });
      await runtime.deadlines.caughtUp(on.position!);
      const burnt = new Promise<void>((resolve) => {
        const subscription = store.subscribeToStream('lamp-l1', { from: { after: 1 } });
        void (async () => {
          for await (const event of subscription) {
            if (event.type === 'LampBurnedOut') break;
          }
          resolve();
        })();
      });
      clock.advance(59_000);
      expect((await runtime.system.inspect('lamp', 'l1')).state).toMatchObject({ status: 'on' });
      clock.advance(1_000);
      await burnt;
      expect((await runtime.system.inspect('lamp', 'l1')).state).toMatchObject({ status: 'burnt' });
      await runtime.close();
    });

    it('does not fire a deadline the state no longer implies (switched off in time)', async () => {
      const clock = new SimulatedClock();
      const runtime = startActorRuntime({ store, kinds: [lampKind], clock, runtimeDbPath: ':memory:' });
      await runtime.system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
      await runtime.system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 1 });
      const off = await runtime.system.send('lamp', 'l1', { type: 'SwitchOff' });
      await runtime.deadlines.caughtUp(off.position!);
      clock.advance(120_000);
      await runtime.deadlines.fireDue();
      expect((await store.readStream('lamp-l1')).map((e) => e.type)).toEqual([
        'LampInstalled',
        'LampSwitchedOn',
        'LampSwitchedOff',
      ]);
      await runtime.close();
    });
  });
});

describe('effect outbox', () => {
  let temp: ReturnType<typeof tempStore>;
  beforeEach(() => {
    temp = tempStore('bzzz-outbox-');
  });
  afterEach(() => temp.dispose());

  it('runs again after a crash the effects whose events were written, with the same idempotency key', async () => {
    const store = temp.open();
    const runtimeDbPath = join(temp.dir, 'runtime.db');
    const started: string[] = [];
    const crashed = startActorRuntime({
      store,
      kinds: [lampKind],
      runtimeDbPath,
      // Never finishes: the process "dies" with the effect in flight.
      effects: { announceLit: (effect) => new Promise(() => void started.push(effect.idempotencyKey)) },
    });
    await crashed.system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    await crashed.system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 5 });
    expect(started).toEqual(['lamp-l1@1#0']);

    const done: string[] = [];
    const restarted = startActorRuntime({
      store,
      kinds: [lampKind],
      runtimeDbPath,
      effects: { announceLit: async (effect) => void done.push(effect.idempotencyKey) },
    });
    expect(await restarted.recovered).toBe(1);
    await restarted.system.settled();
    expect(done).toEqual(['lamp-l1@1#0']);
    await restarted.close();

    const third = startActorRuntime({
      store,
      kinds: [lampKind],
      runtimeDbPath,
      effects: { announceLit: async () => {} },
    });
    expect(await third.recovered).toBe(0);
    await third.close();
  });

  it('drops staged effects whose append never happened', async () => {
    const store = temp.open();
    const runtimeDbPath = join(temp.dir, 'runtime.db');
    const ran: string[] = [];
    const competitor = new ActorSystem({ store, kinds: [lampKind] });
    const db = openRuntimeDatabase(runtimeDbPath);
    const system = new ActorSystem({
      store,
      kinds: [lampKind],
      outbox: sqliteEffectOutbox(db),
      maxConflictRetries: 0,
      effects: { announceLit: async (effect) => void ran.push(effect.idempotencyKey) },
    });
    await system.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    await competitor.send('lamp', 'l1', { type: 'Press', by: 'other' });
    expect(await failure(system.send('lamp', 'l1', { type: 'SwitchOn', minutes: 1 }))).toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
    });
    expect(sqliteEffectOutbox(db).pending()).toEqual([]);
    // A crash between staging and appending leaves an effect for an event that was never written.
    sqliteEffectOutbox(db).stage([
      {
        type: 'announceLit',
        params: {},
        category: 'lamp',
        actorId: 'l1',
        stream: 'lamp-l1',
        revision: 9,
        idempotencyKey: 'lamp-l1@9#0',
      },
    ]);
    db.close();
    const again = startActorRuntime({
      store,
      kinds: [lampKind],
      runtimeDbPath,
      effects: { announceLit: async (effect) => void ran.push(effect.idempotencyKey) },
    });
    expect(await again.recovered).toBe(0);
    expect(ran).toEqual([]);
    const check = openRuntimeDatabase(runtimeDbPath);
    expect(sqliteEffectOutbox(check).pending()).toEqual([]);
    check.close();
    await again.close();
  });
});
