import { AGENT_ID_PATTERN } from '../../actors/agent/agent-events.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import { getAgent } from '../../projections/lookup/lookup-queries.js';
import { type McpContext, readViews } from '../mcp-context.js';

/**
 * AGENT_NOT_FOUND unless every id names an announced agent that has not retired. The lookup view
 * answers first; an agent it does not have yet (announced by another process a moment ago) is asked
 * directly.
 */
export async function requireAgents(context: McpContext, ids: readonly string[]): Promise<void> {
  const missing: string[] = [];
  const retired: string[] = [];
  await readViews(context, ['lookup']);
  for (const id of new Set(ids)) {
    const status = await agentStatus(context, id);
    if (status === undefined) missing.push(id);
    else if (status === 'retired') retired.push(id);
  }
  if (missing.length === 0 && retired.length === 0) return;
  const parts = [
    missing.length > 0 ? `never announced: ${missing.join(', ')}` : '',
    retired.length > 0 ? `retired: ${retired.join(', ')}` : '',
  ].filter(Boolean);
  throw new DomainError(DomainErrorCode.AgentNotFound, `unknown agent(s) (${parts.join('; ')})`, {
    agent_ids: [...missing, ...retired],
    missing,
    retired,
  });
}

async function agentStatus(context: McpContext, id: string): Promise<string | undefined> {
  const row = getAgent(context.readModel, id);
  if (row) return row.status;
  if (!AGENT_ID_PATTERN.test(id)) return undefined;
  const { exists, state } = await context.system.inspect('agent', id);
  return exists ? String(state.status) : undefined;
}
