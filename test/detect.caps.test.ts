/**
 * However many indicators name a value, or rows are said about an indicator, what one request
 * reads and answers stays bounded, and what a reader may not read neither counts nor costs:
 * - a lookup names at most HITS_PER_VALUE indicators per value (the newest), saying so and how
 *   many the reader may know of;
 * - an indicator's awareness, and a correlated value, list at most CORRELATED_LIMIT indicators;
 * - a lookup's context reads at most CONTEXT_ROWS_PER_OBJECT rows (and CONTEXT_CHARS_PER_OBJECT of
 *   their text) about each indicator, only of rows the reader may read;
 * - the ranking of sightings hands the event loop to other requests between its pages, and is
 *   answered again for a short while without reading the sightings again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CONTEXT_CHARS_PER_OBJECT, CONTEXT_ROWS_PER_OBJECT, CORRELATED_LIMIT } from '../src/modules/detect/detect.context.js';
import { HITS_PER_VALUE } from '../src/modules/detect/detect.lookup.js';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { watchStoreReads } from './support/reads.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const DEU_ID = `identity--${randomUUID()}`;
const DEU_ONLY = `marking-definition--${randomUUID()}`;
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };
const deuOnly = { object_marking_refs: [DEU_ONLY] };

// One address named by the test member once (the oldest), by Germany past the cap, and last by
// Germany under a marking released to Germany alone.
const ADDRESS = '203.0.113.99';
const named = (by: string, marking: object) => indicator({ pattern: `[ipv4-addr:value = '${ADDRESS}']`, created_by_ref: by, ...marking });
const own = named(TEST_MEMBER_IDENTITY, green);
const many = Array.from({ length: HITS_PER_VALUE + 5 }, () => named(DEU_ID, green));
const secret = Array.from({ length: 10 }, () => named(DEU_ID, deuOnly));

// An indicator much is said about: relationships with long descriptions to many families (and
// older ones only Germany may read), and sightings past the cap (the oldest only Germany's).
const POPULAR = '198.51.100.200';
const popular = indicator({ pattern: `[ipv4-addr:value = '${POPULAR}']`, created_by_ref: TEST_MEMBER_IDENTITY, ...green });
const families = Array.from({ length: 40 }, (_, i) => malware({ name: `family ${i}`, ...green }));
const relationship = (target: string, marking: object, description: string): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: T0,
  modified: T0,
  relationship_type: 'indicates',
  source_ref: popular.id,
  target_ref: target,
  description,
  ...marking,
});
const hiddenFamily = malware({ name: 'Hidden family', ...green });
const hiddenLinks = Array.from({ length: 30 }, () => relationship(hiddenFamily.id, deuOnly, 'h'.repeat(2000)));
const longLinks = families.map((family) => relationship(family.id, green, 'd'.repeat(100_000)));
const sighting = (of: string, marking: object): StixObject => ({
  type: 'sighting',
  spec_version: '2.1',
  id: `sighting--${randomUUID()}`,
  created: T0,
  modified: T0,
  sighting_of_ref: of,
  count: 1,
  where_sighted_refs: [DEU_ID],
  created_by_ref: DEU_ID,
  ...marking,
});
const hiddenSightings = Array.from({ length: 20 }, () => sighting(popular.id, deuOnly));
const sightings = Array.from({ length: CONTEXT_ROWS_PER_OBJECT }, () => sighting(popular.id, green));

interface Answer {
  indicators: Array<{ id: string; related?: Array<{ id: string }>; related_truncated?: boolean; sighted?: { sightings: number; members: number; truncated?: boolean } }>;
  indicators_truncated?: boolean;
  indicators_total?: number;
}

for (const dialect of DIALECTS) {
  describe(`detection answers stay bounded (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let tst: string;
    let deu: string;

    const get = async <T>(url: string, token: string): Promise<T> => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as T;
    };
    const ingest = async (objects: StixObject[]) => {
      for (let i = 0; i < objects.length; i += 2000) {
        const batch = objects.slice(i, i + 2000);
        const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, batch);
        assert.equal(summary.accepted, batch.length, JSON.stringify(summary));
      }
    };
    /**
     * What the store answered while `work` ran: the characters of its text, those of the bodies of
     * relationships, and the ids of the objects whose bodies it answered.
     */
    const storeReads = async (work: () => Promise<unknown>): Promise<{ chars: number; relationshipChars: number; ids: Set<string> }> => {
      let chars = 0;
      let relationshipChars = 0;
      const ids = new Set<string>();
      await watchStoreReads(
        node.ctx.store,
        (value) => {
          chars += value.length;
          let object: StixObject;
          try {
            object = JSON.parse(value) as StixObject;
          } catch {
            return;
          }
          if (typeof object !== 'object' || object === null) return;
          ids.add(object.id);
          if (object.type === 'relationship') relationshipChars += value.length;
        },
        work,
      );
      return { chars, relationshipChars, ids };
    };

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu-analyst', member: 'DEU', clearance: 4, roles: ['analyst'] });
      deu = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu', user: 'deu-analyst' })).token;
      tst = node.tokens.analyst;
      await ingest([handlingMarkingDefinition({ id: DEU_ONLY, created: T0, classification: 'UNCLASSIFIED', releasableTo: ['DEU'] })]);
      await ingest([own]);
      await ingest(many);
      await ingest(secret);
      await ingest([popular, hiddenFamily, ...families]);
      await ingest(hiddenLinks);
      for (const link of longLinks) await ingest([link]);
      await ingest(hiddenSightings);
      await ingest(sightings);
      await node.detection.ready();
      await node.detection.contextReady();
    });
    after(async () => node?.close());

    it(`names at most ${HITS_PER_VALUE} indicators per value, the newest, with how many the reader may know of`, async () => {
      const forTst = await get<Answer>(`/api/v1/lookup?value=${ADDRESS}&context=false`, tst);
      assert.equal(forTst.indicators.length, HITS_PER_VALUE);
      assert.deepEqual([forTst.indicators_truncated, forTst.indicators_total], [true, HITS_PER_VALUE + 6]);
      // The oldest are left out: the test member's own, and Germany's first five.
      assert.deepEqual(new Set(forTst.indicators.map((h) => h.id)), new Set(many.slice(5).map((i) => i.id)));
      // Germany may read its restricted ones too: they are the newest, and counted.
      const forDeu = await get<Answer>(`/api/v1/lookup?value=${ADDRESS}&context=false`, deu);
      assert.deepEqual([forDeu.indicators.length, forDeu.indicators_truncated, forDeu.indicators_total], [HITS_PER_VALUE, true, HITS_PER_VALUE + 16]);
      assert.deepEqual(new Set(forDeu.indicators.map((h) => h.id)), new Set([...many.slice(15), ...secret].map((i) => i.id)));
      // Under the cap nothing is added to the answer.
      const few = await get<Answer & Record<string, unknown>>(`/api/v1/lookup?value=${POPULAR}&context=false`, tst);
      assert.deepEqual([few.indicators.length, 'indicators_truncated' in few, 'indicators_total' in few], [1, false, false]);
    });

    it(`correlates at most ${CORRELATED_LIMIT} indicators per indicator and per value, counting only what the reader may read`, async () => {
      const awareness = async (token: string) => get<{ correlated: Array<{ id: string }>; correlated_truncated?: boolean; correlated_total?: number }>(`/api/v1/detect/indicators/${own.id}`, token);
      const forTst = await awareness(tst);
      assert.deepEqual([forTst.correlated.length, forTst.correlated_truncated, forTst.correlated_total], [CORRELATED_LIMIT, true, HITS_PER_VALUE + 5]);
      assert.ok(!forTst.correlated.some((c) => secret.some((s) => s.id === c.id)), 'no indicator the reader may not read');
      const forDeu = await awareness(deu);
      assert.deepEqual([forDeu.correlated.length, forDeu.correlated_total], [CORRELATED_LIMIT, HITS_PER_VALUE + 15]);

      type Values = { values: Array<{ value: string; originators: number; indicators: unknown[]; indicators_truncated?: boolean; indicators_total?: number }> };
      const value = (await get<Values>('/api/v1/detect/correlations?kind=ipv4', tst)).values.find((v) => v.value === ADDRESS);
      assert.deepEqual([value?.originators, value?.indicators.length, value?.indicators_truncated, value?.indicators_total], [2, CORRELATED_LIMIT, true, HITS_PER_VALUE + 6]);
    });

    it(`reads at most ${CONTEXT_ROWS_PER_OBJECT} rows about an indicator and ${CONTEXT_CHARS_PER_OBJECT} characters of them, none the reader may not read`, async () => {
      let answer: Answer | undefined;
      const read = await storeReads(async () => (answer = await get<Answer>(`/api/v1/lookup?value=${POPULAR}`, tst)));
      const [hit] = answer!.indicators;
      assert.equal(hit?.id, popular.id);
      // Of 40 relationships of 100,000 characters each, about ten are read, and the answer says so.
      assert.ok(hit.related !== undefined && hit.related.length > 0 && hit.related.length < families.length, JSON.stringify(hit.related?.length));
      assert.equal(hit.related_truncated, true);
      assert.ok(read.relationshipChars <= CONTEXT_CHARS_PER_OBJECT, `${read.relationshipChars} characters of relationships read`);
      for (const hidden of [...hiddenLinks, ...hiddenSightings]) assert.ok(!read.ids.has(hidden.id), 'no body the reader may not read is read');
      // The sightings the reader may read are all counted; those it may not neither count nor take their place.
      assert.deepEqual([hit.sighted?.sightings, hit.sighted?.members, hit.sighted?.truncated], [CONTEXT_ROWS_PER_OBJECT, 1, undefined]);
      assert.ok(!hit.related.some((r) => r.id === hiddenFamily.id));

      const [forDeu] = (await get<Answer>(`/api/v1/lookup?value=${POPULAR}`, deu)).indicators;
      assert.deepEqual([forDeu?.sighted?.sightings, forDeu?.sighted?.truncated], [CONTEXT_ROWS_PER_OBJECT, true]);
      assert.ok(forDeu?.related?.some((r) => r.id === hiddenFamily.id), 'the older relationships Germany may read come first');
    });

    it('ranks sightings handing the event loop to other requests between pages, and answers a ranking again without reading them', async () => {
      let turns = 0;
      let counting = true;
      const tick = () => {
        turns++;
        if (counting) setImmediate(tick);
      };
      setImmediate(tick);
      const first = await get<{ indicators: Array<{ id: string; sightings: number }>; sightings_read: number }>('/api/v1/detect/sighted?limit=5', deu);
      counting = false;
      assert.deepEqual(first.indicators.map((e) => [e.id, e.sightings]), [[popular.id, CONTEXT_ROWS_PER_OBJECT + hiddenSightings.length]]);
      assert.ok(turns >= 2, `${turns} turns of the event loop while ${first.sightings_read} sightings were read`);
      const again = await storeReads(async () => assert.deepEqual(await get('/api/v1/detect/sighted?limit=5', deu), first));
      assert.ok(again.chars < 10_000, `${again.chars} characters read to answer it again`);
      // Another reader is not answered what Germany was.
      const forTst = await get<{ indicators: Array<{ id: string; sightings: number }> }>('/api/v1/detect/sighted?limit=5', tst);
      assert.deepEqual(forTst.indicators.map((e) => [e.id, e.sightings]), [[popular.id, CONTEXT_ROWS_PER_OBJECT]]);
    });

    it('never names, even from a ranking made a moment ago, an indicator the reader may no longer read', async () => {
      const target = indicator({ pattern: "[ipv4-addr:value = '192.0.2.201']", created_by_ref: DEU_ID, ...green });
      await ingest([target, sighting(target.id, green), sighting(target.id, green)]);
      const ranking = async () => (await get<{ indicators: Array<{ id: string }> }>('/api/v1/detect/sighted?limit=1000&min_members=1', tst)).indicators.map((e) => e.id);
      assert.ok((await ranking()).includes(target.id));
      await ingest([{ ...target, modified: '2024-03-02T10:00:00.000Z', ...deuOnly }]);
      assert.ok(!(await ranking()).includes(target.id));
    });
  });
}
