/**
 * Mutual assistance end to end, over HTTP on a listening node: Estonia (stricken) requests
 * on-site help for its incident; two coordinators of the alliance's incident response capability
 * approve it; France, whose standby team matches, sees it, offers, is accepted, deploys, reports
 * and closes with lessons learned that reach the incident; the clock alarm reaches Estonia by
 * live feed, signed webhook and e-mail. Austria, a partner with a matching team but outside the
 * request's releasability, subscribed to every assistance change and watching the feed, sees
 * nothing: no board row, no request, offer or deployment, no feed event, no webhook, no mail, no
 * clock in its aggregates.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { fixedClock } from '../src/core/clock.js';
import { SYSTEM_PRINCIPAL, type Role } from '../src/policy/principal.js';
import { addToGroup, createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import type { AssistanceRequest, Deployment, Offer, RequestSummary, StandbyTeam } from '../src/modules/assistance/assistance.model.js';
import { createTestNode, type TestNode } from './support/node.js';
import { FeedReader, webhookReceiver } from './support/receivers.js';
import { smtpSink } from './support/smtp-sink.js';
import { SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const HOUR = 3_600_000;
const MEMBERS = [
  { code: 'EST', name: 'Estonia', kind: 'ally' as const, country: 'EE', identityId: null },
  { code: 'FRA', name: 'France', kind: 'ally' as const, country: 'FR', identityId: null },
  { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation' as const, country: null, identityId: null },
  { code: 'AUT', name: 'Austria', kind: 'partner' as const, country: 'AT', identityId: null },
];

describe('mutual assistance end to end: three members through the whole flow, a fourth that sees nothing', { timeout: SUITE_LIMIT_MS }, () => {
  const clock = fixedClock(new Date('2026-11-20T09:00:00.000Z'));
  let node: TestNode;
  let base = '';
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  const tokens: Record<string, string> = {};
  const feeds: Record<string, FeedReader> = {};

  async function user(name: string, member: string, roles: Role[], clearance = 2): Promise<void> {
    await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
    tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
  }

  async function call(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await request(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  async function ok<T>(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, status = 200): Promise<T> {
    const answer = await call(who, method, url, payload);
    assert.equal(answer.status, status, `${who} ${method} ${url}: ${JSON.stringify(answer.body)}`);
    return answer.body as T;
  }

  async function subscribe(who: string, address: string): Promise<void> {
    const created = await ok<{ channels: { webhook: { secret: string } } }>(who, 'POST', '/api/v1/subscriptions', {
      name: `${who}: every assistance change`,
      filter: { incidents: false, assistance: 'all' },
      channels: { webhook: { url: hooks.url(`/${who}`) }, email: { address } },
    }, 201);
    hooks.secrets.set(`/${who}`, created.channels.webhook.secret);
  }

  function team(name: string): Record<string, unknown> {
    return {
      name, capabilities: ['malware-analysis', 'digital-forensics'], modes: ['remote', 'on-site'], size: 6, clearance: 'SECRET', languages: ['en', 'fr'],
      time_zone: 'Europe/Paris', always: true, response_hours: { remote: 1, 'on-site': 4 }, contacts: [{ name: 'Duty officer', phone: '+00 000 0000', email: 'duty@example.org' }],
      tlp: 'amber', releasability: ['ALLIANCE', 'PARTNERS'],
    };
  }

  const assistanceEvents = (who: string) => feeds[who]!.events.filter((e) => e.event === 'assistance').map((e) => e.data as { id: string; change: string; request_id: string; milestone?: string });

  before(async () => {
    sink = await smtpSink();
    hooks = await webhookReceiver();
    node = await createTestNode('sqlite', { webhookAllow: ['127.0.0.1/32'], notifyContentLevel: 1, smtpUrl: `smtp://127.0.0.1:${sink.port}`, smtpFrom: 'shieldwall@hub.example' }, undefined, clock);
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, MEMBERS);
    await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(node.app.server.address() as AddressInfo).port}`;
    node.jobs.start();
    await user('eve', 'EST', ['incident-handler']);
    await user('francois', 'FRA', ['incident-handler']);
    await user('carla', 'NCIRC', ['coordinator'], 3);
    await user('conor', 'NCIRC', ['coordinator'], 3);
    await user('anna', 'AUT', ['incident-handler', 'coordinator']);
    await subscribe('eve', 'cert@est.example');
    await subscribe('anna', 'cert@aut.example');
    for (const who of ['eve', 'francois', 'anna']) feeds[who] = new FeedReader(`${base}/api/v1/events`, tokens[who]!);
    await waitFor('the live feeds answered', () => Object.values(feeds).every((feed) => feed.opened));
  });

  after(async () => {
    for (const feed of Object.values(feeds)) await feed.close();
    await node?.close();
    await sink?.close();
    await new Promise((resolve) => hooks?.server.close(resolve));
  });

  it('requests, approves, offers, deploys and closes; alerts the requester; shows the partner nothing', async () => {
    // Standby rosters: France and Austria both have a matching team.
    const french = await ok<StandbyTeam>('francois', 'POST', '/api/v1/assistance/teams', team('CERT-FR rapid response'), 201);
    await ok<StandbyTeam>('anna', 'POST', '/api/v1/assistance/teams', team('AT partner response team'), 201);
    const helpers = await ok<{ teams: Array<{ team: StandbyTeam; on_call: boolean }> }>('carla', 'GET', '/api/v1/assistance/standby?capability=malware-analysis&mode=on-site&within_hours=4');
    assert.ok(helpers.teams.some((t) => t.team.id === french.id && t.on_call), 'who can help with malware analysis on site within 4 hours, now');

    // Estonia reports its incident and requests on-site help, released to the alliance only.
    const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Wiper at the grid operator', tlp: 'amber', releasability: ['ALLIANCE'] }, 201);
    const requested = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', {
      incident_id: incident.id, title: 'On-site malware analysis', capabilities: ['malware-analysis', 'digital-forensics'], urgency: 'critical', mode: 'on-site',
      constraints: { clearance: 'RESTRICTED', languages: ['en'] }, tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'],
    }, 201);
    const id = requested.id;

    // The approval target of a critical request (1 h) passes: the alarm reaches Estonia.
    clock.advance(HOUR + 60_000);
    await node.jobs.runSoon([`assistance.clock:${id}:approval`]);
    await waitFor('the overdue alarm on Estonia\'s feed', () => assistanceEvents('eve').some((e) => e.change === 'overdue' && e.milestone === 'approval' && e.request_id === id));
    await waitFor('the overdue alarm by webhook to Estonia', () => (hooks.deliveries.get('/eve') ?? []).some((d) => JSON.stringify(d.body).includes(id) && JSON.stringify(d.body).includes('overdue')));
    assert.ok(hooks.deliveries.get('/eve')!.every((d) => d.verified), 'every webhook delivery is signed with the subscription secret');
    await waitFor('the overdue alarm by mail to Estonia', () => sink.mails.some((mail) => mail.to.includes('cert@est.example') && mail.body.includes(id)));

    // Two coordinators approve; the request reaches France, not Austria (outside ALLIANCE).
    await ok('carla', 'POST', `/api/v1/assistance/requests/${id}/status`, { status: 'approved', version: 2, conditions: 'Team leads cleared SECRET' });
    const approved = await ok<AssistanceRequest>('conor', 'POST', `/api/v1/assistance/requests/${id}/status`, { status: 'approved', version: 3 });
    assert.equal(approved.status, 'approved');
    assert.deepEqual(approved.released_to, ['FRA']);
    await waitFor('the approved request on France\'s feed', () => assistanceEvents('francois').some((e) => e.request_id === id && e.change === 'approved'));
    const seen = await ok<{ requests: RequestSummary[] }>('francois', 'GET', '/api/v1/assistance/requests');
    assert.ok(seen.requests.some((r) => r.id === id));

    // France offers its team; Estonia accepts; the deployment runs to its closure.
    clock.advance(HOUR);
    const offer = await ok<Offer>('francois', 'POST', `/api/v1/assistance/requests/${id}/offers`, {
      team_id: french.id, capabilities: ['malware-analysis', 'digital-forensics'], size: 4, clearance: 'SECRET', mode: 'on-site', available_from: clock.now().toISOString(),
    }, 201);
    const accepted = await ok<Offer>('eve', 'POST', `/api/v1/assistance/offers/${offer.id}/status`, { status: 'accepted', version: 1 });
    const deployment = `/api/v1/assistance/deployments/${accepted.deployment_id}`;
    clock.advance(6 * HOUR);
    await ok<Deployment>('francois', 'POST', `${deployment}/status`, { status: 'active' });
    await ok<Deployment>('francois', 'POST', `${deployment}/sitreps`, { text: 'On site; 12 hosts imaged, sample extracted.' });
    await ok<Deployment>('francois', 'POST', `${deployment}/status`, { status: 'demobilised' });
    await ok<Deployment>('eve', 'POST', `${deployment}/status`, { status: 'closed', lessons_learned: 'Share forensic triage scripts before deploying.', share_with_incident: true });
    const closed = await ok<AssistanceRequest>('eve', 'POST', `/api/v1/assistance/requests/${id}/status`, { status: 'closed' });
    assert.equal(closed.status, 'closed');
    const clocks = Object.fromEntries(closed.clocks.map((c) => [c.milestone, c]));
    assert.equal(clocks.approval!.overdue, true);
    assert.equal(clocks.first_offer!.elapsed_ms, 2 * HOUR + 60_000);
    assert.equal(clocks.deployment!.elapsed_ms, 8 * HOUR + 60_000);
    const timeline = await ok<{ timeline: Array<{ text: string }> }>('eve', 'GET', `/api/v1/incidents/${incident.id}`);
    assert.ok(timeline.timeline.some((entry) => entry.text.includes('Share forensic triage scripts')));
    await waitFor('the closure on Estonia\'s feed', () => assistanceEvents('eve').some((e) => e.request_id === id && e.change === 'closed'));
    // The fan-out that told Estonia of the closure by webhook went over every subscription.
    await waitFor('the closure by webhook to Estonia', () => (hooks.deliveries.get('/eve') ?? []).some((d) => JSON.stringify(d.body).includes(id) && JSON.stringify(d.body).includes('closed')));

    // Austria: nothing anywhere.
    assert.equal((await call('anna', 'GET', `/api/v1/assistance/requests/${id}`)).status, 404);
    assert.equal((await call('anna', 'GET', `/api/v1/assistance/offers/${offer.id}`)).status, 404);
    assert.equal((await call('anna', 'GET', deployment)).status, 404);
    assert.equal((await call('anna', 'POST', `/api/v1/assistance/requests/${id}/offers`, { capabilities: ['malware-analysis'], size: 2, clearance: 'SECRET', mode: 'on-site', available_from: clock.now().toISOString() })).status, 404);
    assert.deepEqual((await ok<{ requests: RequestSummary[] }>('anna', 'GET', '/api/v1/assistance/requests')).requests, []);
    assert.deepEqual((await ok<{ deployments: Deployment[] }>('anna', 'GET', '/api/v1/assistance/deployments')).deployments, []);
    const theirClocks = await ok<{ cycles: Array<{ requests: number }> }>('anna', 'GET', '/api/v1/assistance/clocks?cycle=year&cycles=1');
    assert.equal(theirClocks.cycles[0]!.requests, 0);
    // What France and Estonia were told had reached them by now; Austria's channels are checked after it.
    assert.deepEqual(assistanceEvents('anna'), []);
    assert.equal((hooks.deliveries.get('/anna') ?? []).length, 0);
    assert.equal(sink.mails.filter((mail) => mail.to.includes('cert@aut.example')).length, 0);
    const deliveries = await ok<{ deliveries: unknown[] }>('anna', 'GET', `/api/v1/subscriptions/${await firstSubscription('anna')}/deliveries`);
    assert.deepEqual(deliveries.deliveries, [], 'not even a withheld delivery names the request');
  });

  async function firstSubscription(who: string): Promise<string> {
    const list = await ok<{ subscriptions: Array<{ id: string }> }>(who, 'GET', '/api/v1/subscriptions');
    return list.subscriptions[0]!.id;
  }
});
