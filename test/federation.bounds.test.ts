/**
 * Federation with a hostile or broken TAXII peer (a fake one on node:http, in this process):
 * every answer read is bounded in size and in time, a pull ends (a next token seen twice, a
 * bound on pages per run), a push never builds a request larger than the peer takes or than a
 * page of this node, and what the peer says (X-TAXII-Date-Added-Last, a status's counts) is
 * checked before it moves a cursor or a count. FEDERATION.md, "Bounds".
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createPeer } from '../src/modules/directory/directory.service.js';
import * as repo from '../src/modules/federation/federation.repo.js';
import * as federation from '../src/modules/federation/federation.service.js';
import { justBefore, PAGE_BYTES_MAX } from '../src/modules/federation/taxii.client.js';
import * as intel from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { createTestNode, TEST_MEMBER, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const TAXII = { 'content-type': 'application/taxii+json;version=2.1' };
const clear = (overrides: Partial<StixObject> = {}) => indicator({ object_marking_refs: [TLP2_MARKING_IDS.clear], ...overrides });

interface Seen {
  method: string;
  url: URL;
  /** Bytes of the request's body. */
  bytes: number;
}

/** A TAXII server that answers as `handler` says; it records the requests it received. */
class HostilePeer {
  readonly requests: Seen[] = [];
  apiRoot = '';
  private readonly server = createServer((req, res) => void this.receive(req, res));

  constructor(private readonly handler: (req: Seen, res: ServerResponse, body: Buffer) => void | Promise<void>) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.apiRoot = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/taxii2/api/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The Get Objects requests received. */
  gets(): URLSearchParams[] {
    return this.requests.filter((r) => r.method === 'GET' && r.url.pathname.endsWith('/objects/')).map((r) => r.url.searchParams);
  }

  /** The Add Objects requests received. */
  posts(): Seen[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://fake'), bytes: body.length };
    this.requests.push(seen);
    await this.handler(seen, res, body);
  }
}

/**
 * Writes `bytes` of padding (spaces, valid inside a JSON envelope) and then `end`, as fast as the
 * client reads; resolves with whether the client hung up before the end.
 */
function pad(res: ServerResponse, bytes: number, end: string): Promise<{ cut: boolean; written: number }> {
  const chunk = Buffer.alloc(1 << 20, 0x20);
  let written = 0;
  return new Promise((resolve) => {
    let done = false;
    res.on('close', () => {
      if (!done) resolve({ cut: true, written });
    });
    const pump = () => {
      while (written < bytes) {
        const part = Math.min(chunk.length, bytes - written);
        written += part;
        if (!res.write(part === chunk.length ? chunk : chunk.subarray(0, part))) {
          res.once('drain', pump);
          return;
        }
      }
      done = true;
      res.end(end);
      resolve({ cut: false, written });
    };
    pump();
  });
}

/** A status resource as a TAXII server answers Add Objects. */
const status = (sent: number, counts: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'status--1', status: 'complete', total_count: sent, success_count: sent, failure_count: 0, pending_count: 0, ...counts });

/** The objects in an Add Objects request's body. */
const sentObjects = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { objects: StixObject[] }).objects;

for (const dialect of DIALECTS) {
  describe(`federation with a hostile TAXII peer (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const peers: HostilePeer[] = [];
    const warnings: string[] = [];

    /** A fake server, and a peer on the node that pulls from or pushes to it. */
    const peerOn = async (name: string, direction: 'pull' | 'push', handler: ConstructorParameters<typeof HostilePeer>[0], extra: { pageTimeoutSeconds?: number } = {}) => {
      const fake = await new HostilePeer(handler).start();
      peers.push(fake);
      await createPeer(node.ctx, SYSTEM_PRINCIPAL, { name, members: [TEST_MEMBER], clearance: 0, roles: ['analyst'], url: fake.apiRoot, direction, auth: 'none', ...extra });
      return fake;
    };
    const stateOf = async (name: string) => (await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, name))[0]!;

    before(async () => {
      node = await createTestNode(dialect);
      // What the node logs as warnings (the logger itself is silent in tests).
      const logger = node.ctx.logger as unknown as { warn: (...args: unknown[]) => void };
      logger.warn = (...args: unknown[]) => void warnings.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    after(async () => {
      await federation.closeClients(node.ctx);
      await Promise.all(peers.map((p) => p.stop()));
      await node?.close();
    });

    it('reads no page past its bound: asks again with a smaller limit, then fails naming the peer and the bound', async () => {
      const answers: Array<Promise<{ cut: boolean; written: number }>> = [];
      // A page three times the bound, whatever the limit asked for.
      const fake = await peerOn('huge-page', 'pull', (_req, res) => {
        res.writeHead(200, TAXII);
        res.write('{"objects":[');
        answers.push(pad(res, 3 * PAGE_BYTES_MAX, ']}'));
      });
      await assert.rejects(federation.pull(node.ctx, 'huge-page'), /peer huge-page .* more than 64 MiB \(67108864 bytes\), the most this node reads in one page .*limit=1/);
      assert.deepEqual(fake.gets().map((q) => q.get('limit')), ['2000', '250', '31', '3', '1'], 'asked again with fewer objects, down to one');
      const outcomes = await Promise.all(answers);
      assert.ok(outcomes.every((o) => o.cut && o.written < 2 * PAGE_BYTES_MAX), `every answer was cut off early: ${JSON.stringify(outcomes)}`);
    });

    it('takes a page over the bound again with a smaller limit from a server that honours it', async () => {
      const small = Array.from({ length: 3 }, () => clear());
      await peerOn('honours-limit', 'pull', async (req, res) => {
        const limit = Number(req.url.searchParams.get('limit'));
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': '2025-01-01T00:00:00.000Z' });
        if (limit > small.length) {
          res.write(`{"more":false,"objects":[${JSON.stringify(small[0])}`);
          await pad(res, PAGE_BYTES_MAX, ']}');
        } else res.end(JSON.stringify({ more: false, objects: small }));
      });
      const result = await federation.pull(node.ctx, 'honours-limit');
      assert.equal(result.accepted, 3, result.rejections.join('; '));
    });

    it('reads a status answer of at most 1 MiB, and an error answer only as far as its message', async () => {
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [clear()]);
      const padded = await peerOn('padded-status', 'push', async (req, res, body) => {
        if (req.method !== 'POST') return void res.writeHead(404, TAXII).end('{}');
        res.writeHead(202, TAXII);
        res.write(status(sentObjects(body).length).slice(0, -1));
        await pad(res, 4 << 20, '}');
      });
      await assert.rejects(federation.push(node.ctx, 'padded-status'), /peer padded-status .* more than 1 MiB/);
      assert.equal(padded.posts().length, 1);
      await peerOn('long-error', 'push', async (req, res) => {
        if (req.method !== 'POST') return void res.writeHead(404, TAXII).end('{}');
        res.writeHead(500, TAXII);
        res.write('{"title":"storage unavailable","description":"');
        await pad(res, 4 << 20, '"}');
      });
      await assert.rejects(federation.push(node.ctx, 'long-error'), /answered 500/);
    });

    it('ends a page request that a server drips out, within twice the page timeout', async () => {
      let cut: Promise<boolean> | undefined;
      const fake = await peerOn(
        'drip',
        'pull',
        (_req, res) => {
          res.writeHead(200, TAXII);
          res.write('{"objects":[');
          // A byte every 100 ms, well within the 1 s allowed between two parts of a body, for
          // 20 s: the page would come whole in the end.
          cut = new Promise((resolve) => {
            let drops = 0;
            const timer = setInterval(() => {
              if (++drops < 200) res.write(' ');
              else {
                clearInterval(timer);
                res.end(']}');
                resolve(false);
              }
            }, 100);
            res.on('close', () => {
              clearInterval(timer);
              resolve(true);
            });
          });
        },
        { pageTimeoutSeconds: 1 },
      );
      await assert.rejects(federation.pull(node.ctx, 'drip'), /peer drip .*page timeout of 1 s.*peers edit drip --page-timeout/);
      await waitFor('the fake peer to answer one request', () => fake.gets().length === 1 && cut !== undefined);
      assert.equal(await cut, true, 'the node hung up before the page was complete');
    });

    it('stops a pull at a next token given a second time; what came before is stored', async () => {
      const first = clear();
      let requests = 0;
      await peerOn('circle', 'pull', (_req, res) => {
        requests++;
        // Past a few rounds the pull has gone in a circle: the fake says so and stops it.
        if (requests > 5) return void res.writeHead(500, TAXII).end(JSON.stringify({ title: 'the pull went round in a circle' }));
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': '2025-02-01T00:00:00.000Z' }).end(JSON.stringify({ more: true, next: 'same', objects: [first] }));
      });
      await assert.rejects(federation.pull(node.ctx, 'circle'), /peer circle .*gave next 'same' a second time in one pull/);
      assert.equal(requests, 2);
      assert.ok(await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, first.id));
      assert.equal((await stateOf('circle')).pullCursor, '2025-02-01T00:00:00.000Z', 'the cursor moved past the page stored');
    });

    it(`ends a pull after ${federation.PULL_RUN_PAGES} pages with its cursor saved; the next goes on from it`, async () => {
      const dateOf = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();
      let served = 0;
      let requests = 0;
      const fake = await peerOn('endless', 'pull', (_req, res) => {
        requests++;
        if (requests > federation.PULL_RUN_PAGES + 5) return void res.writeHead(500, TAXII).end(JSON.stringify({ title: 'the pull did not stop' }));
        served++;
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': dateOf(served) }).end(JSON.stringify({ more: true, next: `page-${served}`, objects: [clear()] }));
      });
      const result = await federation.pull(node.ctx, 'endless');
      assert.equal(result.more, true);
      assert.equal(result.pages, federation.PULL_RUN_PAGES);
      assert.equal(result.accepted, federation.PULL_RUN_PAGES);
      assert.equal(requests, federation.PULL_RUN_PAGES, 'no page asked for past the bound');
      assert.equal((await stateOf('endless')).pullCursor, dateOf(federation.PULL_RUN_PAGES));
      requests = 0;
      const next = await federation.pull(node.ctx, 'endless');
      assert.equal(fake.gets().at(-federation.PULL_RUN_PAGES)!.get('added_after'), justBefore(dateOf(federation.PULL_RUN_PAGES)), 'the next pull began at the cursor');
      assert.equal(next.accepted, federation.PULL_RUN_PAGES);
      assert.equal((await stateOf('endless')).pullCursor, dateOf(2 * federation.PULL_RUN_PAGES));

      // Without X-TAXII-Date-Added-Last a bounded run cannot be resumed: the pull says so.
      let blind = 0;
      await peerOn('endless-blind', 'pull', (_req, res) => {
        blind++;
        if (blind > federation.PULL_RUN_PAGES + 5) return void res.writeHead(500, TAXII).end(JSON.stringify({ title: 'the pull did not stop' }));
        res.writeHead(200, TAXII).end(JSON.stringify({ more: true, next: `page-${blind}`, objects: [] }));
      });
      await assert.rejects(federation.pull(node.ctx, 'endless-blind'), /peer endless-blind gave no usable X-TAXII-Date-Added-Last .*send the header/);
      assert.equal(blind, federation.PULL_RUN_PAGES);

      // Nor can one whose pages all end at the date_added the pull began at (more objects share
      // it than a pull takes): the second pull says so rather than go round for ever.
      let sameDate = 0;
      await peerOn('endless-same-date', 'pull', (_req, res) => {
        sameDate++;
        if (sameDate > 2 * federation.PULL_RUN_PAGES + 5) return void res.writeHead(500, TAXII).end(JSON.stringify({ title: 'the pull did not stop' }));
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': '2025-05-01T00:00:00.000Z' }).end(JSON.stringify({ more: true, next: `page-${sameDate}`, objects: [] }));
      });
      assert.equal((await federation.pull(node.ctx, 'endless-same-date')).more, true);
      await assert.rejects(federation.pull(node.ctx, 'endless-same-date'), new RegExp(`peer endless-same-date gave ${federation.PULL_RUN_PAGES} pages that all end at date_added 2025-05-01T00:00:00.000Z, where the pull began`));
    });

    it('keeps the pull cursor where it was when X-TAXII-Date-Added-Last is no timestamp, goes back, or lies ahead', async () => {
      let header = 'not-a-date';
      const fake = await peerOn('cursor', 'pull', (_req, res) => void res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': header }).end('{}'));
      const pullWith = async (value: string) => {
        header = value;
        warnings.length = 0;
        await federation.pull(node.ctx, 'cursor');
        return (await stateOf('cursor')).pullCursor;
      };
      assert.equal(await pullWith('not-a-date'), null);
      assert.ok(warnings.some((w) => /cursor.*not an RFC 3339 timestamp: ignored/.test(w)), warnings.join('\n'));
      // The pull after it goes on as before.
      assert.equal(await pullWith('2025-02-01T00:00:00.000Z'), '2025-02-01T00:00:00.000Z');
      assert.equal(await pullWith('2025-01-01T00:00:00.000Z'), '2025-02-01T00:00:00.000Z');
      assert.ok(warnings.some((w) => /before the cursor already reached/.test(w)), warnings.join('\n'));
      assert.equal(await pullWith('2025-02-30T00:00:00.000Z'), '2025-02-01T00:00:00.000Z');
      const ahead = new Date(Date.now() + 24 * 3600_000).toISOString();
      assert.equal(await pullWith(ahead), '2025-02-01T00:00:00.000Z');
      assert.ok(warnings.some((w) => /ahead of this node's clock/.test(w)), warnings.join('\n'));
      assert.equal(await pullWith('2025-02-01T00:00:00.000Z'), '2025-02-01T00:00:00.000Z');
      assert.equal(await pullWith('2025-03-01T00:00:00.000Z'), '2025-03-01T00:00:00.000Z');
      // A cursor saved before cursors were checked is dropped, not a failure of every pull.
      await repo.changeState(node.ctx.store, 'cursor', { pullCursor: 'not-a-date' });
      assert.equal(await pullWith('2025-04-01T00:00:00.000Z'), '2025-04-01T00:00:00.000Z');
      assert.equal(fake.gets().at(-1)!.get('added_after'), null, 'that pull began at the start');
    });

    it('counts a push status only when its figures are whole numbers within what was sent', async () => {
      const answers: Array<Record<string, unknown>> = [{ success_count: -5 }, { success_count: 1.5 }, { success_count: 1e9 }, { failure_count: 'all' }, { success_count: 1, failure_count: 1 }];
      const fake = await peerOn('liar', 'push', (req, res, body) => {
        if (req.method !== 'POST') return void res.writeHead(404, TAXII).end('{}');
        res.writeHead(202, TAXII).end(status(sentObjects(body).length, answers[fake.posts().length - 1] ?? {}));
      });
      for (let i = 0; i < answers.length; i++) {
        await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [clear()]);
        warnings.length = 0;
        const before = await stateOf('liar');
        const result = await federation.push(node.ctx, 'liar');
        const state = await stateOf('liar');
        assert.equal(result.requests, 1);
        assert.deepEqual([state.pushed, state.refused], [before.pushed, before.refused], `answer ${JSON.stringify(answers[i])} changed no count`);
        assert.ok(state.pushCursor > before.pushCursor, 'the cursor moved past what the peer answered');
        assert.ok(warnings.some((w) => /not counted/.test(w)), warnings.join('\n'));
      }
    });

    it("ends each push request at the peer's max_content_length, and passes by an object too large alone", async () => {
      const limit = 64 * 1024;
      const fake = await peerOn('small-requests', 'push', (req, res, body) => {
        if (req.method === 'GET') return void res.writeHead(200, TAXII).end(JSON.stringify({ title: 'small', versions: ['application/taxii+json;version=2.1'], max_content_length: limit }));
        if (body.length > limit) return void res.writeHead(413, TAXII).end(JSON.stringify({ title: 'request too large' }));
        res.writeHead(202, TAXII).end(status(sentObjects(body).length));
      });
      const before = await stateOf('small-requests');
      const pushed = Array.from({ length: 10 }, (_, i) => clear({ name: `fits ${i}`, description: 'x'.repeat(20_000) }));
      const large = clear({ name: 'too large alone', description: 'x'.repeat(100_000) });
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [...pushed.slice(0, 5), large, ...pushed.slice(5)]);
      const result = await federation.push(node.ctx, 'small-requests');
      assert.ok(fake.posts().every((p) => p.bytes <= limit), `request sizes: ${fake.posts().map((p) => p.bytes).join(', ')}`);
      assert.ok(fake.posts().length >= 4, 'ten objects of 20 kB went in several requests');
      assert.equal(result.oversized, 1);
      const state = await stateOf('small-requests');
      assert.deepEqual([state.refused - before.refused, state.pushRefused - before.pushRefused], [1, 1], 'the object too large is counted as refused');
      assert.ok(warnings.some((w) => w.includes(large.id) && /larger alone than a peer takes/.test(w)), warnings.join('\n'));
      const again = await federation.push(node.ctx, 'small-requests');
      assert.equal(again.objects, 0, 'the cursor moved past everything, the large object too');
    });

    it('splits a request a peer without max_content_length refuses with 413, down to the object it cannot take', async () => {
      const limit = 64 * 1024;
      const received: string[] = [];
      await peerOn('answers-413', 'push', (req, res, body) => {
        if (req.method === 'GET') return void res.writeHead(404, TAXII).end('{}');
        if (body.length > limit) return void res.writeHead(413, TAXII).end(JSON.stringify({ title: 'request too large' }));
        const objects = sentObjects(body);
        received.push(...objects.map((o) => o.id));
        res.writeHead(202, TAXII).end(status(objects.length));
      });
      const fits = Array.from({ length: 10 }, (_, i) => clear({ name: `fits ${i}`, description: 'x'.repeat(20_000) }));
      const large = clear({ name: 'too large alone', description: 'x'.repeat(100_000) });
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [...fits, large]);
      const result = await federation.push(node.ctx, 'answers-413');
      assert.ok(fits.every((o) => received.includes(o.id)), 'every object that fits arrived');
      assert.equal(new Set(received).size, received.length, 'nothing arrived twice');
      assert.ok(!received.includes(large.id));
      assert.ok(result.oversized >= 1);
    });

    it('never sends a push request of more than a page of this node (PAGE_CHARS)', async () => {
      const fake = await peerOn('big-objects', 'push', (req, res, body) => {
        if (req.method === 'GET') return void res.writeHead(404, TAXII).end('{}');
        res.writeHead(202, TAXII).end(status(sentObjects(body).length));
      });
      // Five objects of 7 MB: 35 MB in all, more than one request may carry.
      const large = Array.from({ length: 5 }, (_, i) => malware({ name: `large ${i}`, object_marking_refs: [TLP2_MARKING_IDS.clear], description: 'x'.repeat(7_000_000) }));
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, large);
      const result = await federation.push(node.ctx, 'big-objects');
      const sizes = fake.posts().map((p) => p.bytes);
      assert.ok(sizes.every((bytes) => bytes <= intel.PAGE_CHARS), `request sizes: ${sizes.join(', ')}`);
      assert.ok(sizes.length >= 2, `requests: ${sizes.length}`);
      assert.ok(result.objects >= large.length);
    });
  });
}

// On a node of its own: the thousands of objects it pulls would be pushed by the tests above.
describe('federation with a peer whose envelopes are laid out otherwise', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  const peers: HostilePeer[] = [];
  const peerOn = async (on: TestNode, name: string, handler: ConstructorParameters<typeof HostilePeer>[0]) => {
    const fake = await new HostilePeer(handler).start();
    peers.push(fake);
    await createPeer(on.ctx, SYSTEM_PRINCIPAL, { name, members: [TEST_MEMBER], clearance: 0, roles: ['analyst'], url: fake.apiRoot, direction: 'pull', auth: 'none' });
    return fake;
  };
  before(async () => {
    node = await createTestNode('sqlite');
  });
  after(async () => {
    await federation.closeClients(node.ctx);
    await Promise.all(peers.map((p) => p.stop()));
    await node?.close();
  });

    it('pages a peer whose envelopes are laid out otherwise (spaced, objects first) without parsing a page whole', async () => {
      // TAXII 2.1 section 3.7 fixes the envelope's members, not their order or spacing. A page
      // of some 4 MB: JSON.parse of it on the node's thread is what the envelope scan avoids.
      const big = Array.from({ length: 8000 }, () => clear());
      const last = [clear(), clear()];
      await peerOn(node, 'spaced', (req, res) => {
        const second = req.url.searchParams.get('next') === 'page two';
        const page = second ? { objects: last, more: false } : { objects: big, more: true, next: 'page two' };
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': second ? '2025-03-02T00:00:00.000Z' : '2025-03-01T00:00:00.000Z' }).end(JSON.stringify(page, null, 1));
      });
      const parse = JSON.parse;
      let largest = 0;
      JSON.parse = ((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
        largest = Math.max(largest, String(text).length);
        return parse(text, reviver);
      }) as typeof JSON.parse;
      try {
        await federation.pull(node.ctx, 'spaced');
      } finally {
        JSON.parse = parse;
      }
      assert.ok(largest < 1024 * 1024, `the longest text parsed on the node's thread: ${largest} characters`);
      for (const object of [big[0]!, big.at(-1)!, ...last]) assert.ok(await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, object.id));
      assert.equal((await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'spaced'))[0]!.pullCursor, '2025-03-02T00:00:00.000Z', 'both pages read, the second found by the next after the objects');
      // Compact, as Shieldwall lays out its last page, but with more and next after the objects.
      const after = [clear()];
      await peerOn(node, 'compact', (req, res) => {
        const second = req.url.searchParams.get('next') === 'p2';
        // An extension member last, an array: the page still ends in ']}'.
        const text = second ? JSON.stringify({ objects: after }) : `{"objects":[${JSON.stringify(clear())}],"more":true,"next":"p2","x_extension":[]}`;
        res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': second ? '2025-03-04T00:00:00.000Z' : '2025-03-03T00:00:00.000Z' }).end(text);
      });
      await federation.pull(node.ctx, 'compact');
      assert.ok(await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, after[0]!.id), 'the page named by a next after the objects is read in the same run');
    });

    it('stops a pull at a page that is not an envelope, or begins with a byte order mark, keeping its cursor', async () => {
      const held = clear();
      await peerOn(node, 'garbled', (_req, res) => void res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': '2025-04-01T00:00:00.000Z' }).end('<html>maintenance</html>'));
      await assert.rejects(federation.pull(node.ctx, 'garbled'), /peer garbled .*sent a page of objects that cannot be read: the page is not a TAXII envelope/);
      assert.equal((await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'garbled'))[0]!.pullCursor, null, 'the cursor did not move past what was not read');
      await peerOn(node, 'bom', (_req, res) => void res.writeHead(200, { ...TAXII, 'x-taxii-date-added-last': '2025-04-02T00:00:00.000Z' }).end(`\uFEFF${JSON.stringify({ more: false, objects: [held] }, null, 1)}`));
      // Before, such a page was taken as an empty last page: its objects lost, the cursor moved past them.
      await assert.rejects(federation.pull(node.ctx, 'bom'), /peer bom sent what is not a TAXII envelope of STIX objects: unexpected byte 0xef at byte 0/);
      assert.equal((await federation.peerStatus(node.ctx, SYSTEM_PRINCIPAL, 'bom'))[0]!.pullCursor, null);
      await assert.rejects(intel.getObject(node.ctx, SYSTEM_PRINCIPAL, held.id));
    });
});
