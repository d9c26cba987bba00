import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { indicator } from '../../../test/support/factories.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { ingestObjects } from '../intel/intel.service.js';
import { justBefore, TaxiiClient, TaxiiClientError } from './taxii.client.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

describe('TAXII client against a Shieldwall node', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let apiRoot: string;
  const objects: StixObject[] = Array.from({ length: 11 }, () => indicator());
  before(async () => {
    node = await createTestNode('sqlite');
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, objects);
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const address = node.app.server.address() as { port: number };
    apiRoot = `http://127.0.0.1:${address.port}/taxii2/intel/`;
  });
  after(async () => node?.close());

  it('pages a collection to the end, and resumes from where a page ended', async () => {
    const client = new TaxiiClient({ apiRoot, token: node.tokens.analyst });
    try {
      assert.deepEqual((await client.apiRootInfo()).versions, ['application/taxii+json;version=2.1']);
      const [collection] = await client.collections();
      const pages = [];
      for await (const page of client.objects(collection!.id, { limit: 4 })) pages.push(page);
      assert.deepEqual(pages.map((p) => p.objects.length), [4, 4, 3]);
      assert.deepEqual(pages.flatMap((p) => p.objects.map((o) => o.id)), objects.map((o) => o.id));
      // A restart that stored the first page's end gets the rest and nothing twice.
      const rest = [];
      for await (const page of client.objects(collection!.id, { addedAfter: pages[0]!.dateAddedLast!, limit: 100 })) rest.push(...page.objects.map((o) => o.id));
      assert.deepEqual(rest, objects.slice(4).map((o) => o.id));
      const fresh = indicator();
      const status = await client.addObjects(collection!.id, [fresh, objects[0]]);
      assert.deepEqual([status.success_count, status.failure_count], [2, 0]);
    } finally {
      await client.close();
    }
  });

  it('turns a refusal into an error naming the status and the server\'s message', async () => {
    const client = new TaxiiClient({ apiRoot, token: 'sw_not-a-token' });
    try {
      await assert.rejects(client.collections(), (error: unknown) => error instanceof TaxiiClientError && error.status === 401 && /SW_UNAUTHENTICATED/.test(error.message));
    } finally {
      await client.close();
    }
  });
});

describe('justBefore: the added_after that reads a date_added group again', () => {
  it('is one microsecond earlier, at any precision given, across a second and a day', () => {
    assert.equal(justBefore('2025-03-01T10:00:00.000Z'), '2025-03-01T09:59:59.999999Z');
    assert.equal(justBefore('2025-03-01T10:00:00Z'), '2025-03-01T09:59:59.999999Z');
    assert.equal(justBefore('2025-03-01T10:00:00.123456Z'), '2025-03-01T10:00:00.123455Z');
    // Nine digits: anything at that instant or after it is still after the answer.
    assert.equal(justBefore('2025-03-01T10:00:00.123456789Z'), '2025-03-01T10:00:00.123455Z');
    assert.equal(justBefore('2025-01-01T00:00:00.000000Z'), '2024-12-31T23:59:59.999999Z');
    assert.equal(justBefore('2025-03-01T12:00:00.5+02:00'), '2025-03-01T10:00:00.499999Z');
  });
  it('refuses what is not a timestamp, saying so', () => {
    assert.throws(() => justBefore('yesterday'), /'yesterday' is not an RFC 3339 timestamp/);
    // Nor a day or an hour that does not exist (Date.parse would make it March 2nd, or the next day).
    assert.throws(() => justBefore('2025-02-30T00:00:00Z'), /is not an RFC 3339 timestamp/);
    assert.throws(() => justBefore('2025-03-01T24:00:00Z'), /is not an RFC 3339 timestamp/);
  });
});
