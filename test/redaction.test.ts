/**
 * Redaction without holes: what a granular marking hides (STIX 2.1 section 7.2.3) stays hidden
 * in every answer (search, TAXII, lookup, match, correlation), a redacted object is still valid
 * STIX, old versions of an object re-marked stricter are not read around its current marking,
 * and pages never tell how many unreadable objects they skipped.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TAXII_MEDIA_TYPE } from '../src/modules/taxii/taxii.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { validateObject } from '../src/stix/validate.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const RED = TLP2_MARKING_IDS.red;
const GREEN = TLP2_MARKING_IDS.green;
const green = { object_marking_refs: [GREEN] };
/** An identity outside the node: its objects are nobody's own here. */
const FEED = `identity--${randomUUID()}`;
const OTHER = `identity--${randomUUID()}`;
const SECRET = `marking-definition--${randomUUID()}`;

const sighting = (of: string, extra: Partial<StixObject> = {}): StixObject => ({
  type: 'sighting',
  spec_version: '2.1',
  id: `sighting--${randomUUID()}`,
  created: T0,
  modified: T0,
  sighting_of_ref: of,
  where_sighted_refs: [TEST_MEMBER_IDENTITY],
  count: 1,
  ...green,
  ...extra,
});
const relationship = (source: string, target: string): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: T0,
  modified: T0,
  relationship_type: 'indicates',
  source_ref: source,
  target_ref: target,
  ...green,
});

for (const dialect of DIALECTS) {
  describe(`redaction without holes (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let analyst: string;
    let low: string;
    const get = (url: string, token = analyst, accept?: string) => node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
    const taxii = (url: string, token = analyst) => get(`/taxii2/intel/collections/intel/${url}`, token, TAXII_MEDIA_TYPE);

    before(async () => {
      node = await createTestNode(dialect);
      // A user of the test member cleared to RESTRICTED only.
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'low', member: 'TST', clearance: 1, roles: ['analyst'] });
      low = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'low', user: 'low' })).token;
      analyst = node.tokens.analyst;
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other', kind: 'ally', country: null, identityId: OTHER }]);
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [handlingMarkingDefinition({ id: SECRET, created: T0, classification: 'SECRET', releasableTo: ['ALLIANCE'] })]);
    });
    after(async () => node?.close());

    it('7.2.3: ?q= does not match text under a granular marking the reader may not read', async () => {
      const word = `nightfall${randomUUID().slice(0, 8)}`;
      const hiddenName = indicator({ name: `Operation ${word}`, ...green, granular_markings: [{ marking_ref: RED, selectors: ['name'] }] });
      const shownName = indicator({ name: `Also ${word}`, ...green });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [hiddenName, shownName]);
      const found = (await get(`/api/v1/objects?q=${word}`)).json() as { objects: StixObject[] };
      assert.deepEqual(found.objects.map((o) => o.id), [shownName.id]);
      // The object itself is still listed, without its name, when nothing is searched for.
      const all = (await get(`/api/v1/objects?type=indicator&limit=1000`)).json() as { objects: StixObject[] };
      const listed = all.objects.find((o) => o.id === hiddenName.id);
      assert.ok(listed);
      assert.equal(listed.name, undefined);
    });

    it('7.2.3: a body whose keys are written with JSON escapes is redacted as its parsed keys say (REST, TAXII, lookup)', async () => {
      // "granular\u005fmarkings" is the key granular_markings; the text never says it plainly.
      const escaped = (id: string, address: string, selectors: string[]) =>
        `{"type":"indicator","spec_version":"2.1","id":"${id}","created":"${T0}","modified":"${T0}","name":"escaped","description":"secret words",`
        + `"pattern":"[ipv4-addr:value = '${address}']","pattern_type":"stix","valid_from":"${T0}","object_marking_refs":["${GREEN}"],`
        + `"granular\\u005fmarkings":[{"marking_ref":"${RED}","selectors":${JSON.stringify(selectors)}}]}`;
      const described = `indicator--${randomUUID()}`;
      const patterned = `indicator--${randomUUID()}`;
      const payload = `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[${escaped(described, '192.0.2.200', ['description'])},${escaped(patterned, '192.0.2.201', ['pattern'])}]}`;
      const posted = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload, headers: { authorization: `Bearer ${node.tokens['node-admin']}`, 'content-type': 'application/json' } });
      assert.equal(posted.statusCode, 200, posted.body);
      assert.equal((posted.json() as { summary: { accepted: number } }).summary.accepted, 2, posted.body);
      await node.detection.settled();
      const one = (await get(`/api/v1/objects/${described}`)).json() as StixObject;
      assert.equal(one.description, undefined);
      const page = await taxii(`objects/?match[id]=${described}`);
      assert.ok(page.body.includes(described), page.body);
      assert.ok(!page.body.includes('secret words'), page.body);
      // A hidden pattern is a hidden property STIX requires of an indicator (section 4.7): the
      // object is not shown, and lookups do not name it.
      assert.equal((await get(`/api/v1/objects/${patterned}`)).statusCode, 404);
      const lookup = (await get('/api/v1/lookup?value=192.0.2.201')).json() as { indicators: unknown[] };
      assert.deepEqual(lookup.indicators, []);
    });

    it('7.2.3: a redacted object is valid STIX: no selector points at removed content, list indexes follow the removal', async () => {
      const object = indicator({
        ...green,
        description: 'hidden',
        labels: ['hidden-label', 'shown-label'],
        granular_markings: [
          { marking_ref: RED, selectors: ['description', 'labels.[0]'] },
          { marking_ref: GREEN, selectors: ['description', 'name', 'labels.[1]'] },
        ],
      });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [object]);
      const seen = (await get(`/api/v1/objects/${object.id}`)).json() as StixObject;
      const checked = validateObject(seen);
      assert.ok(checked.ok, JSON.stringify(checked));
      assert.equal(seen.description, undefined);
      assert.deepEqual(seen['labels'], ['shown-label']);
      assert.deepEqual(seen.granular_markings, [{ marking_ref: GREEN, selectors: ['name', 'labels.[0]'] }]);
      assert.deepEqual(seen['x_shieldwall_redacted'], ['description', 'labels.[0]']);
      // TAXII serves the same object.
      const envelope = (await taxii(`objects/?match[id]=${object.id}`)).json() as { objects: StixObject[] };
      assert.deepEqual(envelope.objects, [seen]);
    });

    it('lookup, match and correlation answers leave out what a granular marking hides (confidence, validity, creator, names)', async () => {
      const family = malware({ name: 'Hidden name', is_family: false, ...green, granular_markings: [{ marking_ref: RED, selectors: ['name'] }] });
      const value = '192.0.2.77';
      const hidden = indicator({
        pattern: `[ipv4-addr:value = '${value}']`,
        confidence: 85,
        valid_until: '2099-01-01T00:00:00.000Z',
        created_by_ref: FEED,
        ...green,
        granular_markings: [{ marking_ref: RED, selectors: ['confidence', 'valid_until', 'created_by_ref'] }],
      });
      const plain = indicator({ pattern: `[ipv4-addr:value = '${value}']`, confidence: 40, created_by_ref: OTHER, ...green });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [family, hidden, plain, relationship(hidden.id, family.id)]);
      await node.detection.settled();
      const answer = (await get(`/api/v1/lookup?value=${value}`)).json() as { indicators: Array<Record<string, unknown>> };
      const hit = answer.indicators.find((h) => h['id'] === hidden.id);
      assert.ok(hit, JSON.stringify(answer));
      for (const key of ['confidence', 'valid_until', 'created_by_ref']) assert.equal(hit[key], undefined, `lookup carries ${key}`);
      assert.equal(hit['valid_from'], T0);
      assert.deepEqual(hit['related'], [{ id: family.id, type: 'malware', relationship: 'indicates' }]);
      assert.equal(answer.indicators.find((h) => h['id'] === plain.id)?.['confidence'], 40);

      const match = await node.app.inject({ method: 'POST', url: '/api/v1/match?format=lines', payload: `${value}\n`, headers: { authorization: `Bearer ${analyst}`, 'content-type': 'text/plain' } });
      const lines = match.body.trim().split('\n').map((l) => JSON.parse(l) as { match?: Record<string, unknown> });
      const matched = lines.find((l) => l.match?.['indicator'] === hidden.id);
      assert.ok(matched, match.body);
      assert.equal(matched.match!['confidence'], undefined, 'match carries confidence');

      const awareness = (await get(`/api/v1/detect/indicators/${plain.id}`)).json() as { correlated: Array<Record<string, unknown>> };
      const correlated = awareness.correlated.find((c) => c['id'] === hidden.id);
      assert.ok(correlated, JSON.stringify(awareness));
      assert.equal(correlated['created_by_ref'], null, 'correlation carries created_by_ref');
      const values = (await get('/api/v1/detect/correlations?limit=1000')).json() as { values: Array<{ value: string; indicators: Array<Record<string, unknown>> }> };
      const shared = values.values.find((v) => v.value === value);
      assert.ok(shared, JSON.stringify(values));
      assert.equal(shared.indicators.find((i) => i['id'] === hidden.id)?.['created_by_ref'], null, 'correlations carry created_by_ref');
    });

    it('/detect/sighted lists only indicators the reader may read', async () => {
      const unreadable = indicator({ pattern: "[ipv4-addr:value = '192.0.2.90']", object_marking_refs: [RED] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [unreadable, sighting(unreadable.id), sighting(unreadable.id, { where_sighted_refs: [OTHER] })]);
      const ranking = (await get('/api/v1/detect/sighted?limit=1000')).json() as { indicators: Array<{ id: string }> };
      assert.ok(!ranking.indicators.some((i) => i.id === unreadable.id), JSON.stringify(ranking));
    });

    it('3.6: old versions of an object re-marked stricter are not readable when its current version is not (REST, TAXII)', async () => {
      const v1 = indicator({ ...green, modified: '2024-03-01T10:00:00.000Z', created_by_ref: FEED });
      const v2 = { ...v1, modified: '2024-03-02T10:00:00.000Z', object_marking_refs: [RED] };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [v1, v2]);
      assert.equal((await get(`/api/v1/objects/${v1.id}`)).statusCode, 404);
      assert.equal((await get(`/api/v1/objects/${v1.id}?versions=all`)).statusCode, 404);
      assert.equal((await taxii(`objects/${v1.id}/versions/`)).statusCode, 404);
      assert.equal((await taxii(`objects/${v1.id}/?match[version]=all`)).statusCode, 404);
      const all = await taxii(`objects/?match[version]=all&match[id]=${v1.id}`);
      assert.ok(!all.body.includes(v1.id), all.body);
    });

    it('an originator still reads its own old versions', async () => {
      const v1 = indicator({ ...green, modified: '2024-03-01T10:00:00.000Z', created_by_ref: TEST_MEMBER_IDENTITY });
      const v2 = { ...v1, modified: '2024-03-02T10:00:00.000Z', object_marking_refs: [RED] };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [v1, v2]);
      const versions = (await get(`/api/v1/objects/${v1.id}?versions=all`)).json() as { versions: StixObject[] };
      assert.deepEqual(versions.versions.map((v) => v.modified), [v1.modified, v2.modified]);
    });

    it('pages skip unreadable rows without a trace: no empty or short page with a next cursor (REST, TAXII)', async () => {
      // The low user's member created these, but marked them above its clearance.
      const type = 'x-redaction-probe';
      const probe = (extra: Partial<StixObject>): StixObject => ({ type, spec_version: '2.1', id: `${type}--${randomUUID()}`, created: T0, modified: T0, x_n: 1, ...extra });
      const secret = Array.from({ length: 7 }, () => probe({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [SECRET] }));
      const shown = [probe(green), probe(green)];
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [shown[0]!, ...secret, shown[1]!]);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = (await get(`/api/v1/objects?type=${type}&limit=1${cursor ? `&cursor=${cursor}` : ''}`, low)).json() as { objects: StixObject[]; next?: string };
        assert.equal(page.objects.length, 1, `a page of ${page.objects.length} objects${page.next ? ' with a next cursor' : ''}`);
        seen.push(...page.objects.map((o) => o.id));
        cursor = page.next;
      } while (cursor);
      assert.deepEqual(seen, shown.map((o) => o.id));
      const first = (await taxii(`objects/?match[type]=${type}&limit=1`, low)).json() as { more?: boolean; next?: string; objects?: StixObject[] };
      assert.deepEqual(first.objects?.map((o) => o.id), [shown[0]!.id]);
      const second = await taxii(`objects/?match[type]=${type}&limit=1&next=${first.next}`, low);
      assert.deepEqual((second.json() as { objects?: StixObject[] }).objects?.map((o) => o.id), [shown[1]!.id]);
      assert.equal((second.json() as { more?: boolean }).more, undefined);
      // The last date_added a page names is that of an object the reader received.
      assert.equal(second.headers['x-taxii-date-added-last'], second.headers['x-taxii-date-added-first']);
    });
  });
}
