/**
 * A marking-definition accepted by one stream's write transaction marks that stream's objects at
 * once, but reaches the node's marking table (which every other stream reads) only once it is
 * stored: were the transaction rolled back, another stream would have marked its objects with a
 * definition the store never held, and nothing would ever correct them. The table follows the
 * store when a definition is deleted too, without reading every other definition again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { watchStoreReads } from '../../../test/support/reads.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { handlingMarkingDefinition, UNRESOLVED_CLASSIFICATION } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { forgetHandlingTable, handlingTable, syncHandling } from './intel.ingest.js';
import { idHash } from './intel.rows.js';
import { writeTransaction } from '../../db/database.js';
import { deleteObject, ingestObjects } from './intel.service.js';

for (const dialect of DIALECTS) {
  describe(`marking-definitions of a transaction not yet committed (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
    });
    after(async () => {
      await node?.close();
    });

    const definition = () =>
      handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2026-12-05T00:00:00.000Z', classification: 'SECRET', releasableTo: ['NOR'] });

    const columnsOf = async (id: string) =>
      node.ctx.store.db.selectFrom('stix_objects').select(['classification', 'releasability']).where('id', '=', id).where('is_current', '=', 1).executeTakeFirstOrThrow();

    it('marks the stream\'s own objects with it, and the node\'s table holds it only once committed', async () => {
      const secret = definition();
      const marked = indicator({ object_marking_refs: [secret.id as string] });
      let inTableDuringWrite: boolean | undefined;
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secret, marked], {
        inTransaction: async () => {
          inTableDuringWrite = (await handlingTable(node.ctx)).has(secret.id as string);
        },
      });
      assert.equal(summary.accepted, 2);
      assert.equal(inTableDuringWrite, false, 'other streams do not see a definition before it is stored');
      assert.equal((await handlingTable(node.ctx)).has(secret.id as string), true, 'and see it once it is');
      const columns = await columnsOf(marked.id as string);
      assert.equal(Number(columns.classification), 3, 'the object is SECRET (level 3)');
      assert.equal(columns.releasability, ',NOR,');
    });

    it('hands a committed definition to the table read again while its transaction was open', async () => {
      const secret = definition();
      let reread: boolean | undefined;
      const summary = await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secret], {
        inTransaction: async () => {
          // As another stream's failure does: the table is dropped, and read again from the store,
          // which does not hold the definition yet.
          forgetHandlingTable(node.ctx);
          reread = (await handlingTable(node.ctx)).has(secret.id as string);
        },
      });
      assert.equal(summary.accepted, 1);
      assert.equal(reread, false);
      assert.equal((await handlingTable(node.ctx)).has(secret.id as string), true, 'the table in use holds it once committed');
    });

    it('forgets a definition whose transaction rolled back: an object marked with it later stays unresolved', async () => {
      const secret = definition();
      const failure = new Error('the transaction fails after the definition was accepted');
      await assert.rejects(
        ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [secret], {
          inTransaction: async () => {
            throw failure;
          },
        }),
        failure,
      );
      assert.equal((await handlingTable(node.ctx)).has(secret.id as string), false);
      const later = indicator({ object_marking_refs: [secret.id as string] });
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [later])).accepted, 1);
      const columns = await columnsOf(later.id as string);
      assert.equal(Number(columns.classification), UNRESOLVED_CLASSIFICATION, 'held back until the definition is stored');
    });

    it("does not take into the node's table, as it syncs inside a transaction, a definition that transaction wrote and has not committed", async () => {
      const table = await handlingTable(node.ctx);
      const model = definition();
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [model])).accepted, 1);
      const stored = await node.ctx.store.db.selectFrom('stix_objects').selectAll().where('id', '=', model.id as string).executeTakeFirstOrThrow();
      const unstored = definition();
      const rolledBack = new Error('rolled back');
      await assert.rejects(
        writeTransaction(node.ctx.store, async (tx) => {
          // Written in this transaction, as a stream's earlier batch would have (a row like the model's).
          const { max } = await tx.db.selectFrom('stix_objects').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirstOrThrow();
          await tx.db.insertInto('stix_objects').values({ ...stored, seq: Number(max) + 1, id: unstored.id as string, id_hash: idHash(unstored.id as string), body: JSON.stringify(unstored) }).execute();
          await syncHandling(tx.db, table, new Map([[unstored.id as string, {}]]));
          assert.equal(table.has(unstored.id as string), false, 'left to its commit');
          throw rolledBack;
        }),
        rolledBack,
      );
      await syncHandling(node.ctx.store.db, table);
      assert.equal(table.has(unstored.id as string), false, 'never stored');
      // Stored for real after, at a sequence the table's mark did not pass: read by the next sync.
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [unstored])).accepted, 1);
      table.delete(unstored.id as string);
      await syncHandling(node.ctx.store.db, table);
      assert.equal(table.has(unstored.id as string), true);
    });

    it('forgets a definition once deleted: one that takes its id later marks objects with its own handling', async () => {
      const id = `marking-definition--${randomUUID()}`;
      const created = '2026-12-05T00:00:00.000Z';
      const first = handlingMarkingDefinition({ id, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'] });
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [first])).accepted, 1);
      assert.ok((await handlingTable(node.ctx)).has(id));
      assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, id), 1);
      const second = handlingMarkingDefinition({ id, created: '2026-12-05T01:00:00.000Z', classification: 'SECRET', releasableTo: ['NOR'] });
      const marked = indicator({ object_marking_refs: [id] });
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [second, marked])).accepted, 2);
      const columns = await columnsOf(marked.id as string);
      assert.equal(Number(columns.classification), 3, 'SECRET, as the definition stored says, not RESTRICTED as the deleted one did');
      assert.equal(columns.releasability, ',NOR,');
    });

    it('drops a deleted definition from the table without reading the other definitions again', async () => {
      const kept = definition();
      const gone = definition();
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [kept, gone])).accepted, 2);
      const table = await handlingTable(node.ctx);
      assert.ok(table.has(gone.id as string));
      const bodies: string[] = [];
      await watchStoreReads(
        node.ctx.store,
        (value) => {
          if (value.includes('"type":"marking-definition"')) bodies.push(value);
        },
        async () => {
          assert.equal(await deleteObject(node.ctx, SYSTEM_PRINCIPAL, gone.id as string), 1);
          assert.equal(await handlingTable(node.ctx), table, 'the table in use stays');
        },
      );
      assert.deepEqual(bodies, [], 'no definition body read: the delete decides on columns, and the table drops the id');
      assert.equal(table.has(gone.id as string), false);
      assert.deepEqual(table.get(kept.id as string), (await (async () => {
        forgetHandlingTable(node.ctx);
        return (await handlingTable(node.ctx)).get(kept.id as string);
      })()), 'the others as the store holds them');
    });
  });
}
