/**
 * Several processes on one store (a second server process on PostgreSQL, a command on the SQLite
 * file): a marking-definition deleted by one, and perhaps defined anew with other handling (by
 * the member whose id it then is), marks what is written through another with what the store
 * holds, not with what that process read of the definition before. STIX 2.1 section 7.2.1: a
 * definition never changes once accepted; deleted, its id is free again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createContext } from '../src/app.js';
import { fixedClock } from '../src/core/clock.js';
import type { AppContext } from '../src/core/context.js';
import { openStore, type Store } from '../src/db/database.js';
import { deletionsSince, DELETIONS_KEPT_MS } from '../src/modules/intel/intel.repo.js';
import { deleteObject, handlingTable, ingestObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS, UNRESOLVED_CLASSIFICATION } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, POSTGRES_URL, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { statementRuns } from './support/statements.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const created = '2026-12-01T00:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`a marking-definition deleted by another process (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: Store;
    let elsewhere: AppContext;

    before(async () => {
      node = await createTestNode(dialect, {});
      other = dialect === 'sqlite' ? openStore(node.testStore.url) : openStore(POSTGRES_URL, { schema: node.testStore.schema! });
      elsewhere = createContext({ config: node.ctx.config, store: other, logger: node.ctx.logger });
    });
    after(async () => {
      await other?.close();
      await node?.close();
    });

    const columnsOf = async (id: string) => node.ctx.store.db.selectFrom('stix_objects').select(['tlp', 'classification', 'releasability']).where('id', '=', id).executeTakeFirstOrThrow();
    const written = async (ctx: AppContext, objects: StixObject[]) => assert.equal((await ingestObjects(ctx, SYSTEM_PRINCIPAL, objects)).accepted, objects.length);

    it('marks what is written here with the definition defined anew there, not the one deleted', async () => {
      const id = `marking-definition--${randomUUID()}`;
      const open = handlingMarkingDefinition({ id, created, classification: 'UNCLASSIFIED', releasableTo: ['*'] });
      const first = indicator({ object_marking_refs: [id] });
      // This process reads the definition (its marking table holds it) and marks an object with it.
      await written(node.ctx, [open, first]);
      const before = await columnsOf(first.id);
      assert.equal(before.releasability, ',*,');

      // The other process deletes it and defines the id anew, closed to one member.
      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, id), 1);
      await written(elsewhere, [handlingMarkingDefinition({ id, created, classification: 'SECRET', releasableTo: ['FRA'] })]);
      const there = indicator({ object_marking_refs: [id] });
      await written(elsewhere, [there]);

      const here = indicator({ object_marking_refs: [id] });
      await written(node.ctx, [here]);
      assert.deepEqual(await columnsOf(here.id), await columnsOf(there.id), 'marked as the other process marks it');
      assert.notDeepEqual(await columnsOf(here.id), before, 'not with the definition deleted');
      assert.equal((await columnsOf(here.id)).releasability, ',FRA,');

      // Reads (granular markings are redacted with it) take the new definition within HANDLING_CHECK_MS.
      await waitFor('the marking table of this process holds the definition defined anew', async () => (await handlingTable(node.ctx)).get(id)?.releasableTo?.join() === 'FRA');
    });

    it('leaves what is written here waiting for a definition deleted there', async () => {
      const id = `marking-definition--${randomUUID()}`;
      await written(node.ctx, [handlingMarkingDefinition({ id, created, classification: 'UNCLASSIFIED', releasableTo: ['*'] }), indicator({ object_marking_refs: [id] })]);
      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, id), 1);
      const here = indicator({ object_marking_refs: [id] });
      await written(node.ctx, [here]);
      assert.equal((await columnsOf(here.id)).classification, UNRESOLVED_CLASSIFICATION, 'readable by nobody until a definition of that id is stored');
    });

    it('reads one deletion record, not each, after a member deleted many other objects there', async (t: TestContext) => {
      // This process's table reflects every deletion so far.
      await written(node.ctx, [indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] })]);
      const many = Array.from({ length: 300 }, () => indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] }));
      await written(elsewhere, many);
      for (const object of many) assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, object.id), 1);

      const here = indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] });
      const runs = await statementRuns(t, node.ctx.store, () => written(node.ctx, [here]));
      const ofDeletions = runs.filter((run) => run.text.includes('intel_deletions'));
      assert.ok(ofDeletions.length > 0, `the write looked at the deletion records: ${runs.map((run) => run.text).join(' | ')}`);
      // Under the writer lock: the newest record, the first after the last read (the gap check),
      // and the definitions among the rest (none), picked by the store.
      for (const run of ofDeletions) assert.ok((run.rows ?? 0) <= 1, `${run.rows} rows read by ${run.text}`);
      assert.equal((await columnsOf(here.id)).releasability, ',*,');
    });

    it('reads the definitions again when the records of deletions it did not read were pruned', async () => {
      const id = `marking-definition--${randomUUID()}`;
      await written(node.ctx, [handlingMarkingDefinition({ id, created, classification: 'UNCLASSIFIED', releasableTo: ['*'] }), indicator({ object_marking_refs: [id] })]);
      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, id), 1);
      // A day later (no write through this process meanwhile) another deletion prunes that record.
      const later = createContext({ config: node.ctx.config, store: other, logger: node.ctx.logger, clock: fixedClock(new Date(Date.now() + DELETIONS_KEPT_MS + 60_000)) });
      const unrelated = indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear] });
      await written(elsewhere, [unrelated]);
      assert.equal(await deleteObject(later, SYSTEM_PRINCIPAL, unrelated.id), 1);
      assert.ok(!(await deletionsSince(other.db, 0, 1000)).some((record) => record.id === id), 'the record of the definition deleted was pruned');

      const here = indicator({ object_marking_refs: [id] });
      await written(node.ctx, [here]);
      assert.equal((await columnsOf(here.id)).classification, UNRESOLVED_CLASSIFICATION, 'the definition deleted is not used');
    });
  });
}
