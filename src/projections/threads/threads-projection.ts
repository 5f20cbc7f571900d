import type Database from 'better-sqlite3';
import { eventTime } from '../../actors/thread/thread-event-time.js';
import type { ThreadEvent, ThreadEventType } from '../../actors/thread/thread-events.js';
import { typedData } from '../event-data.js';
import type { ProjectionDefinition, ProjectionWriter } from '../projection.js';
import { MAX_CACHED_THREADS, ThreadStates } from './thread-states.js';
import { createThread, evolveThread, statusOf } from './threads-fold.js';
import { prepareThreadStatements } from './threads-schema.js';

const THREAD_STREAM = 'thread-';

/** Every thread event: each one moves `last_activity`, as the thread machine's fold does. */
export const THREAD_EVENT_TYPES: readonly ThreadEventType[] = [
  'ThreadCreated',
  'ParticipantInvited',
  'ParticipantJoined',
  'ParticipantLeft',
  'ParticipantWentIdle',
  'MessagePosted',
  'DecisionRecorded',
  'VoteCast',
  'ConsensusReached',
  'ErrorReported',
  'ThreadPaused',
  'ThreadResumed',
  'ThreadEscalated',
  'EscalationResolved',
  'SummaryRequested',
  'ThreadSummarized',
  'ThreadClosed',
];

/**
 * The threads view: threads listed by status, participant, project and activity, with every message
 * (the thread actor keeps only the last 50), decisions, votes and escalations. It folds the same events
 * the thread machine accepted, the same way (src/actors/thread/thread-fold.ts), so `getThread` answers
 * what the actor's view says, without the messages.
 *
 * `cachedThreads`: how many committed threads the writer keeps in memory (thread-states.ts); the view
 * is the same with any number, 0 included.
 */
export function threadsView(options: { cachedThreads?: number } = {}): ProjectionDefinition {
  return {
    name: 'threads',
    version: 1,
    eventTypes: THREAD_EVENT_TYPES,
    open: (db) => openThreadsWriter(db, options.cachedThreads ?? MAX_CACHED_THREADS),
  };
}

export const threadsProjection: ProjectionDefinition = threadsView();

function openThreadsWriter(db: Database.Database, cachedThreads: number): ProjectionWriter {
  const statements = prepareThreadStatements(db);
  // Threads in memory (thread-states.ts): each thread row changed in a batch is written once, at
  // flush, with only its changed columns; committed rows are kept for the next batches.
  const states = new ThreadStates(db, statements, cachedThreads);
  return {
    reset() {
      states.forget();
      statements.reset();
    },
    apply(event) {
      if (!event.stream.startsWith(THREAD_STREAM)) return;
      const id = event.stream.slice(THREAD_STREAM.length);
      const data = typedData<ThreadEvent>(event);
      if (data.type === 'ThreadCreated') {
        if (states.get(id)) return;
        states.create(createThread(statements, id, data, event.revision));
        return;
      }
      const state = states.get(id);
      // A thread whose creation this view never saw (a truncated stream) stays out of it.
      if (!state || event.revision <= state.row.revision) return;
      const row = state.row;
      row.revision = event.revision;
      row.last_activity = eventTime(data);
      evolveThread(statements, state, data, event.revision);
      row.status = statusOf(row);
    },
    flush: () => states.flush(),
    committed: () => states.committed(),
    forget: () => states.forget(),
  };
}
