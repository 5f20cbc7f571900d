import type { ActorKind } from '../actor-kind.js';
import { type ThreadCommand, threadCommandSchema } from './thread-commands.js';
import { decideThread, decideThreadFolding } from './thread-decide.js';
import { escalationDeadlines } from './thread-escalation.js';
import { threadMachine } from './thread-machine.js';
import { threadView } from './thread-view.js';

/**
 * Conversation threads: stream `thread-<id>`. Deadlines are the time conditions of the escalation rules
 * (`escalation:<rule>:thread_duration`, `escalation:<rule>:no_progress`) while the thread runs and the
 * rule has no open escalation; paused and closed threads have none.
 */
export const threadKind: ActorKind<typeof threadMachine, ThreadCommand> = {
  category: 'thread',
  machine: threadMachine,
  version: 1,
  /** 2: `turns` in chunks (thread-turns.ts). */
  stateVersion: 2,
  commandSchema: threadCommandSchema,
  input: (id) => ({ id }),
  decide: decideThread,
  decideFolding: decideThreadFolding,
  deadlines: (state) => (state.matches({ open: 'running' }) ? escalationDeadlines(state.context) : []),
  view: threadView,
};
