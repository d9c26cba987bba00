/**
 * The incidents module over HTTP on both engines: reporting, need-to-know reads, who may change
 * an incident, the state machine, versions, scoring, links, the STIX copy that federates, exports,
 * and incidents received as STIX.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { indicator } from '../../../test/support/factories.js';
import { createTestNode, TEST_MEMBER, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import { handlingMarkingDefinition, TLP2_MARKING_IDS } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { deleteObject, ingestObjects } from '../intel/intel.service.js';
import { type Incident, type IncidentChange, type IncidentSummary, MOVES_TO_CLOSED, TIMELINE_LIMITS, TIMELINE_MAX } from './incidents.model.js';
import { INCIDENT_EXTENSION_ID, incidentOfStix, linkRelationshipId } from './incidents.stix.js';

const DEU_IDENTITY = 'identity--d0e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6';
const FRA_IDENTITY = 'identity--f0e1d2c3-b4a5-4978-8a9b-0c1d2e3f4a5b';

for (const dialect of DIALECTS) {
  describe(`incidents (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const tokens: Record<string, string> = {};
    const events: IncidentChange[] = [];

    async function user(name: string, member: string, roles: Role[], clearance = 2): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    async function call(who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
      const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      return { status: response.statusCode, body: response.body === '' ? undefined : (JSON.parse(response.body) as Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } }), raw: response };
    }

    async function report(who: string, body: Record<string, unknown>): Promise<Incident> {
      const answer = await call(who, 'POST', '/api/v1/incidents', body);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body as unknown as Incident;
    }

    async function board(who: string, query = ''): Promise<IncidentSummary[]> {
      const answer = await call(who, 'GET', `/api/v1/incidents${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return (answer.body as { incidents: IncidentSummary[] }).incidents;
    }

    before(async () => {
      node = await createTestNode(dialect);
      node.ctx.bus.subscribe('incidents.changed', (change) => events.push(change));
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: DEU_IDENTITY },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: FRA_IDENTITY },
        { code: 'AUT', name: 'Austria', kind: 'partner', country: 'AT', identityId: null },
      ]);
      await user('dieter', 'DEU', ['incident-handler']);
      await user('doris', 'DEU', ['analyst']);
      await user('daniel', 'DEU', ['political-delegate']);
      await user('francois', 'FRA', ['incident-handler']);
      await user('fanny', 'FRA', ['analyst'], 0);
      await user('anna', 'AUT', ['incident-handler']);
    });
    after(async () => node?.close());

    it('reports an incident in the member\'s name, audited, announced and copied as a STIX incident (STIX 2.1 section 4.6)', async () => {
      const before = events.length;
      const incident = await report('dieter', {
        title: 'Wiper on grid operator SCADA',
        summary: 'Destructive malware on the operations network',
        sectors: ['energy'],
        systems: ['SCADA historian'],
        started_at: '2026-11-30T06:00:00Z',
        detected_at: '2026-11-30T08:15:00Z',
        tlp: 'amber',
        classification: 'RESTRICTED',
        releasability: ['ALLIANCE'],
      });
      assert.match(incident.id, /^incident--[0-9a-f-]{36}$/);
      assert.equal(incident.status, 'new');
      assert.deepEqual(incident.allowed_transitions, ['triaged', 'closed']);
      assert.equal(incident.member, 'DEU');
      assert.equal(incident.owner, 'dieter');
      assert.equal(incident.source, 'local');
      assert.deepEqual(incident.handling, { tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'] });
      assert.equal(incident.may_edit, true);
      assert.equal(events.length, before + 1);
      assert.equal(events.at(-1)!.change, 'created');
      assert.equal(events.at(-1)!.access.originMember, 'DEU');

      const stix = await call('dieter', 'GET', `/api/v1/objects/${incident.id}`);
      assert.equal(stix.status, 200);
      const object = stix.body as Record<string, unknown>;
      assert.equal(object.type, 'incident');
      assert.equal(object.name, 'Wiper on grid operator SCADA');
      assert.equal(object.created_by_ref, DEU_IDENTITY, 'created by the reporting member (section 3.6: only its creator versions it)');
      assert.ok((object.object_marking_refs as string[]).includes(TLP2_MARKING_IDS.amber));
      const extension = (object.extensions as Record<string, Record<string, unknown>>)[INCIDENT_EXTENSION_ID]!;
      assert.equal(extension.extension_type, 'property-extension', 'section 7.3: a property extension');
      assert.equal(extension.status, 'new');
      assert.deepEqual(extension.sectors, ['energy']);

      let audited = false;
      for await (const entry of audit.entries(node.ctx)) if (entry.action === 'incidents.report' && entry.subject === incident.id && entry.actor.includes('dieter')) audited = true;
      assert.ok(audited, 'the report is in the audit log, by its reporter');
    });

    it('is read by need to know: not by a member it is not released to, nor above a reader\'s clearance, nor listed for them', async () => {
      const deuOnly = await report('dieter', { title: 'Germany only', tlp: 'amber', releasability: ['DEU'] });
      const secretish = await report('dieter', { title: 'Confidential one', tlp: 'green', classification: 'CONFIDENTIAL', releasability: ['ALLIANCE'] });
      const open = await report('dieter', { title: 'Alliance wide', tlp: 'green', releasability: ['ALLIANCE'] });
      assert.equal((await call('francois', 'GET', `/api/v1/incidents/${deuOnly.id}`)).status, 404);
      assert.equal((await call('francois', 'GET', `/api/v1/incidents/${secretish.id}`)).status, 200);
      assert.equal((await call('fanny', 'GET', `/api/v1/incidents/${secretish.id}`)).status, 404, 'above her clearance (0)');
      assert.equal((await call('anna', 'GET', `/api/v1/incidents/${open.id}`)).status, 404, 'a partner is not in ALLIANCE');
      const seenByFrance = (await board('francois')).map((i) => i.id);
      assert.ok(seenByFrance.includes(open.id));
      assert.ok(!seenByFrance.includes(deuOnly.id));
      const seenByFanny = (await board('fanny')).map((i) => i.id);
      assert.ok(!seenByFanny.includes(secretish.id));
      // The STIX copy is decided by the same rule.
      assert.equal((await call('francois', 'GET', `/api/v1/objects/${deuOnly.id}`)).status, 404);
    });

    it('addressed to named recipients, is read by them only, and its STIX copy is released to them only', async () => {
      const addressed = await report('dieter', { title: 'For France only', tlp: 'amber', releasability: ['ALLIANCE'], recipients: ['FRA'] });
      await user('ugo', TEST_MEMBER, ['analyst']);
      assert.equal((await call('francois', 'GET', `/api/v1/incidents/${addressed.id}`)).status, 200);
      assert.equal((await call('ugo', 'GET', `/api/v1/incidents/${addressed.id}`)).status, 404);
      assert.equal((await call('ugo', 'GET', `/api/v1/objects/${addressed.id}`)).status, 404, 'the STIX copy is not wider than the record');
      assert.equal((await call('francois', 'GET', `/api/v1/objects/${addressed.id}`)).status, 200);
    });

    it('is changed only by the reporting member\'s users, its owner and its delegates', async () => {
      const incident = await report('dieter', { title: 'Phishing wave', tlp: 'green', releasability: ['ALLIANCE'] });
      const foreign = await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 1, title: 'Hijacked' });
      assert.equal(foreign.status, 403);
      assert.match(foreign.body!.error!.message, /DEU/);
      assert.equal((await call('francois', 'GET', `/api/v1/incidents/${incident.id}`)).body!.may_edit, false);
      assert.equal((await call('francois', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'triaged' })).status, 403);
      // A colleague of the same member edits it; a role without incidents:write does not.
      assert.equal((await call('doris', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 1, summary: 'Credential phishing' })).status, 200);
      assert.equal((await call('daniel', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 2, summary: 'x' })).status, 403);
      // Delegating to France lets its users change it, within its markings.
      assert.equal((await call('dieter', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 2, delegates: ['FRA'] })).status, 200);
      const delegated = await call('francois', 'POST', `/api/v1/incidents/${incident.id}/timeline`, { text: 'French CERT joined the analysis' });
      assert.equal(delegated.status, 201);
      // Nobody re-marks it above their clearance.
      const above = await call('doris', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 4, classification: 'TOP SECRET' });
      assert.equal(above.status, 403);
      assert.match(above.body!.error!.message, /clearance/);
      // A delegate changes the case, not who reads it nor who else changes it.
      const widened = await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 4, tlp: 'clear', releasability: ['*'] });
      assert.equal(widened.status, 403);
      assert.match(widened.body!.error!.message, /only the users of its reporting member DEU and its owner re-mark an incident or change its delegates/);
      assert.equal((await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 4, delegates: ['FRA', 'ITA'] })).status, 403);
      assert.equal((await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 4, recipients: ['FRA'] })).status, 403);
      assert.equal((await call('anna', 'GET', `/api/v1/incidents/${incident.id}`)).status, 404, 'still not released beyond ALLIANCE');
      // The same delegates in another order are no change; the rest of the case is the delegate's to change.
      assert.equal((await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 4, summary: 'Credential phishing, French victims too', delegates: ['FRA'] })).status, 200);
      // The reporting member re-marks it and changes its delegates.
      assert.equal((await call('doris', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 5, tlp: 'amber', delegates: [] })).status, 200);
      assert.equal((await call('francois', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 6, summary: 'y' })).status, 403, 'no longer a delegate');
    });

    it('moves along its state machine only; an invalid move gets 409 naming the allowed ones', async () => {
      const incident = await report('dieter', { title: 'DDoS on ministry portal', tlp: 'green', releasability: ['ALLIANCE'], sectors: ['public-administration'] });
      const jump = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'recovered' });
      assert.equal(jump.status, 409);
      assert.equal(jump.body!.error!.code, 'SW_INVALID_TRANSITION');
      assert.deepEqual((jump.body!.error!.details as { allowed: string[] }).allowed, ['triaged', 'closed']);
      assert.match(jump.body!.error!.message, /triaged or closed/);
      let current = incident;
      for (const status of ['triaged', 'contained', 'eradicated', 'recovered', 'closed', 'triaged'] as const) {
        const moved = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status, note: `to ${status}` });
        assert.equal(moved.status, 200, `${current.status} -> ${status}: ${JSON.stringify(moved.body)}`);
        current = moved.body as unknown as Incident;
        assert.equal(current.status, status);
      }
      assert.equal(current.timeline.filter((entry) => entry.kind === 'status').length, 7, 'reported + six moves, each on the timeline');
      const back = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'new' });
      assert.equal(back.status, 409);
    });

    it('with a full timeline still moves on and closes, unlinks, finishes tasks and rescores; reopens only while a whole way to closed fits', async () => {
      const incident = await report('dieter', { title: 'Long-running espionage case', tlp: 'green', releasability: ['ALLIANCE'] });
      const beacon = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [beacon]);
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/links`, { object_id: beacon.id, kind: 'intel' })).status, 201);
      const tasked = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/tasks`, { title: 'Image the mail server' });
      const task = (tasked.body as unknown as Incident).tasks[0]!;
      // Fill the timeline as a long case does (written to the row: a thousand requests would only slow the suite).
      const stored = await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', incident.id).executeTakeFirstOrThrow();
      const document = JSON.parse(stored.document) as { timeline: Array<Record<string, unknown>> };
      // The link made an entry of its own.
      const notes = Array.from({ length: TIMELINE_LIMITS.entries - 2 }, (_, i) => ({ id: `note-${i}`, at: '2026-11-30T10:00:00.000Z', author: 'dieter', kind: 'note', text: `finding ${i}` }));
      document.timeline = [...document.timeline, ...notes];
      await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(document) }).where('id', '=', incident.id).execute();
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/timeline`, { text: 'the last note that fits' })).status, 201);
      const full = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/timeline`, { text: 'one too many' });
      assert.equal(full.status, 409);
      assert.match(full.body!.error!.message, /1000 entries besides its status changes.*status can still be changed/);
      // A wrong link is still removed, a task still done, the severity still scored: their entries are left off, after one that says so.
      const unlinked = await call('dieter', 'DELETE', `/api/v1/incidents/${incident.id}/links/${beacon.id}`);
      assert.equal(unlinked.status, 200, JSON.stringify(unlinked.body));
      assert.deepEqual((unlinked.body as unknown as Incident).links, []);
      assert.equal((await call('dieter', 'PATCH', `/api/v1/incidents/${incident.id}/tasks/${task.id}`, { status: 'done' })).status, 200);
      const scheme = (await call('dieter', 'GET', '/api/v1/incidents/scoring')).body as { categories: Array<{ key: string; options: Array<{ key: string }> }> };
      const rescored = await call('dieter', 'PUT', `/api/v1/incidents/${incident.id}/severity`, { selections: Object.fromEntries(scheme.categories.map((c) => [c.key, c.options[0]!.key])) });
      assert.equal(rescored.status, 200);
      const after = rescored.body as unknown as Incident;
      assert.equal(after.tasks[0]!.status, 'done');
      assert.ok(after.severity !== null);
      assert.equal(after.timeline.filter((entry) => /timeline is full/.test(entry.text)).length, 1, 'one entry says the timeline is full');
      assert.equal(after.timeline.length, TIMELINE_LIMITS.entries + 2, 'the entries, the report and that one');
      // Status changes are outside that limit: the case is worked to its end and closed.
      for (const status of ['triaged', 'contained', 'eradicated', 'recovered', 'closed'] as const) {
        const moved = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status });
        assert.equal(moved.status, 200, `to ${status}: ${JSON.stringify(moved.body)}`);
      }
      const closed = (await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident;
      assert.equal(closed.status, 'closed');
      assert.equal(closed.timeline.length, TIMELINE_LIMITS.entries + 7, 'every entry, the report, the full timeline\'s entry and five moves');
      // Reopening is bounded instead: it is allowed while a whole way back to closed fits in the status changes' limit.
      const reopenable = TIMELINE_LIMITS.statusChanges - MOVES_TO_CLOSED;
      const moves = Array.from({ length: reopenable - 6 }, (_, i) => ({ id: `move-${i}`, at: '2026-11-30T11:00:00.000Z', author: 'dieter', kind: 'status', text: 'Status closed → triaged' }));
      const before = JSON.parse((await node.ctx.store.db.selectFrom('incidents').select(['document']).where('id', '=', incident.id).executeTakeFirstOrThrow()).document) as typeof document;
      before.timeline = [...before.timeline, ...moves];
      await node.ctx.store.db.updateTable('incidents').set({ document: JSON.stringify(before) }).where('id', '=', incident.id).execute();
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'triaged' })).status, 200, `reopened with ${reopenable} status changes`);
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'closed' })).status, 200);
      const refused = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/status`, { status: 'triaged' });
      assert.equal(refused.status, 409);
      assert.match(refused.body!.error!.message, /follow-up incident/);
      assert.deepEqual(refused.body!.error!.details, { status_changes: reopenable + 2, limit: reopenable });
      const final = (await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident;
      assert.ok(final.timeline.length <= TIMELINE_MAX, `${final.timeline.length} entries within the most a timeline holds`);
      // A peer reads the whole of such a timeline (the bound on received timelines is the same).
      const copy = (await call('dieter', 'GET', `/api/v1/objects/${incident.id}`)).body as unknown as StixObject;
      assert.equal(incidentOfStix(copy).extension.timeline.length, final.timeline.length);
    });

    it('refuses a change made on a stale version with 409 and the current version', async () => {
      const incident = await report('dieter', { title: 'Ransomware at hospital', tlp: 'amber', releasability: ['ALLIANCE'], sectors: ['health'] });
      assert.equal((await call('dieter', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 1, handler: 'dieter' })).status, 200);
      const stale = await call('doris', 'PATCH', `/api/v1/incidents/${incident.id}`, { version: 1, handler: 'doris' });
      assert.equal(stale.status, 409);
      assert.equal(stale.body!.error!.code, 'SW_STALE_VERSION');
      assert.deepEqual(stale.body!.error!.details, { current_version: 2 });
      assert.equal(((await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident).handler, 'dieter');
    });

    it('scores severity with the scoring scheme and filters the board by level, significance, status, sector, member and text', async () => {
      const scheme = await call('doris', 'GET', '/api/v1/incidents/scoring');
      assert.equal(scheme.status, 200);
      const categories = (scheme.body as { categories: Array<{ key: string; options: Array<{ key: string }> }> }).categories;
      assert.equal(categories.length, 8);
      const worst = Object.fromEntries(categories.map((c) => [c.key, c.options.at(-1)!.key]));
      const mildest = Object.fromEntries(categories.map((c) => [c.key, c.options[0]!.key]));
      const preview = await call('doris', 'POST', '/api/v1/incidents/scoring/preview', { selections: worst });
      assert.equal(preview.status, 200);
      assert.equal(preview.body!.level, 5);
      const bad = await call('doris', 'POST', '/api/v1/incidents/scoring/preview', { selections: { functional_impact: 'apocalypse' } });
      assert.equal(bad.status, 400);

      const severe = await report('dieter', { title: 'Grid blackout malware', tlp: 'green', releasability: ['ALLIANCE'], sectors: ['energy'], selections: worst });
      assert.equal(severe.severity!.level, 5);
      assert.equal(severe.severity!.significant, true);
      const mild = await report('dieter', { title: 'Port scan noise', tlp: 'green', releasability: ['ALLIANCE'], sectors: ['telecommunications'], selections: mildest });
      assert.equal(mild.severity!.significant, false);
      const rescored = await call('dieter', 'PUT', `/api/v1/incidents/${mild.id}/severity`, { selections: worst });
      assert.equal(rescored.status, 200);
      assert.equal((rescored.body as unknown as Incident).severity!.level, 5);
      assert.equal((await call('dieter', 'PUT', `/api/v1/incidents/${mild.id}/severity`, { selections: mildest })).status, 200);

      const significant = (await board('francois', '?significant=true')).map((i) => i.id);
      assert.ok(significant.includes(severe.id));
      assert.ok(!significant.includes(mild.id));
      assert.deepEqual((await board('francois', '?level=5&sector=energy')).map((i) => i.id).filter((id) => id === severe.id), [severe.id]);
      assert.ok(!(await board('francois', '?sector=telecommunications')).some((i) => i.id === severe.id));
      assert.ok((await board('francois', '?q=BLACKOUT')).some((i) => i.id === severe.id));
      assert.ok(!(await board('francois', '?q=100%25')).some((i) => i.id === severe.id), 'text is matched literally');
      assert.ok((await board('francois', '?member=DEU&status=new')).every((i) => i.member === 'DEU' && i.status === 'new'));
      assert.equal((await call('francois', 'GET', '/api/v1/incidents?status=burning')).status, 400);
      assert.equal((await call('francois', 'GET', '/api/v1/incidents?level=9')).status, 400);
    });

    it('pages the board by cursor, newest change first, without repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const answer = await call('dieter', 'GET', `/api/v1/incidents?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(answer.status, 200);
        const page = answer.body as unknown as { incidents: IncidentSummary[]; next_cursor: string | null };
        seen.push(...page.incidents.map((i) => i.modified + i.id));
        cursor = page.next_cursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen, [...seen].sort().reverse());
      assert.equal((await call('dieter', 'GET', '/api/v1/incidents?cursor=bm9wZQ')).status, 400);
    });

    it('links intel the writer reads as related-to relationships (section 5.1), revoked when unlinked, and exports them in its bundle', async () => {
      const readableIndicator = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      const hidden = indicator({ created_by_ref: FRA_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.red] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [readableIndicator, hidden]);
      const smuggled = await call('dieter', 'POST', '/api/v1/incidents', { title: 'Smuggled link', links: [{ object_id: hidden.id, kind: 'intel' }] });
      assert.equal(smuggled.status, 404, 'nor linked when reporting');
      const incident = await report('dieter', { title: 'Linked incident', tlp: 'green', releasability: ['ALLIANCE'] });
      const unreadable = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/links`, { object_id: hidden.id, kind: 'intel' });
      assert.equal(unreadable.status, 404, 'an object the writer cannot read cannot be linked (nor its existence confirmed)');
      const linked = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/links`, { object_id: readableIndicator.id, kind: 'intel', note: 'C2 beacon' });
      assert.equal(linked.status, 201);
      const link = (linked.body as unknown as Incident).links.find((l) => l.object_id === readableIndicator.id)!;
      assert.ok(link.linked_at, 'the answer says when it was linked');
      const relationshipId = linkRelationshipId(incident.id, readableIndicator.id, link.linked_at);
      const relationship = await call('dieter', 'GET', `/api/v1/objects/${relationshipId}`);
      assert.equal(relationship.status, 200);
      assert.equal(relationship.body!.relationship_type, 'related-to');
      assert.equal(relationship.body!.source_ref, incident.id);
      assert.equal(relationship.body!.target_ref, readableIndicator.id);

      const exported = await call('francois', 'GET', `/api/v1/incidents/${incident.id}/export?format=stix`);
      assert.equal(exported.status, 200);
      assert.match(String(exported.raw.headers['content-type']), /application\/stix\+json/);
      const ids = (exported.body!.objects as Array<{ id: string; type: string }>).map((o) => o.id);
      assert.ok(ids.includes(incident.id) && ids.includes(relationshipId) && ids.includes(readableIndicator.id));
      assert.ok(ids.includes(INCIDENT_EXTENSION_ID), 'the bundle carries the extension-definition its incident uses (section 7.3)');

      assert.equal((await call('dieter', 'DELETE', `/api/v1/incidents/${incident.id}/links/${readableIndicator.id}`)).status, 200);
      const revoked = await call('dieter', 'GET', `/api/v1/objects/${relationshipId}`);
      assert.ok(revoked.status === 404 || revoked.body!.revoked === true, 'the relationship is revoked once unlinked');
      // Changes that leave a link as it is do not version its relationship; linking again makes a new one.
      const relinked = await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/links`, { object_id: readableIndicator.id, kind: 'intel' });
      assert.equal(relinked.status, 201);
      const again = (relinked.body as unknown as Incident).links.find((l) => l.object_id === readableIndicator.id)!;
      const newId = linkRelationshipId(incident.id, readableIndicator.id, again.linked_at);
      assert.notEqual(newId, relationshipId);
      assert.equal((await call('dieter', 'GET', `/api/v1/objects/${newId}`)).status, 200);
      const before = await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '=', newId).executeTakeFirstOrThrow();
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/timeline`, { text: 'unrelated note' })).status, 201);
      const afterNote = await node.ctx.store.db.selectFrom('stix_objects').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '=', newId).executeTakeFirstOrThrow();
      assert.equal(Number(afterNote.n), Number(before.n), 'a note does not version the link\'s relationship');
    });

    it('shows a link only to those who may read its object, and shares in STIX only the links every reader of the incident may know of', async () => {
      // Germany's own, TLP:AMBER+STRICT: read by Germany alone; France reads the incident, not it.
      const strict = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS['amber+strict']] });
      const open = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [strict, open]);
      assert.equal((await call('francois', 'GET', `/api/v1/objects/${strict.id}`)).status, 404);
      const incident = await report('dieter', {
        title: 'Beacon at a ministry', tlp: 'green', releasability: ['ALLIANCE'],
        links: [{ object_id: strict.id, kind: 'intel', note: 'the strict beacon' }, { object_id: open.id, kind: 'intel', note: 'the open one' }],
      });
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/links`, { object_id: strict.id, kind: 'intel' })).status, 201);
      const own = (await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident;
      assert.deepEqual(own.links.map((l) => l.object_id).sort(), [strict.id, open.id].sort(), 'its member reads both');
      const seen = await call('francois', 'GET', `/api/v1/incidents/${incident.id}`);
      assert.deepEqual((seen.body as unknown as Incident).links.map((l) => l.object_id), [open.id]);
      assert.ok(!seen.raw.body.includes(strict.id) && !seen.raw.body.includes('the strict beacon'), 'neither the link, its note nor a timeline entry names it');
      // The STIX copy (what TAXII and the peers read), the export and the stored relationships.
      const copy = await call('francois', 'GET', `/api/v1/objects/${incident.id}`);
      assert.equal(copy.status, 200);
      assert.ok(!copy.raw.body.includes(strict.id), 'the copy every reader of the incident reads names only links they may all know of');
      assert.deepEqual(incidentOfStix(copy.body as unknown as StixObject).extension.links.map((l) => l.object_id), [open.id]);
      const exported = await call('francois', 'GET', `/api/v1/incidents/${incident.id}/export?format=stix`);
      assert.ok(!exported.raw.body.includes(strict.id));
      const relationships = await node.ctx.store.db.selectFrom('stix_objects').select('id').where('type', '=', 'relationship').where('body', 'like', `%${strict.id}%`).execute();
      assert.deepEqual(relationships, [], 'no relationship names it under the incident\'s markings');
      // France cannot remove it either, nor learn from the answer that it is linked; Germany can.
      assert.equal((await call('francois', 'DELETE', `/api/v1/incidents/${incident.id}/links/${strict.id}`)).status, 404);
      assert.equal((await call('dieter', 'DELETE', `/api/v1/incidents/${incident.id}/links/${strict.id}`)).status, 200);
      const after = await call('francois', 'GET', `/api/v1/incidents/${incident.id}`);
      assert.ok(!after.raw.body.includes(strict.id), 'nor does the entry that it was unlinked');
      assert.deepEqual(await node.ctx.store.db.selectFrom('stix_objects').select('id').where('type', '=', 'relationship').where('body', 'like', `%${strict.id}%`).execute(), []);
    });

    it('takes back the relationship of a link whose object was re-marked out of some readers\' reach, under the markings it had', async () => {
      const beacon = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green], modified: '2026-11-01T00:00:00.000Z' });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [beacon]);
      const incident = await report('dieter', { title: 'Beacon re-marked later', tlp: 'green', releasability: ['ALLIANCE'], links: [{ object_id: beacon.id, kind: 'intel' }] });
      const relationshipId = linkRelationshipId(incident.id, beacon.id, incident.links[0]!.linked_at);
      const shared = await call('francois', 'GET', `/api/v1/objects/${relationshipId}`);
      assert.equal(shared.status, 200, 'shared while every reader may know of it');
      // Germany re-marks its indicator TLP:AMBER+STRICT: France no longer reads it.
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [{ ...beacon, modified: '2026-11-02T00:00:00.000Z', object_marking_refs: [TLP2_MARKING_IDS['amber+strict']] }]);
      assert.equal((await call('francois', 'GET', `/api/v1/objects/${beacon.id}`)).status, 404);
      assert.equal((await call('dieter', 'POST', `/api/v1/incidents/${incident.id}/timeline`, { text: 'a note' })).status, 201);
      const copy = await call('francois', 'GET', `/api/v1/objects/${incident.id}`);
      assert.ok(!copy.raw.body.includes(beacon.id), 'the new copy does not name it');
      const relationship = await call('francois', 'GET', `/api/v1/objects/${relationshipId}`);
      assert.equal(relationship.status, 200);
      assert.equal(relationship.body!.revoked, true, 'its relationship is revoked');
      assert.deepEqual(relationship.body!.object_marking_refs, shared.body!.object_marking_refs, 'under the markings it was shared with');
      // Unlinked then, nothing more is written of it.
      assert.equal((await call('dieter', 'DELETE', `/api/v1/incidents/${incident.id}/links/${beacon.id}`)).status, 200);
      assert.equal((await call('francois', 'GET', `/api/v1/objects/${relationshipId}`)).body!.revoked, true);
    });

    it('keeps a link to an object no longer held shown to the incident\'s writers, who may remove it', async () => {
      const gone = indicator({ created_by_ref: DEU_IDENTITY, object_marking_refs: [TLP2_MARKING_IDS.green] });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [gone]);
      const incident = await report('dieter', { title: 'Link to a deleted object', tlp: 'green', releasability: ['ALLIANCE'], links: [{ object_id: gone.id, kind: 'intel', note: 'from a source of ours' }] });
      await deleteObject(node.ctx, (await principalOfUser(node.ctx, 'dieter'))!, gone.id);
      const kept = ((await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident).links;
      assert.deepEqual(kept.map((l) => [l.object_id, l.note]), [[gone.id, null]], 'its id alone: not the note, which a writer who never read the object is not told');
      assert.deepEqual(((await call('francois', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident).links, [], 'a reader who does not write it is not told');
      const removed = await call('dieter', 'DELETE', `/api/v1/incidents/${incident.id}/links/${gone.id}`);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual((removed.body as unknown as Incident).links, []);
    });

    it('exports a printable report as HTML and PDF, with its handling banner, to readers only', async () => {
      const incident = await report('dieter', { title: 'Report <script>alert(1)</script>', tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'] });
      const page = await node.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}/export?format=html`, headers: { authorization: `Bearer ${tokens.francois}` } });
      assert.equal(page.statusCode, 200, page.body.slice(0, 200));
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
      assert.ok(!page.body.includes('<script>alert(1)</script>'));
      assert.ok((page.body.match(/TLP:AMBER/g) ?? []).length >= 2, 'the banner at the top and the bottom');
      assert.match(page.body, /RESTRICTED/);
      const pdf = await node.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}/export?format=pdf`, headers: { authorization: `Bearer ${tokens.francois}` } });
      assert.equal(pdf.statusCode, 200);
      assert.equal(pdf.headers['content-type'], 'application/pdf');
      assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
      const denied = await node.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}/export?format=pdf`, headers: { authorization: `Bearer ${tokens.anna}` } });
      assert.equal(denied.statusCode, 404);
    });

    it('reads incidents received as STIX into the board, read only, marked as the store marked them', async () => {
      const id = 'incident--3b9f1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
      const received = {
        type: 'incident', spec_version: '2.1', id, created: '2026-11-29T10:00:00.000Z', modified: '2026-11-29T10:00:00.000Z', created_by_ref: FRA_IDENTITY,
        name: 'French water utility intrusion', object_marking_refs: [TLP2_MARKING_IDS.green],
        extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', status: 'contained', sectors: ['drinking-water', 'not-a-sector'], severity: { score: 61.2, level: 3, level_name: 'High', significant: true, selections: {} }, timeline: [{ id: 'x', at: '2026-11-29T10:00:00.000Z', kind: 'note', text: 'Seen' }], links: [{ object_id: 'not an id' }] } },
      };
      const arrived = new Promise<IncidentChange>((resolve) => {
        const stop = node.ctx.bus.subscribe('incidents.changed', (change) => {
          if (change.id === id) {
            stop();
            resolve(change);
          }
        });
      });
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [received]);
      const change = await arrived;
      assert.equal(change.source, 'peer');
      const shown = (await call('dieter', 'GET', `/api/v1/incidents/${id}`)).body as unknown as Incident;
      assert.equal(shown.source, 'peer');
      assert.equal(shown.status, 'contained');
      assert.equal(shown.member, 'FRA');
      assert.deepEqual(shown.sectors, ['drinking-water'], 'values that are not what they should be are left out');
      assert.deepEqual(shown.links, []);
      assert.equal(shown.severity!.level, 3);
      assert.equal(shown.may_edit, false);
      const edit = await call('francois', 'PATCH', `/api/v1/incidents/${id}`, { version: shown.version, title: 'x' });
      assert.equal(edit.status, 409, 'a received copy is changed on its own node');
      assert.equal((await call('anna', 'GET', `/api/v1/incidents/${id}`)).status, 404);
    });

    it('reads an incident received before the marking-definition it names once the definition arrives (STIX 2.1 section 7.2.1)', async () => {
      const id = 'incident--5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a';
      const definition = handlingMarkingDefinition({ id: 'marking-definition--7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', created: '2026-11-29T09:00:00.000Z', classification: 'UNCLASSIFIED', releasableTo: ['ALLIANCE'] });
      const received = {
        type: 'incident', spec_version: '2.1', id, created: '2026-11-29T11:00:00.000Z', modified: '2026-11-29T11:00:00.000Z', created_by_ref: FRA_IDENTITY,
        name: 'French port intrusion', object_marking_refs: [TLP2_MARKING_IDS.green, definition.id],
        extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', status: 'open' } },
      };
      const changed = (count: number) => new Promise<void>((resolve) => {
        let seen = 0;
        const stop = node.ctx.bus.subscribe('incidents.changed', (change) => {
          if (change.id === id && ++seen === count) {
            stop();
            resolve();
          }
        });
      });
      const arrived = changed(1);
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [received]);
      await arrived;
      assert.equal((await call('dieter', 'GET', `/api/v1/incidents/${id}`)).status, 404, 'readable by nobody while its definition is unknown');
      await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [definition]);
      await waitFor('the board reads the incident as its markings now say', async () => (await call('dieter', 'GET', `/api/v1/incidents/${id}`)).status === 200);
      const shown = (await call('dieter', 'GET', `/api/v1/incidents/${id}`)).body as unknown as Incident;
      assert.equal(shown.title, 'French port intrusion');
      assert.equal(shown.source, 'peer');
    });

    it('cannot be versioned through the intel API by another member, nor its board row replaced (STIX 2.1 section 3.6)', async () => {
      const incident = await report('dieter', { title: 'Original title', tlp: 'green', releasability: ['ALLIANCE'] });
      await user('fred', 'FRA', ['analyst']);
      const forged = {
        type: 'incident', spec_version: '2.1', id: incident.id, created: incident.created, modified: new Date(Date.parse(incident.modified) + 60_000).toISOString(),
        created_by_ref: FRA_IDENTITY, name: 'Forged by another member', object_marking_refs: [TLP2_MARKING_IDS.clear],
        extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', status: 'closed' } },
      };
      const posted = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', headers: { authorization: `Bearer ${tokens.fred}`, 'content-type': 'application/json' }, payload: { type: 'bundle', id: 'bundle--6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b', objects: [forged] } });
      assert.ok(posted.statusCode < 300, posted.body);
      assert.match(posted.body, /"rejected":1/);
      const shown = (await call('dieter', 'GET', `/api/v1/incidents/${incident.id}`)).body as unknown as Incident;
      assert.equal(shown.title, 'Original title');
      assert.equal(shown.status, 'new');
      assert.equal(shown.source, 'local');
      const stix = (await call('dieter', 'GET', `/api/v1/objects/${incident.id}`)).body!;
      assert.equal(stix.name, 'Original title');
    });

    it('refuses bad input with 400 naming where, and keeps what was accepted', async () => {
      const count = (await board('dieter', '?limit=200')).length;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{}, /title/],
        [{ title: 'x'.repeat(301) }, /title/],
        [{ title: 'ok', sectors: ['moon'] }, /sectors/],
        [{ title: 'ok', classification: 'ULTRA' }, /classification/],
        [{ title: 'ok', started_at: '2026-11-30T10:00:00Z', detected_at: '2026-11-30T09:00:00Z' }, /detected_at/],
        [{ title: 'ok', actor: { confidence: 50 } }, /actor/],
        [{ title: 'ok', releasability: ['ALLIANCE', 'bad,entry'] }, /releasability/],
        [{ title: 'ok', selections: { functional_impact: 'nope' } }, /functional_impact/],
      ];
      for (const [body, message] of cases) {
        const answer = await call('dieter', 'POST', '/api/v1/incidents', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.match(answer.body!.error!.message, message);
      }
      assert.equal((await board('dieter', '?limit=200')).length, count);
      assert.equal((await call('anna', 'POST', '/api/v1/incidents', { title: 'x', classification: 'TOP SECRET' })).status, 403);
    });
  });
}
