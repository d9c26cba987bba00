/**
 * Several processes on one store: the detection index of one finds the indicators another
 * stores (a second server process on PostgreSQL, `shieldwall ingest` on the SQLite file).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../src/app.js';
import { fixedClock } from '../src/core/clock.js';
import type { AppContext } from '../src/core/context.js';
import { openStore, type Store } from '../src/db/database.js';
import { lookup } from '../src/modules/detect/detect.service.js';
import { DELETIONS_KEPT_MS } from '../src/modules/intel/intel.repo.js';
import { deleteObject, ingestObjects } from '../src/modules/intel/intel.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, POSTGRES_URL, dialectSkip } from './support/dialects.js';
import { indicator } from './support/factories.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const clear = { object_marking_refs: [TLP2_MARKING_IDS.clear] };

for (const dialect of DIALECTS) {
  describe(`detection follows the store (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let other: Store;
    let elsewhere: AppContext;

    before(async () => {
      // The timer is set far out: the test calls followStore itself, so that every step is known.
      node = await createTestNode(dialect, { detectFollowMs: 3_600_000 });
      other = dialect === 'sqlite' ? openStore(node.testStore.url) : openStore(POSTGRES_URL, { schema: node.testStore.schema! });
      elsewhere = createContext({ config: node.ctx.config, store: other, logger: node.ctx.logger });
      await node.detection.start();
    });
    after(async () => {
      node?.detection.stop();
      await other?.close();
      await node?.close();
    });

    const found = async (value: string) => (await lookup(node.ctx, node.detection, SYSTEM_PRINCIPAL, [{ value }], { context: false }))[0]!.indicators.map((h) => h.id);

    it('finds what another process stored, and drops what it revoked', async () => {
      const first = indicator({ pattern: "[domain-name:value = 'elsewhere.example']", ...clear });
      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [first]);
      assert.deepEqual(await found('elsewhere.example'), [], 'not before the store is read');
      await node.detection.followStore();
      assert.deepEqual(await found('elsewhere.example'), [first.id]);

      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [{ ...first, modified: '2024-03-02T00:00:00.000Z', revoked: true }]);
      await node.detection.followStore();
      assert.deepEqual(await found('elsewhere.example'), []);
      assert.equal(node.detection.status().following_store, true);
    });

    it('finds the context that another process stored', async () => {
      const ind = indicator({ pattern: "[domain-name:value = 'context.example']", ...clear });
      const family = { type: 'malware', spec_version: '2.1', id: `malware--${randomUUID()}`, created: ind.created, modified: ind.modified, name: 'Far family', is_family: true, ...clear };
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [ind, family]);
      await node.detection.settled();
      await node.detection.contextReady();
      const related = async () => (await lookup(node.ctx, node.detection, SYSTEM_PRINCIPAL, [{ value: 'context.example' }]))[0]!.indicators[0]?.related?.map((r) => r.name);
      assert.equal(await related(), undefined);
      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [{ type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: ind.created, modified: ind.modified, relationship_type: 'indicates', source_ref: ind.id, target_ref: family.id, ...clear }]);
      await node.detection.followStore();
      assert.deepEqual(await related(), ['Far family']);
    });

    it("applies this process's own writes as told: none is read back from the store", async () => {
      await node.detection.contextReady();
      await node.detection.settled();
      await node.detection.followStore();
      const adapter = node.ctx.store.adapter;
      const readArrays = adapter.readArrays;
      const reads = new Map<string, number>();
      adapter.readArrays = ((read, parameters) => {
        reads.set(read.name, (reads.get(read.name) ?? 0) + 1);
        return readArrays.call(adapter, read, parameters);
      }) as typeof readArrays;
      const told: Array<{ seqs: number[]; stored: { after: number; last: number } | undefined }> = [];
      const off = node.ctx.bus.subscribe('intel.added', ({ objects, stored }) => told.push({ seqs: objects.map((o) => o.seq), stored }));
      try {
        const values = ['told-1.example', 'told-2.example', 'told-3.example'];
        const [one, two, three] = values.map((value) => indicator({ pattern: `[domain-name:value = '${value}']`, ...clear }));
        const family = { type: 'malware', spec_version: '2.1', id: `malware--${randomUUID()}`, created: one!.created, modified: one!.modified, name: 'Told family', is_family: true, ...clear };
        const indicates = { type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: one!.created, modified: one!.modified, relationship_type: 'indicates', source_ref: three!.id, target_ref: family.id, ...clear };
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [one!, two!]);
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [three!, family, indicates]);

        // Each write says which sequence range its versions fill alone; the second begins where the first ended.
        assert.equal(told.length, 2);
        for (const { seqs, stored } of told) {
          assert.ok(stored, 'the range is told');
          assert.ok(seqs.every((seq) => seq > stored.after && seq <= stored.last), `${seqs.join(',')} within (${stored.after}, ${stored.last}]`);
          assert.equal(Math.max(...seqs), stored.last);
        }
        assert.equal(told[1]!.stored!.after, told[0]!.stored!.last);

        await node.detection.settled();
        await node.detection.followStore();
        for (const [i, value] of values.entries()) assert.deepEqual(await found(value), [[one, two, three][i]!.id], value);
        const related = (await lookup(node.ctx, node.detection, SYSTEM_PRINCIPAL, [{ value: 'told-3.example' }]))[0]!.indicators[0]?.related?.map((r) => r.name);
        assert.deepEqual(related, ['Told family']);
        assert.equal(reads.get('scan_current') ?? 0, 0, 'no indicator read back');
        assert.equal(reads.get('scan_about') ?? 0, 0, 'no relationship read back');

        // What another process stores is still read from the store.
        const far = indicator({ pattern: "[domain-name:value = 'told-far.example']", ...clear });
        await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [far]);
        await node.detection.followStore();
        assert.deepEqual(await found('told-far.example'), [far.id]);
        assert.ok((reads.get('scan_current') ?? 0) >= 1, 'read from the store');
      } finally {
        adapter.readArrays = readArrays;
        off();
      }
    });

    it('applies a large write told at once a slice at a time, with turns of the event loop between', async () => {
      await node.detection.settled();
      const index = node.detection.index;
      const upsert = index.upsert;
      let inTurn = 0;
      let most = 0;
      let counting = true;
      const tick = (): void => {
        most = Math.max(most, inTurn);
        inTurn = 0;
        if (counting) setImmediate(tick);
      };
      setImmediate(tick);
      index.upsert = ((record) => {
        inTurn++;
        return upsert.call(index, record);
      }) as typeof upsert;
      const many = Array.from({ length: 6000 }, (_v, i) => indicator({ pattern: `[domain-name:value = 'slice-${i}.example']`, ...clear }));
      try {
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, many);
        await node.detection.settled();
      } finally {
        counting = false;
        index.upsert = upsert;
      }
      most = Math.max(most, inTurn);
      assert.ok(most > 0 && most <= 2000, `${most} indicators applied in one turn`);
      for (const i of [0, 2999, 5999]) assert.deepEqual(await found(`slice-${i}.example`), [many[i]!.id]);
    });

    it('finds an indicator once the marking-definition it waited for arrives, later, in the same write or from another process', async () => {
      await node.detection.settled();
      const definition = () => handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2026-12-01T00:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['*'] });
      // Stored before the definition it names, an indicator is readable by nobody; once the
      // definition is stored, by whom it lets read.
      const later = definition();
      const waiting = indicator({ pattern: "[domain-name:value = 'waits.example']", object_marking_refs: [later.id] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [waiting]);
      await node.detection.settled();
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [later]);
      await node.detection.settled();
      assert.deepEqual(await found('waits.example'), [waiting.id], 'defined by a later write');

      // The definition in a later batch of the same transaction (batches of 100).
      const same = definition();
      const early = indicator({ pattern: "[domain-name:value = 'waits-same.example']", object_marking_refs: [same.id] });
      const filler = Array.from({ length: 150 }, (_v, i) => indicator({ pattern: `[domain-name:value = 'filler-${i}.example']`, ...clear }));
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [early, ...filler, same], { batchSize: 100 });
      await node.detection.settled();
      assert.deepEqual(await found('waits-same.example'), [early.id], 'defined in the same write');

      // The definition stored by another process: the version resolved is moved after it in the
      // store, where this process's reads of the store meet it.
      const far = definition();
      const waitsFar = indicator({ pattern: "[domain-name:value = 'waits-far.example']", object_marking_refs: [far.id] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [waitsFar]);
      await node.detection.settled();
      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [far]);
      await node.detection.followStore();
      assert.deepEqual(await found('waits-far.example'), [waitsFar.id], 'defined by another process');
    });

    it('its current version deleted, an indicator is found by the version made current, here and in another process (TAXII 2.1 section 5.7)', async () => {
      await node.detection.settled();
      for (const [ctx, name] of [[node.ctx, 'here'], [elsewhere, 'elsewhere']] as const) {
        const first = indicator({ pattern: `[domain-name:value = 'kept-${name}.example']`, ...clear });
        const second = { ...first, modified: '2024-03-02T00:00:00.000Z', pattern: `[domain-name:value = 'deleted-${name}.example']` };
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [first]);
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [second]);
        await node.detection.settled();
        assert.deepEqual(await found(`deleted-${name}.example`), [first.id]);
        assert.equal(await deleteObject(ctx, SYSTEM_PRINCIPAL, first.id, { exact: [second.modified] }), 1);
        await node.detection.settled();
        await node.detection.followStore();
        assert.deepEqual(await found(`kept-${name}.example`), [first.id], `deleted ${name}: the version before it is found`);
        assert.deepEqual(await found(`deleted-${name}.example`), [], `deleted ${name}: the version deleted is not`);
      }
    });

    it('drops an indicator another process deleted whole, and keeps one stored again since (TAXII 2.1 section 5.7)', async () => {
      await node.detection.settled();
      const gone = indicator({ pattern: "[domain-name:value = 'deleted-far.example']", ...clear });
      const back = indicator({ pattern: "[domain-name:value = 'back-again.example']", ...clear });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [gone, back]);
      await node.detection.settled();
      assert.deepEqual(await found('deleted-far.example'), [gone.id]);

      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, gone.id), 1);
      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, back.id), 1);
      // Stored again here after the other process deleted it: applied as told, before the deletion is read.
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [back]);
      await node.detection.settled();
      assert.deepEqual(await found('deleted-far.example'), [gone.id], 'kept until the store is read');

      await node.detection.followStore();
      assert.deepEqual(await found('deleted-far.example'), [], 'deleted by another process: no longer found');
      assert.deepEqual(await found('back-again.example'), [back.id], 'deleted, then stored again: found');

      // A rebuild reads neither: the index it builds holds what the store holds, and goes on from there.
      await node.detection.rebuild();
      await node.detection.followStore();
      assert.deepEqual(await found('deleted-far.example'), []);
      assert.deepEqual(await found('back-again.example'), [back.id]);
    });

    it('reads the store again when the records of deletions it did not read were pruned', async () => {
      await node.detection.settled();
      await node.detection.followStore();
      const gone = indicator({ pattern: "[domain-name:value = 'pruned-record.example']", ...clear });
      const unrelated = indicator({ pattern: "[domain-name:value = 'unrelated-record.example']", ...clear });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [gone, unrelated]);
      await node.detection.settled();
      assert.equal(await deleteObject(elsewhere, SYSTEM_PRINCIPAL, gone.id), 1);
      // A day later, before this process read it, another deletion prunes that record.
      const later = createContext({ config: node.ctx.config, store: other, logger: node.ctx.logger, clock: fixedClock(new Date(Date.now() + DELETIONS_KEPT_MS + 60_000)) });
      assert.equal(await deleteObject(later, SYSTEM_PRINCIPAL, unrelated.id), 1);
      assert.deepEqual(await found('pruned-record.example'), [gone.id]);

      await node.detection.followStore();
      await waitFor('the index is read from the store again', async () => (await found('pruned-record.example')).length === 0);
      await node.detection.settled();
      assert.deepEqual(await found('unrelated-record.example'), []);
    });

    it('applies every batch of a transaction that holds several, told one after another', async () => {
      await node.detection.settled();
      // Batches of 100 objects: on SQLite a transaction holds four of them, told as it commits.
      const batches = Array.from({ length: 450 }, (_v, i) => indicator({ pattern: `[domain-name:value = 'batch-${i}.example']`, ...clear }));
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, batches, { batchSize: 100 });
      await node.detection.settled();
      const missing: string[] = [];
      for (const [i, object] of batches.entries()) if ((await found(`batch-${i}.example`))[0] !== object.id) missing.push(`batch-${i}`);
      assert.deepEqual(missing, []);
    });

    it('a tick of the follower while told writes are applied reads none of them back', async () => {
      await node.detection.settled();
      const adapter = node.ctx.store.adapter;
      const readArrays = adapter.readArrays;
      let scans = 0;
      adapter.readArrays = ((read, parameters) => {
        if (read.name === 'scan_current') scans++;
        return readArrays.call(adapter, read, parameters);
      }) as typeof readArrays;
      try {
        const many = Array.from({ length: 5000 }, (_v, i) => indicator({ pattern: `[domain-name:value = 'tick-${i}.example']`, ...clear }));
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, many);
        // The 5,000 are being applied, 2,000 a turn, when the timer's tick comes, and another write after it.
        const tick = node.detection.followStore();
        const next = indicator({ pattern: "[domain-name:value = 'tick-next.example']", ...clear });
        await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [next]);
        await tick;
        await node.detection.settled();
        assert.deepEqual(await found('tick-4999.example'), [many[4999]!.id]);
        assert.deepEqual(await found('tick-next.example'), [next.id]);
        assert.equal(scans, 0, 'no indicator read back from the store');
      } finally {
        adapter.readArrays = readArrays;
      }
    });

    it('applies each version once, whether it came by its own event or by reading the store', async () => {
      const own = indicator({ pattern: "[ipv4-addr:value = '203.0.113.9']", ...clear });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [own]);
      await node.detection.settled();
      const dead = node.detection.status().dead_slots;
      const size = node.detection.status().indicators;
      await node.detection.followStore();
      assert.deepEqual(await found('203.0.113.9'), [own.id]);
      assert.equal(node.detection.status().dead_slots, dead, 'reading the store did not index the version again');
      assert.equal(node.detection.status().indicators, size);

      // Interleaved: one from elsewhere between two of its own, read in one pass.
      const a = indicator({ pattern: "[ipv4-addr:value = '203.0.113.10']", ...clear });
      const b = indicator({ pattern: "[ipv4-addr:value = '203.0.113.11']", ...clear });
      const c = indicator({ pattern: "[ipv4-addr:value = '203.0.113.12']", ...clear });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [a]);
      await ingestObjects(elsewhere, SYSTEM_PRINCIPAL, [b]);
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [c]);
      await node.detection.settled();
      await node.detection.followStore();
      for (const [value, id] of [['203.0.113.10', a.id], ['203.0.113.11', b.id], ['203.0.113.12', c.id]] as const) assert.deepEqual(await found(value), [id], value);
      assert.equal(node.detection.status().dead_slots, dead);
      assert.equal(node.detection.status().indicators, size + 3);
    });
  });
}
