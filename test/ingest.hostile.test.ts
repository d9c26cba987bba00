/**
 * Bad input is refused, not stored (issue 13, point 5): an object nested far deeper than any
 * STIX object, bytes that are not UTF-8, and the same through TAXII. Each is one rejected
 * object with a clear reason (what, where, the limit, how to fix); the rest of the bundle goes
 * on, and every reader can still list and page the store afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { indicator } from './support/factories.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

interface Outcome {
  index: number;
  status: string;
  id?: string;
  offset?: number;
  line?: number;
  errors?: Array<{ path: string; rule: string; message: string }>;
}

/** An indicator whose custom property nests `levels` objects (the indicator itself is level 1). */
function nested(levels: number): string {
  const object = JSON.stringify(indicator({ name: `nested ${levels}` }));
  const inner = '{"x_deep":'.repeat(levels - 2) + '{}' + '}'.repeat(levels - 2);
  return `${object.slice(0, -1)},"x_deep":${inner}}`;
}

describe('hostile input at ingest: the depth limit is a setting', () => {
  it('holds objects to SHIELDWALL_MAX_OBJECT_DEPTH as configured, in streams and TAXII values', async () => {
    const node = await createTestNode('sqlite', { maxObjectDepth: 5 });
    try {
      const auth = { authorization: `Bearer ${node.tokens.analyst}` };
      const answer = await node.app.inject({ method: 'POST', url: '/api/v1/bundles?outcomes=all', headers: { ...auth, 'content-type': 'application/json' }, payload: `[${nested(5)},${nested(6)}]` });
      const outcomes = (answer.json() as { objects: Outcome[] }).objects;
      assert.deepEqual(outcomes.map((o) => o.status), ['accepted', 'rejected']);
      assert.match(outcomes[1]!.errors![0]!.message, /limit of 5 levels: level 6/);
      const collections = await node.app.inject({ method: 'GET', url: '/taxii2/intel/collections/', headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
      const collection = (collections.json() as { collections: Array<{ id: string; can_write: boolean }> }).collections.find((c) => c.can_write)!;
      const taxii = await node.app.inject({
        method: 'POST',
        url: `/taxii2/intel/collections/${collection.id}/objects/`,
        headers: { ...auth, accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1' },
        payload: `{"objects":[${nested(5)},${nested(6)}]}`,
      });
      const status = taxii.json() as { success_count: number; failure_count: number; failures: Array<{ message: string }> };
      assert.equal(status.success_count, 1);
      assert.equal(status.failure_count, 1);
      assert.match(status.failures[0]!.message, /limit of 5 levels: level 6 is reached at \$\.x_deep\.x_deep\.x_deep\.x_deep/);
    } finally {
      await node.close();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`hostile input at ingest (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let auth: Record<string, string>;
    before(async () => {
      node = await createTestNode(dialect);
      auth = { authorization: `Bearer ${node.tokens.analyst}` };
    });
    after(async () => node.close());

    const post = async (payload: string | Buffer, type = 'application/json') => {
      const answer = await node.app.inject({ method: 'POST', url: '/api/v1/bundles?outcomes=all', headers: { ...auth, 'content-type': type }, payload });
      assert.equal(answer.statusCode, 200, answer.body.slice(0, 500));
      return answer.json() as { summary: { accepted: number; rejected: number }; objects: Outcome[] };
    };

    it('rejects an object nested 100,000 levels with path, depth, limit and fix; readers can still page', async () => {
      const good = indicator({ name: 'after the deep one' });
      const body = `{"type":"bundle","id":"bundle--5d0c1c84-0b5f-4ac4-9b4b-0b6e5b7a2f11","objects":[${nested(100_000)},${JSON.stringify(good)}]}`;
      const answer = await post(body);
      const [deep, after] = answer.objects;
      assert.equal(deep!.status, 'rejected');
      assert.equal(deep!.errors![0]!.rule, 'object-depth');
      assert.match(deep!.errors![0]!.path, /^\$\.x_deep\.x_deep/);
      assert.match(deep!.errors![0]!.message, /deeper than the limit of 64 levels: level 65 is reached at \$\.x_deep/);
      assert.match(deep!.errors![0]!.message, /SHIELDWALL_MAX_OBJECT_DEPTH/);
      assert.equal(after!.status, 'accepted');
      assert.equal(after!.id, good.id);
      // Every reader: listing and paging answer.
      const list = await node.app.inject({ method: 'GET', url: '/api/v1/objects?limit=1', headers: auth });
      assert.equal(list.statusCode, 200, list.body.slice(0, 300));
      const next = (list.json() as { next?: string }).next;
      if (next) assert.equal((await node.app.inject({ method: 'GET', url: `/api/v1/objects?limit=1&cursor=${encodeURIComponent(next)}`, headers: auth })).statusCode, 200);
    });

    it('accepts 64 levels and rejects 65 (the default limit), in a bundle and in NDJSON', async () => {
      const atLimit = await post(`[${nested(64)},${nested(65)}]`);
      assert.deepEqual(atLimit.objects.map((o) => o.status), ['accepted', 'rejected']);
      const ndjson = await post(`${nested(64)}\n${nested(65)}\n${JSON.stringify(indicator())}\n`, 'application/x-ndjson');
      assert.deepEqual(ndjson.objects.map((o) => o.status), ['accepted', 'rejected', 'accepted']);
      assert.equal(ndjson.objects[1]!.errors![0]!.rule, 'object-depth');
      assert.equal(ndjson.objects[1]!.line, 2);
    });

    it('rejects a deep object in a large body read by the ingest worker', async () => {
      const padding = Array.from({ length: 2500 }, () => JSON.stringify(indicator({ description: 'p'.repeat(1800) })));
      const body = Buffer.from(`[${[...padding, nested(100_000), JSON.stringify(indicator())].join(',')}]`);
      assert.ok(body.length > 4 * 1024 * 1024, 'large enough for the worker');
      const answer = await post(body);
      assert.equal(answer.summary.accepted, 2501);
      assert.equal(answer.objects[2500]!.errors![0]!.rule, 'object-depth');
    });

    it('rejects invalid UTF-8 with its byte offset rather than replacing it', async () => {
      const before = Buffer.from(`[${JSON.stringify(indicator())},`);
      const bad = indicator({ name: 'caf_' });
      const [head, tail] = JSON.stringify(bad).split('caf_') as [string, string];
      // 'café' in Latin-1: the 0xe9 byte is not UTF-8.
      const body = Buffer.concat([before, Buffer.from(`${head}caf`), Buffer.from([0xe9]), Buffer.from(`${tail},${JSON.stringify(indicator())}]`)]);
      const badAt = before.length + Buffer.byteLength(`${head}caf`);
      const answer = await post(body);
      assert.deepEqual(answer.objects.map((o) => o.status), ['accepted', 'rejected', 'accepted']);
      const error = answer.objects[1]!.errors![0]!;
      assert.equal(error.rule, 'utf8');
      assert.match(error.message, new RegExp(`invalid UTF-8 at byte ${badAt} \\(0xe9\\)`));
      const stored = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${bad.id}`, headers: auth });
      assert.equal(stored.statusCode, 404, 'nothing of it was stored');
    });

    it('TAXII add: a deep object is a failure of the status, the others are added, never a 500', async () => {
      const collections = await node.app.inject({ method: 'GET', url: '/taxii2/intel/collections/', headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
      const collection = (collections.json() as { collections: Array<{ id: string; can_write: boolean }> }).collections.find((c) => c.can_write)!;
      const good = indicator();
      const answer = await node.app.inject({
        method: 'POST',
        url: `/taxii2/intel/collections/${collection.id}/objects/`,
        headers: { ...auth, accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1' },
        payload: `{"objects":[${nested(100_000)},${JSON.stringify(good)}]}`,
      });
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 500));
      const status = answer.json() as { success_count: number; failure_count: number; failures: Array<{ message: string }> };
      assert.equal(status.success_count, 1);
      assert.equal(status.failure_count, 1);
      assert.match(status.failures[0]!.message, /deeper than the limit of 64/);
      // A body so broken it cannot be read at all answers in the TAXII error envelope.
      const broken = await node.app.inject({
        method: 'POST',
        url: `/taxii2/intel/collections/${collection.id}/objects/`,
        headers: { ...auth, accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1' },
        payload: `{"objects":[${'['.repeat(100_000)}`,
      });
      assert.equal(broken.statusCode, 400);
      assert.equal((broken.json() as { http_status: string }).http_status, '400');
    });

    it('TAXII add: bytes that are not UTF-8 answer 400 in the TAXII envelope with their offset', async () => {
      const collections = await node.app.inject({ method: 'GET', url: '/taxii2/intel/collections/', headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
      const collection = (collections.json() as { collections: Array<{ id: string; can_write: boolean }> }).collections.find((c) => c.can_write)!;
      const bad = indicator({ name: 'caf_' });
      const [head, tail] = `{"objects":[${JSON.stringify(bad)}]}`.split('caf_') as [string, string];
      const payload = Buffer.concat([Buffer.from(`${head}caf`), Buffer.from([0xe9]), Buffer.from(tail)]);
      const answer = await node.app.inject({
        method: 'POST',
        url: `/taxii2/intel/collections/${collection.id}/objects/`,
        headers: { ...auth, accept: 'application/taxii+json;version=2.1', 'content-type': 'application/taxii+json;version=2.1' },
        payload,
      });
      assert.equal(answer.statusCode, 400, answer.body.slice(0, 300));
      const error = answer.json() as { http_status: string; description: string };
      assert.equal(error.http_status, '400');
      assert.match(error.description, new RegExp(`invalid byte 0xe9 at byte ${Buffer.byteLength(`${head}caf`)}`));
      assert.equal((await node.app.inject({ method: 'GET', url: `/api/v1/objects/${bad.id}`, headers: auth })).statusCode, 404);
    });
  });
}
