/**
 * An object's versions (STIX 2.1 section 3.6: each version shares the id, with its own modified)
 * are read in bounded answers: `?versions=all` gives the newest 1,000 and at most PAGE_CHARS of
 * text, with a cursor to older ones; the object page shows the newest 100. An object versioned
 * thousands of times is never read whole by one request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { analystNode, type TestNode } from '../../../test/support/node.js';
import { statementRuns } from '../../../test/support/statements.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { TAXII_MEDIA_TYPE } from '../taxii/taxii.service.js';
import { encodeVersionCursor } from './intel.read.js';
import { ingestObjects, PAGE_CHARS } from './intel.service.js';

/** `count` versions of one indicator, a millisecond apart, each `size` characters of description. */
function versionsOf(count: number, size = 0): StixObject[] {
  const first = indicator({ created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z' });
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_v, i) => ({ ...first, modified: new Date(start + i).toISOString(), ...(size > 0 ? { description: `v${i} `.padEnd(size, 'v') } : {}) }));
}

describe('an object\'s versions, in bounded answers (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let analyst: Principal;
  before(async () => ({ node, analyst } = await analystNode()));
  after(async () => node?.close());
  const get = (url: string) => node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${node.tokens.analyst}` } });

  it('pages 2,500 versions by 1,000, newest first, each answer oldest first; the object page shows the newest 100', async () => {
    const versions = versionsOf(2_500);
    const id = versions[0]!.id;
    assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, versions.length);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const answer = await get(`/api/v1/objects/${id}?versions=all${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(answer.statusCode, 200, answer.body);
      const body = JSON.parse(answer.body) as { versions: StixObject[]; next?: string };
      pages.push(body.versions.map((v) => v.modified!));
      cursor = body.next;
    } while (cursor !== undefined && pages.length < 10);
    assert.deepEqual(pages.map((page) => page.length), [1000, 1000, 500]);
    assert.deepEqual(pages.reverse().flat(), versions.map((v) => v.modified), 'every version once; within a page oldest first');
    const small = JSON.parse((await get(`/api/v1/objects/${id}?versions=all&limit=3`)).body) as { versions: StixObject[]; next?: string };
    assert.deepEqual(small.versions.map((v) => v.modified), versions.slice(-3).map((v) => v.modified));
    assert.ok(small.next);
    const context = JSON.parse((await get(`/api/v1/objects/${id}/context`)).body) as { versions: Array<{ object: StixObject }>; versions_more: boolean };
    assert.equal(context.versions.length, 100);
    assert.equal(context.versions.at(-1)!.object.modified, versions.at(-1)!.modified, 'the newest last');
    assert.equal(context.versions_more, true);
    // Asked wrongly: a clear 400 each.
    const bad = await get(`/api/v1/objects/${id}?versions=all&cursor=bm90LWEtY3Vyc29y`);
    assert.equal(bad.statusCode, 400);
    assert.equal((JSON.parse(bad.body) as { error: { code: string } }).error.code, 'SW_INVALID_CURSOR');
    assert.equal((await get(`/api/v1/objects/${id}?limit=5`)).statusCode, 400, 'limit pages versions only');
  });

  it('ends an answer of large versions at PAGE_CHARS, and an object with few versions has no cursor', async () => {
    const versions = versionsOf(5, Math.floor(PAGE_CHARS / 4.3));
    const id = versions[0]!.id;
    assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, versions.length);
    const first = JSON.parse((await get(`/api/v1/objects/${id}?versions=all`)).body) as { versions: StixObject[]; next?: string };
    assert.deepEqual(first.versions.map((v) => v.modified), versions.slice(1).map((v) => v.modified), 'the newest four');
    const rest = JSON.parse((await get(`/api/v1/objects/${id}?versions=all&cursor=${first.next}`)).body) as { versions: StixObject[]; next?: string };
    assert.deepEqual(rest.versions.map((v) => v.modified), [versions[0]!.modified]);
    assert.equal(rest.next, undefined);
    const context = JSON.parse((await get(`/api/v1/objects/${id}/context`)).body) as { versions: unknown[]; versions_more: boolean };
    assert.deepEqual([context.versions.length, context.versions_more], [4, true]);
  });

  it('leaves out older versions the reader may not read, without a cursor that would tell of them', async () => {
    // Versions under TLP:RED of another writer, then one under TLP:GREEN: the analyst reads the newest only.
    const versions = versionsOf(3_000).map((v, i, all) => ({ ...v, object_marking_refs: [i === all.length - 1 ? TLP2_MARKING_IDS.green : TLP2_MARKING_IDS.red] }));
    const id = versions[0]!.id;
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, versions);
    const answer = JSON.parse((await get(`/api/v1/objects/${id}?versions=all`)).body) as { versions: StixObject[]; next?: string };
    assert.deepEqual(answer.versions.map((v) => v.modified), [versions.at(-1)!.modified]);
    assert.equal(answer.next, undefined);
    const context = JSON.parse((await get(`/api/v1/objects/${id}/context`)).body) as { versions: unknown[]; versions_more: boolean };
    assert.deepEqual([context.versions.length, context.versions_more], [1, false]);
  });

  it('an object the reader may not read is not found, cursor or not', async () => {
    const hidden = indicator({ object_marking_refs: [TLP2_MARKING_IDS.red] });
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [hidden]);
    assert.equal((await get(`/api/v1/objects/${hidden.id}?versions=all`)).statusCode, 404);
    const crafted = encodeVersionCursor({ version: '9999', seq: Number.MAX_SAFE_INTEGER });
    assert.equal((await get(`/api/v1/objects/${hidden.id}?versions=all&cursor=${crafted}`)).statusCode, 404);
    // Where it reads the object, a cursor past its oldest version gives an empty answer.
    const own = indicator();
    await ingestObjects(node.ctx, analyst, [own]);
    const past = encodeVersionCursor({ version: '', seq: 0 });
    const empty = await get(`/api/v1/objects/${own.id}?versions=all&cursor=${past}`);
    assert.equal(empty.statusCode, 200);
    assert.deepEqual((JSON.parse(empty.body) as { versions: unknown[] }).versions, []);
  });
});

describe('first versions of listed ids, read a window at a time (sqlite, windows of 200 rows)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let analyst: Principal;
  before(async () => ({ node, analyst } = await analystNode('sqlite', { scanWindowRows: 200 })));
  after(async () => node?.close());

  it('answers TAXII match[version]=first with match[id] page by page, no statement reading more than a window of versions', async (t) => {
    // Three objects of 300 versions each: 900 rows under the listed ids, four windows and a half.
    const objects = [versionsOf(300), versionsOf(300), versionsOf(300)];
    for (const versions of objects) assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, 300);
    const ids = objects.map((versions) => versions[0]!.id);
    const manifest = async (next?: string) => {
      const answer = await node.app.inject({
        method: 'GET',
        url: `/taxii2/intel/collections/intel/manifest/?match[version]=first&match[id]=${ids.join(',')}&limit=1${next ? `&next=${next}` : ''}`,
        headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: TAXII_MEDIA_TYPE },
      });
      assert.equal(answer.statusCode, 200, answer.body);
      return JSON.parse(answer.body) as { objects?: Array<{ id: string; version: string }>; more?: boolean; next?: string };
    };
    const seen: Array<{ id: string; version: string }> = [];
    const runs = await statementRuns(t, node.ctx.store, async () => {
      let next: string | undefined;
      do {
        const page = await manifest(next);
        seen.push(...(page.objects ?? []).map(({ id, version }) => ({ id, version })));
        next = page.more ? page.next : undefined;
      } while (next !== undefined && seen.length < 10);
    });
    // Every object's first version once, in the order they were added.
    assert.deepEqual(seen, objects.map((versions) => ({ id: versions[0]!.id, version: versions[0]!.modified! })));
    // Before, one statement read the 900 rows of the listed ids at once.
    const largest = Math.max(...runs.map((run) => run.rows ?? 0));
    assert.ok(largest <= 200, `a statement answered ${largest} rows`);

    // One page of all three: each object's first version is looked up once for the page, not
    // once in each of the windows the page reads (about fifteen here).
    const lookups = await statementRuns(t, node.ctx.store, async () => {
      const page = await node.app.inject({
        method: 'GET',
        url: `/taxii2/intel/collections/intel/manifest/?match[version]=first&match[id]=${ids.join(',')}&limit=10`,
        headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: TAXII_MEDIA_TYPE },
      });
      assert.equal(page.statusCode, 200, page.body);
      assert.deepEqual((JSON.parse(page.body) as { objects: Array<{ id: string }> }).objects.map((object) => object.id), ids);
    });
    // The lookups read the versions' marking columns (the first is the oldest the reader may read),
    // the objects' current rows once, then the versions: halved while too many for one statement.
    const firstLookups = lookups.filter((run) => /^select "seq", "id", "version", "is_current"/.test(run.text) && /"created_by_ref"/.test(run.text));
    assert.ok(firstLookups.length >= 1 && firstLookups.length <= 2 * ids.length, `${firstLookups.length} lookups of first versions`);
  });
});

for (const dialect of DIALECTS) {
  describe(`every version of listed ids, read a window at a time (${dialect}, windows of 200 rows)`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let analyst: Principal;
    before(async () => ({ node, analyst } = await analystNode(dialect, { scanWindowRows: 200 })));
    after(async () => node?.close());

    it('answers TAXII match[version]=all with match[id] in order, each id given its share of a window', async (t) => {
      // Three objects of 300 versions each, added in turns (as a member versioning them over
      // time would): 900 rows under the listed ids, interleaved in date_added order.
      const objects = [versionsOf(300), versionsOf(300), versionsOf(300)];
      const interleaved = objects[0]!.flatMap((_v, i) => objects.map((versions) => versions[i]!));
      assert.equal((await ingestObjects(node.ctx, analyst, interleaved)).accepted, 900);
      const ids = objects.map((versions) => versions[0]!.id);
      const seen: Array<{ id: string; version: string }> = [];
      const runs = await statementRuns(t, node.ctx.store, async () => {
        let next: string | undefined;
        do {
          const answer = await node.app.inject({
            method: 'GET',
            url: `/taxii2/intel/collections/intel/manifest/?match[version]=all&match[id]=${ids.join(',')}&limit=1000${next ? `&next=${next}` : ''}`,
            headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: TAXII_MEDIA_TYPE },
          });
          assert.equal(answer.statusCode, 200, answer.body);
          const page = JSON.parse(answer.body) as { objects?: Array<{ id: string; version: string }>; more?: boolean; next?: string };
          seen.push(...(page.objects ?? []).map(({ id, version }) => ({ id, version })));
          next = page.more ? page.next : undefined;
        } while (next !== undefined && seen.length < 2_000);
      });
      // TAXII 2.1 section 3.4.2 (match[version]=all): every version, in the order added.
      assert.deepEqual(seen, interleaved.map((object) => ({ id: object.id, version: object.modified! })));
      // Before, one statement read the 900 rows of the listed ids for the page, sorted.
      const largest = Math.max(...runs.map((run) => run.rows ?? 0));
      assert.ok(largest <= 200, `a statement answered ${largest} rows`);
    });
  });
}

describe('current rows of listed ids, read without their older versions (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let analyst: Principal;
  before(async () => ({ node, analyst } = await analystNode('sqlite')));
  after(async () => node?.close());

  it('reads an object, and TAXII match[id] listings of the newest versions, through the index of current rows', async (t) => {
    const objects = [versionsOf(50), versionsOf(50)];
    for (const versions of objects) assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, 50);
    const ids = objects.map((versions) => versions[0]!.id);
    const runs = await statementRuns(t, node.ctx.store, async () => {
      const read = await get(`/api/v1/objects/${ids[0]}`);
      assert.equal(read.statusCode, 200, read.body);
      assert.equal((JSON.parse(read.body) as StixObject).modified, objects[0]![49]!.modified);
      const listed = await node.app.inject({
        method: 'GET',
        url: `/taxii2/intel/collections/intel/objects/?match[id]=${ids.join(',')}`,
        headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: TAXII_MEDIA_TYPE },
      });
      assert.equal(listed.statusCode, 200, listed.body);
      assert.deepEqual((JSON.parse(listed.body) as { objects: StixObject[] }).objects.map((object) => object.modified), objects.map((versions) => versions[49]!.modified));
    });
    // Each statement that asks for the current rows of ids is planned on the partial index of
    // current rows (migration 0019): through the (id_hash) index, an object of 10,000 versions
    // was 10,000 rows read for its one current row.
    const byId = runs.filter((run) => /\bfrom "?stix_objects"?\b/.test(run.text) && /"?id_hash"?\s*(=|in)/.test(run.text) && /"?is_current"?\s*=/.test(run.text));
    assert.ok(byId.length >= 2, `${byId.length} reads of current rows by id`);
    for (const run of byId) {
      const plan = (node.ctx.store.sqlite!.prepare(`explain query plan ${run.text}`).all(...(run.args as unknown[])) as Array<{ detail: string }>).map((step) => step.detail).join('; ');
      assert.match(plan, /stix_objects_current_id_hash/, `${run.text}\n  planned: ${plan}`);
    }
  });

  function get(url: string) {
    return node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
  }
});
