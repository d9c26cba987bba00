/**
 * Standby rosters over HTTP on both engines: teams registered in a member's name, read by need
 * to know (unreadable: 404), changed only by their member's users with the version they saw,
 * bounded with 400s naming the field; the standby query answering "who can help with malware
 * analysis on site within 4 hours, right now" on the node's clock and on each team's wall clock;
 * and the members an approved request reaches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { fixedClock } from '../../core/clock.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../policy/principal.js';
import * as audit from '../audit/audit.service.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import type { StandbyTeam } from './assistance.model.js';
import { membersWithStandby, teamForOffer, type StandbyAnswer } from './roster.service.js';

/** Wednesday 2026-11-04 09:30 UTC: 10:30 in Berlin (CET), 04:30 in New York (EST), 11:30 in Tallinn (EET). */
const NOW = new Date('2026-11-04T09:30:00.000Z');
const WEEKDAYS_MON_FRI = ['mon', 'tue', 'wed', 'thu', 'fri'];

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } }; headers: Record<string, unknown> };

for (const dialect of DIALECTS) {
  describe(`standby rosters (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    const tokens: Record<string, string> = {};
    const teams: Record<string, StandbyTeam> = {};

    async function user(name: string, member: string, roles: Role[], clearance = 2): Promise<void> {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
      tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name, user: name })).token;
    }

    async function call(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Answer> {
      const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as Answer['body']), headers: response.headers };
    }

    async function ok<T>(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, status = 200): Promise<T> {
      const answer = await call(who, method, url, payload);
      assert.equal(answer.status, status, `${who} ${method} ${url}: ${JSON.stringify(answer.body)}`);
      return answer.body as unknown as T;
    }

    function teamBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
      return {
        name: 'Cloud response team',
        capabilities: ['cloud-response'],
        modes: ['on-site'],
        size: 4,
        clearance: 'SECRET',
        languages: ['en'],
        time_zone: 'Europe/Berlin',
        always: true,
        response_hours: { 'on-site': 2 },
        contacts: [{ name: 'Duty officer', role: 'team lead', phone: '+49 30 1234567', email: 'duty@example.org' }],
        tlp: 'green',
        releasability: ['ALLIANCE'],
        ...overrides,
      };
    }

    async function register(who: string, key: string, overrides: Record<string, unknown> = {}): Promise<StandbyTeam> {
      const team = await ok<StandbyTeam>(who, 'POST', '/api/v1/assistance/teams', teamBody(overrides), 201);
      teams[key] = team;
      return team;
    }

    async function standby(who: string, query: string): Promise<StandbyAnswer> {
      return ok<StandbyAnswer>(who, 'GET', `/api/v1/assistance/standby?${query}`);
    }

    before(async () => {
      node = await createTestNode(dialect, {}, undefined, fixedClock(NOW));
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [
        { code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identityId: null },
        { code: 'FRA', name: 'France', kind: 'ally', country: 'FR', identityId: null },
        { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: null },
        { code: 'USA', name: 'United States', kind: 'ally', country: 'US', identityId: null },
        { code: 'AUT', name: 'Austria', kind: 'partner', country: 'AT', identityId: null },
      ]);
      await user('dieter', 'DEU', ['incident-handler']);
      await user('dagmar', 'DEU', ['member-admin']);
      await user('doris', 'DEU', ['analyst']);
      await user('francois', 'FRA', ['incident-handler']);
      await user('fanny', 'FRA', ['incident-handler'], 0);
      await user('eero', 'EST', ['coordinator']);
      await user('uma', 'USA', ['incident-handler']);
      await user('anna', 'AUT', ['incident-handler']);

      // Office hours in Berlin: on call now (10:30 CET); at work on site in 3 hours.
      await register('dieter', 'bsi', {
        name: 'Mobile incident response team',
        capabilities: ['malware-analysis', 'digital-forensics', 'incident-handling'],
        modes: ['remote', 'on-site'],
        always: false,
        coverage: [{ days: WEEKDAYS_MON_FRI, from: '08:00', to: '18:00' }],
        response_hours: { remote: 1, 'on-site': 3 },
        languages: ['de', 'en'],
      });
      // Germany only: the fastest, but no other member may know of it.
      const malware = ['malware-analysis'];
      await register('dieter', 'deuOnly', { name: 'German reserve', capabilities: malware, tlp: 'amber', releasability: ['DEU'], response_hours: { 'on-site': 1 } });
      // 24/7 in France, on site in 2 hours.
      await register('francois', 'fra', { name: 'CERT on-site team', capabilities: malware, time_zone: 'Europe/Paris', languages: ['fr', 'en'] });
      // Too slow for 4 hours; Estonia only.
      await register('eero', 'est', { name: 'Estonian reserve', capabilities: malware, time_zone: 'Europe/Tallinn', response_hours: { 'on-site': 6 }, tlp: 'amber', releasability: ['EST'] });
      // New York office hours: off call now (04:30 EST), on call from 09:00 EST (14:00Z), then on site in 1 hour.
      await register('uma', 'usa', {
        name: 'Cyber protection team',
        capabilities: malware,
        time_zone: 'America/New_York',
        always: false,
        coverage: [{ days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' }],
        response_hours: { 'on-site': 1 },
      });
      // Remote only; a partner's, released to its partners and allies.
      await register('anna', 'aut', { name: 'Remote malware lab', capabilities: malware, modes: ['remote'], response_hours: { remote: 1 }, releasability: ['PARTNERS', 'ALLIANCE'] });
      // Stood down: never answered.
      await register('francois', 'fraDown', { name: 'Legal advisers', capabilities: ['legal-support', 'malware-analysis'], status: 'stood-down', response_hours: { 'on-site': 1 } });
    });
    after(async () => node?.close());

    it('registers a team in the member\'s name, audited, with its location, and reads it back', async () => {
      const answer = await call('dieter', 'POST', '/api/v1/assistance/teams', teamBody({ name: 'Assessment cell', capabilities: ['vulnerability-assessment'] }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      const team = answer.body as unknown as StandbyTeam;
      assert.match(team.id, /^team--[0-9a-f-]{36}$/);
      assert.equal(answer.headers.location, `/api/v1/assistance/teams/${team.id}`);
      assert.equal(team.member, 'DEU');
      assert.equal(team.version, 1);
      assert.equal(team.status, 'standing-by');
      assert.equal(team.clearance, 'SECRET');
      assert.deepEqual(team.response_hours, { remote: null, 'on-site': 2 });
      assert.deepEqual(team.handling, { tlp: 'green', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'] });
      assert.equal(team.created, NOW.toISOString(), 'dated on the node\'s clock');
      assert.equal(team.may_edit, true);
      const read = await ok<StandbyTeam>('francois', 'GET', `/api/v1/assistance/teams/${team.id}`);
      assert.deepEqual({ ...read, may_edit: true }, team);
      assert.equal(read.may_edit, false);
      assert.deepEqual(read.contacts, [{ name: 'Duty officer', role: 'team lead', phone: '+49 30 1234567', email: 'duty@example.org' }]);

      const defaults = await ok<StandbyTeam>('dieter', 'POST', '/api/v1/assistance/teams', { name: 'Defaults', capabilities: ['threat-hunting'], modes: ['remote'], size: 2, time_zone: 'UTC', always: true, response_hours: { remote: 8 } }, 201);
      assert.deepEqual(defaults.handling, { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: [...node.ctx.config.defaultReleasability] });
      assert.equal(defaults.clearance, 'UNCLASSIFIED');

      const actions = new Map<string, string>();
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === team.id) actions.set(entry.action, entry.actor);
      assert.ok(actions.get('assistance.team.register')?.includes('dieter'), 'the registration is in the audit log, by its writer');
    });

    it('is read by need to know: a team released to one member is neither listed nor found by another (404)', async () => {
      const deuOnly = teams.deuOnly!;
      assert.equal((await call('francois', 'GET', `/api/v1/assistance/teams/${deuOnly.id}`)).status, 404);
      assert.equal((await call('dieter', 'GET', `/api/v1/assistance/teams/${deuOnly.id}`)).status, 200);
      assert.equal((await call('doris', 'GET', `/api/v1/assistance/teams/${deuOnly.id}`)).status, 200, 'every user of the member reads it');
      assert.equal((await call('anna', 'GET', `/api/v1/assistance/teams/${teams.bsi!.id}`)).status, 404, 'a partner is not in ALLIANCE');
      assert.equal((await call('anna', 'GET', `/api/v1/assistance/teams/${teams.aut!.id}`)).status, 200);
      assert.equal((await call('francois', 'GET', '/api/v1/assistance/teams/team--00000000-0000-4000-8000-000000000000')).status, 404);

      const listed = async (who: string, query = '') => (await ok<{ teams: StandbyTeam[] }>(who, 'GET', `/api/v1/assistance/teams?limit=200${query}`)).teams.map((t) => t.id);
      const byFrance = await listed('francois');
      assert.ok(byFrance.includes(teams.bsi!.id) && byFrance.includes(teams.fra!.id));
      assert.ok(!byFrance.includes(deuOnly.id), 'not listed for France');
      assert.ok(!byFrance.includes(teams.est!.id), 'nor Estonia\'s own');
      assert.ok((await listed('dieter')).includes(deuOnly.id));
      assert.ok(!(await listed('francois', '&member=DEU')).includes(deuOnly.id), 'nor found by filtering on its member');
      const byAustria = await listed('anna');
      assert.ok(byAustria.includes(teams.aut!.id) && !byAustria.includes(teams.bsi!.id));
    });

    it('filters the roster by member, capability, mode and status, and pages it without repeats', async () => {
      const list = async (query: string) => (await ok<{ teams: StandbyTeam[] }>('dieter', 'GET', `/api/v1/assistance/teams?${query}`)).teams;
      assert.ok((await list('member=FRA,USA')).every((t) => t.member === 'FRA' || t.member === 'USA'));
      assert.deepEqual((await list('member=FRA&status=stood-down')).map((t) => t.id), [teams.fraDown!.id]);
      const forensics = await list('capability=digital-forensics');
      assert.ok(forensics.some((t) => t.id === teams.bsi!.id) && forensics.every((t) => t.capabilities.includes('digital-forensics')));
      const remote = await list('mode=remote');
      assert.ok(remote.some((t) => t.id === teams.bsi!.id) && remote.every((t) => t.modes.includes('remote')));
      assert.ok(!remote.some((t) => t.id === teams.fra!.id));

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { teams: StandbyTeam[]; next_cursor: string | null } = await ok('dieter', 'GET', `/api/v1/assistance/teams?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.teams.length <= 2);
        seen.push(...page.teams.map((t) => `${t.modified}|${t.id}`));
        cursor = page.next_cursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen, [...seen].sort().reverse(), 'newest change first');
      assert.ok(seen.length >= 6);
      assert.equal((await call('dieter', 'GET', '/api/v1/assistance/teams?cursor=bm9wZQ')).status, 400);
      assert.equal((await call('dieter', 'GET', '/api/v1/assistance/teams?capability=cooking')).status, 400);
      assert.equal((await call('dieter', 'GET', '/api/v1/assistance/teams?limit=201')).status, 400);
    });

    it('is changed only by its member\'s users with the roster permission: 403 for others who read it, 404 for those who do not', async () => {
      const team = await register('dieter', 'guarded', { name: 'Guarded team' });
      const foreign = await call('francois', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, name: 'Hijacked' });
      assert.equal(foreign.status, 403);
      assert.match(foreign.body.error!.message, /DEU/);
      const unreadable = await call('francois', 'PATCH', `/api/v1/assistance/teams/${teams.deuOnly!.id}`, { version: 1, name: 'Hijacked' });
      assert.equal(unreadable.status, 404, 'a team one may not read is not found, whatever one may write');
      assert.equal((await call('doris', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, name: 'x' })).status, 403, 'an analyst holds no assistance:roster');
      assert.equal((await call('doris', 'POST', '/api/v1/assistance/teams', teamBody())).status, 403);
      const colleague = await ok<StandbyTeam>('dagmar', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, size: 7, languages: ['de'] });
      assert.equal(colleague.size, 7);
      assert.equal(colleague.version, 2);
      assert.equal(colleague.modified > team.modified, true, 'a new version is dated after the last');
      assert.equal((await ok<StandbyTeam>('dieter', 'GET', `/api/v1/assistance/teams/${team.id}`)).name, 'Guarded team');
      // Nobody marks a team above their clearance.
      const fannyTeam = await call('fanny', 'POST', '/api/v1/assistance/teams', teamBody({ classification: 'CONFIDENTIAL' }));
      assert.equal(fannyTeam.status, 403);
      assert.match(fannyTeam.body.error!.message, /clearance/);
      const remark = await call('dieter', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 2, classification: 'TOP SECRET' });
      assert.equal(remark.status, 403);

      // The offer path: one's own member's team only.
      const francois = (await principalOfUser(node.ctx, 'francois'))!;
      const dieter = (await principalOfUser(node.ctx, 'dieter'))!;
      assert.equal((await teamForOffer(node.ctx, dieter, team.id)).id, team.id);
      await assert.rejects(teamForOffer(node.ctx, francois, team.id), (error: { status?: number }) => error.status === 403);
      await assert.rejects(teamForOffer(node.ctx, francois, teams.deuOnly!.id), (error: { status?: number }) => error.status === 404);
    });

    it('refuses a change made on a stale version with 409 and the current version, and audits each change', async () => {
      const team = await register('dieter', 'versioned', { name: 'Versioned team' });
      await ok('dieter', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, size: 5 });
      const stale = await call('dagmar', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, size: 9 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error!.code, 'SW_STALE_VERSION');
      assert.deepEqual(stale.body.error!.details, { current_version: 2 });
      assert.equal((await ok<StandbyTeam>('dieter', 'GET', `/api/v1/assistance/teams/${team.id}`)).size, 5);
      const updates: Array<Record<string, unknown>> = [];
      for await (const entry of audit.entries(node.ctx)) if (entry.subject === team.id && entry.action === 'assistance.team.update') updates.push(entry.detail ?? {});
      assert.equal(updates.length, 1, 'the refused change left no entry');
      assert.deepEqual(updates[0]!.fields, ['size']);
      assert.equal(updates[0]!.version, 2);
    });

    it('answers 400 naming the field for anything out of bounds', async () => {
      const refused = async (overrides: Record<string, unknown>, where: RegExp) => {
        const answer = await call('dieter', 'POST', '/api/v1/assistance/teams', teamBody(overrides));
        assert.equal(answer.status, 400, `${JSON.stringify(overrides).slice(0, 200)}: ${JSON.stringify(answer.body)}`);
        const text = `${answer.body.error!.message} ${JSON.stringify(answer.body.error!.details ?? '')}`;
        assert.match(text, where, JSON.stringify(answer.body));
      };
      await refused({ name: 'x'.repeat(201) }, /body\.name/);
      await refused({ name: '' }, /body\.name/);
      await refused({ capabilities: ['cooking'] }, /body\.capabilities/);
      await refused({ capabilities: [] }, /body\.capabilities/);
      await refused({ modes: ['by-carrier-pigeon'] }, /body\.modes/);
      await refused({ size: 0 }, /body\.size/);
      await refused({ size: 501 }, /body\.size/);
      await refused({ clearance: 'COSMIC' }, /body\.clearance/);
      await refused({ languages: ['xx'] }, /body\.languages/);
      await refused({ languages: Array.from({ length: 21 }, (_, i) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26))) }, /body\.languages/);
      await refused({ time_zone: 'Mars/Olympus_Mons' }, /body\.time_zone/);
      await refused({ time_zone: '+01:00' }, /body\.time_zone/);
      await refused({ always: false, coverage: [] }, /body\.coverage/);
      await refused({ always: false, coverage: [{ days: ['tue'], from: '09:00', to: '09:00' }] }, /coverage\[0\]: from and to are both 09:00/);
      await refused({ always: false, coverage: [{ days: ['tue'], from: '25:00', to: '09:00' }] }, /body\.coverage\.0\.from/);
      await refused({ always: false, coverage: Array.from({ length: 29 }, () => ({ days: ['mon'], from: '08:00', to: '09:00' })) }, /body\.coverage/);
      await refused({ always: true, coverage: [{ days: ['mon'], from: '08:00', to: '09:00' }] }, /body\.coverage/);
      await refused({ response_hours: {} }, /body\.response_hours\.on-site/);
      await refused({ response_hours: { 'on-site': 2, remote: 1 } }, /body\.response_hours\.remote/);
      await refused({ response_hours: { 'on-site': 721 } }, /body\.response_hours/);
      await refused({ contacts: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, phone: '+1 555 0100' })) }, /body\.contacts/);
      await refused({ contacts: [{ name: 'Nobody' }] }, /body\.contacts\[0\]/);
      await refused({ contacts: [{ name: 'Bad phone', phone: 'call me' }] }, /body\.contacts\[0\]\.phone/);
      await refused({ contacts: [{ name: 'Bad mail', email: 'not-an-address' }] }, /body\.contacts\[0\]\.email/);
      await refused({ status: 'asleep' }, /body\.status/);
      await refused({ classification: 'COSMIC' }, /body\.classification/);
      await refused({ releasability: ['DEU,FRA'] }, /body\.releasability/);

      const team = teams.bsi!;
      const patch = await call('dieter', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: team.version, modes: ['remote', 'on-site'], response_hours: { 'on-site': null } });
      assert.equal(patch.status, 400);
      assert.match(patch.body.error!.message, /response_hours\.on-site/);
      assert.equal((await call('dieter', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: team.version })).status, 400, 'a change changes something');

      for (const query of ['capability=cooking', 'mode=teleport', 'within_hours=721', 'within_hours=-1', 'at=yesterday', 'limit=0', 'limit=201']) {
        const answer = await call('francois', 'GET', `/api/v1/assistance/standby?${query}`);
        assert.equal(answer.status, 400, `${query}: ${JSON.stringify(answer.body)}`);
        assert.match(JSON.stringify(answer.body.error), /querystring/, query);
      }
    });

    it('answers "who can help with malware analysis on site within 4 hours, right now" on the node\'s clock and each team\'s wall clock', async () => {
      const query = 'capability=malware-analysis&mode=on-site&within_hours=4';
      const france = await standby('francois', query);
      assert.equal(france.at, NOW.toISOString(), 'right now is the node\'s clock');
      assert.deepEqual(france.capabilities, ['malware-analysis']);
      assert.equal(france.mode, 'on-site');
      assert.equal(france.within_hours, 4);
      // France's own 24/7 team (2 h), then Germany's office-hours team (10:30 in Berlin, 3 h). Not
      // the German reserve (not released to France), nor Estonia's (6 h, and not released), nor the
      // American one (04:30 in New York), nor the Austrian (remote only), nor the one stood down.
      assert.deepEqual(france.teams.map((m) => m.team.id), [teams.fra!.id, teams.bsi!.id]);
      assert.deepEqual(france.teams.map((m) => [m.on_call, m.mode, m.response_hours, m.ready_in_hours, m.next_on_call]), [
        [true, 'on-site', 2, 2, null],
        [true, 'on-site', 3, 3, null],
      ]);
      assert.deepEqual(france.teams[1]!.team.contacts[0], { name: 'Duty officer', role: 'team lead', phone: '+49 30 1234567', email: 'duty@example.org' }, 'whom to call comes with the answer');
      assert.equal(france.truncated, false);

      const germany = await standby('dieter', query);
      assert.deepEqual(germany.teams.map((m) => m.team.id).slice(0, 3), [teams.deuOnly!.id, teams.fra!.id, teams.bsi!.id], 'Germany also sees its reserve, fastest first');

      // Asked with the teams off call too: the American team, off call at 04:30 in New York, is
      // flagged with when it is next on call (09:00 EST, 14:00Z) and counted ready an hour later.
      const withOffCall = await standby('francois', 'capability=malware-analysis&mode=on-site&include_off_call=true');
      assert.deepEqual(withOffCall.teams.map((m) => [m.team.id, m.on_call, m.next_on_call, m.ready_in_hours]), [
        [teams.fra!.id, true, null, 2],
        [teams.bsi!.id, true, null, 3],
        [teams.usa!.id, false, '2026-11-04T14:00:00.000Z', 4.5 + 1],
      ]);
      assert.equal(withOffCall.include_off_call, true);

      // The same question at 19:30 in Berlin (13:30 in New York): Germany's office team is off
      // call, the American one on call.
      const evening = await standby('francois', `${query}&at=2026-11-04T18:30:00Z`);
      assert.equal(evening.at, '2026-11-04T18:30:00.000Z');
      assert.deepEqual(evening.teams.map((m) => m.team.id), [teams.usa!.id, teams.fra!.id]);
      const eveningAll = await standby('francois', 'capability=malware-analysis&mode=on-site&at=2026-11-04T18:30:00Z&include_off_call=true');
      const bsi = eveningAll.teams.find((m) => m.team.id === teams.bsi!.id)!;
      assert.equal(bsi.on_call, false);
      assert.equal(bsi.next_on_call, '2026-11-05T07:00:00.000Z', 'Thursday 08:00 CET');
      assert.equal(bsi.ready_in_hours, 12.5 + 3);
      assert.equal(eveningAll.teams.at(-1)!.team.id, teams.bsi!.id, 'the longest wait last');
      // Within 4 hours counts the wait: at 13:00Z New York comes on call in an hour and is on site an hour later.
      const soon = await standby('francois', `${query}&at=2026-11-04T13:00:00Z&include_off_call=true`);
      assert.deepEqual(soon.teams.map((m) => [m.team.id, m.on_call, m.ready_in_hours]), [
        [teams.fra!.id, true, 2],
        [teams.usa!.id, false, 2],
        [teams.bsi!.id, true, 3],
      ]);
      assert.deepEqual((await standby('francois', `${query}&at=2026-11-04T13:00:00Z`)).teams.map((m) => m.team.id), [teams.fra!.id, teams.bsi!.id], 'without include_off_call, only those on call');

      // Summer time is each team's own: Monday 30 March 2026 08:00 in Berlin is 06:00Z (CEST), Friday 27 March 07:30 CET is 06:30Z.
      assert.ok((await standby('francois', `${query}&at=2026-03-30T06:00:00Z`)).teams.some((m) => m.team.id === teams.bsi!.id));
      assert.ok(!(await standby('francois', `${query}&at=2026-03-27T06:30:00Z`)).teams.some((m) => m.team.id === teams.bsi!.id));

      // Remote help: the Austrian lab and the German team's remote side, for a partner only the first.
      const remote = await standby('anna', 'capability=malware-analysis&mode=remote');
      assert.deepEqual(remote.teams.map((m) => m.team.id), [teams.aut!.id]);
      const remoteForFrance = await standby('francois', 'capability=malware-analysis,digital-forensics&mode=remote');
      assert.deepEqual(remoteForFrance.teams.map((m) => [m.team.id, m.mode, m.response_hours]), [[teams.bsi!.id, 'remote', 1]], 'every capability asked');
      // No mode asked: each team's faster way.
      const any = await standby('francois', 'capability=digital-forensics');
      assert.deepEqual(any.teams.map((m) => [m.team.id, m.mode]), [[teams.bsi!.id, 'remote']]);
    });

    it('stood down, a team is answered no more; standing by again, it is', async () => {
      const team = await register('francois', 'toggled', { name: 'Toggled team', capabilities: ['ot-ics-recovery'], response_hours: { 'on-site': 4 } });
      const ask = async () => (await standby('dieter', 'capability=ot-ics-recovery&mode=on-site&within_hours=4')).teams.map((m) => m.team.id);
      assert.deepEqual(await ask(), [team.id]);
      const down = await ok<StandbyTeam>('francois', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 1, status: 'stood-down' });
      assert.equal(down.status, 'stood-down');
      assert.deepEqual(await ask(), []);
      assert.deepEqual(await membersWithStandby(node.ctx, ['ot-ics-recovery'], 'either'), []);
      await ok('francois', 'PATCH', `/api/v1/assistance/teams/${team.id}`, { version: 2, status: 'standing-by' });
      assert.deepEqual(await ask(), [team.id]);
      assert.deepEqual(await membersWithStandby(node.ctx, ['ot-ics-recovery'], 'either'), ['FRA']);
    });

    it('names the members a request reaches: a standing-by team with one of the capabilities, in a mode that serves it, whatever its hours', async () => {
      // Read as the node: Estonia's team counts though France may not read it; the American team
      // counts though it is off call.
      assert.deepEqual(await membersWithStandby(node.ctx, ['malware-analysis'], 'on-site'), ['DEU', 'EST', 'FRA', 'USA']);
      assert.deepEqual(await membersWithStandby(node.ctx, ['malware-analysis'], 'on-site', 'DEU'), ['EST', 'FRA', 'USA'], 'not the requester');
      assert.deepEqual(await membersWithStandby(node.ctx, ['malware-analysis'], 'remote'), ['AUT', 'DEU']);
      assert.deepEqual(await membersWithStandby(node.ctx, ['malware-analysis'], 'either'), ['AUT', 'DEU', 'EST', 'FRA', 'USA']);
      assert.deepEqual(await membersWithStandby(node.ctx, ['incident-handling', 'crisis-management'], 'either'), ['DEU'], 'one of the capabilities is enough');
      assert.deepEqual(await membersWithStandby(node.ctx, ['legal-support'], 'either'), [], 'the legal advisers stood down');
      assert.deepEqual(await membersWithStandby(node.ctx, [], 'either'), []);
      assert.deepEqual(await membersWithStandby(node.ctx, ['no-such-capability'], 'either'), []);
    });
  });
}
