import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type TransportKind = 'http' | 'ws';

/** What the parent asks of the load generator, one message at a time. */
export type LoadRequest =
  | {
      type: 'connect';
      transport: TransportKind;
      /** Sessions to open: each one is an MCP client with one call in flight at a time. */
      sessions: number;
      /** `/mcp` for http, `/mcp/ws` for ws. */
      url: string;
      token: string;
    }
  | {
      type: 'run';
      tool: string;
      /** Calls each session makes, one after the other. */
      callsPerSession: number;
      /** Call `i` of session `s` takes `argumentSets[(i * sessions + s) % length]`. */
      argumentSets: Record<string, unknown>[];
    }
  | { type: 'disconnect' }
  | { type: 'exit' };

export interface RunResult {
  /** Milliseconds per call, from the request leaving the client to its result parsed. */
  latencies: number[];
  /** First call sent to last result, all sessions. */
  elapsedMs: number;
  /** CPU time of the load generator's process (all its threads) during the run, in microseconds. */
  clientCpuMicros: number;
  /** Results with isError, and the first one's text. */
  failures: number;
  firstFailure?: string;
}

export type LoadReply =
  | { type: 'ready' }
  | { type: 'connected' }
  | ({ type: 'ran' } & RunResult)
  | { type: 'disconnected' }
  | { type: 'failed'; error: string };

const PROGRAM = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/**
 * The load generator in its own process (bench/mcp/load-client.ts): the clients' JSON-RPC, SSE and
 * schema work runs on another core than the server's event loop, as it would for real MCP clients.
 */
export class LoadGenerator {
  readonly #child: ChildProcess;
  #pending: { resolve: (reply: LoadReply) => void; reject: (error: Error) => void } | undefined;
  #ready: Promise<LoadReply>;

  constructor() {
    this.#child = fork(PROGRAM, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#ready = this.#next();
    this.#child.on('message', (message) => {
      const pending = this.#pending;
      this.#pending = undefined;
      const reply = message as LoadReply;
      if (!pending) return;
      if (reply.type === 'failed') pending.reject(new Error(`load generator: ${reply.error}`));
      else pending.resolve(reply);
    });
    this.#child.on('exit', (code, signal) => {
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.reject(new Error(`load generator exited (${signal ?? code})`));
    });
  }

  #next(): Promise<LoadReply> {
    return new Promise((resolve, reject) => (this.#pending = { resolve, reject }));
  }

  async #ask(request: LoadRequest): Promise<LoadReply> {
    await this.#ready;
    const reply = this.#next();
    this.#child.send(request);
    return reply;
  }

  async connect(transport: TransportKind, sessions: number, url: string, token: string): Promise<void> {
    await this.#ask({ type: 'connect', transport, sessions, url, token });
  }

  async run(
    tool: string,
    callsPerSession: number,
    argumentSets: Record<string, unknown>[],
  ): Promise<RunResult> {
    const reply = await this.#ask({ type: 'run', tool, callsPerSession, argumentSets });
    if (reply.type !== 'ran') throw new Error(`load generator answered ${reply.type} to run`);
    const { type: _, ...result } = reply;
    return result;
  }

  async disconnect(): Promise<void> {
    await this.#ask({ type: 'disconnect' });
  }

  /** Ends the child (politely, then by its pid if it does not go). */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    if (this.#child.connected) this.#child.send({ type: 'exit' } satisfies LoadRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
