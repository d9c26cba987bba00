/**
 * Deleting an object with more versions than one SQL statement may name (SQLite takes 32,766
 * parameters): TAXII Delete an Object (TAXII 2.1 section 5.7) deletes them all, or the versions
 * asked for, and the newest remaining version becomes current.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { analystNode, createTestNode, type TestNode } from '../../../test/support/node.js';
import { statementsRun } from '../../../test/support/statements.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { fixedClock } from '../../core/clock.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';
import { TAXII_MEDIA_TYPE } from '../taxii/taxii.service.js';
import { deleteObject } from './intel.delete.js';
import { deletionsSince, DELETIONS_KEPT_MS, findVersions } from './intel.repo.js';
import { getObject, ingestObjects, listObjects } from './intel.service.js';

/** `count` versions of one indicator, a millisecond apart (STIX 2.1 section 3.6). */
function versionsOf(count: number): StixObject[] {
  const first = indicator({ created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z' });
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_v, i) => ({ ...first, modified: new Date(start + i).toISOString() }));
}

describe('deleting an object of many versions (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  /** An analyst of the test member: it creates the versions, so it may delete them. */
  let analyst: Principal;
  // A node whose bound of versions per object is raised past them (or a store written before it).
  before(async () => ({ node, analyst } = await analystNode('sqlite', { versionsPerObject: 40_000 })));
  after(async () => node?.close());

  it('deletes 33,000 versions, more than one statement may name', async () => {
    const versions = versionsOf(33_000);
    const id = versions[0]!.id;
    assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, versions.length);
    assert.equal(await deleteObject(node.ctx, analyst, id), versions.length);
    assert.deepEqual(await findVersions(node.ctx.store, id), []);
  });

  it('deletes the versions asked for among many, and the newest remaining one becomes current', async () => {
    const versions = versionsOf(3_000);
    const id = versions[0]!.id;
    await ingestObjects(node.ctx, analyst, versions);
    const newest = versions.at(-1)!.modified!;
    const asked = [newest, versions[10]!.modified!, '2030-01-01T00:00:00.000Z'];
    assert.equal(await deleteObject(node.ctx, analyst, id, { exact: asked }), 2, 'the two stored of the three asked for');
    assert.equal((await findVersions(node.ctx.store, id)).length, versions.length - 2);
    const current = await getObject(node.ctx, analyst, id);
    assert.equal(current.modified, versions.at(-2)!.modified, 'the newest remaining version is current');
  });
});

/** The SQL text of every statement `run` sends to the store (both SQLite connections, or any PostgreSQL client). */

for (const dialect of DIALECTS) {
  describe(`deleting the versions asked for (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let analyst: Principal;
    before(async () => ({ node, analyst } = await analystNode(dialect)));
    after(async () => node?.close());

    const MODIFIED = ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z'];
    /** An indicator stored in the five versions of MODIFIED, each with a description of some size. */
    const stored = async (): Promise<string> => {
      const first = indicator({ created: MODIFIED[0], description: 'd'.repeat(20_000) });
      assert.equal((await ingestObjects(node.ctx, analyst, MODIFIED.map((modified) => ({ ...first, modified })))).accepted, MODIFIED.length);
      return first.id;
    };
    const remaining = async (id: string) => (await findVersions(node.ctx.store, id)).map((row) => (JSON.parse(row.body) as StixObject).modified);

    it('deletes the oldest, the newest, a timestamp or every version, as before', async () => {
      const first = await stored();
      assert.equal(await deleteObject(node.ctx, analyst, first, { first: true }), 1);
      assert.deepEqual(await remaining(first), MODIFIED.slice(1));

      const last = await stored();
      assert.equal(await deleteObject(node.ctx, analyst, last, { last: true }), 1);
      assert.deepEqual(await remaining(last), MODIFIED.slice(0, 4));
      assert.equal((await getObject(node.ctx, analyst, last)).modified, MODIFIED[3], 'the newest remaining version is current');

      // A timestamp in another precision names the same version (STIX compares instants).
      const exact = await stored();
      assert.equal(await deleteObject(node.ctx, analyst, exact, { exact: ['2024-03-01T00:00:00Z', '2024-05-01T00:00:00.000000Z'] }), 2);
      assert.deepEqual(await remaining(exact), [MODIFIED[0], MODIFIED[2], MODIFIED[4]]);

      const both = await stored();
      assert.equal(await deleteObject(node.ctx, analyst, both, { first: true, last: true, exact: [MODIFIED[0]!] }), 2);
      assert.deepEqual(await remaining(both), MODIFIED.slice(1, 4));

      const all = await stored();
      assert.equal(await deleteObject(node.ctx, analyst, all, { all: true }), MODIFIED.length);
      assert.deepEqual(await remaining(all), []);
    });

    it('answers 404 for versions not stored, and leaves the object as it was', async () => {
      const id = await stored();
      await assert.rejects(deleteObject(node.ctx, analyst, id, { exact: ['2030-01-01T00:00:00.000Z'] }), { status: 404 });
      await assert.rejects(deleteObject(node.ctx, analyst, `indicator--${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { last: true }), { status: 404 });
      assert.deepEqual(await remaining(id), MODIFIED);
    });

    it('decides on the versions without reading their bodies', async (t) => {
      const id = await stored();
      const statements = await statementsRun(t, node.testStore.store, async () => {
        assert.equal(await deleteObject(node.ctx, analyst, id, { exact: [MODIFIED[2]!, '2030-01-01T00:00:00.000Z'] }), 1);
        assert.equal(await deleteObject(node.ctx, analyst, id, { first: true }), 1);
        await assert.rejects(deleteObject(node.ctx, analyst, id, { exact: ['2030-01-01T00:00:00.000Z'] }), { status: 404 });
      });
      assert.ok(statements.some((s) => s.includes('stix_objects')), 'the statements were seen');
      assert.deepEqual(statements.filter((s) => /"body"|\bbody\b/.test(s) && /select/i.test(s)), [], 'no body is read');
      assert.deepEqual(await remaining(id), [MODIFIED[1], MODIFIED[3], MODIFIED[4]]);
    });

    it('deletes through TAXII match[version]', async () => {
      const id = await stored();
      const headers = { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${node.tokens.analyst}` };
      const { collections } = (await node.app.inject({ method: 'GET', url: '/taxii2/intel/collections/', headers })).json() as { collections: Array<{ id: string; alias?: string }> };
      const objects = `/taxii2/intel/collections/${collections.find((c) => c.alias === 'intel')!.id}/objects/${id}/`;
      assert.equal((await node.app.inject({ method: 'DELETE', url: `${objects}?match[version]=2099-01-01T00:00:00.000Z`, headers })).statusCode, 404);
      assert.equal((await node.app.inject({ method: 'DELETE', url: `${objects}?match[version]=last`, headers })).statusCode, 200);
      assert.deepEqual(await remaining(id), MODIFIED.slice(0, 4));
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`a deleted sequence is not given again (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    // A clock that does not move: sequences are given one after another, as in a batch written
    // faster than one row a microsecond.
    before(async () => (node = await createTestNode(dialect, {}, undefined, fixedClock(new Date('2026-12-06T12:00:00.000Z')))));
    after(async () => node?.close());

    it('a row stored after the newest was deleted comes after it (TAXII 2.1 section 3.5: clients go on with added_after)', async () => {
      const clear = { object_marking_refs: [TLP2_MARKING_IDS.clear] };
      const [first, newest, next] = [indicator(clear), indicator(clear), indicator(clear)];
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [first]);
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [newest]);
      const read = await listObjects(node.ctx, SYSTEM_PRINCIPAL, { limit: 100 });
      const mark = read.dateAdded[read.objects.findIndex((o) => o.id === newest.id)]!;
      assert.equal(mark, Math.max(...read.dateAdded), 'the newest was read last');
      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, newest.id), 1);
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [next]);
      const poll = await listObjects(node.ctx, SYSTEM_PRINCIPAL, { addedAfterMicros: mark, limit: 100 });
      assert.deepEqual(poll.objects.map((o) => o.id), [next.id], 'the next poll finds the row stored since');
    });
  });
}


for (const dialect of DIALECTS) {
  describe(`objects deleted whole are recorded for the other processes (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const clock = fixedClock(new Date('2026-12-06T12:00:00.000Z'));
    before(async () => (node = await createTestNode(dialect, {}, undefined, clock)));
    after(async () => node?.close());

    it('records a whole deletion in order, not a version deleted, and keeps a record for a day', async () => {
      const clear = { object_marking_refs: [TLP2_MARKING_IDS.clear] };
      const [first, versioned, later] = [indicator(clear), indicator(clear), indicator(clear)];
      const newer = { ...versioned, modified: '2026-12-01T00:00:00.000Z' };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [first, versioned, newer, later]);
      const recorded = async () => (await deletionsSince(node.ctx.store.db, 0, 100)).map((d) => d.id);

      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, first.id), 1);
      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, versioned.id, { exact: [newer.modified] }), 1);
      assert.deepEqual(await recorded(), [first.id], 'a version deleted with another left is not a whole deletion');
      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, versioned.id), 1);
      assert.deepEqual(await recorded(), [first.id, versioned.id]);
      const [, second] = await deletionsSince(node.ctx.store.db, 0, 100);
      assert.deepEqual((await deletionsSince(node.ctx.store.db, second!.seq - 1, 100)).map((d) => d.id), [versioned.id], 'read on from the last record read');

      clock.advance(DELETIONS_KEPT_MS + 1000);
      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, later.id), 1);
      assert.deepEqual(await recorded(), [later.id], 'the records older than a day were pruned');
    });
  });
}
