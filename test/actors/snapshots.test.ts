import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { agentKind } from '../../src/actors/agent/agent-kind.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { initialState } from '../../src/actors/fold.js';
import { catchUp, restoreSnapshot } from '../../src/actors/rehydrate.js';
import { openRuntimeDatabase } from '../../src/actors/runtime-db.js';
import { type Snapshot, sqliteSnapshotStore } from '../../src/actors/snapshot-store.js';
import { threadKind } from '../../src/actors/thread/thread-kind.js';
import type { JsonObject } from '../../src/events/json.js';
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

  const agentProfile = {
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
  const oldAgentEvents: { type: string; data: JsonObject }[] = [
    {
      type: 'AgentAnnounced',
      data: { agent_id: 'old', ...agentProfile, announced_at: '2026-01-01T00:00:00.000Z' },
    },
    { type: 'AgentHeartbeatReceived', data: { at: '2026-01-01T00:00:30.000Z' } },
    {
      type: 'TaskAssigned',
      data: {
        task_id: 't1',
        task_type: 'code_review',
        description: 'review',
        input: {},
        thread_id: null,
        assigned_at: '2026-01-01T00:00:40.000Z',
      },
    },
    { type: 'TaskStarted', data: { task_id: 't1', started_at: '2026-01-01T00:00:41.000Z' } },
  ];
  /** What each older machine version cached for `agent-old` at revision 1 (announced, a heartbeat). */
  const oldAgentSnapshots: Record<1 | 2, JsonObject> = {
    // v1: the profile flat in the context.
    1: { value: { announced: { online: 'idle' } }, context: { id: 'old', ...agentProfile } },
    // v2: the profile nested, the state nested (announced.online.idle).
    2: {
      value: { announced: { online: 'idle' } },
      context: {
        id: 'old',
        profile: agentProfile,
        created_at: '2026-01-01T00:00:00.000Z',
        last_activity: '2026-01-01T00:00:30.000Z',
        last_heartbeat: '2026-01-01T00:00:30.000Z',
        current_tasks: [],
        recent_tasks: [],
        completed_tasks: 0,
        failed_tasks: 0,
        usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cost_usd: 0 },
        last_error: null,
        retired_at: null,
        retire_reason: null,
      },
    },
  };

  async function agentRecordedBy(machineVersion: number, snapshotVersion?: 1 | 2) {
    const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
    const snapshots = sqliteSnapshotStore(openRuntimeDatabase(':memory:'));
    const metadata = { correlationId: 'c', causationId: 'c', machineVersion };
    await store.append(
      'agent-old',
      oldAgentEvents.map((event) => ({ ...event, metadata })),
    );
    if (snapshotVersion !== undefined) {
      // Restoring it under the current version would break the state: it must be ignored.
      snapshots.save({
        stream: 'agent-old',
        revision: 1,
        machineVersion: snapshotVersion,
        state: structuredClone(oldAgentSnapshots[snapshotVersion]),
      });
    }
    return { store, system: new ActorSystem({ store, kinds: [agentKind], snapshots }) };
  }

  it.each([1, 2] as const)(
    'reads agents recorded by machine v%i: its events as they are, its snapshots (older states) ignored',
    async (version) => {
      expect([agentKind.version, agentKind.stateVersion]).toEqual([2, 3]);
      const current = await agentRecordedBy(agentKind.version);
      const want = await current.system.inspect('agent', 'old');
      expect(want.snapshot.value).toBe('busy');
      await current.store.close();

      const { store, system } = await agentRecordedBy(version, version);
      const agent = await system.inspect('agent', 'old');
      expect(agent.revision).toBe(3);
      expect(agent.snapshot.value).toBe('busy');
      expect(agent.snapshot.context).toEqual(want.snapshot.context);
      expect(agent.state).toEqual(want.state);
      expect(agent.state).toMatchObject({
        ...agentProfile,
        status: 'busy',
        last_heartbeat: '2026-01-01T00:00:30.000Z',
        current_tasks: [{ id: 't1', status: 'in_progress' }],
      });
      const result = await system.send('agent', 'old', { type: 'RecordHeartbeat' });
      expect(result.revision).toBe(4);
      expect((await store.readStream('agent-old'))[4]?.metadata.machineVersion).toBe(agentKind.version);
      await store.close();
    },
  );

  it('reads a stream whose events were recorded by machine v1, then the current one', async () => {
    const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
    const [first, second, ...rest] = oldAgentEvents;
    const metadata = (machineVersion: number) => ({ correlationId: 'c', causationId: 'c', machineVersion });
    await store.append('agent-old', [{ ...first!, metadata: metadata(1) }]);
    await store.append('agent-old', [{ ...second!, metadata: metadata(agentKind.version) }]);
    await store.append(
      'agent-old',
      rest.map((event) => ({ ...event, metadata: metadata(agentKind.version) })),
    );
    const agent = await new ActorSystem({ store, kinds: [agentKind] }).inspect('agent', 'old');
    const current = await agentRecordedBy(agentKind.version);
    const want = await current.system.inspect('agent', 'old');
    expect(agent.snapshot.value).toBe('busy');
    expect(agent.snapshot.context).toEqual(want.snapshot.context);
    expect(agent.state).toEqual(want.state);
    await current.store.close();
    await store.close();
  });

  it('keeps events readable by a build of the previous state version, which ignores the new snapshots', async () => {
    // The build before the flat machine: same events (version 2), its own state shape (state version 2).
    const previousBuild = { ...agentKind, stateVersion: undefined };
    const { store, system } = await agentRecordedBy(agentKind.version);
    const snapshotsDb = openRuntimeDatabase(':memory:');
    const snapshots = sqliteSnapshotStore(snapshotsDb);
    const writer = new ActorSystem({ store, kinds: [agentKind], snapshots, snapshotEvery: 1 });
    await writer.send('agent', 'old', { type: 'RecordHeartbeat' });
    const saved = snapshots.load('agent-old');
    expect(saved?.machineVersion).toBe(3);
    expect(restoreSnapshot(agentKind, saved)?.revision).toBe(4);
    expect(restoreSnapshot(previousBuild, saved)).toBeUndefined();
    const events = await store.readStream('agent-old');
    expect(events.every((e) => e.metadata.machineVersion === 2)).toBe(true);
    const folded = await catchUp(previousBuild, store, 'agent-old', {
      state: initialState(previousBuild, 'old'),
      revision: -1,
    });
    expect(folded.revision).toBe(4);
    await system.stop();
    await store.close();
  });

  it('refuses agent events recorded by a newer machine version', async () => {
    const { store, system } = await agentRecordedBy(agentKind.version + 1);
    await expect(system.inspect('agent', 'old')).rejects.toMatchObject({ code: 'MACHINE_VERSION_MISMATCH' });
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

  it('snapshots a large state less often: at most about 2 KB of snapshot per event', async () => {
    const store = openSqliteEventStore({ path: ':memory:', nodeId: 'n' });
    const inner = sqliteSnapshotStore(openRuntimeDatabase(':memory:'));
    const saved: { revision: number; bytes: number }[] = [];
    const snapshots = {
      load: (stream: string) => inner.load(stream),
      save: (snapshot: Snapshot) => {
        saved.push({ revision: snapshot.revision, bytes: snapshot.bytes ?? 0 });
        inner.save(snapshot);
      },
    };
    const participants = ['architect-001', 'reviewer-001'];
    const system = new ActorSystem({ store, kinds: [threadKind], snapshots, snapshotEvery: 10 });
    await system.send('thread', 't1', {
      type: 'CreateThread',
      topic: 't',
      creator: participants[0],
      participants,
    });
    // The thread keeps its last 50 messages: with 4 KB each its state is over 200 KB, about 100 events' worth.
    for (let n = 0; n < 400; n++) {
      await system.send('thread', 't1', {
        type: 'PostMessage',
        sender: participants[n % 2],
        content: 'x'.repeat(4096),
      });
    }
    expect(saved.length).toBeGreaterThanOrEqual(3);
    expect(saved.length).toBeLessThan(10);
    for (let i = 1; i < saved.length; i++) {
      const gap = saved[i]!.revision - saved[i - 1]!.revision;
      expect(gap).toBeGreaterThanOrEqual(Math.ceil(saved[i - 1]!.bytes / 2048));
    }
    // A system that loads the last snapshot spaces its next one from it, and folds the rest to the same state.
    const reader = new ActorSystem({ store, kinds: [threadKind], snapshots, snapshotEvery: 10 });
    const last = saved[saved.length - 1]!;
    expect((await reader.inspect('thread', 't1')).state).toEqual(
      (await system.inspect('thread', 't1')).state,
    );
    const before = saved.length;
    for (let n = 0; n < 20; n++)
      await reader.send('thread', 't1', { type: 'PostMessage', sender: participants[0], content: 'y' });
    expect(saved.length).toBe(before);
    expect(last.bytes).toBeGreaterThan(200_000);
    await store.close();
  });
});
