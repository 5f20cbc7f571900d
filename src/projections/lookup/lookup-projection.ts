import type { AgentEvent, AgentProfile, TaskUsage } from '../../actors/agent/agent-events.js';
import type { RecordedEvent } from '../../events/types.js';
import { typedData } from '../event-data.js';
import type { ProjectionDefinition } from '../projection.js';
import { agentChanged, agentTouched, generationWritten, viewReset } from './lookup-cache.js';
import { type AgentRow, prepareLookupStatements } from './lookup-schema.js';

const AGENT_STREAM = 'agent-';

/**
 * Performance as the agent machine computes it: Laplace-smoothed success rate, 0.5 for a new agent
 * (see src/actors/agent/agent-kind.ts).
 */
export function performanceOf(completed: number, failed: number): number {
  return (completed + 1) / (completed + failed + 2);
}

/** Every agent event: the lookup view reads nothing else. */
export const LOOKUP_EVENT_TYPES = [
  'AgentAnnounced',
  'AgentProfileUpdated',
  'AgentHeartbeatReceived',
  'AgentCameOnline',
  'AgentWentOffline',
  'AgentErrorReported',
  'AgentRecovered',
  'TaskAssigned',
  'TaskStarted',
  'TaskCompleted',
  'TaskFailed',
  'AgentRetired',
] as const satisfies readonly AgentEvent['type'][];

/** The lookup view: agents by id, role, capability, specialization, project, status and performance. */
export const lookupProjection: ProjectionDefinition = {
  name: 'lookup',
  // 2: the score is stored and indexed.
  version: 2,
  eventTypes: LOOKUP_EVENT_TYPES,
  open(db) {
    const statements = prepareLookupStatements(db);
    // What this batch did to agent rows, written as the view's generation when the batch ends.
    let changed = 0;
    let touched = 0;
    const bump = () => {
      if (changed === 0 && touched === 0) return;
      generationWritten(db, { changed, touched }, statements.bump.get(changed, touched)!);
      changed = touched = 0;
    };
    const save = (row: AgentRow, capabilitiesChanged: boolean) => {
      row.available = isOnline(row.status) && row.current_tasks < row.max_tasks ? 1 : 0;
      row.performance = performanceOf(row.completed, row.failed);
      statements.upsert.run(row);
      if (capabilitiesChanged) {
        statements.deleteCapabilities.run(row.id);
        for (const capability of JSON.parse(row.capabilities) as string[])
          statements.insertCapability.run(capability, row.id);
      }
      agentChanged(db, row.id);
      changed = 1;
    };
    return {
      reset() {
        statements.reset();
        viewReset(db);
        changed = 1;
        bump();
      },
      flush: bump,
      apply(event) {
        if (!event.stream.startsWith(AGENT_STREAM)) return;
        const id = event.stream.slice(AGENT_STREAM.length);
        const data = typedData<AgentEvent>(event);
        if (data.type === 'AgentAnnounced') {
          save(announcedRow(id, data, event), true);
          return;
        }
        // Heartbeats and task starts are most of an agent's events and change no indexed column.
        if (data.type === 'AgentHeartbeatReceived' || data.type === 'TaskStarted') {
          statements.touch.run(event.recordedAt, data.type === 'AgentHeartbeatReceived' ? data.at : null, id);
          agentTouched(db, id);
          touched = 1;
          return;
        }
        const row = statements.get.get(id);
        if (!row) return;
        row.last_activity = event.recordedAt;
        save(row, evolve(row, data));
      },
    };
  },
};

function announcedRow(id: string, profile: AgentProfile, event: RecordedEvent): AgentRow {
  return {
    id,
    ...profileColumns(profile),
    status: 'idle',
    available: 1,
    performance: 0.5,
    current_tasks: 0,
    completed: 0,
    failed: 0,
    node_id: event.metadata.author,
    created_at: event.recordedAt,
    last_activity: event.recordedAt,
    last_heartbeat: event.recordedAt,
  };
}

function profileColumns(profile: AgentProfile) {
  return {
    role: profile.role,
    specialization: profile.specialization,
    project: profile.project,
    max_tasks: profile.max_tasks,
    capabilities: JSON.stringify(profile.capabilities),
    model: profile.model,
    owner: profile.owner,
  };
}

/** Folds one agent event into its row; returns whether the capabilities changed. */
function evolve(row: AgentRow, event: AgentEvent): boolean {
  switch (event.type) {
    case 'AgentProfileUpdated': {
      const before = row.capabilities;
      Object.assign(row, profileColumns(event));
      if (row.status === 'offline') row.status = onlineStatus(row);
      row.last_heartbeat = event.updated_at;
      return before !== row.capabilities;
    }
    case 'AgentCameOnline':
      row.last_heartbeat = event.at;
      row.status = onlineStatus(row);
      return false;
    case 'AgentWentOffline':
      row.status = 'offline';
      return false;
    case 'AgentErrorReported':
      row.status = 'error';
      return false;
    case 'AgentRecovered':
      row.status = onlineStatus(row);
      return false;
    case 'TaskAssigned':
      row.current_tasks++;
      if (isOnline(row.status)) row.status = 'busy';
      return false;
    case 'TaskCompleted':
    case 'TaskFailed':
      finishTask(row, event.type === 'TaskCompleted', event.usage);
      return false;
    case 'AgentRetired':
      row.status = 'retired';
      return false;
    default:
      return false;
  }
}

function finishTask(row: AgentRow, completed: boolean, _usage: TaskUsage | null): void {
  row.current_tasks = Math.max(0, row.current_tasks - 1);
  if (completed) row.completed++;
  else row.failed++;
  if (isOnline(row.status)) row.status = onlineStatus(row);
}

function isOnline(status: string): boolean {
  return status === 'idle' || status === 'busy';
}

function onlineStatus(row: AgentRow): 'idle' | 'busy' {
  return row.current_tasks > 0 ? 'busy' : 'idle';
}
