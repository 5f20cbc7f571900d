import type Database from 'better-sqlite3';
import type { ActorSystem } from '../../actors/actor-system.js';
import { type AddressTarget, matchesAddress, type SemanticAddress } from '../../actors/address.js';
import type { JsonObject } from '../../events/json.js';
import type { RecordedEvent } from '../../events/types.js';
import { getAgent } from '../../projections/lookup/lookup-queries.js';
import { getThread } from '../../projections/threads/threads-queries.js';

type Profile = { role: string | null; project: string | null };

/**
 * What a `filter_address` is matched against for a recorded event:
 * - agent events: the agent (id, role, project), with the task type as the task part for task events;
 * - thread events: each participant of the thread (id, role) with the thread's project and task; the
 *   event matches when any of them does.
 * Profiles come from the lookup and threads views, or from the actor itself when a view has not caught
 * up yet (the subscription may be ahead of the projections).
 */
export class EventSubjects {
  constructor(
    private readonly system: ActorSystem,
    private readonly readModel: Database.Database,
  ) {}

  async matches(filter: SemanticAddress, event: RecordedEvent): Promise<boolean> {
    const targets = await this.targets(event);
    return targets.some((target) => matchesAddress(filter, target));
  }

  async targets(event: RecordedEvent): Promise<AddressTarget[]> {
    const data = (event.data ?? {}) as JsonObject;
    if (event.stream.startsWith('agent-')) {
      const id = event.stream.slice('agent-'.length);
      const profile =
        event.type === 'AgentAnnounced' || event.type === 'AgentProfileUpdated'
          ? { role: stringOrNull(data.role), project: stringOrNull(data.project) }
          : await this.#profile(id);
      return [{ agent: id, ...profile, task: await this.#taskType(id, event, data) }];
    }
    if (event.stream.startsWith('thread-')) {
      const id = event.stream.slice('thread-'.length);
      const thread =
        event.type === 'ThreadCreated'
          ? {
              participants: (data.participants as string[] | undefined) ?? [],
              project: stringOrNull(data.project),
              task: stringOrNull(data.task),
            }
          : await this.#thread(id);
      if (thread.participants.length === 0) return [{ project: thread.project, task: thread.task }];
      return Promise.all(
        thread.participants.map(async (participant) => ({
          agent: participant,
          role: (await this.#profile(participant)).role,
          project: thread.project,
          task: thread.task,
        })),
      );
    }
    return [];
  }

  async #profile(agentId: string): Promise<Profile> {
    const row = getAgent(this.readModel, agentId);
    if (row) return { role: row.role, project: row.project };
    try {
      const { exists, state } = await this.system.inspect('agent', agentId);
      if (exists) return { role: stringOrNull(state.role), project: stringOrNull(state.project) };
    } catch {
      // Not an agent id (a client name as a direct-message sender): no profile.
    }
    return { role: null, project: null };
  }

  async #taskType(agentId: string, event: RecordedEvent, data: JsonObject): Promise<string | null> {
    if (event.type === 'TaskAssigned') return stringOrNull(data.task_type);
    if (event.type !== 'TaskCompleted' && event.type !== 'TaskFailed') return null;
    const { state } = await this.system.inspect('agent', agentId);
    const tasks = [
      ...((state.current_tasks as JsonObject[] | undefined) ?? []),
      ...((state.recent_activity as JsonObject[] | undefined) ?? []),
    ];
    return stringOrNull(tasks.find((task) => task.id === data.task_id)?.type);
  }

  async #thread(threadId: string) {
    const row = getThread(this.readModel, threadId);
    if (row) {
      return {
        participants: row.participants.filter((p) => p.status !== 'left').map((p) => p.id),
        project: row.project,
        task: row.task,
      };
    }
    const { state } = await this.system.inspect('thread', threadId);
    const participants = (state.participants as { id: string; status: string }[] | undefined) ?? [];
    return {
      participants: participants.filter((p) => p.status !== 'left').map((p) => p.id),
      project: stringOrNull(state.project),
      task: stringOrNull(state.task),
    };
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
