/**
 * ingestRemote against a server that answers like a node but lists outcomes no node gives: the
 * command says the server is not a Shieldwall node instead of counting them into its summary.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { indicator } from '../../test/support/factories.js';
import { CliError, EXIT } from './failures.js';
import { ingestRemote } from './ingest-remote.js';

describe('ingestRemote: the outcomes a node answers with', () => {
  let server: Server;
  let url: string;
  /** The status the fake node gives the first object of each bundle it is sent. */
  let status = 'accepted';
  /** Whether it answers as a node whose store failed: 503, the outcomes decided so far in the error's details. */
  let failing = false;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        const outcome = { index: 0, status, id: 'indicator--x' };
        if (failing) {
          response.statusCode = 503;
          response.end(JSON.stringify({ error: { code: 'SW_UNAVAILABLE', message: 'the store is unavailable; try again', details: { objects: [outcome] } } }));
        } else {
          response.end(JSON.stringify({ summary: { accepted: 1, duplicate: 0, rejected: 0, objects: 1 }, objects: [outcome] }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (outcomes: 'all' | 'rejected' = 'all') =>
    ingestRemote(
      (async function* () {
        yield Buffer.from(`${JSON.stringify(indicator())}\n`);
      })(),
      { url, token: 'sw_test', chunkObjects: 100, chunkBytes: 1 << 20, outcomes, onOutcome: () => {}, onProgress: () => {} },
    );

  it('counts what a node answers', async () => {
    status = 'accepted';
    const summary = await send();
    assert.equal(summary.accepted, 1);
    assert.equal(summary.objects, 1);
  });

  const notANode = (error: unknown): boolean => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.status, EXIT.notShieldwall);
    assert.match(error.message, /is not a Shieldwall node: its answer to POST \/api\/v1\/bundles has an outcome that is not accepted, duplicate or rejected/);
    return true;
  };

  it('counts the rejected ones a node lists when asked for those only', async () => {
    failing = false;
    status = 'rejected';
    const summary = await send('rejected');
    assert.equal(summary.rejected, 1);
    assert.equal(summary.accepted, 1, 'and the accepted ones it counts');
  });

  it("refuses an odd outcome in a failing node's details too, before counting anything", async () => {
    failing = true;
    status = 'constructor';
    await assert.rejects(send(), notANode);
    status = 'accepted';
    await assert.rejects(send(), (error: unknown) => error instanceof CliError && error.status !== EXIT.notShieldwall && /store is unavailable/.test(error.message));
    failing = false;
  });

  for (const odd of ['objects', 'bytes', 'constructor', 'held']) {
    it(`refuses an outcome with status "${odd}" as not from a node`, async () => {
      status = odd;
      await assert.rejects(send(), (error: unknown) => {
        assert.ok(error instanceof CliError, String(error));
        assert.equal(error.status, EXIT.notShieldwall);
        assert.match(error.message, /is not a Shieldwall node: its answer to POST \/api\/v1\/bundles has an outcome that is not accepted, duplicate or rejected/);
        return true;
      });
    });
  }
});
