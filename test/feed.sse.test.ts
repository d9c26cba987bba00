/**
 * The live feed (GET /api/v1/events, Server-Sent Events): each reader gets what is added that it
 * may read, in date_added order, resumable with Last-Event-ID; bounded per user. Each event
 * carries the object's handling and whether it is new or a new version; sightings detection
 * reported are `match` events.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ShieldwallError } from '../src/core/errors.js';
import { createToken, createUser, principalOfUser, revokeToken, setUserPassword, upsertMembers } from '../src/modules/directory/directory.service.js';
import { REAUTHENTICATE_MS } from '../src/modules/feed/feed.routes.js';
import { feedModule } from '../src/modules/feed/index.js';
import { DETECTION_PROPERTY, PAGE_CHARS, STREAMS_PER_MEMBER, STREAMS_PER_USER, WAKE_EVERY_MS, type Feed, type Handling } from '../src/modules/feed/feed.service.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { type Principal, SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { createTestNode, TEST_MEMBER_IDENTITY, type TestNode } from './support/node.js';
import { addressIndicator } from './support/factories.js';
import { openStream, type Stream } from './support/sse.js';
import { limit, until } from './support/wait.js';

const ids = (stream: Stream) => stream.events.filter((e) => e.event !== 'end').map((e) => (JSON.parse(e.data!) as { object: { id: string } }).object.id);

interface EventData {
  event: string | undefined;
  object: { id: string; type: string };
  handling?: Handling;
  change?: string;
}

/** The events of a stream about one object, in the order received. */
const about = (stream: Stream, id: unknown): EventData[] =>
  stream.events.map((e) => ({ event: e.event, ...(JSON.parse(e.data!) as Omit<EventData, 'event'>) })).filter((e) => e.object.id === id);

function sighting(of: unknown, tlp: 'clear' | 'red', detected: boolean, createdBy = TEST_MEMBER_IDENTITY): Record<string, unknown> {
  return {
    type: 'sighting',
    spec_version: '2.1',
    id: `sighting--${randomUUID()}`,
    created: '2026-12-01T00:00:00.000Z',
    modified: '2026-12-01T00:00:00.000Z',
    created_by_ref: createdBy,
    sighting_of_ref: of,
    count: 1,
    where_sighted_refs: [createdBy],
    object_marking_refs: [TLP2_MARKING_IDS[tlp]],
    ...(detected ? { [DETECTION_PROPERTY]: true } : {}),
  };
}

function indicator(address: string, tlp: 'clear' | 'amber' | 'red'): Record<string, unknown> {
  return addressIndicator(address, tlp, TEST_MEMBER_IDENTITY);
}

describe('the live feed (GET /api/v1/events)', () => {
  let node: TestNode;
  let base: string;
  let other: string;
  const streams: Stream[] = [];

  before(async () => {
    node = await createTestNode('sqlite');
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const address = node.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` }]);
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
    other = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'other-analyst', user: 'other-analyst' })).token;
  });
  after(async () => {
    for (const s of streams) s.close();
    await node?.close();
  });

  const post = async (objects: Record<string, unknown>[]) => {
    const response = await fetch(`${base}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects }),
    });
    assert.equal(response.status, 200, await response.text());
  };

  it('sends each reader what is added that it may read, in order, and resumes after an event id', async () => {
    const mine = await openStream(base, node.tokens.analyst);
    const theirs = await openStream(base, other);
    streams.push(mine, theirs);
    assert.equal(mine.status, 200);
    assert.equal(theirs.status, 200);
    const clear = indicator('198.51.100.10', 'clear');
    const red = indicator('198.51.100.11', 'red');
    await post([clear, red]);
    await until('the originator sees both new indicators', () => (mine.events.length >= 2 ? undefined : `${mine.events.length} events`));
    assert.deepEqual(ids(mine).sort(), [clear.id, red.id].sort());
    assert.ok(mine.events.every((e) => e.event === 'intel' && /^[0-9]+$/.test(e.id!)));

    // The other member may not read TLP:RED: it gets the next readable object, never the red one.
    const later = indicator('198.51.100.12', 'clear');
    await post([later]);
    await until('the other member sees the later indicator', () => (ids(theirs).includes(later.id as string) ? undefined : `${JSON.stringify(ids(theirs))}`));
    assert.deepEqual(ids(theirs), [clear.id as string, later.id as string], 'TLP:RED is never sent to a member it is not shared with');

    // Resumed after the first event: what followed it, once.
    const firstId = theirs.events[0]!.id!;
    const resumed = await openStream(base, other, firstId);
    streams.push(resumed);
    await until('the resumed stream catches up', () => (resumed.events.length >= 1 ? undefined : 'no event yet'));
    const newest = indicator('198.51.100.13', 'clear');
    await post([newest]);
    await until('the resumed stream sees the next one', () => (ids(resumed).includes(newest.id as string) ? undefined : JSON.stringify(ids(resumed))));
    assert.deepEqual(ids(resumed), [later.id as string, newest.id as string]);
    for (const s of [mine, theirs, resumed]) s.close();
  });

  it('starts a stream without Last-Event-ID at its answer: nothing stored before, everything stored after', async () => {
    // A client knows a stream started once it is answered (fetch resolves, EventSource fires
    // open): the answer must come only once the start point is fixed, or what the client stores
    // right after could fall before it and never arrive.
    const feed = node.instanceOf(feedModule) as Feed;
    const start = feed.start.bind(feed);
    const order: string[] = [];
    let asked!: () => void;
    const startAsked = new Promise<void>((resolve) => (asked = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    feed.start = async () => {
      asked();
      await gate;
      const at = await start();
      order.push('start fixed');
      return at;
    };
    const before = indicator('198.51.100.230', 'clear');
    const during = indicator('198.51.100.231', 'clear');
    const afterAnswer = indicator('198.51.100.232', 'clear');
    const stream = await (async () => {
      try {
        await post([before]);
        const opening = openStream(base, other).then((opened) => {
          order.push('answered');
          return opened;
        });
        await startAsked;
        // Stored while the stream is opening, before its start point is fixed: not promised to it.
        await post([during]);
        release();
        return await opening;
      } finally {
        release();
        feed.start = start;
      }
    })();
    streams.push(stream);
    assert.equal(stream.status, 200);
    assert.deepEqual(order, ['start fixed', 'answered'], 'the stream is answered only once its start point is fixed');
    await post([afterAnswer]);
    await until('the object stored once the stream was answered arrives', () => (ids(stream).includes(afterAnswer.id as string) ? undefined : JSON.stringify(ids(stream))));
    assert.deepEqual(ids(stream), [afterAnswer.id], 'what was stored before the stream started is not sent');
    stream.close();
  });

  /**
   * Posts `after` once the streams' credentials ended: within REAUTHENTICATE_MS the ended streams
   * are told and closed, and never get it; the control stream, whose credentials hold, does.
   */
  async function expectEnded(ended: Record<string, Stream>, control: Stream, after: Record<string, unknown>): Promise<void> {
    await post([after]);
    await until('the control stream gets what came after', () => (ids(control).includes(after.id as string) ? undefined : 'not yet'));
    const streamsEnded = Object.values(ended);
    await until('the streams of ended credentials end', () => (streamsEnded.every((s) => s.ended) ? undefined : Object.entries(ended).map(([name, s]) => `${name} stream ended: ${s.ended}`).join(', ')), { limitMs: limit(REAUTHENTICATE_MS * 6) });
    for (const s of streamsEnded) {
      assert.ok(!ids(s).includes(after.id as string), 'nothing sent after the credentials ended');
      assert.equal(s.events.at(-1)?.event, 'end');
    }
    assert.equal(control.ended, false, 'a stream whose credentials hold goes on');
    for (const s of [...streamsEnded, control]) s.close();
  }

  it('ends a stream once its credentials end: a token revoked, a session signed out', async () => {
    const made = await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'short-lived', user: 'other-analyst' });
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'feed.session', member: 'OTH', clearance: 4, roles: ['analyst'], password: 'a long enough password' });
    const signedIn = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'feed.session', password: 'a long enough password' }) });
    assert.equal(signedIn.status, 200);
    const cookie = String(signedIn.headers.get('set-cookie')).split(';')[0]!;
    const { csrf_token } = (await signedIn.json()) as { csrf_token: string };
    const byToken = await openStream(base, made.token);
    const bySession = await openStream(base, { cookie });
    const control = await openStream(base, other);
    streams.push(byToken, bySession, control);
    for (const s of [byToken, bySession, control]) assert.equal(s.status, 200);
    await until('the streams open', () => ([byToken, bySession, control].every((s) => s.raw.length > 0) ? undefined : 'not yet'));

    await revokeToken(node.ctx, SYSTEM_PRINCIPAL, made.id);
    assert.equal((await fetch(`${base}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf_token } })).status, 204);
    await expectEnded({ token: byToken, session: bySession }, control, indicator('198.51.100.250', 'clear'));
  });

  it('ends a stream opened with Basic credentials once they end: the token revoked, the password set anew', async () => {
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'feed.basic', member: 'OTH', clearance: 4, roles: ['analyst'], password: 'the first long password' });
    const made = await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'basic-token', user: 'feed.basic' });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`feed.basic:${password}`).toString('base64')}` });
    const byToken = await openStream(base, basic(made.token));
    const byPassword = await openStream(base, basic('the first long password'));
    const control = await openStream(base, other);
    streams.push(byToken, byPassword, control);
    for (const s of [byToken, byPassword, control]) assert.equal(s.status, 200);
    await until('the streams open', () => ([byToken, byPassword, control].every((s) => s.raw.length > 0) ? undefined : 'not yet'));

    await revokeToken(node.ctx, SYSTEM_PRINCIPAL, made.id);
    assert.deepEqual(await setUserPassword(node.ctx, SYSTEM_PRINCIPAL, 'feed.basic', 'the second long password'), { status: 'set' });
    // New requests with either are refused at once (the verified password is not trusted from a cache).
    for (const old of [made.token, 'the first long password']) {
      assert.equal((await fetch(`${base}/api/v1/members`, { headers: basic(old) })).status, 401);
    }
    assert.equal((await fetch(`${base}/api/v1/members`, { headers: basic('the second long password') })).status, 200);
    await expectEnded({ token: byToken, password: byPassword }, control, indicator('198.51.100.251', 'clear'));
  });

  it('refuses a malformed Last-Event-ID, no credentials, and a user over its number of streams', async () => {
    const bad = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${other}`, 'last-event-id': 'abc' } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /Last-Event-ID 'abc' is not an event id/);
    assert.equal((await fetch(`${base}/api/v1/events`)).status, 401);

    // Closed streams gave their places back (the server sees the close a moment later).
    const open: Stream[] = [];
    await until('a user can open its full number of streams', async () => {
      for (const s of open.splice(0)) s.close();
      for (let i = 0; i < STREAMS_PER_USER; i++) open.push(await openStream(base, other));
      return open.every((s) => s.status === 200) ? undefined : `statuses ${open.map((s) => s.status).join(', ')}`;
    });
    streams.push(...open);
    const over = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${other}` } });
    assert.equal(over.status, 429);
    assert.equal(((await over.json()) as { error: { code: string } }).error.code, 'SW_TOO_MANY_STREAMS');
    for (const s of open) s.close();
  });

  it("holds one member's users to a quarter of the node's streams, so that another member's analysts still connect", async () => {
    const feed = node.instanceOf(feedModule) as Feed;
    const analyst = await principalOfUser(node.ctx, 'test-analyst');
    assert.ok(analyst?.member);
    // Users of one member (say, made by its administrator for the purpose), each with its own streams.
    const userOf = (code: string, name: string): Principal => ({ ...analyst, name, userName: name, member: { ...analyst.member!, code } });
    const releases: Array<() => void> = [];
    try {
      for (let u = 0; u < STREAMS_PER_MEMBER / STREAMS_PER_USER; u++) {
        for (let i = 0; i < STREAMS_PER_USER; i++) releases.push(feed.admit(userOf('FLD', `fld-${u}`)));
      }
      // A user of that member with none open yet is refused: the member holds its share.
      assert.throws(
        () => feed.admit(userOf('FLD', 'fld-last')),
        (error: unknown) => error instanceof ShieldwallError && error.code === 'SW_TOO_MANY_STREAMS' && /the users of your member hold 64 event streams open/.test(error.message),
      );
      // Another member's analyst still connects.
      releases.push(feed.admit(userOf('OK2', 'ok2-analyst')));
    } finally {
      for (const release of releases) release();
    }
    // The places came back: the member's users connect again.
    feed.admit(userOf('FLD', 'fld-last'))();
  });

  it('says nothing on the wire that depends on objects the reader may not read', async () => {
    const feed = node.instanceOf(feedModule) as Feed;
    const keepAliveBefore = feed.keepAliveMs;
    feed.keepAliveMs = 2000;
    const theirs = await openStream(base, other);
    streams.push(theirs);
    try {
      await until('the stream opens', () => (theirs.raw.length > 0 ? undefined : 'nothing received'));
      assert.equal(theirs.raw, 'retry: 3000\n\n', 'the opening does not tell where the store stands (the newest sequence)');
      // Objects it may not read keep arriving, more often than the keep-alive interval: the
      // keep-alive still comes (it is timed from what was sent, not from what woke the stream).
      // Posted for as long as it takes (a fast machine posts hundreds within one interval), up to
      // an outer bound against a hang.
      let posted = 0;
      const started = Date.now();
      while (theirs.comments.length === 0 && Date.now() - started < limit(60_000)) {
        await post([indicator(`198.51.100.${20 + (posted % 200)}`, 'red')]);
        posted++;
      }
      assert.ok(theirs.comments.length > 0, `no keep-alive after ${posted} unreadable objects in ${Date.now() - started} ms`);
      assert.deepEqual(theirs.comments, theirs.comments.map(() => 'keep-alive'));
      assert.deepEqual(theirs.events, [], 'none of the unreadable objects was sent');
    } finally {
      feed.keepAliveMs = keepAliveBefore;
      theirs.close();
    }
  });

  it('holds at most PAGE_CHARS of object bodies in a page, or the one object next (a slow reader keeps its page)', async () => {
    const feed = node.instanceOf(feedModule) as Feed;
    const analyst = (await principalOfUser(node.ctx, 'test-analyst'))!;
    const from = await feed.start();
    // Four objects of 400,000 characters each: two fill a page.
    const large: Array<Record<string, unknown>> = [0, 1, 2, 3].map((i) => ({ ...indicator(`198.51.100.${240 + i}`, 'clear'), description: 'x'.repeat(400_000) }));
    await post(large);
    const first = await feed.next(analyst, from);
    assert.deepEqual(first.events.map((e) => e.object.id), [large[0]!.id, large[1]!.id], `a page of ${first.events.length} objects of 400,000 characters`);
    assert.ok(first.more);
    const second = await feed.next(analyst, first.after);
    assert.deepEqual(second.events.map((e) => e.object.id), [large[2]!.id, large[3]!.id]);
    assert.ok(PAGE_CHARS < 3 * 400_000);
  });

  it('wakes its streams at most once per window however many batches are stored', async () => {
    const feed = node.instanceOf(feedModule) as Feed;
    const stream = await openStream(base, other);
    streams.push(stream);
    await until('the stream opens', () => (stream.raw.length > 0 ? undefined : 'nothing received'));
    const next = feed.next.bind(feed);
    let queries = 0;
    feed.next = (actor, after) => {
      queries++;
      return next(actor, after);
    };
    try {
      const started = Date.now();
      for (let i = 0; i < 100; i++) {
        node.ctx.bus.publish('intel.added', { objects: [] });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const elapsed = Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, WAKE_EVERY_MS * 2));
      const bound = Math.ceil((elapsed + WAKE_EVERY_MS * 2) / WAKE_EVERY_MS) + 2;
      assert.ok(queries >= 1, 'the stream was woken');
      assert.ok(queries <= bound, `${queries} queries for 100 batches in ${elapsed} ms (at most ${bound})`);
    } finally {
      feed.next = next;
      stream.close();
    }
  });

  it('gives each event the handling of the object as stored, and whether it is new or a new version', async (t) => {
    const mine = await openStream(base, node.tokens.analyst);
    const theirs = await openStream(base, other);
    streams.push(mine, theirs);
    t.after(() => {
      mine.close();
      theirs.close();
    });
    await until('the streams open', () => (mine.raw.length > 0 && theirs.raw.length > 0 ? undefined : 'nothing received'));
    const marking = handlingMarkingDefinition({ id: `marking-definition--${randomUUID()}`, created: '2026-12-01T00:00:00.000Z', classification: 'RESTRICTED', releasableTo: ['TST', 'OTH'] });
    const first: Record<string, unknown> = { ...indicator('198.51.100.40', 'amber'), object_marking_refs: [TLP2_MARKING_IDS.amber, marking.id] };
    const outside: Record<string, unknown> = { ...indicator('198.51.100.41', 'clear'), created_by_ref: `identity--${randomUUID()}` };
    await post([marking, first, outside]);
    await until('both readers see the first version', () => (about(mine, first.id).length > 0 && about(theirs, first.id).length > 0 && about(mine, outside.id).length > 0 ? undefined : 'not yet'));
    const handling: Handling = { tlp: 'amber', classification: 1, classification_name: 'RESTRICTED', releasable_to: ['TST', 'OTH'], origin: 'TST' };
    for (const stream of [mine, theirs]) {
      assert.deepEqual(about(stream, first.id), [{ event: 'intel', object: about(stream, first.id)[0]!.object, handling, change: 'new' }]);
    }
    assert.deepEqual(about(mine, outside.id)[0]!.handling, { tlp: 'clear', classification: 0, classification_name: 'UNCLASSIFIED', releasable_to: ['*'], origin: null }, 'an object of no member of the node has no origin');

    const second: Record<string, unknown> = { ...first, modified: '2026-12-02T00:00:00.000Z', description: 'second version' };
    await post([second]);
    await until('both readers see the second version', () => (about(mine, first.id).length > 1 && about(theirs, first.id).length > 1 ? undefined : 'not yet'));
    for (const stream of [mine, theirs]) {
      assert.deepEqual(about(stream, first.id).map((e) => e.change), ['new', 'updated']);
      assert.deepEqual(about(stream, first.id)[1]!.handling, handling);
    }
  });

  it('calls a version new to a reader that may not read the earlier one', async (t) => {
    const mine = await openStream(base, node.tokens.analyst);
    const theirs = await openStream(base, other);
    streams.push(mine, theirs);
    t.after(() => {
      mine.close();
      theirs.close();
    });
    await until('the streams open', () => (mine.raw.length > 0 && theirs.raw.length > 0 ? undefined : 'nothing received'));
    const first = indicator('198.51.100.42', 'red');
    await post([first]);
    await until('the originator sees the first version', () => (about(mine, first.id).length > 0 ? undefined : 'not yet'));
    const second: Record<string, unknown> = { ...first, modified: '2026-12-02T00:00:00.000Z', object_marking_refs: [TLP2_MARKING_IDS.clear] };
    await post([second]);
    await until('both see the second version', () => (about(mine, first.id).length > 1 && about(theirs, first.id).length > 0 ? undefined : 'not yet'));
    assert.deepEqual(about(mine, first.id).map((e) => [e.change, e.handling?.tlp]), [['new', 'red'], ['updated', 'clear']]);
    assert.deepEqual(about(theirs, first.id).map((e) => [e.change, e.handling?.tlp]), [['new', 'clear']], 'the TLP:RED first version is not told of');
  });

  it('sends the sightings detection reported as match events, only to those who may read them', async (t) => {
    const mine = await openStream(base, node.tokens.analyst);
    const theirs = await openStream(base, other);
    streams.push(mine, theirs);
    t.after(() => {
      mine.close();
      theirs.close();
    });
    await until('the streams open', () => (mine.raw.length > 0 && theirs.raw.length > 0 ? undefined : 'nothing received'));
    const sighted = indicator('198.51.100.43', 'clear');
    const redMatch = sighting(sighted.id, 'red', true);
    const clearMatch = sighting(sighted.id, 'clear', true);
    const reported = sighting(sighted.id, 'clear', false);
    const outsider = sighting(sighted.id, 'clear', true, `identity--${randomUUID()}`);
    await post([sighted, redMatch, clearMatch, reported, outsider]);
    const last = indicator('198.51.100.44', 'clear');
    await post([last]);
    await until('both readers reach the last object', () => (about(mine, last.id).length > 0 && about(theirs, last.id).length > 0 ? undefined : 'not yet'));
    const kinds = (stream: Stream) => [redMatch, clearMatch, reported, outsider].map((s) => about(stream, s.id).map((e) => e.event).join(','));
    assert.deepEqual(kinds(mine), ['match', 'match', 'sighting', 'sighting'], 'a sighting of no member of this node is not its detection');
    assert.deepEqual(kinds(theirs), ['', 'match', 'sighting', 'sighting'], 'the TLP:RED match is never sent to a member it is not shared with');
    assert.ok(!theirs.raw.includes(redMatch.id as string));
    assert.deepEqual(about(mine, redMatch.id)[0]!.handling, { tlp: 'red', classification: 0, classification_name: 'UNCLASSIFIED', releasable_to: ['ALLIANCE'], origin: 'TST' });
  });

  it('sends what a bulk match reported as a match event', async (t) => {
    const mine = await openStream(base, node.tokens.analyst);
    streams.push(mine);
    t.after(() => mine.close());
    await until('the stream opens', () => (mine.raw.length > 0 ? undefined : 'nothing received'));
    // An address no other test of this file gives an indicator (the flood above spans 198.51.100.20-219).
    await post([indicator('203.0.113.45', 'clear')]);
    await node.detection.settled();
    const log = JSON.stringify({ timestamp: '2026-12-03T08:00:00Z', dest_ip: '203.0.113.45' });
    const response = await fetch(`${base}/api/v1/match?format=ndjson&report_sightings=true`, { method: 'POST', body: log, headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/x-ndjson' } });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const reported = (JSON.parse(text.trim().split('\n').at(-1)!) as { summary: { reported: { ids: string[] } } }).summary.reported.ids;
    // The sighting, and the observed data it refers to (docs/DETECT.md "Reporting sightings").
    const sightings = reported.filter((id) => id.startsWith('sighting--'));
    assert.equal(sightings.length, 1, reported.join(', '));
    await until('the reported sighting arrives', () => (about(mine, sightings[0]).length > 0 ? undefined : 'not yet'));
    assert.equal(about(mine, sightings[0])[0]!.event, 'match');
  });
});
