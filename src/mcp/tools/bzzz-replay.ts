import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { AnyActorKind } from '../../actors/actor-kind.js';
import { DomainError, DomainErrorCode } from '../../actors/domain-error.js';
import type { EventStore } from '../../events/event-store.js';
import type { JsonObject } from '../../events/json.js';
import { runTool, toolSuccess } from '../tool-result.js';
import { actorOfStream } from '../../audit/replay.js';
import { headRevision, replayStream } from './replay-stream.js';

const inputSchema = {
  stream: z
    .string()
    .min(3)
    .max(300)
    .describe('An actor stream: agent-<id>, thread-<id> or subscription-<id>'),
  from_revision: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('First revision of the page (0: the first event)'),
  limit: z.number().int().min(1).max(200).default(20).describe('Most events in the page'),
  at_revision: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Only the state right after this revision (time travel); no event list'),
  include_state: z.boolean().default(true).describe("Add the actor's state after each event"),
  include_metadata: z.boolean().default(false).describe("Add each event's envelope metadata"),
};

const outputSchema = {
  success: z.literal(true),
  stream: z.string(),
  category: z.string(),
  actor_id: z.string(),
  machine_version: z.number(),
  head_revision: z.number(),
  events: z.array(z.record(z.string(), z.unknown())),
  next_revision: z.number().nullable(),
  state: z
    .object({ revision: z.number(), value: z.unknown(), view: z.record(z.string(), z.unknown()) })
    .nullable(),
  replayed_at: z.string(),
};

/**
 * bzzz_replay: an actor's history with its state after each event, folded from the log with the
 * machine's pure transition: nothing runs, nothing is appended. Paged by revision, or one state at a
 * revision.
 */
export function registerReplay(
  server: McpServer,
  store: EventStore,
  kinds: readonly AnyActorKind[],
  now: () => number,
): void {
  server.registerTool(
    'bzzz_replay',
    {
      title: 'Replay an actor',
      description:
        "Replay an actor's stream (agent-<id>, thread-<id>, subscription-<id>): its events with the state after each (from_revision, limit; next_revision pages on), or the state at one revision (at_revision). Folded with the pure machine transition: no effects, nothing appended.",
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const { kind, actorId } = actorOfStream(kinds, args.stream);
        const head = await headRevision(store, kind, args.stream);
        if (args.at_revision !== undefined && args.at_revision > head) {
          throw new DomainError(
            DomainErrorCode.InvalidParameters,
            `at_revision ${args.at_revision} is after the stream's last revision ${head}`,
            { stream: args.stream, at_revision: args.at_revision, head_revision: head },
          );
        }
        const replay = await replayStream(store, kind, args.stream, actorId, {
          fromRevision: args.from_revision,
          limit: args.limit,
          ...(args.at_revision === undefined ? {} : { atRevision: args.at_revision }),
          includeState: args.include_state,
          includeMetadata: args.include_metadata,
        });
        const structured = {
          success: true as const,
          stream: args.stream,
          category: kind.category,
          actor_id: actorId,
          machine_version: kind.version,
          head_revision: head,
          events: replay.events,
          next_revision: replay.nextRevision,
          state: replay.state,
          replayed_at: new Date(now()).toISOString(),
        } satisfies JsonObject;
        const what =
          args.at_revision === undefined
            ? `${replay.events.length} event(s) of ${args.stream}`
            : `${args.stream} at revision ${args.at_revision}`;
        return toolSuccess(structured, `Replayed ${what}`);
      }),
  );
}
