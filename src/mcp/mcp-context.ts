import type Database from 'better-sqlite3';
import type { ActorSystem, CommandResult } from '../actors/actor-system.js';
import type { LlmTaskRunner } from '../llm/llm-service.js';
import type { ProjectionRunner } from '../projections/projection-runner.js';

/** What tool handlers use: actors for commands, projections for queries, and the clock. */
export interface McpContext {
  system: ActorSystem;
  projections: ProjectionRunner;
  readModel: Database.Database;
  nodeId: string;
  now(): number;
  /** How long a tool waits for the read models to reflect its own command (read-your-writes). */
  readYourWritesTimeoutMs: number;
  /** Runs LLM tasks (bzzz_task); absent: the tool answers OPENAI_ERROR, not configured. */
  llm?: LlmTaskRunner;
}

/** Sends a command and waits until every read model reflects it, so the next query sees it. */
export async function commandAndSettle(
  context: McpContext,
  category: string,
  actorId: string,
  command: { type: string; [field: string]: unknown },
): Promise<CommandResult> {
  const result = await context.system.send(category, actorId, command);
  await context.projections.waitFor(result.position, context.readYourWritesTimeoutMs);
  return result;
}
