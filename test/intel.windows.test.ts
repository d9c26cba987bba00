/**
 * Listings and counts read the store in windows of SHIELDWALL_SCAN_WINDOW_ROWS rows
 * (intel.listing.ts): a search that matches little can no longer hold the node in one statement
 * over the whole store (on SQLite the node's thread waits for a statement to end).
 * - The windows change no answer: every listing (either way of paging, either order, every
 *   filter, a reader who reads most and one who reads little) and every count is the same with
 *   windows of 29 rows (16 windows over the store) as with one window over the whole store.
 * - A search for text no row holds, and the counts of GET /api/v1/stats, give the event loop a
 *   turn between windows (SQLite): other requests are answered meanwhile.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../src/core/context.js';
import { createUser, principalOfUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import { ingestObjects, intelStats, listObjects, type ListInput } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { createTestNode, TEST_MEMBER, type TestNode } from './support/node.js';
import { countTurns, SUITE_LIMIT_MS } from './support/wait.js';

const { green: GREEN, amber: AMBER, clear: CLEAR } = TLP2_MARKING_IDS;
const DEU_ID = `identity--${randomUUID()}`;
const FRA_ID = `identity--${randomUUID()}`;
/** RESTRICTED, released to DEU only: FRA's reader reads none of these. */
const DEU_ONLY = `marking-definition--${randomUUID()}`;
const tool = (name: string, extra: Partial<StixObject>): StixObject => ({ type: 'tool', spec_version: '2.1', id: `tool--${randomUUID()}`, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', name, ...extra });

/** Mixed objects: most of them DEU's, a few FRA's, some of every type and marking; the word 'quokka' in a few. */
function world(): StixObject[] {
  const out: StixObject[] = [{ type: 'identity', spec_version: '2.1', id: DEU_ID, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', name: 'DEU', identity_class: 'organization' }];
  for (let i = 0; i < 420; i++) {
    const by = i % 9 === 0 ? FRA_ID : DEU_ID;
    const refs = i % 5 === 0 ? [GREEN, DEU_ONLY] : i % 3 === 0 ? [AMBER] : i % 7 === 0 ? [CLEAR] : [GREEN];
    const marked = { created_by_ref: by, object_marking_refs: refs };
    const modified = `2026-0${1 + (i % 9)}-01T00:00:00.000Z`;
    if (i % 4 === 0) out.push(malware({ name: i % 37 === 0 ? `quokka family ${i}` : `family ${i}`, modified, ...marked }));
    else if (i % 11 === 0) out.push(tool(`tool ${i}`, { modified, ...marked }));
    else out.push(indicator({ name: `indicator ${i}`, modified, ...(i % 29 === 0 ? { description: `seen with the QUOKKA loader ${i}` } : {}), ...marked }));
  }
  return out;
}

const FILTERS: Array<Omit<ListInput, 'limit' | 'cursor'>> = [
  {},
  { q: 'quokka' },
  { q: 'a word no object holds' },
  { types: ['tool'] },
  { types: ['indicator', 'malware'] },
  { types: ['tool', 'malware', 'indicator', 'identity', 'campaign', 'report'] },
  { tlps: ['amber'] },
  { origin: TEST_MEMBER },
  { origin: 'FRA' },
  { modifiedAfter: '2026-07-15T00:00:00.000Z' },
  { q: 'quokka', types: ['malware'], tlps: ['green'] },
];

for (const dialect of DIALECTS) {
  describe(`listings and counts in windows (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let objects: StixObject[];
    /** Versions added later: older ones of some objects, newer ones of others. */
    let versions: StixObject[];
    const readers: Record<string, Principal> = {};
    /** The node's context with windows of `rows` rows. */
    const windowed = (rows: number): AppContext => ({ ...node.ctx, config: { ...node.ctx.config, scanWindowRows: rows } });

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DEU', identityId: DEU_ID },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FRA', identityId: FRA_ID },
      ]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'fra-reader', member: 'FRA', clearance: 0, roles: ['analyst'] });
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'deu-reader', member: 'DEU', clearance: 4, roles: ['analyst'] });
      readers.fra = (await principalOfUser(node.ctx, 'fra-reader'))!;
      readers.deu = (await principalOfUser(node.ctx, 'deu-reader'))!;
      readers.analyst = (await principalOfUser(node.ctx, 'test-analyst'))!;
      const definition = handlingMarkingDefinition({ id: DEU_ONLY, created: '2026-01-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: ['DEU'] });
      objects = [definition, ...world()];
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, objects);
      assert.equal(summary.accepted, objects.length, JSON.stringify(summary));
      // Older versions of some objects, added after them (out of order), and newer ones of others.
      const older = objects.filter((o, i) => o.type === 'indicator' && i % 6 === 0).map((o) => ({ ...o, modified: '2025-12-01T00:00:00.000Z' }));
      const newer = objects.filter((o, i) => o.type === 'malware' && i % 3 === 0).flatMap((o) => [1, 2, 3].map((k) => ({ ...o, modified: `2026-1${k - 1}-01T00:00:00.000Z` })));
      versions = [...older, ...newer];
      const again = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, versions);
      assert.equal(again.accepted, versions.length, JSON.stringify(again));
    });
    after(async () => node?.close());

    /** Every page of a listing, followed to its end: the ids, and how many pages. */
    const everything = async (ctx: AppContext, actor: Principal, input: ListInput) => {
      const ids: string[] = [];
      let pages = 0;
      for (let cursor: string | undefined; ; ) {
        const page = await listObjects(ctx, actor, { ...input, ...(cursor ? { cursor } : {}) });
        pages++;
        ids.push(...page.objects.map((o) => o.id));
        if (!page.next) return { ids, pages };
        assert.ok(page.objects.length > 0, 'a page with a next cursor holds objects');
        cursor = page.next;
      }
    };

    it('gives every listing as one window over the store would, in both orders and both ways of paging', async () => {
      let nonEmpty = 0;
      for (const [name, reader] of Object.entries(readers)) {
        for (const strategy of ['walk', 'ranges'] as const) {
          for (const descending of [false, true]) {
            for (const filter of FILTERS) {
              const input: ListInput = { ...filter, strategy, descending, limit: 23 };
              const whole = await everything(windowed(10_000_000), reader, input);
              const small = await everything(windowed(29), reader, input);
              assert.deepEqual(small.ids, whole.ids, `${name}, ${strategy}, descending ${descending}, ${JSON.stringify(filter)}`);
              if (whole.ids.length > 0) nonEmpty++;
            }
          }
        }
      }
      // The comparison is not between empty answers.
      assert.ok(nonEmpty >= 3 * 2 * 2 * 7, `${nonEmpty} listings found something`);
      // The readers differ: FRA reads neither DEU_ONLY nor AMBER rows of others... and DEU reads them.
      const fra = await everything(windowed(29), readers.fra!, { limit: 1000 });
      const deu = await everything(windowed(29), readers.deu!, { limit: 1000 });
      assert.ok(fra.ids.length < deu.ids.length && fra.ids.length > 0, `FRA lists ${fra.ids.length}, DEU ${deu.ids.length}`);
    });

    it('lists the first, the last and given versions as one window over the store would (TAXII match[version])', async () => {
      const wanted: Array<ListInput['versions']> = [{ first: true }, { first: true, last: true }, { first: true, exact: ['2026-11-01T00:00:00.000Z'] }, { all: true }, { exact: ['2025-12-01T00:00:00.000Z'] }];
      for (const [name, reader] of Object.entries(readers)) {
        for (const descending of [false, true]) {
          for (const v of wanted) {
            const input: ListInput = { versions: v, descending, limit: 17 };
            const whole = await everything(windowed(10_000_000), reader, input);
            const small = await everything(windowed(29), reader, input);
            assert.deepEqual(small.ids, whole.ids, `${name}, descending ${descending}, ${JSON.stringify(v)}`);
          }
        }
      }
      // The first versions DEU (who reads everything) lists are those of the objects, oldest of each.
      const first = new Map<string, string>();
      for (const o of [...objects, ...versions]) {
        const version = String(o.modified ?? o.created);
        if (!first.has(o.id) || version < first.get(o.id)!) first.set(o.id, version);
      }
      const listed = new Map<string, string>();
      for (let cursor: string | undefined; ; ) {
        const page = await listObjects(windowed(29), readers.deu!, { versions: { first: true }, limit: 50, ...(cursor ? { cursor } : {}) });
        for (const o of page.objects) {
          assert.ok(!listed.has(o.id), `${o.id} listed once`);
          listed.set(o.id, String(o.modified ?? o.created));
        }
        if (!page.next) break;
        cursor = page.next;
      }
      assert.deepEqual([...listed].sort(), [...first].sort());
      assert.ok(versions.length > 100, 'objects of several versions are listed');
    });

    it('counts what one window over the store counts, in every window of the statistics', async () => {
      for (const [name, reader] of Object.entries(readers)) {
        const day = 86_400_000;
        const since = new Date(Date.now() - 30 * day).toISOString();
        // A window that ends before the objects were added counts none of them.
        for (const input of [{}, { since, until: new Date(Date.now() + day).toISOString() }, { since, until: new Date(Date.now() - 2 * day).toISOString() }]) {
          const whole = await intelStats(windowed(10_000_000), reader, input);
          const small = await intelStats(windowed(29), reader, input);
          assert.deepEqual(small, whole, `${name}: ${JSON.stringify(input)}`);
          assert.ok(whole.versions > 0, `${name} counts some versions`);
        }
      }
      const all = await intelStats(windowed(29), readers.deu!, {});
      assert.equal(all.byType.reduce((sum, t) => sum + t.count, 0), objects.length, 'DEU, cleared to TOP SECRET, counts every object');
    });

    if (dialect === 'sqlite') {
      it('lets the event loop turn between windows while a search finds nothing, and while counting', async () => {
        const rows = objects.length;
        for (const [name, reader] of Object.entries(readers)) {
          for (const strategy of ['walk', 'ranges'] as const) {
            const turns = countTurns();
            const page = await listObjects(windowed(20), reader, { q: 'a word no object holds', strategy });
            const turned = turns.stop();
            assert.equal(page.objects.length, 0);
            // The walk examines every row; the ranges the reader's (fewer for FRA): at least a turn a window of them.
            const least = strategy === 'walk' ? Math.floor(rows / 20) - 2 : name === 'fra' ? 3 : Math.floor(rows / 4 / 20);
            assert.ok(turned >= least, `${name}, ${strategy}: ${turned} turns of the event loop during a search over ${rows} rows in windows of 20 (at least ${least})`);
          }
          const turns = countTurns();
          await intelStats(windowed(20), reader, { since: new Date(Date.now() - 86_400_000).toISOString() });
          const turned = turns.stop();
          assert.ok(turned >= Math.floor(rows / 20) - 2, `${name}: ${turned} turns while counting ${rows} rows in windows of 20`);
        }
      });
    }
  });
}
