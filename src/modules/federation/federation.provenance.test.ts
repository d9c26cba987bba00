/**
 * GET /api/v1/objects/{id}/provenance on both engines: one receipt per version and peer, a page
 * at a time (an object may have many thousands of versions), oldest version first, each receipt
 * once; only to those who may read the object.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import * as intel from '../intel/intel.service.js';
import { PROVENANCE_PAGE_DEFAULT, PROVENANCE_PAGE_MAX } from './federation.service.js';

type Answer = { id: string; receipts: Array<{ version: string; peer: string; received_at: string }>; next_cursor: string | null };

const VERSIONS = 260;
const PEERS = ['fra-node', 'deu-node', 'ita-node'];

for (const dialect of DIALECTS) {
  describe(`provenance pages (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const object = indicator({ name: 'delivered many times', object_marking_refs: [TLP2_MARKING_IDS.green] });
    const secret = indicator({ name: 'red, not for the analyst', object_marking_refs: [TLP2_MARKING_IDS.red] });
    /** Every receipt written, in the order the pages give them: by version, then peer. */
    let written: Array<{ version: string; peer: string }> = [];

    const get = (url: string, token = node.tokens.analyst) => node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    before(async () => {
      node = await createTestNode(dialect);
      const summary = await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [object, secret]);
      assert.equal(summary.rejected, 0);
      // Receipts written to the store: so many versions pulled from peers would only slow the suite.
      const rows = [];
      for (let v = 0; v < VERSIONS; v++) {
        const version = new Date(Date.UTC(2025, 0, 1) + v * 60_000).toISOString().replace('Z', '000000Z');
        for (const peer of PEERS) rows.push({ object_id: object.id, version, peer, received_at: new Date(Date.UTC(2026, 0, 1) - v * 1000).toISOString() });
      }
      for (let i = 0; i < rows.length; i += 200) await node.ctx.store.db.insertInto('federation_provenance').values(rows.slice(i, i + 200)).execute();
      await node.ctx.store.db.insertInto('federation_provenance').values({ object_id: secret.id, version: '2025-01-01T00:00:00.000000000Z', peer: 'fra-node', received_at: '2026-01-01T00:00:00.000Z' }).execute();
      written = rows.map((r) => ({ version: r.version, peer: r.peer })).sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
    });
    after(async () => node?.close());

    it('answers the first page by default, in the shape it always had, and names the next', async () => {
      const response = await get(`/api/v1/objects/${object.id}/provenance`);
      assert.equal(response.statusCode, 200, response.body);
      const answer = response.json() as Answer;
      assert.equal(answer.id, object.id);
      assert.equal(answer.receipts.length, PROVENANCE_PAGE_DEFAULT, `${VERSIONS * PEERS.length} receipts: a page of ${PROVENANCE_PAGE_DEFAULT}`);
      assert.deepEqual(Object.keys(answer.receipts[0]!).sort(), ['peer', 'received_at', 'version']);
      assert.deepEqual(answer.receipts.map((r) => ({ version: r.version, peer: r.peer })), written.slice(0, PROVENANCE_PAGE_DEFAULT));
      assert.equal(typeof answer.next_cursor, 'string');
    });

    it('visits every receipt once, oldest version first, page after page', async () => {
      const seen: Answer['receipts'] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const response = await get(`/api/v1/objects/${object.id}/provenance?limit=97${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(response.statusCode, 200, response.body);
        const answer = response.json() as Answer;
        seen.push(...answer.receipts);
        sizes.push(answer.receipts.length);
        assert.ok(answer.next_cursor === null || typeof answer.next_cursor === 'string', `next_cursor names the next page, or is null on the last: ${String(answer.next_cursor)}`);
        cursor = answer.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(seen.map((r) => ({ version: r.version, peer: r.peer })), written);
      assert.deepEqual(sizes.slice(0, -1), Array(sizes.length - 1).fill(97));
      assert.ok(seen.every((r) => r.received_at.startsWith('202')));
    });

    it('refuses a limit past the most, and a cursor it did not issue', async () => {
      assert.equal((await get(`/api/v1/objects/${object.id}/provenance?limit=${PROVENANCE_PAGE_MAX + 1}`)).statusCode, 400);
      const all = (await get(`/api/v1/objects/${object.id}/provenance?limit=${PROVENANCE_PAGE_MAX}`)).json() as Answer;
      assert.deepEqual([all.receipts.length, all.next_cursor], [written.length, null], 'fewer than the most: all in one page');
      const forged = await get(`/api/v1/objects/${object.id}/provenance?cursor=bm90LWEtY3Vyc29y`);
      assert.equal(forged.statusCode, 400, forged.body);
      assert.equal(forged.json().error.code, 'SW_INVALID_CURSOR');
    });

    it('answers nothing of an object the caller may not read, as of one the node does not hold', async () => {
      const hidden = await get(`/api/v1/objects/${secret.id}/provenance`);
      const missing = await get('/api/v1/objects/indicator--00000000-0000-4000-8000-000000000000/provenance');
      assert.equal(missing.statusCode, 404);
      assert.equal(hidden.statusCode, missing.statusCode, hidden.body);
      assert.equal(hidden.json().error.code, missing.json().error.code);
    });
  });
}
