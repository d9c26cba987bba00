/**
 * Mutual assistance over HTTP on both engines: a stricken member requests assistance for its
 * incident; coordinators approve it (two for on-site help) or reject it; only members with a
 * matching standby team (and released to) see the approved request and offer; the requester
 * accepts and declines offers; the deployment moves to its closure with lessons learned, which
 * reach the incident's timeline. The state machines answer 409 naming the allowed moves, stale
 * versions 409, and every change is audited. The response clocks run on the node's clock and
 * raise their alarm through a durable job that survives a restart.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { fixedClock } from '../../core/clock.js';
import { DIALECTS, dialectSkip, createTestStore } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { hearsOfChange, type AssistanceChange, type AssistanceRequest, type Deployment, type Offer, type RequestSummary } from './assistance.model.js';
import { ASSISTANCE_LIMITS, checkClock } from './assistance.service.js';
import { registerTeam } from './roster.service.js';
import { canReadRecord } from '../../policy/record.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const START = new Date('2026-11-02T08:00:00.000Z');
const HOUR = 3_600_000;

/** The members the tests make, by code. */
const MEMBERS = {
  EST: { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: null },
  FRA: { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null },
  DEU: { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: null },
  NLD: { code: 'NLD', name: 'Netherlands', kind: 'ally', country: 'NL', identityId: null },
  POL: { code: 'POL', name: 'Poland', kind: 'ally', country: 'PL', identityId: null },
  NCIRC: { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, identityId: null },
} as const;

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: Record<string, unknown> } } };

for (const dialect of DIALECTS) {
  describe(`assistance (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const clock = fixedClock(START);
    const tokens: Record<string, string> = {};
    const events: AssistanceChange[] = [];
    let incidentId: string;
    let stoodDown: string;

    async function user(name: string, member: string, roles: Role[], clearance = 2): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    async function call(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Answer> {
      const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as Answer['body']) };
    }

    async function ok<T>(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, status = 200): Promise<T> {
      const answer = await call(who, method, url, payload);
      assert.equal(answer.status, status, `${who} ${method} ${url}: ${JSON.stringify(answer.body)}`);
      return answer.body as unknown as T;
    }

    async function board(who: string): Promise<RequestSummary[]> {
      return (await ok<{ requests: RequestSummary[] }>(who, 'GET', '/api/v1/assistance/requests')).requests;
    }

    async function team(owner: string, name: string, capabilities: string[], modes: Array<'remote' | 'on-site'>, status: 'standing-by' | 'stood-down' = 'standing-by'): Promise<string> {
      const actor = (await principalOfUser(node.ctx, owner))!;
      const created = await registerTeam(node.ctx, actor, {
        name, capabilities, modes, size: 6, clearance: 'SECRET', languages: ['en'], time_zone: 'Europe/Paris', always: true,
        response_hours: { remote: modes.includes('remote') ? 2 : null, 'on-site': modes.includes('on-site') ? 12 : null },
        contacts: [{ name: 'Duty officer', phone: '+00 000 000', email: 'duty@example.org' }], status,
      });
      return created.id;
    }

    function requestBody(overrides: Record<string, unknown> = {}) {
      return {
        incident_id: incidentId,
        title: 'Wiper on the national grid operator',
        description: 'Forensic images of 40 hosts; a sample needs reversing.',
        capabilities: ['malware-analysis', 'digital-forensics'],
        urgency: 'high',
        mode: 'on-site',
        constraints: { clearance: 'RESTRICTED', languages: ['en'], duration_days: 10 },
        tlp: 'amber',
        classification: 'RESTRICTED',
        releasability: ['ALLIANCE'],
        ...overrides,
      };
    }

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
      node.ctx.bus.subscribe('assistance.changed', (change) => events.push(change));
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [MEMBERS.EST, MEMBERS.FRA, MEMBERS.DEU, MEMBERS.NLD, MEMBERS.NCIRC]);
      await user('eve', 'EST', ['incident-handler']);
      await user('erik', 'EST', ['analyst']);
      await user('francois', 'FRA', ['incident-handler']);
      await user('dana', 'DEU', ['incident-handler']);
      await user('nina', 'NLD', ['incident-handler', 'coordinator']);
      await user('carla', 'NCIRC', ['coordinator'], 3);
      await user('conor', 'NCIRC', ['coordinator'], 3);
      // Released to the alliance: NCIRC reads as an ALLIANCE member too.
      const { addToGroup } = await import('../directory/directory.service.js');
      await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
      await team('francois', 'CERT-FR rapid response', ['malware-analysis', 'incident-handling'], ['remote', 'on-site']);
      stoodDown = await team('francois', 'CERT-FR reserve', ['malware-analysis'], ['on-site'], 'stood-down');
      // Germany's team does neither malware analysis nor forensics; the Netherlands has none.
      await team('dana', 'DEU legal cell', ['legal-support'], ['remote']);
      const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Grid operator wiper', tlp: 'amber', releasability: ['ALLIANCE'] }, 201);
      incidentId = incident.id;
    });

    after(async () => {
      await node?.close();
    });

    it('takes a request through approval, offers, a deployment and closure; only those it reached see it', async () => {
      events.length = 0;
      // Only the incident's member requests for it.
      const foreign = await call('francois', 'POST', '/api/v1/assistance/requests', requestBody());
      assert.equal(foreign.status, 403, 'France reads the incident (released to the alliance) but does not request help for Estonia');
      const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', requestBody(), 201);
      assert.equal(request.status, 'submitted');
      assert.equal(request.approvals_required, 2, 'on-site help needs two coordinators by default');
      assert.deepEqual(request.clocks.map((c) => [c.milestone, c.running, c.reached_at]), [['approval', true, null], ['first_offer', true, null], ['deployment', true, null]]);
      assert.deepEqual(request.handling, { tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'] });

      // Before approval: the requester and the coordinators read it, nobody else.
      for (const who of ['francois', 'dana', 'nina', 'erik']) {
        const seen = await call(who, 'GET', `/api/v1/assistance/requests/${request.id}`);
        assert.equal(seen.status, who === 'erik' ? 200 : 404, `${who} before approval`);
      }
      assert.ok((await board('carla')).some((r) => r.id === request.id));
      assert.ok(!(await board('francois')).some((r) => r.id === request.id));
      const early = await call('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['malware-analysis'], size: 3, clearance: 'SECRET', mode: 'on-site', available_from: START.toISOString() });
      assert.equal(early.status, 404, 'no offer to a request one cannot read');

      // Approval: coordinators of the coordinating member only; distinct ones; on the version seen.
      const byRequester = await call('eve', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 1 });
      assert.equal(byRequester.status, 403);
      const byOtherCoordinator = await call('nina', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 1 });
      assert.equal(byOtherCoordinator.status, 404, 'a coordinator of a member that does not coordinate does not even read it');
      clock.advance(30 * 60_000);
      const once = await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 1, conditions: 'Team leads cleared SECRET' });
      assert.equal(once.status, 'submitted', 'one approval of two');
      assert.equal(once.approvals.length, 1);
      const twice = await call('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 2 });
      assert.equal(twice.status, 409, 'the same coordinator does not count twice');
      const stale = await call('conor', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 1 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error?.code, 'SW_STALE_VERSION');
      clock.advance(30 * 60_000);
      const approved = await ok<AssistanceRequest>('conor', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 2 });
      assert.equal(approved.status, 'approved');
      assert.deepEqual(approved.released_to, ['FRA'], 'only the member whose standby team matches');
      const approval = approved.clocks.find((c) => c.milestone === 'approval')!;
      assert.equal(approval.elapsed_ms, HOUR);
      assert.equal(approval.running, false);

      // After approval: France (a matching team) reads it; Germany and the Netherlands still do not.
      assert.equal((await call('francois', 'GET', `/api/v1/assistance/requests/${request.id}`)).status, 200);
      assert.equal((await call('dana', 'GET', `/api/v1/assistance/requests/${request.id}`)).status, 404);
      assert.equal((await call('nina', 'GET', `/api/v1/assistance/requests/${request.id}`)).status, 404);
      const seenByFrance = await ok<AssistanceRequest>('francois', 'GET', `/api/v1/assistance/requests/${request.id}`);
      assert.equal(seenByFrance.released_to, null, 'who else was asked is for the requester and coordinators');
      assert.ok(!JSON.stringify(seenByFrance.history).includes('FRA'), 'nor does the history name the members asked');
      assert.ok(seenByFrance.actions.includes('offer'));

      // Invalid moves name the allowed ones.
      const reject = await call('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'rejected', version: approved.version, reason: 'late' });
      assert.equal(reject.status, 409);
      assert.equal(reject.body.error?.code, 'SW_INVALID_TRANSITION');
      assert.deepEqual(reject.body.error?.details?.allowed, ['withdrawn', 'closed']);

      // Offers: not what was not asked, not in a mode not asked.
      const unasked = await call('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['incident-handling'], size: 3, clearance: 'SECRET', mode: 'on-site', available_from: START.toISOString() });
      assert.equal(unasked.status, 400);
      const lowClearance = await call('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['malware-analysis'], size: 3, clearance: 'UNCLASSIFIED', mode: 'on-site', available_from: START.toISOString() });
      assert.equal(lowClearance.status, 400, 'the request needs RESTRICTED');
      const resting = await call('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { team_id: stoodDown, capabilities: ['malware-analysis'], size: 3, clearance: 'SECRET', mode: 'on-site', available_from: START.toISOString() });
      assert.equal(resting.status, 400, 'a team stood down is not offered');
      clock.advance(HOUR);
      const first = await ok<Offer>('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['malware-analysis'], size: 4, clearance: 'SECRET', mode: 'on-site', available_from: START.toISOString(), conditions: 'Travel costs borne by the requester' }, 201);
      const second = await ok<Offer>('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['malware-analysis'], size: 2, clearance: 'SECRET', mode: 'on-site', available_from: START.toISOString() }, 201);
      assert.equal((await call('dana', 'GET', `/api/v1/assistance/offers/${first.id}`)).status, 404);
      assert.equal((await call('francois', 'POST', `/api/v1/assistance/offers/${first.id}/status`, { status: 'accepted', version: 1 })).status, 403, 'the requester accepts, not the one offering');

      const withOffers = await ok<AssistanceRequest>('eve', 'GET', `/api/v1/assistance/requests/${request.id}`);
      assert.equal(withOffers.offers.length, 2);
      assert.equal(withOffers.clocks.find((c) => c.milestone === 'first_offer')!.elapsed_ms, 2 * HOUR);

      const declined = await ok<Offer>('eve', 'POST', `/api/v1/assistance/offers/${second.id}/status`, { status: 'declined', version: 1, reason: 'One team suffices' });
      assert.equal(declined.status, 'declined');
      const again = await call('eve', 'POST', `/api/v1/assistance/offers/${second.id}/status`, { status: 'accepted', version: 2 });
      assert.equal(again.status, 409);
      assert.deepEqual(again.body.error?.details?.allowed, []);
      const accepted = await ok<Offer>('eve', 'POST', `/api/v1/assistance/offers/${first.id}/status`, { status: 'accepted', version: 1 });
      assert.ok(accepted.deployment_id);
      const assisting = await ok<AssistanceRequest>('eve', 'GET', `/api/v1/assistance/requests/${request.id}`);
      assert.equal(assisting.status, 'assisting');

      // The deployment: both members move it; no skipping; closure with lessons learned.
      const deploymentUrl = `/api/v1/assistance/deployments/${accepted.deployment_id}`;
      assert.equal((await call('dana', 'GET', deploymentUrl)).status, 404);
      const skip = await call('francois', 'POST', `${deploymentUrl}/status`, { status: 'closed', lessons_learned: 'x' });
      assert.equal(skip.status, 409);
      assert.deepEqual(skip.body.error?.details?.allowed, ['active', 'demobilised']);
      clock.advance(10 * HOUR);
      const active = await ok<Deployment>('francois', 'POST', `${deploymentUrl}/status`, { status: 'active', version: 1 });
      assert.equal(active.status, 'active');
      const sitrep = await ok<Deployment>('eve', 'POST', `${deploymentUrl}/sitreps`, { text: 'Team on site; imaging under way.' });
      assert.equal(sitrep.sitreps.length, 1);
      assert.equal((await call('dana', 'POST', `${deploymentUrl}/sitreps`, { text: 'I am not party to this' })).status, 404);
      // Each member's share of the reports' text as stored: 10,000 control characters take 60,002.
      const heavy = '\u0001'.repeat(10_000);
      let taken = 0;
      for (;;) {
        const answer = await call('francois', 'POST', `${deploymentUrl}/sitreps`, { text: heavy });
        if (answer.status !== 200) {
          assert.equal(answer.status, 409, JSON.stringify(answer.body));
          assert.match(answer.body.error?.message ?? '', /characters of situation reports .* its share/);
          break;
        }
        taken++;
        assert.ok(taken < ASSISTANCE_LIMITS.sitreps, 'refused long before the count');
      }
      assert.equal(taken, Math.floor(ASSISTANCE_LIMITS.sitrepChars / 2 / 60_002));
      assert.equal((await call('eve', 'POST', `${deploymentUrl}/sitreps`, { text: 'Requesting member still reports.' })).status, 200, 'the other member keeps its share');
      assert.ok(!(await ok<AssistanceRequest>('eve', 'GET', `/api/v1/assistance/requests/${request.id}`)).actions.includes('close'), 'close is not offered while a team is at work');
      const closeEarly = await call('eve', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'closed' });
      assert.equal(closeEarly.status, 409, 'a request with a deployment under way is not closed');
      await ok<Deployment>('francois', 'POST', `${deploymentUrl}/status`, { status: 'demobilised' });
      const noLessons = await call('eve', 'POST', `${deploymentUrl}/status`, { status: 'closed' });
      assert.equal(noLessons.status, 400);
      const notTheirs = await call('francois', 'POST', `${deploymentUrl}/status`, { status: 'closed', lessons_learned: 'Pre-staged kits help', share_with_incident: true });
      assert.equal(notTheirs.status, 403, 'only the requesting member shares into its incident');
      const closed = await ok<Deployment>('eve', 'POST', `${deploymentUrl}/status`, { status: 'closed', lessons_learned: 'Pre-staged forensic kits saved a day.', share_with_incident: true });
      assert.equal(closed.status, 'closed');
      const incident = await ok<{ timeline: Array<{ text: string }> }>('eve', 'GET', `/api/v1/incidents/${incidentId}`);
      assert.ok(incident.timeline.some((entry) => entry.text.includes('Pre-staged forensic kits saved a day.')), 'lessons learned in the incident timeline');

      const done = await ok<AssistanceRequest>('eve', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'closed' });
      assert.equal(done.status, 'closed');
      const deployment = done.clocks.find((c) => c.milestone === 'deployment')!;
      assert.equal(deployment.elapsed_ms, 12 * HOUR);
      assert.equal(deployment.overdue, false, 'within the 48 h target of a high-urgency request');
      assert.equal(done.deployments.length, 1);

      // Every move is audited; the bus announced them.
      const actions: string[] = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === request.id) actions.push(entry.action);
      for (const action of ['assistance.request', 'assistance.request.approval', 'assistance.request.approved', 'assistance.request.closed']) assert.ok(actions.includes(action), `${action} audited: ${actions.join(', ')}`);
      assert.ok(events.some((e) => e.change === 'approved' && e.id === request.id));
      assert.ok(events.some((e) => e.change === 'offer-accepted'));
    });

    it('takes offers while withdrawn ones make room, and at most ten of one member to one request', async () => {
      const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', requestBody({ mode: 'remote', title: 'Remote help with a sample' }), 201);
      await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: 1 });
      const offer = () => call('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, { capabilities: ['malware-analysis'], size: 1, clearance: 'SECRET', mode: 'remote', available_from: START.toISOString() });
      const first = await offer();
      assert.equal(first.status, 201, JSON.stringify(first.body));
      // 1,000 earlier offers of other members, all withdrawn (written to the store: so many requests would only slow the suite).
      const row = await node.ctx.store.db.selectFrom('assistance_offers').selectAll().where('id', '=', (first.body as unknown as Offer).id).executeTakeFirstOrThrow();
      const withdrawn = Array.from({ length: ASSISTANCE_LIMITS.offersHeld }, () => ({ ...row, id: `assistance-offer--${randomUUID()}`, status: 'withdrawn', origin_member: 'DEU', created: '2026-01-01T00:00:00.000Z' }));
      for (let i = 0; i < withdrawn.length; i += 100) await node.ctx.store.db.insertInto('assistance_offers').values(withdrawn.slice(i, i + 100)).execute();
      for (let i = 1; i < ASSISTANCE_LIMITS.offersPerMember; i++) assert.equal((await offer()).status, 201, `offer ${i + 1}: withdrawn offers make room`);
      const eleventh = await offer();
      assert.equal(eleventh.status, 409);
      assert.deepEqual(eleventh.body.error?.details, { member_offers: 10, limit: 10 });
      assert.match(eleventh.body.error!.message, /member FRA has made 10 offers/);
    });

    it('keeps at most ten requests open per incident, even when they are made at the same moment', async () => {
      const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Ransomware at the port authority', tlp: 'amber', releasability: ['ALLIANCE'] }, 201);
      const tries = 25;
      const answers = await Promise.all(Array.from({ length: tries }, (_, i) => call('eve', 'POST', '/api/v1/assistance/requests', requestBody({ incident_id: incident.id, mode: 'remote', title: `Request ${i}` }))));
      const limit = ASSISTANCE_LIMITS.openRequestsPerIncident;
      assert.equal(answers.filter((a) => a.status === 201).length, limit, answers.map((a) => a.status).join(','));
      const refused = answers.filter((a) => a.status !== 201);
      assert.equal(refused.length, tries - limit);
      for (const answer of refused) {
        assert.equal(answer.status, 409, JSON.stringify(answer.body));
        assert.deepEqual(answer.body.error?.details, { open_requests: limit, limit });
      }
      const stored = await node.ctx.store.db.selectFrom('assistance_requests').select('id').where('incident_id', '=', incident.id).execute();
      assert.equal(stored.length, limit, 'no more were stored than the bound allows');
      // A withdrawn request makes room for another.
      const first = answers.find((a) => a.status === 201)!.body as unknown as AssistanceRequest;
      await ok<AssistanceRequest>('eve', 'POST', `/api/v1/assistance/requests/${first.id}/status`, { status: 'withdrawn', version: first.version });
      await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', requestBody({ incident_id: incident.id, mode: 'remote', title: 'After a withdrawal' }), 201);
    });

    it('refuses requests its coordinators could not read, and bad input with the field named', async () => {
      const hidden = await call('eve', 'POST', '/api/v1/assistance/requests', requestBody({ releasability: ['EST'] }));
      assert.equal(hidden.status, 400);
      assert.match(hidden.body.error!.message, /coordinating member/);
      const unknown = await call('eve', 'POST', '/api/v1/assistance/requests', requestBody({ capabilities: ['time-travel'] }));
      assert.equal(unknown.status, 400);
      const analyst = await call('erik', 'POST', '/api/v1/assistance/requests', requestBody());
      assert.equal(analyst.status, 403, 'an analyst reads but does not request');
      const rejected = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', requestBody({ mode: 'remote', urgency: 'routine' }), 201);
      assert.equal(rejected.approvals_required, 1);
      const noReason = await call('carla', 'POST', `/api/v1/assistance/requests/${rejected.id}/status`, { status: 'rejected' });
      assert.equal(noReason.status, 400);
      const no = await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${rejected.id}/status`, { status: 'rejected', reason: 'Covered by the national CSIRT' });
      assert.equal(no.status, 'rejected');
      assert.equal(no.rejection?.reason, 'Covered by the national CSIRT');
      assert.ok(no.clocks.every((clock) => !clock.running), 'clocks stop when a request ends');
    });

    it('raises the alarm when a clock passes its target, once', async () => {
      const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', requestBody({ urgency: 'critical', mode: 'remote' }), 201);
      events.length = 0;
      assert.deepEqual(await checkClock(node.ctx, request.id, 'approval'), { next: new Date(clock.now().getTime() + HOUR + 1) }, 'not yet: wait for the target');
      clock.advance(HOUR + 1000);
      await checkClock(node.ctx, request.id, 'approval');
      await checkClock(node.ctx, request.id, 'approval');
      const alarms = events.filter((e) => e.change === 'overdue' && e.id === request.id);
      assert.equal(alarms.length, 1);
      assert.equal(alarms[0]!.milestone, 'approval');
      const seen = await ok<AssistanceRequest>('eve', 'GET', `/api/v1/assistance/requests/${request.id}`);
      assert.equal(seen.clocks.find((c) => c.milestone === 'approval')!.overdue, true);
      assert.ok(seen.history.some((h) => h.action === 'overdue'));
      const clocks = await ok<{ cycles: Array<{ cycle: string; requests: number; approval: { over_target: number; reached: number } }> }>('carla', 'GET', '/api/v1/assistance/clocks?cycle=quarter&cycles=1');
      assert.equal(clocks.cycles[0]!.cycle, '2026-Q4');
      assert.ok(clocks.cycles[0]!.requests >= 3);
      assert.ok(clocks.cycles[0]!.approval.over_target >= 1);
      const francois = await ok<{ cycles: Array<{ requests: number }> }>('francois', 'GET', '/api/v1/assistance/clocks?cycle=quarter&cycles=1');
      assert.ok(francois.cycles[0]!.requests < clocks.cycles[0]!.requests, 'the aggregates count only what the reader may read');
    });
  });
}

describe('assistance clocks survive a restart (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  it('a clock job enqueued by one node raises the alarm in the next one, on the node clock', async () => {
    const testStore = await createTestStore('sqlite');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-node-'));
    const clock = fixedClock(START);
    const config = loadConfig({}, { dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
    try {
      const first = await buildApp({ config, store: testStore.store, logger: false, clock });
      await upsertMembers(first.ctx, SYSTEM_PRINCIPAL, [
        { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: null },
        { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, identityId: null },
      ]);
      await createUser(first.ctx, SYSTEM_PRINCIPAL, { name: 'eve', member: 'EST', clearance: 2, roles: ['incident-handler'] });
      const eve = (await principalOfUser(first.ctx, 'eve'))!;
      const incidents = await import('../incidents/incidents.service.js');
      const service = await import('./assistance.service.js');
      await first.app.ready();
      const incident = await incidents.reportIncident(first.ctx, eve, { title: 'Ransomware at a port', tlp: 'amber', releasability: ['EST', 'NCIRC'] });
      const request = await service.requestAssistance(first.ctx, eve, { incident_id: incident.id, title: 'Recovery help', capabilities: ['it-recovery'], urgency: 'critical', mode: 'remote', releasability: ['EST', 'NCIRC'] });
      await first.app.close();

      clock.advance(2 * HOUR);
      const second = await buildApp({ config, store: testStore.store, logger: false, clock });
      const alarms: AssistanceChange[] = [];
      second.ctx.bus.subscribe('assistance.changed', (change) => alarms.push(change));
      await second.app.ready();
      second.jobs.start();
      try {
        await waitFor('the approval alarm after the restart', () => alarms.some((a) => a.change === 'overdue' && a.id === request.id && a.milestone === 'approval'));
        // The first offer's target (4 h) has not passed: no alarm for it.
        assert.ok(!alarms.some((a) => a.milestone === 'first_offer'));
      } finally {
        await second.app.close();
      }
    } finally {
      await testStore.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a coordinating member asking for help itself (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Answer> => {
    const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as Answer['body']) };
  };

  before(async () => {
    node = await createTestNode('sqlite', {}, undefined, fixedClock(START));
    // Two coordinating members: the alliance's response capability and the EU's.
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
      { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, identityId: null },
      { code: 'CERTEU', name: 'EU response team', kind: 'international-organisation', country: null, identityId: null },
    ]);
    for (const [name, member, roles] of [['ivan', 'NCIRC', ['incident-handler']], ['carla', 'NCIRC', ['coordinator']], ['conor', 'NCIRC', ['coordinator']], ['erin', 'CERTEU', ['coordinator']], ['emil', 'CERTEU', ['coordinator']]] as const) {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 3, roles: [...roles] });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }
  });
  after(async () => node?.close());

  it('is decided by the other coordinating member, never by its own colleagues (the request is released to it)', async () => {
    const incident = await call('ivan', 'POST', '/api/v1/incidents', { title: 'Wiper in the response network', tlp: 'amber', releasability: ['NCIRC', 'CERTEU'] });
    assert.equal(incident.status, 201, JSON.stringify(incident.body));
    const body = { incident_id: incident.body.id, title: 'Forensics for the response network', capabilities: ['digital-forensics'], urgency: 'high', mode: 'on-site', tlp: 'amber' };
    // Marked for itself alone, no other coordinator could decide: refused, naming the other.
    const hidden = await call('ivan', 'POST', '/api/v1/assistance/requests', { ...body, releasability: ['NCIRC'] });
    assert.equal(hidden.status, 400, JSON.stringify(hidden.body));
    assert.match(hidden.body.error!.message, /\(CERTEU\): release it to one of them/);
    const request = await call('ivan', 'POST', '/api/v1/assistance/requests', { ...body, releasability: ['NCIRC', 'CERTEU'] });
    assert.equal(request.status, 201, JSON.stringify(request.body));
    const id = request.body.id as string;
    // Its own coordinators do not approve it (before, two of them did).
    const own = await call('carla', 'POST', `/api/v1/assistance/requests/${id}/status`, { status: 'approved', version: request.body.version });
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.match(own.body.error!.message, /your member asked for this help: the coordinators of CERTEU decide on it/);
    // The other member's two coordinators do.
    let version = request.body.version as number;
    for (const who of ['erin', 'emil']) {
      const approved = await call(who, 'POST', `/api/v1/assistance/requests/${id}/status`, { status: 'approved', version });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      version = approved.body.version as number;
    }
    assert.equal((await call('ivan', 'GET', `/api/v1/assistance/requests/${id}`)).body.status, 'approved');
  });
});

describe('what offering members and the requester are told of each other (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let reserve: string;
  const tokens: Record<string, string> = {};
  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Answer> => {
    const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as Answer['body']) };
  };
  const ok = async <T>(who: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> => {
    const answer = await call(who, method, url, payload);
    assert.ok(answer.status === 200 || answer.status === 201, `${who} ${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as unknown as T;
  };
  const team = async (owner: string, name: string, capability: string, markings: { tlp?: 'amber' | 'red'; releasability?: string[]; status?: 'stood-down' } = {}) => {
    return registerTeam(node.ctx, (await principalOfUser(node.ctx, owner))!, {
      name, capabilities: [capability], modes: ['remote'], size: 4, clearance: 'RESTRICTED', languages: ['en'], time_zone: 'Europe/Paris', always: true,
      response_hours: { remote: 2, 'on-site': null }, contacts: [{ name: 'Duty officer', phone: '+00 000 000', email: 'duty@example.org' }], status: 'standing-by', ...markings,
    });
  };

  before(async () => {
    node = await createTestNode('sqlite', {}, undefined, fixedClock(START));
    await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [MEMBERS.EST, MEMBERS.FRA, MEMBERS.DEU, MEMBERS.POL, MEMBERS.NCIRC]);
    for (const [name, member, roles] of [['eve', 'EST', ['incident-handler']], ['francois', 'FRA', ['incident-handler']], ['dana', 'DEU', ['incident-handler']], ['piotr', 'POL', ['incident-handler']], ['carla', 'NCIRC', ['coordinator']], ['nadia', 'NCIRC', ['analyst']]] as const) {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 3, roles: [...roles] });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }
    const { addToGroup } = await import('../directory/directory.service.js');
    await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
    await team('francois', 'CERT-FR malware cell', 'malware-analysis');
    await team('dana', 'DEU malware cell', 'malware-analysis');
    // Poland's OT team is for itself and the coordinators alone; a reserve team, stood down, is
    // known to all.
    await team('piotr', 'POL OT recovery', 'ot-ics-recovery', { tlp: 'amber', releasability: ['POL', 'NCIRC'] });
    reserve = (await team('piotr', 'POL OT reserve', 'ot-ics-recovery', { status: 'stood-down' })).id;
  });
  after(async () => node?.close());

  it('an offering member reads only its own offers, in counts, clocks and history too', async () => {
    const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Ransomware at the ministry', tlp: 'amber', releasability: ['ALLIANCE'] });
    const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', {
      incident_id: incident.id, title: 'Reversing a ransomware sample', capabilities: ['malware-analysis'], urgency: 'high', mode: 'remote', tlp: 'amber', releasability: ['ALLIANCE'],
    });
    const approved = await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: request.version });
    assert.equal(approved.status, 'approved');
    const offer = { capabilities: ['malware-analysis'], size: 2, clearance: 'RESTRICTED', mode: 'remote', available_from: START.toISOString() };
    const germany = await ok<Offer>('dana', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, offer);
    await ok<Offer>('dana', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, offer);
    await ok<Offer>('francois', 'POST', `/api/v1/assistance/requests/${request.id}/offers`, offer);
    await ok<Offer>('eve', 'POST', `/api/v1/assistance/offers/${germany.id}/status`, { status: 'accepted', version: germany.version });
    assert.equal((await call('francois', 'GET', `/api/v1/assistance/offers/${germany.id}`)).status, 404, "France does not read Germany's offer");

    const boardOf = async (who: string) => (await ok<{ requests: RequestSummary[] }>(who, 'GET', '/api/v1/assistance/requests')).requests.find((r) => r.id === request.id)!;
    // The requester and the coordinators see all of it.
    for (const who of ['eve', 'carla']) {
      const summary = await boardOf(who);
      assert.deepEqual([summary.offers, summary.deployments, summary.clocks.map((c) => c.milestone)], [3, 1, ['approval', 'first_offer', 'deployment']], who);
      const detail = await ok<AssistanceRequest>(who, 'GET', `/api/v1/assistance/requests/${request.id}`);
      assert.ok(detail.history.some((entry) => entry.text === `offer ${germany.id} accepted`), who);
    }
    // France: its own offer, no deployment, no clock that another member's offer stopped, no
    // history naming Germany's offer.
    const summary = await boardOf('francois');
    assert.deepEqual([summary.offers, summary.deployments, summary.clocks.map((c) => c.milestone)], [1, 0, ['approval']]);
    const detail = await ok<AssistanceRequest>('francois', 'GET', `/api/v1/assistance/requests/${request.id}`);
    assert.deepEqual([detail.offers.length, detail.deployments.length, detail.clocks.map((c) => c.milestone)], [1, 0, ['approval']]);
    assert.ok(!JSON.stringify(detail.history).includes(germany.id), JSON.stringify(detail.history));
    assert.equal(detail.status, 'assisting', 'the status itself is the request’s, read by all who read it');
    const cycles = await ok<{ cycles: Array<{ requests: number; first_offer: { count: number }; deployment: { count: number } }> }>('francois', 'GET', '/api/v1/assistance/clocks?cycle=month');
    assert.deepEqual([cycles.cycles[0]!.requests, cycles.cycles[0]!.first_offer.count, cycles.cycles[0]!.deployment.count], [1, 0, 0], 'nor in the clocks per cycle');
  });

  it('the requester is not told of a member whose matching team it may not read', async () => {
    assert.equal((await ok<{ teams: unknown[] }>('eve', 'GET', '/api/v1/assistance/standby?capability=ot-ics-recovery')).teams.length, 0, 'Estonia reads no Polish team standing by');
    assert.equal((await call('eve', 'GET', `/api/v1/assistance/teams/${reserve}`)).status, 200, "but Poland's reserve, stood down");
    const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Pump stations', tlp: 'amber', releasability: ['ALLIANCE'] });
    const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', {
      incident_id: incident.id, title: 'Recovering a SCADA server', capabilities: ['ot-ics-recovery'], urgency: 'high', mode: 'remote', tlp: 'amber', releasability: ['ALLIANCE'],
    });
    const approved = await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: request.version });
    assert.deepEqual(approved.released_to, ['POL'], 'the coordinator sees whom it reached');
    assert.equal((await call('piotr', 'GET', `/api/v1/assistance/requests/${request.id}`)).status, 200, 'and it reached Poland');
    const seen = await ok<AssistanceRequest>('eve', 'GET', `/api/v1/assistance/requests/${request.id}`);
    assert.deepEqual(seen.released_to, [], 'the requester is not told');
  });

  it('announces an offer or deployment clock overdue to the requester and coordinators only', async () => {
    const incident = await ok<{ id: string }>('eve', 'POST', '/api/v1/incidents', { title: 'Telecom outage', tlp: 'amber', releasability: ['ALLIANCE'] });
    const request = await ok<AssistanceRequest>('eve', 'POST', '/api/v1/assistance/requests', {
      incident_id: incident.id, title: 'Malware on the core routers', capabilities: ['malware-analysis'], urgency: 'high', mode: 'remote', tlp: 'amber', releasability: ['ALLIANCE'],
    });
    await ok<AssistanceRequest>('carla', 'POST', `/api/v1/assistance/requests/${request.id}/status`, { status: 'approved', version: request.version });
    const heard: AssistanceChange[] = [];
    const stop = node.ctx.bus.subscribe('assistance.changed', (change) => void heard.push(change));
    try {
      const later = fixedClock(new Date(START.getTime() + 1000 * HOUR));
      const ctx = { ...node.ctx, clock: later };
      for (const milestone of ['first_offer', 'deployment'] as const) await checkClock(ctx, request.id, milestone);
    } finally {
      stop();
    }
    assert.deepEqual(heard.map((c) => c.milestone).sort(), ['deployment', 'first_offer']);
    for (const change of heard) {
      assert.equal(change.whole_only, true);
      for (const [who, hears] of [['eve', true], ['carla', true], ['nadia', false], ['francois', false], ['dana', false]] as const) {
        const reader = (await principalOfUser(node.ctx, who))!;
        const heard = canReadRecord(reader, change.access) && hearsOfChange(reader, change, (p, permission) => node.ctx.permissions.has(p, permission));
        assert.equal(heard, hears, `${who} hears ${change.milestone} overdue`);
      }
    }
    const francois = await ok<AssistanceRequest>('francois', 'GET', `/api/v1/assistance/requests/${request.id}`);
    assert.ok(!francois.history.some((entry) => entry.action === 'overdue'), 'nor reads it in the history');
  });
});
