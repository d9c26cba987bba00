/**
 * Pages bounded by their text as well as by their count: a page of large objects ends before its
 * count, with a cursor, as TAXII 2.1 lets a server answer fewer objects than the limit asked for
 * (section 3.4: "more" and "next"); read in small runs of rows, so that what a page holds while it
 * is built follows its text. Nothing is skipped or repeated across pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { indicator } from '../../../test/support/factories.js';
import { analystNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { ingestObjects, listObjects, PAGE_CHARS } from './intel.service.js';

const COLLECTION = '/taxii2/intel/collections/6f8a2c52-6f4d-4b57-9b0e-7d2f3c1a9e10';

describe('pages bounded by their text (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let analyst: Principal;
  before(async () => ({ node, analyst } = await analystNode()));
  after(async () => node?.close());

  it('ends a page early past its characters, never skips, repeats or splits an object, and gives a larger one alone', async () => {
    // 60 indicators of 2,000 to 20,000 characters, one of 60,000; every fourth is TLP:RED of another
    // writer, which the analyst does not read (so that runs of rows hold rows the page leaves out).
    const readable: StixObject[] = [];
    const all: StixObject[] = [];
    for (let i = 0; i < 61; i++) {
      const size = i === 30 ? 60_000 : 2_000 + ((i * 7_919) % 18_000);
      const hidden = i % 4 === 3;
      const object = indicator({ description: `d${i} `.padEnd(size, 'x'), ...(hidden ? { object_marking_refs: [TLP2_MARKING_IDS.red] } : {}) });
      all.push(object);
      if (!hidden) readable.push(object);
    }
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, all);
    const maxChars = 50_000;
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listObjects(node.ctx, analyst, { types: ['indicator'], limit: 1000, maxChars, ...(cursor ? { cursor } : {}) });
      pages++;
      const chars = page.objects.reduce((sum, object) => sum + JSON.stringify(object).length, 0);
      assert.ok(page.objects.length > 0, 'no empty page before the end');
      if (page.objects.length > 1) assert.ok(chars <= maxChars * 1.05, `page ${pages}: ${chars} characters in ${page.objects.length} objects`);
      else assert.ok(chars > maxChars / 2 || page.next === undefined, 'a page of one object is one too large to share a page, or the last');
      seen.push(...page.objects.map((object) => object.id));
      cursor = page.next;
    } while (cursor !== undefined && pages < 100);
    assert.deepEqual(seen, readable.map((object) => object.id), 'every readable object once, in date_added order');
    assert.ok(pages >= 8, `${pages} pages for ${readable.length} objects of about 11,000 characters`);
    // Without a bound on characters, one page holds them all (read in several runs of rows).
    const whole = await listObjects(node.ctx, analyst, { types: ['indicator'], limit: 1000 });
    assert.deepEqual(whole.objects.map((object) => object.id), seen);
    assert.equal(whole.next, undefined);
    // Newest first alike.
    const newest = await listObjects(node.ctx, analyst, { types: ['indicator'], limit: 1000, maxChars, descending: true });
    assert.ok(newest.next !== undefined && newest.objects.length < readable.length);
    assert.deepEqual(newest.objects.map((object) => object.id), [...seen].reverse().slice(0, newest.objects.length));
  });

  it('a TAXII page and a REST page of objects near the size limit end at PAGE_CHARS with a cursor', async () => {
    const size = Math.floor(PAGE_CHARS / 4.3);
    const large = Array.from({ length: 5 }, (_, i) => indicator({ description: `large ${i} `.padEnd(size, 'y') }));
    const ingested = await ingestObjects(node.ctx, analyst, large);
    assert.equal(ingested.accepted, large.length, JSON.stringify(ingested));
    const ids = large.map((object) => object.id).join(',');
    const auth = { authorization: `Bearer ${node.tokens.analyst}` };
    const taxii = await node.app.inject({ method: 'GET', url: `${COLLECTION}/objects/?match[id]=${ids}&limit=100`, headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
    assert.equal(taxii.statusCode, 200);
    const first = JSON.parse(taxii.body) as { objects: StixObject[]; more: boolean; next?: string };
    assert.equal(first.objects.length, 4, 'four of 4.3 to a page');
    assert.equal(first.more, true);
    assert.ok(taxii.body.length <= PAGE_CHARS + 10_000, `${taxii.body.length} characters`);
    const rest = await node.app.inject({ method: 'GET', url: `${COLLECTION}/objects/?match[id]=${ids}&limit=100&next=${encodeURIComponent(first.next!)}`, headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
    const second = JSON.parse(rest.body) as { objects: StixObject[]; more: boolean };
    assert.deepEqual([...first.objects, ...second.objects].map((object) => object.id), large.map((object) => object.id));
    assert.notEqual(second.more, true, "the last page");
    const api = await node.app.inject({ method: 'GET', url: `/api/v1/objects?ids=${ids}&limit=100`, headers: auth });
    assert.equal(api.statusCode, 200);
    const page = JSON.parse(api.body) as { objects: StixObject[]; next?: string };
    assert.equal(page.objects.length, 4);
    assert.ok(page.next !== undefined);
    // A manifest carries no bodies: all five in one page.
    const manifest = await node.app.inject({ method: 'GET', url: `${COLLECTION}/manifest/?match[id]=${ids}&limit=100`, headers: { ...auth, accept: 'application/taxii+json;version=2.1' } });
    assert.equal((JSON.parse(manifest.body) as { objects: unknown[] }).objects.length, 5);
  });
});
