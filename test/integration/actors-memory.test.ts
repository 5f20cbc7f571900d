import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActorSystem, type ActorState } from '../../src/actors/actor-system.js';
import type { AgentCommandInput } from '../../src/actors/agent/agent-commands.js';
import { agentKind } from '../../src/actors/agent/agent-kind.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { openRuntimeDatabase } from '../../src/actors/runtime-db.js';
import { type SnapshotStore, sqliteSnapshotStore } from '../../src/actors/snapshot-store.js';
import type { EventStore } from '../../src/events/event-store.js';
import { tempStore } from '../support/temp-store.js';

/** Distinct actors touched through one system. */
const TOUCHED = 100_000;
const MAX_LIVE = 5_000;
/** Agents given real histories, touched among the others and checked after they were passivated. */
const ANNOUNCED = 200;
/** The announced agents are touched in the first half of the loop, so the second half evicts them. */
const ANNOUNCED_EVERY = 250;
/** Touches in flight at once. */
const CONCURRENCY = 64;

/** A snapshot store that counts loads per stream: the system loads only when it rehydrates an actor. */
function countingSnapshots(inner: SnapshotStore) {
  const loads = new Map<string, number>();
  const store: SnapshotStore = {
    load(stream) {
      loads.set(stream, (loads.get(stream) ?? 0) + 1);
      return inner.load(stream);
    },
    save: (snapshot) => inner.save(snapshot),
  };
  return { store, loads };
}

/** A different history per agent: tasks in flight or finished, errors, heartbeats, several profiles. */
function historyOf(i: number): AgentCommandInput[] {
  const announce: AgentCommandInput = {
    type: 'AnnounceAgent',
    role: ['developer', 'reviewer', 'tester'][i % 3]!,
    capabilities: [`skill-${i % 7}`],
    max_tasks: 1 + (i % 4),
    model: i % 2 === 0 ? 'claude-sonnet' : undefined,
  };
  const usage = { prompt_tokens: 100 + i, completion_tokens: 10 + i };
  switch (i % 5) {
    case 0:
      return [announce];
    case 1:
      return [announce, { type: 'AssignTask', task_id: `t-${i}`, task_type: 'code_review', input: { n: i } }];
    case 2:
      return [
        announce,
        { type: 'AssignTask', task_id: `t-${i}`, task_type: 'code_review' },
        { type: 'StartTask', task_id: `t-${i}` },
        { type: 'CompleteTask', task_id: `t-${i}`, result: { ok: i }, usage },
        { type: 'RecordHeartbeat' },
      ];
    case 3:
      return [
        announce,
        { type: 'RecordHeartbeat' },
        { type: 'ReportError', code: 'E_BENCH', message: `agent ${i} broke` },
      ];
    default:
      return [
        announce,
        { type: 'AssignTask', task_id: `t-${i}`, task_type: 'testing' },
        { type: 'FailTask', task_id: `t-${i}`, reason: 'flaky', usage },
        { type: 'RetireAgent', reason: 'done' },
      ];
  }
}

const announcedId = (i: number) => `known-${i}`;

describe('actor memory bound (integration)', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  beforeEach(() => {
    temp = tempStore('bzzz-actors-memory-');
    store = temp.open();
  });
  afterEach(() => temp.dispose());

  it(`touches ${TOUCHED.toLocaleString('en-US')} actors with at most ${MAX_LIVE} live; passivated ones come back intact`, async () => {
    const db = openRuntimeDatabase(':memory:');
    const snapshots = countingSnapshots(sqliteSnapshotStore(db));
    const system = new ActorSystem({
      store,
      kinds: [agentKind],
      clock: new SimulatedClock(),
      snapshots: snapshots.store,
      snapshotEvery: 3,
      maxLiveActors: MAX_LIVE,
    });

    await Promise.all(
      Array.from({ length: ANNOUNCED }, async (_, i) => {
        for (const command of historyOf(i)) await system.send('agent', announcedId(i), command);
      }),
    );
    const expected = new Map<string, ActorState>();
    for (let i = 0; i < ANNOUNCED; i++)
      expected.set(announcedId(i), await system.inspect('agent', announcedId(i)));
    expect([...expected.values()].every((state) => state.exists)).toBe(true);
    expect(snapshots.loads.size).toBe(ANNOUNCED);

    // The loop: mostly agents that were never announced, with the announced ones now and then.
    const touched = new Set<string>();
    let next = 0;
    let maxLive = system.liveActors;
    let ghostsExisting = 0;
    const mismatches: string[] = [];
    const worker = async () => {
      for (let n = next++; n < TOUCHED; n = next++) {
        const known = n % ANNOUNCED_EVERY === 0 && n / ANNOUNCED_EVERY < ANNOUNCED;
        const id = known ? announcedId(n / ANNOUNCED_EVERY) : `ghost-${n}`;
        touched.add(id);
        maxLive = Math.max(maxLive, system.liveActors);
        const state = await system.inspect('agent', id);
        maxLive = Math.max(maxLive, system.liveActors);
        if (!known && state.exists) ghostsExisting++;
        if (known) {
          const want = expected.get(id);
          if (state.revision !== want?.revision || JSON.stringify(state.state) !== JSON.stringify(want.state))
            mismatches.push(id);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(touched.size).toBe(TOUCHED);
    expect(maxLive).toBeLessThanOrEqual(MAX_LIVE);
    // The bound was reached, so eviction did the work (not a small working set).
    expect(maxLive).toBeGreaterThanOrEqual(MAX_LIVE - CONCURRENCY);
    expect(system.liveActors).toBeLessThanOrEqual(MAX_LIVE);
    expect(ghostsExisting).toBe(0);
    expect(mismatches).toEqual([]);

    // Each announced agent was evicted by the second half of the loop: inspecting it rehydrates it
    // (one snapshot load) and gives exactly the state it had before.
    snapshots.loads.clear();
    for (let i = 0; i < ANNOUNCED; i++) {
      const id = announcedId(i);
      const state = await system.inspect('agent', id);
      const want = expected.get(id)!;
      expect(state.revision).toBe(want.revision);
      expect(state.state).toEqual(want.state);
      expect(state.snapshot.value).toEqual(want.snapshot.value);
      expect(state.snapshot.context).toEqual(want.snapshot.context);
    }
    expect(snapshots.loads.size).toBe(ANNOUNCED);
    expect([...snapshots.loads.values()].every((count) => count === 1)).toBe(true);
    expect(system.liveActors).toBeLessThanOrEqual(MAX_LIVE);

    await system.stop();
    db.close();
  }, 120_000);
});
