import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { assess, catchUp, listActors } from '../assessment/assessment.service.js';
import { getConsultation, getProposal, listConsultations, listDecisionRecords, listProposals } from '../decisions/decisions.service.js';
import { listStatements } from '../decisions/statements.service.js';
import { principalOfUser } from '../directory/directory.service.js';
import { DEMO_ACTOR, seedDemoDecisions } from './demo.decisions.js';
import { DEMO_ALLIANCE_CODE } from './demo.model.js';
import { seedDemo, type DemoSeedResult } from './demo.service.js';

const DAY = 86_400_000;

describe("the demo alliance's cumulative assessment and consultation", { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let seeded: DemoSeedResult;
  before(async () => {
    node = await createTestNode('sqlite');
    seeded = await seedDemo(node.ctx, { seed: 7 });
    await catchUp(node.ctx);
  });
  after(async () => node?.close());

  const as = async (name: string) => {
    const principal = await principalOfUser(node.ctx, name);
    assert.ok(principal, `demo user ${name}`);
    return principal;
  };

  it('has an actor hit in three members whose 90-day score is near, but below, the consultation threshold', async () => {
    assert.deepEqual(seeded.decisions, { actor: DEMO_ACTOR.intrusionSet.id, incidents: 4, sightings: 6, consultations: 1, proposals: 2, decisions: 1, statements: 1 });
    const coordinator = await as('demo.coordinator');
    const answer = await assess(node.ctx, coordinator, DEMO_ACTOR.intrusionSet.id, { days: 90 });
    assert.equal(answer.actor.name, 'Hollow Sleet');
    assert.equal(answer.thresholds.consultation, 250);
    assert.ok(answer.score >= 200 && answer.score < 250, `score ${answer.score}: aimed at 200-249`);
    assert.equal(answer.escalation, 'none');
    assert.deepEqual(answer.parts.members, ['EST', 'FIN', 'LVA']);
    assert.deepEqual(answer.parts.counts, { incidents: 4, sightings: 27, intel: 3 });
    assert.ok(answer.parts.incidents > 0 && answer.parts.sightings > 0 && answer.parts.intel > 0, 'incidents, sightings and attributed intel all weigh');
    assert.deepEqual(new Set(answer.contributions.map((c) => c.member)), new Set(['EST', 'FIN', 'LVA']));
    assert.ok(answer.contributions.every((c) => c.severity_score !== null && c.via === DEMO_ACTOR.intrusionSet.id));
    assert.equal(answer.basis.withheld_buckets, 0);
    assert.deepEqual(answer.schmitt.map((input) => `${input.factor}:${input.rating}`).sort(), ['severity:moderate', 'state-involvement:high']);
    // Every Ally reads the same evidence: the Estonian delegate sees the same total.
    assert.equal((await assess(node.ctx, await as('demo.delegate.ee'), DEMO_ACTOR.intrusionSet.id, { days: 90 })).score, answer.score);
    const listed = (await listActors(node.ctx, coordinator, { days: 90, limit: 100 })).actors.find((a) => a.ref === DEMO_ACTOR.intrusionSet.id);
    assert.equal(listed?.score, answer.score);
    // The threat actor it is attributed to (confidence 70) counts its evidence at that weight.
    const directorate = await assess(node.ctx, coordinator, DEMO_ACTOR.threatActor.id, { days: 90 });
    assert.deepEqual(directorate.includes.map((i) => [i.ref, i.confidence]), [[DEMO_ACTOR.intrusionSet.id, 70]]);
    assert.ok(directorate.score > 0 && directorate.score < answer.score);
  });

  it('keeps the evidence from members it is not released to', async () => {
    await assert.rejects(assess(node.ctx, await as('demo.industry'), DEMO_ACTOR.intrusionSet.id, { days: 90 }), { code: 'SW_NOT_FOUND' });
  });

  it('has a consultation requested by Estonia, with statements, a document, minutes and two proposals', async () => {
    const latvia = await as('demo.delegate.lv');
    const { consultations } = await listConsultations(node.ctx, latvia, { subject: DEMO_ACTOR.intrusionSet.id });
    assert.equal(consultations.length, 1);
    const consultation = await getConsultation(node.ctx, latvia, consultations[0]!.id);
    assert.equal(consultation.requested_by, 'EST');
    assert.deepEqual(consultation.participants, ['LVA', 'FIN', 'FRA', DEMO_ALLIANCE_CODE]);
    assert.deepEqual(consultation.subject, { kind: 'actor', ref: DEMO_ACTOR.intrusionSet.id, name: 'Hollow Sleet' });
    assert.deepEqual(consultation.statements.map((s) => s.member), ['LVA', 'FIN', 'FRA']);
    assert.equal(consultation.documents.length, 1);
    assert.deepEqual(consultation.minutes.map((m) => m.member), [DEMO_ALLIANCE_CODE]);
    assert.deepEqual(consultation.proposal_list.map((p) => p.status).sort(), ['adopted', 'silence']);
    assert.ok(consultation.actions.includes('statement'));
    // A member not consulted does not know of it.
    assert.equal((await listConsultations(node.ctx, await as('demo.analyst.de'), {})).consultations.length, 0);
  });

  it('has one proposal adopted at its silence deadline, on record as a decision', async () => {
    const finland = await as('demo.delegate.fi');
    const { decisions } = await listDecisionRecords(node.ctx, finland);
    assert.equal(decisions.length, 1);
    const record = decisions[0]!;
    assert.deepEqual(record.options, ['intelligence-sharing', 'defensive-measures']);
    assert.equal(record.round, 1);
    assert.equal(record.version, 1);
    assert.equal(Date.parse(record.deadline) - Date.parse(record.circulated_at), 72 * 3_600_000);
    assert.ok(Date.parse(record.adopted_at) >= Date.parse(record.deadline) && Date.parse(record.adopted_at) < Date.now() - 6 * DAY, 'adopted at its deadline, a week ago');
    const proposal = await getProposal(node.ctx, finland, record.proposal_id);
    assert.equal(proposal.status, 'adopted');
    assert.equal(proposal.decision?.id, record.id);
  });

  it('has a proposal under silence until a few days from now, after a break and an amendment', async () => {
    const france = await as('demo.delegate.fr');
    const { proposals } = await listProposals(node.ctx, france, { status: ['silence'] });
    assert.equal(proposals.length, 1);
    const proposal = await getProposal(node.ctx, france, proposals[0]!.id);
    assert.deepEqual(proposal.options, ['coordinated-attribution', 'demarche']);
    const deadline = Date.parse(proposal.silence!.deadline) - Date.now();
    assert.ok(deadline > 2 * DAY && deadline <= 3 * DAY + 3_600_000, `deadline ${proposal.silence!.deadline}`);
    assert.match(proposal.silence!.deadline, /T\d\d:00:00\.000Z$/, 'on the hour');
    assert.equal(proposal.silence!.round, 2);
    assert.equal(proposal.text_version, 2);
    assert.deepEqual(proposal.breaks.map((b) => [b.member, b.round]), [['FRA', 1]]);
    assert.equal(proposal.amendments.length, 1);
    // France may break silence again until the deadline.
    assert.ok(proposal.actions.includes('break'));
  });

  it('has a draft attribution statement joined by two members and declined by one', async () => {
    const estonia = await as('demo.delegate.ee');
    const { statements } = await listStatements(node.ctx, estonia, { status: ['draft'] });
    assert.equal(statements.length, 1);
    const statement = statements[0]!;
    assert.equal(statement.actor.ref, DEMO_ACTOR.intrusionSet.id);
    assert.deepEqual(statement.attributed_to, { ref: DEMO_ACTOR.threatActor.id, name: 'Grey Heron Directorate' });
    assert.deepEqual(statement.joined.map((r) => r.member), ['EST', 'LVA', 'FIN']);
    assert.deepEqual(statement.declined.map((r) => r.member), ['FRA']);
    assert.ok(statement.declined[0]!.reason);
    assert.ok(Date.parse(statement.publish_at) > Date.now());
    assert.deepEqual(statement.actions, ['cancel']);
  });

  it('is seeded once: a second run adds nothing', async () => {
    const again = await seedDemoDecisions(node.ctx, [{ code: 'EST', identityId: null }]);
    assert.deepEqual(again, { actor: null, incidents: 0, sightings: 0, consultations: 0, proposals: 0, decisions: 0, statements: 0 });
  });
});
