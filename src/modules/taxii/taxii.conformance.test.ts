/**
 * TAXII 2.1 conformance: the server-side MUST and MUST NOT requirements of
 * docs/taxii/REQUIREMENTS.md that taxii.test.ts does not already check. Each test is named by the
 * section of TAXII 2.1 (OASIS Standard, 10 June 2021) it checks; where the spec is ambiguous the
 * test follows the reading marked "(interp.)" in REQUIREMENTS.md.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createTestNode, TEST_MEMBER, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator, malware } from '../../../test/support/factories.js';
import { createCa, issue } from '../../core/pki.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { handlingMarkingDefinition } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';
import { createToken, createUser, revokeToken } from '../directory/directory.service.js';
import { ingestObjects } from '../intel/intel.service.js';
import { createCollection, TAXII_MEDIA_TYPE, type Collection } from './taxii.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

type Headers = Record<string, string>;
type Envelope = { more?: boolean; next?: string; objects?: StixObject[] };
type ManifestRecord = { id: string; date_added: string; version: string; media_type?: string };
type Manifest = { more?: boolean; next?: string; objects?: ManifestRecord[] };
type Versions = { more?: boolean; versions?: string[] };
type StatusDetail = { id: string; version: string; message?: string };
type Status = {
  id: string;
  status: string;
  request_timestamp?: string;
  total_count: number;
  success_count: number;
  successes?: StatusDetail[];
  failure_count: number;
  failures?: StatusDetail[];
  pending_count: number;
  pendings?: StatusDetail[];
};
type CollectionResource = { id: string; title: string; alias?: string; can_read: boolean; can_write: boolean; media_types?: string[] };

const ACCEPT = { accept: TAXII_MEDIA_TYPE };
/** A TAXII timestamp (section 2): RFC 3339, UTC, exactly six fractional digits. */
const TAXII_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** An RFC 4122 version 4 UUID (section 2, identifier). */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const STIX_ID = /^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertTimestamp(value: unknown, what: string): void {
  assert.equal(typeof value, 'string', `${what} is missing`);
  assert.match(value as string, TAXII_TIMESTAMP, `${what}: ${String(value)}`);
  assert.ok(Number.isFinite(Date.parse(value as string)), `${what} is not a real instant: ${String(value)}`);
}

/** Section 2: no list anywhere in a TAXII resource is empty (an omitted property is left out). */
function assertNoEmptyList(value: unknown, path = '$'): void {
  if (Array.isArray(value)) {
    assert.ok(value.length > 0, `empty list at ${path}`);
    value.forEach((item, i) => assertNoEmptyList(item, `${path}[${i}]`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) assertNoEmptyList(item, `${path}.${key}`);
  }
}

/** Section 3.6.1 on one failure response: the TAXII media type and an error message. */
function assertErrorMessage(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number | number[], what: string): void {
  const allowed = [status].flat();
  assert.ok(allowed.includes(response.statusCode), `${what}: expected ${allowed.join(' or ')}, got ${response.statusCode} ${response.body.slice(0, 200)}`);
  assert.equal(response.headers['content-type'], TAXII_MEDIA_TYPE, `${what}: Content-Type`);
  const body = JSON.parse(response.body) as { title?: unknown; http_status?: unknown };
  assert.equal(typeof body.title, 'string', `${what}: title is required`);
  assert.notEqual(body.title, '', `${what}: title is empty`);
  if (body.http_status !== undefined) assert.equal(body.http_status, String(response.statusCode), `${what}: http_status must be the status code, as a string`);
}

for (const dialect of DIALECTS) {
  describe(`TAXII 2.1 conformance (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let ca: string;
    let auth: Headers;
    let collection: string;
    const tokens: Record<'low' | 'noRead', string> = { low: '', noRead: '' };
    let revoked = '';
    const early = indicator();
    const secret = handlingMarkingDefinition({ id: 'marking-definition--3c1d7a52-8e4b-4f0a-9d26-5b7e1f2a9c04', created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: ['ALLIANCE'] });
    const partners = handlingMarkingDefinition({ id: 'marking-definition--9a4e2b17-6c3d-4e58-8f01-2d7b6c5a4e93', created: '2024-01-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['ALLIANCE', 'PARTNERS'] });
    let views: Collection[] = [];

    before(async () => {
      const authority = await createCa('Conformance test CA');
      const server = await issue(authority, { commonName: 'localhost', usage: 'server', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
      ca = authority.certPem;
      // A small max_content_length keeps the 413 checks cheap.
      node = await createTestNode(dialect, { bodyLimitBytes: 64 * 1024 }, { cert: server.certPem, key: server.keyPem });
      auth = { ...ACCEPT, authorization: `Bearer ${node.tokens.analyst}` };
      // A reader cleared to UNCLASSIFIED only, of the same member.
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-low', member: TEST_MEMBER, clearance: 0, roles: ['analyst'] });
      tokens.low = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-low', user: 'test-low' })).token;
      // Every role of this build may read intelligence, so can_read is false only for a user whose
      // stored roles this build does not know (as a store written by a later release may hold).
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-no-read', member: TEST_MEMBER, clearance: 4, roles: ['analyst'] });
      await node.ctx.store.db.updateTable('users').set({ roles: ',retired-role,' }).where('name', '=', 'test-no-read').execute();
      tokens.noRead = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-no-read', user: 'test-no-read' })).token;
      const gone = await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'test-revoked', user: 'test-analyst' });
      await revokeToken(node.ctx, SYSTEM_PRINCIPAL, gone.id);
      revoked = gone.token;

      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secret, partners, early, malware(), indicator()]);
      views = [
        await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'released-partners', title: 'Released to partners', audience: ['PARTNERS'] }),
        await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'released-alliance', title: 'Released to the alliance', audience: ['ALLIANCE'] }),
      ];
      const listed = (await get('/taxii2/intel/collections/')).json() as { collections: CollectionResource[] };
      const all = listed.collections.find((c) => c.alias === 'intel');
      assert.ok(all, 'the built-in collection is listed');
      collection = `/taxii2/intel/collections/${all.id}`;
    });
    after(async () => node?.close());

    const get = (url: string, headers: Headers = auth) => node.app.inject({ method: 'GET', url, headers });
    const post = (url: string, payload: string, headers: Headers = { ...auth, 'content-type': TAXII_MEDIA_TYPE }) => node.app.inject({ method: 'POST', url, payload, headers });
    const remove = (url: string, token = node.tokens.analyst) => node.app.inject({ method: 'DELETE', url, headers: { ...ACCEPT, authorization: `Bearer ${token}` } });
    const tokenOf = (token: string): Headers => ({ ...ACCEPT, authorization: `Bearer ${token}` });
    const json = async <T>(url: string, headers: Headers = auth): Promise<T> => {
      const response = await get(url, headers);
      assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 300)}`);
      return response.json() as T;
    };
    const ingest = (...objects: StixObject[]) => ingestObjects(node.ctx, SYSTEM_PRINCIPAL, objects);
    /** An indicator stored in versions with these modified timestamps, in this order. */
    const versioned = async (modified: string[], overrides: Partial<StixObject> = {}) => {
      const base = indicator(overrides);
      for (const m of modified) await ingest({ ...base, modified: m });
      return base;
    };
    const T = ['2024-03-01T10:00:00.000Z', '2024-04-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z', '2024-06-01T10:00:00.000Z', '2024-07-01T10:00:00.000Z'] as const;
    const statement = () => ({
      type: 'marking-definition',
      spec_version: '2.1',
      id: `marking-definition--${randomUUID()}`,
      created: '2024-02-02T02:02:02.000Z',
      name: 'Conformance statement',
      definition_type: 'statement',
      definition: { statement: 'Copyright the conformance suite' },
    });
    /** Every TAXII endpoint once, for an object that exists. */
    const endpoints = (objectId: string) => [
      { method: 'GET' as const, url: '/taxii2/' },
      { method: 'GET' as const, url: '/taxii2/intel/' },
      { method: 'GET' as const, url: '/taxii2/intel/collections/' },
      { method: 'GET' as const, url: `${collection}/` },
      { method: 'GET' as const, url: `${collection}/manifest/` },
      { method: 'GET' as const, url: `${collection}/objects/` },
      { method: 'GET' as const, url: `${collection}/objects/${objectId}/` },
      { method: 'GET' as const, url: `${collection}/objects/${objectId}/versions/` },
      { method: 'GET' as const, url: `/taxii2/intel/status/${randomUUID()}/` },
      { method: 'POST' as const, url: `${collection}/objects/` },
      { method: 'DELETE' as const, url: `${collection}/objects/${objectId}/` },
    ];

    it('2: date_added, X-TAXII-Date-Added-* and request_timestamp are UTC timestamps with exactly six fractional digits', async () => {
      const object = await versioned([T[0], T[1]]);
      const manifest = await json<Manifest>(`${collection}/manifest/?match[version]=all`);
      assert.ok((manifest.objects ?? []).length >= 2);
      for (const record of manifest.objects ?? []) assertTimestamp(record.date_added, `date_added of ${record.id}`);
      for (const path of ['manifest/', 'objects/', `objects/${object.id}/`, `objects/${object.id}/versions/`]) {
        const response = await get(`${collection}/${path}`);
        assert.equal(response.statusCode, 200, path);
        assertTimestamp(response.headers['x-taxii-date-added-first'], `${path} X-TAXII-Date-Added-First`);
        assertTimestamp(response.headers['x-taxii-date-added-last'], `${path} X-TAXII-Date-Added-Last`);
      }
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects: [indicator()] }));
      assert.equal(posted.statusCode, 202, posted.body);
      assertTimestamp((posted.json() as Status).request_timestamp, 'request_timestamp');
    });

    it('2: collection and status identifiers are version 4 UUIDs; booleans and integers have their JSON types', async () => {
      const { collections } = await json<{ collections: CollectionResource[] }>('/taxii2/intel/collections/');
      assert.ok(collections.length >= 3);
      for (const c of collections) {
        assert.match(c.id, UUID_V4, `collection ${c.alias ?? c.title}`);
        assert.equal(typeof c.can_read, 'boolean');
        assert.equal(typeof c.can_write, 'boolean');
      }
      const root = await json<{ max_content_length: unknown }>('/taxii2/intel/');
      assert.ok(Number.isSafeInteger(root.max_content_length), 'max_content_length is an integer within 54 bits');
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects: [indicator(), { type: 'indicator' }] }));
      assert.equal(posted.statusCode, 202, posted.body);
      const status = posted.json() as Status;
      assert.match(status.id, UUID_V4, 'status id');
      for (const count of [status.total_count, status.success_count, status.failure_count, status.pending_count]) assert.ok(Number.isSafeInteger(count));
      const paged = await json<Envelope>(`${collection}/objects/?limit=1`);
      assert.equal(paged.more, true, 'more is the literal true');
    });

    it('2 / 3.7 / 5.3.1 / 5.8.1: no resource holds an empty list; an empty result is {}', async () => {
      const object = await versioned([T[0]]);
      for (const url of ['/taxii2/', '/taxii2/intel/', '/taxii2/intel/collections/', `${collection}/`, `${collection}/manifest/`, `${collection}/objects/`, `${collection}/objects/${object.id}/versions/`]) {
        assertNoEmptyList(await json<unknown>(url), url);
      }
      const last = (await get(`${collection}/objects/?limit=1000`)).headers['x-taxii-date-added-last'] as string;
      for (const url of [
        `${collection}/objects/?match[type]=grouping`,
        `${collection}/manifest/?match[type]=grouping`,
        `${collection}/objects/?added_after=${last}`,
        `${collection}/manifest/?added_after=${last}`,
        `${collection}/objects/?match[id]=indicator--${randomUUID()}`,
      ]) {
        assert.deepEqual(await json<unknown>(url), {}, url);
      }
      // A status without successes, failures or pendings leaves the three lists out.
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects: [] }));
      assert.equal(posted.statusCode, 202, posted.body);
      assertNoEmptyList(posted.json(), 'status');
      assert.equal((posted.json() as Status).total_count, 0);
    });

    it('3.1: every response, success or failure, has Content-Type application/taxii+json;version=2.1', async () => {
      const object = await versioned([T[0]], { created_by_ref: TEST_MEMBER_IDENTITY });
      const requests: Array<{ what: string; run: () => ReturnType<typeof get> }> = [
        ...endpoints(object.id)
          .filter((e) => e.method === 'GET' && !e.url.includes('/status/'))
          .map((e) => ({ what: `GET ${e.url}`, run: () => get(e.url) })),
        { what: 'POST 202', run: () => post(`${collection}/objects/`, JSON.stringify({ objects: [indicator()] })) },
        { what: 'status 200', run: async () => get(`/taxii2/intel/status/${((await post(`${collection}/objects/`, '{"objects":[]}')).json() as Status).id}/`) },
        { what: '400', run: () => get(`${collection}/objects/?limit=0`) },
        { what: '401', run: () => get(`${collection}/objects/`, ACCEPT) },
        { what: '403', run: () => post(`${collection}/objects/`, '{"objects":[]}', { ...tokenOf(node.tokens['political-delegate']), 'content-type': TAXII_MEDIA_TYPE }) },
        { what: '404', run: () => get(`/taxii2/intel/collections/${randomUUID()}/objects/`) },
        { what: '406', run: () => get(`${collection}/objects/`, { ...auth, accept: 'text/html' }) },
        { what: '415', run: () => post(`${collection}/objects/`, '{"objects":[]}', { ...auth, 'content-type': 'text/plain' }) },
        { what: '422', run: () => post(`${collection}/objects/`, '"objects"') },
        { what: 'DELETE 200', run: () => remove(`${collection}/objects/${object.id}/`) },
      ];
      for (const { what, run } of requests) {
        const response = await run();
        assert.equal(response.headers['content-type'], TAXII_MEDIA_TYPE, `${what} (${response.statusCode})`);
      }
    });

    it('3.1: a TAXII 2.1 Accept or Content-Type, bare, versioned, quoted or among other ranges, is never 406 or 415', async () => {
      const object = await versioned([T[0]]);
      const accepts = [
        TAXII_MEDIA_TYPE,
        'application/taxii+json',
        'application/taxii+json; version=2.1',
        'application/taxii+json;version="2.1"',
        'Application/TAXII+JSON;Version=2.1',
        `${TAXII_MEDIA_TYPE},application/stix+json;version=2.1`,
        `text/html;q=0.9, ${TAXII_MEDIA_TYPE}`,
      ];
      for (const { method, url } of endpoints(object.id).filter((e) => e.method === 'GET' && !e.url.includes('/status/'))) {
        for (const accept of accepts) {
          const response = await node.app.inject({ method, url, headers: { ...auth, accept } });
          assert.equal(response.statusCode, 200, `${url} with Accept ${accept}: ${response.body.slice(0, 200)}`);
        }
      }
      for (const type of [TAXII_MEDIA_TYPE, 'application/taxii+json', 'application/taxii+json; version=2.1', 'application/taxii+json;version="2.1"', 'application/taxii+json;version=2.1;charset=UTF-8']) {
        const response = await post(`${collection}/objects/`, JSON.stringify({ objects: [indicator()] }), { ...auth, 'content-type': type });
        assert.equal(response.statusCode, 202, `Content-Type ${type}: ${response.body.slice(0, 200)}`);
      }
    });

    it('3.1: on every endpoint an Accept it does not serve is 406, and Add Objects answers 415 to a body type it does not take', async () => {
      const object = await versioned([T[0]], { created_by_ref: TEST_MEMBER_IDENTITY });
      for (const { method, url } of endpoints(object.id)) {
        for (const accept of ['text/html', 'application/json', 'application/taxii+json;version=3.0', 'application/taxii+json;q=0', 'application/taxii+json;version']) {
          const body = method === 'POST' ? { payload: '{"objects":[]}', headers: { ...auth, accept, 'content-type': TAXII_MEDIA_TYPE } } : { headers: { ...auth, accept } };
          const response = await node.app.inject({ method, url, ...body });
          assertErrorMessage(response, 406, `${method} ${url} with Accept ${accept}`);
        }
      }
      assert.equal((await get(`${collection}/objects/${object.id}/`)).statusCode, 200, 'the refused DELETE did not delete');
      for (const type of ['text/plain', 'application/stix+json;version=2.1', 'application/x-www-form-urlencoded', 'application/taxii+jsonxyz', 'application/taxii+json;version=2.1;charset=utf-16']) {
        assertErrorMessage(await post(`${collection}/objects/`, JSON.stringify({ objects: [indicator()] }), { ...auth, 'content-type': type }), 415, `Content-Type ${type}`);
      }
    });

    it('3.2: every 2xx of manifest, objects, an object and versions has both date-added headers: the first and last date_added of that page', async () => {
      const object = await versioned([T[0], T[1], T[2]]);
      const records = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`)).objects ?? [];
      assert.equal(records.length, 3);
      const added = records.map((r) => r.date_added);
      const check = async (url: string, first: string, last: string) => {
        const response = await get(url);
        assert.equal(response.statusCode, 200, url);
        assert.equal(response.headers['x-taxii-date-added-first'], first, `${url} X-TAXII-Date-Added-First`);
        assert.equal(response.headers['x-taxii-date-added-last'], last, `${url} X-TAXII-Date-Added-Last`);
      };
      await check(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`, added[0]!, added[2]!);
      await check(`${collection}/objects/?match[id]=${object.id}&match[version]=all`, added[0]!, added[2]!);
      await check(`${collection}/objects/${object.id}/?match[version]=all`, added[0]!, added[2]!);
      await check(`${collection}/objects/${object.id}/versions/`, added[0]!, added[2]!);
      await check(`${collection}/objects/${object.id}/`, added[2]!, added[2]!);
      await check(`${collection}/objects/${object.id}/?match[version]=first`, added[0]!, added[0]!);
      await check(`${collection}/manifest/?match[id]=${object.id}&match[version]=all&limit=2`, added[0]!, added[1]!);
      await check(`${collection}/objects/${object.id}/versions/?limit=2`, added[0]!, added[1]!);
      await check(`${collection}/objects/${object.id}/?match[version]=all&added_after=${added[0]}`, added[1]!, added[2]!);
    });

    it('3.3: objects and manifests come in ascending date_added, the most recently added last', async () => {
      const manifest = (await json<Manifest>(`${collection}/manifest/?match[version]=all`)).objects ?? [];
      assert.ok(manifest.length > 5);
      for (let i = 1; i < manifest.length; i++) assert.ok(manifest[i - 1]!.date_added < manifest[i]!.date_added, `records ${i - 1} and ${i} out of order`);
      const latest = (await json<Manifest>(`${collection}/manifest/`)).objects ?? [];
      const objects = (await json<Envelope>(`${collection}/objects/`)).objects ?? [];
      assert.deepEqual(objects.map((o) => o.id), latest.map((r) => r.id), 'objects come in the manifest\'s order');
      assert.notEqual(latest[latest.length - 1]!.id, early.id);
      // A new version of an object added early makes it the most recently added.
      await ingest({ ...early, modified: '2025-01-01T00:00:00.000Z' });
      const after = (await json<Envelope>(`${collection}/objects/`)).objects ?? [];
      assert.equal(after[after.length - 1]!.id, early.id);
      assert.equal(after[after.length - 1]!.modified, '2025-01-01T00:00:00.000Z');
      const first = await json<Envelope>(`${collection}/objects/?limit=1`);
      assert.equal(first.objects![0]!.id, objects.filter((o) => o.id !== early.id)[0]!.id, 'without added_after the oldest comes first');
    });

    it('3.3: the collections endpoint lists collections in the same order every time', async () => {
      const order = async (token: string) => ((await json<{ collections: CollectionResource[] }>('/taxii2/intel/collections/', tokenOf(token))).collections).map((c) => c.id);
      const first = await order(node.tokens.analyst);
      assert.ok(first.length >= 3);
      for (let i = 0; i < 3; i++) assert.deepEqual(await order(node.tokens.analyst), first);
      assert.deepEqual(await order(node.tokens['political-delegate']), first, 'whoever asks');
      const added = await createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: 'released-later', title: 'Added later', audience: ['ALLIANCE'] });
      assert.deepEqual((await order(node.tokens.analyst)).filter((id) => id !== added.id), first, 'a new collection leaves the order of the others alone');
    });

    it('3.4: every malformed filter parameter is 400, on every endpoint that takes filters', async () => {
      const object = await versioned([T[0], T[1]], { created_by_ref: TEST_MEMBER_IDENTITY });
      const at = '2024-05-01T00:00:00.000000Z';
      const malformed = [
        'limit=0',
        'limit=-1',
        'limit=1.5',
        'limit=abc',
        'limit=1e3',
        'limit=',
        'limit=2&limit=3',
        `added_after=${at}&added_after=${at}`,
        'added_after=2024-13-01T00:00:00.000000Z',
        'added_after=2024-02-30T00:00:00.000000Z',
        'added_after=2024-05-01T00:00:00.000000',
        'added_after=2024-05-01T00:00:00.000000%2B02:00',
        'added_after=2024-05-01',
        'added_after=',
        'next=',
        'next=n&next=n',
        'match[id]=a&match[id]=b',
        'match[type]=indicator&match[type]=indicator',
        'match[version]=last&match[version]=first',
        'match[spec_version]=2.1&match[spec_version]=2.1',
        'match[id]=',
        'match[type]=',
        'match[version]=',
        'match[spec_version]=',
      ];
      for (const path of ['objects/', 'manifest/', `objects/${object.id}/`, `objects/${object.id}/versions/`]) {
        for (const query of malformed) assertErrorMessage(await get(`${collection}/${path}?${query}`), 400, `${path}?${query}`);
      }
      for (const query of ['match[version]=last&match[version]=first', 'match[version]=', 'match[version]=newest']) {
        assertErrorMessage(await remove(`${collection}/objects/${object.id}/?${query}`), 400, `DELETE ?${query}`);
      }
      assert.equal((await json<Versions>(`${collection}/objects/${object.id}/versions/`)).versions?.length, 2, 'a refused DELETE deletes nothing');
    });

    it('3.4: a limit beyond the server\'s own maximum is a valid integer: served (capped), not refused; one beyond 2^53 - 1 is 400', async () => {
      const ids = [indicator(), malware(), indicator()];
      await ingest(...ids);
      const query = `match[id]=${ids.map((o) => o.id).join(',')}`;
      for (const path of ['objects/', 'manifest/']) {
        const all = await json<Envelope | Manifest>(`${collection}/${path}?${query}&limit=${Number.MAX_SAFE_INTEGER}`);
        assert.deepEqual((all.objects ?? []).map((o) => o.id), ids.map((o) => o.id), path);
        assert.notEqual(all.more, true);
        assertErrorMessage(await get(`${collection}/${path}?${query}&limit=9007199254740992`), 400, `${path} limit 2^53`);
      }
    });

    it('3.4: no page holds more than limit; when everything fits in limit it all comes, without more', async () => {
      const object = await versioned([T[0], T[1], T[2], T[3]]);
      const count = (body: Envelope & Manifest & Versions) => (body.objects ?? body.versions ?? []).length;
      for (const path of [`objects/?match[id]=${object.id}&match[version]=all`, `manifest/?match[id]=${object.id}&match[version]=all`, `objects/${object.id}/?match[version]=all`, `objects/${object.id}/versions/?x=1`]) {
        for (const limit of [1, 3]) {
          const page = await json<Envelope & Manifest & Versions>(`${collection}/${path}&limit=${limit}`);
          assert.ok(count(page) > 0 && count(page) <= limit, `${path} limit ${limit}: ${count(page)} items`);
          assert.equal(page.more, true, `${path} limit ${limit}: more`);
        }
        for (const limit of [4, 5]) {
          const page = await json<Envelope & Manifest & Versions>(`${collection}/${path}&limit=${limit}`);
          assert.equal(count(page), 4, `${path} limit ${limit}: all of it`);
          assert.notEqual(page.more, true, `${path} limit ${limit}: nothing more`);
          assert.equal(page.next, undefined);
        }
      }
    });

    it('3.4.1: match[version]=first is the oldest version the reader may read: an object re-marked more openly is not left out', async () => {
      // v1 SECRET, v2 UNCLASSIFIED: the reader cleared UNCLASSIFIED reads v2 only, and is not told of v1.
      const base = indicator();
      const [v1, v2] = [{ ...base, modified: T[0], object_marking_refs: [secret.id as string] }, { ...base, modified: T[1], object_marking_refs: [partners.id as string] }];
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [v1, v2])).accepted, 2);
      const low = tokenOf(tokens.low);
      assert.deepEqual((await json<{ versions: string[] }>(`${collection}/objects/${base.id}/versions/`, low)).versions, [T[1]]);
      const first = await json<Envelope>(`${collection}/objects/${base.id}/?match[version]=first`, low);
      assert.deepEqual(first.objects?.map((o) => o.modified), [T[1]], 'the oldest it may read');
      const manifest = await json<Manifest>(`${collection}/manifest/?match[id]=${base.id}&match[version]=first`, low);
      assert.deepEqual(manifest.objects?.map((r) => r.version), [T[1]]);
      // A reader cleared for both gets the oldest stored.
      assert.deepEqual((await json<Envelope>(`${collection}/objects/${base.id}/?match[version]=first`)).objects?.map((o) => o.modified), [T[0]]);
    });

    it('3.4.1: added_after at a leap second (RFC 3339 second 60) is after every instant of second 59', async () => {
      const object = await versioned([T[0]]);
      const records = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}`)).objects ?? [];
      assert.equal(records.length, 1);
      // Leap seconds are the last of a UTC day: the day before the object was added ends before
      // it, the day it was added after it. (Before, second 60 read as no time: an empty answer.)
      const day = records[0]!.date_added.slice(0, 10);
      const dayBefore = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      assert.equal(((await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&added_after=${dayBefore}T23:59:60Z`)).objects ?? []).length, 1, 'the leap second of the day before');
      assert.equal(((await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&added_after=${day}T23:59:60.5Z`)).objects ?? []).length, 0, 'the leap second of its day');
    });

    it('3.4: the values of one match field are ORed, different fields are ANDed', async () => {
      const [a, b, c] = [indicator(), malware(), indicator()];
      await ingest(a, b, c);
      const ids = async (query: string, path = 'objects/') => ((await json<Envelope | Manifest>(`${collection}/${path}?${query}`)).objects ?? []).map((o) => o.id);
      for (const path of ['objects/', 'manifest/']) {
        assert.deepEqual(await ids(`match[id]=${a.id},${b.id}`, path), [a.id, b.id], path);
        assert.deepEqual(await ids(`match[id]=${a.id},${b.id},${c.id}&match[type]=indicator`, path), [a.id, c.id], path);
        assert.deepEqual(await ids(`match[id]=${a.id},${b.id}&match[type]=malware,indicator`, path), [a.id, b.id], path);
        assert.deepEqual(await ids(`match[id]=${a.id},${c.id}&match[type]=malware`, path), [], path);
        assert.deepEqual(await ids(`match[type]=indicator&match[id]=${b.id}`, path), [], path);
        assert.deepEqual(await ids(`match[id]=${a.id},${b.id},${c.id}&match[version]=first&match[type]=malware`, path), [b.id], path);
      }
    });

    it('3.4.1: match[type] naming a STIX 2.1 type without objects is an empty result on objects and manifest, never an error', async () => {
      for (const path of ['objects/', 'manifest/']) {
        for (const type of ['note', 'opinion', 'grouping', 'x509-certificate', 'language-content', 'note,opinion']) {
          const response = await get(`${collection}/${path}?match[type]=${type}`);
          assert.equal(response.statusCode, 200, `${path} ${type}: ${response.body.slice(0, 200)}`);
          assert.deepEqual(response.json(), {});
        }
        const mixed = await json<Envelope | Manifest>(`${collection}/${path}?match[type]=note,malware`);
        assert.ok((mixed.objects ?? []).length > 0, 'a type without objects takes nothing from another');
      }
    });

    it('3.4.1: match[version]=all with any other value, or any value twice, is 400 on objects, manifest, an object and Delete', async () => {
      const object = await versioned([T[0], T[1]], { created_by_ref: TEST_MEMBER_IDENTITY });
      const bad = ['all,first', 'last,all', `all,${T[0]}`, 'all,all', 'first,first', 'last,first,last', `${T[1]},${T[1]}`, `first,${T[0]},${T[0]}`];
      for (const value of bad) {
        for (const path of ['objects/', 'manifest/', `objects/${object.id}/`]) assertErrorMessage(await get(`${collection}/${path}?match[version]=${value}`), 400, `${path} ${value}`);
        assertErrorMessage(await remove(`${collection}/objects/${object.id}/?match[version]=${value}`), 400, `DELETE ${value}`);
      }
      assert.deepEqual((await json<Versions>(`${collection}/objects/${object.id}/versions/`)).versions, [T[0], T[1]], 'nothing deleted');
      // Different values together are fine, a STIX timestamp with millisecond precision included.
      const together = await json<Envelope>(`${collection}/objects/${object.id}/?match[version]=first,${T[1]},last`);
      assert.deepEqual(together.objects?.map((o) => o.modified), [T[0], T[1]]);
    });

    it('3.4.1: match[spec_version] returns only the listed spec versions; by default each object comes once, in the newest the server has', async () => {
      const stix20 = {
        type: 'indicator',
        id: `indicator--${randomUUID()}`,
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        name: 'STIX 2.0 indicator',
        labels: ['malicious-activity'],
        pattern: "[ipv4-addr:value = '198.51.100.9']",
        valid_from: '2016-01-01T00:00:00Z',
      };
      const stix21 = indicator();
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects: [stix20, stix21] }));
      assert.equal((posted.json() as Status).success_count, 2, posted.body);
      const specOf = (o: StixObject) => (typeof o.spec_version === 'string' ? o.spec_version : '2.0');
      const query = `match[id]=${stix20.id},${stix21.id}`;
      const seen = new Map<string, string[]>();
      for (const listed of ['2.0', '2.1', '2.0,2.1', '2.1,2.0']) {
        for (const object of (await json<Envelope>(`${collection}/objects/?${query}&match[spec_version]=${listed}`)).objects ?? []) {
          assert.ok(listed.split(',').includes(specOf(object)), `spec_version ${specOf(object)} of ${object.id} was not asked for (${listed})`);
          seen.set(object.id, [...(seen.get(object.id) ?? []), specOf(object)]);
        }
      }
      const byDefault = (await json<Envelope>(`${collection}/objects/?${query}`)).objects ?? [];
      assert.deepEqual(byDefault.map((o) => o.id).sort(), [stix20.id, stix21.id].sort(), 'each object once');
      for (const object of byDefault) {
        const newest = [...(seen.get(object.id) ?? [])].sort().pop();
        assert.equal(specOf(object), newest, `${object.id} comes in the newest spec version available`);
      }
    });

    it('3.5: continuing with added_after = X-TAXII-Date-Added-Last neither skips nor repeats (objects, manifest and versions)', async () => {
      const added = [indicator(), malware(), indicator(), indicator(), malware(), indicator(), indicator()];
      await ingest(...added);
      for (const path of ['objects/', 'manifest/']) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const response = await get(`${collection}/${path}?match[id]=${added.map((o) => o.id).join(',')}&limit=3${after ? `&added_after=${after}` : ''}`);
          const body = response.json() as Envelope | Manifest;
          seen.push(...(body.objects ?? []).map((o) => o.id));
          if (body.more !== true) break;
          after = response.headers['x-taxii-date-added-last'] as string;
        }
        assert.deepEqual(seen, added.map((o) => o.id), path);
      }
      const object = await versioned([T[0], T[1], T[2], T[3], T[4]]);
      const versions: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const response = await get(`${collection}/objects/${object.id}/versions/?limit=2${after ? `&added_after=${after}` : ''}`);
        assert.equal(response.statusCode, 200, response.body);
        const body = response.json() as Versions;
        versions.push(...(body.versions ?? []));
        if (body.more !== true) break;
        after = response.headers['x-taxii-date-added-last'] as string;
      }
      assert.deepEqual(versions, [...T]);
    });

    it('3.5 / Appendix B: a next is re-evaluated for the caller: presented by another user it yields nothing that user may not read', async () => {
      const open = [indicator(), indicator(), indicator(), indicator()];
      const classified = [0, 1, 2].map(() => indicator({ object_marking_refs: [secret.id] }));
      await ingest(open[0]!, classified[0]!, open[1]!, classified[1]!, open[2]!, classified[2]!, open[3]!);
      const query = `match[id]=${[...open, ...classified].map((o) => o.id).join(',')}&limit=2`;
      const walk = async (headers: Headers, start?: string) => {
        const seen: string[] = [];
        let next = start;
        for (let pages = 0; pages < 20; pages++) {
          const page = await json<Envelope>(`${collection}/objects/?${query}${next ? `&next=${encodeURIComponent(next)}` : ''}`, headers);
          seen.push(...(page.objects ?? []).map((o) => o.id));
          const firstNext = page.next;
          if (!firstNext) break;
          next = firstNext;
        }
        return seen;
      };
      const analystSees = await walk(auth);
      assert.ok(classified.every((o) => analystSees.includes(o.id)), 'the analyst, cleared to SECRET, reads the classified objects');
      const low = tokenOf(tokens.low);
      assert.deepEqual(new Set(await walk(low)), new Set(open.map((o) => o.id)), 'the low reader alone sees only the open objects');
      // Each of the analyst's cursors, presented by the low reader.
      let next: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await json<Envelope>(`${collection}/objects/?${query}${next ? `&next=${encodeURIComponent(next)}` : ''}`);
        if (!page.next) break;
        next = page.next;
        for (const id of await walk(low, next)) assert.ok(!classified.some((o) => o.id === id), `${id} reached a reader not cleared for it through another user's next`);
      }
      assert.ok(next, 'the analyst\'s walk had cursors to try');
    });

    it('3.5 / Appendix B: a next is re-evaluated against the query: other filters or another collection bound what it returns', async () => {
      const shared = [indicator({ object_marking_refs: [partners.id] }), malware({ object_marking_refs: [partners.id] })];
      const local = [indicator(), malware(), indicator()];
      await ingest(local[0]!, shared[0]!, local[1]!, shared[1]!, local[2]!);
      const everything = [...local, ...shared].map((o) => o.id).join(',');
      const first = await json<Envelope>(`${collection}/objects/?match[id]=${everything}&limit=1`);
      assert.ok(first.next);
      const next = encodeURIComponent(first.next);
      const types = ((await json<Envelope>(`${collection}/objects/?match[id]=${everything}&match[type]=malware&next=${next}`)).objects ?? []).map((o) => o.type);
      assert.ok(types.length > 0 && types.every((t) => t === 'malware'), `another match[type]: ${types.join(', ')}`);
      const one = ((await json<Envelope>(`${collection}/objects/?match[id]=${local[2]!.id}&next=${next}`)).objects ?? []).map((o) => o.id);
      assert.deepEqual(one, [local[2]!.id], 'another match[id]');
      const view = `/taxii2/intel/collections/${views[0]!.id}`;
      const inView = ((await json<Envelope>(`${view}/objects/?match[id]=${everything}`)).objects ?? []).map((o) => o.id);
      assert.deepEqual(new Set(inView), new Set(shared.map((o) => o.id)));
      const through = ((await json<Envelope>(`${view}/objects/?match[id]=${everything}&next=${next}`)).objects ?? []).map((o) => o.id);
      assert.ok(through.length > 0 && through.every((id) => inView.includes(id)), `a next from another collection: ${through.join(', ')}`);
      const manifest = ((await json<Manifest>(`${view}/manifest/?match[id]=${everything}&next=${next}`)).objects ?? []).map((o) => o.id);
      assert.ok(manifest.every((id) => inView.includes(id)), 'the same on the manifest');
    });

    it('3.5: a next that was not issued by the server, or was altered, is 400', async () => {
      const page = await json<Envelope>(`${collection}/objects/?limit=1`);
      assert.ok(page.next);
      for (const next of ['not-a-cursor', `${page.next}AA`, '%F0%9F%94%A5', Buffer.from('s:-1').toString('base64url'), Buffer.from('s:1;drop').toString('base64url')]) {
        for (const path of ['objects/', 'manifest/', `objects/${early.id}/`, `objects/${early.id}/versions/`]) {
          assertErrorMessage(await get(`${collection}/${path}?next=${next}`), 400, `${path} next=${next}`);
        }
      }
    });

    it('3.6.1: every failure is an error message with a title; http_status, when present, is the status code as a string', async () => {
      const root = await json<{ max_content_length: number }>('/taxii2/intel/');
      const cases: Array<[number, () => ReturnType<typeof get>]> = [
        [400, () => get(`${collection}/manifest/?added_after=yesterday`)],
        [400, () => post(`${collection}/objects/`, '{"objects":')],
        [401, () => get(`${collection}/manifest/`, { ...ACCEPT, authorization: 'Bearer sw_unknown' })],
        [403, () => remove(`${collection}/objects/${early.id}/`, node.tokens['political-delegate'])],
        [404, () => get(`${collection}/objects/indicator--${randomUUID()}/`)],
        [404, () => get(`/taxii2/intel/status/${randomUUID()}/`)],
        [404, () => get('/taxii2/elsewhere/')],
        [406, () => get('/taxii2/intel/', { ...auth, accept: 'application/xml' })],
        [413, () => post(`${collection}/objects/`, `{"objects":[]${' '.repeat(root.max_content_length)}}`)],
        [415, () => post(`${collection}/objects/`, '{"objects":[]}', { ...auth, 'content-type': 'application/json' })],
        [422, () => post(`${collection}/objects/`, '{"no":"envelope"}')],
      ];
      for (const [status, run] of cases) assertErrorMessage(await run(), status, `expected ${status}`);
    });

    it('3.7: STIX content comes in an envelope: only more, next and objects at the root, each item a STIX object', async () => {
      const object = await versioned([T[0], T[1]]);
      for (const url of [`${collection}/objects/`, `${collection}/objects/?limit=2`, `${collection}/objects/${object.id}/`, `${collection}/objects/${object.id}/?match[version]=all&limit=1`]) {
        const envelope = await json<Record<string, unknown>>(url);
        for (const key of Object.keys(envelope)) assert.ok(['more', 'next', 'objects'].includes(key), `${url}: '${key}' at the root of an envelope`);
        if ('more' in envelope) assert.equal(typeof envelope.more, 'boolean');
        if ('next' in envelope) {
          assert.equal(typeof envelope.next, 'string');
          assert.equal(envelope.more, true, `${url}: next only when more is true`);
        }
        const objects = envelope.objects as StixObject[];
        assert.ok(Array.isArray(objects) && objects.length > 0, url);
        for (const o of objects) {
          assert.equal(typeof o.type, 'string');
          assert.equal(STIX_ID.exec(o.id)?.[1], o.type, `${url}: ${o.id} is a STIX object of type ${o.type}`);
        }
      }
      for (const url of [`${collection}/manifest/?limit=2`, `${collection}/objects/${object.id}/versions/?limit=1`]) {
        const body = await json<Record<string, unknown>>(url);
        const allowed = url.includes('/versions/') ? ['more', 'versions'] : ['more', 'next', 'objects'];
        for (const key of Object.keys(body)) assert.ok(allowed.includes(key), `${url}: '${key}' at the root`);
        assert.equal(body.more, true);
      }
    });

    it('4.1.1 / 8.2.1: discovery is at /taxii2/; default is one of api_roots; each is https or relative from one "/", without a query, and answers as an API root', async () => {
      for (const host of [undefined, 'shieldwall.example:8443', 'evil.example?x=1']) {
        const discovery = await json<{ title: string; default?: string; api_roots?: string[] }>('/taxii2/', host ? { ...auth, host } : auth);
        assert.equal(typeof discovery.title, 'string');
        assert.ok(discovery.api_roots && discovery.api_roots.length >= 1, 'at least one API root');
        if (discovery.default !== undefined) assert.ok(discovery.api_roots.includes(discovery.default), 'default is in api_roots');
        for (const root of discovery.api_roots) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(root)) {
            const url = new URL(root);
            assert.equal(url.protocol, 'https:', `absolute API root URLs are https: ${root}`);
            assert.equal(url.search, '', `no query: ${root}`);
          } else {
            assert.match(root, /^\/(?!\/)/, `a relative API root URL starts with a single '/': ${root}`);
            assert.ok(!root.includes('?') && !root.startsWith('../'), `no query, no '../': ${root}`);
          }
          const resolved = new URL(root, 'https://shieldwall.example/');
          const apiRoot = await json<{ title: string; versions: string[] }>(resolved.pathname);
          assert.equal(typeof apiRoot.title, 'string');
          assert.ok(apiRoot.versions.includes(TAXII_MEDIA_TYPE));
        }
      }
    });

    it('4.2.1: a request body smaller than max_content_length is not 413; a larger one is', async () => {
      const { max_content_length: max } = await json<{ max_content_length: number }>('/taxii2/intel/');
      assert.ok(Number.isSafeInteger(max) && max > 0);
      const sized = (bytes: number) => {
        const body = JSON.stringify({ objects: [indicator()] });
        return `${body.slice(0, -1)}${' '.repeat(bytes - body.length)}}`;
      };
      const below = await post(`${collection}/objects/`, sized(max - 1));
      assert.equal(Buffer.byteLength(sized(max - 1)), max - 1);
      assert.equal(below.statusCode, 202, below.body.slice(0, 200));
      assert.equal((below.json() as Status).success_count, 1);
      assertErrorMessage(await post(`${collection}/objects/`, sized(max + 1)), 413, 'one octet over max_content_length');
    });

    it('4.3 / 4.3.1: a status counts each object once: integers >= 0 that add up, details with the id and the version (created when unversioned)', async () => {
      const fresh = indicator({ modified: '2024-08-08T08:08:08.123Z' });
      const marking = statement();
      const objects = [fresh, early, marking, { type: 'indicator', id: `indicator--${randomUUID()}` }, 42];
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects }));
      assert.equal(posted.statusCode, 202, posted.body);
      const status = posted.json() as Status;
      assert.ok(['complete', 'pending'].includes(status.status));
      const counts = [status.total_count, status.success_count, status.failure_count, status.pending_count];
      for (const count of counts) assert.ok(Number.isSafeInteger(count) && count >= 0);
      assert.equal(status.total_count, objects.length);
      assert.equal(status.success_count + status.failure_count + status.pending_count, status.total_count);
      assert.equal(status.successes?.length ?? 0, status.success_count);
      assert.equal(status.failures?.length ?? 0, status.failure_count);
      assert.equal(status.pendings?.length ?? 0, status.pending_count);
      for (const detail of [...(status.successes ?? []), ...(status.failures ?? []), ...(status.pendings ?? [])]) {
        assert.equal(typeof detail.id, 'string');
        assert.equal(typeof detail.version, 'string');
      }
      const details = [...(status.successes ?? []), ...(status.pendings ?? [])];
      assert.equal(details.find((d) => d.id === fresh.id)?.version, fresh.modified);
      assert.equal(details.find((d) => d.id === marking.id)?.version, marking.created, 'an unversioned object\'s version is its created');
      assert.deepEqual(await json<Status>(`/taxii2/intel/status/${status.id}/`), status);
    });

    it('4.3: an unknown status id is 404', async () => {
      for (const id of [randomUUID(), '00000000-0000-4000-8000-000000000000', 'not-a-status']) {
        assertErrorMessage(await get(`/taxii2/intel/status/${id}/`), 404, id);
      }
    });

    it('5: a request that fails authentication is 401 (with WWW-Authenticate) or 404, on every endpoint', async () => {
      const object = await versioned([T[0]], { created_by_ref: TEST_MEMBER_IDENTITY });
      const credentials: Array<[string, string | undefined]> = [
        ['none', undefined],
        ['an unknown token', 'Bearer sw_not-a-token'],
        ['a revoked token', `Bearer ${revoked}`],
        ['Basic with an unknown token as password', `Basic ${Buffer.from('test-analyst:sw_not-a-token').toString('base64')}`],
        ['an unknown scheme', 'Negotiate abc'],
      ];
      for (const { method, url } of endpoints(object.id)) {
        for (const [what, authorization] of credentials) {
          const headers: Headers = { ...ACCEPT, ...(method === 'POST' ? { 'content-type': TAXII_MEDIA_TYPE } : {}), ...(authorization ? { authorization } : {}) };
          const response = await node.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: JSON.stringify({ objects: [indicator()] }) } : {}) });
          assertErrorMessage(response, [401, 404], `${method} ${url} with ${what}`);
          if (response.statusCode === 401) assert.ok(response.headers['www-authenticate'], `${method} ${url}: a 401 carries WWW-Authenticate`);
        }
      }
      // A wrong password once (repeated, sign-in throttling would answer 429 instead).
      const basic = await get(`${collection}/objects/`, { ...ACCEPT, authorization: `Basic ${Buffer.from('test-analyst:wrong').toString('base64')}` });
      assertErrorMessage(basic, [401, 404], 'a wrong password');
      assert.equal((await get(`${collection}/objects/${object.id}/`)).statusCode, 200, 'the refused DELETEs deleted nothing');
    });

    it('5: with can_read false, manifest, objects, an object and versions are 403 or 404; with can_write false, Add Objects is 403 or 404', async () => {
      const object = await versioned([T[0]]);
      const noRead = tokenOf(tokens.noRead);
      for (const path of ['manifest/', 'objects/', `objects/${object.id}/`, `objects/${object.id}/versions/`]) {
        assertErrorMessage(await get(`${collection}/${path}`, noRead), [403, 404], path);
      }
      for (const headers of [noRead, tokenOf(node.tokens['political-delegate'])]) {
        const response = await post(`${collection}/objects/`, JSON.stringify({ objects: [indicator()] }), { ...headers, 'content-type': TAXII_MEDIA_TYPE });
        assertErrorMessage(response, [403, 404], 'Add Objects without can_write');
      }
      const delegate = await json<CollectionResource>(`${collection}/`, tokenOf(node.tokens['political-delegate']));
      assert.deepEqual([delegate.can_read, delegate.can_write], [true, false]);
    });

    it('5.7: Delete an Object is 404 for a client that may neither read nor write, 403 for one that may read only', async () => {
      const object = await versioned([T[0]], { created_by_ref: TEST_MEMBER_IDENTITY });
      assertErrorMessage(await remove(`${collection}/objects/${object.id}/`, tokens.noRead), 404, 'can_read false, can_write false');
      assertErrorMessage(await remove(`${collection}/objects/${object.id}/`, node.tokens['political-delegate']), 403, 'can_read true, can_write false');
      assert.equal((await get(`${collection}/objects/${object.id}/`)).statusCode, 200, 'still there');
    });

    it('5.1.1 / 5.2.1: aliases are unique within the API root; a collection answers alike by id and by alias', async () => {
      const { collections } = await json<{ collections: CollectionResource[] }>('/taxii2/intel/collections/');
      const aliases = collections.map((c) => c.alias).filter((a): a is string => a !== undefined);
      assert.equal(new Set(aliases).size, aliases.length, `aliases: ${aliases.join(', ')}`);
      assert.equal(new Set(collections.map((c) => c.id)).size, collections.length);
      for (const c of collections) {
        const byId = await json<CollectionResource>(`/taxii2/intel/collections/${c.id}/`);
        assert.deepEqual(byId, c);
        if (c.alias !== undefined) assert.deepEqual(await json<CollectionResource>(`/taxii2/intel/collections/${c.alias}/`), c);
        assert.ok(c.media_types === undefined || c.media_types.length > 0);
      }
      await assert.rejects(createCollection(node.ctx, SYSTEM_PRINCIPAL, { alias: views[1]!.alias, title: 'again', audience: null }));
      const again = (await json<{ collections: CollectionResource[] }>('/taxii2/intel/collections/')).collections;
      assert.equal(again.filter((c) => c.alias === views[1]!.alias).length, 1, 'a second collection with the same alias was refused');
    });

    it('5.3.1: one manifest record per version; media_type is one of the collection\'s; version is modified, or created when unversioned', async () => {
      const object = await versioned([T[0], T[1], T[2]]);
      const marking = statement();
      const posted = await post(`${collection}/objects/`, JSON.stringify({ objects: [marking] }));
      assert.equal((posted.json() as Status).success_count, 1, posted.body);
      const { media_types: mediaTypes = ['application/stix+json'] } = await json<CollectionResource>(`${collection}/`);
      const records = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id},${marking.id}&match[version]=all`)).objects ?? [];
      assert.deepEqual(records.map((r) => [r.id, r.version]), [[object.id, T[0]], [object.id, T[1]], [object.id, T[2]], [marking.id, marking.created]]);
      for (const record of records) {
        if (record.media_type !== undefined) assert.ok(mediaTypes.includes(record.media_type), `${record.media_type} is not among ${mediaTypes.join(', ')}`);
      }
      const latest = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}`)).objects ?? [];
      assert.deepEqual(latest.map((r) => r.version), [T[2]], 'by default the last version only');
    });

    it('5.5: an exact duplicate, twice in one envelope or posted again, is not an error', async () => {
      const twin = indicator();
      for (const objects of [[twin, twin], [twin], [structuredClone(twin), twin]]) {
        const posted = await post(`${collection}/objects/`, JSON.stringify({ objects }));
        assert.equal(posted.statusCode, 202, posted.body);
        const status = posted.json() as Status;
        assert.equal(status.failure_count, 0, posted.body);
        assert.equal(status.success_count + status.pending_count, objects.length);
        assert.ok(!(status.failures ?? []).some((f) => f.id === twin.id));
      }
      const stored = await json<Envelope>(`${collection}/objects/${twin.id}/`);
      assert.deepEqual(stored.objects, [twin]);
    });

    it('5.6: Get an Object answers like Get Objects with match[id] set to the object', async () => {
      const object = await versioned([T[0], T[1], T[2]]);
      const dates = ((await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`)).objects ?? []).map((r) => r.date_added);
      for (const query of ['', 'match[version]=all', 'match[version]=first', 'match[version]=last', `match[version]=${T[1]}`, `match[version]=first,${T[2]}`, 'match[version]=all&limit=2', `match[version]=all&added_after=${dates[0]}`, 'match[spec_version]=2.1']) {
        const one = await get(`${collection}/objects/${object.id}/?${query}`);
        const listed = await get(`${collection}/objects/?match[id]=${object.id}&${query}`);
        assert.equal(one.statusCode, 200, `${query}: ${one.body.slice(0, 200)}`);
        const [a, b] = [one.json() as Envelope, listed.json() as Envelope];
        assert.deepEqual(a.objects, b.objects, query);
        assert.equal(a.more ?? false, b.more ?? false, query);
        assert.equal(one.headers['x-taxii-date-added-first'], listed.headers['x-taxii-date-added-first'], query);
        assert.equal(one.headers['x-taxii-date-added-last'], listed.headers['x-taxii-date-added-last'], query);
      }
    });

    it('5.6 / 5.8.1: when only added_after leaves nothing of an existing object, Get an Object and versions answer {} (an unknown object stays 404)', async () => {
      const object = await versioned([T[0], T[1]]);
      const last = (await get(`${collection}/objects/${object.id}/versions/`)).headers['x-taxii-date-added-last'] as string;
      assertTimestamp(last, 'X-TAXII-Date-Added-Last');
      for (const path of [`objects/${object.id}/?added_after=${last}`, `objects/${object.id}/?match[version]=all&added_after=${last}`, `objects/${object.id}/versions/?added_after=${last}`]) {
        const response = await get(`${collection}/${path}`);
        assert.equal(response.statusCode, 200, `${path}: ${response.body.slice(0, 200)}`);
        assert.deepEqual(response.json(), {}, path);
      }
      const unknown = `indicator--${randomUUID()}`;
      assertErrorMessage(await get(`${collection}/objects/${unknown}/?added_after=${last}`), 404, 'unknown object');
      assertErrorMessage(await get(`${collection}/objects/${unknown}/versions/?added_after=${last}`), 404, 'unknown object versions');
    });

    it('5.7: after a delete the object or version is 404 from Get an Object and gone from versions, Get Objects and the manifest', async () => {
      const object = await versioned([T[0], T[1], T[2]], { created_by_ref: TEST_MEMBER_IDENTITY });
      const one = await remove(`${collection}/objects/${object.id}/?match[version]=${T[1]}`);
      assert.equal(one.statusCode, 200, one.body);
      assert.equal(one.headers['content-type'], TAXII_MEDIA_TYPE);
      assert.equal(one.body, '', 'no payload');
      assertErrorMessage(await get(`${collection}/objects/${object.id}/?match[version]=${T[1]}`), 404, 'the deleted version');
      assert.deepEqual((await json<Versions>(`${collection}/objects/${object.id}/versions/`)).versions, [T[0], T[2]]);
      const all = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`)).objects ?? [];
      assert.deepEqual(all.map((r) => r.version), [T[0], T[2]]);
      assert.deepEqual(((await json<Envelope>(`${collection}/objects/?match[id]=${object.id}&match[version]=all`)).objects ?? []).map((o) => o.modified), [T[0], T[2]]);

      assert.equal((await remove(`${collection}/objects/${object.id}/`)).statusCode, 200);
      assertErrorMessage(await get(`${collection}/objects/${object.id}/`), 404, 'Get an Object');
      assertErrorMessage(await get(`${collection}/objects/${object.id}/?match[version]=all`), 404, 'Get an Object, all versions');
      assertErrorMessage(await get(`${collection}/objects/${object.id}/versions/`), 404, 'versions');
      assert.deepEqual(await json<unknown>(`${collection}/objects/?match[id]=${object.id}&match[version]=all`), {});
      assert.deepEqual(await json<unknown>(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`), {});
      const everything = [...((await json<Manifest>(`${collection}/manifest/?match[version]=all`)).objects ?? [])];
      assert.ok(!everything.some((r) => r.id === object.id), 'not in the whole manifest');
    });

    it('5.8: versions of an unversioned object list its created; versions come in the order of their date_added', async () => {
      const marking = statement();
      assert.equal(((await post(`${collection}/objects/`, JSON.stringify({ objects: [marking] }))).json() as Status).success_count, 1);
      assert.deepEqual((await json<Versions>(`${collection}/objects/${marking.id}/versions/`)).versions, [marking.created]);
      const object = await versioned([T[3], T[0], T[2]]);
      const records = (await json<Manifest>(`${collection}/manifest/?match[id]=${object.id}&match[version]=all`)).objects ?? [];
      assert.deepEqual((await json<Versions>(`${collection}/objects/${object.id}/versions/`)).versions, records.map((r) => r.version));
      assert.deepEqual(records.map((r) => r.version), [T[3], T[0], T[2]]);
    });

    it('8.2.2: TAXII requests are accepted over HTTPS with TLS 1.2', async () => {
      const address = await node.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const answer = await new Promise<{ status: number; protocol: string | null; type: unknown; body: string }>((resolve, reject) => {
        const request = https.request(
          { host: '127.0.0.1', port, path: '/taxii2/', method: 'GET', servername: 'localhost', ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', headers: auth, agent: false },
          (response) => {
            const protocol = (response.socket as TLSSocket).getProtocol();
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, protocol, type: response.headers['content-type'], body }));
          },
        );
        request.on('error', reject);
        request.end();
      });
      assert.equal(answer.protocol, 'TLSv1.2');
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.type, TAXII_MEDIA_TYPE);
      assert.ok((JSON.parse(answer.body) as { api_roots: string[] }).api_roots.length > 0);
    });
  });
}
