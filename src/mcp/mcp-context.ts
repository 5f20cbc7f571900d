import type Database from 'better-sqlite3';
import type { ActorSystem, CommandResult } from '../actors/actor-system.js';
import type { LlmTaskRunner } from '../llm/llm-service.js';
import type { ProjectionService } from '../projections/projection-service.js';

/** What tool handlers use: actors for commands, projections for queries, and the clock. */
export interface McpContext {
  system: ActorSystem;
  projections: ProjectionService;
  readModel: Database.Database;
  nodeId: string;
  now(): number;
  /** How long a query waits for the read models to reflect the commands answered before it. */
  readYourWritesTimeoutMs: number;
  /** Runs LLM tasks (bzzz_task); absent: the tool answers OPENAI_ERROR, not configured. */
  llm?: LlmTaskRunner;
}

/** The read models a query reads (projection names). */
export type ViewName = 'lookup' | 'threads' | 'cost' | 'stats';

/**
 * Sends a command and answers as soon as it is durable, with the actor's own result. Read-your-writes
 * moves to the queries: the views its events touch owe its position to every query that follows, in
 * any session ({@link readViews}), so a command never waits for a projection cycle it does not need.
 */
export async function sendCommand(
  context: McpContext,
  category: string,
  actorId: string,
  command: { type: string; [field: string]: unknown },
): Promise<CommandResult> {
  const result = await context.system.send(category, actorId, command);
  context.projections.noteWrite(
    result.position,
    result.events.map((event) => event.type),
  );
  return result;
}

/**
 * Before a query of the read models: resolves once the views it reads reflect every command answered
 * so far (at once when they do, the usual case); PROJECTION_TIMEOUT after the context's timeout.
 */
export function readViews(context: McpContext, views: readonly ViewName[]): Promise<void> {
  return context.projections.settle(views, context.readYourWritesTimeoutMs);
}
