import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import type { AppContext } from '../../core/context.js';
import { createLogger } from '../../core/logger.js';
import { type Principal, SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../../test/support/dialects.js';
import { indicator, malware } from '../../../test/support/factories.js';
import { ingestStream, type IngestSummary, type ObjectOutcome } from './intel.service.js';
import { MESSAGE_CHARS } from './intel.pack.js';
import { BYTES_AHEAD, idleWorkers, MAX_WORKER_STREAMS, prepareInWorker, WORKER_STREAMS_PER_SHARE, workerStreams } from './intel.parallel.js';
import { ROW_BODY } from './intel.rows.js';
import { DEFAULT_MARKING_DEFAULTS } from '../../policy/markings.js';
import { SUITE_LIMIT_MS, until } from '../../../test/support/wait.js';

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('messages of the ingest worker', { timeout: SUITE_LIMIT_MS }, () => {
  it('sends a message once its bodies reach MESSAGE_CHARS, so none is a large object', async () => {
    // 600 indicators of about 3 KB: 1.8 MB in all, far more than one message may hold.
    const objects = Array.from({ length: 600 }, (_, i) => indicator({ description: `${i} `.padEnd(3000, 'x') }));
    const text = objects.map((o) => JSON.stringify(o)).join('\n');
    const sizes: Array<{ count: number; chars: number; last: number }> = [];
    let count = 0;
    for await (const items of prepareInWorker(chunks(text, 65_536), new Map(), 1 << 20, DEFAULT_MARKING_DEFAULTS, { header: undefined, bytesRead: 0 }, 64)) {
      let chars = 0;
      let last = 0;
      for (const item of items) {
        assert.ok('row' in item && item.row, JSON.stringify(item));
        last = item.row[ROW_BODY].length;
        chars += last;
      }
      sizes.push({ count: items.length, chars, last });
      count += items.length;
    }
    assert.equal(count, objects.length);
    assert.ok(sizes.length >= Math.floor(text.length / MESSAGE_CHARS), `messages: ${JSON.stringify(sizes)}`);
    // Each message ends with the object that took its bodies to MESSAGE_CHARS or beyond.
    for (const size of sizes.slice(0, -1)) {
      assert.ok(size.chars >= MESSAGE_CHARS && size.chars - size.last < MESSAGE_CHARS, `message of ${size.count} objects, ${size.chars} characters`);
    }
  });
});

describe('input forwarded to the ingest worker', { timeout: SUITE_LIMIT_MS }, () => {
  it('runs up to BYTES_AHEAD (8 MiB) ahead of the worker in small chunks, and no further', async () => {
    // A request body arrives in 64 KiB chunks: a bound of a few chunks left the worker without
    // input whenever this thread was busy writing a batch.
    const objects = Array.from({ length: 6000 }, (_, i) => indicator({ description: `${i} `.padEnd(3000, 'x') }));
    const text = objects.map((o) => JSON.stringify(o)).join('\n');
    let pulled = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(text, 65_536)) {
        pulled++;
        yield chunk;
      }
    }
    let atFirstBatch: number | undefined;
    let count = 0;
    for await (const items of prepareInWorker(counted(), new Map(), 1 << 20, DEFAULT_MARKING_DEFAULTS, { header: undefined, bytesRead: 0 }, 64)) {
      // Chunks are forwarded back to back (no turn of the event loop between them) until the
      // bound, so that the worker's first message finds them all forwarded.
      atFirstBatch ??= pulled;
      count += items.length;
    }
    assert.equal(count, objects.length);
    const total = Math.ceil(Buffer.byteLength(text) / 65_536);
    const bound = BYTES_AHEAD / 65_536;
    assert.ok(atFirstBatch! >= bound, `${atFirstBatch} of ${total} chunks taken from the source when the first objects came back`);
    assert.ok(atFirstBatch! <= bound + 32 && atFirstBatch! < total, `${atFirstBatch} of ${total} chunks taken: the bound did not hold`);
  });
});

for (const dialect of DIALECTS) {
  describe(`ingest in a worker thread (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let here: TestStore;
    let there: TestStore;
    const context = (store: TestStore): AppContext =>
      createContext({ config: loadConfig({}, { dataDir: store.dataDir, databaseUrl: store.url, demo: false, logLevel: 'silent', ingestBatchSize: 500 }), store: store.store, logger: createLogger('silent') });
    before(async () => {
      here = await createTestStore(dialect);
      there = await createTestStore(dialect);
    });
    after(async () => {
      await here.cleanup();
      await there.cleanup();
    });

    it('gives the same outcomes and stores the same objects as the in-thread pipeline', async () => {
      const objects: unknown[] = [];
      for (let i = 0; i < 3000; i++) {
        if (i % 97 === 0) objects.push({ type: 'indicator', id: 'broken' });
        else if (i % 101 === 0) objects.push(objects[i - 1]);
        else objects.push(i % 3 === 0 ? malware() : indicator());
      }
      const text = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${objects.map((o) => JSON.stringify(o)).join(',')},"oops"]}`;
      const run = async (store: TestStore, parallel: boolean) => {
        const outcomes: ObjectOutcome[] = [];
        const summary = await ingestStream(context(store), SYSTEM_PRINCIPAL, chunks(text, 4096), { parallel, onOutcome: (o) => outcomes.push(o) });
        return { summary, outcomes };
      };
      const inThread = await run(here, false);
      const inWorker = await run(there, true);
      assert.deepEqual(inWorker.outcomes, inThread.outcomes);
      assert.equal(inWorker.summary.accepted, inThread.summary.accepted);
      assert.ok(inWorker.summary.rejected >= 31 && inWorker.summary.duplicate >= 29, JSON.stringify(inWorker.summary));
      assert.equal(inWorker.summary.bytes, Buffer.byteLength(text));
      const ids = async (store: TestStore) => (await store.store.db.selectFrom('stix_objects').select('body').orderBy('seq').execute()).map((r) => r.body);
      assert.deepEqual(await ids(there), await ids(here));
    });

    /** Uploads whose bytes arrive only once `open` is called, each by its own sender. */
    function heldUploads(senders: readonly Principal[]) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const bundles = senders.map(() => Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? indicator() : malware())));
      async function* held(objects: unknown[]): AsyncGenerator<Uint8Array> {
        // Nothing arrives until every upload has started.
        await opened;
        yield* chunks(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${objects.map((o) => JSON.stringify(o)).join(',')}]}`, 4096);
      }
      const running = bundles.map((objects, i) => ingestStream(context(there), senders[i]!, held(objects), { parallel: true }));
      return { open, running, bundles };
    }
    /** Senders of shares of their own (shareKey: `system:<name>`), who may write anything. */
    const sender = (name: string): Principal => ({ ...SYSTEM_PRINCIPAL, name });

    it('prepares at most MAX_WORKER_STREAMS streams in workers at once, the others on this thread', async () => {
      // Three senders of two uploads each: a share takes at most half the places.
      const senders = ['a', 'a', 'b', 'b', 'c', 'c'].map(sender);
      const before = workerStreams();
      const { open, running, bundles } = heldUploads(senders);
      const given = workerStreams() - before;
      open();
      const summaries = await Promise.all(running);
      assert.equal(given, MAX_WORKER_STREAMS, 'streams given a worker');
      assert.deepEqual(summaries.map((s) => s.accepted), bundles.map((b) => b.length));
      assert.equal(workerStreams(), before, 'every place given back');
    });

    it("gives one member at most half the worker places, so that another's upload still gets one", async () => {
      const before = workerStreams();
      const many = heldUploads(['x', 'x', 'x', 'x'].map(sender));
      const afterMany = workerStreams() - before;
      const other = heldUploads([sender('y')]);
      const afterOther = workerStreams() - before;
      // (Opened before anything is asserted: a failure leaves no upload holding a place.)
      many.open();
      other.open();
      assert.equal(afterMany, WORKER_STREAMS_PER_SHARE, "one sender's uploads past its share are prepared on this thread");
      assert.equal(afterOther, WORKER_STREAMS_PER_SHARE + 1, 'another sender still gets a place');
      const summaries = await Promise.all([...many.running, ...other.running]);
      assert.deepEqual(summaries.map((s) => s.accepted), [...many.bundles, ...other.bundles].map((b) => b.length));
      assert.equal(workerStreams(), before, 'every place given back');
    });

    for (const parallel of [false, true]) {
      it(`stores what an idle input sent without waiting for more of it (${parallel ? 'in a worker thread' : 'on this thread'})`, async () => {
        // A peer's page, or an upload's part, then nothing for a while: the objects it held were
        // written only with the next part, or at the peer's page timeout (30 s).
        const objects = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? indicator() : malware()));
        let resume!: () => void;
        const resumed = new Promise<void>((resolve) => (resume = resolve));
        async function* stalling(): AsyncGenerator<Uint8Array> {
          // One object per line: each is read once its line has come.
          yield* chunks(objects.map((o) => `${JSON.stringify(o)}\n`).join(''), 4096);
          await resumed;
        }
        const ctx = context(here);
        const outcomes: ObjectOutcome[] = [];
        const running = ingestStream(ctx, SYSTEM_PRINCIPAL, stalling(), { parallel, onOutcome: (o) => outcomes.push(o) });
        const stored = async () => Number((await ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', objects.map((o) => o.id)).executeTakeFirstOrThrow()).n);
        try {
          // Fewer objects than a batch (500 here), and the input still open.
          await until('the objects sent before the input went idle, reported', () =>
            outcomes.length === objects.length ? undefined : `${outcomes.length} of ${objects.length} reported`);
          assert.deepEqual(outcomes.map((o) => [o.index, o.status, o.id]), objects.map((o, i) => [i, 'accepted', o.id]));
          assert.equal(await stored(), objects.length, 'reported once committed');
        } finally {
          resume();
        }
        const summary = await running;
        assert.equal(summary.accepted, objects.length);
      });
    }

    it('stores all an idle input sent while the worker thread was still reading it', async () => {
      // A sender's large part, then a pause: the node asked the worker for what it held when the
      // input went idle, but the worker was still reading the part, and the objects it read after
      // that (the part's last ones) stayed there until more input came.
      const [first, last] = [indicator(), malware()];
      let resume!: () => void;
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      async function* stalling(): AsyncGenerator<Uint8Array> {
        yield Buffer.from(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[\n${JSON.stringify(first)}`);
        // Reading this much whitespace takes the worker longer than the node waits before it
        // calls the input idle (and sends nothing meanwhile: it holds no objects to send).
        for (let i = 0; i < 160; i++) yield Buffer.alloc(1 << 20, 0x20);
        yield Buffer.from(`,${JSON.stringify(last)}`);
        await resumed;
        yield Buffer.from(']}');
      }
      const ctx = context(here);
      const outcomes: ObjectOutcome[] = [];
      const running = ingestStream(ctx, SYSTEM_PRINCIPAL, stalling(), { parallel: true, onOutcome: (o) => outcomes.push(o) });
      try {
        await until('both objects reported while the input is idle', () => (outcomes.length === 2 ? undefined : `${outcomes.length} of 2 reported`));
        assert.deepEqual(outcomes.map((o) => [o.status, o.id]), [['accepted', first.id], ['accepted', last.id]]);
      } finally {
        resume();
      }
      assert.equal((await running).accepted, 2);
    });

    /** A bundle of `objects` whose text breaks off after the first: then the sender waits for `resumed`, and sends `more`. */
    function brokenThenIdle(first: unknown, resumed: Promise<void>, more: string, sent: { done: boolean }): AsyncGenerator<Uint8Array> {
      return (async function* () {
        yield Buffer.from(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${JSON.stringify(first)},]]]`);
        await resumed;
        try {
          yield Buffer.from(more);
        } finally {
          // The reader has done with the chunk: taken the next, or stopped reading.
          sent.done = true;
        }
      })();
    }

    /**
     * Runs `input` as a stream and waits (while it may not settle, the test's polling keeps the
     * process alive) until it ends with a summary: the one object before the break accepted, the
     * break in its streamErrors, its worker place given back.
     */
    async function endsAtTheBreak(input: AsyncIterable<Uint8Array>, parallel: boolean, what: string): Promise<void> {
      const before = workerStreams();
      let settled: { error?: unknown; summary?: IngestSummary } | undefined;
      ingestStream(context(here), SYSTEM_PRINCIPAL, input, { parallel }).then(
        (summary) => (settled = { summary }),
        (error: unknown) => (settled = { error }),
      );
      await until(what, () => (settled ? undefined : 'still running'));
      const summary = settled!.summary;
      assert.ok(summary, `a summary, not a failure: ${String(settled!.error)}`);
      assert.equal(summary.accepted, 1, JSON.stringify(summary));
      assert.match(summary.streamErrors?.[0] ?? '', /unexpected '\]' at byte \d+/, JSON.stringify(summary));
      assert.equal(workerStreams(), before, 'its place among the worker streams given back');
    }

    for (const parallel of [false, true]) {
      it(`ends a stream whose text broke off at once, without waiting for more of its input (${parallel ? 'in a worker thread' : 'on this thread'})`, async () => {
        // A member's upload whose text stops being JSON, then nothing more while the connection
        // stays open: in a worker thread, the stream (and its place among MAX_WORKER_STREAMS)
        // waited for the next chunk, however long the sender took to send it.
        let resume!: () => void;
        const resumed = new Promise<void>((resolve) => (resume = resolve));
        try {
          await endsAtTheBreak(brokenThenIdle(indicator(), resumed, ' ', { done: false }), parallel, 'the broken stream ended while its input is idle');
        } finally {
          resume();
        }
      });
    }

    it('ends a stream that broke off early in a long input, however far ahead its input was read', async () => {
      // The input is read up to BYTES_AHEAD ahead of the worker. A worker that stopped at a
      // break early in the text takes no more of it: the feeding waited for room that never
      // came, and the request never got its answer (nor gave back its worker place).
      const head = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${JSON.stringify(indicator())},]]]`;
      const text = head + ' '.repeat(BYTES_AHEAD + 4 * 1024 * 1024);
      await endsAtTheBreak(chunks(text, 64 * 1024), true, 'the stream ended');
    });

    it("never lets what a broken stream's sender sends later reach the worker of another stream", async () => {
      // The broken stream's worker goes back to the idle ones, and the next stream takes it: a
      // chunk the first sender sends then must not be read as part of the second stream.
      let resumeA!: () => void;
      const resumedA = new Promise<void>((resolve) => (resumeA = resolve));
      const sentA = { done: false };
      const intruder = indicator();
      const outcomesA: ObjectOutcome[] = [];
      const runningA = ingestStream(context(there), SYSTEM_PRINCIPAL, brokenThenIdle(indicator(), resumedA, `,${JSON.stringify(intruder)}`, sentA), { parallel: true, onOutcome: (o) => outcomesA.push(o) });
      runningA.catch(() => undefined);
      let resumeB!: () => void;
      const resumedB = new Promise<void>((resolve) => (resumeB = resolve));
      const objectsB = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? indicator() : malware()));
      const textB = `{"type":"bundle","id":"bundle--0b0c2ab7-83a4-4c1e-9d0c-6a0f0e6c9a31","objects":[${objectsB.map((o) => JSON.stringify(o)).join(',')}]}`;
      const cut = textB.indexOf(',', textB.length >> 1);
      async function* halves(): AsyncGenerator<Uint8Array> {
        yield Buffer.from(textB.slice(0, cut));
        await resumedB;
        yield Buffer.from(textB.slice(cut));
      }
      try {
        await until("the broken stream's worker back among the idle ones", () =>
          outcomesA.length === 1 && idleWorkers() > 0 ? undefined : `${outcomesA.length} outcome(s), ${idleWorkers()} idle worker(s)`);
        const outcomesB: ObjectOutcome[] = [];
        const runningB = ingestStream(context(there), SYSTEM_PRINCIPAL, halves(), { parallel: true, onOutcome: (o) => outcomesB.push(o) });
        // The second stream has its first half read; then the first sender sends again.
        await until('the first half of the second stream read', () => (outcomesB.length > 0 ? undefined : 'no outcome yet'));
        resumeA();
        await until("the first sender's late chunk sent", () => (sentA.done ? undefined : 'not yet'));
        resumeB();
        const summaryB = await runningB;
        assert.deepEqual(summaryB.streamErrors ?? [], [], JSON.stringify(summaryB));
        assert.deepEqual(outcomesB.map((o) => [o.index, o.status, o.id]), objectsB.map((o, i) => [i, 'accepted', o.id]));
        const stored = await there.store.db.selectFrom('stix_objects').select('id').where('id', '=', intruder.id).execute();
        assert.deepEqual(stored, [], 'the late chunk was read by no stream');
      } finally {
        resumeA();
        resumeB();
      }
    });

    it('serves stream after stream, a stream that failed part way included, with the same outcomes', async () => {
      const bundle = (objects: unknown[]) => `{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${objects.map((o) => JSON.stringify(o)).join(',')}]}`;
      async function* failing(text: string): AsyncGenerator<Uint8Array> {
        let sent = 0;
        for await (const chunk of chunks(text, 4096)) {
          if ((sent += chunk.length) > text.length / 2) throw new Error('the source broke');
          yield chunk;
        }
      }
      for (let round = 0; round < 4; round++) {
        const objects = Array.from({ length: 1500 }, (_, i) => (i % 2 === 0 ? indicator() : malware()));
        const text = bundle(objects);
        if (round === 1) {
          // A stream that breaks leaves its worker mid-way: the next stream must not inherit it.
          await assert.rejects(ingestStream(context(there), SYSTEM_PRINCIPAL, failing(text), { parallel: true }), /the source broke/);
          continue;
        }
        const outcomes: ObjectOutcome[] = [];
        const summary = await ingestStream(context(there), SYSTEM_PRINCIPAL, chunks(text, 4096), { parallel: true, onOutcome: (o) => outcomes.push(o) });
        assert.equal(summary.accepted, objects.length, JSON.stringify(summary));
        assert.deepEqual(
          outcomes.map((o) => [o.index, o.status, o.id]),
          objects.map((o, i) => [i, 'accepted', o.id]),
        );
        assert.equal(summary.bytes, Buffer.byteLength(text));
      }
    });
  });
}
