import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  isJSONRPCRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type MessageExtraInfo,
  type RequestId,
  type RequestInfo,
} from '@modelcontextprotocol/sdk/types.js';
import { type RawData, WebSocket } from 'ws';
import { serializeMessage } from './json-fragments.js';

/** The WebSocket subprotocol MCP clients ask for (the SDK's WebSocketClientTransport sends it). */
export const MCP_SUBPROTOCOL = 'mcp';

/** Close codes this transport uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;

/** Says whether an incoming message may be handled now; a refusal carries when to retry. */
export type AdmitMessage = (message: JSONRPCMessage) => { retryAfterMs: number } | undefined;

export interface WebSocketServerTransportOptions {
  /** The MCP session id of this connection (default: none). */
  sessionId?: string;
  /** Rate limit hook: a refused request is answered with a JSON-RPC error; a refused notification is dropped. */
  admit?: AdmitMessage;
  /** Headers (and URL) of the upgrade request, handed to handlers as `extra.requestInfo`. */
  requestInfo?: RequestInfo;
  /** Ping the client this often and drop it when a pong does not come back before the next ping (0: never). */
  heartbeatMs?: number;
  /** Close the connection (1013) when this many bytes wait to be sent to a client that does not read. */
  maxBufferedBytes?: number;
  /** How long `close()` waits for the closing handshake before dropping the socket. */
  closeTimeoutMs?: number;
}

/** JSON-RPC code for a request refused by the rate limit (implementation-defined server error range). */
export const RATE_LIMITED = -32029;

const DEFAULT_HEARTBEAT_MS = 30_000;
const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

/**
 * An MCP transport over one WebSocket (`ws`): each JSON-RPC message is one text frame. The message
 * size limit is the `ws` server's `maxPayload` (it closes with 1009 beyond); binary frames are closed
 * with 1003; text that is not JSON or not JSON-RPC is answered with a JSON-RPC error and the
 * connection stays. Messages that arrive before `start()` are kept and delivered by it.
 */
export class WebSocketServerTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  readonly sessionId: string | undefined;

  readonly #socket: WebSocket;
  readonly #options: WebSocketServerTransportOptions;
  #started = false;
  #closed = false;
  #pending: { data: RawData; isBinary: boolean }[] = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #alive = true;

  constructor(socket: WebSocket, options: WebSocketServerTransportOptions = {}) {
    this.#socket = socket;
    this.#options = options;
    this.sessionId = options.sessionId;
    socket.on('message', (data, isBinary) => {
      if (this.#started) this.#receive(data, isBinary);
      else this.#pending.push({ data, isBinary });
    });
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.on('error', (error) => this.onerror?.(error));
    socket.once('close', () => this.#closedNow());
  }

  async start(): Promise<void> {
    if (this.#started) {
      throw new Error('WebSocketServerTransport already started (McpServer.connect starts it)');
    }
    this.#started = true;
    if (this.#socket.readyState !== WebSocket.OPEN) {
      this.#closedNow();
      return;
    }
    const heartbeatMs = this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs);
      this.#heartbeat.unref();
    }
    const pending = this.#pending;
    this.#pending = [];
    for (const { data, isBinary } of pending) this.#receive(data, isBinary);
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error('WebSocket is not open'));
    }
    const limit = this.#options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (this.#socket.bufferedAmount > limit) {
      // A client that stops reading would make us hold its messages forever.
      this.#socket.close(CloseCode.tryAgainLater, 'client is not reading');
      return Promise.reject(new Error('WebSocket client is not reading; connection closed'));
    }
    return new Promise((resolve, reject) => {
      this.#socket.send(serializeMessage(message), { binary: false }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** Closes with 1000 (or the given code), waits for the closing handshake a little, then drops the socket. */
  async close(code: number = CloseCode.normal, reason = ''): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    if (this.#socket.readyState === WebSocket.CONNECTING || this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.close(code, reason);
    }
    const timer = setTimeout(
      () => this.#socket.terminate(),
      this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    );
    timer.unref();
    if (this.#socket.readyState !== WebSocket.CLOSED) await closed;
    clearTimeout(timer);
    this.#closedNow();
  }

  #closedNow(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.onclose?.();
  }

  #beat(): void {
    if (!this.#alive) {
      this.#socket.terminate();
      return;
    }
    this.#alive = false;
    this.#socket.ping();
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (isBinary) {
      this.#socket.close(CloseCode.unsupportedData, 'MCP messages are text frames');
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(new Uint8Array(data)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.#replyError(null, ErrorCode.ParseError, 'Parse error: invalid JSON');
      return;
    }
    if (Array.isArray(parsed)) {
      this.#replyError(null, ErrorCode.InvalidRequest, 'Invalid Request: batches are not supported');
      return;
    }
    const checked = JSONRPCMessageSchema.safeParse(parsed);
    if (!checked.success) {
      this.#replyError(idOf(parsed), ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
      return;
    }
    const message = checked.data;
    const refused = this.#options.admit?.(message);
    if (refused) {
      if (isJSONRPCRequest(message)) {
        this.#replyError(
          message.id,
          RATE_LIMITED,
          `rate limit exceeded; retry after ${refused.retryAfterMs} ms`,
          { code: 'RATE_LIMITED', retry_after_ms: refused.retryAfterMs },
        );
      }
      return;
    }
    const extra: MessageExtraInfo = this.#options.requestInfo
      ? { requestInfo: this.#options.requestInfo }
      : {};
    this.onmessage?.(message, extra);
  }

  #replyError(id: RequestId | null, code: number, message: string, data?: Record<string, unknown>): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const error = { jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } };
    this.#socket.send(JSON.stringify(error), { binary: false }, (failure) => {
      if (failure) this.onerror?.(failure);
    });
  }
}

/** The id of something that looked like a request, to answer its error to (null when there is none). */
function idOf(value: unknown): RequestId | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}
