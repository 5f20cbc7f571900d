import {
  byPriority,
  conditionDueAt,
  countConditionReason,
  type EscalationCondition,
  type EscalationConditionType,
  type EscalationRule,
  normalizeRule,
  type RuleFacts,
  TIME_CONDITIONS,
  timeReason,
} from './escalation-rules.js';
import { type EscalationRecord, openEscalationOf, type ThreadContext } from './thread-context.js';
import type { ThreadEscalated } from './thread-events.js';
import { countTurns } from './thread-turns.js';

/** A rule whose count condition (disagreement_count, error_rate) holds now. */
export interface DueEscalation {
  rule: EscalationRule;
  condition: EscalationConditionType;
  reason: string;
}

/** A time condition's durable deadline: when it passes, `event` is appended if it still holds. */
export interface EscalationDeadline {
  key: string;
  dueAt: number;
  readonly event: ThreadEscalated;
}

/** The thread's times every rule is measured from, parsed once per evaluation of its rules. */
export interface ThreadTimes {
  createdAt: number;
  lastProgress: number;
}

export function threadTimes(context: ThreadContext): ThreadTimes {
  return { createdAt: Date.parse(context.created_at), lastProgress: Date.parse(context.last_progress) };
}

/**
 * What the thread's state says about one rule, counted from its baseline: creation, or the resolution of
 * the rule's last escalation (a resolved rule starts afresh rather than firing again at once).
 */
export function ruleFacts(
  context: ThreadContext,
  rule: string,
  times: ThreadTimes = threadTimes(context),
): RuleFacts {
  let lastResolved: EscalationRecord | undefined;
  for (let i = context.escalations.length - 1; i >= 0 && !lastResolved; i--) {
    const escalation = context.escalations[i]!;
    if (escalation.rule === rule && escalation.resolved) lastResolved = escalation;
  }
  const resolvedAt = lastResolved?.resolved_at;
  const baseline = lastResolved?.baseline ?? { disagreements: 0, turns: 0 };
  return {
    since: resolvedAt === null || resolvedAt === undefined ? times.createdAt : Date.parse(resolvedAt),
    lastProgress: times.lastProgress,
    disagreements: context.disagreements,
    disagreementsFrom: baseline.disagreements,
    samples: (since) => countTurns(context.turns, baseline.turns, since),
  };
}

/** Rules with no open escalation whose count condition holds at `now`, in firing order. */
export function countEscalationsDue(context: ThreadContext, now: number): DueEscalation[] {
  const due: DueEscalation[] = [];
  const times = threadTimes(context);
  for (const rule of byPriority(context.escalation_rules)) {
    if (openEscalationOf(context, rule.name)) continue;
    const facts = ruleFacts(context, rule.name, times);
    for (const condition of rule.conditions) {
      const reason = countConditionReason(condition, facts, now);
      if (reason !== undefined) {
        due.push({ rule, condition: condition.type, reason });
        break;
      }
    }
  }
  return due;
}

/**
 * One deadline per rule and time condition type (the earliest if a rule repeats a type), for rules with
 * no open escalation. A deadline event cannot draw a fresh id from the runtime, so its escalation id is
 * built from what makes it unique: thread, rule, condition and due time.
 */
export function escalationDeadlines(context: ThreadContext): EscalationDeadline[] {
  const deadlines: EscalationDeadline[] = [];
  const times = threadTimes(context);
  for (const rule of byPriority(context.escalation_rules)) {
    if (openEscalationOf(context, rule.name)) continue;
    const facts = ruleFacts(context, rule.name, times);
    for (const type of TIME_CONDITIONS) {
      let earliest: { dueAt: number; condition: EscalationCondition } | undefined;
      for (const condition of rule.conditions) {
        if (condition.type !== type) continue;
        const dueAt = conditionDueAt(condition, facts);
        if (dueAt !== undefined && (!earliest || dueAt < earliest.dueAt)) earliest = { dueAt, condition };
      }
      if (!earliest) continue;
      deadlines.push(
        new TimeConditionDeadline(context.thread_id, rule, type, earliest.condition, earliest.dueAt),
      );
    }
  }
  return deadlines;
}

/** A time condition's deadline. Every command computes it; its event is built only when it fires. */
class TimeConditionDeadline implements EscalationDeadline {
  readonly key: string;

  constructor(
    private readonly threadId: string,
    private readonly rule: EscalationRule,
    private readonly type: EscalationConditionType,
    private readonly condition: EscalationCondition,
    readonly dueAt: number,
  ) {
    this.key = `escalation:${rule.name}:${type}`;
  }

  get event(): ThreadEscalated {
    const { rule, type } = this;
    const triggeredAt = new Date(this.dueAt).toISOString();
    return escalationEvent(
      `${this.threadId}:${rule.name}:${type}@${triggeredAt}`,
      rule,
      type,
      timeReason(this.condition),
      triggeredAt,
    );
  }
}

export function escalationEvent(
  id: string,
  rule: EscalationRule,
  condition: EscalationConditionType,
  reason: string,
  triggeredAt: string,
): ThreadEscalated {
  return {
    type: 'ThreadEscalated',
    escalation_id: id,
    rule: rule.name,
    condition,
    reason: `${rule.name}: ${reason}`,
    triggered_at: triggeredAt,
    actions: normalizeRule(rule).actions,
  };
}
