import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Waitable } from './waitable.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * An HTTP server on 127.0.0.1:0 that records every request. It answers with the queued statuses first
 * (e.g. one 500 to force a retry), then with `defaultStatus`.
 */
export async function startWebhookReceiver(defaultStatus = 200) {
  const requests = new Waitable<ReceivedWebhook>();
  const queue: number[] = [];
  let fallback = defaultStatus;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = queue.shift() ?? fallback;
      response.writeHead(status).end();
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/bzzz`,
    requests,
    respondWith(...statuses: number[]) {
      queue.push(...statuses);
    },
    set defaultStatus(status: number) {
      fallback = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
