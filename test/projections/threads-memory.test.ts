/**
 * The threads writer keeps committed threads in memory (src/projections/threads/thread-states.ts) and
 * the stats writer sums a batch before writing it: the views must be exactly what folding every event
 * in a transaction of its own gives, in any batching, with any number of threads in memory; memory
 * must never outlive a batch that rolled back, nor a view another connection rewrote.
 */
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../src/actors/actor-kind.js';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { SimulatedClock } from '../../src/actors/clock.js';
import { DomainError } from '../../src/actors/domain-error.js';
import { actorKinds } from '../../src/actors/kinds.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { CheckpointStore } from '../../src/projections/checkpoint-store.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { ProjectionView } from '../../src/projections/projection-view.js';
import { projections } from '../../src/projections/projections.js';
import { openReadModelDatabase } from '../../src/projections/read-model-db.js';
import { changedColumns } from '../../src/projections/threads/thread-states.js';
import { threadsProjection, threadsView } from '../../src/projections/threads/threads-projection.js';
import { getThread, getThreadMessages } from '../../src/projections/threads/threads-queries.js';
import { THREAD_COLUMNS, type ThreadRow } from '../../src/projections/threads/threads-schema.js';
import { tempStore } from '../support/temp-store.js';
import { pushedEvents } from './pushed-events.js';
import { seededRandom } from '../support/crash-writer.js';

type Db = Database.Database;

/** Every view table but the checkpoints and the lookup generation (which counts batches). */
function dump(db: Db): Record<string, unknown[]> {
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('projection_checkpoints', 'lookup_generation')
       ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((table) => {
      const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
      return [table, db.prepare(`SELECT * FROM ${table} ORDER BY ${columns.join(', ')}`).all()];
    }),
  );
}

const AGENTS = ['a', 'b', 'c', 'd', 'e'];
const STOP_REASONS = ['consensus', 'escalated', 'max_rounds', 'budget', 'closed'] as const;

describe('threads and stats views with memory across batches', () => {
  let temp: ReturnType<typeof tempStore>;
  let store: EventStore;
  let clock: SimulatedClock;
  let system: ActorSystem;
  const dbs: Db[] = [];
  const open = (name: string) => {
    const db = openReadModelDatabase(`${temp.dir}/${name}.db`);
    dbs.push(db);
    return db;
  };

  beforeEach(() => {
    temp = tempStore('bzzz-threads-memory-');
    store = temp.open();
    clock = new SimulatedClock(Date.parse('2026-06-01T09:00:00.000Z'));
    system = new ActorSystem({ store, kinds: actorKinds, clock });
  });
  afterEach(async () => {
    await system.stop();
    for (const db of dbs.splice(0)) db.close();
    await temp.dispose();
  });

  async function send(id: string, command: CommandInput) {
    clock.advance(1000);
    try {
      return await system.send('thread', id, command);
    } catch (error) {
      // A command the thread refuses (not a participant, closed…) appends nothing.
      if (error instanceof DomainError) return undefined;
      throw error;
    }
  }

  /** Agents, then `commands` random thread commands over a few threads. */
  async function randomHistory(random: () => number, commands: number): Promise<void> {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    for (const agent of AGENTS) {
      await system.send('agent', agent, {
        type: 'AnnounceAgent',
        role: 'reviewer',
        capabilities: ['typescript'],
        max_tasks: 2,
        project: 'p',
      });
    }
    const threads: string[] = [];
    for (let i = 0; i < commands; i++) {
      const r = random();
      if (threads.length === 0 || (r < 0.04 && threads.length < 10)) {
        const id = `t${threads.length + 1}`;
        const participants = AGENTS.filter(() => random() < 0.5);
        const creator = pick(AGENTS);
        await send(id, {
          type: 'CreateThread',
          topic: `topic ${id}`,
          participants: [creator, ...participants],
          creator,
          ...(random() < 0.5 ? { project: pick(['p', 'q']) } : {}),
          ...(random() < 0.2 ? { max_rounds: 5 + Math.floor(random() * 20) } : {}),
        });
        threads.push(id);
        continue;
      }
      const id = pick(threads);
      const { state } = await system.inspect('thread', id);
      const members = ((state.participants ?? []) as { id: string; status: string }[])
        .filter((p) => p.status !== 'left')
        .map((p) => p.id);
      // Mostly someone taking part: most commands of anyone else are refused.
      const agent = members.length > 0 && random() < 0.85 ? pick(members) : pick(AGENTS);
      if (state.paused && random() < 0.5) {
        await send(id, { type: 'ResumeThread', resumed_by: agent });
        continue;
      }
      const messages = (state.messages ?? []) as { id: string }[];
      const decisions = (state.decisions ?? []) as { id: string }[];
      const escalations = (state.escalation_history ?? []) as { id: string; resolved: boolean }[];
      if (r < 0.5) {
        await send(id, {
          type: 'PostMessage',
          sender: agent,
          content: `message ${i}`,
          ...(random() < 0.1 ? { metadata: { error: true } } : {}),
          ...(random() < 0.2 && messages.length > 0 ? { reply_to: pick(messages).id } : {}),
        });
      } else if (r < 0.56) await send(id, { type: 'JoinThread', participant_id: agent });
      else if (r < 0.6)
        await send(id, { type: 'InviteParticipants', invited_by: agent, participants: [pick(AGENTS)] });
      else if (r < 0.63) await send(id, { type: 'LeaveThread', participant_id: agent });
      else if (r < 0.67) await send(id, { type: 'MarkParticipantIdle', participant_id: agent });
      else if (r < 0.72 && (messages.length > 0 || decisions.length > 0)) {
        const proposal = pick([...messages, ...decisions]).id;
        await send(id, {
          type: 'CastVote',
          voter: agent,
          proposal_id: proposal,
          stance: pick(['agree', 'disagree', 'abstain'] as const),
        });
      } else if (r < 0.76) {
        await send(id, {
          type: 'RecordDecision',
          decision: `decision ${i}`,
          decided_by: [agent],
          confidence: random(),
        });
      } else if (r < 0.8) {
        await send(id, {
          type: 'ReportError',
          reported_by: agent,
          error: 'failed',
          ...(messages.length > 0 && random() < 0.7 ? { message_id: pick(messages).id } : {}),
        });
      } else if (r < 0.83) await send(id, { type: 'PauseThread', paused_by: agent });
      else if (r < 0.86) await send(id, { type: 'ResumeThread', resumed_by: agent });
      else if (r < 0.89 && escalations.some((e) => !e.resolved)) {
        const open = escalations.filter((e) => !e.resolved);
        await send(id, {
          type: 'ResolveEscalation',
          escalation_id: pick(open).id,
          resolution: 'done',
          resolved_by: agent,
        });
      } else if (r < 0.92) await send(id, { type: 'RequestSummary', requested_by: agent });
      else if (r < 0.95)
        await send(id, { type: 'SummarizeThread', summary: `summary ${i}`, summarized_by: agent });
      else if (r < 0.97)
        await send(id, { type: 'CloseThread', closed_by: agent, stop_reason: pick(STOP_REASONS) });
      else await send(id, { type: 'PostMessage', sender: agent, content: `late ${i}` });
    }
  }

  /** The views folded as a rebuild folds them, here one event per transaction. */
  function foldOneByOne(
    db: Db,
    definitions: readonly ProjectionDefinition[],
    events: readonly RecordedEvent[],
  ) {
    const checkpoints = new CheckpointStore(db);
    const views = definitions.map((definition) => new ProjectionView(definition, db, checkpoints));
    for (const event of events) for (const view of views) view.apply([event]);
  }

  /** The views folded by the worker's loop, in batches of random sizes. */
  async function foldInBatches(
    db: Db,
    definitions: readonly ProjectionDefinition[],
    events: readonly RecordedEvent[],
    random: () => number,
  ) {
    const loop = pushedEvents(db, definitions);
    for (let at = 0; at < events.length;) {
      const size = 1 + Math.floor(random() * (random() < 0.3 ? 60 : 8));
      await loop.push(events.slice(at, at + size));
      at += size;
    }
    await loop.stop();
    expect(loop.views.map((view) => view.state)).toEqual(definitions.map(() => 'stopped'));
  }

  const withThreads = (threads: ProjectionDefinition) =>
    projections.map((definition) => (definition.name === 'threads' ? threads : definition));

  it.each([1, 2, 3])(
    'folds a random history (seed %i) to the same views in any batching, with or without threads in memory',
    async (seed) => {
      const random = seededRandom(seed);
      await randomHistory(random, 400);
      const events = await store.readAll();
      expect(events.filter((e) => e.type === 'MessagePosted').length).toBeGreaterThan(80);

      const reference = open('one-by-one');
      foldOneByOne(reference, withThreads(threadsView({ cachedThreads: 0 })), events);
      const expected = dump(reference);

      const cached = open('cached');
      await foldInBatches(cached, projections, events, random);
      expect(dump(cached)).toEqual(expected);
      // Fewer threads in memory than the history has: rows evicted and read again.
      const small = open('small-cache');
      await foldInBatches(small, withThreads(threadsView({ cachedThreads: 2 })), events, random);
      expect(dump(small)).toEqual(expected);

      // And the view is what each thread actor says (without its messages, which it keeps 50 of).
      for (const id of new Set(
        events.filter((e) => e.type === 'ThreadCreated').map((e) => e.stream.slice(7)),
      )) {
        const { messages, ...view } = (await system.inspect('thread', id)).state as { messages: unknown[] };
        expect(getThread(cached, id), id).toEqual(view);
        const last = getThreadMessages(cached, id, { order: 'desc', limit: messages.length }).items.reverse();
        expect(last.map(({ seq: _, error: __, ...message }) => message)).toEqual(messages);
      }
    },
  );

  it('sees a change in any column of a thread row but its id (what a batch writes)', () => {
    const base = Object.fromEntries(
      THREAD_COLUMNS.map((column) => [column, `${column} before`]),
    ) as unknown as ThreadRow;
    const seen = (row: ThreadRow) => {
      const columns: string[] = [];
      changedColumns(base, row, (column, value) => columns.push(`${column}=${String(value)}`));
      return columns;
    };
    expect(seen({ ...base })).toEqual([]);
    for (const column of THREAD_COLUMNS.filter((c) => c !== 'id')) {
      expect(seen({ ...base, [column]: null })).toEqual([`${column}=null`]);
    }
    expect(seen({ ...base, message_count: 3, last_activity: 'now' })).toEqual([
      'last_activity=now',
      'message_count=3',
    ]);
  });

  it('reads its threads again once another connection rebuilt the view past it', async () => {
    const path = `${temp.dir}/read.db`;
    const db = openReadModelDatabase(path);
    dbs.push(db);
    const runner = new ProjectionRunner(store, db, [threadsProjection]);
    runner.start();
    await send('t1', { type: 'CreateThread', topic: 'x', participants: ['a', 'b'], creator: 'a' });
    await send('t1', { type: 'PostMessage', sender: 'a', content: 'one' });
    const seen = await send('t1', { type: 'PostMessage', sender: 'b', content: 'two' });
    await runner.waitFor(seen!.position);
    // The runner stops, its writer keeping t1 in memory at two messages.
    await runner.stop();

    await send('t1', { type: 'PostMessage', sender: 'a', content: 'three' });
    await send('t1', { type: 'MarkParticipantIdle', participant_id: 'b' });
    // Another connection (a CLI rebuild) rewrites the view up to the head: t1 has three messages.
    const other = openReadModelDatabase(path);
    const rebuilder = new ProjectionRunner(store, other, [threadsProjection]);
    await rebuilder.rebuild('threads');
    await rebuilder.stop();
    other.close();

    const last = await send('t1', { type: 'PostMessage', sender: 'b', content: 'four' });
    runner.start();
    await runner.waitFor(last!.position);
    expect(runner.status()[0]).toMatchObject({ state: 'running', position: last!.position });
    await expectAllFour(db);
    expect((await system.inspect('thread', 't1')).state.messages).toHaveLength(4);
    await runner.stop();
  });

  /** A view on its own connection, fed as a rebuild feeds it; `t1` with two messages applied. */
  async function viewWithTwoMessages() {
    const db = open('read');
    const view = new ProjectionView(threadsProjection, db, new CheckpointStore(db));
    await send('t1', { type: 'CreateThread', topic: 'x', participants: ['a', 'b'], creator: 'a' });
    await send('t1', { type: 'PostMessage', sender: 'a', content: 'one' });
    await send('t1', { type: 'PostMessage', sender: 'b', content: 'two' });
    const applied = await store.readAll();
    view.apply(applied);
    await send('t1', { type: 'PostMessage', sender: 'a', content: 'three' });
    await send('t1', { type: 'MarkParticipantIdle', participant_id: 'b' });
    await send('t1', { type: 'PostMessage', sender: 'b', content: 'four' });
    const batch = (await store.readAll()).slice(applied.length);
    return { db, view, batch };
  }

  async function expectAllFour(db: Db) {
    const { messages: _, ...view } = (await system.inspect('thread', 't1')).state;
    expect(getThread(db, 't1')).toEqual(view);
    expect(getThreadMessages(db, 't1').items.map((m) => [m.seq, m.content])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ]);
  }

  it('keeps nothing in memory of a batch that failed in the middle of its events', async () => {
    const { db, view, batch } = await viewWithTwoMessages();
    // The batch's last message fails: 'three' and b going idle were applied before it, in memory.
    db.exec(`CREATE TEMP TRIGGER fail_four BEFORE INSERT ON main.thread_messages WHEN NEW.content = 'four'
             BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`);
    expect(() => view.apply(batch)).toThrow('disk trouble');
    expect(getThread(db, 't1')).toMatchObject({ message_count: 2 });

    db.exec('DROP TRIGGER fail_four');
    view.apply(batch);
    await expectAllFour(db);
  });

  it('keeps nothing in memory of a batch whose commit failed after its rows were written', async () => {
    const { db, view, batch } = await viewWithTwoMessages();
    // A deferred constraint: the batch is applied and flushed, then COMMIT fails and rolls it back.
    db.pragma('foreign_keys = ON');
    db.exec(`CREATE TEMP TABLE parent (id TEXT PRIMARY KEY);
             CREATE TEMP TABLE child (parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
             CREATE TEMP TRIGGER orphan AFTER INSERT ON main.thread_messages WHEN NEW.content = 'four'
             BEGIN INSERT INTO child VALUES ('none'); END;`);
    expect(() => view.apply(batch)).toThrow(/FOREIGN KEY/);
    expect(getThread(db, 't1')).toMatchObject({ message_count: 2 });

    db.exec('DROP TRIGGER orphan');
    view.apply(batch);
    await expectAllFour(db);
  });
});
