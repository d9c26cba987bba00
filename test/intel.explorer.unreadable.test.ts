/**
 * What the intel explorer answers and does must not depend on rows the reader may not read
 * (docs/POLICY.md, docs/API.md "Intel explorer endpoints"):
 * - an object page counts as sightings of the object only the sightings the reader would list
 *   as such: one whose sighting_of_ref a granular marking hides (STIX 2.1 section 7.2.3) is
 *   none, nor is it counted;
 * - a search reads from the store only rows the reader may read by their markings, in either
 *   way of paging: text found only in unreadable descriptions costs what text found nowhere
 *   costs (no body of an unreadable row is read, whatever it holds);
 * - an object page examines at most CANDIDATES_EXAMINED rows per list, however many rows aim at
 *   the object, and says when it stopped there.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { CANDIDATES_EXAMINED, RELATIONSHIPS_LIMIT } from '../src/modules/intel/intel.context.js';
import { ingestObjects, listObjects, type ListInput } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { malware } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

interface Context {
  object: StixObject;
  relationships: Array<{ relationship: StixObject; direction: 'out' | 'in' }>;
  relationships_truncated: boolean;
  sightings: { count: number; sighted_by: number; members: string[]; recent: StixObject[]; truncated: boolean };
}

const { green: GREEN } = TLP2_MARKING_IDS;
const M0 = '2024-01-01T00:00:00.000Z';
const DEU_ID = `identity--${randomUUID()}`;
const FRA_ID = `identity--${randomUUID()}`;
/** CONFIDENTIAL, released to DEU only. */
const CONF_DEU = `marking-definition--${randomUUID()}`;
/** CONFIDENTIAL, released to the alliance: above FRA's reader (RESTRICTED), its own objects too. */
const CONF_ALL = `marking-definition--${randomUUID()}`;
const marked = (by: string, ...refs: string[]) => ({ created_by_ref: by, object_marking_refs: refs });
const hiding = (...selectors: string[]) => ({ granular_markings: [{ marking_ref: CONF_DEU, selectors }] });
const sighting = (of: string, extra: Partial<StixObject> = {}): StixObject => ({ type: 'sighting', spec_version: '2.1', id: `sighting--${randomUUID()}`, created: M0, modified: M0, sighting_of_ref: of, count: 1, ...extra });
const relationship = (source: string, target: string, extra: Partial<StixObject> = {}): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: M0,
  modified: M0,
  relationship_type: 'targets',
  source_ref: source,
  target_ref: target,
  ...extra,
});
const tool = (name: string, extra: Partial<StixObject> = {}): StixObject => ({ type: 'tool', spec_version: '2.1', id: `tool--${randomUUID()}`, created: M0, modified: M0, name, ...extra });

// M1: sightings of a green malware; three hide what they are sightings of from all but DEU.
const focus = malware({ name: 'Focus family', ...marked(DEU_ID, GREEN) });
const plainSighting = sighting(focus.id, marked(DEU_ID, GREEN));
const hiddenOf = Array.from({ length: 3 }, () => sighting(focus.id, { ...marked(DEU_ID, GREEN), ...hiding('sighting_of_ref') }));
// Who created it is hidden from FRA: counted, its member not named.
const hiddenBy = sighting(focus.id, { ...marked(DEU_ID, GREEN), ...hiding('created_by_ref') });

// M2: a word only in descriptions FRA may not read: DEU's, released to DEU only, and FRA's own above its clearance.
const WORD = 'zanzibar';
const deuSecrets = Array.from({ length: 300 }, (_, i) => malware({ name: `family ${i}`, description: `beacons to the ${WORD} relay ${i}`, ...marked(DEU_ID, GREEN, CONF_DEU) }));
const fraAbove = Array.from({ length: 50 }, (_, i) => malware({ name: `own family ${i}`, description: `the ${WORD} relay again ${i}`, ...marked(FRA_ID, GREEN, CONF_ALL) }));
const fraReadable = Array.from({ length: 20 }, (_, i) => tool(`tool ${i}`, marked(DEU_ID, GREEN)));

// L1: past the cap of candidates, relationships in to a tool, each withheld from FRA (its source_ref hidden).
const hub = tool('Hub', marked(DEU_ID, GREEN));
const oldestReadable = relationship(`malware--${randomUUID()}`, hub.id, marked(DEU_ID, GREEN));
const withheld = Array.from({ length: CANDIDATES_EXAMINED + 10 }, () => relationship(`malware--${randomUUID()}`, hub.id, { ...marked(DEU_ID, GREEN), ...hiding('source_ref') }));
// Past the cap of candidates, sightings everyone reads.
const popular = tool('Popular', marked(DEU_ID, GREEN));
const manySightings = Array.from({ length: CANDIDATES_EXAMINED + 5 }, () => sighting(popular.id, marked(DEU_ID, GREEN)));

for (const dialect of DIALECTS) {
  describe(`intel explorer: nothing of unreadable rows in answers or costs (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const tokens = { deu: '', fra: '' };
    const userOf = { deu: 'deu-analyst', fra: 'fra-analyst' } as const;

    const get = async <T>(url: string, token: string) => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as T;
    };
    const context = (id: string, reader: keyof typeof tokens) => get<Context>(`/api/v1/objects/${id}/context`, tokens[reader]);
    /** Every object a listing gives the reader, through the cursor. */
    const listAll = async (reader: keyof typeof tokens, query: string): Promise<StixObject[]> => {
      const objects: StixObject[] = [];
      let cursor: string | undefined;
      do {
        const page = await get<{ objects: StixObject[]; next?: string }>(`/api/v1/objects?limit=1000&${query}${cursor ? `&cursor=${cursor}` : ''}`, tokens[reader]);
        objects.push(...page.objects);
        cursor = page.next;
      } while (cursor);
      return objects;
    };
    const ingest = async (objects: StixObject[]) => {
      for (let i = 0; i < objects.length; i += 2000) {
        const batch = objects.slice(i, i + 2000);
        const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, batch);
        assert.equal(summary.accepted, batch.length, JSON.stringify(summary));
      }
    };
    /** Rows of stix_objects the store answered while `work` ran (listings read them through the adapter's prepared reads). */
    const rowsRead = async (work: () => Promise<unknown>): Promise<number> => {
      const adapter = node.ctx.store.adapter;
      const original = adapter.readCompiled;
      let rows = 0;
      adapter.readCompiled = async (query, shape) => {
        const answer = await original.call(adapter, query, shape);
        if (query.sql.includes('stix_objects')) rows += answer.length;
        return answer;
      };
      try {
        await work();
      } finally {
        adapter.readCompiled = original;
      }
      return rows;
    };

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_ID },
      ]);
      for (const [reader, member, clearance] of [['deu', 'DEU', 3], ['fra', 'FRA', 1]] as const) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: userOf[reader], member, clearance, roles: ['analyst'] });
        tokens[reader] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: userOf[reader], user: userOf[reader] })).token;
      }
      await ingest([
        handlingMarkingDefinition({ id: CONF_DEU, created: M0, classification: 'CONFIDENTIAL', releasableTo: ['DEU'] }),
        handlingMarkingDefinition({ id: CONF_ALL, created: M0, classification: 'CONFIDENTIAL', releasableTo: ['ALLIANCE'] }),
      ]);
      await ingest([focus, plainSighting, ...hiddenOf, hiddenBy]);
      await ingest([...fraReadable, ...deuSecrets, ...fraAbove]);
      await ingest([hub, oldestReadable]);
      await ingest(withheld);
      await ingest([popular, ...manySightings]);
    });
    after(async () => node?.close());

    it('counts as sightings of an object only those the reader would list as such (7.2.3: sighting_of_ref hidden: none)', async () => {
      const fra = (await context(focus.id, 'fra')).sightings;
      assert.deepEqual(
        { count: fra.count, sighted_by: fra.sighted_by, members: fra.members, recent: fra.recent.map((s) => s.id), truncated: fra.truncated },
        { count: 2, sighted_by: 1, members: ['DEU'], recent: [hiddenBy.id, plainSighting.id], truncated: false },
      );
      assert.equal(fra.recent[0]!.created_by_ref, undefined, 'FRA reads the sighting without its creator');
      const deu = (await context(focus.id, 'deu')).sightings;
      assert.deepEqual([deu.count, deu.members, deu.recent.length], [5, ['DEU'], 5]);
      // The count is what each reader lists.
      for (const reader of ['deu', 'fra'] as const) {
        const listed = (await listAll(reader, 'type=sighting')).filter((s) => s.sighting_of_ref === focus.id);
        assert.equal((await context(focus.id, reader)).sightings.count, listed.length, reader);
      }
    });

    it('a search reads no row the reader may not read, in either way of paging, whatever the text', async () => {
      const actor = (await principalOfUser(node.ctx, userOf.fra))!;
      for (const strategy of ['walk', 'ranges'] as const) {
        for (const descending of [false, true]) {
          const search = (q: string) => listObjects(node.ctx, actor, { q, strategy, descending, limit: 100 } satisfies ListInput);
          let found: StixObject[] = [];
          const word = await rowsRead(async () => (found = (await search(WORD)).objects));
          const nowhere = await rowsRead(() => search('qwertyuiop'));
          assert.deepEqual(found, [], `${strategy}: FRA reads none of them`);
          assert.equal(word, 0, `${strategy}, descending ${descending}: rows read for text only unreadable rows hold`);
          assert.equal(nowhere, 0, `${strategy}, descending ${descending}: rows read for text no row holds`);
          // Text FRA may read is still found (a label).
          const readable = await rowsRead(async () => assert.deepEqual((await search('tool 1')).objects.map((o) => o.id).sort(), [fraReadable[1]!, ...fraReadable.slice(10)].map((o) => o.id).sort()));
          assert.equal(readable, 11 + (strategy === 'ranges' ? 11 : 0), `${strategy}: the rows found (and their seqs, by ranges)`);
        }
      }
      // Over HTTP: DEU reads its own; FRA neither its own above its clearance nor DEU's.
      assert.equal((await listAll('deu', `q=${WORD}`)).length, deuSecrets.length + fraAbove.length);
      assert.deepEqual(await listAll('fra', `q=${WORD}`), []);
    });

    it("origin= of the reader's own member reads none of its objects above the reader's clearance", async () => {
      const actor = (await principalOfUser(node.ctx, userOf.fra))!;
      for (const strategy of ['walk', 'ranges'] as const) {
        const rows = await rowsRead(async () => {
          const page = await listObjects(node.ctx, actor, { origin: 'FRA', q: WORD, strategy });
          assert.deepEqual(page.objects, [], strategy);
        });
        assert.equal(rows, 0, `${strategy}: FRA's own objects above its clearance are not read`);
      }
    });

    it(`an object page examines at most ${CANDIDATES_EXAMINED} relationships per direction, and says so when it stops there`, async () => {
      const fra = await context(hub.id, 'fra');
      // FRA would read the oldest relationship, but it lies past the newest candidates, all withheld from FRA.
      assert.deepEqual(fra.relationships, []);
      assert.equal(fra.relationships_truncated, true);
      const deu = await context(hub.id, 'deu');
      assert.equal(deu.relationships.length, RELATIONSHIPS_LIMIT);
      assert.equal(deu.relationships_truncated, true);
      assert.equal(deu.relationships[0]!.relationship.id, withheld[withheld.length - 1]!.id);
      // Below the cap nothing changes: every readable one is found, and no truncation is said.
      const few = tool('Few', marked(DEU_ID, GREEN));
      const readable = relationship(`malware--${randomUUID()}`, few.id, marked(DEU_ID, GREEN));
      await ingest([few, readable, ...Array.from({ length: 30 }, () => relationship(`malware--${randomUUID()}`, few.id, { ...marked(DEU_ID, GREEN), ...hiding('source_ref') }))]);
      const small = await context(few.id, 'fra');
      assert.deepEqual([small.relationships.map((r) => r.relationship.id), small.relationships_truncated], [[readable.id], false]);
    });

    it(`counts and names sightings among the newest ${CANDIDATES_EXAMINED} candidates, saying so when more are stored`, async () => {
      for (const reader of ['deu', 'fra'] as const) {
        const { sightings } = await context(popular.id, reader);
        assert.deepEqual([sightings.count, sightings.members, sightings.truncated, sightings.recent.length], [CANDIDATES_EXAMINED, ['DEU'], true, 20], reader);
        assert.deepEqual(sightings.recent.map((s) => s.id), manySightings.slice(-20).reverse().map((s) => s.id), reader);
      }
      assert.equal((await context(focus.id, 'deu')).sightings.truncated, false);
    });
  });
}
