/**
 * GET /api/v1/objects/{id}/provenance on both engines: one receipt per version and peer, a page
 * at a time (an object may have many thousands of versions), oldest version first, each receipt
 * once; only to those who may read the object, and only of the versions they may read (STIX 2.1
 * section 3.6: each version of an object is an object of its own, marked on its own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { createToken, createUser, upsertMembers } from '../directory/directory.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import * as intel from '../intel/intel.service.js';
import { versionKey } from '../intel/intel.rows.js';
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
      // VERSIONS versions of the object, every one green, and the receipts of each from each peer
      // written to the store: so many versions pulled from peers would only slow the suite.
      const versions = Array.from({ length: VERSIONS }, (_, v) => ({ ...object, modified: new Date(Date.UTC(2025, 0, 1) + v * 60_000).toISOString() }));
      const summary = await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [...versions, secret]);
      assert.equal(summary.rejected, 0);
      const rows = [];
      for (const [v, version] of versions.entries()) {
        for (const peer of PEERS) rows.push({ object_id: object.id, version: versionKey(version.modified), peer, received_at: new Date(Date.UTC(2026, 0, 1) - v * 1000).toISOString() });
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

    it('gives no receipt of a version the caller may not read, nor of one no longer held, not even in a cursor', async () => {
      // Versions 1 and 3 red, 2 and 4 green (the current one green), made by the test member: an
      // analyst of another member reads the object and its green versions only, as its versions
      // are listed.
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other member', kind: 'ally', country: null, identityId: 'identity--0f6c1f84-0bb6-4a34-8f3c-2e0d1d0f3a11' }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
      const other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', user: 'other-analyst' })).token;
      const shifting = indicator({ name: 'marked red, then green', created_by_ref: TEST_MEMBER_IDENTITY });
      const at = (v: number) => new Date(Date.UTC(2025, 5, 1) + v * 60_000).toISOString();
      const marks = ['red', 'green', 'red', 'green'] as const;
      const versions = marks.map((tlp, v) => ({ ...shifting, modified: at(v), object_marking_refs: [TLP2_MARKING_IDS[tlp]] }));
      assert.equal((await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, versions)).accepted, 4);
      const receipts = versions.map((v) => ({ object_id: shifting.id, version: versionKey(v.modified), peer: 'fra-node', received_at: '2026-01-01T00:00:00.000Z' }));
      // And one of a version the node does not hold (deleted since, say).
      receipts.push({ object_id: shifting.id, version: versionKey(at(9)), peer: 'fra-node', received_at: '2026-01-01T00:00:00.000Z' });
      await node.ctx.store.db.insertInto('federation_provenance').values(receipts).execute();
      const listed = (await get(`/api/v1/objects/${shifting.id}?versions=all`, other)).json() as { versions?: Array<{ modified: string }> };
      const readable = [at(1), at(3)].map(versionKey);
      assert.deepEqual(listed.versions?.map((v) => versionKey(v.modified)), readable, 'the analyst lists the green versions only');
      const all = (await get(`/api/v1/objects/${shifting.id}/provenance`, other)).json() as Answer;
      assert.deepEqual(all.receipts.map((r) => r.version), readable);
      assert.equal(all.next_cursor, null);
      // A page at a time: each cursor names a receipt given (never a red version's timestamp).
      const first = (await get(`/api/v1/objects/${shifting.id}/provenance?limit=1`, other)).json() as Answer;
      assert.deepEqual(first.receipts.map((r) => r.version), [readable[0]]);
      assert.deepEqual(JSON.parse(Buffer.from(first.next_cursor!, 'base64url').toString('utf8')), [readable[0], 'fra-node']);
      const second = (await get(`/api/v1/objects/${shifting.id}/provenance?limit=1&cursor=${first.next_cursor}`, other)).json() as Answer;
      assert.deepEqual([second.receipts.map((r) => r.version), second.next_cursor], [[readable[1]], null]);
      // A version green as a whole whose pattern a granular marking keeps red: withheld from the
      // other member as its version listing withholds it (an indicator without its pattern is none).
      const partly = indicator({ name: 'pattern red for a while', created_by_ref: TEST_MEMBER_IDENTITY });
      const partlyVersions = [
        { ...partly, modified: at(0), object_marking_refs: [TLP2_MARKING_IDS.green], granular_markings: [{ marking_ref: TLP2_MARKING_IDS.red, selectors: ['pattern'] }] },
        { ...partly, modified: at(1), object_marking_refs: [TLP2_MARKING_IDS.green] },
      ];
      assert.equal((await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, partlyVersions)).accepted, 2);
      await node.ctx.store.db.insertInto('federation_provenance').values(partlyVersions.map((v) => ({ object_id: partly.id, version: versionKey(v.modified), peer: 'fra-node', received_at: '2026-01-01T00:00:00.000Z' }))).execute();
      const partlyListed = (await get(`/api/v1/objects/${partly.id}?versions=all`, other)).json() as { versions?: Array<{ modified: string }> };
      assert.deepEqual(partlyListed.versions?.map((v) => versionKey(v.modified)), [versionKey(at(1))]);
      const partlyReceipts = (await get(`/api/v1/objects/${partly.id}/provenance`, other)).json() as Answer;
      assert.deepEqual(partlyReceipts.receipts.map((r) => r.version), [versionKey(at(1))]);
      // The originating member reads the red versions too, and gets them all; still none of a version not held.
      const own = (await get(`/api/v1/objects/${shifting.id}/provenance`)).json() as Answer;
      assert.deepEqual(own.receipts.map((r) => r.version), versions.map((v) => versionKey(v.modified)));
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
