/**
 * ingestRemote against a server that answers like a node but lists outcomes no node gives: the
 * command says the server is not a Shieldwall node instead of counting them into its summary.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { indicator } from '../../test/support/factories.js';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { ingestStream, type ObjectOutcome } from '../modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';
import { CliError, EXIT } from './failures.js';
import { ingestRemote } from './ingest-remote.js';

describe('ingestRemote: the outcomes a node answers with', () => {
  let server: Server;
  let url: string;
  /** The status the fake node gives the first object of each bundle it is sent. */
  let status = 'accepted';
  /** Whether it answers as a node whose store failed: 503, the outcomes decided so far in the error's details. */
  let failing = false;
  /** The errors of that outcome, if any. */
  let errors: unknown;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        const outcome = { index: 0, status, id: 'indicator--x', ...(errors !== undefined ? { errors } : {}) };
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

  it('reports a rejection for invalid JSON that an odd node words oddly, rather than fail on it', async () => {
    failing = false;
    status = 'rejected';
    const outcomes: ObjectOutcome[] = [];
    const sendCollecting = () =>
      ingestRemote(
        (async function* () {
          yield Buffer.from(`${JSON.stringify(indicator())}\n`);
        })(),
        { url, token: 'sw_test', chunkObjects: 100, chunkBytes: 1 << 20, outcomes: 'rejected', onOutcome: (o) => outcomes.push(o), onProgress: () => {} },
      );
    try {
      for (const message of [5, { a: 1 }, null, 'garbage', `invalid JSON in object 0 at byte ${'9'.repeat(30)}: unexpected end`]) {
        outcomes.length = 0;
        errors = [{ path: '$', rule: 'json-syntax', message }];
        const summary = await sendCollecting();
        assert.equal(summary.rejected, 1, JSON.stringify(message));
        const said = outcomes[0]!.errors![0]!.message;
        assert.match(said, /^invalid JSON in object 0 at line 1: /, JSON.stringify(message));
        assert.ok(said.length < 1200, 'the message is bounded');
      }
    } finally {
      errors = undefined;
      status = 'accepted';
    }
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

describe('ingestRemote: an object that is not JSON, placed in the file as the local ingest places it', () => {
  let node: TestNode;
  let url: string;
  before(async () => {
    node = await createTestNode('sqlite');
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(node.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await node?.close();
  });

  /** The rejections of these bytes fed to the node by ingestRemote, in bundles of `perBundle` objects. */
  const remoteRejections = async (bytes: Buffer, perBundle: number): Promise<ObjectOutcome[]> => {
    const rejected: ObjectOutcome[] = [];
    await ingestRemote(
      (async function* () {
        // In pieces, as a file is read: objects cross the pieces.
        for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
      })(),
      { url, token: node.tokens.analyst, chunkObjects: perBundle, chunkBytes: 1 << 20, outcomes: 'rejected', onOutcome: (o) => o.status === 'rejected' && rejected.push(o), onProgress: () => {} },
    );
    return rejected;
  };
  /** The rejections of the same bytes ingested on the store directly (shieldwall ingest FILE). */
  const localRejections = async (bytes: Buffer): Promise<ObjectOutcome[]> => {
    const rejected: ObjectOutcome[] = [];
    await ingestStream(node.ctx, SYSTEM_PRINCIPAL, (async function* () {
      yield bytes;
    })(), { onOutcome: (o) => o.status === 'rejected' && rejected.push(o) });
    return rejected;
  };
  const placeOf = (o: ObjectOutcome) => ({ index: o.index, offset: o.offset, line: o.line, errors: o.errors });

  // Each broken object sits after others, and after multi-byte characters (the node counts bytes).
  const good = () => JSON.stringify(indicator({ name: 'Žalgiris – ☃ 🛰' }));
  const broken = ['{"type":"indicator","id":}', '{"type": "indicator", "name": "Ž☃", "x": tru}'];

  it('in a bundle: the byte of the file, in whichever bundle the object was sent', async () => {
    const objects = [good(), good(), broken[0], good(), good(), good(), broken[1], good()];
    const bytes = Buffer.from(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[\n  ${objects.join(',\n  ')}\n]}`);
    const local = await localRejections(bytes);
    assert.equal(local.length, 2);
    for (const perBundle of [100, 3]) {
      const remote = await remoteRejections(bytes, perBundle);
      assert.deepEqual(remote.map(placeOf), local.map(placeOf), `bundles of ${perBundle}`);
    }
    assert.match(local[1]!.errors![0]!.message, /^invalid JSON in object 6 at byte \d+: unexpected token/);
  });

  it('in NDJSON: the line of the file', async () => {
    const lines = [good(), broken[1], good(), good(), broken[0]];
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    const local = await localRejections(bytes);
    assert.deepEqual(local.map((o) => o.line), [2, 5]);
    assert.deepEqual((await remoteRejections(bytes, 2)).map(placeOf), local.map(placeOf));
  });
});
