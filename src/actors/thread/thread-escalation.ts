import {
  byPriority,
  conditionDueAt,
  countConditionReason,
  type EscalationConditionType,
  type EscalationRule,
  normalizeRule,
  type RuleFacts,
  TIME_CONDITIONS,
  timeReason,
} from './escalation-rules.js';
import { openEscalationOf, type ThreadContext } from './thread-context.js';
import type { ThreadEscalated } from './thread-events.js';

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
  event: ThreadEscalated;
}

/**
 * What the thread's state says about one rule, counted from its baseline: creation, or the resolution of
 * the rule's last escalation (a resolved rule starts afresh rather than firing again at once).
 */
export function ruleFacts(context: ThreadContext, rule: string): RuleFacts {
  const lastResolved = context.escalations.filter((e) => e.rule === rule && e.resolved).at(-1);
  const since = Date.parse(lastResolved?.resolved_at ?? context.created_at);
  const baseline = lastResolved?.baseline ?? { disagreements: 0, turns: 0 };
  return {
    since,
    lastProgress: Date.parse(context.last_progress),
    disagreements: context.disagreements,
    disagreementsFrom: baseline.disagreements,
    samples: context.turns,
    samplesFrom: baseline.turns,
  };
}

/** Rules with no open escalation whose count condition holds at `now`, in firing order. */
export function countEscalationsDue(context: ThreadContext, now: number): DueEscalation[] {
  const due: DueEscalation[] = [];
  for (const rule of byPriority(context.escalation_rules)) {
    if (openEscalationOf(context, rule.name)) continue;
    const facts = ruleFacts(context, rule.name);
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
  for (const rule of byPriority(context.escalation_rules)) {
    if (openEscalationOf(context, rule.name)) continue;
    const facts = ruleFacts(context, rule.name);
    for (const type of TIME_CONDITIONS) {
      let earliest: { dueAt: number; reason: string } | undefined;
      for (const condition of rule.conditions) {
        if (condition.type !== type) continue;
        const dueAt = conditionDueAt(condition, facts);
        if (dueAt !== undefined && (!earliest || dueAt < earliest.dueAt)) {
          earliest = { dueAt, reason: timeReason(condition) };
        }
      }
      if (!earliest) continue;
      const triggeredAt = new Date(earliest.dueAt).toISOString();
      deadlines.push({
        key: `escalation:${rule.name}:${type}`,
        dueAt: earliest.dueAt,
        event: escalationEvent(
          `${context.thread_id}:${rule.name}:${type}@${triggeredAt}`,
          rule,
          type,
          earliest.reason,
          triggeredAt,
        ),
      });
    }
  }
  return deadlines;
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
