import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { principalOfUser } from '../directory/directory.service.js';
import { getIncident } from '../incidents/incidents.service.js';
import { coordinatingMembers, getRequest, listDeployments, listRequests } from '../assistance/assistance.service.js';
import { listTeams, standby } from '../assistance/roster.service.js';
import { DEMO_ASSISTED_INCIDENTS, DEMO_TEAMS, seedDemoAssistance } from './demo.assistance.js';
import { DEMO_ALLIANCE_CODE } from './demo.model.js';
import { seedDemo, type DemoSeedResult } from './demo.service.js';

describe("the demo alliance's mutual assistance", { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let seeded: DemoSeedResult;
  before(async () => {
    node = await createTestNode('sqlite');
    seeded = await seedDemo(node.ctx, { seed: 7 });
  });
  after(async () => node?.close());

  const as = async (name: string) => {
    const principal = await principalOfUser(node.ctx, name);
    assert.ok(principal, `demo user ${name}`);
    return principal;
  };

  it('is coordinated by the alliance body, whose two coordinators approve on-site help', async () => {
    assert.ok((await coordinatingMembers(node.ctx)).includes(DEMO_ALLIANCE_CODE));
    assert.equal((await as('demo.coordinator.2')).member?.code, DEMO_ALLIANCE_CODE);
    assert.deepEqual(seeded.assistance, { teams: DEMO_TEAMS.length, requests: 2, offers: 3, deployments: 1 });
  });

  it('keeps standby teams of six members, and answers who can help now', async () => {
    const coordinator = await as('demo.coordinator');
    const { teams } = await listTeams(node.ctx, coordinator, { limit: 50 });
    assert.equal(new Set(teams.map((team) => team.member)).size, 6);
    assert.ok(teams.every((team) => team.contacts.every((contact) => (contact.email ?? '').endsWith('.example.org') && (contact.phone === null || contact.phone.startsWith('+00')))));
    assert.ok(teams.some((team) => team.always) && teams.some((team) => !team.always), 'round the clock and weekday windows');
    // Teams on call 24/7 with the capability answer at any time; the fastest first.
    const answer = await standby(node.ctx, coordinator, { capabilities: ['threat-hunting'], mode: 'remote' });
    assert.ok(answer.teams.length >= 2, JSON.stringify(answer.teams.map((match) => match.team.name)));
    assert.equal(answer.teams[0]!.team.member, 'FIN');
  });

  it('has a request under way with offers and one closed deployment whose lessons reached the incident', async () => {
    const estonia = await as(DEMO_ASSISTED_INCIDENTS.inProgress.handler);
    const { requests } = await listRequests(node.ctx, estonia, {});
    const assisting = requests.filter((request) => request.status === 'assisting');
    assert.equal(assisting.length, 1);
    const request = await getRequest(node.ctx, estonia, assisting[0]!.id);
    assert.equal(request.member, 'EST');
    assert.deepEqual(request.approvals.map((approval) => approval.by), ['demo.coordinator', 'demo.coordinator.2']);
    assert.deepEqual(request.released_to, ['FIN', 'FRA', 'NLD', 'USA']);
    assert.deepEqual(request.offers.map((offer) => `${offer.member}:${offer.status}`).sort(), ['FIN:accepted', 'NLD:offered', 'USA:declined']);
    assert.ok(request.offers.every((offer) => offer.team_name !== null), 'each offer names its standby team');
    const [deployment] = request.deployments;
    assert.equal(request.deployments.length, 1);
    assert.equal(deployment!.status, 'closed');
    assert.equal(deployment!.sitreps.length, 1);
    assert.ok(deployment!.activated_at !== null && deployment!.demobilised_at !== null && deployment!.lessons_learned !== null);
    // The clocks: approved, offered and deployed (a team active), none still running.
    assert.ok(request.clocks.every((clock) => clock.reached_at !== null && !clock.running));
    // The requesting member shared the lessons into the incident's timeline.
    const incident = await getIncident(node.ctx, estonia, request.incident_id);
    assert.equal(incident.title, DEMO_ASSISTED_INCIDENTS.inProgress.title);
    assert.ok(incident.timeline.some((entry) => entry.text.includes('Lessons learned:') && entry.text.includes('Finnish threat hunting cell')));
    // The offer still on the table is the requester's to decide.
    assert.ok(request.offers.find((offer) => offer.status === 'offered')!.may_decide);
  });

  it('has a request awaiting its second approval, which the other coordinator may give', async () => {
    const second = await as('demo.coordinator.2');
    const { requests } = await listRequests(node.ctx, second, { status: ['submitted'] });
    assert.equal(requests.length, 1);
    const request = await getRequest(node.ctx, second, requests[0]!.id);
    assert.equal(request.member, 'POL');
    assert.equal(request.mode, 'on-site');
    assert.equal(request.approvals.length, 1);
    assert.equal(request.approvals_required, 2);
    assert.ok(request.actions.includes('approve'));
    // The first coordinator approved it already: not twice.
    const first = await getRequest(node.ctx, await as('demo.coordinator'), request.id);
    assert.ok(!first.actions.includes('approve'));
  });

  it('reads by need to know: a member its request did not reach sees none of it', async () => {
    // Germany's team does neither forensics nor hunting: Estonia's request did not reach it.
    const germany = await as('demo.handler.de');
    assert.equal((await listRequests(node.ctx, germany, {})).requests.length, 0);
    assert.equal((await listDeployments(node.ctx, germany, undefined)).length, 0);
    const industry = await as('demo.industry');
    assert.equal((await listTeams(node.ctx, industry, {})).teams.length, 0);
  });

  it('is seeded once: a second run adds nothing', async () => {
    const again = await seedDemoAssistance(node.ctx, [{ code: 'EST' }, { code: 'FIN' }]);
    assert.deepEqual(again, { teams: 0, requests: 0, offers: 0, deployments: 0 });
    assert.equal((await listRequests(node.ctx, await as('demo.coordinator'), {})).requests.length, 2);
  });
});
