import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { bundle, indicator, ipv4, malware } from '../../../test/support/factories.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { uploadInParts } from '../../../test/support/upload.js';
import { until, waitFor } from '../../../test/support/wait.js';
import { ATTACK_ICS } from '../../../test/support/paths.js';
import type { StixObject } from '../../stix/types.js';

interface Outcome {
  index: number;
  status: string;
  id?: string;
  offset?: number;
  line?: number;
  errors?: Array<{ rule: string; message: string; path: string }>;
}
interface IngestAnswer {
  summary: { accepted: number; duplicate: number; rejected: number; objects: number };
  objects: Outcome[];
}

for (const dialect of DIALECTS) {
  describe(`intel store and API (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    let node: TestNode;
    const auth = () => ({ authorization: `Bearer ${node.tokens.analyst}` });
    const post = async (payload: string, contentType = 'application/json', query = '') => {
      const response = await node.app.inject({ method: 'POST', url: `/api/v1/bundles${query}`, payload, headers: { ...auth(), 'content-type': contentType } });
      return { status: response.statusCode, body: response.json() as IngestAnswer & { error?: { code: string; message: string } } };
    };
    const get = async (url: string, token = node.tokens.analyst) => {
      const response = await node.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      return { status: response.statusCode, body: response.json() as Record<string, unknown> };
    };

    before(async () => {
      node = await createTestNode(dialect);
    });
    after(async () => {
      await node?.close();
    });

    it('stores a bundle and answers each object with its outcome', async () => {
      const a = indicator();
      const m = malware();
      const { status, body } = await post(bundle([a, m]));
      assert.equal(status, 200);
      assert.deepEqual(body.summary.accepted, 2);
      assert.deepEqual(body.objects.map((o) => [o.index, o.status, o.id]), [[0, 'accepted', a.id], [1, 'accepted', m.id]]);
      assert.deepEqual((await get(`/api/v1/objects/${a.id}`)).body, a);
    });

    it('reports re-ingesting the same version as a duplicate and stores it once', async () => {
      const a = indicator();
      await post(bundle([a]));
      const { body } = await post(bundle([a, a]));
      assert.deepEqual(body.objects.map((o) => o.status), ['duplicate', 'duplicate']);
      const versions = await get(`/api/v1/objects/${a.id}?versions=all`);
      assert.equal((versions.body.versions as unknown[]).length, 1);
    });

    it('serves the newest version, keeps every version, and keeps revoked objects readable', async () => {
      const v1 = indicator({ modified: '2024-03-01T10:00:00.000Z' });
      const v3 = { ...v1, modified: '2024-03-03T10:00:00.000Z', name: 'third' };
      const v2 = { ...v1, modified: '2024-03-02T10:00:00.5001Z', name: 'second' };
      // Out of order on purpose: an older version arriving late must not supersede.
      await post(bundle([v1, v3]));
      await post(bundle([v2]));
      assert.equal((await get(`/api/v1/objects/${v1.id}`)).body.name, 'third');
      const all = await get(`/api/v1/objects/${v1.id}?versions=all`);
      assert.deepEqual((all.body.versions as StixObject[]).map((v) => v.modified), [v1.modified, v2.modified, v3.modified]);
      const revoked = { ...v1, modified: '2024-03-04T10:00:00.000Z', revoked: true };
      await post(bundle([revoked]));
      const current = await get(`/api/v1/objects/${v1.id}`);
      assert.equal(current.status, 200);
      assert.equal(current.body.revoked, true);
    });

    it('answers objects named like Object.prototype members one by one, and keeps the rest', async () => {
      // A valid type name such as "constructor" (STIX 2.1 3.1), an extension keyed "valueOf"
      // (7.3), a 2.0 object with a "__proto__" property: each gets its own outcome, the others go in.
      const first = indicator();
      const last = indicator();
      const stamp = '2024-05-01T00:00:00.000Z';
      const hostile = [
        `{"type":"constructor","spec_version":"2.1","id":"constructor--8e2e2d2b-17d4-4cbf-938f-000000000001","created":"${stamp}","modified":"${stamp}"}`,
        '{"type":"process","spec_version":"2.1","id":"process--8e2e2d2b-17d4-4cbf-938f-000000000002","extensions":{"valueOf":{}}}',
        '{"type":"file","spec_version":"2.1","id":"file--8e2e2d2b-17d4-4cbf-938f-000000000003","name":"a.exe","extensions":{"constructor":{"x_size":1}}}',
        `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-000000000004","created":"${stamp}","modified":"${stamp}","valid_from":"${stamp}","labels":["malicious-activity"],"__proto__":{"pattern":"[ipv4-addr:value = '198.51.100.7']"}}`,
      ];
      const payload = `{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-000000000009","objects":[${JSON.stringify(first)},${hostile.join(',')},${JSON.stringify(last)}]}`;
      const { status, body } = await post(payload);
      assert.equal(status, 200, JSON.stringify(body));
      const outcomes = body.objects.map((o) => [o.index, o.status, (o.errors ?? []).map((e) => `${e.rule} ${e.path}`).sort().join('; ')]);
      assert.deepEqual(outcomes, [
        [0, 'accepted', ''],
        [1, 'accepted', ''],
        [2, 'rejected', 'extension $.extensions.valueOf'],
        [3, 'accepted', ''],
        [4, 'rejected', 'custom-property-name $.__proto__; required $.pattern'],
        [5, 'accepted', ''],
      ]);
      assert.equal((await get(`/api/v1/objects/${last.id}`)).status, 200);
      assert.equal((await get('/api/v1/objects/indicator--8e2e2d2b-17d4-4cbf-938f-000000000004')).status, 404);
    });

    it('keeps tabs, newlines, backslashes and non-ASCII text intact', async () => {
      const odd = malware({ name: 'tab\there\nnew line \\ back\\slash \u00e9\u4e2d\ud83d\udee1', description: 'a\r\nb' });
      const { body } = await post(bundle([odd]));
      assert.equal(body.objects[0]!.status, 'accepted');
      assert.deepEqual((await get(`/api/v1/objects/${odd.id}`)).body, odd);
      const found = await get(`/api/v1/objects?type=malware&q=${encodeURIComponent('back\\slash')}`);
      assert.deepEqual((found.body.objects as StixObject[]).map((o) => o.id), [odd.id]);
    });

    it('dedupes observables by id', async () => {
      const sco = ipv4('203.0.113.9');
      const { body } = await post(bundle([sco, { ...sco }]));
      assert.deepEqual(body.objects.map((o) => o.status), ['accepted', 'duplicate']);
    });

    it('rejects bad objects with a clear reason and stores the rest', async () => {
      const good = indicator();
      const text = `{"type":"bundle","id":"bundle--6b0f7ad4-6d5f-4bd7-9d8f-2a9c1d7e1a11","objects":[{"type":"indicator","id":"x" "broken"},${JSON.stringify(good)},{"type":"nonsense-type!","id":"nope"},${JSON.stringify(
        indicator({ pattern: "[ipv4-addr:value = '1.2.3.4'" }),
      )},${JSON.stringify(indicator({ modified: '2020-01-01T00:00:00.000Z' }))}]}`;
      const { status, body } = await post(text);
      assert.equal(status, 200);
      assert.deepEqual(body.objects.map((o) => o.status), ['rejected', 'accepted', 'rejected', 'rejected', 'rejected']);
      const [json, , type, pattern, order] = body.objects;
      assert.equal(json!.errors![0]!.rule, 'json-syntax');
      assert.match(json!.errors![0]!.message, /at byte \d+/);
      assert.equal(json!.offset, text.indexOf('{"type":"indicator","id":"x"'));
      assert.ok(type!.errors!.length > 0);
      assert.ok(pattern!.errors!.some((e) => e.rule === 'pattern-syntax'), JSON.stringify(pattern!.errors));
      assert.ok(order!.errors!.some((e) => e.path.includes('modified')), JSON.stringify(order!.errors));
      assert.equal((await get(`/api/v1/objects/${good.id}`)).status, 200);
    });

    it('accepts NDJSON with line numbers in outcomes', async () => {
      const a = indicator();
      const text = `${JSON.stringify(a)}\n{oops}\n`;
      const { body } = await post(text, 'application/x-ndjson');
      assert.deepEqual(body.objects.map((o) => [o.status, o.line]), [['accepted', 1], ['rejected', 2]]);
    });

    it('upgrades STIX 2.0 content and says what changed', async () => {
      const old = { type: 'indicator', id: `indicator--${crypto.randomUUID()}`, created: '2017-01-01T00:00:00.000Z', modified: '2017-01-01T00:00:00.000Z', labels: ['malicious-activity'], pattern: "[domain-name:value = 'evil.example']", valid_from: '2017-01-01T00:00:00Z' };
      const { body } = await post(bundle([old], { spec_version: '2.0' }), 'application/json', '?outcomes=all');
      assert.equal(body.objects[0]!.status, 'accepted');
      assert.ok(((body.objects[0] as { upgraded?: string[] }).upgraded ?? []).length > 0);
      const stored = (await get(`/api/v1/objects/${old.id}`)).body;
      assert.equal(stored.spec_version, '2.1');
      assert.equal(stored.pattern_type, 'stix');
    });

    it('answers 413 with a hint when the body is over the limit', async () => {
      const small = await createTestNode(dialect, { bodyLimitBytes: 64 * 1024 });
      try {
        const many = Array.from({ length: 400 }, () => indicator({ description: 'x'.repeat(300) }));
        const response = await small.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: bundle(many), headers: { authorization: `Bearer ${small.tokens.analyst}`, 'content-type': 'application/json' } });
        assert.equal(response.statusCode, 413);
        assert.match((response.json() as { error: { message: string } }).error.message, /shieldwall ingest/);
      } finally {
        await small.close();
      }
    });

    it('answers 413 on the socket when a body sent without a length passes the limit part way; what came before stays', async () => {
      const small = await createTestNode(dialect, { bodyLimitBytes: 8 * 1024 * 1024 });
      try {
        const address = await small.app.listen({ host: '127.0.0.1', port: 0 });
        const read = (id: string) => small.app.inject({ method: 'GET', url: `/api/v1/objects/${id}`, headers: { authorization: `Bearer ${small.tokens.analyst}` } });
        // Some 10 MB, sent chunked: the node learns of the limit only part way, while the client
        // still has megabytes to write. The first 6 MiB (more objects than a batch) are stored
        // before the rest is sent.
        const many = Array.from({ length: 30_000 }, () => indicator());
        // One object a line, as a client writing it out as it goes sends it (a bundle on one line
        // is read once its whole first line has come).
        const payload = Buffer.from(`{"type":"bundle","id":"bundle--${crypto.randomUUID()}","objects":[\n${many.map((o) => JSON.stringify(o)).join(',\n')}\n]}\n`);
        const cut = 6 * 1024 * 1024;
        const answer = await uploadInParts(`${address}/api/v1/bundles`, { authorization: `Bearer ${small.tokens.analyst}`, 'content-type': 'application/json' }, payload, cut, () =>
          waitFor('the first objects stored', async () => (await read(many[0]!.id)).statusCode === 200),
        );
        assert.equal(answer.status, 413, answer.text.slice(0, 300));
        const refused = JSON.parse(answer.text) as { error: { code: string; message: string; details: { objects: Outcome[] } } };
        assert.equal(refused.error.code, 'SW_PAYLOAD_TOO_LARGE');
        const accepted = refused.error.details.objects.filter((o) => o.status === 'accepted');
        assert.ok(accepted.length > 0 && accepted.length < many.length, `${accepted.length} accepted`);
        assert.match(refused.error.message, new RegExp(`the ${accepted.length} objects accepted before the limit stay accepted`));
        assert.equal((await read(accepted.at(-1)!.id!)).statusCode, 200, 'accepted before the limit: kept');
        assert.equal((await read(many.at(-1)!.id)).statusCode, 404, 'past the limit: never stored');
      } finally {
        await small.close();
      }
    });

    it('answers a long upload whose text breaks off early at once, and keeps what came before the break', async () => {
      // Over 8 MiB (read ahead of the worker thread that parses it) with a break near the start:
      // the worker stops there, and the request went unanswered, holding its worker place.
      const own = await createTestNode(dialect);
      try {
        const address = await own.app.listen({ host: '127.0.0.1', port: 0 });
        const first = indicator();
        const payload = Buffer.from(`{"type":"bundle","id":"bundle--${crypto.randomUUID()}","objects":[${JSON.stringify(first)},]]]${' '.repeat(12 * 1024 * 1024)}`);
        let answer: { status: number; text: string } | undefined;
        let failed: unknown;
        uploadInParts(`${address}/api/v1/bundles`, { authorization: `Bearer ${own.tokens.analyst}`, 'content-type': 'application/json' }, payload, payload.length, async () => undefined).then(
          (a) => (answer = a),
          (error: unknown) => (failed = error),
        );
        await until('the answer to the broken upload', () => (answer ? undefined : failed ? `the upload failed: ${String(failed)}` : 'none yet'));
        // As documented (INGEST.md, Outcomes): the objects before the break processed, the break
        // in the summary's streamErrors.
        assert.equal(answer!.status, 200, answer!.text.slice(0, 300));
        const body = JSON.parse(answer!.text) as { summary: { streamErrors: string[] }; objects: Outcome[] };
        assert.match(body.summary.streamErrors[0] ?? '', /unexpected '\]' at byte \d+/, answer!.text.slice(0, 300));
        assert.deepEqual(body.objects.map((o) => [o.status, o.id]), [['accepted', first.id]], answer!.text.slice(0, 300));
        const stored = await own.app.inject({ method: 'GET', url: `/api/v1/objects/${first.id}`, headers: { authorization: `Bearer ${own.tokens.analyst}` } });
        assert.equal(stored.statusCode, 200, 'accepted before the break: kept');
      } finally {
        // An upload left unanswered would hold the node's close.
        own.app.server.closeAllConnections();
        await own.close();
      }
    });

    it('answers 415 for a body that is not JSON or NDJSON', async () => {
      const { status, body } = await post(bundle([indicator()]), 'text/plain');
      assert.equal(status, 415);
      assert.equal(body.error!.code, 'SW_UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers 422 for a body that is not STIX content', async () => {
      const { status, body } = await post('"just a string"');
      assert.equal(status, 422);
      assert.equal(body.error!.code, 'SW_INVALID_BUNDLE');
      // No object at all (INGEST.md): an empty body, or one of white space, says so.
      for (const empty of [' ', '\n\n']) {
        const answer = await post(empty, 'application/x-ndjson');
        assert.equal(answer.status, 422, JSON.stringify(answer.body));
        assert.match(answer.body.error!.message, /the body is empty/);
      }
    });

    it('pages through a type with a stable cursor, filters by text and modification time', async () => {
      const marker = `pager-${crypto.randomUUID().slice(0, 8)}`;
      const batch = Array.from({ length: 25 }, (_, i) =>
        malware({ name: `${marker} ${i}`, modified: `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.000Z` }),
      );
      await post(bundle(batch));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await get(`/api/v1/objects?type=malware&q=${marker}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        for (const o of page.body.objects as StixObject[]) seen.push(o.id);
        cursor = page.body.next as string | undefined;
      } while (cursor);
      assert.deepEqual(seen, batch.map((o) => o.id));
      const recent = await get(`/api/v1/objects?type=malware&q=${marker.toUpperCase()}&modified_after=2024-05-20T00:00:00Z&limit=100`);
      assert.equal((recent.body.objects as StixObject[]).length, batch.filter((o) => o.modified! > '2024-05-20T00:00:00Z').length);
    });

    it('answers bad requests with 400 and unknown objects with 404', async () => {
      assert.equal((await get('/api/v1/objects/not-an-id')).status, 400);
      assert.equal((await get('/api/v1/objects?cursor=bogus')).status, 400);
      assert.equal((await get('/api/v1/objects?limit=0')).status, 400);
      assert.equal((await get('/api/v1/objects?modified_after=yesterday')).status, 400);
      assert.equal((await get(`/api/v1/objects/indicator--${crypto.randomUUID()}`)).status, 404);
    });

    it('requires a token, and the right role to write', async () => {
      const anonymous = await node.app.inject({ method: 'GET', url: '/api/v1/objects' });
      assert.equal(anonymous.statusCode, 401);
      assert.match(anonymous.headers['www-authenticate'] as string, /Bearer/);
      assert.equal((await get('/api/v1/objects', 'sw_not_a_real_token')).status, 401);
      const write = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: bundle([indicator()]), headers: { authorization: `Bearer ${node.tokens.auditor}`, 'content-type': 'application/json' } });
      assert.equal(write.statusCode, 403);
    });

    it('gives back every object of the ATT&CK for ICS corpus equal as a JSON value', async () => {
      const corpus = JSON.parse(readFileSync(ATTACK_ICS, 'utf8')) as { objects: StixObject[] };
      await checkCorpus(node, corpus.objects);
    });
  });
}

async function checkCorpus(node: TestNode, objects: StixObject[]): Promise<void> {
  const headers = { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' };
  const response = await node.app.inject({ method: 'POST', url: '/api/v1/bundles?outcomes=rejected', payload: readFileSync(ATTACK_ICS), headers });
  assert.equal(response.statusCode, 200, response.body.slice(0, 500));
  const answer = response.json() as IngestAnswer;
  assert.deepEqual(answer.objects, [], 'no object of the corpus is rejected');
  assert.equal(answer.summary.accepted, objects.length);
  for (const original of objects) {
    const got = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${original.id}`, headers });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), original);
  }
}
