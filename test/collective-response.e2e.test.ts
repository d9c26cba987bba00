/**
 * Collective response end to end, over HTTPS on two listening nodes with mutual TLS: the alliance
 * hub, where the members work, and Latvia's national node, a peer that pulls from the hub's TAXII
 * server with its node certificate. Both run on one fake clock that the test moves; the hub runs
 * on each dialect, Latvia's node on SQLite.
 *
 * Incident handlers of Estonia, Latvia and Poland report incidents attributed to one intrusion
 * set (itself attributed to a threat actor); the cumulative assessment crosses the consultation
 * threshold for an Estonian analyst, while a French analyst, to whom Poland did not release its
 * incident, sees a lower total and is told that evidence was withheld. Estonia requests a
 * consultation with Latvia, Poland and France; France proposes a coordinated attribution and a
 * sanctions referral under the silence procedure; Poland breaks silence with a reason; France
 * amends and circulates again; the deadline passes and the durable job adopts the amended text
 * as an immutable decision record. Estonia drafts a joint attribution statement, Latvia and France
 * join, Poland declines; at its publication time it becomes a TLP:CLEAR STIX report with its
 * attributed-to relationship, which Latvia's node pulls; nothing of the consultation, the
 * proposal or the decision reaches that node. Germany, not consulted, sees none of it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { fixedClock } from '../src/core/clock.js';
import { createCa, issue } from '../src/core/pki.js';
import type { Assessment } from '../src/modules/assessment/assessment.model.js';
import * as audit from '../src/modules/audit/audit.service.js';
import type { Consultation, ConsultationSummary, DecisionRecord, Proposal, ProposalSummary, Statement } from '../src/modules/decisions/decisions.model.js';
import { createToken, createUser, upsertMembers } from '../src/modules/directory/directory.service.js';
import * as federation from '../src/modules/federation/federation.service.js';
import type { Incident } from '../src/modules/incidents/incidents.model.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL, type Role } from '../src/policy/principal.js';
import type { StixObject } from '../src/stix/types.js';
import { DIALECTS, dialectSkip } from './support/dialects.js';
import { identityOf } from './support/federation.js';
import { createTestNode, type TestNode } from './support/node.js';
import { SUITE_LIMIT_MS, until } from './support/wait.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALLIES = [
  { code: 'EST', name: 'Estonia', country: 'EE' },
  { code: 'LVA', name: 'Latvia', country: 'LV' },
  { code: 'POL', name: 'Poland', country: 'PL' },
  { code: 'FRA', name: 'France', country: 'FR' },
  { code: 'DEU', name: 'Germany', country: 'DE' },
].map((m) => ({ ...m, kind: 'ally' as const, identityId: identityOf(m.code) }));

const INTRUSION_SET = 'intrusion-set--3f7c1e52-9a4b-4d2e-8c61-5b0a7d9e4f13';
const THREAT_ACTOR = 'threat-actor--8e2d4b6a-1c3f-4a5e-9b7d-0f2a4c6e8b91';
const ATTRIBUTION = 'relationship--5a9c3e1f-7b2d-4f6a-8e0c-2d4b6f8a0c35';

type NodeName = 'hub' | 'lva';
interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  type: string;
}

// The hub's silence deadlines, publications and follower run on each engine; Latvia's node is SQLite.
for (const dialect of DIALECTS) {
  describe(`collective response: assessment, consultation, silence, joint attribution, federation (the hub on ${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    const clock = fixedClock(new Date('2026-11-20T09:00:00.000Z'));
    let dir = '';
    const nodes = {} as Record<NodeName, TestNode>;
    const bases = {} as Record<NodeName, string>;
    // Who acts, on which node, with which token.
    const users: Record<string, { node: NodeName; token: string }> = {};
    let agent: Agent;

    async function user(node: NodeName, name: string, member: string, roles: Role[], clearance = 2): Promise<void> {
      await createUser(nodes[node].ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
      users[name] = { node, token: (await createToken(nodes[node].ctx, SYSTEM_PRINCIPAL, { name, user: name })).token };
    }

    async function call(who: string, method: 'GET' | 'POST', url: string, payload?: unknown, accept?: string): Promise<Answer> {
      const { node, token } = users[who]!;
      const response = await request(`${bases[node]}${url}`, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
      });
      const text = await response.body.text();
      const type = String(response.headers['content-type'] ?? '');
      return { status: response.statusCode, text, type, body: type.includes('json') && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : {} };
    }

    async function ok<T>(who: string, method: 'GET' | 'POST', url: string, payload?: unknown, status = 200): Promise<T> {
      const answer = await call(who, method, url, payload);
      assert.equal(answer.status, status, `${who} ${method} ${url}: ${answer.text.slice(0, 600)}`);
      return answer.body as T;
    }

    async function refused(who: string, method: 'GET' | 'POST', url: string, payload: unknown, status: number, code?: string): Promise<Answer> {
      const answer = await call(who, method, url, payload);
      assert.equal(answer.status, status, `${who} ${method} ${url}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 400)}`);
      if (code) assert.equal((answer.body.error as { code?: string } | undefined)?.code, code, answer.text);
      return answer;
    }

    const assessment = (who: string, ref: string) => ok<Assessment>(who, 'GET', `/api/v1/assessment/actors/${ref}?days=30`);

    /** The option of highest value in every scoring category: an incident as severe as the scheme allows. */
    async function gravestSelections(who: string): Promise<Record<string, string>> {
      const scoring = await ok<{ categories: Array<{ key: string; options: Array<{ key: string; value: number }> }> }>(who, 'GET', '/api/v1/incidents/scoring');
      return Object.fromEntries(scoring.categories.map((c) => [c.key, [...c.options].sort((a, b) => b.value - a.value)[0]!.key]));
    }

    /** Every STIX object body a node stores, for what must never reach it. */
    async function storedBodies(node: NodeName): Promise<string[]> {
      return (await nodes[node].ctx.store.db.selectFrom('stix_objects').select('body').execute()).map((row) => row.body);
    }

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-collective-'));
      // One development CA; each node serves HTTPS with its certificate and authenticates to its
      // peers with it (as `shieldwall pki node` makes them).
      const ca = await createCa('Collective response test CA');
      const hubCert = await issue(ca, { commonName: 'hub', usage: 'server', ips: ['127.0.0.1'] });
      const lvaCert = await issue(ca, { commonName: 'lva-node', usage: 'server', ips: ['127.0.0.1'] });
      const file = (name: string, text: string) => {
        writeFileSync(path.join(dir, name), text, { mode: 0o600 });
        return path.join(dir, name);
      };
      const lvaTls = { tlsCert: file('lva-node.crt', lvaCert.certPem), tlsKey: file('lva-node.key', lvaCert.keyPem), tlsClientCa: file('ca.crt', ca.certPem) };
      agent = new Agent({ connect: { ca: ca.certPem } });
      // The default assessment thresholds (consultation 250, council 600) are used: three grave
      // incidents in critical sectors of three members cross the first, not the second.
      nodes.hub = await createTestNode(dialect, {}, { cert: hubCert.certPem, key: hubCert.keyPem, ca: ca.certPem }, clock);
      nodes.lva = await createTestNode('sqlite', lvaTls, { cert: lvaCert.certPem, key: lvaCert.keyPem, ca: ca.certPem }, clock);
      for (const name of ['hub', 'lva'] as const) {
        await upsertMembers(nodes[name].ctx, SYSTEM_PRINCIPAL, ALLIES);
        await nodes[name].app.listen({ host: '127.0.0.1', port: 0 });
        bases[name] = `https://127.0.0.1:${(nodes[name].app.server.address() as AddressInfo).port}`;
        users[`${name}-admin`] = { node: name, token: nodes[name].tokens['node-admin'] };
        users[`${name}-admin2`] = { node: name, token: nodes[name].secondAdminToken };
      }
      // The hub runs its durable jobs (assessment follower, silence deadlines, publications); Latvia's
      // node syncs when the test asks it to.
      nodes.hub.jobs.start();

      // Latvia's node is a peer of the hub acting for Latvia; the hub is a peer of Latvia's node,
      // standing for the members it serves, pulled from over TAXII with the node certificate.
      await ok('hub-admin', 'POST', '/api/v1/peers', { name: 'lva-node', members: ['LVA'], clearance: 2, roles: ['analyst'] }, 201);
      await ok('lva-admin', 'POST', '/api/v1/peers', {
        name: 'hub', members: ALLIES.map((m) => m.code), clearance: 2, roles: ['analyst'], url: `${bases.hub}/taxii2/intel/`, direction: 'pull', interval_s: 86_400, auth: 'mtls',
      }, 201);
      // Each stands for members its administrator does not read as: a second administrator enables it.
      await ok('hub-admin2', 'POST', '/api/v1/peers/lva-node/enable');
      await ok('lva-admin2', 'POST', '/api/v1/peers/hub/enable');

      for (const code of ['EST', 'LVA', 'POL']) await user('hub', `${code.toLowerCase()}-handler`, code, ['incident-handler']);
      await user('hub', 'est-analyst', 'EST', ['analyst']);
      await user('hub', 'fra-analyst', 'FRA', ['analyst']);
      for (const code of ['EST', 'LVA', 'POL', 'FRA', 'DEU']) await user('hub', `${code.toLowerCase()}-delegate`, code, ['political-delegate']);
      await user('lva', 'lva-node-analyst', 'LVA', ['analyst']);
    });

    after(async () => {
      if (nodes.lva) await federation.closeClients(nodes.lva.ctx);
      await nodes.lva?.close();
      await nodes.hub?.close();
      await agent?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('assesses, consults, adopts under silence, publishes a joint attribution that federates; a member not consulted sees nothing', async () => {
      const t0 = clock.now().getTime();
      const at = (ms: number) => new Date(t0 + ms).toISOString();

      // --- 1. The actors, and three incidents attributed to the intrusion set -------------------------
      // STIX 2.1 sections 4.9 (intrusion set), 4.17 (threat actor), 5.1 (relationship): TLP:GREEN, released to the alliance.
      const green = [TLP2_MARKING_IDS.green];
      const by = { created_by_ref: identityOf('EST'), created: at(-30 * DAY), modified: at(-30 * DAY), object_marking_refs: green, spec_version: '2.1' };
      const intel: StixObject[] = [
        { type: 'intrusion-set', id: INTRUSION_SET, name: 'SILENT HARBOUR', ...by },
        { type: 'threat-actor', id: THREAT_ACTOR, name: 'Directorate Nine', threat_actor_types: ['nation-state'], ...by },
        { type: 'relationship', id: ATTRIBUTION, relationship_type: 'attributed-to', source_ref: INTRUSION_SET, target_ref: THREAT_ACTOR, confidence: 70, ...by },
      ];
      const ingested = await ok<{ summary: { accepted: number; rejected: number } }>('est-analyst', 'POST', '/api/v1/bundles', { type: 'bundle', id: 'bundle--0c6e8a2b-4d1f-4e3a-9b5c-7d9f1b3e5a70', objects: intel });
      assert.equal(ingested.summary.rejected, 0, JSON.stringify(ingested));

      const selections = await gravestSelections('est-handler');
      const actor = { ref: INTRUSION_SET, name: 'SILENT HARBOUR', confidence: 80 };
      const report = (who: string, fields: Record<string, unknown>) => ok<Incident>(who, 'POST', '/api/v1/incidents', { tlp: 'amber', actor, selections, ...fields }, 201);
      const estonian = await report('est-handler', { title: 'Wiper at the transmission system operator', sectors: ['energy', 'telecommunications'], started_at: at(-3 * DAY) });
      const latvian = await report('lva-handler', { title: 'Rail signalling intrusion', sectors: ['transport', 'energy'], started_at: at(-2 * DAY) });
      // Poland releases its incident to the members hit only: France may not read it.
      const polish = await report('pol-handler', { title: 'Defence ministry mail exfiltration', sectors: ['defence', 'public-administration'], started_at: at(-1 * DAY), releasability: ['EST', 'LVA', 'POL'] });
      for (const incident of [estonian, latvian, polish]) assert.ok(incident.severity && incident.severity.score >= 90, `${incident.title}: severity ${JSON.stringify(incident.severity)}`);
      const all = [estonian.id, latvian.id, polish.id].sort();

      // --- 2. The assessment: over the consultation threshold for Estonia, less for France ----------------
      // The follower applies the incidents (woken by their storage); wait for it over the API.
      let estView: Assessment | undefined;
      await until('the follower to apply the three incidents for the Estonian analyst', async () => {
        estView = await assessment('est-analyst', INTRUSION_SET);
        const named = estView.contributions.map((c) => c.incident_id).sort();
        return JSON.stringify(named) === JSON.stringify(all) ? undefined : `contributions name ${named.join(', ') || 'nothing'}`;
      });
      const est = estView!;
      assert.equal(est.actor.name, 'SILENT HARBOUR');
      assert.deepEqual(est.parts.members, ['EST', 'LVA', 'POL']);
      assert.equal(est.parts.counts.incidents, 3);
      assert.deepEqual(est.parts.sectors, ['defence', 'energy', 'public-administration', 'telecommunications', 'transport']);
      assert.ok(est.score >= est.thresholds.consultation && est.score < est.thresholds.council, `score ${est.score}, thresholds ${JSON.stringify(est.thresholds)}`);
      assert.equal(est.escalation, 'consultation');
      assert.notEqual(est.crossed.consultation, null);
      assert.equal(est.basis.withheld_buckets, 0);
      assert.match(est.recommendation, /consultation threshold/);
      const titles = new Map(est.contributions.map((c) => [c.incident_id, c]));
      assert.equal(titles.get(polish.id)!.title, 'Defence ministry mail exfiltration');
      assert.equal(titles.get(polish.id)!.member, 'POL');
      assert.equal(titles.get(estonian.id)!.confidence, 80);

      const fra = await assessment('fra-analyst', INTRUSION_SET);
      assert.ok(fra.score < est.score, `France sees ${fra.score}, Estonia ${est.score}`);
      assert.equal(fra.escalation, 'none', `without Poland's incident the score ${fra.score} stays below ${fra.thresholds.consultation}`);
      assert.ok(fra.basis.withheld_buckets > 0, JSON.stringify(fra.basis));
      assert.match(fra.basis.note, /beyond your need-to-know/);
      assert.deepEqual(fra.contributions.map((c) => c.incident_id).sort(), [estonian.id, latvian.id].sort());
      assert.deepEqual(fra.parts.members, ['EST', 'LVA']);
      // The threat actor's assessment counts its intrusion set's evidence through the attribution.
      const directorate = await assessment('est-analyst', THREAT_ACTOR);
      assert.deepEqual(directorate.includes.map((i) => [i.ref, i.confidence]), [[INTRUSION_SET, 70]]);
      assert.equal(directorate.parts.counts.incidents, 3);

      // --- 3. Consultation, proposal, silence broken, amended, adopted -----------------------------------
      const consultation = await ok<Consultation>('est-delegate', 'POST', '/api/v1/decisions/consultations', {
        title: 'SILENT HARBOUR: campaign against three allies', description: `Cumulative score ${est.score}: ${est.escalation_text}.`,
        subject: { kind: 'actor', ref: INTRUSION_SET }, participants: ['LVA', 'POL', 'FRA'],
      }, 201);
      const cid = consultation.id;
      assert.equal(consultation.requested_by, 'EST');
      assert.deepEqual([...consultation.participants].sort(), ['FRA', 'LVA', 'POL']);
      assert.equal(consultation.subject.name, 'SILENT HARBOUR');
      for (const [who, text] of [['lva-delegate', 'Latvia confirms the rail intrusion and supports a firm response.'], ['pol-delegate', 'Poland shares the assessment; the wording of any attribution must be agreed.'], ['fra-delegate', 'France is ready to draft a proposal.']] as const) {
        await ok<Consultation>(who, 'POST', `/api/v1/decisions/consultations/${cid}/entries`, { kind: 'statement', text });
      }
      const withStatements = await ok<Consultation>('est-delegate', 'GET', `/api/v1/decisions/consultations/${cid}`);
      assert.deepEqual(withStatements.statements.map((s) => s.member), ['LVA', 'POL', 'FRA']);

      const firstText = 'The members consulted attribute the SILENT HARBOUR campaign to Directorate Nine and refer those responsible to the sanctions regimes.';
      const drafted = await ok<Proposal>('fra-delegate', 'POST', `/api/v1/decisions/consultations/${cid}/proposals`, {
        title: 'Coordinated attribution and sanctions referral', text: firstText, options: ['coordinated-attribution', 'sanctions-referral'],
        proportionality: 'Non-forcible measures answering a sustained campaign against critical infrastructure.',
      }, 201);
      const pid = drafted.id;
      assert.equal(drafted.status, 'draft');
      const firstDeadline = at(2 * DAY);
      const circulated = await ok<Proposal>('fra-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/circulate`, { deadline: firstDeadline });
      assert.equal(circulated.status, 'silence');
      assert.deepEqual(circulated.silence && [circulated.silence.round, circulated.silence.deadline], [1, firstDeadline]);
      const underSilence = await ok<{ proposals: ProposalSummary[] }>('pol-delegate', 'GET', '/api/v1/decisions/proposals?status=silence');
      assert.deepEqual(underSilence.proposals.map((p) => p.id), [pid]);
      assert.ok((await ok<Proposal>('pol-delegate', 'GET', `/api/v1/decisions/proposals/${pid}`)).actions.includes('break'));

      // A day later, before the deadline, Poland breaks silence: the proposal returns to consultation.
      clock.advance(DAY);
      await refused('pol-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/break`, { reason: '' }, 400, 'SW_BAD_REQUEST');
      const broken = await ok<Proposal>('pol-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/break`, { reason: 'Poland cannot name those responsible before its own investigation ends: refer the entities, not the persons.' });
      assert.equal(broken.status, 'returned');
      assert.deepEqual(broken.breaks.map((b) => [b.member, b.round]), [['POL', 1]]);

      // France amends the text and circulates it again: round 2, text version 2.
      const amendedText = 'The members consulted attribute the SILENT HARBOUR campaign to Directorate Nine and refer the entities responsible to the sanctions regimes.';
      const amended = await ok<Proposal>('fra-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/amend`, { text: amendedText, reason: "Poland's objection: entities, not persons." });
      assert.deepEqual([amended.status, amended.text_version, amended.text], ['returned', 2, amendedText]);
      const secondDeadline = at(DAY + 36 * HOUR);
      const again = await ok<Proposal>('fra-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/circulate`, { deadline: secondDeadline });
      assert.deepEqual(again.silence && [again.status, again.silence.round, again.silence.version], ['silence', 2, 2]);

      // The deadline passes with no break. A break now is too late; the durable job adopts.
      clock.advance(36 * HOUR + 60_000);
      await refused('pol-delegate', 'POST', `/api/v1/decisions/proposals/${pid}/break`, { reason: 'too late' }, 409);
      let adopted: Proposal | undefined;
      await until('the silence job to adopt the proposal', async () => {
        adopted = await ok<Proposal>('fra-delegate', 'GET', `/api/v1/decisions/proposals/${pid}`);
        return adopted.status === 'adopted' ? undefined : `status ${adopted.status}`;
      });
      const decision = adopted!.decision!;
      assert.ok(decision, 'the adopted proposal shows its decision record');
      assert.equal(decision.text, amendedText);
      assert.equal(decision.text_sha256, createHash('sha256').update(amendedText, 'utf8').digest('hex'));
      assert.deepEqual([decision.version, decision.round, decision.deadline, decision.proposal_id, decision.consultation_id], [2, 2, secondDeadline, pid, cid]);
      assert.deepEqual([...decision.participants].sort(), ['EST', 'FRA', 'LVA', 'POL']);
      assert.deepEqual(decision.options, ['coordinated-attribution', 'sanctions-referral']);
      assert.deepEqual(await ok<DecisionRecord>('est-delegate', 'GET', `/api/v1/decisions/records/${decision.id}`), decision);
      assert.ok((await ok<{ decisions: DecisionRecord[] }>('lva-delegate', 'GET', '/api/v1/decisions/records')).decisions.some((d) => d.id === decision.id));
      const adoptions = [];
      for await (const entry of audit.entries(nodes.hub.ctx)) if (entry.action === 'decisions.adopt' && entry.subject === pid) adoptions.push(entry);
      assert.equal(adoptions.length, 1, 'one adoption on the audit log');
      assert.deepEqual(adoptions[0]!.detail, { decision: decision.id, round: 2, text_version: 2, text_sha256: decision.text_sha256, deadline: secondDeadline, participants: decision.participants });

      // --- 4. The joint attribution statement --------------------------------------------------------------
      const publishAt = at(DAY + 36 * HOUR + 12 * HOUR);
      const title = 'Joint statement on the SILENT HARBOUR campaign';
      const draft = await ok<Statement>('est-delegate', 'POST', '/api/v1/decisions/statements', {
        title, text: 'Our nations attribute the SILENT HARBOUR campaign against our critical infrastructure to Directorate Nine.',
        actor_ref: INTRUSION_SET, attributed_to_ref: THREAT_ACTOR, confidence: 80, publish_at: publishAt, invited: ['LVA', 'POL', 'FRA'], consultation_id: cid,
      }, 201);
      const sid = draft.id;
      assert.deepEqual(draft.joined.map((r) => r.member), ['EST']);
      await ok<Statement>('lva-delegate', 'POST', `/api/v1/decisions/statements/${sid}/respond`, { response: 'join' });
      await refused('pol-delegate', 'POST', `/api/v1/decisions/statements/${sid}/respond`, { response: 'decline' }, 400, 'SW_BAD_REQUEST');
      await ok<Statement>('pol-delegate', 'POST', `/api/v1/decisions/statements/${sid}/respond`, { response: 'decline', reason: 'Poland attributes nationally once its investigation ends.' });
      const joined = await ok<Statement>('fra-delegate', 'POST', `/api/v1/decisions/statements/${sid}/respond`, { response: 'join' });
      assert.deepEqual(joined.joined.map((r) => r.member).sort(), ['EST', 'FRA', 'LVA']);
      assert.deepEqual(joined.declined.map((r) => r.member), ['POL']);
      assert.equal(joined.status, 'draft');
      // A draft's export previews what it will publish, under ids drawn for the preview only: the
      // published ones are drawn at publication, so that nobody can write to them first.
      const preview = await ok<{ objects: StixObject[] }>('est-delegate', 'GET', `/api/v1/decisions/statements/${sid}/stix`);
      const previewReportId = preview.objects.find((o) => o.type === 'report')!.id;
      assert.equal(preview.objects.find((o) => o.type === 'report')!.name, title);
      /** Reports named as the statement that a reader finds in a node's intel store. */
      const reportsNamed = async (who: string) =>
        (await ok<{ objects: StixObject[] }>(who, 'GET', '/api/v1/objects?type=report&limit=1000')).objects.filter((o) => o.name === title).map((o) => o.id);

      // Before the publication time Latvia's node pulls: nothing of the draft is shared.
      const early = await ok<{ pull: { rejected: number } }>('lva-admin', 'POST', '/api/v1/peers/hub/sync?direction=pull');
      assert.equal(early.pull.rejected, 0, JSON.stringify(early));
      assert.deepEqual(await reportsNamed('lva-node-analyst'), []);
      assert.deepEqual(await reportsNamed('deu-delegate'), [], 'not in the hub\'s intel store before publication');

      clock.advance(12 * HOUR + 60_000);
      let published: Statement | undefined;
      await until('the publication job to publish the statement', async () => {
        published = await ok<Statement>('est-delegate', 'GET', `/api/v1/decisions/statements/${sid}`);
        return published.status === 'published' ? undefined : `status ${published.status}`;
      });
      assert.deepEqual(published!.published!.members, ['EST', 'FRA', 'LVA']);
      const reportId = published!.published!.report_id;
      assert.notEqual(reportId, previewReportId, 'published under ids drawn at publication');
      assert.ok(published!.published!.object_ids.includes(reportId));
      const relationshipId = published!.published!.object_ids.find((objectId) => objectId.startsWith('relationship--'))!;
      assert.ok(relationshipId, 'the attribution relationship is among the published objects');
      assert.deepEqual(await reportsNamed('deu-delegate'), [reportId]);

      // STIX 2.1 section 4.16 (report: report_types, published, object_refs) and 5.1 (relationship).
      const bundle = await ok<{ type: string; objects: StixObject[] }>('lva-delegate', 'GET', `/api/v1/decisions/statements/${sid}/stix`);
      assert.equal(bundle.type, 'bundle');
      const stixReport = bundle.objects.find((o) => o.type === 'report')!;
      const stixRelationship = bundle.objects.find((o) => o.type === 'relationship')!;
      assert.equal(stixReport.id, reportId);
      assert.deepEqual(stixReport.report_types, ['intrusion-set']);
      assert.equal(stixReport.published, published!.published!.at);
      assert.deepEqual([...(stixReport.object_refs as string[])].sort(), [INTRUSION_SET, relationshipId, THREAT_ACTOR].sort());
      assert.deepEqual(stixReport.object_marking_refs, [TLP2_MARKING_IDS.clear]);
      assert.equal(stixReport.created_by_ref, identityOf('EST'));
      assert.match(String(stixReport.description), /Joined by: EST, FRA, LVA\./);
      assert.deepEqual(
        [stixRelationship.id, stixRelationship.relationship_type, stixRelationship.source_ref, stixRelationship.target_ref, stixRelationship.confidence],
        [relationshipId, 'attributed-to', INTRUSION_SET, THREAT_ACTOR, 80],
      );
      const text = await call('fra-delegate', 'GET', `/api/v1/decisions/statements/${sid}/text`);
      assert.equal(text.status, 200, text.text);
      assert.match(text.type, /^text\/plain/);
      assert.match(text.text, /^Joined by: EST, FRA, LVA$/m);
      assert.doesNotMatch(text.text, /POL/);
      // Published as TLP:CLEAR in the hub's intel store: readable by every member, Germany included.
      const onHub = await ok<StixObject>('deu-delegate', 'GET', `/api/v1/objects/${reportId}`);
      assert.deepEqual(onHub.object_refs, stixReport.object_refs);

      // --- 5. Latvia's node pulls the published report and relationship -----------------------------------
      const pulled = await ok<{ pull: { accepted: number; rejected: number } }>('lva-admin', 'POST', '/api/v1/peers/hub/sync?direction=pull');
      assert.equal(pulled.pull.rejected, 0, JSON.stringify(pulled));
      assert.ok(pulled.pull.accepted >= 2, JSON.stringify(pulled));
      const theirReport = await ok<StixObject>('lva-node-analyst', 'GET', `/api/v1/objects/${reportId}`);
      assert.deepEqual([theirReport.name, theirReport.published, theirReport.object_refs], [title, stixReport.published, stixReport.object_refs]);
      const theirRelationship = await ok<StixObject>('lva-node-analyst', 'GET', `/api/v1/objects/${relationshipId}`);
      assert.deepEqual([theirRelationship.relationship_type, theirRelationship.source_ref, theirRelationship.target_ref], ['attributed-to', INTRUSION_SET, THREAT_ACTOR]);
      const provenance = await ok<{ receipts: Array<{ peer: string }> }>('lva-node-analyst', 'GET', `/api/v1/objects/${reportId}/provenance`);
      assert.deepEqual(provenance.receipts.map((r) => r.peer), ['hub']);
      // And over the node's own TAXII server (TAXII 2.1 Get Objects, match[id]).
      const taxii = await call('lva-node-analyst', 'GET', `/taxii2/intel/collections/intel/objects/?match[id]=${reportId},${relationshipId}`, undefined, 'application/taxii+json;version=2.1');
      assert.equal(taxii.status, 200, taxii.text);
      assert.deepEqual(((taxii.body.objects ?? []) as StixObject[]).map((o) => o.id).sort(), [reportId, relationshipId].sort());

      // The consultation, the proposal, the decision and the statement record stay on the hub, though Latvia took part in all.
      const secrets = [cid, pid, decision.id, firstText, amendedText, 'Poland cannot name those responsible'];
      for (const body of await storedBodies('lva')) for (const secret of secrets) assert.ok(!body.includes(secret), `Latvia's node stores '${secret.slice(0, 40)}'`);
      assert.deepEqual((await ok<{ consultations: unknown[] }>('lva-node-analyst', 'GET', '/api/v1/decisions/consultations')).consultations, []);
      assert.deepEqual((await ok<{ proposals: unknown[] }>('lva-node-analyst', 'GET', '/api/v1/decisions/proposals')).proposals, []);
      assert.deepEqual((await ok<{ decisions: unknown[] }>('lva-node-analyst', 'GET', '/api/v1/decisions/records')).decisions, []);
      assert.deepEqual((await ok<{ statements: unknown[] }>('lva-node-analyst', 'GET', '/api/v1/decisions/statements')).statements, []);
      for (const url of [`/api/v1/decisions/consultations/${cid}`, `/api/v1/decisions/proposals/${pid}`, `/api/v1/decisions/records/${decision.id}`]) {
        assert.equal((await call('lva-node-analyst', 'GET', url)).status, 404, url);
      }

      // --- 6. Germany, not consulted, sees no consultation, proposal or decision record --------------------
      assert.deepEqual((await ok<{ consultations: ConsultationSummary[] }>('deu-delegate', 'GET', '/api/v1/decisions/consultations')).consultations, []);
      assert.deepEqual((await ok<{ consultations: ConsultationSummary[] }>('deu-delegate', 'GET', `/api/v1/decisions/consultations?subject=${INTRUSION_SET}`)).consultations, []);
      assert.deepEqual((await ok<{ proposals: ProposalSummary[] }>('deu-delegate', 'GET', '/api/v1/decisions/proposals')).proposals, []);
      assert.deepEqual((await ok<{ decisions: DecisionRecord[] }>('deu-delegate', 'GET', '/api/v1/decisions/records')).decisions, []);
      assert.deepEqual((await ok<{ statements: Statement[] }>('deu-delegate', 'GET', '/api/v1/decisions/statements')).statements, []);
      for (const url of [`/api/v1/decisions/consultations/${cid}`, `/api/v1/decisions/proposals/${pid}`, `/api/v1/decisions/records/${decision.id}`, `/api/v1/decisions/statements/${sid}`]) {
        assert.equal((await call('deu-delegate', 'GET', url)).status, 404, url);
      }
      // Writing to it answers as if it did not exist.
      await refused('deu-delegate', 'POST', `/api/v1/decisions/consultations/${cid}/entries`, { kind: 'statement', text: 'Germany would like to know.' }, 404);
      await refused('deu-delegate', 'POST', `/api/v1/decisions/consultations/${cid}/proposals`, { title: 'x', text: 'x', options: ['demarche'] }, 404);
      // The participants still read it all.
      const closing = await ok<Consultation>('pol-delegate', 'GET', `/api/v1/decisions/consultations/${cid}`);
      assert.ok(closing.history.some((h) => h.action === 'adopted'));
      assert.deepEqual(closing.proposal_list.map((p) => [p.id, p.status]), [[pid, 'adopted']]);
    });
  });
}
