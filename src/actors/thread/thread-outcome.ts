import type { SnapshotFrom } from 'xstate';
import { transitionPure } from '../transition-scope.js';
import { type DecideContext, isoNow } from '../actor-kind.js';
import type { EffectRequest } from '../fold.js';
import { DomainError, DomainErrorCode } from '../domain-error.js';
import { activeParticipants, isMember, type ThreadContext } from './thread-context.js';
import { countEscalationsDue, escalationEvent } from './thread-escalation.js';
import { SYSTEM_ACTOR, type ThreadEvent } from './thread-events.js';
import { threadMachine } from './thread-machine.js';

export type ThreadState = SnapshotFrom<typeof threadMachine>;

/**
 * The events one command produces, folded as they are added, so that later checks (escalation rules,
 * consensus, max_rounds) see the state the earlier events lead to.
 */
export class ThreadOutcome {
  readonly events: ThreadEvent[] = [];
  /** The actions the machine returned for the events added (effects for the runtime to run). */
  readonly actions: EffectRequest[] = [];

  constructor(
    public state: ThreadState,
    private readonly decideContext: DecideContext,
  ) {}

  get context(): ThreadContext {
    return this.state.context;
  }

  get at(): string {
    return isoNow(this.decideContext);
  }

  newId(): string {
    return this.decideContext.newId();
  }

  /** Adds an event. One the machine would refuse is a bug in decide, not a domain rejection. */
  add(event: ThreadEvent): this {
    const [next, actions] = transitionPure(threadMachine, { id: this.context.thread_id }, this.state, event);
    // XState hands back the same snapshot when no transition was taken; can() confirms on that rare path.
    if (next === this.state && !this.state.can(event)) {
      throw new Error(
        `thread decide produced ${event.type}, which state ${JSON.stringify(this.state.value)} refuses`,
      );
    }
    this.state = next as ThreadState;
    this.events.push(event);
    for (const action of actions) this.actions.push(action);
    return this;
  }

  /** Escalates every rule whose count condition now holds, unless the thread is paused or closed. */
  escalateIfDue(): this {
    if (!this.state.matches({ open: 'running' })) return this;
    for (const due of countEscalationsDue(this.context, this.decideContext.now)) {
      this.add(escalationEvent(this.newId(), due.rule, due.condition, due.reason, this.at));
    }
    return this;
  }

  /** Closes with `max_rounds` once the message limit is reached. */
  closeIfMaxRounds(): this {
    const { max_rounds: limit, message_count: count } = this.context;
    if (limit === null || count < limit || this.state.matches('closed')) return this;
    return this.close('max_rounds', `reached max_rounds (${limit} messages)`);
  }

  /** Records consensus and closes when agreeing active participants reach the threshold on `proposal`. */
  closeIfConsensus(proposal: string): this {
    if (this.state.matches('closed')) return this;
    const active = activeParticipants(this.context);
    const agreeing = this.context.votes
      .filter(
        (vote) => vote.proposal_id === proposal && vote.stance === 'agree' && active.includes(vote.voter),
      )
      .map((vote) => vote.voter);
    const threshold = this.context.consensus_threshold;
    if (active.length === 0 || agreeing.length / active.length < threshold) return this;
    this.add({
      type: 'ConsensusReached',
      proposal_id: proposal,
      agreeing,
      active_participants: active.length,
      threshold,
      reached_at: this.at,
    });
    return this.close('consensus', `consensus on ${proposal}`);
  }

  private close(stopReason: 'max_rounds' | 'consensus', note: string): this {
    return this.add({
      type: 'ThreadClosed',
      stop_reason: stopReason,
      closed_by: SYSTEM_ACTOR,
      note,
      closed_at: this.at,
    });
  }
}

/** THREAD_CLOSED when the thread has stopped. */
export function requireOpen(state: ThreadState, what: string): void {
  const closure = state.context.closure;
  if (state.matches('closed') && closure) {
    throw new DomainError(
      DomainErrorCode.ThreadClosed,
      `thread ${state.context.thread_id} was ${closure.stop_reason === 'consensus' ? 'completed' : 'closed'} ` +
        `(stop reason ${closure.stop_reason}) at ${closure.closed_at}; it takes no more ${what}`,
      { thread_id: state.context.thread_id, stop_reason: closure.stop_reason },
    );
  }
}

/** THREAD_CLOSED when stopped, INVALID_TRANSITION when paused: the conversation itself must be running. */
export function requireRunning(state: ThreadState, what: string): void {
  requireOpen(state, what);
  if (state.matches({ open: 'paused' })) {
    throw new DomainError(
      DomainErrorCode.InvalidTransition,
      `thread ${state.context.thread_id} is paused; resume it before adding ${what}`,
      { thread_id: state.context.thread_id, state: 'paused' },
    );
  }
}

/** NOT_PARTICIPANT unless `id` takes part in the thread and has not left. */
export function requireMember(context: ThreadContext, id: string): void {
  if (!isMember(context, id)) {
    throw new DomainError(
      DomainErrorCode.NotParticipant,
      `${id} is not a participant of thread ${context.thread_id}${context.participants.some((p) => p.id === id) ? ' (left)' : ''}`,
      { thread_id: context.thread_id, participant_id: id },
    );
  }
}
