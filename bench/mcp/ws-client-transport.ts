import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket } from 'ws';

/**
 * An MCP client transport on `ws` (the SDK's WebSocketClientTransport needs a global WebSocket, which
 * Node 20 lacks, and cannot send the bearer token). Each JSON-RPC message is one text frame, handed to
 * the client as soon as it is read: the benchmark wants no delay of its own on the path.
 */
export class WsClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #socket: WebSocket | undefined;

  constructor(
    readonly url: URL,
    readonly headers: Record<string, string> = {},
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, 'mcp', { headers: this.headers, perMessageDeflate: false });
      this.#socket = socket;
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      socket.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      socket.on('close', () => this.onclose?.());
      socket.on('message', (data) => {
        const parsed = JSONRPCMessageSchema.safeParse(JSON.parse(String(data)));
        if (parsed.success) this.onmessage?.(parsed.data);
        else this.onerror?.(new Error(`not JSON-RPC: ${String(data).slice(0, 200)}`));
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#socket!.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    this.#socket?.close();
  }
}
