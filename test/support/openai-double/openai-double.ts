import { setTimeout as upstreamLatency } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Usage the double reports; missing counts are derived from the request. */
export interface ScriptedUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

/** What the double answers to one request. */
export type Reply =
  | {
      type: 'completion';
      content?: string;
      /** The model the response names (default: the requested one). */
      model?: string;
      /** null: no usage in the body. */
      usage?: ScriptedUsage | null;
      finishReason?: string;
      delayMs?: number;
    }
  | { type: 'error'; status: number; message?: string; headers?: Record<string, string> }
  /** Never answers (until the client gives up or the double closes). */
  | { type: 'hang' }
  /** A 200 whose body is not a chat completion (`body`, default broken JSON). */
  | { type: 'malformed'; body?: string; contentType?: string }
  /** A 401 whose message repeats the Authorization header, as careless servers do. */
  | { type: 'echo-auth' };

export interface ReceivedRequest {
  /** When it arrived (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface OpenAiDoubleOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** The reply when nothing is queued (default: a completion). */
  fallback?: (request: ReceivedRequest) => Reply;
}

/**
 * An OpenAI-compatible server for tests: node:http on 127.0.0.1 (a free port), speaking
 * POST /v1/chat/completions. Replies come from a queue (then a fallback), so a test scripts the
 * responses (usage with cached and reasoning tokens, 429 with Retry-After, 500, hangs, malformed
 * bodies) and counts the requests it got.
 */
export class OpenAiDouble {
  readonly requests: ReceivedRequest[] = [];
  /** Requests whose client closed the connection before an answer (timeouts, cancellations). */
  abandoned = 0;
  readonly #queue: Reply[] = [];
  readonly #server: Server;
  readonly #options: OpenAiDoubleOptions;
  readonly #listeners = new Set<() => void>();
  #url = '';

  private constructor(options: OpenAiDoubleOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: OpenAiDoubleOptions = {}): Promise<OpenAiDouble> {
    const double = new OpenAiDouble(options);
    await new Promise<void>((resolve, reject) => {
      double.#server.once('error', reject);
      double.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = double.#server.address() as AddressInfo;
    double.#url = `http://127.0.0.1:${port}/v1`;
    return double;
  }

  /** The base URL to configure (`…/v1`). */
  get url(): string {
    return this.#url;
  }

  get count(): number {
    return this.requests.length;
  }

  /** Replies for the next requests, in order. */
  enqueue(...replies: Reply[]): void {
    this.#queue.push(...replies);
  }

  set fallback(fallback: (request: ReceivedRequest) => Reply) {
    this.#options.fallback = fallback;
  }

  /** Resolves once at least `count` requests arrived. */
  async waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`only ${this.requests.length} of ${count} requests arrived`));
      }, timeoutMs);
      const check = () => {
        if (this.requests.length < count) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      this.#listeners.add(check);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const request: ReceivedRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body,
    };
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      sendJson(res, 404, {
        error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' },
      });
      return;
    }
    this.requests.push(request);
    for (const listener of [...this.#listeners]) listener();
    if (this.#options.apiKey !== undefined && request.authorization !== `Bearer ${this.#options.apiKey}`) {
      sendJson(res, 401, {
        error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' },
      });
      return;
    }
    const reply = this.#queue.shift() ?? this.#options.fallback?.(request) ?? { type: 'completion' };
    await this.#reply(reply, request, res);
  }

  async #reply(reply: Reply, request: ReceivedRequest, res: ServerResponse): Promise<void> {
    switch (reply.type) {
      case 'hang':
        res.on('close', () => {
          if (!res.writableEnded) this.abandoned++;
        });
        return;
      case 'error':
        for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
        sendJson(res, reply.status, {
          error: { message: reply.message ?? `scripted ${reply.status}`, type: 'server_error', code: null },
        });
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': reply.contentType ?? 'application/json' });
        res.end(reply.body ?? '{"id": "chatcmpl-broken", "choices": [');
        return;
      case 'echo-auth':
        sendJson(res, 401, {
          error: {
            message: `Incorrect API key provided: ${request.authorization ?? ''}. You can find your API key at https://example.test.`,
            type: 'invalid_request_error',
          },
        });
        return;
      case 'completion': {
        // A slow upstream, as scripted (server-side latency, not a test waiting).
        if (reply.delayMs) await upstreamLatency(reply.delayMs);
        sendJson(res, 200, completionBody(reply, request));
        return;
      }
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Roughly four characters per token, as English text gives. */
export function promptTokensOf(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  let chars = 0;
  for (const message of messages) chars += typeof message.content === 'string' ? message.content.length : 0;
  return Math.ceil(chars / 4) + 4 * messages.length + 3;
}

function completionBody(reply: Extract<Reply, { type: 'completion' }>, request: ReceivedRequest): unknown {
  const model = reply.model ?? String(request.body.model ?? 'unknown');
  const maxTokens = Number(request.body.max_completion_tokens ?? request.body.max_tokens ?? 16);
  const body: Record<string, unknown> = {
    id: `chatcmpl-double-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content ?? 'Looks good to me.', refusal: null },
        finish_reason: reply.finishReason ?? 'stop',
        logprobs: null,
      },
    ],
  };
  if (reply.usage !== null) {
    const usage = reply.usage ?? {};
    const prompt = usage.prompt_tokens ?? promptTokensOf(request.body);
    const completion = usage.completion_tokens ?? Math.min(12, maxTokens);
    body.usage = {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: usage.reasoning_tokens ?? 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
  }
  return body;
}
