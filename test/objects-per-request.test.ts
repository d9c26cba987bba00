/**
 * One ingest request is bounded in objects as well as in bytes (SHIELDWALL_OBJECTS_PER_REQUEST):
 * the body limit alone let one POST of 64 MiB hold 22 million objects of three bytes (`{}`), each
 * refused and answered with an outcome, and the node stalled for seconds and took gigabytes. The
 * objects before the bound are processed and stay accepted (STIX 2.1 section 3.1's objects are
 * each judged alone); the request is refused with 413, on both ingest routes, read here or in a
 * worker thread.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from './support/node.js';
import { countTurns, SUITE_LIMIT_MS } from './support/wait.js';

const LIMIT = 5;
const TAXII = 'application/taxii+json;version=2.1';

function indicators(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-12-01T00:00:00.000Z', modified: '2026-12-01T00:00:00.000Z',
    name: `per-request ${i}`, pattern: `[ipv4-addr:value = '198.51.100.${i + 1}']`, pattern_type: 'stix', valid_from: '2026-12-01T00:00:00Z',
  }));
}

/** A POST whose body `send` writes; its answer. */
function post(url: string, headers: Record<string, string>, send: (request: http.ClientRequest) => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false, headers });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    request.on('error', reject);
    send(request);
  });
}

/** A POST of unknown length (chunked): the node reads it in an ingest worker thread. */
function chunkedPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return post(url, { ...headers, 'transfer-encoding': 'chunked' }, (request) => {
    for (let at = 0; at < body.length; at += 100) request.write(body.slice(at, at + 100));
    request.end();
  });
}

describe('one ingest request holds at most SHIELDWALL_OBJECTS_PER_REQUEST objects', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  before(async () => {
    node = await createTestNode('sqlite', { objectsPerRequest: LIMIT });
    url = await node.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => node?.close());
  const stored = async (ids: string[]) => (await node.ctx.store.db.selectFrom('stix_objects').select('id').where('id', 'in', ids).execute()).length;
  const bundle = (objects: unknown[]) => JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects });
  const bundleHeaders = () => ({ authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' });
  const taxiiHeaders = () => ({ authorization: `Bearer ${node.tokens.analyst}`, 'content-type': TAXII, accept: TAXII });

  it('takes a bundle of exactly the bound', async () => {
    const objects = indicators(LIMIT);
    const answer = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: bundleHeaders(), payload: bundle(objects) });
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal(await stored(objects.map((o) => o.id as string)), LIMIT);
  });

  for (const how of ['read here', 'read in a worker thread'] as const) {
    it(`refuses a bundle past the bound with 413, keeping the first objects (${how})`, async () => {
      const objects = indicators(LIMIT + 3);
      const payload = bundle(objects);
      const answer = how === 'read here'
        ? await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: bundleHeaders(), payload }).then((r) => ({ status: r.statusCode, text: r.body }))
        : await chunkedPost(`${url}/api/v1/bundles`, bundleHeaders(), payload);
      assert.equal(answer.status, 413, answer.text);
      const error = (JSON.parse(answer.text) as { error: { code: string; message: string; details: { objects: Array<{ status: string; id: string }>; limit: number } } }).error;
      assert.equal(error.code, 'SW_PAYLOAD_TOO_LARGE');
      assert.match(error.message, /more than 5 objects, the most one request may \(SHIELDWALL_OBJECTS_PER_REQUEST\); the first 5 were processed and the 5 accepted stay accepted/);
      assert.equal(error.details.limit, LIMIT);
      assert.deepEqual(error.details.objects.map((o) => o.id), objects.slice(0, LIMIT).map((o) => o.id));
      assert.equal(await stored(objects.slice(0, LIMIT).map((o) => o.id as string)), LIMIT, 'the first objects stay accepted');
      assert.equal(await stored(objects.slice(LIMIT).map((o) => o.id as string)), 0, 'those past the bound are not written');
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    });

    it(`refuses a TAXII envelope past the bound, its status listing the first objects (${how})`, async () => {
      // Objects of three bytes count as objects: each would be refused, and answered.
      const payload = JSON.stringify({ objects: [...indicators(2), ...Array.from({ length: 40 }, () => ({}))] });
      const path = '/taxii2/intel/collections/intel/objects/';
      const answer = how === 'read here'
        ? await node.app.inject({ method: 'POST', url: path, headers: taxiiHeaders(), payload }).then((r) => ({ status: r.statusCode, text: r.body }))
        : await chunkedPost(`${url}${path}`, taxiiHeaders(), payload);
      assert.equal(answer.status, 413, answer.text);
      const message = (JSON.parse(answer.text) as { description?: string; error?: { message: string } });
      const text = message.description ?? message.error?.message ?? answer.text;
      assert.match(text, /more than 5 objects, the most one Add Objects request may \(SHIELDWALL_OBJECTS_PER_REQUEST\)/);
      const status = /status ([0-9a-f-]{36})/.exec(text)?.[1];
      assert.ok(status, text);
      const listed = await node.app.inject({ method: 'GET', url: `/taxii2/intel/status/${status}/`, headers: taxiiHeaders() });
      assert.equal(listed.statusCode, 200, listed.body);
      const body = listed.json() as { total_count: number; success_count: number; failure_count: number };
      assert.deepEqual([body.total_count, body.success_count, body.failure_count], [LIMIT, 2, 3]);
    });
  }

  // Input that makes no objects still gives the node its turns, and objects held back count.
  /** A POST of declared length whose last bytes come after a pause: the objects before them are held back, then flushed. */
  const pausedPost = (path: string, headers: Record<string, string>, body: string, pauseMs: number) =>
    post(`${url}${path}`, { ...headers, 'content-length': String(Buffer.byteLength(body)) }, (request) => {
      request.write(body.slice(0, -2));
      setTimeout(() => request.end(body.slice(-2)), pauseMs);
    });

  for (const route of ['bundles', 'taxii'] as const) {
    it(`refuses objects past the bound that were held back for an idle input (${route})`, async () => {
      const objects = indicators(LIMIT + 2);
      const body = route === 'bundles' ? JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects }) : JSON.stringify({ objects });
      const headers: Record<string, string> = route === 'bundles'
        ? { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' }
        : { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': TAXII, accept: TAXII };
      // Well past the pipeline's idle flush (200 ms): before, the objects past the bound among
      // those flushed were dropped and the request answered 200 (202) for the first five.
      const answer = await pausedPost(route === 'bundles' ? '/api/v1/bundles' : '/taxii2/intel/collections/intel/objects/', headers, body, 1000);
      assert.equal(answer.status, 413, answer.text.slice(0, 400));
      assert.match(answer.text, /more than 5 objects/);
      assert.equal(await stored(objects.slice(0, LIMIT).map((o) => o.id as string)), LIMIT);
      assert.equal(await stored(objects.slice(LIMIT).map((o) => o.id as string)), 0);
    });
  }

  it('reads 4 MiB of blank NDJSON lines with turns of the event loop between (read on this thread)', async () => {
    const body = Buffer.concat([Buffer.from(`${JSON.stringify(indicators(1)[0])}\n`), Buffer.alloc(4_000_000, 0x0a)]);
    const turns = countTurns();
    const answer = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/x-ndjson' }, payload: body });
    const counted = turns.stop();
    assert.equal(answer.statusCode, 200, answer.body.slice(0, 300));
    assert.equal((answer.json() as { summary: { objects: number; accepted: number } }).summary.accepted, 1);
    // 4,000,000 lines and 4 MB: a turn every 65,536 lines at least (before: none, 4.5 s on end over HTTP).
    assert.ok(counted >= 50, `${counted} turns while 4,000,000 blank lines were read`);
  });
});
