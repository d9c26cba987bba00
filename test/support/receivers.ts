/**
 * Receivers for the notification and end-to-end tests: webhook endpoints that check each
 * delivery's HMAC signature (one by path, one by the subscription the body names, with the
 * answers a test queues), a user's calls of the subscriptions API, and a reader of a node's live
 * feed (Server-Sent Events) that keeps every event.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, type Dispatcher } from 'undici';
import type { Delivery as DeliveryRecord, Subscription } from '../../src/modules/notify/notify.service.js';

/** What a receiver does: HMAC-SHA256 of `timestamp.body` under the secret, compared in constant time. */
export function signatureVerifies(secret: string | undefined, headers: IncomingHttpHeaders, body: string): boolean {
  const timestamp = headers['x-shieldwall-timestamp'];
  const given = headers['x-shieldwall-signature'];
  if (!secret || typeof timestamp !== 'string' || typeof given !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  return expected.length === Buffer.byteLength(given) && timingSafeEqual(expected, Buffer.from(given));
}

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
      const list = deliveries.get(req.url ?? '') ?? [];
      list.push({ event: String(req.headers['x-shieldwall-event'] ?? ''), body: JSON.parse(body) as Record<string, unknown>, verified: signatureVerifies(secrets.get(req.url ?? ''), req.headers, body) });
      deliveries.set(req.url ?? '', list);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: (p) => `http://127.0.0.1:${port}${p}`, deliveries, secrets };
}

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature verified with the secret of the subscription the body names. */
  verified: boolean;
}

/**
 * A webhook receiver of subscriptions: records every POST, checks its signature with the secret
 * of the subscription its body names, answers the status queued for its path (200 when none).
 */
export class SubscriptionReceiver {
  readonly received: ReceivedPost[] = [];
  /** Webhook secrets by subscription id. */
  readonly secrets = new Map<string, string>();
  readonly answers = new Map<string, number[]>();
  /** Paths answered 200 with a body that never ends; what was written of it, and how many such answers the client closed. */
  readonly endless = new Set<string>();
  endlessBytes = 0;
  endlessClosed = 0;
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = request.url ?? '';
        const subscription = (JSON.parse(body) as { subscription?: string }).subscription;
        this.received.push({ path, headers: request.headers, body, verified: signatureVerifies(subscription ? this.secrets.get(subscription) : undefined, request.headers, body) });
        const status = this.answers.get(path)?.shift() ?? 200;
        if (this.endless.has(path)) return this.#endless(response);
        // A redirect points at a path of its own, that a client following it would post to.
        const location: Record<string, string> = status >= 300 && status < 400 ? { location: `${path}/redirected` } : {};
        response.writeHead(status, { 'content-type': 'text/plain', ...location }).end(status === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** An answer whose body never ends: 64 KiB at a time, as fast as the client takes them, until it closes. */
  #endless(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const more = () => {
      while (!response.destroyed && response.write(chunk)) this.endlessBytes += chunk.length;
    };
    response.on('drain', more);
    response.on('close', () => this.endlessClosed++);
    more();
  }

  at(path: string): ReceivedPost[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/**
 * The subscriptions API as the users of a test call it, each with its own token (`tokens` by
 * user name), on the node listening at `base()`; webhooks go to `receiver` at /hook/<label>.
 */
export function subscriptionsOf(base: () => string, tokens: Readonly<Record<string, string>>, receiver: SubscriptionReceiver) {
  const api = async (user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${base()}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[user]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  /** Subscribes a user with a webhook at /hook/<label> (the receiver learns its secret) and, if asked, e-mail. */
  const subscribe = async (user: string, label: string, filter: Record<string, unknown> = {}, email?: string): Promise<Subscription> => {
    const { status, json } = await api(user, 'POST', '/subscriptions', { name: label, filter, channels: { webhook: { url: `${receiver.url}/hook/${label}` }, ...(email ? { email: { address: email } } : {}) } });
    assert.equal(status, 201, JSON.stringify(json));
    const created = json as Subscription;
    receiver.secrets.set(created.id, created.channels.webhook!.secret!);
    return created;
  };

  const unsubscribe = async (user: string, ...subscriptions: Subscription[]): Promise<void> => {
    for (const s of subscriptions) assert.equal((await api(user, 'DELETE', `/subscriptions/${s.id}`)).status, 204);
  };

  /** A subscription's delivery log, as its user reads it. */
  const deliveries = async (user: string, subscription: string): Promise<DeliveryRecord[]> => {
    const { status, json } = await api(user, 'GET', `/subscriptions/${subscription}/deliveries`);
    assert.equal(status, 200, JSON.stringify(json));
    return (json as { deliveries: DeliveryRecord[] }).deliveries;
  };

  return { api, subscribe, unsubscribe, deliveries };
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
