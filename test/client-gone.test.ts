/**
 * A client that goes while its request awaits something (its credentials checked in the store,
 * the start of its event stream) takes nothing with it for good. What a request takes is given
 * back when its answer's connection closes; a listener added after the close never ran, so each
 * such client kept a place among its member's requests in progress
 * (SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER) or one of its user's event streams, and after a few
 * the member's users were answered 429 until the node restarted. On PostgreSQL, where the store
 * is asked over a connection, the client's going is seen in the middle of the request.
 */
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { createTestNode, type TestNode } from './support/node.js';
import { limit, SUITE_LIMIT_MS, waitFor } from './support/wait.js';

/** Clients that send a request and go, after 0 to 4 ms. */
const GONE = 60;

for (const dialect of DIALECTS) {
  describe(`a client that goes takes nothing with it (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let url: string;
    before(async () => {
      // One request in progress per member: a single place kept for good refuses every later one.
      node = await createTestNode(dialect, { requestsInFlightPerMember: 1 });
      url = await node.app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => node?.close());

    async function sendAndGo(path: string, headers: Record<string, string>): Promise<void> {
      const port = Number(new URL(url).port);
      for (let i = 0; i < GONE; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, i % 5));
        socket.destroy();
      }
    }

    it('gives back the place among the member\'s requests in progress', async () => {
      await sendAndGo('/api/v1/me', { authorization: `Bearer ${node.tokens.analyst}` });
      // Places come back as the node sees each client go; one kept for good refuses every request.
      await waitFor('a request of the member answered', async () => {
        const response = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${node.tokens['incident-handler']}`, connection: 'close' } });
        await response.body?.cancel();
        return response.status === 200;
      }, { limitMs: limit(30_000) });
    });

    it('gives back the user\'s event stream', async () => {
      await sendAndGo('/api/v1/events', { authorization: `Bearer ${node.tokens.analyst}`, accept: 'text/event-stream' });
      // At most 4 open streams per user: one kept for good per client that went would refuse this.
      await waitFor('a new stream of the user opened', async () => {
        const stream = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: 'text/event-stream' } });
        await stream.body?.cancel();
        return stream.status === 200;
      }, { limitMs: limit(30_000) });
    });
  });
}
