import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { agentKind } from '../../src/actors/agent/agent-kind.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { openRuntimeDatabase } from '../../src/actors/runtime-db.js';
import { sqliteSnapshotStore } from '../../src/actors/snapshot-store.js';
import { openSqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.js';
import { lampKind } from '../support/lamp-kind.js';

const command = fc.oneof(
  fc.record({ type: fc.constant('Install'), room: fc.constantFrom('hall', 'attic', '') }),
  fc.record({ type: fc.constant('SwitchOn'), minutes: fc.integer({ min: 1, max: 3 }) }),
  fc.constant({ type: 'SwitchOff' }),
  fc.record({ type: fc.constant('Press'), by: fc.string({ maxLength: 3 }) }),
  fc.record({ type: fc.constant('ConfirmLit'), key: fc.constantFrom('a', 'b') }),
);

describe('snapshots', () => {
  it('rehydrating from a snapshot gives exactly the state rehydrating from zero gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (commands, every) => {
          const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
          const db = openRuntimeDatabase(':memory:');
          const snapshots = sqliteSnapshotStore(db);
          const clock = new SimulatedClock();
          const writer = new ActorSystem({
            store,
            kinds: [lampKind],
            clock,
            snapshots,
            snapshotEvery: every,
          });
          for (const c of commands) await writer.send('lamp', 'l1', c).catch(() => undefined);
          const fromSnapshot = await new ActorSystem({ store, kinds: [lampKind], clock, snapshots }).inspect(
            'lamp',
            'l1',
          );
          const fromZero = await new ActorSystem({ store, kinds: [lampKind], clock }).inspect('lamp', 'l1');
          expect(fromSnapshot.revision).toBe(fromZero.revision);
          expect(fromSnapshot.state).toEqual(fromZero.state);
          expect(fromSnapshot.snapshot.value).toEqual(fromZero.snapshot.value);
          expect(fromSnapshot.snapshot.context).toEqual(fromZero.snapshot.context);
          const saved = snapshots.load('lamp-l1');
          if (fromZero.revision + 1 >= every) expect(saved?.revision).toBeGreaterThanOrEqual(0);
          await store.close();
          db.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads agents recorded by machine v1 (flat profile): v1 events upcast as they are, v1 snapshots ignored', async () => {
    const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
    const snapshots = sqliteSnapshotStore(openRuntimeDatabase(':memory:'));
    const v1 = { correlationId: 'c', causationId: 'c', machineVersion: 1 };
    const profile = {
      role: 'reviewer',
      capabilities: ['go'],
      specialization: 'review',
      max_tasks: 2,
      model: null,
      system_prompt: null,
      cost_limits: null,
      project: 'p',
      owner: null,
      heartbeat_timeout_s: 90,
    };
    const at = '2026-01-01T00:00:00.000Z';
    await store.append('agent-old', [
      { type: 'AgentAnnounced', data: { agent_id: 'old', ...profile, announced_at: at }, metadata: v1 },
      { type: 'AgentHeartbeatReceived', data: { at: '2026-01-01T00:00:30.000Z' }, metadata: v1 },
    ]);
    // What v1 cached: the profile flat in the context. Restoring it under v2 would break the state.
    snapshots.save({
      stream: 'agent-old',
      revision: 1,
      machineVersion: 1,
      state: { value: { announced: { online: 'idle' } }, context: { id: 'old', ...profile } },
    });
    const system = new ActorSystem({ store, kinds: [agentKind], snapshots });
    const agent = await system.inspect('agent', 'old');
    expect(agent.revision).toBe(1);
    expect(agent.state).toMatchObject({
      ...profile,
      status: 'idle',
      last_heartbeat: '2026-01-01T00:00:30.000Z',
    });
    const result = await system.send('agent', 'old', { type: 'RecordHeartbeat' });
    expect(result.revision).toBe(2);
    expect((await store.readStream('agent-old'))[2]?.metadata.machineVersion).toBe(agentKind.version);
    await store.close();
  });

  it('ignores a snapshot taken under another machine version and folds from zero', async () => {
    const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
    const snapshots = sqliteSnapshotStore(openRuntimeDatabase(':memory:'));
    const writer = new ActorSystem({ store, kinds: [lampKind], snapshots, snapshotEvery: 1 });
    await writer.send('lamp', 'l1', { type: 'Install', room: 'hall' });
    snapshots.save({
      ...snapshots.load('lamp-l1')!,
      machineVersion: 99,
      state: { value: 'burnt', context: {} },
    });
    expect(snapshots.load('lamp-l1')?.machineVersion).toBe(99);
    expect(
      (await new ActorSystem({ store, kinds: [lampKind], snapshots }).inspect('lamp', 'l1')).state,
    ).toMatchObject({
      status: 'off',
      room: 'hall',
    });
    await store.close();
  });
});
