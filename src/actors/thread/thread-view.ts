import type { JsonObject } from '../../events/json.js';
import type { EscalationAction, EscalationCondition, EscalationRule } from './escalation-rules.js';
import type { ThreadState } from './thread-outcome.js';
import { countTurns } from './thread-turns.js';

/** The thread's status as the seed names it; a stopped thread is `completed` on consensus, else `closed`. */
export type ThreadStatus = 'new' | 'active' | 'paused' | 'escalated' | 'completed' | 'closed';

export function threadStatus(state: ThreadState): ThreadStatus {
  if (state.matches('new')) return 'new';
  if (state.matches('closed'))
    return state.context.closure?.stop_reason === 'consensus' ? 'completed' : 'closed';
  if (state.matches({ open: 'paused' })) return 'paused';
  if (state.matches({ open: { running: 'escalated' } })) return 'escalated';
  return 'active';
}

/**
 * The seed's ConversationThread in snake_case, with bzzz's additions (decisions, votes, consensus,
 * stop reason). `messages` holds the last 50 messages; the event log and the threads projection hold all.
 */
export function threadView(state: ThreadState): JsonObject {
  const c = state.context;
  const status = threadStatus(state);
  if (status === 'new') return { id: c.thread_id, status };
  return {
    id: c.thread_id,
    topic: c.topic,
    creator: c.creator,
    status,
    participants: c.participants.map((p) => ({ ...p })),
    created_at: c.created_at,
    last_activity: c.last_activity,
    message_count: c.message_count,
    messages: c.recent_messages.map((m) => ({
      id: m.message_id,
      thread_id: c.thread_id,
      sender: m.sender,
      content: m.content,
      message_type: m.message_type,
      timestamp: m.posted_at,
      reply_to: m.reply_to,
      metadata: m.metadata,
    })),
    error_count: countTurns(c.turns, 0, undefined).errors,
    decisions: c.decisions.map((d) => ({
      id: d.decision_id,
      decision: d.decision,
      decided_by: d.decided_by,
      rationale: d.rationale,
      confidence: d.confidence,
      timestamp: d.decided_at,
    })),
    votes: c.votes.map((v) => ({ ...v })),
    consensus: c.consensus && { ...c.consensus },
    consensus_threshold: c.consensus_threshold,
    max_rounds: c.max_rounds,
    escalation_rules: c.escalation_rules.map(ruleJson),
    escalation_history: c.escalations.map((e) => ({
      id: e.escalation_id,
      thread_id: c.thread_id,
      rule: e.rule,
      condition: e.condition,
      reason: e.reason,
      triggered_at: e.triggered_at,
      actions: e.actions.map(actionJson),
      resolved: e.resolved,
      resolution: e.resolution,
      resolved_by: e.resolved_by,
      resolved_at: e.resolved_at,
    })),
    summary: c.summary,
    summarized_at: c.summarized_at,
    summary_requested: c.pending_summary_request !== null,
    paused: c.pause && { ...c.pause },
    stop_reason: c.closure?.stop_reason ?? null,
    closed_at: c.closure?.closed_at ?? null,
    closed_by: c.closure?.closed_by ?? null,
    close_note: c.closure?.note ?? null,
    project: c.project,
    task: c.task,
    metadata: c.metadata,
  };
}

function ruleJson(rule: EscalationRule): JsonObject {
  return {
    name: rule.name,
    conditions: rule.conditions.map(conditionJson),
    actions: rule.actions.map(actionJson),
    priority: rule.priority,
  };
}

function conditionJson(condition: EscalationCondition): JsonObject {
  return {
    type: condition.type,
    threshold: condition.threshold,
    ...(condition.timeframe === undefined ? {} : { timeframe: condition.timeframe }),
    ...(condition.min_samples === undefined ? {} : { min_samples: condition.min_samples }),
  };
}

function actionJson(action: EscalationAction): JsonObject {
  return {
    type: action.type,
    ...(action.target === undefined ? {} : { target: action.target }),
    ...(action.priority === undefined ? {} : { priority: action.priority }),
    ...(action.participants === undefined ? {} : { participants: action.participants }),
  };
}
