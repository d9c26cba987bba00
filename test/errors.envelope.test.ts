/**
 * Bad input and a failing store answer in the documented error envelope (docs/ERRORS.md), never
 * as a bare 500: a probe that is not ready, a URL over the header limit, NUL in a query string,
 * a full disk.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { bundle, indicator } from './support/factories.js';
import { DIALECTS, dialectSkip, POSTGRES_URL } from './support/dialects.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

interface Envelope {
  error: { code: string; message: string; request_id: string; details?: unknown };
}

function assertEnvelope(body: unknown, code: string): Envelope {
  const envelope = body as Envelope;
  assert.equal(typeof envelope.error, 'object', `an error envelope, got ${JSON.stringify(body)}`);
  assert.equal(envelope.error.code, code, JSON.stringify(body));
  assert.equal(typeof envelope.error.message, 'string');
  assert.equal(typeof envelope.error.request_id, 'string');
  return envelope;
}

/** One raw HTTP/1.1 exchange: the status line and the body. */
function rawRequest(app: FastifyInstance, head: string): Promise<{ status: number; body: string }> {
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(head);
  });
}

for (const dialect of DIALECTS) {
  describe(`error envelope for bad input and a failing store (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect, { ingestBatchSize: 5 });
      await node.app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => node.close());

    it('answers /readyz 503 in the envelope when not ready, and 200 when ready', async () => {
      node.setReady(false);
      try {
        const answer = await node.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(answer.statusCode, 503);
        const envelope = assertEnvelope(answer.json(), 'SW_NOT_READY');
        assert.equal((envelope.error.details as { status: string }).status, 'not ready');
        assert.ok(answer.headers['retry-after']);
      } finally {
        node.setReady(true);
      }
      const ready = await node.app.inject({ method: 'GET', url: '/readyz' });
      assert.deepEqual(ready.json(), { status: 'ready', store: dialect });
    });

    it('answers a URL over the header limit with 431 in the envelope', async () => {
      const answer = await rawRequest(node.app, `GET /api/v1/objects?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal(answer.status, 431);
      assertEnvelope(JSON.parse(answer.body), 'SW_HEADERS_TOO_LARGE');
      const headers = await rawRequest(node.app, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ${'b'.repeat(20_000)}\r\n\r\n`);
      assert.equal(headers.status, 431);
      assertEnvelope(JSON.parse(headers.body), 'SW_HEADERS_TOO_LARGE');
    });

    it('answers a JSON body that is not JSON, or holds "__proto__", with 400 saying which', async () => {
      const send = (payload: string) =>
        node.app.inject({ method: 'POST', url: '/api/v1/incidents', payload, headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' } });
      const broken = await send('{"title": "Outage",}');
      assert.equal(broken.statusCode, 400, broken.body);
      assert.match(assertEnvelope(broken.json(), 'SW_BAD_REQUEST').error.message, /^the body is not valid JSON: .*position/);
      const poisoned = await send('{"title": "Outage", "__proto__": {"member": "FRA"}}');
      assert.equal(poisoned.statusCode, 400, poisoned.body);
      assert.match(assertEnvelope(poisoned.json(), 'SW_BAD_REQUEST').error.message, /^the body holds a key "__proto__"/);
    });

    it('answers q=%00 with 400 in the envelope, on REST and TAXII', async () => {
      const answer = await node.app.inject({ method: 'GET', url: '/api/v1/objects?q=%00', headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(answer.statusCode, 400, answer.body);
      const envelope = assertEnvelope(answer.json(), 'SW_BAD_REQUEST');
      assert.match(envelope.error.message, /'q' holds a NUL/);
      const taxii = await node.app.inject({
        method: 'GET',
        url: '/taxii2/api/collections/?x=%00',
        headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: 'application/taxii+json;version=2.1' },
      });
      assert.equal(taxii.statusCode, 400, taxii.body);
      assert.equal((taxii.json() as { http_status: string }).http_status, '400');
    });

    it('answers a full disk with 507 in the envelope and keeps what was accepted before', async () => {
      const first = Array.from({ length: 5 }, () => indicator({ description: 'kept' }));
      const before = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' }, payload: bundle(first) });
      assert.equal(before.statusCode, 200, before.body);
      // Fill the disk: SQLite's own page limit answers SQLITE_FULL exactly as a full disk does; on
      // PostgreSQL a trigger raises disk_full (SQLSTATE 53100) as the server would, from the 8th
      // row on, so that the first batch of the request commits and the second fails.
      let restore: () => Promise<void>;
      if (dialect === 'sqlite') {
        const sqlite = node.testStore.store.sqlite!;
        const pages = Number(sqlite.pragma('page_count', { simple: true }));
        sqlite.pragma(`max_page_count = ${pages + 2}`);
        restore = async () => void sqlite.pragma('max_page_count = 4294967294');
      } else {
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        const schema = node.testStore.schema!;
        await admin.query(`create sequence ${schema}.full_after`);
        await admin.query(`create function ${schema}.disk_full() returns trigger language plpgsql as $$ begin if nextval('${schema}.full_after') > 7 then raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end if; return new; end $$`);
        await admin.query(`create trigger disk_full before insert on ${schema}.stix_objects for each row execute function ${schema}.disk_full()`);
        restore = async () => {
          await admin.query(`drop trigger disk_full on ${schema}.stix_objects`);
          await admin.end();
        };
      }
      const sent = Array.from({ length: 400 }, () => indicator({ description: 'x'.repeat(2000) }));
      let answer;
      try {
        answer = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' }, payload: bundle(sent) });
      } finally {
        await restore();
      }
      assert.equal(answer.statusCode, 507, answer.body);
      const envelope = assertEnvelope(answer.json(), 'SW_STORAGE_FULL');
      const reported = (envelope.error.details as { objects: Array<{ id: string; status: string }> }).objects.filter((o) => o.status === 'accepted').map((o) => o.id);
      for (const id of [...first.map((o) => o.id), ...reported]) {
        const read = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${id}`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
        assert.equal(read.statusCode, 200, `accepted object ${id} is missing after the disk filled`);
      }
      // And the node goes on once there is room again.
      const later = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' }, payload: bundle([indicator()]) });
      assert.equal(later.statusCode, 200, later.body);
    });

    it('answers a full disk on TAXII add with 507 in the TAXII envelope', async () => {
      const taxiiHeaders = { authorization: `Bearer ${node.tokens.analyst}`, accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1' };
      const collections = await node.app.inject({ method: 'GET', url: '/taxii2/intel/collections/', headers: taxiiHeaders });
      const collection = (collections.json() as { collections: Array<{ id: string; can_write: boolean }> }).collections.find((c) => c.can_write)!;
      let restore: () => Promise<void>;
      if (dialect === 'sqlite') {
        const sqlite = node.testStore.store.sqlite!;
        sqlite.pragma(`max_page_count = ${Number(sqlite.pragma('page_count', { simple: true }))}`);
        restore = async () => void sqlite.pragma('max_page_count = 4294967294');
      } else {
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        const schema = node.testStore.schema!;
        await admin.query(`create function ${schema}.disk_full_now() returns trigger language plpgsql as $$ begin raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end $$`);
        await admin.query(`create trigger disk_full_now before insert on ${schema}.stix_objects for each row execute function ${schema}.disk_full_now()`);
        restore = async () => {
          await admin.query(`drop trigger disk_full_now on ${schema}.stix_objects`);
          await admin.end();
        };
      }
      let answer;
      try {
        answer = await node.app.inject({ method: 'POST', url: `/taxii2/intel/collections/${collection.id}/objects/`, headers: taxiiHeaders, payload: JSON.stringify({ objects: Array.from({ length: 50 }, () => indicator({ description: 'y'.repeat(4000) })) }) });
      } finally {
        await restore();
      }
      assert.equal(answer.statusCode, 507, answer.body);
      const error = answer.json() as { http_status: string; title: string };
      assert.equal(error.http_status, '507');
      assert.equal(error.title, 'SW_STORAGE_FULL');
    });
  });
}

describe('error catalogue in the store', () => {
  it('maps driver codes the same on both engines', async () => {
    const { storeErrorOf } = await import('../src/core/store-errors.js');
    assert.equal(storeErrorOf(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))?.status, 507);
    assert.equal(storeErrorOf(Object.assign(new Error('could not extend file'), { code: '53100' }))?.status, 507);
    assert.equal(storeErrorOf(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))?.status, 503);
    assert.equal(storeErrorOf(new Error('Connection terminated unexpectedly'))?.status, 503);
    assert.equal(storeErrorOf(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))?.status, 400);
    assert.equal(storeErrorOf(new Error('something else')), undefined);
    // An overloaded pool answers 503 but does not make the store count as lost.
    const { StoreHealth } = await import('../src/db/database.js');
    const overload = new Error('timeout exceeded when trying to connect');
    assert.equal(storeErrorOf(overload)?.status, 503);
    const health = new StoreHealth(async () => undefined);
    health.lost(overload);
    assert.equal(health.available, true);
    health.lost(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    assert.equal(health.available, false);
    health.close();
  });
});
