import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { agentKind } from '../../src/actors/agent/agent-kind.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { DeadlineIndex } from '../../src/actors/deadline-index.js';
import { DeadlineTracker } from '../../src/actors/deadline-tracker.js';
import { openRuntimeDatabase } from '../../src/actors/runtime-db.js';
import { tempStore } from '../support/temp-store.js';

/** Counts the index's write transactions. */
class CountingIndex extends DeadlineIndex {
  writes = 0;
  override replace(...args: Parameters<DeadlineIndex['replace']>): void {
    this.writes++;
    super.replace(...args);
  }
}

describe('deadline index writes', () => {
  it('keeps changed deadlines in memory and writes a busy stream once per batch, not once per event', async () => {
    const temp = tempStore('bzzz-deadline-batch-');
    const store = temp.open();
    const clock = new SimulatedClock();
    const db = openRuntimeDatabase(':memory:');
    const index = new CountingIndex(db);
    const system = new ActorSystem({ store, kinds: [agentKind], clock });
    const tracker = new DeadlineTracker(system, store, index);
    tracker.start();
    await system.send('agent', 'a1', { type: 'AnnounceAgent', role: 'tester', heartbeat_timeout_s: 30 });
    let last = 0n;
    for (let i = 0; i < 200; i++) {
      clock.advance(1_000);
      last = (await system.send('agent', 'a1', { type: 'RecordHeartbeat' })).position!;
    }
    await tracker.caughtUp(last);
    // 201 adopted states and 201 events from $all, written in a handful of transactions.
    expect(index.writes).toBeLessThan(20);
    await tracker.stop();
    // Stopping writes what was pending: the last heartbeat's deadline and the checkpoint.
    const lastBeat = clock.now();
    expect(index.earliest()).toBe(lastBeat + 30_000);
    expect(index.checkpoint()).toBe(last);
    db.close();
    await temp.dispose();
  });
});
