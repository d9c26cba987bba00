/**
 * The cumulative assessment on both engines: the follower turns incidents (STIX 2.1 section 4.6
 * with the incidents extension), sightings (section 5.2) and attribution relationships (section
 * 5.1) into per-actor evidence exactly once, whatever the order they arrive in and however often
 * they are versioned or revoked; each reader's total sums only the evidence (and attributions) the
 * policy lets it read, and the answer says so; the formula's working is shown; inputs on the
 * Schmitt factors are marked records.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fixedClock } from '../../core/clock.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { countTurns, SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS, type Tlp } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import { INCIDENT_EXTENSION_ID } from '../incidents/incidents.service.js';
import { decay, FORMULA, scoreOf, WINDOW_MAX_DAYS, type Assessment } from './assessment.model.js';
import { BULK_DEFER_MS, catchUp, follow, FOLLOW_INTERVAL_MS, FOLLOW_KEY } from './assessment.service.js';
import { followerState } from './assessment.repo.js';
import { BATCH, followOnce } from './assessment.facts.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const EST_ID = 'identity--0e5b3b7e-1111-4c1a-9c1e-000000000001';
const FRA_ID = 'identity--0e5b3b7e-2222-4c1a-9c1e-000000000002';
type Answer = { status: number; body: Record<string, unknown> };

const id = (type: string) => `${type}--${randomUUID()}`;
const day = (offset: number) => new Date(NOW.getTime() - offset * 86_400_000).toISOString();

function sighting(of: string, count: number, options: { creator: string; tlp: Tlp; daysAgo: number; where?: string; confidence?: number; sid?: string; modified?: string }): StixObject {
  const at = day(options.daysAgo);
  return {
    type: 'sighting', spec_version: '2.1', id: options.sid ?? id('sighting'), created: at, modified: options.modified ?? at, created_by_ref: options.creator,
    sighting_of_ref: of, count, first_seen: at, where_sighted_refs: [options.where ?? options.creator], object_marking_refs: [TLP2_MARKING_IDS[options.tlp]],
    ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
  };
}

function link(source: string, target: string, options: { creator: string; tlp: Tlp; confidence: number; rid?: string; modified?: string; revoked?: boolean; type?: string }): StixObject {
  const at = day(10);
  return {
    type: 'relationship', spec_version: '2.1', id: options.rid ?? id('relationship'), created: at, modified: options.modified ?? at, created_by_ref: options.creator,
    relationship_type: options.type ?? 'indicates', source_ref: source, target_ref: target, confidence: options.confidence, object_marking_refs: [TLP2_MARKING_IDS[options.tlp]],
    ...(options.revoked ? { revoked: true } : {}),
  };
}

for (const dialect of DIALECTS) {
  describe(`cumulative assessment (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const clock = fixedClock(NOW);
    const tokens: Record<string, string> = {};
    const actor = id('intrusion-set');
    const parent = id('threat-actor');
    const indicatorId = id('indicator');

    async function user(name: string, member: string, roles: Role[]): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 2, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    async function call(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Answer> {
      const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
    }

    async function assess(who: string, ref = actor, days = 30): Promise<Assessment> {
      await catchUp(node.ctx);
      const answer = await call(who, 'GET', `/api/v1/assessment/actors/${ref}?days=${days}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body as unknown as Assessment;
    }

    async function ingestAs(who: string, objects: StixObject[]): Promise<void> {
      const principal = (await principalOfUser(node.ctx, who))!;
      const summary = await intel.ingestObjects(node.ctx, principal, objects);
      assert.equal(summary.rejected, 0, `ingest as ${who}`);
    }

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: EST_ID },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_ID },
      ]);
      const { addToGroup } = await import('../directory/directory.service.js');
      await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies', ['EST', 'FRA']);
      await user('eve', 'EST', ['incident-handler', 'analyst']);
      await user('fred', 'FRA', ['incident-handler', 'analyst']);
      await ingestAs('eve', [
        { type: 'intrusion-set', spec_version: '2.1', id: actor, created: day(100), modified: day(100), name: 'Frost Lynx', object_marking_refs: [TLP2_MARKING_IDS.clear] },
        { type: 'threat-actor', spec_version: '2.1', id: parent, created: day(100), modified: day(100), name: 'State Actor', object_marking_refs: [TLP2_MARKING_IDS.clear] },
        {
          type: 'indicator', spec_version: '2.1', id: indicatorId, created: day(20), modified: day(20), created_by_ref: EST_ID, pattern: "[ipv4-addr:value = '203.0.113.9']",
          pattern_type: 'stix', valid_from: day(20), object_marking_refs: [TLP2_MARKING_IDS.green],
        },
      ]);
    });

    after(async () => {
      await node?.close();
    });

    it('counts an incident once, through its versions, by its severity and the attribution confidence (section 4.6)', async () => {
      const created = await call('eve', 'POST', '/api/v1/incidents', {
        title: 'Grid wiper', tlp: 'amber', releasability: ['ALLIANCE'], actor: { ref: actor, name: 'Frost Lynx', confidence: 80 }, sectors: ['energy', 'food'], started_at: day(2),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      let seen = await assess('eve');
      assert.equal(seen.parts.counts.incidents, 1);
      const unscored = (FORMULA.unscoredIncident * 80) / 100;
      assert.equal(seen.parts.incidents, Math.round(unscored * decay(2) * 10) / 10, 'an unscored incident weighs unscoredIncident x confidence, decayed');
      assert.deepEqual(seen.parts.sectors, ['energy'], 'only critical sectors count toward breadth');
      assert.equal(seen.contributions.length, 1);
      assert.equal(seen.contributions[0]!.incident_id, created.body.id);

      // A new version with a lower confidence replaces the first: never both.
      const changed = await call('eve', 'PATCH', `/api/v1/incidents/${String(created.body.id)}`, { actor: { ref: actor, name: 'Frost Lynx', confidence: 40 }, version: created.body.version });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      seen = await assess('eve');
      assert.equal(seen.parts.counts.incidents, 1, 'a new version replaces the previous one');
      assert.equal(seen.parts.incidents, Math.round(((FORMULA.unscoredIncident * 40) / 100) * decay(2) * 10) / 10);

      // Attributed elsewhere: it no longer counts for this actor.
      const other = id('intrusion-set');
      const moved = await call('eve', 'PATCH', `/api/v1/incidents/${String(created.body.id)}`, { actor: { ref: other, name: null, confidence: 90 }, version: changed.body.version });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      await catchUp(node.ctx);
      const none = await call('eve', 'GET', `/api/v1/assessment/actors/${actor}?days=30`);
      assert.equal((none.body as unknown as Assessment).parts.counts.incidents, 0);
      const elsewhere = await assess('eve', other);
      assert.equal(elsewhere.parts.counts.incidents, 1);
      // Back to the actor for the tests that follow.
      const back = await call('eve', 'PATCH', `/api/v1/incidents/${String(created.body.id)}`, { actor: { ref: actor, name: 'Frost Lynx', confidence: 80 }, version: moved.body.version });
      assert.equal(back.status, 200);
    });

    it('ties sightings to the actor through attributions, whichever arrives first, and takes them back on revocation (sections 5.1, 5.2)', async () => {
      // Sightings first, the attribution later: the sightings are counted once the link arrives.
      await ingestAs('eve', [sighting(indicatorId, 7, { creator: EST_ID, tlp: 'green', daysAgo: 3 })]);
      let seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 0, 'not attributed yet');
      const rid = id('relationship');
      await ingestAs('eve', [link(indicatorId, actor, { creator: EST_ID, tlp: 'green', confidence: 50, rid })]);
      seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 7);
      assert.equal(seen.parts.counts.intel, 1, 'the attributed indicator is one piece of intel');
      const expectedSightings = FORMULA.sightingFactor * Math.log2(1 + 7 * 0.5 * decay(3));
      assert.equal(seen.parts.sightings, Math.round(expectedSightings * 10) / 10);

      // More sightings after the link are counted through it at once.
      await ingestAs('fred', [sighting(indicatorId, 3, { creator: FRA_ID, tlp: 'green', daysAgo: 1 })]);
      seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 10);
      assert.deepEqual(seen.parts.members, ['EST', 'FRA'], 'members where it was sighted');

      // The attribution revoked: its sightings and intel go.
      await ingestAs('eve', [link(indicatorId, actor, { creator: EST_ID, tlp: 'green', confidence: 50, rid, modified: day(0), revoked: true })]);
      seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 0);
      assert.equal(seen.parts.counts.intel, 0);
      // Attributed again with a new relationship.
      await ingestAs('eve', [link(indicatorId, actor, { creator: EST_ID, tlp: 'green', confidence: 100 })]);
      seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 10);
    });

    it('a sighting versioned replaces its count; direct sightings of the actor count at full confidence', async () => {
      const sid = id('sighting');
      await ingestAs('eve', [sighting(actor, 2, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid })]);
      let seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 12);
      await ingestAs('eve', [sighting(actor, 5, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid, modified: day(0) })]);
      seen = await assess('eve');
      assert.equal(seen.parts.counts.sightings, 15, 'the new version replaces the old count');
    });

    it('an older version arriving after the newer one changes nothing (section 3.6: the newest modified is the object)', async () => {
      const late = id('intrusion-set');
      await ingestAs('eve', [{ type: 'intrusion-set', spec_version: '2.1', id: late, created: day(100), modified: day(100), name: 'Late Heron', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      const sid = id('sighting');
      const rid = id('relationship');
      await ingestAs('eve', [
        sighting(late, 5, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid, modified: day(1) }),
        link(indicatorId, late, { creator: EST_ID, tlp: 'green', confidence: 50, rid, modified: day(1), revoked: true }),
      ]);
      let seen = await assess('eve', late);
      assert.equal(seen.parts.counts.sightings, 5);
      assert.equal(seen.parts.counts.intel, 0, 'the attribution is revoked');
      // The versions before them, stored now: kept, but not current.
      await ingestAs('eve', [sighting(late, 2, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid, modified: day(3) }), link(indicatorId, late, { creator: EST_ID, tlp: 'green', confidence: 50, rid, modified: day(3) })]);
      seen = await assess('eve', late);
      assert.equal(seen.parts.counts.sightings, 5, 'the count of the newest version');
      assert.equal(seen.parts.counts.intel, 0, 'a revoked attribution stays revoked');
    });

    it('counts evidence stored before the marking-definition it names once the definition arrives (section 7.2.1)', async () => {
      const waited = id('intrusion-set');
      const definition = handlingMarkingDefinition({ id: id('marking-definition'), created: day(30), classification: 'UNCLASSIFIED', releasableTo: ['EST', 'FRA'] });
      await ingestAs('eve', [
        { type: 'intrusion-set', spec_version: '2.1', id: waited, created: day(100), modified: day(100), name: 'Patient Crane', object_marking_refs: [TLP2_MARKING_IDS.clear] },
        { ...sighting(waited, 6, { creator: EST_ID, tlp: 'green', daysAgo: 2 }), object_marking_refs: [TLP2_MARKING_IDS.green, definition.id] },
      ]);
      let seen = await assess('fred', waited);
      assert.equal(seen.parts.counts.sightings, 0, 'readable by nobody until its definition is stored');
      await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [definition]);
      seen = await assess('fred', waited);
      assert.equal(seen.parts.counts.sightings, 6);
    });

    it('takes back what a deleted object added; a version left current counts in its place (TAXII 2.1 section 5.7)', async () => {
      const target = id('intrusion-set');
      await ingestAs('eve', [{ type: 'intrusion-set', spec_version: '2.1', id: target, created: day(100), modified: day(100), name: 'Erased Ibis', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      const kept = id('sighting');
      const gone = sighting(target, 4, { creator: EST_ID, tlp: 'green', daysAgo: 2 });
      await ingestAs('eve', [sighting(target, 2, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid: kept, modified: day(3) }), gone]);
      await ingestAs('eve', [sighting(target, 5, { creator: EST_ID, tlp: 'green', daysAgo: 4, sid: kept, modified: day(1) })]);
      assert.equal((await assess('eve', target)).parts.counts.sightings, 9);
      const eve = (await principalOfUser(node.ctx, 'eve'))!;
      // A whole object deleted: what it added goes.
      assert.equal(await intel.deleteObject(node.ctx, eve, gone.id), 1);
      assert.equal((await assess('eve', target)).parts.counts.sightings, 5);
      // Its current version deleted: the version before it is the object again, and counts.
      assert.equal(await intel.deleteObject(node.ctx, eve, kept, { exact: [day(1)] }), 1);
      assert.equal((await assess('eve', target)).parts.counts.sightings, 2);
    });

    it('each reader sums only what it may read, and the answer says what it is based on', async () => {
      // Estonia's own sighting, AMBER+STRICT: France may not read it.
      await ingestAs('eve', [sighting(indicatorId, 40, { creator: EST_ID, tlp: 'amber+strict', daysAgo: 2 })]);
      // France's attribution of another indicator, TLP:RED (France only): its sightings count only for France.
      const secret = id('indicator');
      await ingestAs('fred', [
        { type: 'indicator', spec_version: '2.1', id: secret, created: day(5), modified: day(5), created_by_ref: FRA_ID, pattern: "[domain-name:value = 'x.example']", pattern_type: 'stix', valid_from: day(5), object_marking_refs: [TLP2_MARKING_IDS.green] },
        sighting(secret, 9, { creator: FRA_ID, tlp: 'green', daysAgo: 2 }),
        link(secret, actor, { creator: FRA_ID, tlp: 'red', confidence: 100 }),
      ]);
      const estonia = await assess('eve');
      const france = await assess('fred');
      assert.equal(estonia.parts.counts.sightings, 55, 'Estonia reads its own strict sighting, not France\'s red attribution');
      assert.equal(france.parts.counts.sightings, 24, 'France reads its red attribution, not Estonia\'s strict sighting');
      assert.ok(estonia.basis.withheld_buckets > 0 && france.basis.withheld_buckets > 0);
      assert.match(france.basis.note, /beyond your need-to-know/);
      assert.notEqual(estonia.score, france.score, 'two readers, two totals');
      // A reader of neither the actor nor any evidence: 404, not an empty assessment.
      const nobody = id('campaign');
      const missing = await call('fred', 'GET', `/api/v1/assessment/actors/${nobody}`);
      assert.equal(missing.status, 404);
    });

    it("counts evidence for its creator's member, whatever member the object names (breadth is not one member's say)", async () => {
      const target = id('intrusion-set');
      await ingestAs('fred', [{ type: 'intrusion-set', spec_version: '2.1', id: target, created: day(100), modified: day(100), name: 'Paper Tiger', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      // France files an incident naming Estonia as its reporting member, and a sighting "where sighted" in Estonia.
      const forged: StixObject = {
        type: 'incident', spec_version: '2.1', id: id('incident'), created: day(2), modified: day(2), created_by_ref: FRA_ID, name: 'Wiper at an Estonian bank', object_marking_refs: [TLP2_MARKING_IDS.green],
        extensions: {
          [INCIDENT_EXTENSION_ID]: {
            extension_type: 'property-extension', status: 'new', reporting_member: 'EST', actor: { ref: target, name: null, confidence: 100 },
            severity: { score: 95, level: 5, level_name: 'Emergency', significant: true, selections: {} }, sectors: ['energy'], systems: [], timeline: [], tasks: [], links: [],
            started_at: day(2), detected_at: day(2), handler: null,
          },
        },
      };
      await ingestAs('fred', [forged, sighting(target, 50, { creator: FRA_ID, tlp: 'green', daysAgo: 2, where: EST_ID })]);
      const seen = await assess('eve', target);
      assert.equal(seen.parts.counts.incidents, 1);
      assert.equal(seen.parts.counts.sightings, 50);
      assert.deepEqual(seen.parts.members, ['FRA'], 'both count for France, their creator');
      // The node's copy of Estonia's own incident counts for Estonia.
      const own = await call('eve', 'POST', '/api/v1/incidents', { title: 'DDoS on a ministry', tlp: 'green', releasability: ['ALLIANCE'], actor: { ref: target, name: 'Paper Tiger', confidence: 100 }, started_at: day(1) });
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.deepEqual((await assess('eve', target)).parts.members, ['EST', 'FRA']);
    });

    it('counts evidence under made-up identities for the member that wrote it, and a score outside 0-100 as no score', async () => {
      const target = id('intrusion-set');
      await ingestAs('fred', [{ type: 'intrusion-set', spec_version: '2.1', id: target, created: day(100), modified: day(100), name: 'Many Faces', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      // Fourteen sightings by France, each under an identity of no member: one member hit, not fourteen.
      const made = Array.from({ length: 14 }, () => sighting(target, 10, { creator: id('identity'), tlp: 'green', daysAgo: 3 }));
      // And incidents whose copies say scores no scoring gives.
      const incidentWith = (score: number): StixObject => ({
        type: 'incident', spec_version: '2.1', id: id('incident'), created: day(2), modified: day(2), created_by_ref: FRA_ID, name: `Scored ${score}`, object_marking_refs: [TLP2_MARKING_IDS.green],
        extensions: {
          [INCIDENT_EXTENSION_ID]: {
            extension_type: 'property-extension', status: 'new', actor: { ref: target, name: null, confidence: 100 },
            severity: { score, level: 9, level_name: 'Made up', significant: true, selections: {} }, sectors: [], systems: [], timeline: [], tasks: [], links: [],
            started_at: day(2), detected_at: day(2), handler: null,
          },
        },
      });
      await ingestAs('fred', [...made, incidentWith(-100_000), incidentWith(1e308)]);
      const seen = await assess('eve', target);
      assert.equal(seen.parts.counts.sightings, 140);
      assert.deepEqual(seen.parts.members, ['FRA'], 'counted for the member whose user wrote them');
      assert.equal(seen.parts.counts.incidents, 2);
      const unscored = FORMULA.unscoredIncident * decay(2);
      assert.equal(seen.parts.incidents, Math.round(2 * unscored * 10) / 10, 'each weighs as an unscored incident');
      assert.ok(Number.isFinite(seen.score) && seen.score > 0, String(seen.score));
    });

    it('includes the evidence of actors attributed to this one, weighted by that attribution', async () => {
      await ingestAs('eve', [link(actor, parent, { creator: EST_ID, tlp: 'clear', confidence: 50, type: 'attributed-to' })]);
      const threat = await assess('eve', parent);
      const child = await assess('eve', actor);
      assert.deepEqual(threat.includes.map((i) => [i.ref, i.confidence]), [[actor, 50]]);
      assert.equal(threat.parts.counts.incidents, child.parts.counts.incidents);
      assert.equal(threat.parts.counts.sightings, child.parts.counts.sightings, 'a sighting of the intrusion set counts once for the threat actor, not again through the attribution');
      assert.ok(threat.parts.incidents > 0 && threat.parts.incidents < child.parts.incidents, 'weighted by the attribution confidence');
      const list = await call('eve', 'GET', '/api/v1/assessment/actors?days=30');
      const listed = (list.body as { actors: Array<{ ref: string; score: number }> }).actors;
      assert.equal(listed.find((a) => a.ref === parent)?.score, threat.score, 'the threat actor is listed with the score of its page, its intrusion set included');
    });

    it('shows its working and escalates at the configured thresholds, never deciding', async () => {
      const seen = await assess('eve');
      const recomputed = scoreOf([], NOW, 30);
      assert.equal(recomputed.score, 0);
      assert.equal(seen.thresholds.consultation, 250);
      assert.equal(seen.escalation, seen.score >= 600 ? 'council' : seen.score >= 250 ? 'consultation' : 'none');
      assert.match(seen.recommendation, /does not decide|monitoring/);
      assert.equal(seen.series.at(-1)!.score, seen.score, 'the last point of the series is the score');
      assert.ok(seen.by_member.some((m) => m.member === 'EST'));
      const list = await call('eve', 'GET', '/api/v1/assessment/actors?days=30');
      const actors = (list.body as { actors: Array<{ ref: string; score: number }> }).actors;
      assert.equal(actors.find((a) => a.ref === actor)?.score, seen.score, 'the list scores as the page does');
      const bad = await call('eve', 'GET', `/api/v1/assessment/actors/${actor}?days=0`);
      assert.equal(bad.status, 400);
      const notActor = await call('eve', 'GET', `/api/v1/assessment/actors/${indicatorId}`);
      assert.equal(notActor.status, 400);
    });

    it('Schmitt-factor inputs are marked records with a rationale', async () => {
      const strict = await call('eve', 'POST', `/api/v1/assessment/actors/${actor}/inputs`, { factor: 'state-involvement', rating: 'high', rationale: 'Tooling shared with a state unit.', tlp: 'amber+strict' });
      assert.equal(strict.status, 201, JSON.stringify(strict.body));
      const open = await call('fred', 'POST', `/api/v1/assessment/actors/${actor}/inputs`, { factor: 'severity', rating: 'moderate', rationale: 'Outages of hours.', tlp: 'green' });
      assert.equal(open.status, 201);
      assert.equal((await call('fred', 'POST', `/api/v1/assessment/actors/${actor}/inputs`, { factor: 'severity', rating: 'moderate', rationale: '' })).status, 400);
      assert.equal((await call('fred', 'POST', `/api/v1/assessment/actors/${actor}/inputs`, { factor: 'gravity', rating: 'moderate', rationale: 'x' })).status, 400);
      const france = await assess('fred');
      assert.deepEqual(france.schmitt.map((s) => s.factor), ['severity'], 'France does not read Estonia\'s strict input');
      const estonia = await assess('eve');
      assert.deepEqual(estonia.schmitt.map((s) => s.factor).sort(), ['severity', 'state-involvement']);
    });

    it('a member\'s newer ratings of a factor supersede its oldest past five, never another member\'s; current ratings shown first', async () => {
      const rated = id('intrusion-set');
      await ingestAs('eve', [{ type: 'intrusion-set', spec_version: '2.1', id: rated, created: day(10), modified: day(10), name: 'Rated', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      assert.equal((await call('fred', 'POST', `/api/v1/assessment/actors/${rated}/inputs`, { factor: 'severity', rating: 'low', rationale: 'France: outages of minutes.', tlp: 'green' })).status, 201);
      for (let i = 0; i < 7; i++) {
        const rating = await call('eve', 'POST', `/api/v1/assessment/actors/${rated}/inputs`, { factor: 'severity', rating: 'high', rationale: `Estonia, rating ${i}.`, tlp: 'green' });
        assert.equal(rating.status, 201, JSON.stringify(rating.body));
        clock.advance(1000);
      }
      const seen = await assess('eve', rated);
      const estonia = seen.schmitt.filter((s) => s.member === 'EST').map((s) => s.rationale);
      assert.deepEqual(estonia, [6, 5, 4, 3, 2].map((i) => `Estonia, rating ${i}.`), 'the newest five of Estonia, newest first');
      assert.deepEqual(seen.schmitt.filter((s) => s.member === 'FRA').map((s) => s.rationale), ['France: outages of minutes.']);
      assert.deepEqual(seen.schmitt.slice(0, 2).map((s) => s.member), ['EST', 'FRA'], 'each member\'s current rating before older ones');
      const stored = await node.ctx.store.db.selectFrom('assessment_inputs').select(['id']).where('actor_ref', '=', rated).execute();
      assert.equal(stored.length, 6, 'the superseded ones are gone from the store (the audit log keeps them)');
    });

    it("supersedes only ratings the writer may read: a colleague cleared lower never removes a CONFIDENTIAL one", async () => {
      const rated = id('intrusion-set');
      await ingestAs('eve', [{ type: 'intrusion-set', spec_version: '2.1', id: rated, created: day(10), modified: day(10), name: 'Rated apart', object_marking_refs: [TLP2_MARKING_IDS.clear] }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'ella', member: 'EST', clearance: 0, roles: ['analyst'] });
      tokens.ella = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: 'ella', user: 'ella' })).token;
      const rate = (who: string, rationale: string, classification?: string) =>
        call(who, 'POST', `/api/v1/assessment/actors/${rated}/inputs`, { factor: 'severity', rating: 'high', rationale, tlp: 'green', ...(classification ? { classification } : {}) });
      assert.equal((await rate('eve', 'Estonia, confidential.', 'CONFIDENTIAL')).status, 201);
      clock.advance(1000);
      // Six ratings by the colleague: its own oldest make room, never the one it may not read.
      for (let i = 0; i < 6; i++) {
        const rating = await rate('ella', `Estonia, open ${i}.`);
        assert.equal(rating.status, 201, JSON.stringify(rating.body));
        clock.advance(1000);
      }
      const rationales = (await assess('eve', rated)).schmitt.map((s) => s.rationale);
      assert.ok(rationales.includes('Estonia, confidential.'), `the confidential rating is kept: ${rationales.join(' | ')}`);
      // Five it may not read (each of eve's replaces the oldest she reads, her own first rating
      // among them): the colleague is told why, and nothing is removed.
      for (let i = 0; i < 5; i++) {
        assert.equal((await rate('eve', `Estonia, confidential ${i}.`, 'CONFIDENTIAL')).status, 201);
        clock.advance(1000);
      }
      const refused = await rate('ella', 'Estonia, one more.');
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(JSON.stringify(refused.body), /ask a colleague who reads them/);
      const kept = await node.ctx.store.db.selectFrom('assessment_inputs').select(['rationale']).where('actor_ref', '=', rated).execute();
      assert.equal(kept.filter((row) => row.rationale.includes('confidential')).length, 5);
    });

    it('applies each batch once when two followers race on the store', async () => {
      const before = await assess('eve');
      await ingestAs('eve', Array.from({ length: 30 }, (_, i) => sighting(indicatorId, 1, { creator: EST_ID, tlp: 'green', daysAgo: 1 + (i % 3) })));
      await Promise.all([followOnce(node.ctx, 10), followOnce(node.ctx, 10), followOnce(node.ctx, 10)]);
      const afterRace = await assess('eve');
      assert.equal(afterRace.parts.counts.sightings, before.parts.counts.sightings + 30);
    });

    it('answers from one state of the follower: a batch applied while the answer is read is in all of it or in none', async () => {
      // An actor of its own: Estonia's incident only, to begin with.
      const harbour = id('intrusion-set');
      const first = await call('eve', 'POST', '/api/v1/incidents', {
        title: 'Harbour crane wiper', tlp: 'green', releasability: ['ALLIANCE'], actor: { ref: harbour, name: 'Harbour', confidence: 90 }, sectors: ['transport'], started_at: day(2),
      });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const before = await assess('eve', harbour);
      assert.deepEqual(before.parts.members, ['EST']);
      // Right after the answer has read the actor's weeks, France's incident is stored and the
      // follower applies it: the answer's later reads (its heaviest incidents) would see it.
      const adapter = node.ctx.store.adapter;
      const readArrays = adapter.readArrays.bind(adapter);
      let injected: string | undefined;
      adapter.readArrays = (async (read: Parameters<typeof readArrays>[0], parameters: readonly unknown[]) => {
        const rows = await readArrays(read, parameters);
        if (read.name === 'assessment_weeks_of' && injected === undefined) {
          injected = '';
          const created = await call('fred', 'POST', '/api/v1/incidents', {
            title: 'Port logistics intrusion', tlp: 'green', releasability: ['ALLIANCE'], actor: { ref: harbour, name: 'Harbour', confidence: 90 }, sectors: ['transport'], started_at: day(1),
          });
          assert.equal(created.status, 201, JSON.stringify(created.body));
          injected = String(created.body.id);
          await catchUp(node.ctx);
        }
        return rows;
      }) as typeof adapter.readArrays;
      let answer: Assessment;
      try {
        const response = await call('eve', 'GET', `/api/v1/assessment/actors/${harbour}?days=30`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        answer = response.body as unknown as Assessment;
      } finally {
        adapter.readArrays = readArrays;
      }
      assert.ok(injected, 'the incident was stored while the answer was read');
      const listed = answer.contributions.some((c) => c.incident_id === injected);
      assert.equal(listed, true, 'the answer is read again after the batch: its incidents name the new one');
      assert.equal(answer.parts.counts.incidents, before.parts.counts.incidents + 1, 'and its counts hold it');
      assert.deepEqual(answer.parts.members, ['EST', 'FRA'], 'and its members name France');
      assert.equal(answer.by_member.find((m) => m.member === 'FRA')?.incidents, 1);
    });

    it('catches up a backlog of several batches with a turn of the event loop between them', async () => {
      // Behind a bulk ingest the follower's backlog is many batches; on SQLite every statement
      // answers in the same tick, so without a turn between batches no request is read until the end.
      const target = id('intrusion-set');
      const count = BATCH * 2 + 500;
      await ingestAs('eve', Array.from({ length: count }, (_v, i) => sighting(target, 1, { creator: EST_ID, tlp: 'green', daysAgo: 1 + (i % 5) })));
      const counter = countTurns();
      const applied = await catchUp(node.ctx);
      const turns = counter.stop();
      assert.ok(applied >= count, `the backlog applied: ${applied} versions`);
      assert.ok(turns >= 2, `the event loop turned ${turns} times while ${Math.ceil(applied / BATCH)} batches were applied`);
      assert.equal((await assess('eve', target)).parts.counts.sightings, count, 'every sighting counted once');
    });

    it('lists many actors over the longest window in turns, scoring one actor at a time', async () => {
      // Each actor's evidence is a grid of members × days: kept for every actor until the answer,
      // a ten-year window over a few thousand actors took gigabytes and held the node for a minute.
      const many = Array.from({ length: 120 }, () => id('intrusion-set'));
      await ingestAs('eve', many.map((ref, i) => sighting(ref, 1 + (i % 3), { creator: EST_ID, tlp: 'green', daysAgo: 1 + (i % 20) })));
      await catchUp(node.ctx);
      const counter = countTurns();
      const list = await call('eve', 'GET', `/api/v1/assessment/actors?days=${WINDOW_MAX_DAYS}&limit=100`);
      const turns = counter.stop();
      assert.equal(list.status, 200);
      const actors = (list.body as { actors: Array<{ ref: string; score: number; sightings: number }> }).actors;
      assert.equal(actors.length, 100);
      assert.ok(actors.every((a, i) => i === 0 || actors[i - 1]!.score >= a.score), 'highest score first');
      const listed = new Set(actors.map((a) => a.ref));
      assert.ok(many.filter((ref) => listed.has(ref)).length >= 90, 'the new actors are listed');
      assert.ok(turns >= 4, `the event loop turned ${turns} times while ${many.length} actors were scored`);
    });

    /** A bulk stream into the node as eve (parallel, as a large body is read): the bundle's first part, then what comes after `paused`. */
    async function openStream(first: string, rest: string, padding: number) {
      const principal = (await principalOfUser(node.ctx, 'eve'))!;
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      async function* body(): AsyncGenerator<Uint8Array> {
        // The line ends: the reader knows a document from its first line.
        yield Buffer.from(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[\n`);
        // Whitespace before the first object: the stream has read that much before it stores anything.
        for (let left = padding; left > 0; left -= 1 << 20) yield Buffer.alloc(Math.min(left, 1 << 20), 0x20);
        yield Buffer.from(first);
        await paused;
        yield Buffer.from(`${rest}]}`);
      }
      const stored = await intel.latestSeq(node.ctx);
      const stream = intel.ingestStream(node.ctx, principal, body(), { parallel: true });
      // The first object is written while the stream waits for the rest (an idle input is flushed).
      await waitFor('the first object of the stream stored', async () => (await intel.latestSeq(node.ctx)) > stored);
      return { stream, resume };
    }

    /** Records the follower's wake-ups (runSoon of its job) until `restore`. */
    function recordWakes(): { wakes: string[][]; restore: () => void } {
      const wakes: string[][] = [];
      const runSoon = node.jobs.runSoon.bind(node.jobs);
      node.jobs.runSoon = (keys, options) => {
        wakes.push([...keys]);
        return runSoon(keys, options);
      };
      return { wakes, restore: () => (node.jobs.runSoon = runSoon) };
    }

    it('waits while a bulk stream is ingested, a minute at most from the first evidence that waits, and is woken when the stream ends, not by its batches', async () => {
      const target = id('intrusion-set');
      await catchUp(node.ctx);
      const first = sighting(target, 1, { creator: EST_ID, tlp: 'green', daysAgo: 1 });
      const second = sighting(target, 2, { creator: EST_ID, tlp: 'green', daysAgo: 2 });
      const { wakes, restore } = recordWakes();
      const ended: number[] = [];
      const off = node.ctx.bus.subscribe('intel.bulk-ended', () => ended.push(intel.bulkIngests(node.ctx)));
      const began = clock.now().getTime();
      const { stream, resume } = await openStream(JSON.stringify(first), `,${JSON.stringify(second)}`, intel.PARALLEL_THRESHOLD_BYTES);
      try {
        assert.equal(intel.bulkIngests(node.ctx), 1, 'the stream counts as bulk once it has read 4 MiB');
        assert.deepEqual(wakes, [], 'a batch of a bulk stream does not wake the follower');
        const waited = (await followerState(node.ctx.store.db)).seq;
        let { next } = await follow(node.ctx);
        assert.equal((await followerState(node.ctx.store.db)).seq, waited, 'the follower waits for the stream');
        assert.equal(next.getTime(), began + FOLLOW_INTERVAL_MS, 'and looks again at its usual interval');
        clock.advance(BULK_DEFER_MS - 3_000);
        ({ next } = await follow(node.ctx));
        assert.equal((await followerState(node.ctx.store.db)).seq, waited, 'it still waits 57 s later');
        assert.equal(next.getTime(), began + BULK_DEFER_MS, 'and runs next when the sighting has waited a minute, not an interval later');
        clock.advance(3_000);
        await follow(node.ctx);
        assert.ok((await followerState(node.ctx.store.db)).seq > waited, 'a minute after the sighting was stored, it catches up all the same');
        assert.equal((await assess('eve', target)).parts.counts.sightings, 1, 'the first sighting counted');
        resume();
        const summary = await stream;
        assert.equal(summary.accepted, 2);
        assert.deepEqual(ended, [0], 'the end of the last bulk stream is told once');
        await waitFor('the follower woken by the end of the stream', () => wakes.length > 0);
        assert.deepEqual(wakes, [[FOLLOW_KEY]]);
        assert.equal((await assess('eve', target)).parts.counts.sightings, 3, 'both sightings counted (1 + 2 seen)');
      } finally {
        // A failed check leaves no stream behind to hold the store.
        resume();
        await stream.catch(() => undefined);
        off();
        restore();
      }
    });

    it('does not wait for a small stream sent without a length and kept open (it is not bulk)', async () => {
      const target = id('intrusion-set');
      await catchUp(node.ctx);
      const { wakes, restore } = recordWakes();
      const { stream, resume } = await openStream(JSON.stringify(sighting(target, 1, { creator: EST_ID, tlp: 'green', daysAgo: 1 })), '', 1024);
      try {
        assert.equal(intel.bulkIngests(node.ctx), 0, 'a stream that has read less than 4 MiB is not bulk');
        await waitFor('the follower woken by the small stream\'s batch', () => wakes.length > 0);
        const waited = (await followerState(node.ctx.store.db)).seq;
        await follow(node.ctx);
        assert.ok((await followerState(node.ctx.store.db)).seq > waited, 'the follower applies it at once');
        assert.equal((await assess('eve', target)).parts.counts.sightings, 1);
      } finally {
        resume();
        await stream.catch(() => undefined);
        restore();
      }
    });
  });
}
