import type { ActorKind, Deadline } from '../actor-kind.js';
import { fromStoredEvent } from '../fold.js';
import { type AgentCommand, agentCommandSchema } from './agent-commands.js';
import { decideAgent } from './agent-decide.js';
import type { AgentEvent } from './agent-events.js';
import { type AgentMachine, agentMachine } from './agent-machine.js';
import { type AgentState, agentStatus, agentView } from './agent-view.js';

/** The key of the agent's only deadline. */
export const HEARTBEAT_DEADLINE = 'heartbeat';

/**
 * An LLM agent, in stream `agent-<id>`.
 *
 * Rules `decide` applies (every refusal is a thrown DomainError, nothing appended):
 * - **Existence.** Any command but AnnounceAgent on an agent never announced is AGENT_NOT_FOUND. A retired
 *   agent refuses everything with INVALID_TRANSITION, except duplicate task outcomes (below) and
 *   AnnounceAgent, which is AGENT_EXISTS: ids are not reused.
 * - **Re-announcing** an existing id is a profile update when the command's `owner` equals the recorded
 *   owner (or both are absent), otherwise AGENT_EXISTS. The announcement is the whole profile: omitted
 *   fields fall back to their defaults. The same profile again is only a heartbeat; a different one is
 *   AgentProfileUpdated, which also counts as a heartbeat (and brings an offline agent back online).
 * - **Busy rule.** `busy` while the agent has at least one in-flight (pending or in_progress) task,
 *   `idle` otherwise. `available` means online (idle or busy) with fewer in-flight tasks than `max_tasks`,
 *   so a busy agent can still be available. Lowering `max_tasks` below the in-flight count keeps the tasks.
 * - **Tasks.** AssignTask needs an online agent (offline/error: INVALID_TRANSITION) and a free slot
 *   (MAX_TASKS_REACHED). Re-assigning a known task id with the same content is a no-op (at-least-once
 *   delivery); with other content it is INVALID_PARAMETERS. Start/Complete/Fail of an unknown task is
 *   TASK_NOT_FOUND. Outcomes of a task that already finished are idempotent no-ops (the first outcome
 *   wins), as long as the task is among the last 20 finished ones; older ids are TASK_NOT_FOUND.
 *   Outcomes are accepted offline and in error too: an effect that ran must not be lost.
 * - **Performance** is (completed + 1) / (completed + failed + 2): 0.5 for a new agent.
 * - **Presence.** Every heartbeat arms the `heartbeat` deadline at last_heartbeat + heartbeat_timeout_s
 *   (default 90 s); when it passes an online agent goes offline (AgentWentOffline). A heartbeat while
 *   offline is AgentCameOnline. `error` is sticky: it has no heartbeat deadline and only RecoverAgent
 *   (AgentRecovered) leaves it; RecoverAgent outside `error` is a no-op.
 * - **Retiring** fails every in-flight task (TaskFailed, code AGENT_RETIRED) and then records AgentRetired.
 *
 * Effects: `requestTaskExecution` (RequestTaskExecutionParams) when a task is assigned.
 */
export const agentKind: ActorKind<AgentMachine, AgentCommand> = {
  category: 'agent',
  machine: agentMachine,
  // Events are unchanged since v1 (v2 nested the profile in the context, so its snapshots were not
  // restored). State v3 flattened the states (the state value is the status: `idle`, not
  // `{ announced: { online: 'idle' } }`); snapshots of v1 and v2 are not restored.
  version: 2,
  stateVersion: 3,
  commandSchema: agentCommandSchema,
  input: (id) => ({ id }),
  decide: decideAgent,
  deadlines: agentDeadlines,
  view: agentView,
  upcast: (event, recordedVersion) =>
    recordedVersion === 1 ? fromStoredEvent<AgentEvent>(event.type, event.data) : undefined,
};

/** One deadline while the agent is online: it goes offline when no heartbeat arrives in time. */
export function agentDeadlines(state: AgentState): Deadline<AgentEvent>[] {
  const status = agentStatus(state);
  const lastHeartbeat = state.context.last_heartbeat;
  if ((status !== 'idle' && status !== 'busy') || lastHeartbeat === null) return [];
  const dueAt = Date.parse(lastHeartbeat) + state.context.profile.heartbeat_timeout_s * 1000;
  return [new HeartbeatDeadline(dueAt, lastHeartbeat)];
}

/** The heartbeat deadline. Every command computes it; its event is built only when it fires. */
class HeartbeatDeadline implements Deadline<AgentEvent> {
  readonly key = HEARTBEAT_DEADLINE;

  constructor(
    readonly dueAt: number,
    private readonly lastHeartbeat: string,
  ) {}

  get event(): AgentEvent {
    return {
      type: 'AgentWentOffline',
      at: new Date(this.dueAt).toISOString(),
      last_heartbeat: this.lastHeartbeat,
    };
  }
}
