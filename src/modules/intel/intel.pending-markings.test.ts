/**
 * Objects that refer to a marking-definition the node has not seen wait for it, readable by
 * nobody; when it is stored, every one of them gets its markings, however many wait: more than
 * one SQL statement may name (SQLite binds 32,766 parameters, PostgreSQL 65,535).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, otherMemberToken, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { countTurns, SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import * as audit from '../audit/audit.service.js';
import { principalOfUser } from '../directory/directory.service.js';
import { handlingMarkingDefinition, handlingOfMarkingDefinition, markingColumns, TLP2_MARKING_IDS, UNRESOLVED_CLASSIFICATION, unknownGranularRefs } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { forgetHandlingTable, handlingTable, resolveLeftWaiting } from './intel.ingest.js';
import { RESOLVED_PER_TRANSACTION, resolveWaiting } from './intel.repo.js';
import { writeTransaction } from '../../db/database.js';
import type { StixObject } from '../../stix/types.js';
import { ingestObjects, intelStats, listObjects } from './intel.service.js';

/** Objects waiting for one definition: more than either engine binds to one statement. */
const WAITING = 70_000;
/** Objects waiting for one definition: several transactions' share (RESOLVED_PER_TRANSACTION). */
const FAIR_WAITING = 12_000;
const created = '2026-12-07T00:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`objects waiting for a marking-definition (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let analyst: Principal;
    before(async () => {
      node = await createTestNode(dialect);
      analyst = (await principalOfUser(node.ctx, 'test-analyst'))!;
    });
    after(async () => node?.close());

    /**
     * Makes `count` indicators waiting for a definition: one ingested, the others copies of its
     * row (stored so, they are quick to make), each with its waiting entry. Answers how many wait.
     */
    const waitingCopies = async (ref: string, count: number, idPrefix: string): Promise<number> => {
      const first = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.amber, ref] });
      assert.equal((await ingestObjects(node.ctx, analyst, [first])).accepted, 1);
      const db = node.ctx.store.db;
      const series =
        dialect === 'sqlite'
          ? sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count - 1}) select i from n`
          : sql`select generate_series(1, ${count - 1}) as i`;
      const idOf = dialect === 'sqlite' ? sql`printf(${idPrefix + '%012d'}, i)` : sql`${idPrefix} || lpad(i::text, 12, '0')`;
      await sql`insert into stix_objects (seq, is_current, id_hash, id, type, spec_version, created, modified, version, revoked, created_by_ref,
          tlp, classification, releasability, label, body, access_key, origin_member, submitter, pattern, pattern_type, valid_from)
        select o.seq + i, 1, o.id_hash + i, ${idOf}, o.type, o.spec_version, o.created, o.modified, o.version, o.revoked, o.created_by_ref,
          o.tlp, o.classification, o.releasability, o.label, o.body, o.access_key, o.origin_member, o.submitter, o.pattern, o.pattern_type, o.valid_from
        from stix_objects o, (${series}) as s where o.id = ${first.id}`.execute(db);
      const { seq } = await db.selectFrom('stix_objects').select('seq').where('id', '=', first.id).executeTakeFirstOrThrow();
      await sql`insert into pending_markings (marking_ref, seq) select ${ref}, seq from stix_objects where type = 'indicator' and seq > ${Number(seq)} and seq < ${Number(seq) + count}`.execute(db);
      const waiting = await db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).where('marking_ref', '=', ref).executeTakeFirstOrThrow();
      return Number(waiting.n);
    };

    const indicatorsReadable = async () => (await intelStats(node.ctx, analyst)).byType.find((t) => t.type === 'indicator')?.count ?? 0;

    it('repoints the waiting entries of a moved version through the index by seq (migration 0020), not a read of the whole table', async () => {
      // As the writer runs it (in a write transaction: on PostgreSQL with sequential scans off).
      // Without the index each version of a slice read the table: 7.5 s a slice of 5,000 on
      // PostgreSQL, where the entries deleted just before stay until vacuumed.
      const plan = await node.ctx.store.adapter.writeTransaction(async (tx) => {
        const explained = dialect === 'sqlite' ? sql`explain query plan update pending_markings set seq = 1 where seq = 2` : sql`explain update pending_markings set seq = 1 where seq = 2`;
        const { rows } = await explained.execute(tx.db);
        return JSON.stringify(rows);
      });
      assert.match(plan, /pending_markings_seq/, plan);
    });

    it(`marks ${WAITING.toLocaleString('en')} waiting objects once their definition is stored`, async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      assert.equal(await waitingCopies(definition.id as string, WAITING, 'indicator--00000000-0000-4000-8000-'), WAITING);
      assert.equal(await indicatorsReadable(), 0, 'readable by nobody while their definition is unknown');
      const db = node.ctx.store.db;

      const turns = countTurns();
      assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      // Resolved in slices, with turns of the event loop for other requests between them.
      const turned = turns.stop();
      assert.ok(turned >= Math.floor(WAITING / RESOLVED_PER_TRANSACTION) - 1, `${turned} turns of the event loop while ${WAITING} objects got their markings`);

      const rows = await db
        .selectFrom('stix_objects')
        .select(['classification', 'releasability', (eb) => eb.fn.countAll().as('n')])
        .where('type', '=', 'indicator')
        .groupBy(['classification', 'releasability'])
        .execute();
      assert.deepEqual(rows.map((r) => [Number(r.classification), r.releasability, Number(r.n)]), [[1, ',ALLIANCE,', WAITING]]);
      const keys = await db.selectFrom('stix_objects').select('access_key').distinct().where('type', '=', 'indicator').execute();
      assert.equal(keys.length, 1, 'all in one access set');
      assert.equal(await indicatorsReadable(), WAITING, 'the member reads them all');
      const left = await db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0, 'none waits any more');
    });

    it('moves them in transactions of their own: another member\'s write takes its turn before all are moved', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      const count = await waitingCopies(definition.id as string, FAIR_WAITING, 'indicator--00000000-0000-4000-9000-');
      assert.equal(count, FAIR_WAITING);
      await otherMemberToken(node, 'OTW');
      const other = (await principalOfUser(node.ctx, 'otw-analyst'))!;
      const left = async () => Number((await node.ctx.store.db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).where('marking_ref', '=', definition.id as string).executeTakeFirstOrThrow()).n);

      // Once the definition's own transaction has committed (its followers are told of the first
      // versions moved), the other member writes one object.
      let otherWrite: Promise<number> | undefined;
      const unsubscribe = node.ctx.bus.subscribe('intel.added', () => {
        otherWrite ??= ingestObjects(node.ctx, other, [indicator({ object_marking_refs: [TLP2_MARKING_IDS.green] })]).then(async (summary) => {
          assert.equal(summary.accepted, 1);
          return left();
        });
      });
      try {
        assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      } finally {
        unsubscribe();
      }
      assert.ok(otherWrite, 'the definition\'s transaction told its followers');
      const waitingWhenWritten = await otherWrite;
      assert.ok(waitingWhenWritten > 0, `the other member's write waited until all ${FAIR_WAITING} were moved`);
      assert.ok(waitingWhenWritten < FAIR_WAITING, `${waitingWhenWritten} still waiting: the definition's transaction moved some`);
      assert.equal(await left(), 0, 'all moved once the definition\'s ingest answered');
    });

    it('moves, as a node starts, those a writer left waiting for a definition the node holds (a writer stopped before it moved them all)', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      const prefix = 'indicator--00000000-0000-4000-a000-';
      const unresolved = async () =>
        Number((await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll().as('n')).where('id', 'like', `${prefix}%`).where('classification', '=', UNRESOLVED_CLASSIFICATION).executeTakeFirstOrThrow()).n);
      // As a writer stopped after the definition's transaction leaves them: waiting, the definition stored.
      const count = 12_000;
      // The first is ingested with its definition known: its copies are made to wait.
      assert.equal(await waitingCopies(definition.id as string, count, prefix), count - 1);
      await node.ctx.store.db.updateTable('stix_objects').set({ classification: UNRESOLVED_CLASSIFICATION }).where('id', 'like', `${prefix}%`).execute();
      assert.equal(await unresolved(), count - 1, 'the copies wait, readable by nobody');

      assert.equal(await resolveLeftWaiting(node.ctx), count - 1);
      assert.equal(await unresolved(), 0, 'all marked');
      const left = await node.ctx.store.db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).where('marking_ref', '=', definition.id as string).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0);
      assert.equal(await resolveLeftWaiting(node.ctx), 0, 'nothing left the second time');
    });

    it('moves all before an ingest whose source failed after the definition answers (its last batch runs first)', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      assert.equal(await waitingCopies(definition.id as string, FAIR_WAITING, 'indicator--00000000-0000-4000-b000-'), FAIR_WAITING);
      async function* cutOff(): AsyncGenerator<unknown> {
        yield definition;
        // Past the pipeline's idle flush: the definition's batch is handed over, then the source fails.
        await new Promise((resolve) => setTimeout(resolve, 400));
        throw new Error('peer connection reset');
      }
      // The definition's batch is slow to run: the failure comes while it is being written.
      const slow = async () => new Promise<void>((resolve) => setTimeout(resolve, 600));
      await assert.rejects(ingestObjects(node.ctx, analyst, cutOff(), { inTransaction: slow }), /peer connection reset/);
      const left = await node.ctx.store.db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).where('marking_ref', '=', definition.id as string).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0, 'none left waiting once the ingest answered');
    });

    it('lists a version again as waiting for a definition another writer moved it without knowing (its writer did not hold the first)', async () => {
      const [first, second] = [0, 1].map(() => handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY }));
      const object = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.amber, first!.id as string, second!.id as string] });
      assert.equal((await ingestObjects(node.ctx, analyst, [object])).accepted, 1);
      const db = node.ctx.store.db;
      const { seq } = await db.selectFrom('stix_objects').select('seq').where('id', '=', object.id).executeTakeFirstOrThrow();
      const waitsFor = async () => (await db.selectFrom('pending_markings').select('marking_ref').where('seq', '=', seq).execute()).map((r) => r.marking_ref).sort();
      assert.deepEqual(await waitsFor(), [first!.id, second!.id].sort());
      // Two writers, each holding one of the definitions only (as two processes may, each having
      // read its table before the other's definition was stored), move what waits for their own.
      const holding = (definition: typeof first) => {
        const table = new Map([[definition!.id as string, handlingOfMarkingDefinition(definition!)!]]);
        return (body: string) => {
          const parsed = JSON.parse(body) as StixObject;
          return { ...markingColumns(parsed, table), granularUnresolved: unknownGranularRefs(parsed, table) };
        };
      };
      for (const definition of [first, second]) {
        await writeTransaction(node.ctx.store, async (tx) => {
          const { moved } = await resolveWaiting(node.ctx.store, tx, [definition!.id as string], holding(definition), Date.now() * 1000 + 1_000_000_000);
          assert.equal(moved.length, 0, 'the other definition is unknown to this writer');
        });
      }
      assert.deepEqual(await waitsFor(), [first!.id], 'listed as waiting for the one the last writer did not hold');
    });

    it('moves, in its sweep, a version waiting for a definition another process stored (the sweep reads the definitions from the store, not its table)', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      const prefix = 'indicator--00000000-0000-4000-c000-';
      // Copies made to wait for it, as a writer that did not hold it would have left them.
      assert.equal(await waitingCopies(definition.id as string, 3, prefix), 2);
      await node.ctx.store.db.updateTable('stix_objects').set({ classification: UNRESOLVED_CLASSIFICATION }).where('id', 'like', `${prefix}%`).execute();
      // As if another process had stored it: this one's table does not hold it.
      (await handlingTable(node.ctx)).delete(definition.id as string);

      assert.equal(await resolveLeftWaiting(node.ctx), 2);
      const marked = await node.ctx.store.db.selectFrom('stix_objects').select('classification').where('id', 'like', `${prefix}%`).execute();
      assert.deepEqual(marked.map((r) => Number(r.classification)), [1, 1], 'marked RESTRICTED by the sweep');
      forgetHandlingTable(node.ctx);
    });

    it('marks an object with a definition another process stored since its table was read, as it writes it', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      // As if another process had stored it: this one's table, read before, does not hold it.
      (await handlingTable(node.ctx)).delete(definition.id as string);
      const object = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.amber, definition.id as string] });
      assert.equal((await ingestObjects(node.ctx, analyst, [object])).accepted, 1);
      const row = await node.ctx.store.db.selectFrom('stix_objects').select(['classification', 'seq']).where('id', '=', object.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.classification), 1, 'marked RESTRICTED when written, not left waiting');
      const waiting = await node.ctx.store.db.selectFrom('pending_markings').select('marking_ref').where('seq', '=', row.seq).execute();
      assert.deepEqual(waiting, []);
    });

    it('adds a waiting version for its readers when its definition arrives: a poll after what was read finds it (TAXII 2.1 section 3.5: clients go on with added_after)', async () => {
      const definition = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created, classification: 'RESTRICTED', releasableTo: ['ALLIANCE'], createdByRef: TEST_MEMBER_IDENTITY });
      const readable = () => indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      const [before, later] = [readable(), readable()];
      const waiting = indicator({ created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.amber, definition.id as string] });
      const { seq: start } = await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow();
      for (const object of [before, waiting, later]) assert.equal((await ingestObjects(node.ctx, analyst, [object])).accepted, 1);
      // A reader (a feed stream, a peer, a TAXII client) reads all it may, up to the newest.
      const read = await listObjects(node.ctx, analyst, { addedAfterMicros: Number(start), limit: 100 });
      assert.deepEqual(read.objects.map((o) => o.id), [before.id, later.id], 'the waiting one is readable by nobody');
      const mark = read.dateAdded[read.dateAdded.length - 1]!;

      assert.equal((await ingestObjects(node.ctx, analyst, [definition])).accepted, 1);
      const poll = await listObjects(node.ctx, analyst, { addedAfterMicros: mark, limit: 100 });
      assert.ok(poll.objects.some((o) => o.id === waiting.id), `the next poll finds it (${poll.objects.map((o) => o.id).join(', ')})`);
      const at = poll.dateAdded[poll.objects.findIndex((o) => o.id === waiting.id)]!;
      assert.ok(at > mark, 'added when it became readable');
      let audited: Record<string, unknown> | undefined;
      for await (const entry of audit.entries(node.ctx)) if (entry.action === 'intel.markings-resolved' && (entry.detail as { first_seq?: number }).first_seq === at) audited = entry.detail as Record<string, unknown>;
      assert.deepEqual(audited && { versions: audited.versions, definitions: audited.definitions }, { versions: 1, definitions: [definition.id] }, 'the move is audited');
    });

    it('records a batch of objects that each wait for several definitions', async () => {
      const refs = [0, 1, 2, 3].map(() => `marking-definition--${randomUUID()}`);
      // 10,000 objects (one batch) waiting for 4 definitions: 40,000 rows of what waits for what.
      const objects = Array.from({ length: 10_000 }, (_v, i) =>
        indicator({ pattern: `[ipv4-addr:value = '10.1.${(i >> 8) & 255}.${i & 255}']`, created_by_ref: TEST_MEMBER_IDENTITY, object_marking_refs: refs }),
      );
      const unresolved = async () =>
        Number((await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll().as('n')).where('classification', '=', UNRESOLVED_CLASSIFICATION).executeTakeFirstOrThrow()).n);
      const before = await unresolved();
      assert.equal((await ingestObjects(node.ctx, analyst, objects)).accepted, objects.length);
      const waiting = await node.ctx.store.db.selectFrom('pending_markings').select((eb) => eb.fn.countAll().as('n')).where('marking_ref', 'in', refs).executeTakeFirstOrThrow();
      assert.equal(Number(waiting.n), objects.length * refs.length);
      assert.equal((await unresolved()) - before, objects.length);
    });
  });
}
