/**
 * Consultation and consensus over HTTP on both engines: who may request, read and write in a
 * consultation (need-to-know through the record's recipients and markings); proposals from the
 * catalogue under the silence procedure (circulate, break with a reason, amend, adopt at the
 * deadline into an immutable, audited decision record); attribution statements joined and declined
 * before their publication, published as STIX 2.1 (section 4.16 report, section 5.1 relationship)
 * into the intel store. The deadline and publication jobs run on the node's clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { fixedClock } from '../../core/clock.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import { validateObject } from '../../stix/validate.js';
import * as audit from '../audit/audit.service.js';
import { createToken, createUser, upsertMembers } from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import type { Consultation, DecisionRecord, Proposal, Statement } from './decisions.model.js';
import { DECISIONS_LIMITS, resolveSilence, shareOf } from './decisions.service.js';
import { publishStatement } from './statements.service.js';

const START = new Date('2026-11-10T09:00:00.000Z');
const HOUR = 3_600_000;
type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: Record<string, unknown> } } };

for (const dialect of DIALECTS) {
  describe(`decisions (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const clock = fixedClock(START);
    const tokens: Record<string, string> = {};
    const actor = `intrusion-set--${randomUUID()}`;
    const threatActor = `threat-actor--${randomUUID()}`;

    async function user(name: string, member: string, roles: Role[]): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 2, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    async function call(who: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Answer> {
      const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      const json = String(response.headers['content-type'] ?? '').includes('json');
      return { status: response.statusCode, body: json ? (JSON.parse(response.body) as Answer['body']) : ({ text: response.body } as Answer['body']) };
    }

    async function ok<T>(who: string, method: 'GET' | 'POST', url: string, payload?: unknown, status = 200): Promise<T> {
      const answer = await call(who, method, url, payload);
      assert.equal(answer.status, status, `${who} ${method} ${url}: ${JSON.stringify(answer.body)}`);
      return answer.body as unknown as T;
    }

    async function consultation(): Promise<Consultation> {
      return ok<Consultation>('eve', 'POST', '/api/v1/decisions/consultations', {
        title: 'Frost Lynx campaign against the grid', subject: { kind: 'actor', ref: actor }, participants: ['FRA', 'POL'], tlp: 'amber', releasability: ['ALLIANCE'],
      }, 201);
    }

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, clock);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: 'identity--6f9a0f0e-0001-4b8e-9c1e-000000000001' },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null },
        { code: 'POL', name: 'Poland', kind: 'ally', country: 'PL', identityId: null },
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: null },
        { code: 'AUT', name: 'Austria', kind: 'partner', country: 'AT', identityId: null },
      ]);
      const { addToGroup } = await import('../directory/directory.service.js');
      await addToGroup(node.ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies', ['EST', 'FRA', 'POL', 'DEU']);
      await user('eve', 'EST', ['political-delegate']);
      await user('erik', 'EST', ['analyst']);
      await user('fred', 'FRA', ['political-delegate']);
      await user('fabien', 'FRA', ['analyst']);
      await user('pia', 'POL', ['political-delegate']);
      await user('dieter', 'DEU', ['political-delegate']);
      await user('anna', 'AUT', ['political-delegate']);
    });

    after(async () => {
      await node?.close();
    });

    it('documents its routes and the assessment\'s in the OpenAPI document', async () => {
      const spec = await node.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(spec.statusCode, 200);
      const paths = Object.keys((JSON.parse(spec.body) as { paths: Record<string, unknown> }).paths);
      for (const path of ['/api/v1/decisions/consultations', '/api/v1/decisions/proposals/{id}/break', '/api/v1/decisions/statements/{id}/stix', '/api/v1/assessment/actors/{ref}', '/api/v1/assessment/actors/{ref}/inputs']) {
        assert.ok(paths.includes(path), `${path} in /openapi.json`);
      }
    });

    it('any member requests a consultation; only those consulted read it and write in it', async () => {
      const created = await consultation();
      assert.deepEqual(created.participants, ['FRA', 'POL']);
      assert.equal(created.requested_by, 'EST');
      assert.deepEqual(created.actions.sort(), ['close', 'document', 'minutes', 'propose', 'statement']);
      // Germany is an ally reading ALLIANCE-released AMBER, but not consulted: not found.
      assert.equal((await call('dieter', 'GET', `/api/v1/decisions/consultations/${created.id}`)).status, 404);
      assert.ok(!(await ok<{ consultations: Array<{ id: string }> }>('dieter', 'GET', '/api/v1/decisions/consultations')).consultations.some((c) => c.id === created.id));
      assert.equal((await call('dieter', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'statement', text: 'We are concerned too.' })).status, 404);
      // Estonia's analyst reads it (its member requested it) but takes no part without the permission.
      const read = await ok<Consultation>('erik', 'GET', `/api/v1/decisions/consultations/${created.id}`);
      assert.deepEqual(read.actions, []);
      assert.equal((await call('erik', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'statement', text: 'x' })).status, 403);
      // A participant's statement; a document needs its title; minutes are the chairs'.
      const said = await ok<Consultation>('pia', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'statement', text: 'Poland saw the same wiper.' });
      assert.equal(said.statements.at(-1)?.member, 'POL');
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'document', text: 'Annex' })).status, 400);
      const stale = await call('fred', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'statement', text: 'France agrees.', version: created.version });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error?.code, 'SW_STALE_VERSION');
      // A partner outside the releasability cannot be consulted under this marking: 400 naming it.
      const refused = await call('eve', 'POST', '/api/v1/decisions/consultations', { title: 'x', subject: { kind: 'actor', ref: actor }, participants: ['AUT'], tlp: 'amber', releasability: ['ALLIANCE'] });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error!.message, /AUT/);
      // The subject is named to a reader only if it may read the actor itself: Estonia's TLP:RED intrusion set stays unnamed for France.
      const secret = `intrusion-set--${randomUUID()}`;
      const stored = await intel.ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [{
        type: 'intrusion-set', spec_version: '2.1', id: secret, created: START.toISOString(), modified: START.toISOString(), name: 'Codename Juniper',
        created_by_ref: 'identity--6f9a0f0e-0001-4b8e-9c1e-000000000001', object_marking_refs: ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'],
      }]);
      assert.equal(stored.accepted, 1);
      const onSecret = await ok<Consultation>('eve', 'POST', '/api/v1/decisions/consultations', { title: 'On Juniper', subject: { kind: 'actor', ref: secret }, participants: ['FRA'], releasability: ['ALLIANCE'] }, 201);
      assert.equal(onSecret.subject.name, 'Codename Juniper');
      assert.equal((await ok<Consultation>('fred', 'GET', `/api/v1/decisions/consultations/${onSecret.id}`)).subject.name, null);
      // Every input has a bound: too many participants, too long a text, 400 before anything is stored.
      const many = Array.from({ length: 65 }, (_, i) => `M${i}`);
      assert.equal((await call('eve', 'POST', '/api/v1/decisions/consultations', { title: 'x', subject: { kind: 'actor', ref: actor }, participants: many })).status, 400);
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${created.id}/entries`, { kind: 'statement', text: 'x'.repeat(20_001) })).status, 400);
      assert.equal((await call('eve', 'POST', '/api/v1/assessment/actors/' + actor + '/inputs', { factor: 'severity', rating: 'high', rationale: 'x'.repeat(5001) })).status, 400);
      // The subject must be an actor or an incident id.
      assert.equal((await call('eve', 'POST', '/api/v1/decisions/consultations', { title: 'x', subject: { kind: 'actor', ref: `indicator--${randomUUID()}` }, participants: ['FRA'] })).status, 400);
    });

    it('adopts a proposal at the deadline unless silence is broken before it; an amendment restarts silence', async () => {
      const c = await consultation();
      const drafted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, {
        title: 'Coordinated response', text: 'Members attribute publicly and refer the unit for sanctions.', options: ['coordinated-attribution', 'sanctions-referral'], proportionality: 'Non-forcible measures only.',
      }, 201);
      assert.equal(drafted.status, 'draft');
      // Poland's delegate chairs for Poland, not for this consultation: it breaks silence, it does not rewrite or withdraw France's text.
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'Poland rewrites it.' })).status, 403);
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/withdraw`, {})).status, 403);
      assert.ok((await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).actions.includes('amend'), 'the convening member\'s chair steers it');
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 't', text: 't', options: ['nuclear'] })).status, 400);
      // Too short a silence is refused; Germany (not consulted) cannot reach it.
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 0.001 })).status, 400);
      assert.equal((await call('dieter', 'POST', `/api/v1/decisions/proposals/${drafted.id}/break`, { reason: 'no' })).status, 404);
      const circulated = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 24 });
      assert.equal(circulated.status, 'silence');
      assert.equal(circulated.silence?.round, 1);
      assert.ok(circulated.actions.includes('break'));
      // Poland breaks silence: a reason is required.
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/break`, { reason: '' })).status, 400);
      const broken = await ok<Proposal>('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/break`, { reason: 'Sanctions need a legal basis first.' });
      assert.equal(broken.status, 'returned');
      assert.equal(broken.breaks[0]?.member, 'POL');
      // The deadline of the broken round changes nothing.
      clock.advance(25 * HOUR);
      assert.equal(await resolveSilence(node.ctx, drafted.id, 1), undefined);
      assert.equal((await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).status, 'returned');
      // Amended and circulated again; amended once more under silence: a new round and deadline.
      const amended = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'Members attribute publicly.', options: ['coordinated-attribution'], reason: 'Sanctions dropped' });
      assert.equal(amended.text_version, 2);
      // Back under silence for no less than its last round (24 h, a day at most): not for an hour.
      const shortened = await call('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 1 });
      assert.equal(shortened.status, 400, JSON.stringify(shortened.body));
      assert.match(shortened.body.error!.message, /lasts at least 24 h/);
      const second = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 48 });
      assert.equal(second.silence?.round, 2);
      clock.advance(HOUR);
      // Not for less than the last round: amending a word to give the others a minute to object is refused.
      const hurried = await call('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'Members attribute publicly, at once.', silence_hours: 0.02 });
      assert.equal(hurried.status, 400, JSON.stringify(hurried.body));
      assert.match(hurried.body.error!.message, /lasts at least 24 h \(as long as the last round, or a day when that was longer\)/);
      assert.equal((await ok<Proposal>('fred', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).text_version, 2, 'nothing of it changed');
      const restarted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'Members attribute publicly, together.' });
      assert.equal(restarted.status, 'silence');
      assert.equal(restarted.silence?.round, 3);
      assert.equal(restarted.silence?.version, 3);
      assert.equal(Date.parse(restarted.silence!.deadline) - Date.parse(restarted.silence!.started_at), 48 * HOUR, 'an amendment restarts silence for as long as the last');
      // Round 2's deadline passes: still under silence (round 3 runs).
      clock.advance(48 * HOUR - HOUR);
      assert.equal(await resolveSilence(node.ctx, drafted.id, 2), undefined);
      assert.equal((await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).status, 'silence');
      // Before round 3's deadline, resolving answers when to come back.
      const early = await resolveSilence(node.ctx, drafted.id, 3);
      assert.equal(early?.next.toISOString(), restarted.silence!.deadline);
      clock.advance(HOUR + 1);
      // At the deadline silence can no longer be broken, even before the job ran, and nothing more is offered on the round.
      const late = await call('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/break`, { reason: 'Too late' });
      assert.equal(late.status, 409);
      assert.deepEqual((await ok<Proposal>('fred', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).actions, [], 'no amend or withdraw once the deadline is reached');
      await resolveSilence(node.ctx, drafted.id, 3);
      await resolveSilence(node.ctx, drafted.id, 3);
      const adopted = await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${drafted.id}`);
      assert.equal(adopted.status, 'adopted');
      const record = adopted.decision!;
      assert.equal(record.text, 'Members attribute publicly, together.');
      assert.equal(record.version, 3);
      assert.equal(record.round, 3);
      assert.deepEqual(record.participants, ['EST', 'FRA', 'POL']);
      assert.deepEqual(adopted.actions, [], 'an adopted proposal is final');
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'later' })).status, 409);
      const records = await ok<{ decisions: DecisionRecord[] }>('pia', 'GET', '/api/v1/decisions/records');
      assert.equal(records.decisions.filter((d) => d.proposal_id === drafted.id).length, 1, 'one record, however often the deadline job ran');
      assert.equal((await call('dieter', 'GET', `/api/v1/decisions/records/${record.id}`)).status, 404);
      // The record is immutable in the store itself, and its adoption audited.
      await assert.rejects(sql`update decision_records set text_sha256 = 'x' where id = ${record.id}`.execute(node.ctx.store.db));
      await assert.rejects(sql`delete from decision_records where id = ${record.id}`.execute(node.ctx.store.db));
      const adoptions: audit.AuditEntry[] = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.action === 'decisions.adopt' && entry.subject === drafted.id) adoptions.push(entry);
      assert.equal(adoptions.length, 1, 'one adoption audited');
      assert.equal((adoptions[0]!.detail as { text_sha256?: string }).text_sha256, record.text_sha256);
    });

    it('never refuses a break of silence; bounds the rounds a proposal is circulated for instead', async () => {
      const c = await consultation();
      const drafted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Measures', text: 'Members attribute publicly.', options: ['coordinated-attribution'] }, 201);
      // A proposal circulated and broken 999 times (written to the row: so many requests would only slow the suite), holding 1,000 breaks.
      const stored = await node.ctx.store.db.selectFrom('decision_proposals').select(['document']).where('id', '=', drafted.id).executeTakeFirstOrThrow();
      const document = JSON.parse(stored.document) as { breaks: unknown[] };
      document.breaks = Array.from({ length: 1000 }, (_, i) => ({ round: i + 1, member: 'FRA', by: 'fred', at: START.toISOString(), reason: 'again', version: 1 }));
      await node.ctx.store.db.updateTable('decision_proposals').set({ document: JSON.stringify(document), round: 999, status: 'returned' }).where('id', '=', drafted.id).execute();
      const last = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 24 });
      assert.equal(last.silence?.round, 1000);
      // Another member still objects: the break is kept, and the deadline cannot adopt the text over it.
      const broken = await ok<Proposal>('pia', 'POST', `/api/v1/decisions/proposals/${drafted.id}/break`, { reason: 'Poland objects.' });
      assert.equal(broken.status, 'returned');
      assert.equal(broken.breaks.at(-1)?.member, 'POL');
      clock.advance(25 * HOUR);
      assert.equal(await resolveSilence(node.ctx, drafted.id, 1000), undefined);
      assert.equal((await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).status, 'returned');
      // No round more: circulating is refused with its reason, and no longer offered.
      const refused = await call('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 24 });
      assert.equal(refused.status, 409);
      assert.match(refused.body.error!.message, /1000 rounds.*draft a new proposal/);
      assert.deepEqual(refused.body.error!.details, { rounds: 1000, limit: 1000 });
      assert.ok(!(await ok<Proposal>('fred', 'GET', `/api/v1/decisions/proposals/${drafted.id}`)).actions.includes('circulate'));
    });

    it('neither circulates nor amends a proposal while its consultation is closed; silence already running runs on to its deadline', async () => {
      const c = await consultation();
      const draft = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Sanctions', text: 'Refer the unit for sanctions.', options: ['sanctions-referral'] }, 201);
      const running = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Attribution', text: 'Members attribute publicly.', options: ['coordinated-attribution'] }, 201);
      const circulated = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${running.id}/circulate`, { silence_hours: 24 });
      await ok<Consultation>('eve', 'POST', `/api/v1/decisions/consultations/${c.id}/status`, { status: 'closed', reason: 'Measures agreed' });
      // The draft is neither amended nor circulated, by its proposer or the convener's chair, and nothing of it changes.
      for (const [who, move, payload] of [['fred', 'amend', { text: 'Refer the unit for sanctions now.' }], ['fred', 'circulate', { silence_hours: 0.02 }], ['eve', 'circulate', { silence_hours: 24 }]] as const) {
        const refused = await call(who, 'POST', `/api/v1/decisions/proposals/${draft.id}/${move}`, payload);
        assert.equal(refused.status, 409, `${who} ${move}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error?.code, 'SW_CONFLICT');
        assert.match(refused.body.error!.message, new RegExp(`consultation ${c.id} is closed: .*reopens it, then ${move} proposal`));
        assert.deepEqual(refused.body.error!.details, { status: 'closed' });
      }
      const unchanged = await ok<Proposal>('fred', 'GET', `/api/v1/decisions/proposals/${draft.id}`);
      assert.deepEqual([unchanged.status, unchanged.text_version, unchanged.version, unchanged.text], ['draft', 1, draft.version, 'Refer the unit for sanctions.']);
      assert.deepEqual(unchanged.actions, ['withdraw'], 'neither circulate nor amend is offered');
      // The proposal under silence is not amended (that would start a new round), but it may still be broken and runs to its deadline.
      const restart = await call('fred', 'POST', `/api/v1/decisions/proposals/${running.id}/amend`, { text: 'Members attribute publicly, together.' });
      assert.equal(restart.status, 409);
      const still = await ok<Proposal>('pia', 'GET', `/api/v1/decisions/proposals/${running.id}`);
      assert.deepEqual([still.status, still.silence?.round, still.text_version], ['silence', 1, 1]);
      assert.deepEqual(still.actions, ['break']);
      clock.advance(Date.parse(circulated.silence!.deadline) - clock.now().getTime());
      await resolveSilence(node.ctx, running.id, circulated.silence!.round);
      const adopted = await ok<Proposal>('eve', 'GET', `/api/v1/decisions/proposals/${running.id}`);
      assert.equal(adopted.status, 'adopted');
      assert.equal(adopted.decision?.text, 'Members attribute publicly.');
      // Reopened, the draft is circulated again.
      await ok<Consultation>('eve', 'POST', `/api/v1/decisions/consultations/${c.id}/status`, { status: 'open' });
      assert.deepEqual((await ok<Proposal>('fred', 'GET', `/api/v1/decisions/proposals/${draft.id}`)).actions, ['circulate', 'amend', 'withdraw']);
      assert.equal((await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${draft.id}/circulate`, { silence_hours: 24 })).status, 'silence');
    });

    it('keeps each member a share of the characters a consultation holds, and a bounded history: no document grows without end', async () => {
      const c = await consultation();
      // 20,000 control characters take 120,002 as stored (JSON): the counts alone let a member
      // make the document tens of megabytes, parsed whole on every read.
      const heavy = '\u0001'.repeat(DECISIONS_LIMITS.text);
      const share = shareOf(DECISIONS_LIMITS.entryChars, 3, 64 * 1024);
      let accepted = 0;
      for (;;) {
        const answer = await call('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/entries`, { kind: 'statement', text: heavy });
        if (answer.status !== 200) {
          assert.equal(answer.status, 409, JSON.stringify(answer.body));
          assert.match(answer.body.error!.message, /member FRA has written \d+ characters .* its share is/);
          assert.equal(answer.body.error!.details?.share, share);
          break;
        }
        accepted++;
        assert.ok(accepted < DECISIONS_LIMITS.statements, 'refused long before the count share');
      }
      assert.equal(accepted, Math.floor(share / (heavy.length * 6 + 2)));
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/entries`, { kind: 'statement', text: heavy })).status, 200, 'Poland still states its position');
      // A chair closing and reopening with long reasons: the oldest history goes, the first stays.
      const reason = '\u0001'.repeat(DECISIONS_LIMITS.reason);
      for (let i = 0; i < 12; i++) await ok<Consultation>('eve', 'POST', `/api/v1/decisions/consultations/${c.id}/status`, { status: i % 2 === 0 ? 'closed' : 'open', reason });
      const stored = await node.ctx.store.db.selectFrom('decision_consultations').select(['document']).where('id', '=', c.id).executeTakeFirstOrThrow();
      const document = JSON.parse(stored.document) as { history: Array<{ action: string }> };
      assert.equal(document.history[0]?.action, 'requested');
      assert.ok(JSON.stringify(document.history).length <= DECISIONS_LIMITS.historyChars + 2 * (reason.length * 6 + 200), `history of ${JSON.stringify(document.history).length} characters`);
      assert.ok(document.history.length < 14, `${document.history.length} history entries kept`);
      assert.ok(stored.document.length <= 3 * share + DECISIONS_LIMITS.historyChars + 200_000, `a document of ${stored.document.length} characters`);

      // A proposal whose breaks of silence fill its room is no longer circulated nor amended
      // (breaks written to the row: a thousand rounds would only slow the suite).
      const drafted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Full', text: 'Members attribute publicly.', options: ['coordinated-attribution'] }, 201);
      const row = await node.ctx.store.db.selectFrom('decision_proposals').select(['document']).where('id', '=', drafted.id).executeTakeFirstOrThrow();
      const proposal = JSON.parse(row.document) as { breaks: unknown[] };
      proposal.breaks = Array.from({ length: 40 }, (_, i) => ({ round: i + 1, member: 'POL', by: 'pia', at: START.toISOString(), reason: reason, version: 1 }));
      await node.ctx.store.db.updateTable('decision_proposals').set({ document: JSON.stringify(proposal) }).where('id', '=', drafted.id).execute();
      for (const [url, body] of [[`/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 24 }], [`/api/v1/decisions/proposals/${drafted.id}/amend`, { text: 'Members consult further.' }]] as const) {
        const refused = await call('fred', 'POST', url, body);
        assert.equal(refused.status, 409, JSON.stringify(refused.body));
        assert.match(refused.body.error!.message, /characters of breaks of silence and amendments .* draft a new proposal/);
      }
    });

    if (dialect === 'sqlite') it("shows the board and the proposal list without reading a consultation's or a proposal's document", async (t) => {
      const c = await consultation();
      const drafted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Listed', text: 'Members attribute publicly.', options: ['coordinated-attribution'] }, 201);
      await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/circulate`, { silence_hours: 24 });
      const { statementsRun } = await import('../../../test/support/statements.js');
      let board: { consultations: Array<{ id: string; participants: string[]; subject: { ref: string }; proposals: number; silence_deadline: string | null }> } | undefined;
      let listed: { proposals: Array<{ id: string; options: string[]; text_version: number; silence: { round: number } | null }> } | undefined;
      const statements = await statementsRun(t, node.testStore.store, async () => {
        board = await ok('eve', 'GET', '/api/v1/decisions/consultations?limit=200');
        listed = await ok('eve', 'GET', '/api/v1/decisions/proposals?limit=200');
      });
      const shown = board!.consultations.find((each) => each.id === c.id);
      assert.deepEqual([shown?.participants, shown?.subject.ref, shown?.proposals], [['FRA', 'POL'], actor, 1]);
      assert.ok(shown?.silence_deadline, 'the silence deadline comes from the proposal head');
      const proposal = listed!.proposals.find((each) => each.id === drafted.id);
      assert.deepEqual([proposal?.options, proposal?.text_version, proposal?.silence?.round], [['coordinated-attribution'], 1, 1]);
      const reads = statements.filter((s) => /from "decision_(consultations|proposals)"/.test(s));
      assert.ok(reads.some((s) => /from "decision_proposals"/.test(s)));
      for (const read of reads) assert.doesNotMatch(read, /"document"|select \*/, read);
      // A proposal stored before its head was (or by an older process) is listed all the same.
      await node.ctx.store.db.updateTable('decision_proposals').set({ head: null }).where('id', '=', drafted.id).execute();
      const headless = await ok<{ proposals: Array<{ id: string; options: string[]; silence: { round: number } | null }> }>('eve', 'GET', '/api/v1/decisions/proposals?limit=200');
      assert.deepEqual(headless.proposals.find((each) => each.id === drafted.id)?.options, ['coordinated-attribution']);
      // A consultation stored before its head was (or by an older process) is shown all the same.
      await node.ctx.store.db.updateTable('decision_consultations').set({ head: null }).where('id', '=', c.id).execute();
      const again = await ok<{ consultations: Array<{ id: string; participants: string[] }> }>('eve', 'GET', '/api/v1/decisions/consultations?limit=200');
      assert.deepEqual(again.consultations.find((each) => each.id === c.id)?.participants, ['FRA', 'POL']);
    });

    it('keeps each member its share of statements, documents and proposals: no member fills what the others need', async () => {
      const c = await consultation();
      // Three members (Estonia convenes, France and Poland take part): a share is max(5, 500/3) statements and max(2, 50/3) proposals.
      const statementShare = shareOf(DECISIONS_LIMITS.statements, 3, 5);
      const proposalShare = shareOf(DECISIONS_LIMITS.proposals, 3, 2);
      assert.deepEqual([statementShare, proposalShare], [167, 17]);
      // France has stated its share (written to the row: so many requests would only slow the suite).
      const stored = await node.ctx.store.db.selectFrom('decision_consultations').select(['document']).where('id', '=', c.id).executeTakeFirstOrThrow();
      const document = JSON.parse(stored.document) as { statements: unknown[] };
      document.statements = Array.from({ length: statementShare }, (_, i) => ({ id: randomUUID(), at: START.toISOString(), by: 'fred', member: 'FRA', title: null, text: `France, ${i}` }));
      await node.ctx.store.db.updateTable('decision_consultations').set({ document: JSON.stringify(document) }).where('id', '=', c.id).execute();
      const more = await call('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/entries`, { kind: 'statement', text: 'France, again.' });
      assert.equal(more.status, 409);
      assert.match(more.body.error!.message, /member FRA has added 167 statements .* its share/);
      assert.deepEqual(more.body.error!.details, { statements: 167, share: 167 });
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/entries`, { kind: 'statement', text: 'Poland disagrees.' })).status, 200, 'Poland still states its position');
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/entries`, { kind: 'document', title: 'Annex', text: 'Evidence' })).status, 200, 'documents are a share of their own');
      // Proposals: withdrawn ones count (drafting and withdrawing cannot grow the consultation), and only against their member's share.
      for (let i = 0; i < proposalShare; i++) {
        const drafted = await ok<Proposal>('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: `Option ${i}`, text: 'Members attribute publicly.', options: ['coordinated-attribution'] }, 201);
        if (i % 2 === 0) await ok<Proposal>('fred', 'POST', `/api/v1/decisions/proposals/${drafted.id}/withdraw`, {});
      }
      const over = await call('fred', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'One more', text: 'x', options: ['coordinated-attribution'] });
      assert.equal(over.status, 409);
      assert.deepEqual(over.body.error!.details, { proposals: 17, share: 17 });
      const polish = await ok<Proposal>('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Poland proposes', text: 'Members consult further.', options: ['coordinated-attribution'] }, 201);
      // A proposal withdrawn by the convener's chair takes the convener's share, not its proposer's.
      await ok<Proposal>('eve', 'POST', `/api/v1/decisions/proposals/${polish.id}/withdraw`, {});
      const polishIds: string[] = [];
      for (let i = 0; i < proposalShare; i++) polishIds.push((await ok<Proposal>('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: `Poland ${i}`, text: 'x', options: ['coordinated-attribution'] }, 201)).id);
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Poland, more', text: 'x', options: ['coordinated-attribution'] })).status, 409);
      // Within the convener's own share: once Estonia holds it, its chair withdraws no more of
      // another member's (before, each such withdrawal freed the proposer's share without end).
      for (let i = 0; i < proposalShare - 1; i++) await ok<Proposal>('eve', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: `Estonia ${i}`, text: 'x', options: ['coordinated-attribution'] }, 201);
      const refused = await call('eve', 'POST', `/api/v1/decisions/proposals/${polishIds[0]}/withdraw`, {});
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.error!.details, { proposals: proposalShare, share: proposalShare });
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/consultations/${c.id}/proposals`, { title: 'Poland, still more', text: 'x', options: ['coordinated-attribution'] })).status, 409, 'Poland has no room made');
      await ok<Proposal>('pia', 'POST', `/api/v1/decisions/proposals/${polishIds[0]}/withdraw`, {});
      const shown = await ok<Consultation>('eve', 'GET', `/api/v1/decisions/consultations/${c.id}`);
      assert.deepEqual([shown.proposals, shown.proposal_list.length], [3 * proposalShare, 3 * proposalShare], 'every proposal counted and shown: each member its share, past the 50 of one consultation\'s limit');
    });

    it('publishes an attribution statement with the members that joined, as STIX, at its publication time', async () => {
      const publishAt = new Date(clock.now().getTime() + 6 * HOUR).toISOString();
      const drafted = await ok<Statement>('eve', 'POST', '/api/v1/decisions/statements', {
        title: 'Joint attribution of Frost Lynx', text: 'Frost Lynx is attributed to a state actor.', actor_ref: actor, attributed_to_ref: threatActor, confidence: 90,
        publish_at: publishAt, invited: ['FRA', 'POL'], releasability: ['ALLIANCE'],
      }, 201);
      assert.deepEqual(drafted.joined.map((r) => r.member), ['EST'], 'the drafting member joins');
      assert.equal((await call('eve', 'POST', '/api/v1/decisions/statements', { title: 't', text: 't', actor_ref: threatActor, attributed_to_ref: actor, publish_at: publishAt, invited: [] })).status, 400, 'a threat actor is not attributed to an intrusion set');
      await ok('fred', 'POST', `/api/v1/decisions/statements/${drafted.id}/respond`, { response: 'join' });
      assert.equal((await call('pia', 'POST', `/api/v1/decisions/statements/${drafted.id}/respond`, { response: 'decline' })).status, 400, 'declining needs a reason');
      await ok('pia', 'POST', `/api/v1/decisions/statements/${drafted.id}/respond`, { response: 'decline', reason: 'National review pending.' });
      assert.equal((await call('dieter', 'GET', `/api/v1/decisions/statements/${drafted.id}`)).status, 404);
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/statements/${drafted.id}/respond`, { response: 'cancel' })).status, 403, 'only the drafter cancels');
      // Before its time the job waits; at its time it publishes once.
      assert.equal((await publishStatement(node.ctx, drafted.id))?.next.toISOString(), publishAt);
      clock.advance(6 * HOUR);
      assert.equal((await call('fred', 'POST', `/api/v1/decisions/statements/${drafted.id}/respond`, { response: 'decline', reason: 'changed our mind' })).status, 409, 'no change at the publication time');
      await publishStatement(node.ctx, drafted.id);
      await publishStatement(node.ctx, drafted.id);
      const published = await ok<Statement>('pia', 'GET', `/api/v1/decisions/statements/${drafted.id}`);
      assert.equal(published.status, 'published');
      assert.deepEqual(published.published?.members, ['EST', 'FRA']);
      // The published objects are in the intel store, TLP:CLEAR: any reader, Germany included, reads them.
      const report = await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, published.published!.report_id);
      assert.equal(report.type, 'report');
      const exported = await ok<{ type: string; objects: Array<Record<string, unknown>> }>('eve', 'GET', `/api/v1/decisions/statements/${drafted.id}/stix`);
      assert.equal(exported.type, 'bundle');
      const relationship = exported.objects.find((o) => o.type === 'relationship')!;
      assert.equal(relationship.relationship_type, 'attributed-to');
      assert.equal(relationship.source_ref, actor);
      assert.equal(relationship.target_ref, threatActor);
      const exportedReport = exported.objects.find((o) => o.type === 'report')!;
      assert.deepEqual(exportedReport.object_refs, [actor, threatActor, relationship.id]);
      assert.equal(exportedReport.id, published.published!.report_id, 'the export is the published report');
      for (const object of exported.objects) {
        const result = validateObject(object);
        assert.ok(result.ok, `${String(object.type)} is valid STIX 2.1: ${JSON.stringify(result.ok ? [] : result.errors)}`);
      }
      // A cancelled draft keeps who had joined it.
      const other = await ok<Statement>('eve', 'POST', '/api/v1/decisions/statements', { title: 'Withdrawn attribution', text: 't', actor_ref: actor, publish_at: new Date(clock.now().getTime() + HOUR).toISOString(), invited: ['FRA'], releasability: ['ALLIANCE'] }, 201);
      await ok('fred', 'POST', `/api/v1/decisions/statements/${other.id}/respond`, { response: 'join' });
      const cancelled = await ok<Statement>('eve', 'POST', `/api/v1/decisions/statements/${other.id}/respond`, { response: 'cancel', reason: 'Overtaken by events' });
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(cancelled.joined.map((r) => r.member), ['EST', 'FRA']);
      const text = await call('fred', 'GET', `/api/v1/decisions/statements/${drafted.id}/text`);
      assert.equal(text.status, 200);
      assert.match(String(text.body.text), /Joined by: EST, FRA/);
    });

    it('publishes a statement under ids no member could write to first', async () => {
      const publishAt = new Date(clock.now().getTime() + HOUR).toISOString();
      const text = 'Frost Lynx is attributed to a state actor, with confidence.';
      const drafted = await ok<Statement>('eve', 'POST', '/api/v1/decisions/statements', {
        title: 'Joint attribution, second', text, actor_ref: actor, attributed_to_ref: threatActor, confidence: 80, publish_at: publishAt, invited: ['FRA'], releasability: ['ALLIANCE'],
      }, 201);
      // France's analyst reads the draft's export (every id it shows) and writes those objects first, dated far ahead, with a text of its own.
      const preview = await ok<{ objects: Array<Record<string, unknown>> }>('fabien', 'GET', `/api/v1/decisions/statements/${drafted.id}/stix`);
      const forged = preview.objects.filter((o) => o.type === 'report' || o.type === 'relationship').map((o) => {
        const { created_by_ref: _author, extensions: _extensions, ...rest } = o;
        return { ...rest, modified: '2099-01-01T00:00:00.000Z', description: 'FORGED: the attribution is withdrawn.' };
      });
      assert.equal(forged.length, 2);
      const posted = await node.app.inject({
        method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${tokens.fabien}`, 'content-type': 'application/json' }, payload: JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects: forged }),
      });
      assert.equal(posted.statusCode, 200, posted.body);
      assert.equal((JSON.parse(posted.body) as { summary: { accepted: number } }).summary.accepted, 2, posted.body);
      clock.advance(HOUR);
      await publishStatement(node.ctx, drafted.id);
      const published = (await ok<Statement>('fred', 'GET', `/api/v1/decisions/statements/${drafted.id}`)).published!;
      // What the store holds as current under the published ids is what the node published.
      const report = await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, published.report_id);
      assert.equal(report.modified, published.at);
      assert.equal(report.created_by_ref, 'identity--6f9a0f0e-0001-4b8e-9c1e-000000000001');
      assert.equal(report.description, `${text}\n\nJoined by: EST.`);
      const relationshipId = published.object_ids.find((id) => id.startsWith('relationship--'))!;
      const relationship = await intel.getObject(node.ctx, SYSTEM_PRINCIPAL, relationshipId);
      assert.deepEqual([relationship.modified, relationship.target_ref], [published.at, threatActor]);
      assert.doesNotMatch(String(relationship.description), /FORGED/);
      assert.deepEqual(report.object_refs, [actor, threatActor, relationshipId]);
      // The export of the published statement is those objects, under the ids it recorded.
      const exported = await ok<{ objects: Array<Record<string, unknown>> }>('fred', 'GET', `/api/v1/decisions/statements/${drafted.id}/stix`);
      assert.deepEqual(exported.objects.filter((o) => o.type !== 'extension-definition').map((o) => o.id), published.object_ids);
      assert.equal(exported.objects.find((o) => o.type === 'report')?.id, published.report_id);
    });
  });
}
