import { z } from 'zod';

/**
 * Escalation rules of a conversation thread, as the seed's API reference defines them (EscalationRule,
 * EscalationCondition, EscalationAction), with the defaults of the deployment guide, and the pure
 * arithmetic that decides when a condition holds. The thread records the rules in effect when it is
 * created, so replay never depends on later configuration.
 */

export const ESCALATION_CONDITION_TYPES = [
  'thread_duration',
  'no_progress',
  'disagreement_count',
  'error_rate',
] as const;
export type EscalationConditionType = (typeof ESCALATION_CONDITION_TYPES)[number];

/** The effects an escalation can request; each is an XState action the runtime runs after the append. */
export const ESCALATION_ACTION_TYPES = [
  'notify_human',
  'request_expert',
  'escalate_to_architect',
  'create_decision_thread',
] as const;
export type EscalationActionType = (typeof ESCALATION_ACTION_TYPES)[number];

/** Conditions measured against the clock: the thread arms a durable deadline for them. */
export const TIME_CONDITIONS: readonly EscalationConditionType[] = ['thread_duration', 'no_progress'];

/** Fewest samples (messages and reported errors) before `error_rate` may fire, unless the condition says. */
export const DEFAULT_ERROR_RATE_MIN_SAMPLES = 5;

/** Fraction of active participants whose agreement closes the thread with stop reason `consensus`. */
export const DEFAULT_CONSENSUS_THRESHOLD = 0.66;

export const escalationConditionSchema = z.object({
  type: z.enum(ESCALATION_CONDITION_TYPES),
  /** Seconds (time conditions), a count, or a fraction 0..1 (error_rate); `false` disables, `true` means "any". */
  threshold: z.union([z.number().nonnegative().finite(), z.boolean()]),
  /** Time window in seconds: the no_progress delay, or the window counts and rates are measured over. */
  timeframe: z.number().positive().finite().optional(),
  /** bzzz extension: error_rate needs at least this many samples (default 5). */
  min_samples: z.number().int().positive().optional(),
});

export const escalationActionSchema = z.object({
  type: z.enum(ESCALATION_ACTION_TYPES),
  target: z.string().min(1).max(256).optional(),
  priority: z.string().min(1).max(64).optional(),
  participants: z.array(z.string().min(1).max(256)).max(64).optional(),
});

export const escalationRuleSchema = z.object({
  name: z.string().min(1).max(128),
  conditions: z.array(escalationConditionSchema).min(1).max(16),
  actions: z.array(escalationActionSchema).min(1).max(16),
  priority: z.number().int().default(0),
});

/** Rules of one thread: names are their keys (an escalation fires once per rule while unresolved). */
export const escalationRulesSchema = z
  .array(escalationRuleSchema)
  .max(32)
  .refine(
    (rules) => new Set(rules.map((rule) => rule.name)).size === rules.length,
    'rule names must be unique',
  );

export type EscalationCondition = z.output<typeof escalationConditionSchema>;
export type EscalationAction = z.output<typeof escalationActionSchema>;
export type EscalationRule = z.output<typeof escalationRuleSchema>;

/**
 * Defaults. "Long Running Thread" is the deployment guide's example; its `escalate_to_senior` action
 * (not an EscalationAction type of the API reference) becomes `escalate_to_architect` targeting the
 * senior architect. The seeds configure no disagreement or error rule; the other two are bzzz's own.
 */
export const DEFAULT_ESCALATION_RULES: readonly EscalationRule[] = [
  {
    name: 'Long Running Thread',
    conditions: [
      { type: 'thread_duration', threshold: 7200 },
      { type: 'no_progress', threshold: true, timeframe: 1800 },
    ],
    actions: [
      { type: 'notify_human', target: 'project_manager' },
      { type: 'escalate_to_architect', target: 'senior_architect' },
    ],
    priority: 1,
  },
  {
    name: 'Persistent Disagreement',
    conditions: [{ type: 'disagreement_count', threshold: 3 }],
    actions: [{ type: 'create_decision_thread' }, { type: 'notify_human', target: 'project_manager' }],
    priority: 2,
  },
  {
    name: 'High Error Rate',
    conditions: [{ type: 'error_rate', threshold: 0.5 }],
    actions: [
      { type: 'notify_human', target: 'project_manager', priority: 'high' },
      { type: 'request_expert' },
    ],
    priority: 3,
  },
];

/** A deep copy without undefined fields, fit to be recorded in an event. */
export function normalizeRule(rule: EscalationRule): EscalationRule {
  return {
    name: rule.name,
    conditions: rule.conditions.map((c) => ({
      type: c.type,
      threshold: c.threshold,
      ...(c.timeframe === undefined ? {} : { timeframe: c.timeframe }),
      ...(c.min_samples === undefined ? {} : { min_samples: c.min_samples }),
    })),
    actions: rule.actions.map((a) => ({
      type: a.type,
      ...(a.target === undefined ? {} : { target: a.target }),
      ...(a.priority === undefined ? {} : { priority: a.priority }),
      ...(a.participants === undefined ? {} : { participants: [...a.participants] }),
    })),
    priority: rule.priority,
  };
}

/** Rules in firing order: higher priority first, then as configured. */
export function byPriority(rules: readonly EscalationRule[]): readonly EscalationRule[] {
  let sorted = prioritized.get(rules);
  if (!sorted) {
    sorted = rules
      .map((rule, index) => ({ rule, index }))
      .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
      .map(({ rule }) => rule);
    prioritized.set(rules, sorted);
  }
  return sorted;
}

/** A thread's rules are set once and kept by every later state: sorted once per rules array. */
const prioritized = new WeakMap<readonly EscalationRule[], readonly EscalationRule[]>();

/** Seconds a time condition waits, or undefined when the condition is disabled. */
export function conditionSeconds(condition: EscalationCondition): number | undefined {
  const { threshold, timeframe } = condition;
  if (threshold === false) return undefined;
  if (condition.type === 'no_progress')
    return timeframe ?? (typeof threshold === 'number' ? threshold : undefined);
  return typeof threshold === 'number' ? threshold : timeframe;
}

/** What a thread's state says about one rule, measured since the rule's baseline (creation or last resolution). */
export interface RuleFacts {
  /** When the measurement starts (ms). */
  since: number;
  /** Last message, decision, vote or resumption (ms). */
  lastProgress: number;
  /** Times of every disagreeing vote; those before index `disagreementsFrom` precede the baseline. */
  disagreements: readonly string[];
  disagreementsFrom: number;
  /**
   * The messages and unattached error reports since the baseline, and at or after `since` (ms) when it
   * is given: how many, and how many of them are errors.
   */
  samples: (since: number | undefined) => { total: number; errors: number };
}

/** When a time condition falls due, or undefined for count conditions and disabled ones. */
export function conditionDueAt(condition: EscalationCondition, facts: RuleFacts): number | undefined {
  const seconds = conditionSeconds(condition);
  if (seconds === undefined) return undefined;
  if (condition.type === 'thread_duration') return facts.since + seconds * 1000;
  if (condition.type === 'no_progress') return Math.max(facts.since, facts.lastProgress) + seconds * 1000;
  return undefined;
}

/** Why a time condition fired, stable for a given condition (deadline events must be reproducible). */
export function timeReason(condition: EscalationCondition): string {
  const seconds = conditionSeconds(condition) ?? 0;
  return condition.type === 'thread_duration'
    ? `thread has been open for ${seconds}s without resolution`
    : `no progress (message, decision or vote) for ${seconds}s`;
}

/** Why a count condition holds at `now`, or undefined when it does not. Thresholds are reached at `>=`. */
export function countConditionReason(
  condition: EscalationCondition,
  facts: RuleFacts,
  now: number,
): string | undefined {
  const { threshold, timeframe } = condition;
  if (threshold === false) return undefined;
  // Runs on every post: without a timeframe, nothing is parsed, only counted.
  const from = timeframe === undefined ? undefined : now - timeframe * 1000;
  const inWindow = (at: string) => from === undefined || Date.parse(at) >= from;
  const window = timeframe === undefined ? '' : ` in the last ${timeframe}s`;
  if (condition.type === 'disagreement_count') {
    let count = 0;
    for (let i = facts.disagreementsFrom; i < facts.disagreements.length; i++) {
      if (inWindow(facts.disagreements[i]!)) count++;
    }
    const needed = threshold === true ? 1 : threshold;
    return count > 0 && count >= needed
      ? `${count} disagreeing votes${window} (threshold ${needed})`
      : undefined;
  }
  if (condition.type === 'error_rate') {
    const { total, errors } = facts.samples(from);
    const minSamples = condition.min_samples ?? DEFAULT_ERROR_RATE_MIN_SAMPLES;
    const needed = threshold === true ? 0 : threshold;
    if (total < minSamples || errors === 0 || errors / total < needed) return undefined;
    return `error rate ${errors}/${total}${window} reached threshold ${needed}`;
  }
  return undefined;
}
