import { assign, enqueueActions, setup } from 'xstate';
import {
  emptyThreadContext,
  findEscalation,
  isMember,
  messageExists,
  openEscalationCount,
  openEscalationOf,
  type ThreadContext,
} from './thread-context.js';
import type { SummaryRequested, ThreadEvent } from './thread-events.js';
import { foldThreadEvent } from './thread-fold.js';

/** Params of the escalation effects (`notify_human`, `request_expert`, `escalate_to_architect`, `create_decision_thread`). */
export interface EscalationEffectParams {
  threadId: string;
  topic: string;
  escalationId: string;
  rule: string;
  condition: string;
  reason: string;
  triggeredAt: string;
  /** From the rule's action: who to notify or escalate to, its priority, extra participants. */
  target: string | null;
  priority: string | null;
  participants: string[];
  /** Everyone in the thread who has not left (e.g. for the decision thread). */
  threadParticipants: string[];
}

/** Params of `summarize_thread`: the runtime asks an LLM and sends back `SummarizeThread` with `requestId`. */
export interface SummarizeThreadParams {
  threadId: string;
  topic: string;
  requestId: string;
  requestedBy: string;
  messageCount: number;
}

/**
 * A conversation thread. States: `new` (only ThreadCreated) → `open`, which is `running.active`,
 * `running.escalated` (while any escalation is unresolved) or `paused` → `closed` (stopped for good;
 * it still takes summaries and late escalation resolutions, nothing else). Guards repeat the invariants
 * `decide` checks, so a stale deadline or a foreign event is refused by `snapshot.can`.
 */
export const threadMachine = setup({
  types: {
    context: {} as ThreadContext,
    events: {} as ThreadEvent,
    input: {} as { id: string },
  },
  guards: {
    ruleNotOpen: ({ context, event }) =>
      event.type === 'ThreadEscalated' && openEscalationOf(context, event.rule) === undefined,
    escalationOpen: ({ context, event }) =>
      event.type === 'EscalationResolved' && findEscalation(context, event.escalation_id)?.resolved === false,
    lastOpenEscalation: ({ context, event }) =>
      event.type === 'EscalationResolved' &&
      findEscalation(context, event.escalation_id)?.resolved === false &&
      openEscalationCount(context) === 1,
    hasOpenEscalations: ({ context }) => openEscalationCount(context) > 0,
    newMessageFromMember: ({ context, event }) =>
      event.type === 'MessagePosted' &&
      isMember(context, event.sender) &&
      !messageExists(context, event.message_id),
    voteFromMember: ({ context, event }) => event.type === 'VoteCast' && isMember(context, event.voter),
  },
  actions: {
    record: assign(({ context, event }) => foldThreadEvent(context, event)),
    /** Effect placeholders: the runtime runs them after the append; outcomes come back as commands. */
    notify_human: (_, _params: EscalationEffectParams) => {},
    request_expert: (_, _params: EscalationEffectParams) => {},
    escalate_to_architect: (_, _params: EscalationEffectParams) => {},
    create_decision_thread: (_, _params: EscalationEffectParams) => {},
    summarize_thread: (_, _params: SummarizeThreadParams) => {},
  },
}).createMachine({
  id: 'thread',
  context: ({ input }) => emptyThreadContext(input.id),
  initial: 'new',
  states: {
    new: { on: { ThreadCreated: { target: 'open', actions: 'record' } } },
    open: {
      initial: 'running',
      on: {
        ParticipantInvited: { actions: 'record' },
        ParticipantJoined: { actions: 'record' },
        ParticipantLeft: { actions: 'record' },
        ParticipantWentIdle: { actions: 'record' },
        ErrorReported: { actions: 'record' },
        EscalationResolved: { guard: 'escalationOpen', actions: 'record' },
        SummaryRequested: {
          actions: [
            'record',
            {
              type: 'summarize_thread',
              params: ({ context, event }) => summarizeParams(context, event),
            },
          ],
        },
        ThreadSummarized: { actions: 'record' },
        ThreadClosed: { target: 'closed', actions: 'record' },
      },
      states: {
        running: {
          initial: 'active',
          on: {
            MessagePosted: { guard: 'newMessageFromMember', actions: 'record' },
            DecisionRecorded: { actions: 'record' },
            VoteCast: { guard: 'voteFromMember', actions: 'record' },
            ConsensusReached: { actions: 'record' },
            ThreadPaused: { target: 'paused', actions: 'record' },
            ThreadEscalated: {
              guard: 'ruleNotOpen',
              target: '.escalated',
              actions: [
                'record',
                enqueueActions(({ context, event, enqueue }) => {
                  const threadParticipants = context.participants
                    .filter((p) => p.status !== 'left')
                    .map((p) => p.id);
                  for (const action of event.actions) {
                    enqueue({
                      type: action.type,
                      params: {
                        threadId: context.thread_id,
                        topic: context.topic,
                        escalationId: event.escalation_id,
                        rule: event.rule,
                        condition: event.condition,
                        reason: event.reason,
                        triggeredAt: event.triggered_at,
                        target: action.target ?? null,
                        priority: action.priority ?? null,
                        participants: action.participants ?? [],
                        threadParticipants,
                      },
                    });
                  }
                }),
              ],
            },
          },
          states: {
            active: {},
            escalated: {
              on: {
                EscalationResolved: [
                  {
                    guard: 'lastOpenEscalation',
                    target: 'active',
                    actions: 'record',
                  },
                  { guard: 'escalationOpen', actions: 'record' },
                ],
              },
            },
          },
        },
        paused: {
          on: {
            ThreadResumed: [
              {
                guard: 'hasOpenEscalations',
                target: 'running.escalated',
                actions: 'record',
              },
              { target: 'running.active', actions: 'record' },
            ],
          },
        },
      },
    },
    closed: {
      on: {
        SummaryRequested: {
          actions: [
            'record',
            {
              type: 'summarize_thread',
              params: ({ context, event }) => summarizeParams(context, event),
            },
          ],
        },
        ThreadSummarized: { actions: 'record' },
        EscalationResolved: { guard: 'escalationOpen', actions: 'record' },
      },
    },
  },
});

function summarizeParams(context: ThreadContext, event: SummaryRequested): SummarizeThreadParams {
  return {
    threadId: context.thread_id,
    topic: context.topic,
    requestId: event.request_id,
    requestedBy: event.requested_by,
    messageCount: event.message_count,
  };
}
