/**
 * Receivers for end-to-end tests: a webhook endpoint that checks each delivery's HMAC signature,
 * and a reader of a node's live feed (Server-Sent Events) that keeps every event.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, type Dispatcher } from 'undici';

export interface Delivery {
  event: string;
  body: Record<string, unknown>;
  verified: boolean;
}

/** An HTTP receiver of webhooks: each delivery with whether its HMAC signature verifies under `secrets[path]`. */
export async function webhookReceiver(): Promise<{ server: Server; url: (path: string) => string; deliveries: Map<string, Delivery[]>; secrets: Map<string, string> }> {
  const deliveries = new Map<string, Delivery[]>();
  const secrets = new Map<string, string>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = secrets.get(req.url ?? '') ?? '';
      const timestamp = String(req.headers['x-shieldwall-timestamp'] ?? '');
      const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
      const list = deliveries.get(req.url ?? '') ?? [];
      list.push({ event: String(req.headers['x-shieldwall-event'] ?? ''), body: JSON.parse(body) as Record<string, unknown>, verified: req.headers['x-shieldwall-signature'] === expected });
      deliveries.set(req.url ?? '', list);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: (p) => `http://127.0.0.1:${port}${p}`, deliveries, secrets };
}

/** A reader of a node's live feed: every event received so far. */
export class FeedReader {
  readonly events: Array<{ event: string; data: Record<string, unknown> }> = [];
  /** The stream was answered (200), and has sent this many chunks. */
  opened = false;
  chunks = 0;
  readonly #controller = new AbortController();
  readonly done: Promise<void>;

  constructor(url: string, token: string, agent?: Dispatcher) {
    this.done = (async () => {
      const response = await request(url, { ...(agent ? { dispatcher: agent } : {}), headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: this.#controller.signal });
      assert.equal(response.statusCode, 200);
      this.opened = true;
      let buffer = '';
      try {
        for await (const chunk of response.body) {
          this.chunks++;
          buffer += (chunk as Buffer).toString('utf8');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) this.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch (error) {
        if (!this.#controller.signal.aborted) throw error;
      }
    })();
  }

  ids(event: string): string[] {
    return this.events.filter((e) => e.event === event).map((e) => String((e.data.object as { id?: string } | undefined)?.id));
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.done.catch(() => undefined);
  }
}
