/**
 * The intel explorer's API: listings newest first, searched in descriptions, filtered by
 * handling, with each object's handling; an object page in one answer (versions, relationships
 * with their other ends, sightings); counts of what was added in a window. Readers of two members
 * with different clearances and releasability see different answers, each exactly what the
 * need-to-know rule lets it read (docs/POLICY.md); what a granular marking hides (STIX 2.1
 * section 7.2.3) is neither searched nor shown through a filter or a count.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../src/core/clock.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects, listObjects, type ListInput } from '../src/modules/intel/intel.service.js';
import { STATS_COSTLY_MS, statsKept } from '../src/modules/intel/intel.pages.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, ipv4, malware } from './support/factories.js';
import { createTestNode, TEST_MEMBER, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

interface Handling {
  tlp: string | null;
  classification: number;
  classification_name: string | null;
  releasable_to: string[];
  origin: string | null;
}
interface Listing {
  objects: StixObject[];
  handling: Record<string, Handling>;
}
interface RelatedEnd {
  id: string;
  type: string;
  name?: string;
  readable: boolean;
  handling?: Handling;
}
interface Context {
  object: StixObject;
  handling: Handling;
  versions: Array<{ object: StixObject; handling: Handling }>;
  relationships: Array<{ relationship: StixObject; handling: Handling; direction: 'out' | 'in'; other: RelatedEnd }>;
  relationships_truncated: boolean;
  sightings: { count: number; sighted_by: number; members: string[]; recent: StixObject[]; truncated: boolean };
}
interface Window {
  since: string;
  until: string;
  added: number;
  by_type: Array<{ type: string; count: number }>;
  by_tlp: Array<{ tlp: string | null; count: number }>;
  by_classification: Array<{ level: number; name: string | null; count: number }>;
  by_day: Array<{ day: string; count: number }>;
}

const START = new Date('2025-01-10T12:00:00.000Z');
const DAY_MS = 86_400_000;
const { clear: CLEAR, green: GREEN, amber: AMBER, red: RED } = TLP2_MARKING_IDS;
const DEU_ID = `identity--${randomUUID()}`;
const FRA_ID = `identity--${randomUUID()}`;
const PTN_ID = `identity--${randomUUID()}`;
/** An identity outside the node: its objects are no member's own. */
const FEED_ID = `identity--${randomUUID()}`;
const SECRET_ALL = `marking-definition--${randomUUID()}`;
const CONF_DEU = `marking-definition--${randomUUID()}`;
const RESTR_ALL = `marking-definition--${randomUUID()}`;
const M0 = '2024-01-01T00:00:00.000Z';

const at = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, 1 + day, hour)).toISOString();
const marked = (by: string, ...refs: string[]) => ({ created_by_ref: by, object_marking_refs: refs });
const tool = (name: string, extra: Partial<StixObject> = {}): StixObject => ({ type: 'tool', spec_version: '2.1', id: `tool--${randomUUID()}`, created: M0, modified: M0, name, ...extra });
const intrusionSet = (name: string, extra: Partial<StixObject> = {}): StixObject => ({ type: 'intrusion-set', spec_version: '2.1', id: `intrusion-set--${randomUUID()}`, created: M0, modified: M0, name, ...extra });
const relationship = (source: string, type: string, target: string, extra: Partial<StixObject> = {}): StixObject => ({
  type: 'relationship',
  spec_version: '2.1',
  id: `relationship--${randomUUID()}`,
  created: M0,
  modified: M0,
  relationship_type: type,
  source_ref: source,
  target_ref: target,
  ...extra,
});
const sighting = (of: string, extra: Partial<StixObject> = {}): StixObject => ({
  type: 'sighting',
  spec_version: '2.1',
  id: `sighting--${randomUUID()}`,
  created: M0,
  modified: M0,
  sighting_of_ref: of,
  count: 1,
  ...extra,
});

/** The fixture, ingested once per dialect. */
const g1 = Array.from({ length: 6 }, (_, i) => indicator({ name: `g1-${i}`, created: at(i), modified: at(i), ...marked(DEU_ID, GREEN) }));
const g1v2 = { ...g1[0]!, name: 'g1-0 second version', modified: at(40) };
const g2 = Array.from({ length: 4 }, (_, i) => malware({ name: `g2-${i}`, created: at(10 + i), modified: at(10 + i), ...marked(DEU_ID, AMBER, SECRET_ALL) }));
const g3 = Array.from({ length: 3 }, (_, i) => indicator({ name: `g3-${i}`, created: at(20 + i), modified: at(20 + i), ...marked(FRA_ID, AMBER, CONF_DEU) }));
const g4 = Array.from({ length: 3 }, (_, i) => intrusionSet(`g4-${i}`, { created: at(30 + i), modified: at(30 + i), ...marked(FRA_ID, CLEAR, RESTR_ALL) }));
const g5 = Array.from({ length: 2 }, (_, i) => indicator({ name: `g5-${i}`, ...marked(FEED_ID, RED) }));
// 7.2.3: the description is marked for DEU's eyes only; the rest of the object is green.
const quokkaHidden = indicator({ name: 'relay watch', description: 'Beacons to the Quokka relay', ...marked(DEU_ID, GREEN), granular_markings: [{ marking_ref: CONF_DEU, selectors: ['description'] }] });
const quokkaShown = malware({ name: 'marsupial', description: 'QUOKKA in upper case', ...marked(FRA_ID, GREEN) });
const day1 = [
  ...Array.from({ length: 3 }, (_, i) => indicator({ name: `g6-${i}`, ...marked(FRA_ID, GREEN) })),
  ...Array.from({ length: 2 }, (_, i) => malware({ name: `g7-${i}`, ...marked(DEU_ID, SECRET_ALL) })),
];
const day2 = Array.from({ length: 2 }, (_, i) => tool(`g8-${i}`, marked(DEU_ID, GREEN)));

// The object page (added on day 10): F, its relationships out and in, its sightings.
const t1 = tool('Cobalt spoon', marked(DEU_ID, GREEN));
const secretFamily = malware({ name: 'Secret family', ...marked(DEU_ID, AMBER, SECRET_ALL) });
const focus = malware({ name: 'Focus family', ...marked(DEU_ID, GREEN) });
const fraIndicator = indicator({ name: 'Focus indicator', ...marked(FRA_ID, GREEN) });
const deuIndicator = indicator({ name: 'DEU-only indicator', ...marked(DEU_ID, CONF_DEU) });
const absentTool = `tool--${randomUUID()}`;
const outToTool = relationship(focus.id, 'uses', t1.id, marked(DEU_ID, GREEN));
const outToSecret = relationship(focus.id, 'variant-of', secretFamily.id, marked(DEU_ID, GREEN));
const outToAbsent = relationship(focus.id, 'uses', absentTool, marked(DEU_ID, GREEN));
const inFromFra = relationship(fraIndicator.id, 'indicates', focus.id, marked(FRA_ID, GREEN));
const inFromDeu = relationship(deuIndicator.id, 'indicates', focus.id, marked(DEU_ID, CONF_DEU));
const deuSightings = Array.from({ length: 22 }, () => sighting(focus.id, { ...marked(DEU_ID, GREEN), where_sighted_refs: [DEU_ID] }));
const fraSightings = Array.from({ length: 3 }, () => sighting(focus.id, { ...marked(FRA_ID, GREEN), where_sighted_refs: [FRA_ID] }));
const fraSecretSightings = Array.from({ length: 2 }, () => sighting(focus.id, marked(FRA_ID, CONF_DEU)));
// Who created it is marked for DEU's eyes only: others see the sighting, not its creator.
const tstSighting = sighting(focus.id, { ...marked(TEST_MEMBER_IDENTITY, GREEN), granular_markings: [{ marking_ref: CONF_DEU, selectors: ['created_by_ref'] }] });
const hub = tool('Hub tool', marked(DEU_ID, GREEN));
/** An observable: no timestamps, so never "modified before" anything. */
const address = ipv4('198.51.100.9', marked(DEU_ID, GREEN));
const hubGreen = Array.from({ length: 480 }, () => relationship(hub.id, 'related-to', t1.id, marked(DEU_ID, GREEN)));
const hubSecret = Array.from({ length: 40 }, () => relationship(hub.id, 'related-to', t1.id, marked(DEU_ID, CONF_DEU)));

/** The day of the store's clock (0: START's) on which each object's current version was added. */
const addedOn = new Map<string, number>();

const sortBy = <T>(list: T[], key: (t: T) => string) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

for (const dialect of DIALECTS) {
  describe(`intel explorer API (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const clock = fixedClock(START);
    /** Tokens by reader: deu (DEU, SECRET), fra (FRA, RESTRICTED), tst (TST, TOP SECRET), ptn (a partner, TOP SECRET). */
    const tokens: Record<'deu' | 'fra' | 'tst' | 'ptn', string> = { deu: '', fra: '', tst: '', ptn: '' };
    const READERS = ['deu', 'fra', 'tst', 'ptn'] as const;
    const userOf = { deu: 'deu-analyst', fra: 'fra-analyst', tst: 'test-analyst', ptn: 'ptn-analyst' } as const;

    const get = async <T>(url: string, token: string) => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      return { status: response.statusCode, body: response.json() as T };
    };
    /** Every page of a listing, through the cursor. */
    const listAll = async (token: string, query: string, limit = 1000): Promise<Listing & { pages: number }> => {
      const objects: StixObject[] = [];
      const handling: Record<string, Handling> = {};
      let cursor: string | undefined;
      let pages = 0;
      do {
        const { status, body } = await get<Listing & { next?: string }>(`/api/v1/objects?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`, token);
        assert.equal(status, 200, JSON.stringify(body));
        objects.push(...body.objects);
        Object.assign(handling, body.handling);
        cursor = body.next;
        pages++;
      } while (cursor);
      return { objects, handling, pages };
    };
    const ingest = async (objects: StixObject[]) => {
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, objects);
      assert.equal(summary.accepted, objects.length, JSON.stringify(summary));
      const day = Math.floor((clock.now().getTime() - START.getTime()) / DAY_MS);
      for (const object of objects) addedOn.set(object.id, day);
    };

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_ID },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_ID },
        { code: 'PTN', name: 'A partner', kind: 'partner', country: null, identityId: PTN_ID },
        { code: 'NOID', name: 'No identity yet', kind: 'ally', country: null, identityId: null },
      ]);
      for (const [reader, member, clearance] of [['deu', 'DEU', 3], ['fra', 'FRA', 1], ['ptn', 'PTN', 4]] as const) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: userOf[reader], member, clearance, roles: ['analyst'] });
        tokens[reader] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: userOf[reader], user: userOf[reader] })).token;
      }
      tokens.tst = node.tokens.analyst;
      await ingest([
        handlingMarkingDefinition({ id: SECRET_ALL, created: M0, classification: 'SECRET', releasableTo: ['ALLIANCE'] }),
        handlingMarkingDefinition({ id: CONF_DEU, created: M0, classification: 'CONFIDENTIAL', releasableTo: ['DEU'] }),
        handlingMarkingDefinition({ id: RESTR_ALL, created: M0, classification: 'RESTRICTED', releasableTo: ['ALLIANCE', 'PARTNERS'] }),
      ]);
      await ingest([...g1, g1v2, ...g2, ...g3, ...g4, ...g5, quokkaHidden, quokkaShown]);
      clock.advance(DAY_MS);
      await ingest(day1);
      clock.advance(DAY_MS);
      await ingest(day2);
      clock.advance(8 * DAY_MS);
      await ingest([t1, secretFamily, focus, fraIndicator, deuIndicator, hub, outToTool, outToSecret, outToAbsent, inFromFra, inFromDeu, address]);
      await ingest([...deuSightings, ...fraSightings, ...fraSecretSightings, tstSighting]);
      await ingest([...hubGreen, ...hubSecret]);
    });
    after(async () => node?.close());

    describe('GET /api/v1/objects', () => {
      it('answers each object with its handling: the marking columns the policy computed, by id', async () => {
        const deu = await listAll(tokens.deu, '');
        assert.deepEqual(Object.keys(deu.handling).sort(), deu.objects.map((o) => o.id).sort());
        const sorted = (h: Handling | undefined) => (h ? { ...h, releasable_to: [...h.releasable_to].sort() } : h);
        assert.deepEqual(sorted(deu.handling[g2[0]!.id]), { tlp: 'amber', classification: 3, classification_name: 'SECRET', releasable_to: ['ALLIANCE'], origin: 'DEU' });
        assert.deepEqual(sorted(deu.handling[g3[0]!.id]), { tlp: 'amber', classification: 2, classification_name: 'CONFIDENTIAL', releasable_to: ['DEU'], origin: 'FRA' });
        assert.deepEqual(sorted(deu.handling[g4[0]!.id]), { tlp: 'clear', classification: 1, classification_name: 'RESTRICTED', releasable_to: ['ALLIANCE', 'PARTNERS'], origin: 'FRA' });
        assert.deepEqual(sorted(deu.handling[g1[0]!.id]), { tlp: 'green', classification: 0, classification_name: 'UNCLASSIFIED', releasable_to: ['ALLIANCE'], origin: 'DEU' });
        assert.deepEqual(sorted(deu.handling[day1[3]!.id]), { tlp: null, classification: 3, classification_name: 'SECRET', releasable_to: ['ALLIANCE'], origin: 'DEU' });
        // The originating member of an object whose created_by_ref is hidden from the reader is not shown either.
        assert.equal(deu.handling[tstSighting.id]?.origin, TEST_MEMBER);
        const fra = await listAll(tokens.fra, 'type=sighting');
        assert.ok(fra.handling[tstSighting.id], 'FRA reads the sighting');
        assert.equal(fra.objects.find((o) => o.id === tstSighting.id)?.created_by_ref, undefined);
        assert.equal(fra.handling[tstSighting.id]!.origin, null);
      });

      it('ids= lists just those objects with their handling, leaving out the ones the reader may not read as if absent; ids and types are bounded', async () => {
        const deu = await listAll(tokens.deu, '');
        const fra = await listAll(tokens.fra, '');
        const deuOnly = deu.objects.find((o) => !fra.objects.some((f) => f.id === o.id))!;
        const both = deu.objects.find((o) => fra.objects.some((f) => f.id === o.id))!;
        assert.ok(deuOnly && both, 'the fixture has objects DEU reads and FRA does not, and objects both read');
        const absent = `indicator--${randomUUID()}`;
        const ids = [deuOnly.id, both.id, absent].join(',');
        const asDeu = (await get<Listing>(`/api/v1/objects?ids=${ids}`, tokens.deu)).body;
        assert.deepEqual(asDeu.objects.map((o) => o.id).sort(), [deuOnly.id, both.id].sort());
        assert.deepEqual(Object.keys(asDeu.handling).sort(), [deuOnly.id, both.id].sort());
        const asFra = (await get<Listing>(`/api/v1/objects?ids=${ids}`, tokens.fra)).body;
        assert.deepEqual(asFra.objects.map((o) => o.id), [both.id], 'an unreadable id is answered as an absent one');
        assert.deepEqual(Object.keys(asFra.handling), [both.id]);
        // At most 50 types, each a STIX type name (3.1).
        assert.equal((await get(`/api/v1/objects?type=${Array.from({ length: 51 }, (_, i) => `x-type-${i}`).join(',')}`, tokens.deu)).status, 400);
        assert.equal((await get('/api/v1/objects?type=Indicator;drop', tokens.deu)).status, 400);
        assert.equal((await get('/api/v1/objects?type=indicator,%20malware', tokens.deu)).status, 200);
        // At most 100 ids, each a STIX id.
        const many = Array.from({ length: 101 }, () => `indicator--${randomUUID()}`).join(',');
        assert.equal((await get(`/api/v1/objects?ids=${many}`, tokens.deu)).status, 400);
        assert.equal((await get('/api/v1/objects?ids=not-an-id', tokens.deu)).status, 400);
      });

      it('order=desc lists newest added first, and its cursor visits every readable object exactly once (both paging strategies)', async () => {
        for (const reader of READERS) {
          const actor = (await principalOfUser(node.ctx, userOf[reader]))!;
          const everything = (await listAll(tokens[reader], '')).objects.map((o) => o.id);
          for (const strategy of ['ranges', 'walk'] as const) {
            const pages = async (input: ListInput) => {
              const ids: string[] = [];
              let cursor: string | undefined;
              do {
                const page = await listObjects(node.ctx, actor, { ...input, limit: 37, strategy, ...(cursor ? { cursor } : {}) });
                ids.push(...page.objects.map((o) => o.id));
                assert.deepEqual(Object.keys(page.handling ?? {}).sort(), [...new Set(page.objects.map((o) => o.id))].sort());
                cursor = page.next;
              } while (cursor);
              return ids;
            };
            const ascending = await pages({});
            const descending = await pages({ descending: true });
            assert.deepEqual(ascending, everything, `${strategy}, ${reader}: the same listing as the REST API`);
            assert.equal(new Set(descending).size, descending.length, `${strategy}, ${reader}: no object twice`);
            assert.deepEqual(descending, [...ascending].reverse(), `${strategy}, ${reader}: newest first`);
            // With filters too: the index ranges and the walk give the same pages.
            const filtered = await pages({ descending: true, tlps: ['green', null], classifications: [0, 3], types: ['indicator', 'malware', 'sighting'] });
            const want = (await listAll(tokens[reader], 'tlp=green,none&classification=0,3&type=indicator,malware,sighting&order=desc')).objects.map((o) => o.id);
            assert.deepEqual(filtered, want, `${strategy}, ${reader}: filtered, newest first`);
          }
        }
        // Over HTTP, in small pages.
        const small = await listAll(tokens.deu, 'order=desc', 9);
        assert.ok(small.pages > 10);
        assert.deepEqual(small.objects.map((o) => o.id), (await listAll(tokens.deu, '')).objects.map((o) => o.id).reverse());
        const newest = (await get<Listing>('/api/v1/objects?order=desc&limit=1', tokens.fra)).body.objects[0]!;
        assert.equal(newest.id, hubGreen[hubGreen.length - 1]!.id, 'the newest FRA may read (the CONF_DEU relationships came after)');
      });

      it('a cursor pages on in the order it was issued for; another order is refused', async () => {
        const first = (await get<{ next: string }>('/api/v1/objects?limit=2', tokens.deu)).body;
        const refused = await get<{ error: { code: string; message: string } }>(`/api/v1/objects?limit=2&order=desc&cursor=${first.next}`, tokens.deu);
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error.code, 'SW_INVALID_CURSOR');
        assert.match(refused.body.error.message, /order=asc/);
      });

      it('q matches the description too, case-insensitive, but never text a granular marking hides from the reader (7.2.3)', async () => {
        const found = async (reader: keyof typeof tokens, q: string) => (await listAll(tokens[reader], `q=${encodeURIComponent(q)}`)).objects.map((o) => o.id).sort();
        assert.deepEqual(await found('deu', 'quokka'), [quokkaHidden.id, quokkaShown.id].sort());
        assert.deepEqual(await found('deu', 'qUoKkA ReLaY'), [quokkaHidden.id]);
        assert.deepEqual(await found('fra', 'quokka'), [quokkaShown.id]);
        assert.deepEqual(await found('tst', 'quokka'), [quokkaShown.id]);
        assert.deepEqual(await found('ptn', 'quokka'), []);
        // FRA still lists the object, without its description.
        const listed = (await listAll(tokens.fra, 'q=relay%20watch')).objects;
        assert.deepEqual(listed.map((o) => [o.id, o.description]), [[quokkaHidden.id, undefined]]);
        // The label as before; across both strategies of paging newest first.
        assert.deepEqual(await found('deu', 'g2-1'), [g2[1]!.id]);
        assert.deepEqual(await found('fra', 'g2-1'), []);
        for (const strategy of ['ranges', 'walk'] as const) {
          const actor = (await principalOfUser(node.ctx, userOf.fra))!;
          const page = await listObjects(node.ctx, actor, { q: 'QUOKKA', descending: true, strategy });
          assert.deepEqual(page.objects.map((o) => o.id), [quokkaShown.id], strategy);
        }
      });

      it('filters by tlp, classification, origin and modified_before hold exactly what the reader lists unfiltered that matches', async () => {
        /** The instant of an object's version (modified, else created), NaN without either. */
        const version = (o: StixObject) => Date.parse(typeof o.modified === 'string' ? o.modified : typeof o.created === 'string' ? o.created : '');
        const cases: Array<[string, (o: StixObject, h: Handling) => boolean]> = [
          ['tlp=clear', (_, h) => h.tlp === 'clear'],
          ['tlp=green', (_, h) => h.tlp === 'green'],
          ['tlp=amber,amber+strict', (_, h) => h.tlp === 'amber' || h.tlp === 'amber+strict'],
          ['tlp=amber%2Bstrict', (_, h) => h.tlp === 'amber+strict'],
          ['tlp=red', (_, h) => h.tlp === 'red'],
          ['tlp=none', (_, h) => h.tlp === null],
          ['tlp=WHITE', (_, h) => h.tlp === 'clear'],
          ['classification=UNCLASSIFIED', (_, h) => h.classification === 0],
          ['classification=secret', (_, h) => h.classification === 3],
          ['classification=2,RESTRICTED', (_, h) => h.classification === 2 || h.classification === 1],
          [`classification=${encodeURIComponent('TOP SECRET')}`, (_, h) => h.classification === 4],
          ['origin=DEU', (_, h) => h.origin === 'DEU'],
          ['origin=FRA', (_, h) => h.origin === 'FRA'],
          ['origin=TST', (_, h) => h.origin === 'TST'],
          ['origin=PTN', (_, h) => h.origin === 'PTN'],
          ['modified_before=2024-01-04T00:00:00.000Z', (o) => version(o) < Date.parse('2024-01-04T00:00:00.000Z')],
          ['modified_before=2024-01-31T00:00:00Z&modified_after=2024-01-11T12:00:00Z', (o) => version(o) > Date.parse('2024-01-11T12:00:00Z') && version(o) < Date.parse('2024-01-31T00:00:00Z')],
          ['tlp=amber&classification=3&origin=DEU&type=malware', (o, h) => h.tlp === 'amber' && h.classification === 3 && h.origin === 'DEU' && o.type === 'malware'],
        ];
        for (const reader of READERS) {
          const everything = await listAll(tokens[reader], '');
          for (const [query, keep] of cases) {
            const want = everything.objects.filter((o) => keep(o, everything.handling[o.id]!)).map((o) => o.id);
            for (const order of ['asc', 'desc']) {
              const got = await listAll(tokens[reader], `${query}&order=${order}`, 50);
              assert.deepEqual(got.objects.map((o) => o.id), order === 'asc' ? want : [...want].reverse(), `${reader}: ${query}, ${order}`);
            }
          }
        }
        // Need-to-know: the same filter, different answers by clearance and releasability.
        const ids = async (reader: keyof typeof tokens, query: string) => (await listAll(tokens[reader], query)).objects.map((o) => o.id).sort();
        assert.deepEqual(await ids('deu', 'classification=SECRET&type=malware'), [...g2, ...day1.slice(3), secretFamily].map((o) => o.id).sort());
        assert.deepEqual(await ids('fra', 'classification=SECRET'), []);
        assert.deepEqual(await ids('deu', 'classification=CONFIDENTIAL&type=indicator'), [...g3, deuIndicator].map((o) => o.id).sort());
        // FRA originated g3 but is not cleared for it: originating it is no way around the clearance.
        assert.deepEqual(await ids('fra', 'origin=FRA&type=indicator'), [...day1.slice(0, 3), fraIndicator].map((o) => o.id).sort());
        assert.deepEqual(await ids('ptn', 'origin=FRA'), g4.map((o) => o.id).sort());
        assert.deepEqual(await ids('deu', 'tlp=red'), []);
        // Who created the TST sighting is hidden from FRA: so is its answer to origin=TST.
        assert.deepEqual(await ids('deu', 'origin=TST'), [tstSighting.id]);
        assert.deepEqual(await ids('fra', 'origin=TST'), []);
        // A member without a STIX identity is known, and originates nothing.
        assert.deepEqual(await ids('deu', 'origin=NOID'), []);
      });

      it('answers 400 with the reason to a filter value it does not know', async () => {
        const refused: Array<[string, RegExp]> = [
          ['tlp=purple', /tlp 'purple' is not a list of TLP levels: use one or more of clear, green, amber, amber\+strict, red, none/],
          ['tlp=,', /tlp/],
          ['classification=COSMIC', /classification 'COSMIC' is not a level/],
          ['classification=5', /classification '5' is not a level/],
          ['origin=XYZ', /origin 'XYZ' is not the code of a member of this node/],
          ['origin=deu', /origin 'deu'/],
          ['modified_before=yesterday', /modified_before 'yesterday' is not a STIX timestamp/],
          ['order=sideways', /order/],
        ];
        for (const [query, message] of refused) {
          const { status, body } = await get<{ error: { code: string; message: string } }>(`/api/v1/objects?${query}`, tokens.deu);
          assert.equal(status, 400, query);
          assert.equal(body.error.code, 'SW_BAD_REQUEST', query);
          assert.match(`${body.error.message} ${JSON.stringify(body.error)}`, message, query);
        }
      });
    });

    describe('GET /api/v1/objects/:id/context', () => {
      const context = (id: string, reader: keyof typeof tokens) => get<Context>(`/api/v1/objects/${id}/context`, tokens[reader]);

      it('5.1: relationships out of and in to the object, newest first, each reader those it may read; an unreadable or absent other end is only its id and type', async () => {
        const shape = (c: Context) => c.relationships.map((r) => [r.relationship.id, r.direction, r.other.id, r.other.readable]);
        const deu = (await context(focus.id, 'deu')).body;
        assert.deepEqual(shape(deu), [
          [inFromDeu.id, 'in', deuIndicator.id, true],
          [inFromFra.id, 'in', fraIndicator.id, true],
          [outToAbsent.id, 'out', absentTool, false],
          [outToSecret.id, 'out', secretFamily.id, true],
          [outToTool.id, 'out', t1.id, true],
        ]);
        assert.equal(deu.relationships_truncated, false);
        const tool = deu.relationships.find((r) => r.other.id === t1.id)!;
        assert.deepEqual(tool.other, { id: t1.id, type: 'tool', name: 'Cobalt spoon', readable: true, handling: { tlp: 'green', classification: 0, classification_name: 'UNCLASSIFIED', releasable_to: ['ALLIANCE'], origin: 'DEU' } });
        assert.deepEqual(tool.relationship, outToTool);
        assert.equal(tool.handling.tlp, 'green');
        assert.equal(deu.relationships.find((r) => r.other.id === secretFamily.id)!.other.name, 'Secret family');
        const fra = (await context(focus.id, 'fra')).body;
        assert.deepEqual(shape(fra), [
          [inFromFra.id, 'in', fraIndicator.id, true],
          [outToAbsent.id, 'out', absentTool, false],
          [outToSecret.id, 'out', secretFamily.id, false],
          [outToTool.id, 'out', t1.id, true],
        ]);
        // Of an end FRA may not read, nothing but what the relationship says; the same as of an id the node does not hold.
        assert.deepEqual(fra.relationships.find((r) => r.other.id === secretFamily.id)!.other, { id: secretFamily.id, type: 'malware', readable: false });
        assert.deepEqual(fra.relationships.find((r) => r.other.id === absentTool)!.other, { id: absentTool, type: 'tool', readable: false });
        assert.ok(!JSON.stringify(fra).includes('Secret family'));
        assert.ok(!JSON.stringify(fra).includes(deuIndicator.id));
        // TST (TOP SECRET, an ally) reads the SECRET family, not what is released to DEU only.
        assert.deepEqual(shape((await context(focus.id, 'tst')).body).map((r) => r[3]), [true, false, true, true]);
      });

      it('5.2: sightings counted and named by their originating members as each reader may read them, the newest 20 shown', async () => {
        const deu = (await context(focus.id, 'deu')).body.sightings;
        assert.equal(deu.count, 22 + 3 + 2 + 1);
        assert.deepEqual(deu.members, ['DEU', 'FRA', 'TST']);
        assert.equal(deu.sighted_by, 3);
        const newestFirst = [...deuSightings, ...fraSightings, ...fraSecretSightings, tstSighting].reverse();
        assert.deepEqual(deu.recent.map((s) => s.id), newestFirst.slice(0, 20).map((s) => s.id));
        const fra = (await context(focus.id, 'fra')).body.sightings;
        assert.equal(fra.count, 22 + 3 + 1);
        // FRA reads TST's sighting without its creator: TST is not named to it.
        assert.deepEqual(fra.members, ['DEU', 'FRA']);
        assert.equal(fra.sighted_by, 2);
        const fraNewest = [...deuSightings, ...fraSightings, tstSighting].reverse();
        assert.deepEqual(fra.recent.map((s) => s.id), fraNewest.slice(0, 20).map((s) => s.id));
        assert.equal(fra.recent[0]!.created_by_ref, undefined);
        // TST reads who created its own sighting (it originated it).
        const tst = (await context(focus.id, 'tst')).body.sightings;
        assert.deepEqual([tst.count, tst.members], [26, ['DEU', 'FRA', 'TST']]);
      });

      it('answers the object, its handling and every version it may read, oldest first (3.6)', async () => {
        const { status, body } = await context(g1[0]!.id, 'fra');
        assert.equal(status, 200);
        assert.deepEqual(body.object, g1v2);
        assert.equal(body.handling.origin, 'DEU');
        assert.deepEqual(body.versions.map((v) => v.object), [g1[0], g1v2]);
        assert.deepEqual(body.versions.map((v) => v.handling.tlp), ['green', 'green']);
        assert.deepEqual([body.relationships, body.relationships_truncated, body.sightings], [[], false, { count: 0, sighted_by: 0, members: [], recent: [], truncated: false }]);
        // The object as FRA sees it: without what a granular marking hides.
        const hidden = (await context(quokkaHidden.id, 'fra')).body;
        assert.equal(hidden.object.description, undefined);
        assert.equal(hidden.versions[0]!.object.description, undefined);
      });

      it('caps relationships at 500, saying so only when more are readable', async () => {
        const deu = (await context(hub.id, 'deu')).body;
        assert.equal(deu.relationships.length, 500);
        assert.equal(deu.relationships_truncated, true);
        assert.equal(deu.relationships[0]!.relationship.id, hubSecret[hubSecret.length - 1]!.id);
        const fra = (await context(hub.id, 'fra')).body;
        assert.equal(fra.relationships.length, 480);
        assert.equal(fra.relationships_truncated, false);
        assert.deepEqual(fra.relationships.map((r) => r.relationship.id), hubGreen.map((r) => r.id).reverse());
        assert.ok(fra.relationships.every((r) => r.direction === 'out' && r.other.readable && r.other.name === 'Cobalt spoon'));
      });

      it('answers an object the reader may not read exactly as an unknown id (404)', async () => {
        const hidden = await context(secretFamily.id, 'fra');
        const unknownId = `malware--${randomUUID()}`;
        const unknown = await context(unknownId, 'fra');
        assert.equal(hidden.status, 404);
        const answer = (body: unknown, id: string) => {
          const { error } = JSON.parse(JSON.stringify(body).replaceAll(id, 'ID')) as { error: Record<string, unknown> };
          assert.match(String(error['request_id']), /./);
          delete error['request_id'];
          return error;
        };
        assert.deepEqual(answer(hidden.body, secretFamily.id), answer(unknown.body, unknownId));
        assert.equal((await context(focus.id, 'ptn')).status, 404, 'released to ALLIANCE: not to a partner');
        assert.equal((await context('not-an-id', 'deu')).status, 400);
      });
    });

    describe('GET /api/v1/stats', () => {
      type Stats = { byType: Array<{ type: string; count: number }>; versions: number; window?: Window };
      const stats = (query: string, reader: keyof typeof tokens) => get<Stats & { error?: { code: string; message: string } }>(`/api/v1/stats${query ? `?${query}` : ''}`, tokens[reader]);

      it('without since: as before, no window', async () => {
        const { status, body } = await stats('', 'deu');
        assert.equal(status, 200);
        assert.equal(body.window, undefined);
        assert.ok(body.byType.length > 0);
      });

      it('counts what each reader may read that was added in the window: by type, TLP, classification and day', async () => {
        const since = '2025-01-10T00:00:00.000Z';
        const until = '2025-01-11T23:59:59.999Z';
        const windows: Window[] = [];
        for (const reader of READERS) {
          const { status, body } = await stats(`since=${since}&until=${until}`, reader);
          assert.equal(status, 200, JSON.stringify(body));
          const w = body.window!;
          // The expected counts: what the reader lists, of what was added on days 0 and 1.
          const listed = await listAll(tokens[reader], '');
          const inWindow = listed.objects.filter((o) => (addedOn.get(o.id) ?? 99) <= 1);
          const count = <K>(key: (o: StixObject) => K) => {
            const counts = new Map<K, number>();
            for (const o of inWindow) counts.set(key(o), (counts.get(key(o)) ?? 0) + 1);
            return counts;
          };
          assert.deepEqual([w.since, w.until, w.added], [since, until, inWindow.length], reader);
          assert.deepEqual(sortBy(w.by_type, (t) => t.type), sortBy([...count((o) => o.type)].map(([type, n]) => ({ type, count: n })), (t) => t.type), reader);
          assert.deepEqual(sortBy(w.by_tlp, (t) => String(t.tlp)), sortBy([...count((o) => listed.handling[o.id]!.tlp)].map(([tlp, n]) => ({ tlp, count: n })), (t) => String(t.tlp)), reader);
          const names = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'];
          assert.deepEqual(w.by_classification, [...count((o) => listed.handling[o.id]!.classification)].map(([level, n]) => ({ level, name: names[level], count: n })).sort((a, b) => a.level - b.level), reader);
          const perDay = count((o) => addedOn.get(o.id)!);
          assert.deepEqual(w.by_day, [{ day: '2025-01-10', count: perDay.get(0) ?? 0 }, { day: '2025-01-11', count: perDay.get(1) ?? 0 }], reader);
          windows.push(w);
        }
        const [deu, fra] = windows;
        assert.notDeepEqual(deu!.by_classification, fra!.by_classification, 'two readers, two answers');
        assert.ok(!fra!.by_classification.some((c) => c.level > 1), 'FRA counts nothing above its clearance');
        assert.deepEqual(deu!.by_day.map((d) => d.count), [3 + 6 + 4 + 3 + 3 + 1 + 1, 3 + 2]);
      });

      it('until defaults to now; a window over everything counts every readable current object', async () => {
        for (const reader of READERS) {
          const { body } = await stats('since=2025-01-09T00:00:00Z', reader);
          const w = body.window!;
          assert.equal(w.until, clock.now().toISOString());
          assert.equal(w.by_day.length, 12);
          assert.equal(w.added, body.byType.reduce((n, t) => n + t.count, 0), reader);
          assert.equal(w.by_day[0]!.count, 0);
        }
      });

      it('answers 400 to a window it cannot count', async () => {
        const refused: Array<[string, RegExp]> = [
          ['since=yesterday', /since 'yesterday' is not a STIX timestamp/],
          ['since=2025-01-10T00:00:00Z&until=soon', /until 'soon' is not a STIX timestamp/],
          ['since=2025-01-10T00:00:00Z&until=2025-01-09T00:00:00Z', /must start before it ends/],
          ['since=2024-01-01T00:00:00Z&until=2025-01-02T00:00:00Z', /longer than 366 days/],
          ['until=2025-01-02T00:00:00Z', /until needs since/],
        ];
        for (const [query, message] of refused) {
          const { status, body } = await stats(query, 'deu');
          assert.equal(status, 400, query);
          assert.equal(body.error?.code, 'SW_BAD_REQUEST');
          assert.match(body.error!.message, message, query);
        }
        assert.equal((await stats('since=2024-01-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'deu')).status, 200, '366 days exactly');
      });

      it('gives costly counts again to the same reader for a while, never to another reader nor for another window, nor after a write', async () => {
        const kept = statsKept(node.ctx);
        const indicators = (body: Stats) => body.byType.find((t) => t.type === 'indicator')?.count ?? 0;
        const counted = indicator({ pattern: "[domain-name:value = 'counted.example']", object_marking_refs: [TLP2_MARKING_IDS.clear] });
        await ingest([counted]);
        try {
          kept.costlyMs = Number.POSITIVE_INFINITY;
          const fra = indicators((await stats('', 'fra')).body);
          kept.costlyMs = 0;
          const deu = indicators((await stats('', 'deu')).body);
          // A change no event of this process tells of, as another process's write on the store.
          await node.ctx.store.db.updateTable('stix_objects').set({ is_current: 0 }).where('id', '=', counted.id).execute();
          assert.equal(indicators((await stats('', 'deu')).body), deu, 'the same reader is given its count again');
          assert.equal(indicators((await stats('', 'fra')).body), fra - 1, "another reader is counted now, never given the first one's");
          assert.equal(indicators((await stats('since=2025-01-09T00:00:00Z', 'deu')).body), deu - 1, 'another window of the same reader is counted now');
          // Objects stored through this node: every reader is counted again.
          await ingest([1, 2].map((i) => indicator({ pattern: `[domain-name:value = 'counted-${i}.example']`, object_marking_refs: [TLP2_MARKING_IDS.clear] })));
          assert.equal(indicators((await stats('', 'deu')).body), deu + 1);
        } finally {
          kept.costlyMs = STATS_COSTLY_MS;
        }
      });
    });
  });
}
