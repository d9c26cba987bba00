/**
 * Add Objects (TAXII 2.1 section 5.5) with large envelopes, and the status resources it leaves
 * (4.3): the body is read as it arrives, never parsed whole on the node's one thread; a status
 * lists a bounded number of objects while its counts stay exact; a requester's statuses are
 * bounded. Each test names the section of TAXII 2.1 (OASIS Standard, 10 June 2021) it concerns.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { uploadInParts } from '../../../test/support/upload.js';
import { limit, longestTurn, SUITE_LIMIT_MS, timed, until } from '../../../test/support/wait.js';
import { ShieldwallError } from '../../core/errors.js';
import { invalidUtf8Offset } from '../../stix/depth.js';
import { StixStreamReader } from '../../stix/stream-reader.js';
import type { StixObject } from '../../stix/types.js';
import { EnvelopeBody } from './taxii.envelope.js';
import { STATUS_DETAIL_CHARS, STATUS_DETAILS_MAX, STATUSES_PER_OWNER, TAXII_MEDIA_TYPE, type Status } from './taxii.service.js';

const COLLECTION = '/taxii2/intel/collections/intel';
const CHUNK = 64 * 1024;

/** The bytes in chunks of 64 KiB, each its own buffer, as a socket hands them over. */
function chunked(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) out.push(Buffer.from(bytes.subarray(at, at + CHUNK)));
  return out;
}

/**
 * An envelope with one object a line, as a client that writes it out as it goes sends it. (The
 * stream reader decides what a body is from its first line, which it reads whole, up to the
 * largest object size: an envelope on one line is read once that many bytes have come.)
 */
function envelopeLines(objects: unknown[]): Buffer {
  return Buffer.from(`{"objects":[\n${objects.map((o) => JSON.stringify(o)).join(',\n')}\n]}\n`);
}

/** Resolves true once the node has stored objects (a batch committed), false after `ms`. */
function storedWithin(node: TestNode, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, ms);
    const off = node.ctx.bus.subscribe('intel.added', () => {
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

/**
 * A request body sent in two parts: `first`, then (once the node has stored objects of it, or
 * after `waitMs` without) `rest`. `stored` tells which it was.
 */
function inTwoParts(node: TestNode, first: Buffer, rest: Buffer, waitMs: number): { body: Readable; stored: () => boolean | undefined } {
  let stored: boolean | undefined;
  const sent = storedWithin(node, waitMs);
  async function* parts(): AsyncGenerator<Buffer> {
    yield* chunked(first);
    stored = await sent;
    yield* chunked(rest);
  }
  return { body: Readable.from(parts()), stored: () => stored };
}

/** An indicator the node refuses (it has no pattern): nothing of it is written. */
function refused(overrides: Partial<StixObject> = {}): StixObject {
  const object = indicator(overrides);
  delete object.pattern;
  return object;
}

for (const dialect of DIALECTS) {
  describe(`TAXII 2.1 Add Objects with large envelopes (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let headers: Record<string, string>;
    before(async () => {
      node = await createTestNode(dialect);
      headers = { accept: TAXII_MEDIA_TYPE, 'content-type': TAXII_MEDIA_TYPE, authorization: `Bearer ${node.tokens.analyst}` };
      await node.app.ready();
    });
    after(async () => node?.close());
    const add = (payload: Buffer | Readable, extra: Record<string, string> = {}) => node.app.inject({ method: 'POST', url: `${COLLECTION}/objects/`, headers: { ...headers, ...extra }, payload });
    const get = (url: string) => node.app.inject({ method: 'GET', url, headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${node.tokens.analyst}` } });

    it('5.5: an envelope is read as it arrives: objects of it are stored before its last bytes are sent', async () => {
      const objects = Array.from({ length: 30_000 }, () => indicator());
      const body = envelopeLines(objects);
      const half = Math.floor(body.length / 2);
      // Half holds 15,000 objects, more than a batch of the pipeline (its first is written sooner).
      const { body: payload, stored } = inTwoParts(node, body.subarray(0, half), body.subarray(half), limit(60_000));
      const answer = await add(payload);
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      assert.equal((answer.json() as Status).success_count, objects.length);
      assert.equal(stored(), true, 'objects were stored while the rest of the envelope was still to come (the whole body was not awaited and parsed first)');
    });

    it('5.5: while a large envelope is added the event loop turns: no turn parses the envelope whole', async () => {
      // Objects the node refuses: nothing is written, so what is measured is the reading of the
      // body (the writes of a batch take their own turns, as they do for any ingest).
      const numbers = Array.from({ length: 200 }, (_, k) => (k * 7919) % 100_000);
      const objects = Array.from({ length: 30_000 }, () => refused({ x_numbers: numbers }));
      const text = JSON.stringify({ objects });
      const body = Buffer.from(text);
      // Once, small and of unknown length (read in the ingest worker too): what runs only on a
      // first request, such as the worker's start, is not measured.
      assert.equal((await add(Readable.from([Buffer.from(JSON.stringify({ objects: objects.slice(0, 100) }))]))).statusCode, 202);
      const payload = Readable.from(chunked(body));
      const turns = longestTurn();
      const answer = await add(payload, { 'content-length': String(body.length) });
      const longest = turns.stop();
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      const status = answer.json() as Status;
      assert.deepEqual([status.total_count, status.failure_count], [objects.length, objects.length]);
      // What the whole-body parse took in one turn, measured here: the least of two runs.
      const parseMs = Math.min(timed(() => JSON.parse(body.toString('utf8'))), timed(() => JSON.parse(body.toString('utf8'))));
      assert.ok(longest < parseMs / 2, `the longest turn of the event loop while ${(body.length / 1048576).toFixed(1)} MiB were added took ${longest.toFixed(0)} ms; decoding and parsing the body whole takes ${parseMs.toFixed(0)} ms (main-thread CPU time where Linux tells it)`);
    });

    it('4.3.1: a status lists at most STATUS_DETAILS_MAX successes and failures; its counts stay exact', async () => {
      const good = Array.from({ length: STATUS_DETAILS_MAX + 100 }, () => indicator());
      const bad = Array.from({ length: STATUS_DETAILS_MAX + 50 }, () => refused());
      const answer = await add(Buffer.from(JSON.stringify({ objects: [...good, ...bad] })));
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      const status = answer.json() as Status;
      assert.deepEqual(
        [status.total_count, status.success_count, status.failure_count, status.pending_count],
        [good.length + bad.length, good.length, bad.length, 0],
        'the counts are every object',
      );
      // Section 4.3.1: successes and failures are optional; the first ones are listed.
      assert.equal(status.successes?.length, STATUS_DETAILS_MAX);
      assert.equal(status.failures?.length, STATUS_DETAILS_MAX);
      assert.deepEqual(status.successes!.map((d) => d.id), good.slice(0, STATUS_DETAILS_MAX).map((o) => o.id));
      assert.deepEqual(status.failures!.map((d) => d.id), bad.slice(0, STATUS_DETAILS_MAX).map((o) => o.id));
      for (const failure of status.failures!) {
        assert.equal(failure.version, bad[0]!.modified);
        assert.match(failure.message ?? '', /pattern/);
      }
      assert.deepEqual((await get(`/taxii2/intel/status/${status.id}/`)).json(), status);
      const row = await node.ctx.store.db.selectFrom('taxii_status').select('body').where('id', '=', status.id).executeTakeFirstOrThrow();
      assert.ok(row.body.length < 400_000, `the stored status is ${row.body.length} characters`);
    });

    it('4.3.1: a status of crafted objects (long ids, timestamps, names) holds at most STATUS_DETAIL_CHARS of details a list', async () => {
      const long = 'x'.repeat(400);
      // Each refused (its id, created and modified are not STIX), each as long as the cuts allow.
      const crafted = Array.from({ length: 1000 }, (_, i) => ({ type: 'indicator', spec_version: '2.1', id: `indicator--${long}${i}`, created: long, modified: long, name: 'n'.repeat(600) }));
      const body = Buffer.from(JSON.stringify({ objects: crafted }));
      const answer = await add(body);
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      const status = answer.json() as Status;
      assert.deepEqual([status.total_count, status.failure_count], [1000, 1000], 'the counts are every object');
      const listed = status.failures!.length;
      assert.ok(listed > 0 && listed < 1000, `${listed} failures listed`);
      assert.deepEqual(status.failures!.map((d) => d.id.slice(0, 30)), crafted.slice(0, listed).map((o) => o.id.slice(0, 30)), 'the first ones');
      for (const failure of status.failures!) assert.ok(failure.version.length <= 64 + 40, `a version of ${failure.version.length} characters`);
      const row = await node.ctx.store.db.selectFrom('taxii_status').select('body').where('id', '=', status.id).executeTakeFirstOrThrow();
      // Before the bound: 1,209,204 characters stored from a request of 1,900,903 bytes.
      assert.ok(row.body.length <= STATUS_DETAIL_CHARS + 1000, `the stored status is ${row.body.length} characters (request ${body.length} bytes)`);
    });

    it(`4.3: a requester keeps its newest ${STATUSES_PER_OWNER} statuses; older ones are gone (404), other requesters' stay`, async () => {
      const first = (await add(Buffer.from(JSON.stringify({ objects: [indicator()] })))).json() as Status;
      const { owner } = await node.ctx.store.db.selectFrom('taxii_status').select('owner').where('id', '=', first.id).executeTakeFirstOrThrow();
      const now = Date.now();
      // Older statuses of the same requester, the oldest last, all within the week they are kept.
      const older = Array.from({ length: STATUSES_PER_OWNER }, (_, i) => ({ id: randomUUID(), owner, created_at: new Date(now - (i + 1) * 60_000).toISOString(), body: '{}' }));
      const others = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), owner: `${owner}-other`, created_at: new Date(now - (i + 1) * 3_600_000).toISOString(), body: '{}' }));
      for (let i = 0; i < older.length; i += 200) await node.ctx.store.db.insertInto('taxii_status').values(older.slice(i, i + 200)).execute();
      await node.ctx.store.db.insertInto('taxii_status').values(others).execute();
      const latest = (await add(Buffer.from(JSON.stringify({ objects: [indicator()] })))).json() as Status;
      const kept = await node.ctx.store.db.selectFrom('taxii_status').select('id').where('owner', '=', owner).execute();
      assert.equal(kept.length, STATUSES_PER_OWNER, 'the requester holds the bound, no more');
      const ids = new Set(kept.map((r) => r.id));
      assert.ok(ids.has(latest.id) && ids.has(first.id), 'the newest ones stay');
      assert.deepEqual(older.slice(-2).filter((r) => ids.has(r.id)), [], 'the two oldest went');
      assert.equal((await get(`/taxii2/intel/status/${older.at(-1)!.id}/`)).statusCode, 404);
      assert.equal((await get(`/taxii2/intel/status/${latest.id}/`)).statusCode, 200);
      const theirs = await node.ctx.store.db.selectFrom('taxii_status').select('id').where('owner', '=', `${owner}-other`).execute();
      assert.equal(theirs.length, others.length, "another requester's statuses are not touched");
    });

    it('4.3.1: each detail carries the id and the version as sent (modified, else created), for successes and failures', async () => {
      const micro = indicator({ modified: '2024-08-08T08:08:08.120000Z' });
      const marking = { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: '2024-02-02T02:02:02.000Z', definition_type: 'statement', definition: { statement: 'status details' } };
      const failing = refused({ modified: '2024-09-09T09:09:09.999Z' });
      // Deeper than the node takes: refused before it is parsed, yet its id and version are known.
      let deep: unknown = {};
      for (let i = 0; i < 80; i++) deep = { x: deep };
      const tooDeep = indicator({ modified: '2024-10-10T10:10:10.101Z', x_deep: deep });
      const answer = await add(Buffer.from(`{"more":false,\n "objects": [\n${[micro, marking, failing, tooDeep, 42].map((o) => JSON.stringify(o, null, 1)).join(',\n')}]}\n`));
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      const status = answer.json() as Status;
      assert.deepEqual(status.successes?.map((d) => [d.id, d.version]), [[micro.id, micro.modified], [marking.id, marking.created]]);
      assert.deepEqual(status.failures?.map((d) => [d.id, d.version]), [[failing.id, failing.modified], [tooDeep.id, tooDeep.modified], ['(object 4)', '']]);
      assert.match(status.failures![1]!.message!, /deeper than the limit/);
    });

    it('5.5: an envelope on one line, with a newline after it, is an envelope (not one NDJSON line)', async () => {
      const objects = [indicator(), indicator()];
      const answer = await add(Buffer.from(`${JSON.stringify({ objects })}\n`));
      assert.equal(answer.statusCode, 202, answer.body.slice(0, 300));
      assert.deepEqual(((answer.json() as Status).successes ?? []).map((d) => d.id), objects.map((o) => o.id));
    });

    it('3.6.1 / 5.5: a body cut short, or with anything after the envelope, is 400; a valid JSON that is no envelope is 422', async () => {
      const object = indicator();
      const whole = JSON.stringify({ objects: [object] });
      for (const [payload, status, pattern] of [
        [whole.slice(0, -20), 400, /cut short/],
        [`${whole} {"objects":[]}`, 400, /after the envelope/],
        [`${whole}x`, 400, /after the envelope/],
        ['', 400, /empty/],
        [`[${JSON.stringify(object)}]`, 422, /array/],
        ['{"objects":{"a":1}}', 422, /not an array/],
        [JSON.stringify(object), 422, /no "objects"/],
      ] as const) {
        const answer = await add(Buffer.from(payload));
        assert.equal(answer.statusCode, status, `${payload.slice(0, 40)}: ${answer.body.slice(0, 200)}`);
        assert.equal((answer.json() as { http_status: string }).http_status, String(status));
        assert.match((answer.json() as { description: string }).description, pattern);
      }
      assert.equal((await get(`${COLLECTION}/objects/${object.id}/`)).statusCode, 404, 'nothing of a body refused up front is stored');
    });

    it('4.2.1 / 5.5: past max_content_length (no Content-Length sent) is 413; the objects read before it stay, listed by a status', async () => {
      const small = await createTestNode(dialect, { bodyLimitBytes: 8 * 1024 * 1024 });
      try {
        // Some 10 MB over a connection: the first 6 MiB (more objects than a batch) are stored
        // before the rest is sent; the answer arrives whole while the client still writes.
        const address = await small.app.listen({ host: '127.0.0.1', port: 0 });
        const objects = Array.from({ length: 30_000 }, () => indicator());
        const body = envelopeLines(objects);
        const cut = 6 * 1024 * 1024;
        const answer = await uploadInParts(`${address}${COLLECTION}/objects/`, { ...headers, authorization: `Bearer ${small.tokens.analyst}` }, body, cut, () => storedWithin(small, limit(60_000)).then(() => undefined));
        assert.equal(answer.status, 413, answer.text.slice(0, 300));
        const description = (JSON.parse(answer.text) as { description: string }).description;
        const read = /the (\d+) objects read before it were processed \((\d+) accepted or already stored, (\d+) refused\).*status ([0-9a-f-]{36})/.exec(description);
        assert.ok(read, description);
        const accepted = Number(read[2]);
        assert.ok(accepted > 0, description);
        const status = (await small.app.inject({ method: 'GET', url: `/taxii2/intel/status/${read[4]}/`, headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${small.tokens.analyst}` } })).json() as Status;
        assert.equal(status.success_count, accepted);
        const readBack = (id: string) => small.app.inject({ method: 'GET', url: `${COLLECTION}/objects/${id}/`, headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${small.tokens.analyst}` } });
        assert.equal((await readBack(objects[0]!.id)).statusCode, 200, 'accepted before the limit: kept');
        assert.equal((await readBack(objects.at(-1)!.id)).statusCode, 404, 'past the limit: never read');
      } finally {
        await small.close();
      }
    });

    it('4.3.1 / 5.5: a long envelope broken near its start is answered at once, over a connection; the object before the break stays', async () => {
      // Over 8 MiB (what is read ahead of the ingest worker), the break in the first kilobyte:
      // the worker stops there while the client still sends.
      const own = await createTestNode(dialect);
      try {
        const address = await own.app.listen({ host: '127.0.0.1', port: 0 });
        const first = indicator();
        const body = Buffer.from(`{"objects":[\n${JSON.stringify(first)},\n{"type":]]]${' '.repeat(12 * 1024 * 1024)}`);
        let answer: { status: number; text: string } | undefined;
        let failed: unknown;
        uploadInParts(`${address}${COLLECTION}/objects/`, { ...headers, authorization: `Bearer ${own.tokens.analyst}` }, body, body.length, async () => undefined).then(
          (a) => (answer = a),
          (error: unknown) => (failed = error),
        );
        await until('the answer to the broken envelope', () => (answer ? undefined : failed ? `the upload failed: ${String(failed)}` : 'none yet'));
        // 4.3.1: the status lists the object before the break as a success, the break as a failure.
        assert.equal(answer!.status, 202, answer!.text.slice(0, 300));
        const status = JSON.parse(answer!.text) as Status;
        assert.equal(status.success_count, 1, answer!.text.slice(0, 300));
        assert.deepEqual(status.successes?.map((s) => s.id), [first.id]);
        assert.equal(status.failure_count, 1, answer!.text.slice(0, 300));
        const stored = await own.app.inject({ method: 'GET', url: `${COLLECTION}/objects/${first.id}/`, headers: { accept: TAXII_MEDIA_TYPE, authorization: `Bearer ${own.tokens.analyst}` } });
        assert.equal(stored.statusCode, 200, 'read before the break: kept');
      } finally {
        // An upload left unanswered would hold the node's close.
        own.app.server.closeAllConnections();
        await own.close();
      }
    });

    it('5.5: bytes that are not UTF-8 late in a large body are 400 with their offset; the objects before them stay', async () => {
      const objects = Array.from({ length: 30_000 }, () => indicator());
      const body = envelopeLines(objects);
      const bad = Math.floor(body.length * 0.75);
      // Inside the name of an object: 'caf' then the Latin-1 byte of 'é'.
      const at = body.indexOf('Test indicator', bad) + 3;
      const broken = Buffer.concat([body.subarray(0, at), Buffer.from([0xe9]), body.subarray(at + 1)]);
      const cut = Math.floor(body.length / 2);
      const { body: payload } = inTwoParts(node, broken.subarray(0, cut), broken.subarray(cut), limit(60_000));
      const answer = await add(payload);
      assert.equal(answer.statusCode, 400, answer.body.slice(0, 300));
      const description = (answer.json() as { description: string }).description;
      assert.match(description, new RegExp(`invalid byte 0xe9 at byte ${at};`));
      assert.match(description, /objects read before it were processed/);
      assert.equal((await get(`${COLLECTION}/objects/${objects[0]!.id}/`)).statusCode, 200);
    });
  });
}

describe('the Add Objects body, read as it arrives (taxii.envelope.ts)', () => {
  /** The body split at random places, the pieces as chunks. */
  const splits = (bytes: Buffer, cuts: number[]): Buffer[] => {
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const out: Buffer[] = [];
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      if (cut > from) out.push(Buffer.from(bytes.subarray(from, cut)));
      from = Math.max(from, cut);
    }
    return out;
  };
  const read = async (chunks: Buffer[], limitBytes = 1 << 30) => {
    const envelope = new EnvelopeBody(limitBytes);
    const passed: Buffer[] = [];
    async function* source() {
      yield* chunks;
    }
    try {
      for await (const chunk of envelope.chunks(source())) passed.push(Buffer.from(chunk));
    } catch (error) {
      return { error: error as ShieldwallError, envelope, passed: Buffer.concat(passed) };
    }
    return { error: undefined, envelope, passed: Buffer.concat(passed) };
  };

  it('notes the id and version of each object of the envelope, numbered as the stream reader numbers elements, however the bytes are cut', async () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('"', '\\', '}', ']', '{"', '\\"}', 'objects', 'é€𝄞'));
    const scalar = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean());
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(text, scalar, { maxKeys: 3 }));
    const element = fc.oneof(
      { weight: 4, arbitrary: fc.record({ id: fc.option(fc.oneof(text, fc.integer()), { nil: undefined }), modified: fc.option(fc.oneof(text, fc.integer(), fc.constant(null)), { nil: undefined }), created: fc.option(text, { nil: undefined }), extra: fc.dictionary(text, value, { maxKeys: 3 }) }) },
      { weight: 1, arbitrary: scalar },
      { weight: 1, arbitrary: fc.array(value, { maxLength: 2 }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(element, { maxLength: 12 }), fc.integer({ min: 0, max: 2 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), async (elements, indent, cuts, moreFirst) => {
        const objects = elements.map((e) => {
          if (typeof e !== 'object' || e === null || Array.isArray(e)) return e;
          const { extra, ...known } = e;
          const o: Record<string, unknown> = { ...extra };
          for (const [k, v] of Object.entries(known)) if (v !== undefined) o[k] = v;
          return o;
        });
        const envelope = moreFirst ? { more: false, next: '{"objects":[}', objects } : { objects, more: false };
        const body = Buffer.from(JSON.stringify(envelope, null, indent));
        const { error, envelope: scanned, passed } = await read(splits(body, cuts));
        assert.equal(error, undefined);
        assert.ok(passed.equals(body), 'every byte is passed on, in order');
        // The objects as the stream reader cuts and numbers them: each outcome claims by that number.
        const reader = new StixStreamReader({ maxObjectBytes: 1 << 20 });
        let seen = 0;
        for await (const entry of reader.entries(Readable.from(splits(body, cuts)))) {
          if (entry.kind !== 'object') continue;
          const record = JSON.parse(entry.text) as Record<string, unknown>;
          const version = record.modified ?? record.created;
          assert.deepEqual(scanned.claim(entry.index), { id: typeof record.id === 'string' ? record.id : undefined, version: typeof version === 'string' ? version : '' }, `object ${entry.index}`);
          seen++;
        }
        assert.equal(seen, objects.filter((o) => typeof o === 'object' && o !== null && !Array.isArray(o)).length);
      }),
      { numRuns: 400, seed: 20261205 },
    );
  });

  it('refuses bytes that are not UTF-8 at the offset of the first, however the bytes are cut', async () => {
    const piece = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => Buffer.from(s)), fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => Buffer.from(b)));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }), async (pieces, cuts) => {
        const inner = Buffer.concat(pieces).filter((b) => b !== 0x22 && b !== 0x5c && b >= 0x20);
        const body = Buffer.concat([Buffer.from('{"objects":[{"name":"'), Buffer.from(inner), Buffer.from('"}]}')]);
        const { error } = await read(splits(body, cuts));
        const bad = invalidUtf8Offset(body);
        if (bad === undefined) assert.equal(error, undefined);
        else assert.match(error?.message ?? '', new RegExp(`invalid byte 0x${body[bad]!.toString(16).padStart(2, '0')} at byte ${bad};`));
      }),
      { numRuns: 1000, seed: 20261205 },
    );
  });

  it('answers what the whole-body parse answered: 400 when not JSON, 422 when not an envelope, 413 past the limit', async () => {
    const cases: Array<[string, number | undefined]> = [
      ['{"objects":[]}', undefined],
      [' \n{"more":false,"objects":[{"a":"}]{"}]}\n', undefined],
      ['{"x":{"objects":[1]},"objects":[]}', undefined],
      ['{"type":"bundle","id":"bundle--1","objects":[]}', undefined],
      ['', 400],
      ['  \n', 400],
      ['nope', 400],
      ['\ufeff{"objects":[]}', 400],
      ['{"objects":', 400],
      ['{"objects":[', 400],
      ['{"objects":[{"a":"b"', 400],
      ['{"objects":[]', 400],
      ['{"objects":[]}]', 400],
      ['{"objects":[]}{"objects":[]}', 400],
      ['{"objects":[]} x', 400],
      ['{"no":"envelope"', 400],
      ['[]', 422],
      ['"objects"', 422],
      ['42', 422],
      ['null', 422],
      [' true ', 422],
      ['nul', 400],
      ['nulL', 400],
      ['{"no":"envelope"}', 422],
      ['{"objects":5}', 422],
      ['{"objects":"[]"}', 422],
      ['{"objects":{}}', 422],
      ['{"x":{"objects":[]}}', 422],
    ];
    for (const [text, status] of cases) {
      for (const cuts of [[], [1], [3, 7, 12]]) {
        const { error } = await read(splits(Buffer.from(text), cuts));
        assert.equal(error?.status, status, `${JSON.stringify(text)} cut at ${cuts.join(',')}: ${error?.message}`);
      }
    }
    const { error } = await read([Buffer.from('{"objects":['), Buffer.from(' '.repeat(100)), Buffer.from(']}')], 100);
    assert.equal(error?.status, 413);
  });
});
