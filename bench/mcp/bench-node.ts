import { randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { KNOWN_ROLES } from '../../src/actors/agent/agent-events.js';
import { loadConfig } from '../../src/config/config.js';
import { type HttpServerHandle, RequestCounter, startHttpServer } from '../../src/http/http-server.js';
import { mcpRoutes, protectRoutes } from '../../src/http/mcp-routes.js';
import { buildRestRoutes } from '../../src/http/rest-routes.js';
import {
  createMcpEndpoints,
  MCP_HTTP_PATH,
  MCP_WEBSOCKET_PATH,
  type McpEndpoints,
} from '../../src/mcp/transports/mcp-endpoints.js';
import { type NodeMcp, startNodeMcp } from '../../src/mcp/transports/node-context.js';
import { type BzzzNode, startBzzzNode } from '../../src/node/bzzz-node.js';

/** The reference tool: registered beside bzzz's tools on every session's server, does nothing. */
export const NOOP_TOOL = 'bench_noop';

/** Sessions, messages per second and burst: far above what the load generator asks for. */
const LIMITS_ENV = {
  BZZZ_MCP_RATE_LIMIT: '1000000',
  BZZZ_MCP_RATE_BURST: '1000000',
  BZZZ_MCP_MAX_SESSIONS: '512',
};

export interface BenchNode {
  node: BzzzNode;
  /** Bearer token both endpoints require (as a deployed node would). */
  token: string;
  httpUrl: URL;
  wsUrl: URL;
  close(): Promise<void>;
}

function registerNoop(server: McpServer): McpServer {
  server.registerTool(
    NOOP_TOOL,
    {
      description: 'benchmark reference: answers at once, touches nothing',
      inputSchema: { n: z.number().int().optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => ({ content: [{ type: 'text', text: 'ok' }] }),
  );
  return server;
}

/**
 * A node wired as `bzzz serve` wires it (src/cli/serve.ts): embedded store at synchronous=FULL in
 * `dir`, actors, projections, MCP services, REST and both MCP endpoints on 127.0.0.1:<free port> with a
 * bearer token. Each session's McpServer also has the no-op tool. The rate limits are lifted through
 * the config (BZZZ_MCP_*), exactly as an operator would.
 */
export async function startBenchNode(dir: string): Promise<BenchNode> {
  const token = randomBytes(24).toString('hex');
  const config = loadConfig({
    BZZZ_STORE: `sqlite:${dir}/bzzz.db`,
    BZZZ_DATA_DIR: dir,
    BZZZ_SQLITE_SYNCHRONOUS: 'FULL',
    BZZZ_HOST: '127.0.0.1',
    BZZZ_PORT: '0',
    BZZZ_TOKEN: token,
    ...LIMITS_ENV,
  });
  const node = startBzzzNode(config);
  let nodeMcp: NodeMcp | undefined;
  let mcp: McpEndpoints | undefined;
  let http: HttpServerHandle;
  try {
    nodeMcp = startNodeMcp(node);
    const createServer = nodeMcp.createServer;
    mcp = createMcpEndpoints({
      createServer: () => registerNoop(createServer()),
      host: config.host,
      token: config.token,
      limits: config.mcp,
    });
    const counter = new RequestCounter();
    const rest = buildRestRoutes(node, { storeKind: 'sqlite', requestCounts: () => counter.snapshot() });
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      counter,
      routes: [...protectRoutes(rest, mcp.security), ...mcpRoutes(mcp)],
      onUpgrade: mcp.handleUpgrade,
    });
  } catch (error) {
    await mcp?.close();
    await nodeMcp?.close();
    await node.close();
    throw error;
  }
  const endpoints = mcp;
  const services = nodeMcp;
  return {
    node,
    token,
    httpUrl: new URL(MCP_HTTP_PATH, http.url),
    wsUrl: new URL(MCP_WEBSOCKET_PATH, http.url.replace(/^http:/, 'ws:')),
    // In serve's order: sessions, HTTP server, MCP services, node.
    async close() {
      await endpoints.close();
      await http.close();
      await services.close();
      await node.close();
    },
  };
}

/** Projects the seeded agents are spread over; with the 7 roles each role@project has ~28 agents. */
export const PROJECTS = 50;
const CAPABILITIES = [
  'typescript',
  'python',
  'go',
  'rust',
  'sql',
  'react',
  'kubernetes',
  'terraform',
  'security',
  'testing',
  'api-design',
  'performance',
  'docs',
  'ml',
  'data',
  'frontend',
  'backend',
  'ci',
  'observability',
  'accessibility',
];
/** Commands in flight at once while seeding. */
const SEED_CONCURRENCY = 256;
/** Threads the posts are spread over, each with 3 participants. */
export const THREADS = 512;
const THREAD_PARTICIPANTS = 3;

export const agentId = (n: number) => `agent-${String(n).padStart(5, '0')}`;
export const projectName = (p: number) => `proj-${String(p).padStart(2, '0')}`;
export const threadId = (t: number) => `bench-thread-${String(t).padStart(4, '0')}`;

export function threadParticipants(t: number): string[] {
  return Array.from({ length: THREAD_PARTICIPANTS }, (_, k) => agentId(t * THREAD_PARTICIPANTS + k));
}

function announceCommand(n: number) {
  return {
    type: 'AnnounceAgent',
    role: KNOWN_ROLES[n % KNOWN_ROLES.length]!,
    project: projectName(Math.floor(n / KNOWN_ROLES.length) % PROJECTS),
    capabilities: [0, 7, 13].map((k) => CAPABILITIES[(n + k) % CAPABILITIES.length]!),
    specialization: `bench agent ${n}`,
    max_tasks: 3,
    model: 'claude-sonnet',
    owner: 'mcp:bench-seed',
    // No heartbeats come during the run: no agent may go offline (and append) while it is measured.
    heartbeat_timeout_s: 86_400,
  };
}

async function sendAll(
  node: BzzzNode,
  count: number,
  command: (i: number) => { category: string; id: string; body: { type: string; [field: string]: unknown } },
): Promise<bigint> {
  let next = 0;
  let last = 0n;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const { category, id, body } = command(i);
      const result = await node.actors.system.send(category, id, body);
      if (result.position !== undefined && result.position > last) last = result.position;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, worker));
  return last;
}

/**
 * `agents` agents announced through the actor system (the events are the real AgentAnnounced, with
 * the runtime's metadata), SEED_CONCURRENCY commands at a time, then THREADS threads among them; waits
 * until every projection reflects them all.
 */
export async function seed(node: BzzzNode, agents: number): Promise<{ agentsMs: number; threadsMs: number }> {
  if (agents < THREADS * THREAD_PARTICIPANTS)
    throw new Error(`need at least ${THREADS * THREAD_PARTICIPANTS} agents`);
  const started = performance.now();
  const announced = await sendAll(node, agents, (n) => ({
    category: 'agent',
    id: agentId(n),
    body: announceCommand(n),
  }));
  await node.projections.waitFor(announced, 300_000);
  const agentsMs = performance.now() - started;
  const created = await sendAll(node, THREADS, (t) => {
    const participants = threadParticipants(t);
    return {
      category: 'thread',
      id: threadId(t),
      body: {
        type: 'CreateThread',
        topic: `bench thread ${t}: review of module ${t}`,
        participants,
        creator: participants[0]!,
        project: projectName(Math.floor((t * THREAD_PARTICIPANTS) / KNOWN_ROLES.length) % PROJECTS),
      },
    };
  });
  await node.projections.waitFor(created, 300_000);
  return { agentsMs, threadsMs: performance.now() - started - agentsMs };
}
