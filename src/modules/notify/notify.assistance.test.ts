/**
 * Notifications of mutual assistance (docs/NOTIFICATIONS.md): on assistance.changed, a delivery
 * per channel to each subscription that asks for assistance changes (filter `assistance`,
 * `members`), if and only if its user holds assistance:read and may read the changed record by
 * the one rule, posted to a real HTTP receiver that checks the signature and mailed through a
 * real SMTP server; by reference only where the record's content stays on the node; asked again
 * at delivery time. The event is published on the node's bus as the assistance module does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { access, assistanceChange, HELPER, REQUESTER, startAssistanceNode, THIRD } from '../../../test/support/assistance-events.js';
import { DIALECTS, dialectSkip, type TestStore } from '../../../test/support/dialects.js';
import { SubscriptionReceiver, subscriptionsOf } from '../../../test/support/receivers.js';
import { smtpSink } from '../../../test/support/smtp-sink.js';
import type { Node } from '../../app.js';
import { fixedClock } from '../../core/clock.js';
import type { AssistanceChange } from '../assistance/assistance.model.js';
import type { IncidentChange } from '../incidents/incidents.model.js';
import { notifyModule } from './index.js';
import type { Notifier } from './notify.server.js';

/** An overdue clock (time to first offer) of an approved, critical request. */
const overdueChange = (overrides: Partial<AssistanceChange> = {}): AssistanceChange =>
  assistanceChange({ change: 'overdue', status: 'approved', urgency: 'critical', milestone: 'first_offer', ...overrides });

interface AssistanceBody {
  event: string;
  delivery: string;
  subscription: string;
  assistance: Record<string, unknown>;
}

for (const dialect of DIALECTS) {
  describe(`assistance notifications (${dialect})`, { skip: await dialectSkip(dialect) }, () => {
    const clock = fixedClock(new Date('2026-12-03T10:00:00.000Z'));
    const receiver = new SubscriptionReceiver();
    let sink: Awaited<ReturnType<typeof smtpSink>>;
    let testStore: TestStore;
    let node: Node;
    let base: string;
    const tokens: Record<string, string> = {};

    before(async () => {
      await receiver.start();
      sink = await smtpSink();
      // The receivers run on this machine: the node allows loopback as an operator allows an internal receiver.
      ({ testStore, node, base } = await startAssistanceNode(dialect, [
        ['tst-handler', REQUESTER, 3, ['incident-handler']],
        ['oth-analyst', HELPER, 3, ['analyst']],
        ['oth-duty', HELPER, 3, ['analyst']],
        ['oth-coordinator', HELPER, 3, ['coordinator']],
        ['thr-analyst', THIRD, 3, ['analyst']],
      ], tokens, {
        clock,
        config: { smtpUrl: `smtp://127.0.0.1:${sink.port}`, smtpFrom: 'Shieldwall <shieldwall@node.example>', webhookAllow: ['127.0.0.1/32'] },
      }));
    });
    after(async () => {
      await node?.app.close();
      await testStore?.cleanup();
      await receiver.close();
      await sink?.close();
    });

    const { api, subscribe, unsubscribe, deliveries } = subscriptionsOf(() => base, tokens, receiver);

    /** What the assistance module does after a write: publish the change; then the node's jobs run what is due. */
    const publish = async (change: AssistanceChange): Promise<void> => {
      node.ctx.bus.publish('assistance.changed', change);
      await (node.instanceOf(notifyModule) as Notifier).settled();
      await node.jobs.runDue();
    };

    const bodies = (label: string): AssistanceBody[] => receiver.at(`/hook/${label}`).map((r) => JSON.parse(r.body) as AssistanceBody);

    it('posts and mails an overdue clock to the member released to, and to no other member nor to a subscription without assistance', async () => {
      const overdue = await subscribe('oth-analyst', 'overdue', { assistance: 'overdue' }, 'duty@oth.example');
      const plain = await subscribe('oth-analyst', 'plain', {}, 'plain@oth.example');
      const other = await subscribe('thr-analyst', 'other', { assistance: 'all' }, 'duty@thr.example');
      assert.deepEqual(overdue.filter, { assistance: 'overdue' });
      const mailsBefore = sink.mails.length;
      const change = overdueChange();
      await publish(change);

      const posts = receiver.at('/hook/overdue');
      assert.equal(posts.length, 1);
      assert.ok(posts[0]!.verified, 'the signature verifies with the subscription secret');
      assert.equal(posts[0]!.headers['x-shieldwall-event'], 'assistance.overdue');
      const body = JSON.parse(posts[0]!.body) as AssistanceBody;
      assert.equal(posts[0]!.headers['x-shieldwall-delivery'], body.delivery);
      assert.deepEqual(body, {
        event: 'assistance.overdue',
        delivery: body.delivery,
        subscription: overdue.id,
        assistance: {
          notice: 'full',
          record: 'request',
          id: change.id,
          request_id: change.request_id,
          incident_id: change.incident_id,
          change: 'overdue',
          title: 'Forensics for the grid operator',
          status: 'approved',
          urgency: 'critical',
          requesting_member: REQUESTER,
          milestone: 'first_offer',
          modified: change.modified,
          link: `/#/assistance/${change.request_id}`,
          handling: { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: [HELPER] },
        },
      });
      assert.deepEqual(receiver.at('/hook/plain'), [], 'a subscription that does not ask for assistance hears nothing of it');
      assert.deepEqual(receiver.at('/hook/other'), [], 'a member the request is not released to hears nothing of it');

      const mails = sink.mails.slice(mailsBefore);
      assert.deepEqual(mails.map((m) => m.to), [['duty@oth.example']]);
      const mail = mails[0]!;
      const banner = `[TLP:AMBER UNCLASSIFIED REL TO ${HELPER}]`;
      assert.equal(mail.headers.subject, `${banner} Time to first offer overdue: Forensics for the grid operator (critical)`);
      assert.equal(mail.headers['x-shieldwall-event'], 'assistance.overdue');
      const lines = mail.body.trimEnd().split('\n');
      assert.equal(lines[0], banner, 'the banner opens the body');
      assert.equal(lines.at(-1), banner, 'and closes it');
      assert.match(mail.body, /Clock: +time to first offer, past its target/);
      assert.match(mail.body, new RegExp(`Incident: +${change.incident_id}`));
      assert.ok(mail.body.includes(`Read it:     /#/assistance/${change.request_id} on the node`));

      const log = await deliveries('oth-analyst', overdue.id);
      assert.deepEqual(log.map((d) => [d.channel, d.event, d.status, d.incident]).sort(), [['email', 'assistance.overdue', 'delivered', null], ['webhook', 'assistance.overdue', 'delivered', null]]);
      assert.deepEqual(log[0]!.assistance, { record: 'request', id: change.id, request_id: change.request_id, change: 'overdue', milestone: 'first_offer' });
      assert.deepEqual(await deliveries('oth-analyst', plain.id), []);
      assert.deepEqual(await deliveries('thr-analyst', other.id), [], 'not even a delivery is recorded');

      // The same change published again is delivered once; a change that is not a clock does not reach 'overdue'.
      await publish(change);
      await publish(overdueChange({ change: 'offered', record: 'offer', id: `offer--${randomUUID()}`, request_id: change.request_id, milestone: undefined }));
      assert.equal(receiver.at('/hook/overdue').length, 1);
      assert.equal(sink.mails.slice(mailsBefore).length, 1);
      await unsubscribe('oth-analyst', overdue, plain);
      await unsubscribe('thr-analyst', other);
    });

    it('delivers a change for those who see a request whole to the coordinators of a member named, not to their colleagues', async () => {
      // HELPER stands for a coordinating member: an offer clock overdue is addressed to the
      // requesting member and to it, and heard there by those who approve (whole_only).
      const coordinator = await subscribe('oth-coordinator', 'whole', { assistance: 'overdue' });
      const colleague = await subscribe('oth-analyst', 'colleague', { assistance: 'overdue' });
      const alarm = overdueChange({ access: access({ recipients: [REQUESTER, HELPER] }), whole_only: true });
      await publish(alarm);
      assert.deepEqual(bodies('whole').map((b) => b.assistance.id), [alarm.id]);
      assert.deepEqual(receiver.at('/hook/colleague'), [], 'a colleague who does not approve is not told that nobody offered');
      await unsubscribe('oth-coordinator', coordinator);
      await unsubscribe('oth-analyst', colleague);
    });

    it('tells of a TLP:RED record by reference only, by webhook and by mail', async () => {
      const named = await subscribe('oth-analyst', 'named', { assistance: 'all' }, 'named@oth.example');
      const unnamed = await subscribe('oth-duty', 'unnamed', { assistance: 'all' });
      const mailsBefore = sink.mails.length;
      // TLP:RED: read by the users named (@oth-analyst), not by the other users of the member.
      const red = overdueChange({ title: 'Red wiper recovery', change: 'requested', status: 'submitted', milestone: undefined, access: access({ tlp: 'red', releasability: [HELPER, '@oth-analyst'] }) });
      await publish(red);

      const [post] = receiver.at('/hook/named');
      assert.ok(post?.verified);
      assert.equal(post.headers['x-shieldwall-event'], 'assistance.changed');
      assert.deepEqual((JSON.parse(post.body) as AssistanceBody).assistance, {
        notice: 'reference',
        record: 'request',
        id: red.id,
        request_id: red.request_id,
        change: 'requested',
        modified: red.modified,
        link: `/#/assistance/${red.request_id}`,
        handling: { tlp: 'red', classification: 'UNCLASSIFIED', releasability: [HELPER, '@oth-analyst'] },
      }, 'where to read it and its handling: no title, status, urgency, requester nor incident');
      assert.deepEqual(receiver.at('/hook/unnamed'), [], 'TLP:RED reaches only the users it names');
      const mails = sink.mails.slice(mailsBefore);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.headers.subject, `[TLP:RED UNCLASSIFIED REL TO ${HELPER}, @oth-analyst] Assistance requested: ${red.request_id}`);
      assert.ok(!/wiper|recovery|critical|submitted|incident--/i.test(mails[0]!.body), `no content in the mail:\n${mails[0]!.body}`);
      assert.match(mails[0]!.body, /Its content stays on the node: marked TLP:RED, it is not sent by e-mail or webhook\./);
      await unsubscribe('oth-analyst', named);
      await unsubscribe('oth-duty', unnamed);
    });

    it('holds to the requesting members named, hears no incidents with incidents false, and refuses a filter that hears nothing', async () => {
      const only = await subscribe('oth-analyst', 'only', { assistance: 'all', members: [REQUESTER], incidents: false });
      assert.deepEqual(only.filter, { members: [REQUESTER], incidents: false, assistance: 'all' });
      const incident: IncidentChange = {
        id: `incident--${randomUUID()}`, version: 1, change: 'created', title: 'An incident', status: 'new', level: 3, score: 57, significant: true,
        sectors: ['energy'], member: REQUESTER, linked: [], access: access(), source: 'local', modified: '2026-12-03T10:00:00.000Z',
      };
      node.ctx.bus.publish('incidents.changed', incident);
      const fromRequester = overdueChange({ change: 'approved', milestone: undefined });
      const fromHelper = overdueChange({ change: 'approved', milestone: undefined, requesting_member: HELPER, access: access({ originMember: HELPER, owner: 'oth-duty' }) });
      await publish(fromRequester);
      await publish(fromHelper);
      assert.deepEqual(bodies('only').map((b) => [b.event, b.assistance.id]), [['assistance.changed', fromRequester.id]], 'no incident, and no request of a member not named');

      for (const [filter, message] of [
        [{ incidents: false }, /filter.incidents: false with no assistance changes hears of nothing/],
        [{ assistance: 'some' }, /filter.assistance: 'some' is not one of none, overdue, all/],
      ] as const) {
        const answer = await api('oth-analyst', 'POST', '/subscriptions', { name: 'x', filter, channels: { webhook: { url: `${receiver.url}/hook/x` } } });
        assert.equal(answer.status, 400, JSON.stringify(answer.json));
        assert.match((answer.json as { error: { message: string } }).error.message, message);
      }
      await unsubscribe('oth-analyst', only);
    });

    it('asks again at delivery time: a record re-marked beyond the subscriber is withheld', async () => {
      const later = await subscribe('oth-analyst', 'later', { assistance: 'all' });
      receiver.answers.set('/hook/later', [503]);
      const first = overdueChange({ change: 'approved', milestone: undefined, title: 'Soon national only' });
      await publish(first);
      assert.equal(receiver.at('/hook/later').length, 1, 'the first attempt, refused by the receiver');
      // A newer change of the same request released to its own member only.
      await publish({ ...first, change: 'closed', status: 'closed', modified: '2026-12-03T11:00:00.000Z', access: access({ releasability: [REQUESTER] }) });
      clock.advance(60 * 60_000);
      await node.jobs.runDue();
      assert.equal(receiver.at('/hook/later').length, 1, 'nothing more left the node');
      const [withheld] = await deliveries('oth-analyst', later.id);
      assert.equal(withheld!.status, 'withheld');
      assert.equal(withheld!.last_error, 'the subscriber may no longer read this assistance record');
      assert.equal(withheld!.assistance, null, 'the log no longer names a record its reader may not read');
      await unsubscribe('oth-analyst', later);
    });
  });
}
