/**
 * Notifications of incidents (docs/NOTIFICATIONS.md): subscriptions over HTTP, each user its
 * own; on incidents.changed, a delivery per channel to each subscriber the need-to-know rule lets
 * read the incident, cut to what it may see, posted to a real HTTP receiver that checks the
 * signature and mailed through a real SMTP server, retried with backoff on the node's clock, and
 * asked again at delivery time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, TEST_MEMBER, TEST_MEMBER_IDENTITY, type TestNode } from '../../../test/support/node.js';
import { fixedClock } from '../../core/clock.js';
import { TLP2_MARKING_IDS } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import type { RecordAccess } from '../../policy/record.js';
import { createToken, createUser, forgetCredentials, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import type { IncidentChange } from '../incidents/incidents.model.js';
import { ingestObjects } from '../intel/intel.service.js';
import { notifyModule } from './index.js';
import type { Notifier } from './notify.server.js';
import { DELIVERY_MAX_ATTEMPTS, dispatch, SUBSCRIPTIONS_PER_USER, WAITING_PER_CHANNEL, type Delivery, type Subscription } from './notify.service.js';
import { addressIndicator } from '../../../test/support/factories.js';
import { SubscriptionReceiver, subscriptionsOf } from '../../../test/support/receivers.js';
import { smtpSink } from '../../../test/support/smtp-sink.js';
import { waitFor } from '../../../test/support/wait.js';
import { createCa, issue } from '../../core/pki.js';
import { WEBHOOK_DESTINATIONS } from './notify.channels.js';
import { addressRefusal, DESTINATION_REFUSED, disallowedRule, parseWebhookAllow, resolveDestination, systemHostLookup, webhookAllowOf, type HostLookup } from './notify.destination.js';
import { loadConfig } from '../../config/config.js';

const OTHER = 'OTH';
const OTHER_IDENTITY = 'identity--0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';

function access(overrides: Partial<RecordAccess> = {}): RecordAccess {
  return { tlp: 'amber', classification: 1, releasability: [TEST_MEMBER, OTHER], originMember: TEST_MEMBER, owner: 'test-analyst', recipients: [], ...overrides };
}

function change(overrides: Partial<IncidentChange> = {}): IncidentChange {
  return {
    id: `incident--${randomUUID()}`,
    version: 1,
    change: 'created',
    title: 'Wiper on substation controllers',
    status: 'new',
    level: 3,
    score: 57,
    significant: true,
    sectors: ['energy'],
    member: TEST_MEMBER,
    linked: [],
    access: access(),
    source: 'local',
    modified: '2026-12-03T10:00:00.000Z',
    ...overrides,
  };
}

function indicator(address: string, tlp: 'green' | 'red'): Record<string, unknown> {
  return addressIndicator(address, tlp, TEST_MEMBER_IDENTITY);
}

/** A sighting (STIX 2.1 section 5.2) of an indicator, created by a member's identity. */
function sighting(of: unknown, createdBy: string): Record<string, unknown> {
  return {
    type: 'sighting',
    spec_version: '2.1',
    id: `sighting--${randomUUID()}`,
    created: '2026-12-02T00:00:00.000Z',
    modified: '2026-12-02T00:00:00.000Z',
    created_by_ref: createdBy,
    sighting_of_ref: of,
    count: 1,
    object_marking_refs: [TLP2_MARKING_IDS.green],
  };
}

for (const dialect of DIALECTS) {
  describe(`incident notifications (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    const clock = fixedClock(new Date('2026-12-03T10:00:00.000Z'));
    const receiver = new SubscriptionReceiver();
    let sink: Awaited<ReturnType<typeof smtpSink>>;
    let node: TestNode;
    let base: string;
    /** Tokens by user name. */
    const tokens: Record<string, string> = {};

    before(async () => {
      await receiver.start();
      sink = await smtpSink();
      // The receivers run on this machine: the node allows loopback as an operator allows an internal receiver.
      node = await createTestNode(dialect, { smtpUrl: `smtp://127.0.0.1:${sink.port}`, smtpFrom: 'Shieldwall <shieldwall@node.example>', webhookAllow: ['127.0.0.1/32'], notifyContentLevel: 2 }, undefined, clock);
      await node.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(node.app.server.address() as AddressInfo).port}`;
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: OTHER, name: 'Other ally', kind: 'ally', country: null, identityId: OTHER_IDENTITY }]);
      // Cleared to SECRET, RESTRICTED only, and one to be disabled.
      for (const [name, clearance] of [['oth-analyst', 3], ['oth-restricted', 1], ['oth-leaver', 3]] as const) {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: OTHER, clearance, roles: ['analyst'] });
        tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
      }
      tokens['test-analyst'] = node.tokens.analyst;
      tokens['test-auditor'] = node.tokens.auditor;
    });
    after(async () => {
      await node?.close();
      await receiver.close();
      await sink?.close();
    });

    const { api, subscribe, deliveries } = subscriptionsOf(() => base, tokens, receiver);

    /** What the incidents module does after a write: announce the change; then the node's jobs run what is due. */
    const announce = async (announced: IncidentChange): Promise<void> => {
      node.ctx.bus.publish('incidents.changed', announced);
      await (node.instanceOf(notifyModule) as Notifier).settled();
      await node.jobs.runDue();
    };

    it('keeps each user its own subscriptions, shows a generated secret once, and bounds them', async () => {
      const created = await subscribe('oth-analyst', 'crud', { sectors: ['energy', 'energy'], min_level: 2, significant_only: false });
      assert.match(created.channels.webhook!.secret!, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(created.filter, { min_level: 2, sectors: ['energy'] }, 'repeats and flags that ask nothing are left out');
      const read = await api('oth-analyst', 'GET', `/subscriptions/${created.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual((read.json as Subscription).channels, { webhook: { url: `${receiver.url}/hook/crud` } }, 'the secret is not shown again');
      assert.equal((await api('test-analyst', 'GET', `/subscriptions/${created.id}`)).status, 404, "another user's subscription is answered as absent");
      assert.equal((await api('test-analyst', 'PATCH', `/subscriptions/${created.id}`, { enabled: false })).status, 404);
      assert.equal((await api('test-analyst', 'DELETE', `/subscriptions/${created.id}`)).status, 404);
      assert.ok(!((await api('test-analyst', 'GET', '/subscriptions')).json as { subscriptions: Subscription[] }).subscriptions.some((s) => s.id === created.id));

      const renamed = await api('oth-analyst', 'PATCH', `/subscriptions/${created.id}`, { name: 'renamed', channels: { webhook: { url: `${receiver.url}/hook/crud`, new_secret: true } } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
      const secret = (renamed.json as Subscription).channels.webhook!.secret!;
      assert.ok(secret !== created.channels.webhook!.secret, 'a new secret, shown once');
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${created.id}`)).status, 204);
      assert.equal((await api('oth-analyst', 'GET', `/subscriptions/${created.id}`)).status, 404);

      const refused: Array<[unknown, RegExp]> = [
        [{ name: 'x', channels: { webhook: { url: 'ftp://example.org/hook' } } }, /scheme 'ftp' is not http or https/],
        [{ name: 'x', channels: { webhook: { url: 'https://user:pw@example.org/hook' } } }, /no user name or password in the URL/],
        [{ name: 'x', channels: { webhook: { url: 'https://example.org/hook', secret: 'short' } } }, /16 to 256 characters/],
        [{ name: 'x', channels: {} }, /give a webhook .* or an e-mail address/],
        [{ name: 'x', filter: { sectors: ['energy', 'shipping'], statuses: ['open'] }, channels: { webhook: { url: 'https://example.org/hook' } } }, /filter.sectors: 'shipping' is not a sector.*filter.statuses: 'open' is not a status/],
        [{ name: 'x', channels: { email: { address: 'not-an-address' } } }, /is not an e-mail address/],
        [{ name: 'y'.repeat(101), channels: { webhook: { url: 'https://example.org/hook' } } }, /name/],
      ];
      for (const [body, message] of refused) {
        const answer = await api('oth-analyst', 'POST', '/subscriptions', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.match((answer.json as { error: { message: string } }).error.message, message);
      }
      // The node's own admin user and peers hold no subscriptions; a user holds at most SUBSCRIPTIONS_PER_USER.
      const ids: string[] = [];
      for (let i = 0; i < SUBSCRIPTIONS_PER_USER; i++) ids.push((await subscribe('test-auditor', `bound-${i}`)).id);
      const over = await api('test-auditor', 'POST', '/subscriptions', { name: 'one too many', channels: { webhook: { url: 'https://example.org/hook' } } });
      assert.equal(over.status, 409);
      assert.match((over.json as { error: { message: string } }).error.message, /you hold 50 subscriptions, the most one user may/);
      for (const id of ids) assert.equal((await api('test-auditor', 'DELETE', `/subscriptions/${id}`)).status, 204);
    });

    it('posts a signed notice to each entitled subscriber whose filter matches, and mails it with its handling banner', async () => {
      const all = await subscribe('oth-analyst', 'all', {}, 'analyst@oth.example');
      const water = await subscribe('oth-analyst', 'water', { sectors: ['drinking-water'] });
      const updates = await subscribe('oth-analyst', 'updates', { changes: ['updated'], min_level: 4 });
      const announced = change({ access: access({ classification: 2 }) });
      const mailsBefore = sink.mails.length;
      await announce(announced);

      const posts = receiver.at('/hook/all');
      assert.equal(posts.length, 1);
      const [post] = posts;
      assert.ok(post!.verified, 'the signature verifies with the subscription secret');
      assert.equal(post!.headers['x-shieldwall-event'], 'incident.created');
      assert.equal(post!.headers['content-type'], 'application/json');
      assert.equal(post!.headers['x-shieldwall-timestamp'], String(Math.floor(clock.now().getTime() / 1000)));
      const body = JSON.parse(post!.body) as { event: string; delivery: string; subscription: string; incident: Record<string, unknown> };
      assert.equal(post!.headers['x-shieldwall-delivery'], body.delivery);
      const { access: _withheld, ...shown } = announced;
      assert.deepEqual(body, {
        event: 'incident.created',
        delivery: body.delivery,
        subscription: all.id,
        incident: { notice: 'full', ...shown, link: `/#/incidents/${announced.id}`, handling: { tlp: 'amber', classification: 'CONFIDENTIAL', releasability: [TEST_MEMBER, OTHER] } },
      });
      assert.equal(receiver.at('/hook/water').length + receiver.at('/hook/updates').length, 0, 'filters that do not match get nothing');

      const mails = sink.mails.slice(mailsBefore);
      assert.equal(mails.length, 1);
      const mail = mails[0]!;
      assert.deepEqual(mail.to, ['analyst@oth.example']);
      const banner = '[TLP:AMBER CONFIDENTIAL REL TO TST, OTH]';
      assert.equal(mail.headers.subject, `${banner} Incident reported: Wiper on substation controllers (level 3 High)`);
      assert.equal(mail.headers.from, 'Shieldwall <shieldwall@node.example>');
      assert.equal(mail.headers['x-shieldwall-event'], 'incident.created');
      const lines = mail.body.trimEnd().split('\n');
      assert.equal(lines[0], banner, 'the banner opens the body');
      assert.equal(lines.at(-1), banner, 'and closes it');
      assert.match(mail.body, /Severity: +level 3 High, score 57, significant/);
      assert.match(mail.body, new RegExp(`Incident: +${announced.id} \\(version 1\\)`));

      const log = await deliveries('oth-analyst', all.id);
      assert.deepEqual(log.map((d) => [d.channel, d.status, d.attempts.length, d.incident?.id]).sort(), [['email', 'delivered', 1, announced.id], ['webhook', 'delivered', 1, announced.id]]);
      assert.equal(log.find((d) => d.channel === 'webhook')!.attempts[0]!.status_code, 200);
      assert.equal((await deliveries('oth-analyst', water.id)).length + (await deliveries('oth-analyst', updates.id)).length, 0);

      // The same version announced again (a peer delivering it twice) is delivered once.
      await announce(announced);
      assert.equal(receiver.at('/hook/all').length, 1);
      for (const s of [all, water, updates]) assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${s.id}`)).status, 204);
    });

    it('sends nothing, by either channel, to a subscriber the rule does not let read the incident', async () => {
      const entitled = await subscribe('oth-analyst', 'entitled', {}, 'entitled@oth.example');
      const uncleared = await subscribe('oth-restricted', 'uncleared', {}, 'uncleared@oth.example');
      const mailsBefore = sink.mails.length;
      // CONFIDENTIAL: above oth-restricted's clearance (RESTRICTED).
      const classified = change({ title: 'Classified incident', access: access({ classification: 2 }) });
      // Released to the reporting member only: OTH is not released to.
      const national = change({ title: 'National incident', access: access({ releasability: [TEST_MEMBER] }) });
      // TLP:RED for a named user of OTH: not for the other users of the member.
      const red = change({ title: 'Red incident', access: access({ tlp: 'red', releasability: [TEST_MEMBER, OTHER], recipients: [] }) });
      for (const c of [classified, national, red]) await announce(c);

      const titles = (label: string) => receiver.at(`/hook/${label}`).map((r) => (JSON.parse(r.body) as { incident: { title: string } }).incident.title);
      assert.deepEqual(titles('uncleared'), [], 'not cleared for CONFIDENTIAL, not released to, not named for RED');
      assert.deepEqual(titles('entitled'), ['Classified incident'], 'cleared: only what it may read');
      const mailed = sink.mails.slice(mailsBefore);
      assert.deepEqual(mailed.map((m) => m.to[0]), ['entitled@oth.example']);
      assert.ok(!mailed.some((m) => /National incident|Red incident/.test(m.body)));
      assert.deepEqual(await deliveries('oth-restricted', uncleared.id), [], 'not even a delivery is recorded');
      for (const [user, s] of [['oth-analyst', entitled], ['oth-restricted', uncleared]] as const) assert.equal((await api(user, 'DELETE', `/subscriptions/${s.id}`)).status, 204);
    });

    it('retries a receiver that fails, with growing waits on the node clock, until it takes the delivery', async () => {
      const flaky = await subscribe('oth-analyst', 'flaky');
      receiver.answers.set('/hook/flaky', [503, 502]);
      await announce(change({ title: 'Retried incident' }));
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 2; attempt++) {
        const [delivery] = await deliveries('oth-analyst', flaky.id);
        assert.equal(delivery!.status, 'pending');
        assert.equal(delivery!.attempts.length, attempt);
        assert.equal(delivery!.attempts.at(-1)!.status_code, attempt === 1 ? 503 : 502);
        assert.match(delivery!.last_error!, /the receiver answered 50[32]/);
        assert.ok(delivery!.next_attempt_at, 'the next attempt is due at a time');
        const dueIn = Date.parse(delivery!.next_attempt_at!) - clock.now().getTime();
        waits.push(dueIn);
        // Not before it is due.
        clock.advance(dueIn - 1000);
        await node.jobs.runDue();
        assert.equal(receiver.at('/hook/flaky').length, attempt);
        clock.advance(1000);
        await node.jobs.runDue();
      }
      assert.ok(waits[0]! >= 24_000 && waits[0]! <= 36_000, `first wait ${waits[0]} ms: 30 s ± 20%`);
      assert.ok(waits[1]! > waits[0]!, `the wait grows: ${waits.join(', ')} ms`);
      const [delivered] = await deliveries('oth-analyst', flaky.id);
      assert.equal(delivered!.status, 'delivered');
      assert.deepEqual(delivered!.attempts.map((a) => a.status_code), [503, 502, 200]);
      assert.equal(delivered!.next_attempt_at, null);
      assert.equal(receiver.at('/hook/flaky').length, 3);
      assert.ok(receiver.at('/hook/flaky').every((r) => r.verified && r.headers['x-shieldwall-delivery'] === delivered!.id), 'every attempt is the same delivery, each signed');
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${flaky.id}`)).status, 204);
    });

    it('fails a delivery whose attempts are spent, recording each error', async () => {
      // A port nobody listens on: connection refused.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const { json } = await api('oth-analyst', 'POST', '/subscriptions', { name: 'unreachable', channels: { webhook: { url: `http://127.0.0.1:${port}/hook` } } });
      const unreachable = json as Subscription;
      await announce(change({ title: 'Undeliverable incident' }));
      for (let i = 0; i < DELIVERY_MAX_ATTEMPTS * 2; i++) {
        const [delivery] = await deliveries('oth-analyst', unreachable.id);
        if (delivery!.status !== 'pending') break;
        clock.advance(Date.parse(delivery!.next_attempt_at!) - clock.now().getTime());
        await node.jobs.runDue();
      }
      const [failed] = await deliveries('oth-analyst', unreachable.id);
      assert.equal(failed!.status, 'failed');
      assert.equal(failed!.attempts.length, DELIVERY_MAX_ATTEMPTS);
      assert.ok(failed!.attempts.every((a) => a.status_code === null && /ECONNREFUSED/.test(a.error ?? '')), JSON.stringify(failed!.attempts[0]));
      assert.equal(failed!.next_attempt_at, null);
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${unreachable.id}`)).status, 204);
    });

    it('asks again at delivery time: a subscriber disabled meanwhile, or an incident re-marked beyond it, gets nothing more', async () => {
      const leaving = await subscribe('oth-leaver', 'leaving', {}, 'leaver@oth.example');
      const staying = await subscribe('oth-analyst', 'staying');
      receiver.answers.set('/hook/leaving', [503]);
      receiver.answers.set('/hook/staying', [503]);
      const first = change({ title: 'Re-marked incident' });
      const mailsBefore = sink.mails.length;
      await announce(first);
      // The e-mail went at once; the webhooks wait for their second attempt.
      assert.equal(sink.mails.slice(mailsBefore).length, 1);
      await node.testStore.store.db.updateTable('users').set({ disabled_at: clock.now().toISOString() }).where('name', '=', 'oth-leaver').execute();
      forgetCredentials(node.ctx);
      // A newer version released to the reporting member only.
      await announce(change({ ...first, version: 2, change: 'updated', modified: '2026-12-03T11:00:00.000Z', access: access({ releasability: [TEST_MEMBER] }) }));
      clock.advance(60 * 60_000);
      await node.jobs.runDue();
      assert.equal(receiver.at('/hook/leaving').length, 1, 'only the attempt made before the user was disabled');
      assert.equal(receiver.at('/hook/staying').length, 1, 'only the attempt made before the re-marking');
      const [left] = (await node.testStore.store.db.selectFrom('notify_deliveries').selectAll().where('subscription_id', '=', leaving.id).where('channel', '=', 'webhook').execute());
      assert.equal(left!.status, 'withheld');
      assert.match(left!.last_error!, /disabled, removed, or no longer holds incidents:read/);
      const [stayed] = await deliveries('oth-analyst', staying.id);
      assert.equal(stayed!.status, 'withheld');
      assert.equal(stayed!.last_error, 'the subscriber may no longer read this incident');
      assert.equal(stayed!.incident, null, 'the log no longer names an incident its reader may not read');
      await api('oth-analyst', 'DELETE', `/subscriptions/${staying.id}`);
      await node.testStore.store.db.deleteFrom('notify_subscriptions').where('id', '=', leaving.id).execute();
    });

    it("hears of incidents linking an indicator its member sighted, and shows only the links it may read", async () => {
      const reader = (await principalOfUser(node.ctx, 'oth-analyst')) as Principal;
      const sightedByMe = indicator('203.0.113.61', 'green');
      const sightedByOthers = indicator('203.0.113.62', 'green');
      const hidden = indicator('203.0.113.63', 'red');
      await ingestObjects(node.ctx, (await principalOfUser(node.ctx, 'test-analyst'))!, [sightedByMe, sightedByOthers, hidden, sighting(sightedByOthers.id, TEST_MEMBER_IDENTITY)]);
      const summary = await ingestObjects(node.ctx, reader, [sighting(sightedByMe.id, OTHER_IDENTITY)]);
      assert.equal(summary.accepted, 1, JSON.stringify(summary));
      const mine = await subscribe('oth-analyst', 'mine', { linked_to_my_sightings: true });
      const linkedMine = change({ title: 'Links my sighting', linked: [String(sightedByMe.id), String(hidden.id)] });
      const linkedOthers = change({ title: "Links another member's sighting", linked: [String(sightedByOthers.id)] });
      const linkedNone = change({ title: 'Links nothing' });
      for (const c of [linkedMine, linkedOthers, linkedNone]) await announce(c);
      const got = receiver.at('/hook/mine').map((r) => (JSON.parse(r.body) as { incident: { title: string; linked: string[] } }).incident);
      assert.deepEqual(got.map((i) => i.title), ['Links my sighting']);
      assert.deepEqual(got[0]!.linked, [sightedByMe.id], 'the TLP:RED indicator it may not read is not named');
      const allowed = await api('test-auditor', 'POST', '/subscriptions', { name: 'x', filter: { linked_to_my_sightings: true }, channels: { webhook: { url: 'https://example.org/hook' } } });
      assert.equal(allowed.status, 201, 'a user of a member with an identity may ask for it');
      await api('test-auditor', 'DELETE', `/subscriptions/${(allowed.json as Subscription).id}`);
      await api('oth-analyst', 'DELETE', `/subscriptions/${mine.id}`);
    });

    it('sends a test delivery on each channel, one at a time', async () => {
      const tested = await subscribe('oth-analyst', 'tested', {}, 'tested@oth.example');
      receiver.answers.set('/hook/tested', [500]);
      const mailsBefore = sink.mails.length;
      const first = await api('oth-analyst', 'POST', `/subscriptions/${tested.id}/test`);
      assert.equal(first.status, 202, JSON.stringify(first.json));
      assert.deepEqual((first.json as { deliveries: Delivery[] }).deliveries.map((d) => [d.channel, d.event, d.status]).sort(), [['email', 'test', 'pending'], ['webhook', 'test', 'pending']]);
      await node.jobs.runDue();
      const again = await api('oth-analyst', 'POST', `/subscriptions/${tested.id}/test?channel=webhook`);
      assert.equal(again.status, 409, 'the webhook test still waits for its retry');
      assert.equal((await api('oth-analyst', 'POST', `/subscriptions/${tested.id}/test?channel=email`)).status, 202, 'the mailed one was delivered');
      await node.jobs.runDue();
      const [post] = receiver.at('/hook/tested');
      assert.ok(post!.verified);
      assert.equal(post!.headers['x-shieldwall-event'], 'test');
      const mails = sink.mails.slice(mailsBefore);
      assert.equal(mails.length, 2);
      assert.match(mails[0]!.headers.subject!, /^\[TLP:CLEAR UNCLASSIFIED REL TO EVERYONE\] Test notification: tested$/);
      await api('oth-analyst', 'DELETE', `/subscriptions/${tested.id}`);
    });

    it('notifies of an incident reported and moved on through the incidents API', async () => {
      const reported = await subscribe('oth-analyst', 'reported', { sectors: ['health'] });
      const answer = await api('test-analyst', 'POST', '/incidents', { title: 'Ransomware at a hospital group', sectors: ['health'], tlp: 'amber', releasability: [TEST_MEMBER, OTHER] });
      assert.equal(answer.status, 201, JSON.stringify(answer.json));
      const incident = answer.json as { id: string; version: number };
      await (node.instanceOf(notifyModule) as Notifier).settled();
      await node.jobs.runDue();
      const moved = await api('test-analyst', 'POST', `/incidents/${incident.id}/status`, { status: 'triaged' });
      assert.equal(moved.status, 200, JSON.stringify(moved.json));
      await (node.instanceOf(notifyModule) as Notifier).settled();
      await node.jobs.runDue();
      const got = receiver.at('/hook/reported');
      assert.ok(got.every((r) => r.verified));
      const handling = { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: [TEST_MEMBER, OTHER] };
      assert.deepEqual(
        got.map((r) => {
          const { id, status, handling: shown } = (JSON.parse(r.body) as { incident: { id: string; status: string; handling: unknown } }).incident;
          return [r.headers['x-shieldwall-event'], id, status, shown];
        }),
        [
          ['incident.created', incident.id, 'new', handling],
          ['incident.updated', incident.id, 'triaged', handling],
        ],
      );
      await api('oth-analyst', 'DELETE', `/subscriptions/${reported.id}`);
    });

    it("sends one subscriber's deliveries one at a time: receivers that never answer hold one place, and the others' deliveries go on", async () => {
      // A receiver that answers only when the test lets it.
      const held: Array<() => void> = [];
      const slow = createServer((request, response) => {
        request.resume();
        held.push(() => response.end('ok'));
      });
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
      const stuckAt = (label: string) => ({ name: label, channels: { webhook: { url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/${label}` } } });
      // One subscriber, two subscriptions to receivers that hold every request.
      const stuck = (await api('oth-analyst', 'POST', '/subscriptions', stuckAt('stuck'))).json as Subscription;
      const stuckToo = (await api('oth-analyst', 'POST', '/subscriptions', stuckAt('stuck-too'))).json as Subscription;
      let fair: Subscription | undefined;
      try {
        node.jobs.start();
        // Two incidents for the stuck subscriptions alone: the first of their deliveries is sent.
        for (const title of ['First of three', 'Second of three']) node.ctx.bus.publish('incidents.changed', change({ title }));
        await (node.instanceOf(notifyModule) as Notifier).settled();
        await waitFor("the stuck subscriber's first delivery sent", () => held.length === 1);
        // Then another subscriber's subscription, and a third incident for all three.
        fair = await subscribe('oth-restricted', 'fair');
        node.ctx.bus.publish('incidents.changed', change({ title: 'Third of three' }));
        await (node.instanceOf(notifyModule) as Notifier).settled();
        // Before, each subscription was a group of its own: the stuck subscriber's two took both of
        // the kind's places, and the other subscriber's delivery waited behind them.
        await waitFor("the other subscriber's delivery", () => receiver.at('/hook/fair').length === 1);
        assert.equal(held.length, 1, "one of the stuck subscriber's deliveries is being sent, not two");
        // Let each through: the next is sent once the one before is answered.
        for (let sent = 1; sent <= 6; sent++) {
          await waitFor(`delivery ${sent} of the stuck subscriber sent`, () => held.length === sent);
          held[sent - 1]!();
        }
        for (const s of [stuck, stuckToo]) {
          await waitFor('the stuck subscriptions delivered', async () => (await deliveries('oth-analyst', s.id)).every((d) => d.status === 'delivered'));
          assert.deepEqual((await deliveries('oth-analyst', s.id)).map((d) => d.attempts.length), [1, 1, 1]);
        }
      } finally {
        await node.jobs.stop();
        for (const release of held) release();
        for (const s of [stuck, stuckToo]) await api('oth-analyst', 'DELETE', `/subscriptions/${s.id}`);
        if (fair) await api('oth-restricted', 'DELETE', `/subscriptions/${fair.id}`);
        slow.closeAllConnections();
        await new Promise((resolve) => slow.close(resolve));
      }
    });

    it('keeps at most WAITING_PER_CHANNEL deliveries of a channel waiting: past them a change is stored failed, saying why, and not sent', async () => {
      const backlog = await subscribe('oth-analyst', 'backlog');
      const changes = WAITING_PER_CHANNEL + 2;
      // Each change dispatched as its job does; the deliveries' own jobs are not run: they wait.
      for (let i = 0; i < changes; i++) await dispatch(node.ctx, node.jobs, change({ title: `Backlog ${i}` }));
      const rows = await node.testStore.store.db.selectFrom('notify_deliveries').select(['status', 'last_error']).where('subscription_id', '=', backlog.id).execute();
      assert.equal(rows.filter((r) => r.status === 'pending').length, WAITING_PER_CHANNEL);
      const failed = rows.filter((r) => r.status === 'failed');
      assert.equal(failed.length, 2);
      assert.match(failed[0]!.last_error!, new RegExp(`not sent: ${WAITING_PER_CHANNEL} deliveries of this webhook are waiting already`));
      const jobs = await node.testStore.store.db.selectFrom('jobs').select('key').where('kind', '=', 'notify.deliver').where('state', '=', 'pending').where('key', 'like', `%:${backlog.id}:%`).execute();
      assert.equal(jobs.length, WAITING_PER_CHANNEL, 'no job for what is not sent');
      assert.ok(jobs.every((job) => job.key!.startsWith('notify.deliver:@oth-analyst:')), 'grouped by their subscriber');
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${backlog.id}`)).status, 204);
    });

    it('keeps no secret in clear in the store and none in the audit log', async () => {
      const kept = await subscribe('oth-analyst', 'kept');
      const secret = kept.channels.webhook!.secret!;
      const row = await node.testStore.store.db.selectFrom('notify_subscriptions').selectAll().where('id', '=', kept.id).executeTakeFirstOrThrow();
      assert.ok(row.webhook_secret!.startsWith('v1:') && !row.webhook_secret!.includes(secret), 'sealed with the node key');
      const audit = await sql<{ detail: string }>`select detail from audit_log where subject = ${kept.id}`.execute(node.testStore.store.db);
      assert.equal(audit.rows.length, 1);
      assert.ok(!audit.rows[0]!.detail.includes(secret));
      assert.match(audit.rows[0]!.detail, /"webhook_host":"127\.0\.0\.1:\d+"/);
      await api('oth-analyst', 'DELETE', `/subscriptions/${kept.id}`);
    });

    it('tells of a TLP:RED or TLP:AMBER+STRICT incident by reference only, by webhook and by mail', async () => {
      const named = await subscribe('oth-analyst', 'named', {}, 'named@oth.example');
      const mailsBefore = sink.mails.length;
      // RED: OTH released to, and oth-analyst named (POLICY.md rows 3 and 6); AMBER+STRICT: OTH named by its code (row 5).
      const red = change({ title: 'Red wiper at the grid operator', sectors: ['energy'], access: access({ tlp: 'red', releasability: [TEST_MEMBER, OTHER, '@oth-analyst'] }) });
      const strict = change({ title: 'Strict ransomware case', sectors: ['health'], member: OTHER, access: access({ tlp: 'amber+strict', releasability: [TEST_MEMBER, OTHER] }) });
      for (const c of [red, strict]) await announce(c);

      const posts = receiver.at('/hook/named');
      assert.ok(posts.length === 2 && posts.every((r) => r.verified), 'both delivered, signed');
      const reference = (c: IncidentChange, handling: Record<string, unknown>) => ({ notice: 'reference', id: c.id, version: 1, change: 'created', modified: c.modified, link: `/#/incidents/${c.id}`, handling });
      assert.deepEqual(
        posts.map((r) => (JSON.parse(r.body) as { incident: unknown }).incident),
        [
          reference(red, { tlp: 'red', classification: 'RESTRICTED', releasability: [TEST_MEMBER, OTHER, '@oth-analyst'] }),
          reference(strict, { tlp: 'amber+strict', classification: 'RESTRICTED', releasability: [TEST_MEMBER, OTHER] }),
        ],
        'the id, where to read it and the handling: no title, status, severity, sectors, reporter nor links',
      );

      const mails = sink.mails.slice(mailsBefore);
      assert.deepEqual(mails.map((m) => m.headers.subject), [
        `[TLP:RED RESTRICTED REL TO TST, OTH, @oth-analyst] Incident reported: ${red.id}`,
        `[TLP:AMBER+STRICT RESTRICTED REL TO TST, OTH] Incident reported: ${strict.id}`,
      ]);
      for (const [mail, c] of [[mails[0]!, red], [mails[1]!, strict]] as const) {
        assert.ok(!/wiper|ransomware|energy|health|severity|status|reported by/i.test(mail.body), `no content in the mail:\n${mail.body}`);
        assert.ok(mail.body.includes(`Read it:     /#/incidents/${c.id} on the node`));
        assert.match(mail.body, /Its content stays on the node: marked TLP:(RED|AMBER\+STRICT), it is not sent by e-mail or webhook\./);
      }
      const log = await deliveries('oth-analyst', named.id);
      assert.deepEqual(log.map((d) => d.status), ['delivered', 'delivered', 'delivered', 'delivered']);
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${named.id}`)).status, 204);
    });

    it('cuts a notice stored in full to a reference when the incident is marked TLP:RED before it leaves', async () => {
      const remarked = await subscribe('oth-analyst', 'remarked', {}, 'remarked@oth.example');
      receiver.answers.set('/hook/remarked', [503]);
      const first = change({ title: 'Soon a red incident' });
      await announce(first);
      const [before] = receiver.at('/hook/remarked');
      assert.equal((JSON.parse(before!.body) as { incident: { title?: string } }).incident.title, 'Soon a red incident', 'the first attempt, made before the re-marking, in full');
      const redAccess = access({ tlp: 'red', releasability: [TEST_MEMBER, OTHER, '@oth-analyst'] });
      await announce(change({ ...first, version: 2, change: 'updated', modified: '2026-12-03T11:00:00.000Z', access: redAccess }));
      clock.advance(60 * 60_000);
      await node.jobs.runDue();

      const after = receiver.at('/hook/remarked').slice(1);
      const incidents = after.map((r) => (JSON.parse(r.body) as { incident: Record<string, unknown> }).incident);
      assert.deepEqual(incidents.map((i) => [i.version, i.notice, i.title, (i.handling as { tlp: string }).tlp]).sort(), [[1, 'reference', undefined, 'red'], [2, 'reference', undefined, 'red']], 'version 1 retried as a reference under the newest handling, version 2 as one');
      assert.ok(after.every((r) => r.verified), 'the body cut is the body signed');
      const mails = sink.mails.filter((m) => m.to.includes('remarked@oth.example'));
      assert.equal(mails.length, 2);
      assert.ok(mails[0]!.body.includes('Soon a red incident') && !mails[1]!.body.includes('Soon a red incident'), 'mailed in full before, by reference after');
      assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${remarked.id}`)).status, 204);
    });

    it('connects to the address a name was resolved to and checked at, with the name as Host and TLS server name', async () => {
      const destinations = node.ctx.state.get(WEBHOOK_DESTINATIONS);
      const asked: string[] = [];
      // '.test' names resolve nowhere (RFC 6761): a second lookup, by the system, would fail the delivery.
      destinations.lookup = async (name) => {
        asked.push(name);
        if (name === 'receiver.hooks.test') return [{ address: '127.0.0.1', family: 4 }];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      };
      const servernames: string[] = [];
      let tlsServer: TlsServer | undefined;
      try {
        const port = new URL(receiver.url).port;
        const created = await api('oth-analyst', 'POST', '/subscriptions', { name: 'pinned', channels: { webhook: { url: `http://receiver.hooks.test:${port}/hook/pinned` } } });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const pinned = created.json as Subscription;
        receiver.secrets.set(pinned.id, pinned.channels.webhook!.secret!);
        await announce(change({ title: 'Pinned incident' }));
        const [post] = receiver.at('/hook/pinned');
        assert.ok(post?.verified, 'delivered, signed');
        assert.equal(post.headers.host, `receiver.hooks.test:${port}`);
        assert.deepEqual(asked, ['receiver.hooks.test', 'receiver.hooks.test'], 'asked once when subscribing, once for the attempt');
        assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${pinned.id}`)).status, 204);

        // HTTPS: the TLS server name is the name, not the address connected to.
        const ca = await createCa('Webhook receivers test CA');
        const leaf = await issue(ca, { commonName: 'receiver.hooks.test', usage: 'server', dnsNames: ['receiver.hooks.test'] });
        const context = createSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
        tlsServer = createTlsServer({ key: leaf.keyPem, cert: leaf.certPem, SNICallback: (servername, done) => { servernames.push(servername); done(null, context); } });
        await new Promise<void>((resolve) => tlsServer!.listen(0, '127.0.0.1', resolve));
        const tlsPort = (tlsServer.address() as AddressInfo).port;
        const secured = await api('oth-analyst', 'POST', '/subscriptions', { name: 'tls', channels: { webhook: { url: `https://receiver.hooks.test:${tlsPort}/hook/tls` } } });
        assert.equal(secured.status, 201, JSON.stringify(secured.json));
        await announce(change({ title: 'Incident over TLS' }));
        const [attempted] = await deliveries('oth-analyst', (secured.json as Subscription).id);
        // The node trusts the system's CAs, not this test CA: the handshake fails after the server name was sent.
        assert.match(attempted!.last_error ?? '', /certificate/i);
        assert.deepEqual(servernames, ['receiver.hooks.test']);
        assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${(secured.json as Subscription).id}`)).status, 204);
      } finally {
        destinations.lookup = systemHostLookup;
        await new Promise<void>((resolve) => (tlsServer ? tlsServer.close(() => resolve()) : resolve()));
      }
    });

    it('follows no redirect, and reads no more of an answer than its start', async () => {
      const moved = await subscribe('oth-analyst', 'moved');
      receiver.answers.set('/hook/moved', [302]);
      const endless = await subscribe('oth-analyst', 'endless');
      receiver.endless.add('/hook/endless');
      await announce(change({ title: 'Redirected incident' }));
      const [redirected] = await deliveries('oth-analyst', moved.id);
      assert.equal(redirected!.status, 'pending', 'a redirect is not a delivery: retried');
      assert.equal(redirected!.attempts[0]!.status_code, 302);
      assert.equal(redirected!.last_error, 'the receiver answered 302 Found');
      assert.equal(receiver.at('/hook/moved/redirected').length, 0, 'the redirect is not followed');
      const [took] = await deliveries('oth-analyst', endless.id);
      assert.equal(took!.status, 'delivered', 'a 200 whose body never ends is delivered');
      await waitFor('the endless answer closed by the node', () => receiver.endlessClosed === 1);
      for (const s of [moved, endless]) assert.equal((await api('oth-analyst', 'DELETE', `/subscriptions/${s.id}`)).status, 204);
    });
  });
}

describe('a node without an SMTP relay', () => {
  it('refuses subscriptions by e-mail, saying why', async () => {
    const node = await createTestNode('sqlite');
    try {
      const response = await node.app.inject({ method: 'POST', url: '/api/v1/subscriptions', headers: { authorization: `Bearer ${node.tokens.analyst}` }, payload: { name: 'mail', channels: { email: { address: 'a@b.example' } } } });
      assert.equal(response.statusCode, 400);
      assert.match(response.json<{ error: { message: string } }>().error.message, /this node sends no e-mail \(no SMTP relay is configured: SHIELDWALL_SMTP_URL\)/);
    } finally {
      await node.close();
    }
  });
});

describe('webhook destinations: where the node sends (pure)', () => {
  const ipv4 = (address: string) => [{ address, family: 4 as const }];

  it('names the rule of every address that is not a public one, IPv4 carried in IPv6 included', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback 127.0.0.0/8'],
      ['127.255.1.2', 'loopback 127.0.0.0/8'],
      ['::1', 'loopback ::1/128'],
      ['10.1.2.3', 'private 10.0.0.0/8'],
      ['172.31.255.255', 'private 172.16.0.0/12'],
      ['192.168.0.1', 'private 192.168.0.0/16'],
      ['fd12:3456::1', 'private fc00::/7'],
      ['169.254.169.254', 'link-local 169.254.0.0/16'],
      ['fe80::1', 'link-local fe80::/10'],
      ['fe80::1%eth0', 'link-local fe80::/10'],
      ['100.64.0.1', 'shared (CGNAT) 100.64.0.0/10'],
      ['224.0.0.251', 'multicast 224.0.0.0/4'],
      ['ff02::1', 'multicast ff00::/8'],
      ['0.0.0.0', 'unspecified 0.0.0.0/8'],
      ['::', 'unspecified ::/128'],
      ['255.255.255.255', 'reserved 240.0.0.0/4'],
      ['::ffff:127.0.0.1', 'loopback 127.0.0.0/8'],
      ['::ffff:a9fe:a9fe', 'link-local 169.254.0.0/16'],
      ['64:ff9b::a00:1', 'private 10.0.0.0/8'],
      ['2002:c0a8:101::1', 'private 192.168.0.0/16'],
      ['::ffff:0:127.0.0.1', 'loopback 127.0.0.0/8'],
      ['::ffff:0:a00:1', 'private 10.0.0.0/8'],
      ['64:ff9b:1::a00:1', 'reserved 64:ff9b:1::/48'],
      ['172.32.0.1', undefined],
      ['100.128.0.1', undefined],
      ['198.51.100.7', undefined],
      ['2001:db8::1', undefined],
      ['64:ff9b::c633:6407', undefined],
    ];
    for (const [address, expected] of cases) {
      const rule = disallowedRule(address);
      assert.equal(rule ? `${rule.rule} ${rule.range}` : undefined, expected, address);
    }
  });

  it('reads SHIELDWALL_WEBHOOK_ALLOW: ranges, addresses and names; says what is wrong', () => {
    assert.deepEqual(parseWebhookAllow(' 10.20.0.0/16, Hooks.CERT.example. ,fd00:20::/32,192.0.2.10, [::1] '), { value: ['10.20.0.0/16', 'hooks.cert.example', 'fd00:20::/32', '192.0.2.10/32', '::1/128'] });
    const problems: Array<[string, RegExp]> = [
      ['10.20.0.0/33', /prefix length of an IPv4 range is 0 to 32/],
      ['10.20.0/16', /'10\.20\.0\/16' is not an address or a CIDR range/],
      ['hooks_cert!', /neither a CIDR range .* nor a host name/],
      [' , ', /expected CIDR ranges and host names/],
    ];
    for (const [raw, message] of problems) {
      const parsed = parseWebhookAllow(raw);
      assert.ok('error' in parsed && message.test(parsed.error), `${raw}: ${JSON.stringify(parsed)}`);
    }
    const config = loadConfig({ SHIELDWALL_WEBHOOK_ALLOW: '10.20.0.0/16,hooks.cert.example' });
    assert.deepEqual(config.webhookAllow, ['10.20.0.0/16', 'hooks.cert.example']);
    assert.deepEqual(loadConfig({}).webhookAllow, [], 'unset: public addresses only');
    assert.throws(() => loadConfig({ SHIELDWALL_WEBHOOK_ALLOW: '10.0.0.0/8,intranet!' }), /SHIELDWALL_WEBHOOK_ALLOW: 'intranet!' is neither a CIDR range/);
  });

  it('allows what the setting lists, and refuses a name when any address it resolves to is refused', async () => {
    const allow = webhookAllowOf(['10.20.0.0/16', 'hooks.cert.example']);
    assert.equal(addressRefusal('10.20.3.4', allow), undefined);
    assert.equal(addressRefusal('::ffff:10.20.3.4', allow), undefined, 'the same host, mapped in IPv6');
    assert.deepEqual(addressRefusal('10.21.0.1', allow), { rule: 'private', range: '10.0.0.0/8', address: '10.21.0.1' });
    assert.equal(addressRefusal('198.51.100.7', webhookAllowOf([])), undefined, 'a public address needs no setting');

    const answers: Record<string, Array<{ address: string; family: 4 | 6 }>> = {
      'hooks.cert.example': ipv4('10.99.0.1'),
      'rebind.example': [{ address: '198.51.100.7', family: 4 }, { address: 'fd00::7', family: 6 }],
      'public.example': ipv4('198.51.100.7'),
    };
    const asked: string[] = [];
    const lookup: HostLookup = async (name) => {
      asked.push(name);
      return answers[name] ?? [];
    };
    const at = (url: string) => resolveDestination(new URL(url), allow, lookup);
    assert.deepEqual(await at('https://hooks.cert.example/in'), { allowed: true, addresses: ipv4('10.99.0.1') }, 'a name listed goes wherever it resolves');
    assert.deepEqual(await at('https://public.example/in'), { allowed: true, addresses: ipv4('198.51.100.7') });
    assert.deepEqual(await at('https://rebind.example/in'), { allowed: false, refusal: { rule: 'private', range: 'fc00::/7', address: 'fd00::7' }, literal: false }, 'one internal answer among public ones refuses the name');
    assert.deepEqual(await at('http://2130706433:8080/'), { allowed: false, refusal: { rule: 'loopback', range: '127.0.0.0/8', address: '127.0.0.1' }, literal: true }, 'the URL parser reads every spelling of an IPv4 address');
    assert.deepEqual(await at('http://[::ffff:169.254.169.254]/latest'), { allowed: false, refusal: { rule: 'link-local', range: '169.254.0.0/16', address: '::ffff:a9fe:a9fe' }, literal: true });
    assert.deepEqual(await at('http://LOCALHOST./x'), { allowed: false, refusal: { rule: 'localhost', address: 'localhost' }, literal: true });
    assert.deepEqual(await at('http://api.localhost/x'), { allowed: false, refusal: { rule: 'localhost', address: 'api.localhost' }, literal: true });
    assert.deepEqual(asked, ['hooks.cert.example', 'public.example', 'rebind.example'], 'addresses and localhost names are not looked up');
    await assert.rejects(at('https://nowhere.example/'), /nowhere\.example resolves to no address/);
  });
});

describe('webhooks on a node that allows no internal receiver', () => {
  const receiver = new SubscriptionReceiver();
  let node: TestNode;
  /** What each name resolves to on this node; others do not resolve. */
  const names = new Map<string, Array<{ address: string; family: 4 | 6 }>>();

  before(async () => {
    await receiver.start();
    node = await createTestNode('sqlite');
    node.ctx.state.get(WEBHOOK_DESTINATIONS).lookup = async (name) => {
      const known = names.get(name);
      if (!known) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return known;
    };
  });
  after(async () => {
    await node?.close();
    await receiver.close();
  });

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const response = await node.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${node.tokens.analyst}` }, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, json: response.body === '' ? {} : response.json<Record<string, unknown>>() };
  };
  const subscribeTo = (url: string) => call('POST', '/subscriptions', { name: url.slice(0, 100), channels: { webhook: { url } } });

  it('refuses to subscribe a webhook on the node itself or an internal network, naming the rule and the setting', async () => {
    names.set('intranet.hooks.test', [{ address: '10.1.2.3', family: 4 }]);
    names.set('mixed.hooks.test', [{ address: '198.51.100.7', family: 4 }, { address: 'fd12::1', family: 6 }]);
    const refused: Array<[string, RegExp]> = [
      ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is in the loopback range 127\.0\.0\.0\/8/],
      ['http://10.0.0.5/hook', /10\.0\.0\.5 is in the private range 10\.0\.0\.0\/8/],
      ['http://192.168.1.20/hook', /in the private range 192\.168\.0\.0\/16/],
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is in the link-local range 169\.254\.0\.0\/16/],
      ['http://[::1]:8080/hook', /::1 is in the loopback range ::1\/128/],
      ['http://[fd00::5]/hook', /in the private range fc00::\/7/],
      ['http://[::ffff:127.0.0.1]/hook', /in the loopback range 127\.0\.0\.0\/8/],
      ['http://0x7f.1/hook', /127\.0\.0\.1 is in the loopback range/],
      ['http://0.0.0.0:8080/hook', /in the unspecified range 0\.0\.0\.0\/8/],
      ['http://100.64.0.1/hook', /in the shared \(CGNAT\) range 100\.64\.0\.0\/10/],
      ['http://localhost:8080/hook', /'localhost' names this node's own machine/],
      ['http://intranet.hooks.test/hook', /the host 'intranet\.hooks\.test' resolves to an address this node does not send notifications to/],
      ['http://mixed.hooks.test/hook', /the host 'mixed\.hooks\.test' resolves to an address/],
    ];
    for (const [url, message] of refused) {
      const { status, json } = await subscribeTo(url);
      assert.equal(status, 400, url);
      const error = json.error as { message: string; details: { setting: string } };
      assert.match(error.message, message);
      assert.match(error.message, /unless the node's administrator allows a receiver with SHIELDWALL_WEBHOOK_ALLOW/);
      assert.equal(error.details.setting, 'SHIELDWALL_WEBHOOK_ALLOW');
      assert.ok(!/10\.1\.2\.3|fd12/.test(error.message), 'what a name resolved to is not told');
    }
    // A public address, and a name that does not resolve now (each delivery decides), are taken.
    const taken = await subscribeTo('https://198.51.100.7/hook');
    assert.equal(taken.status, 201, JSON.stringify(taken.json));
    const unresolved = await subscribeTo('https://unresolved.hooks.test/hook');
    assert.equal(unresolved.status, 201, JSON.stringify(unresolved.json));
    const changed = await call('PATCH', `/subscriptions/${String(taken.json.id)}`, { channels: { webhook: { url: 'http://169.254.169.254/latest/meta-data/' } } });
    assert.equal(changed.status, 400, 'a change to an internal address is refused too');
    for (const { id } of (await call('GET', '/subscriptions')).json.subscriptions as Subscription[]) assert.equal((await call('DELETE', `/subscriptions/${id}`)).status, 204);
  });

  it('refuses at delivery what the setting does not allow, and a name that resolves inside now, without retrying or telling more', async () => {
    const port = new URL(receiver.url).port;
    // Public when subscribed, the receiver's address when delivered to (DNS rebinding).
    names.set('rebinding.hooks.test', [{ address: '198.51.100.7', family: 4 }]);
    const rebinding = await subscribeTo(`http://rebinding.hooks.test:${port}/hook/rebinding`);
    assert.equal(rebinding.status, 201, JSON.stringify(rebinding.json));
    names.set('rebinding.hooks.test', [{ address: '127.0.0.1', family: 4 }]);
    // Subscriptions stored while the node allowed loopback (written as they were stored then).
    const stored: string[] = [String(rebinding.json.id)];
    for (const url of [`${receiver.url}/hook/stored`, `http://localhost:${port}/hook/localhost`, `http://[::1]:${port}/hook/ipv6`]) {
      const created = await subscribeTo('https://198.51.100.7/hook');
      assert.equal(created.status, 201);
      await node.testStore.store.db.updateTable('notify_subscriptions').set({ webhook_url: url }).where('id', '=', String(created.json.id)).execute();
      stored.push(String(created.json.id));
    }
    node.ctx.bus.publish('incidents.changed', change({ title: 'Probe of the internal network' }));
    await (node.instanceOf(notifyModule) as Notifier).settled();
    await node.jobs.runDue();

    for (const id of stored) {
      const { json } = await call('GET', `/subscriptions/${id}/deliveries`);
      const [delivery] = (json as unknown as { deliveries: Delivery[] }).deliveries;
      assert.equal(delivery!.status, 'failed', id);
      assert.equal(delivery!.next_attempt_at, null, 'no retry: the destination stays refused');
      assert.deepEqual(delivery!.attempts.map((a) => [a.status_code, a.error]), [[null, DESTINATION_REFUSED]]);
      assert.equal(delivery!.last_error, DESTINATION_REFUSED);
    }
    assert.equal(DESTINATION_REFUSED, 'refused: destination not allowed');
    assert.deepEqual(receiver.received, [], 'nothing reached the receiver');
  });
});
