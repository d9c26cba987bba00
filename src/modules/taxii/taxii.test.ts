/**
 * The TAXII 2.1 server, read side. Each test names the section of TAXII 2.1 (OASIS Standard,
 * 10 June 2021) whose requirement it checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator, ipv4, malware } from '../../../test/support/factories.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';
import { ingestObjects } from '../intel/intel.service.js';
import { envelopeBytes } from './taxii.routes.js';
import { createCollection, TAXII_MEDIA_TYPE } from './taxii.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

const ACCEPT = { accept: TAXII_MEDIA_TYPE };

for (const dialect of DIALECTS) {
  describe(`TAXII 2.1 server (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let auth: Record<string, string>;
    const objects: StixObject[] = [];
    const hidden = indicator({ object_marking_refs: [TLP2_MARKING_IDS.red] });
    before(async () => {
      node = await createTestNode(dialect);
      auth = { ...ACCEPT, authorization: `Bearer ${node.tokens.analyst}` };
      for (let i = 0; i < 25; i++) objects.push(i % 5 === 0 ? malware() : indicator());
      const secret = handlingMarkingDefinition({ id: 'marking-definition--7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9', created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: ['FRA'] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [...objects.slice(0, 10), hidden, secret, indicator({ object_marking_refs: [secret.id] }), ...objects.slice(10)], { batchSize: 7 });
    });
    after(async () => node?.close());
    const get = (url: string, headers = auth) => node.app.inject({ method: 'GET', url, headers });
    const collection = '/taxii2/intel/collections/6f8a2c52-6f4d-4b57-9b0e-7d2f3c1a9e10';

    it('1.6 / 3.1: answers in application/taxii+json;version=2.1 and refuses an Accept it cannot meet (406)', async () => {
      const ok = await get('/taxii2/');
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['content-type'], TAXII_MEDIA_TYPE);
      assert.equal((await get('/taxii2/', { ...auth, accept: 'application/taxii+json' })).statusCode, 200);
      const refused = await get('/taxii2/', { ...auth, accept: 'application/xml' });
      assert.equal(refused.statusCode, 406);
      assert.equal(refused.json().http_status, '406');
      assert.equal((await get('/taxii2/', { ...auth, accept: 'application/taxii+json;version=2.0' })).statusCode, 406);
    });

    it('3.6.1 / 1.6.8: errors are TAXII error messages; 401 carries WWW-Authenticate', async () => {
      const anonymous = await get('/taxii2/', ACCEPT);
      assert.equal(anonymous.statusCode, 401);
      assert.ok(anonymous.headers['www-authenticate']);
      const body = anonymous.json() as { title: string; http_status: string };
      assert.equal(typeof body.title, 'string');
      assert.equal(body.http_status, '401');
      assert.equal(anonymous.headers['content-type'], TAXII_MEDIA_TYPE);
    });

    it('4.1 / 4.2: discovery names the API root, which lists TAXII 2.1 and its max_content_length', async () => {
      const discovery = (await get('/taxii2/')).json() as { api_roots: string[]; title: string };
      assert.equal(discovery.api_roots.length, 1);
      assert.match(discovery.api_roots[0]!, /\/taxii2\/intel\/$/);
      const root = (await get('/taxii2/intel/')).json() as { versions: string[]; max_content_length: number };
      assert.deepEqual(root.versions, [TAXII_MEDIA_TYPE]);
      assert.ok(root.max_content_length > 0);
    });

    it('5.1 / 5.2: collections list can_read, can_write and media types; an unknown one is 404', async () => {
      const { collections } = (await get('/taxii2/intel/collections/')).json() as { collections: Array<{ id: string; can_read: boolean; can_write: boolean; media_types: string[] }> };
      assert.equal(collections[0]!.can_read, true);
      assert.equal(collections[0]!.can_write, true);
      assert.deepEqual(collections[0]!.media_types, ['application/stix+json;version=2.1']);
      const delegate = { ...ACCEPT, authorization: `Bearer ${node.tokens['political-delegate']}` };
      assert.equal(((await get('/taxii2/intel/collections/', delegate)).json() as { collections: Array<{ can_write: boolean }> }).collections[0]!.can_write, false);
      assert.equal((await get('/taxii2/intel/collections/00000000-0000-4000-8000-000000000000/')).statusCode, 404);
    });

    it('3.4 / 5.3: pages with limit, more and next, never skipping or repeating, with the date-added headers', async () => {
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const response = await get(`${collection}/objects/?limit=4&match[type]=indicator,malware${next ? `&next=${next}` : ''}`);
        assert.equal(response.statusCode, 200, response.body);
        const envelope = response.json() as { more: boolean; next?: string; objects?: StixObject[] };
        const first = response.headers['x-taxii-date-added-first'] as string;
        const last = response.headers['x-taxii-date-added-last'] as string;
        assert.match(first, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/, 'microsecond precision');
        assert.ok(first <= last);
        seen.push(...(envelope.objects ?? []).map((o) => o.id));
        assert.equal(envelope.more ?? false, envelope.next !== undefined);
        next = envelope.next;
        pages++;
      } while (next);
      assert.deepEqual(seen, objects.map((o) => o.id), 'every readable object once, in the order added');
      assert.ok(pages >= 7);
      assert.ok(!seen.includes(hidden.id), 'what the caller may not read is not in the collection');
    });

    it('5.3: added_after returns only what was added after; match[id] selects ids', async () => {
      const all = await get(`${collection}/objects/?match[type]=indicator,malware`);
      const cut = all.headers['x-taxii-date-added-first'] as string;
      const later = (await get(`${collection}/objects/?match[type]=indicator,malware&added_after=${cut}`)).json() as { objects: StixObject[] };
      assert.equal(later.objects.length, objects.length - 1);
      const picked = (await get(`${collection}/objects/?match[id]=${objects[3]!.id},${objects[7]!.id}`)).json() as { objects: StixObject[] };
      assert.deepEqual(picked.objects.map((o) => o.id), [objects[3]!.id, objects[7]!.id]);
      assert.equal((await get(`${collection}/objects/?added_after=yesterday`)).statusCode, 400);
      const repeated = await get(`${collection}/objects/?match[type]=indicator&match[type]=malware`);
      assert.equal(repeated.statusCode, 400, 'a filter given twice is malformed (3.4)');
      assert.match(repeated.json().description, /more than once/);
      assert.equal(((await get(`${collection}/objects/?match[type]=grouping`)).json() as { objects?: unknown[] }).objects, undefined, 'a type with no objects is an empty result, not an error');
    });

    it('5.5 / 5.6: an object by id, 404 for one the caller may not read; manifests list date_added and version', async () => {
      const one = (await get(`${collection}/objects/${objects[2]!.id}/`)).json() as { objects: StixObject[] };
      assert.deepEqual(one.objects, [objects[2]]);
      assert.equal((await get(`${collection}/objects/${hidden.id}/`)).statusCode, 404);
      const manifest = (await get(`${collection}/manifest/?match[type]=malware`)).json() as { objects: Array<{ id: string; date_added: string; version: string; media_type: string }> };
      assert.deepEqual(manifest.objects.map((m) => m.id), objects.filter((o) => o.type === 'malware').map((o) => o.id));
      assert.equal(manifest.objects[0]!.version, objects[0]!.modified);
      assert.equal(manifest.objects[0]!.media_type, 'application/stix+json;version=2.1');
    });

    it('5.3 / 5.6 / 5.8: a manifest or version record gives the version of the object as the caller reads it: modified, else created, else date_added', async () => {
      const secretFra = 'marking-definition--7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9';
      const address = ipv4('203.0.113.77', { object_marking_refs: [TLP2_MARKING_IDS.green] });
      const statement = { type: 'marking-definition', spec_version: '2.1', id: 'marking-definition--0c3b9a4e-57d1-4f6b-8a2e-5d9c1e7f3a10', created: '2024-02-02T02:02:02.222Z', definition_type: 'statement', definition: { statement: 'Copyright the test alliance' } };
      const partly = indicator({ modified: '2024-03-03T03:03:03.333Z', description: 'only for FRA at SECRET', granular_markings: [{ marking_ref: secretFra, selectors: ['description'] }] });
      const revised = indicator({ modified: '2024-04-04T04:04:04.444Z' });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [address, statement, partly, revised]);
      for (const sent of [address, statement, partly, revised]) {
        const read = await get(`${collection}/objects/${sent.id}/`);
        assert.equal(read.statusCode, 200, `${sent.id} is readable`);
        const seen = (read.json() as { objects: StixObject[] }).objects[0]!;
        const added = read.headers['x-taxii-date-added-first'] as string;
        const expected = typeof seen.modified === 'string' ? seen.modified : typeof seen.created === 'string' ? seen.created : added;
        const records = (await get(`${collection}/manifest/?match[id]=${sent.id}`)).json() as { objects: Array<{ id: string; date_added: string; version: string }> };
        assert.deepEqual(records.objects.map((r) => [r.id, r.date_added, r.version]), [[sent.id, added, expected]], `manifest of ${sent.type}`);
        const versions = (await get(`${collection}/objects/${sent.id}/versions/`)).json() as { versions: string[] };
        assert.deepEqual(versions.versions, [expected], `versions of ${sent.type}`);
      }
    });

    it('5.3: objects come as stored, except the parts a granular marking hides from the caller', async () => {
      const secretFra = 'marking-definition--7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9';
      const partly = indicator({ description: 'only for FRA at SECRET', granular_markings: [{ marking_ref: secretFra, selectors: ['description'] }] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [partly]);
      const page = (await get(`${collection}/objects/${partly.id}/`)).json() as { objects: StixObject[] };
      const seen = page.objects[0]!;
      assert.equal(seen.description, undefined);
      assert.deepEqual(seen.x_shieldwall_redacted, ['description']);
      assert.equal(seen.name, partly.name);
      const whole = (await get(`${collection}/objects/${objects[3]!.id}/`)).body;
      assert.equal(whole, `{"objects":[${JSON.stringify(objects[3])}]}`);
    });

    it('5.4 / 4.3: Add Objects answers 202 with a status; duplicates are successes, bad objects failures', async () => {
      const fresh = [indicator(), malware()];
      const payload = JSON.stringify({ objects: [...fresh, objects[0], { type: 'indicator', id: 'indicator--not-valid' }] });
      const posted = await node.app.inject({ method: 'POST', url: `${collection}/objects/`, payload, headers: { ...auth, 'content-type': TAXII_MEDIA_TYPE } });
      assert.equal(posted.statusCode, 202, posted.body);
      const status = posted.json() as { id: string; status: string; total_count: number; success_count: number; failure_count: number; pending_count: number; successes: Array<{ id: string; version: string }>; failures: Array<{ id: string; message: string }> };
      assert.equal(status.status, 'complete');
      assert.deepEqual([status.total_count, status.success_count, status.failure_count, status.pending_count], [4, 3, 1, 0]);
      assert.deepEqual(status.successes.map((d) => d.id), [fresh[0]!.id, fresh[1]!.id, objects[0]!.id]);
      assert.equal(status.successes[0]!.version, fresh[0]!.modified);
      assert.equal(status.failures[0]!.id, 'indicator--not-valid');
      const again = await get(`/taxii2/intel/status/${status.id}/`);
      assert.deepEqual(again.json(), status);
      const other = { ...ACCEPT, authorization: `Bearer ${node.tokens.coordinator}` };
      assert.equal((await get(`/taxii2/intel/status/${status.id}/`, other)).statusCode, 404, 'a status is its requester\'s');
      const stored = (await get(`${collection}/objects/${fresh[1]!.id}/`)).json() as { objects: StixObject[] };
      assert.deepEqual(stored.objects, [fresh[1]]);
    });

    it('5.4: Add Objects refuses other media types (415), non-envelopes (422) and readers without write (403)', async () => {
      const post = (payload: string, headers: Record<string, string>) => node.app.inject({ method: 'POST', url: `${collection}/objects/`, payload, headers });
      assert.equal((await post('{"objects":[]}', { ...auth, 'content-type': 'application/json' })).statusCode, 415);
      assert.equal((await post('{"objects":[]}', { ...auth, 'content-type': 'application/taxii+json;version=2.0' })).statusCode, 415);
      assert.equal((await post('[]', { ...auth, 'content-type': 'application/taxii+json' })).statusCode, 422);
      assert.equal((await post('{"objects":', { ...auth, 'content-type': TAXII_MEDIA_TYPE })).statusCode, 400);
      const delegate = { ...ACCEPT, authorization: `Bearer ${node.tokens['political-delegate']}`, 'content-type': TAXII_MEDIA_TYPE };
      assert.equal((await post('{"objects":[]}', delegate)).statusCode, 403);
    });

    it('3.4.1 / 5.6 / 5.8: match[version] selects last, first, all or exact versions; versions lists them', async () => {
      const base = indicator();
      const at = (t: string) => ({ ...base, modified: t });
      const [t1, t2, t3] = ['2024-03-01T10:00:00.000Z', '2024-04-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z'];
      // The oldest version arrives last: first is decided by version, not by arrival.
      for (const version of [t2, t3, t1]) await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [at(version!)]);
      const versionsOf = async (match?: string) => {
        const response = await get(`${collection}/objects/${base.id}/${match ? `?match[version]=${match}` : ''}`);
        assert.equal(response.statusCode, 200, response.body);
        return (response.json() as { objects: StixObject[] }).objects.map((o) => o.modified);
      };
      assert.deepEqual(await versionsOf(), [t3]);
      assert.deepEqual(await versionsOf('last'), [t3]);
      assert.deepEqual(await versionsOf('first'), [t1]);
      assert.deepEqual(await versionsOf('all'), [t2, t3, t1], 'in the order added');
      assert.deepEqual(await versionsOf(t2), [t2]);
      assert.deepEqual(await versionsOf(`first,${t3}`), [t3, t1]);
      const listed = (await get(`${collection}/objects/${base.id}/versions/`)).json() as { versions: string[] };
      assert.deepEqual(listed.versions, [t2, t3, t1]);
      for (const bad of ['all,last', 'last,last', 'newest', '2024-13-01']) assert.equal((await get(`${collection}/objects/${base.id}/?match[version]=${bad}`)).statusCode, 400, bad);
      assert.equal((await get(`${collection}/objects/${hidden.id}/versions/`)).statusCode, 404);
    });

    it('5.7: Delete an Object removes it (then 404); only its creator or a node administrator may', async () => {
      const own = indicator({ created_by_ref: TEST_MEMBER_IDENTITY });
      const foreign = indicator();
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [own, foreign]);
      const del = (id: string, token: string) => node.app.inject({ method: 'DELETE', url: `${collection}/objects/${id}/`, headers: { ...ACCEPT, authorization: `Bearer ${token}` } });
      assert.equal((await del(foreign.id, node.tokens.analyst)).statusCode, 403, 'readable but not theirs');
      assert.equal((await del(own.id, node.tokens['political-delegate'])).statusCode, 403, 'no write permission');
      assert.equal((await del(hidden.id, node.tokens['node-admin'])).statusCode, 404, 'not readable: as if absent');
      const deleted = await del(own.id, node.tokens.analyst);
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.equal((await get(`${collection}/objects/${own.id}/`)).statusCode, 404);
      assert.equal((await del(foreign.id, node.tokens['node-admin'])).statusCode, 200);
      const manifest = (await get(`${collection}/manifest/?match[id]=${own.id},${foreign.id}`)).json() as { objects?: unknown[] };
      assert.equal(manifest.objects, undefined);

      // One version: the one before becomes the newest.
      const older = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, modified: '2024-03-01T10:00:00.000Z' });
      const newer = { ...older, modified: '2024-06-01T10:00:00.000Z' };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [older, newer]);
      const one = await node.app.inject({ method: 'DELETE', url: `${collection}/objects/${older.id}/?match[version]=last`, headers: { ...ACCEPT, authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(one.statusCode, 200, one.body);
      assert.deepEqual(((await get(`${collection}/objects/${older.id}/`)).json() as { objects: StixObject[] }).objects, [older]);
    });

    it('5.1: a configured collection is a view of what is released to its audience', async () => {
      const partners = handlingMarkingDefinition({ id: 'marking-definition--1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9', created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['ALLIANCE', 'PARTNERS'] });
      const shared = indicator({ object_marking_refs: [partners.id] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [partners, shared]);
      const view = await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'partners', title: 'Released to partners', audience: ['PARTNERS'] });
      const listed = (await get('/taxii2/intel/collections/')).json() as { collections: Array<{ alias: string }> };
      assert.deepEqual(listed.collections.map((c) => c.alias), ['intel', 'partners']);
      const seen = (await get(`/taxii2/intel/collections/${view.id}/objects/?match[type]=indicator`)).json() as { objects: StixObject[] };
      assert.deepEqual(seen.objects.map((o) => o.id), [shared.id], 'only what is released to partners');
      assert.equal((await get(`/taxii2/intel/collections/partners/objects/${objects[1]!.id}/`)).statusCode, 404);
      const outside = await node.app.inject({ method: 'DELETE', url: `/taxii2/intel/collections/partners/objects/${objects[1]!.id}/`, headers: { ...ACCEPT, authorization: `Bearer ${node.tokens['node-admin']}` } });
      assert.equal(outside.statusCode, 404, 'not in this view: not deleted through it');
      await assert.rejects(createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'partners', title: 'again', audience: null }), /exists already/);
    });

    it('3.4: malformed or strange filters get a 4xx, never a crash', async () => {
      const names = ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]', 'other'];
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), fc.string({ maxLength: 40 })), { maxLength: 4 }), async (params) => {
          const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          for (const path of ['objects/', 'manifest/', `objects/${objects[0]!.id}/`, `objects/${objects[0]!.id}/versions/`]) {
            const response = await get(`${collection}/${path}?${query}`);
            assert.ok([200, 400, 404].includes(response.statusCode), `${path}?${query}: ${response.statusCode} ${response.body.slice(0, 200)}`);
            assert.equal(response.headers['content-type'], TAXII_MEDIA_TYPE);
          }
        }),
        { numRuns: dialect === 'sqlite' ? 150 : 40, seed: 20261122 },
      );
    });
  });
}

describe('TAXII envelope of stored bodies', () => {
  it('is the UTF-8 of the head, the bodies joined by commas and ]}, whatever their text', () => {
    const text = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 100 }));
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.array(text, { maxLength: 40 }), (head, bodies) => {
        const sent = envelopeBytes(head, bodies);
        const joined = Buffer.from(`${head}${bodies.join(',')}]}`, 'utf8');
        assert.ok(sent.equals(joined), `${sent.length} bytes sent for ${joined.length} bytes of envelope`);
      }),
      { numRuns: 3000 },
    );
  });
});
