import {
  SUBSCRIPTION_EVENT_TYPES,
  type SubscriptionEventType,
} from '../../actors/subscription/subscription-machine.js';

/**
 * Which recorded bzzz events each of the seed's subscription event types stands for. Each bzzz event
 * type belongs to one seed type, so a subscription gets an event once.
 *
 * - agent_announcement: an agent joins, changes its profile, comes and goes (presence), or retires.
 * - task_assignment / task_completed: a task is assigned / finishes (completed or failed).
 * - thread_created, thread_escalated, thread_message: thread creation, escalation, posted messages.
 * - network_status: an agent's health (error reported, recovered). Peer and gossip events join this
 *   type when the p2p layer records them.
 */
export const BZZZ_EVENTS_BY_SUBSCRIPTION_TYPE: Readonly<Record<SubscriptionEventType, readonly string[]>> = {
  agent_announcement: [
    'AgentAnnounced',
    'AgentProfileUpdated',
    'AgentCameOnline',
    'AgentWentOffline',
    'AgentRetired',
  ],
  task_assignment: ['TaskAssigned'],
  task_completed: ['TaskCompleted', 'TaskFailed'],
  thread_created: ['ThreadCreated'],
  thread_escalated: ['ThreadEscalated'],
  thread_message: ['MessagePosted'],
  network_status: ['AgentErrorReported', 'AgentRecovered'],
};

const SUBSCRIPTION_TYPE_OF = new Map<string, SubscriptionEventType>(
  SUBSCRIPTION_EVENT_TYPES.flatMap((type) =>
    BZZZ_EVENTS_BY_SUBSCRIPTION_TYPE[type].map((bzzzType) => [bzzzType, type] as const),
  ),
);

/** The seed's event type a recorded event belongs to, if any. */
export function subscriptionTypeOf(bzzzType: string): SubscriptionEventType | undefined {
  return SUBSCRIPTION_TYPE_OF.get(bzzzType);
}

/** The recorded event types behind a subscription's event types (the store filters on them). */
export function bzzzTypesOf(types: readonly SubscriptionEventType[]): string[] {
  return [...new Set(types.flatMap((type) => BZZZ_EVENTS_BY_SUBSCRIPTION_TYPE[type]))];
}
