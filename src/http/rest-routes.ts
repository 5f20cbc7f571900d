import type { CostTrackerConfig } from '../projections/cost/cost-budget.js';
import type { BzzzNode } from '../node/bzzz-node.js';
import type { RequestCounts } from './http-server.js';
import type { Route } from './router.js';
import { agentRoutes } from './routes/agents.js';
import { conversationRoutes } from './routes/conversations.js';
import { costRoutes } from './routes/costs.js';
import { healthRoutes } from './routes/health.js';
import { statsRoutes } from './routes/stats.js';

export interface RestOptions {
  /** The event store's kind, shown by /health (`sqlite` or `kurrentdb`). */
  storeKind: string;
  /** Wall-clock ms the server started: uptime and the stats' start_time (default: now). */
  startedAt?: number;
  /**
   * The node's domain clock: which UTC day and month are "today" for the cost endpoints and the budget
   * (default: the actor system's clock, so a simulated clock moves them too).
   */
  now?: () => number;
  /** The HTTP server's counts, for /api/stats (none: zeros). */
  requestCounts?: () => RequestCounts;
  /** Limits the budget is checked against (default: the seed's 100/day, 1000/month, warning at 0.8). */
  costConfig?: Partial<CostTrackerConfig>;
  /** /health says `degraded` when a view is further behind than this (default 1000 events or 60 s). */
  maxEventsBehind?: number;
  maxMsBehind?: number;
  /**
   * How long a read waits for the views to reflect the commands answered before it (MCP tools answer
   * once a command is durable; the views catch up a moment later). Default 10 s.
   */
  readYourWritesTimeoutMs?: number;
}

/** What every route module gets: the node and the options with their defaults filled in. */
export interface RestDeps {
  node: BzzzNode;
  storeKind: string;
  startedAt: number;
  now: () => number;
  requestCounts: () => RequestCounts;
  costConfig: Partial<CostTrackerConfig>;
  maxEventsBehind: number;
  maxMsBehind: number;
}

/** The read-only REST API of a node: /health, /api/agents, /api/conversations, /api/stats, /api/costs. */
export function buildRestRoutes(node: BzzzNode, options: RestOptions): Route[] {
  const clock = node.actors.system.clock;
  const deps: RestDeps = {
    node,
    storeKind: options.storeKind,
    startedAt: options.startedAt ?? Date.now(),
    now: options.now ?? (() => clock.now()),
    requestCounts: options.requestCounts ?? (() => ({ total: 0, errors: 0, server_errors: 0 })),
    costConfig: options.costConfig ?? {},
    maxEventsBehind: options.maxEventsBehind ?? 1000,
    maxMsBehind: options.maxMsBehind ?? 60_000,
  };
  const timeoutMs = options.readYourWritesTimeoutMs ?? 10_000;
  // Read-your-writes: a read sees every command answered before it (at once when the views have it).
  const settled = (route: Route): Route => ({
    ...route,
    handler: async (context) => {
      await node.projections.settle(undefined, timeoutMs);
      return route.handler(context);
    },
  });
  return [
    ...healthRoutes(deps),
    ...[...agentRoutes(deps), ...conversationRoutes(deps), ...statsRoutes(deps), ...costRoutes(deps)].map(
      settled,
    ),
  ];
}
