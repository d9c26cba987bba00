/**
 * shieldwall assistance, run in this process as the command line registers it (no process
 * spawned per command): on the store directly as a user (--as), and on a running node with a
 * token (--url/--token). A request goes through its approvals, an offer, a deployment to its
 * closure; tables for people, JSON with --json; failures as CliErrors with the exit statuses of
 * the other commands.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import type { AppContext } from '../core/context.js';
import type { AssistanceRequest, Deployment, Offer, ResponseClock, StandbyTeam } from '../modules/assistance/assistance.model.js';
import { addToGroup, createToken, createUser, principalOfUser, upsertMembers } from '../modules/directory/directory.service.js';
import { getIncident, reportIncident } from '../modules/incidents/incidents.service.js';
import { SYSTEM_PRINCIPAL, type Role } from '../policy/principal.js';
import { clockText, daysText, duration, parseContact, parseWindow, registerAssistance, timeOf } from './assistance.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';

/** Runs `shieldwall assistance ARGS` in this process: what it printed, or the error it failed with. */
async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride().configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  registerAssistance(program, { out: (text) => (out += text), err: (text) => (err += text) });
  await program.parseAsync(['assistance', ...args], { from: 'user' });
  return { out, err };
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse((await run([...args, '--json'])).out) as T;
}

async function fails(args: string[], status: number, message: RegExp): Promise<void> {
  await assert.rejects(run(args), (error: unknown) => {
    assert.ok(error instanceof CliError, `not a CliError: ${String(error)}`);
    assert.equal(error.status, status, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** The members and users both stores hold: a stricken ally, a helping ally, the alliance body and its two coordinators. */
async function populate(ctx: AppContext): Promise<string> {
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [
    { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: null },
    { code: 'FIN', name: 'Finland', kind: 'ally', country: 'FI', identityId: null },
    { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, identityId: null },
  ]);
  await addToGroup(ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
  const users: Array<[string, string, Role[], number]> = [
    ['eve', 'EST', ['incident-handler'], 2],
    ['erik', 'EST', ['analyst'], 2],
    ['fia', 'FIN', ['incident-handler'], 3],
    ['carla', 'NCIRC', ['coordinator'], 3],
    ['conor', 'NCIRC', ['coordinator'], 3],
  ];
  for (const [name, member, roles, clearance] of users) await createUser(ctx, SYSTEM_PRINCIPAL, { name, member, clearance, roles });
  const eve = (await principalOfUser(ctx, 'eve'))!;
  const incident = await reportIncident(ctx, eve, { title: 'Mail accounts taken over at the defence ministry', tlp: 'amber', releasability: ['ALLIANCE'] });
  return incident.id;
}

describe('shieldwall assistance: presenting and reading options', () => {
  it('renders a clock as elapsed/target, OVERDUE past its target', () => {
    const clock = (over: Partial<ResponseClock>): ResponseClock => ({ milestone: 'approval', reached_at: null, elapsed_ms: 0, target_ms: 4 * 3_600_000, overdue: false, running: true, ...over });
    assert.equal(clockText(clock({ elapsed_ms: 65 * 60_000 })), '1h05m/4h (running)');
    assert.equal(clockText(clock({ elapsed_ms: 5 * 3_600_000, overdue: true })), '5h/4h OVERDUE (running)');
    assert.equal(clockText(clock({ elapsed_ms: 26 * 3_600_000, overdue: true, running: false, reached_at: '2026-11-03T10:00:00.000Z' })), '1d02h/4h OVERDUE (reached 2026-11-03 10:00Z)');
    assert.equal(clockText(clock({ elapsed_ms: 40_000, running: false })), '40s/4h (stopped)');
    assert.equal(duration(7 * 24 * 3_600_000), '7d');
  });

  it('reads coverage windows, contacts and times, and says what is wrong', () => {
    assert.deepEqual(parseWindow('mon-fri 08:00-18:00'), { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' });
    assert.deepEqual(parseWindow('fri-mon 22:00-06:00').days, ['fri', 'sat', 'sun', 'mon']);
    assert.deepEqual(parseWindow('sat,sun 00:00-24:00').days, ['sat', 'sun']);
    assert.equal(daysText(['mon', 'tue', 'wed', 'thu', 'fri']), 'mon-fri');
    assert.equal(daysText(['sun', 'mon', 'wed', 'thu', 'fri', 'sat']), 'mon,wed-sun');
    assert.equal(daysText(['sat', 'sun']), 'sat,sun');
    assert.throws(() => parseWindow('weekdays 08:00-18:00'), /'weekdays' is not a day/);
    assert.throws(() => parseWindow('mon 8-18'), /DAYS FROM-TO/);
    assert.deepEqual(parseContact('name=Duty officer,phone=+00 000 0001'), { name: 'Duty officer', role: null, phone: '+00 000 0001', email: null });
    assert.throws(() => parseContact('phone=+00 000 0001'), /no name=/);
    assert.throws(() => parseContact('name=A,fax=1'), /'fax=1' is not name=/);
    const now = new Date('2026-11-02T08:00:00Z');
    assert.equal(timeOf('+4h', '--from', undefined, now).toISOString(), '2026-11-02T12:00:00.000Z');
    assert.equal(timeOf('+14d', '--until', new Date('2026-11-03T00:00:00Z'), now).toISOString(), '2026-11-17T00:00:00.000Z');
    assert.equal(timeOf('2026-12-01T09:30:00Z', '--at').toISOString(), '2026-12-01T09:30:00.000Z');
    assert.throws(() => timeOf('tomorrow', '--from'), (error: unknown) => error instanceof CliError && error.status === EXIT.usage && /is not a time/.test(error.message));
  });
});

describe('shieldwall assistance on the store directly (--as)', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let incidentId: string;
  // The store's settings come from the environment, as on an operator's shell: the runner's own
  // SHIELDWALL_* variables (SHIELDWALL_TEST_PG under CI, a database URL) are set aside meanwhile.
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('SHIELDWALL_'));

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-assistance-'));
    for (const [key] of saved) delete process.env[key];
    process.env.SHIELDWALL_DATA_DIR = path.join(dir, 'data');
    incidentId = await withLocalStore(populate);
  });
  after(() => {
    delete process.env.SHIELDWALL_DATA_DIR;
    for (const [key, value] of saved) process.env[key] = value;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a request from the roster through approvals, an offer and a deployment to its closure', async () => {
    const file = path.join(dir, 'team.json');
    writeFileSync(file, JSON.stringify({ name: 'Hunt cell', size: 4, clearance: 'SECRET', languages: ['fi', 'en'], time_zone: 'Europe/Helsinki', always: true }));
    const team = await json<StandbyTeam>([
      'team', 'add', '--as', 'fia', '--file', file, '--capability', 'threat-hunting,digital-forensics', '--mode', 'remote', '--remote-hours', '1',
      '--contact', 'name=Hunt lead,phone=+00 000 0001,email=hunt@fin.example.org',
    ]);
    assert.equal(team.member, 'FIN');
    assert.deepEqual(team.capabilities, ['threat-hunting', 'digital-forensics']);
    assert.equal(team.always, true);
    assert.match((await run(['teams', '--as', 'eve'])).out, /^ID +MEMBER +NAME[^\n]*\nteam--\S+ +FIN +Hunt cell +threat-hunting,digital-forensics +remote 1h +24\/7/);

    const who = (await run(['standby', '--as', 'eve', '--capability', 'threat-hunting', '--mode', 'remote', '--within', '4'])).out;
    assert.match(who, /Who can help: threat-hunting, remote, at work within 4h/);
    assert.match(who, /Hunt cell +FIN +remote +1h +yes +Hunt lead \+00 000 0001/);
    assert.match((await run(['standby', '--as', 'eve', '--capability', 'threat-hunting', '--mode', 'on-site'])).out, /no standing-by team you may read matches/);

    const requested = await json<AssistanceRequest>([
      'request', '--as', 'eve', '--incident', incidentId, '--title', 'Hunt for persistence after a mail compromise', '--capability', 'threat-hunting', 'digital-forensics',
      '--urgency', 'high', '--mode', 'either', '--clearance', 'restricted', '--language', 'en', '--duration-days', '14', '--classification', 'RESTRICTED', '--releasability', 'ALLIANCE',
    ]);
    assert.equal(requested.status, 'submitted');
    assert.equal(requested.approvals_required, 2);
    assert.deepEqual(requested.constraints, { clearance: 'RESTRICTED', languages: ['en'], duration_days: 14, other: null });
    const id = requested.id;
    const board = (await run(['list', '--as', 'carla'])).out;
    assert.match(board, new RegExp(`^${id} +submitted +high +either +EST +0 +0 +approval \\S+/4h +Hunt for persistence`, 'm'));

    const half = (await run(['approve', id, '--as', 'carla', '--conditions', 'remote work first'])).out;
    assert.match(half, /Approvals: +1 of 2: carla \(NCIRC\) [^,]+, conditions: remote work first/);
    await fails(['approve', id, '--as', 'carla'], EXIT.failed, /SW_CONFLICT: you approved request .* already/);
    const approved = await json<AssistanceRequest>(['approve', id, '--as', 'conor']);
    assert.equal(approved.status, 'approved');
    assert.deepEqual(approved.released_to, ['FIN']);

    const offer = await json<Offer>([
      'offer', id, '--as', 'fia', '--capability', 'threat-hunting', '--size', '4', '--clearance', 'SECRET', '--mode', 'remote', '--from', 'now', '--until', '+14d', '--team', team.id,
    ]);
    assert.equal(offer.team_name, 'Hunt cell');
    assert.equal(Date.parse(offer.available_until!) - Date.parse(offer.available_from), 14 * 86_400_000);
    assert.match((await run(['show', offer.id, '--as', 'eve'])).out, /You may: +accept, decline/);
    const accepted = await json<Offer>(['accept', offer.id, '--as', 'eve']);
    assert.equal(accepted.status, 'accepted');
    const deployment = accepted.deployment_id!;

    assert.equal((await json<Deployment>(['deploy', deployment, '--as', 'fia', '--status', 'active'])).status, 'active');
    const reported = (await run(['sitrep', deployment, '--as', 'fia', '--text', 'No persistence found on 300 endpoints'])).out;
    assert.match(reported, /Situation reports \(1\)\n {2}\S+ \S+ {2}fia \(FIN\): No persistence found on 300 endpoints/);
    await run(['deploy', deployment, '--as', 'fia', '--status', 'demobilised']);
    await fails(['deploy', deployment, '--as', 'eve', '--status', 'closed'], EXIT.usage, /closed with its lessons learned: give --lessons/);
    const closed = await json<Deployment>(['deploy', deployment, '--as', 'eve', '--status', 'closed', '--lessons', 'Agree the log export format in advance', '--share-with-incident']);
    assert.equal(closed.status, 'closed');
    await fails(['deploy', deployment, '--as', 'fia', '--status', 'active'], EXIT.failed, /SW_INVALID_TRANSITION: deployment .* is closed: it cannot become active; closed is final/);
    const incident = await withLocalStore(async (ctx) => getIncident(ctx, (await principalOfUser(ctx, 'eve'))!, incidentId));
    assert.ok(incident.timeline.some((entry) => entry.text.includes('Lessons learned: Agree the log export format in advance')));

    const shown = (await run(['show', id, '--as', 'eve'])).out;
    assert.match(shown, /^Request for assistance assistance-request--/);
    assert.match(shown, /Status: +assisting \(next: closed\)/);
    assert.match(shown, /time to approval +\S+\/4h \(reached /);
    assert.match(shown, /time to deployment \(a team active\) +\S+\/2d \(reached /);
    assert.match(shown, /Offers \(1\)\n.*\n {2}assistance-offer--\S+ +FIN +Hunt cell +threat-hunting +remote +4 +SECRET +\S+ \S+ +accepted/);
    assert.match(shown, /Deployments \(1\)\n.*\n {2}assistance-deployment--\S+ +closed +FIN +EST/);

    const deployments = await json<{ deployments: Deployment[] }>(['deployments', '--as', 'eve', '--status', 'closed']);
    assert.deepEqual(deployments.deployments.map((d) => d.id), [deployment]);
    const clocks = await json<{ cycle_kind: string; cycles: Array<{ requests: number; approval: { reached: number } }> }>(['clocks', '--as', 'eve', '--cycle', 'month', '--cycles', '2']);
    assert.equal(clocks.cycle_kind, 'month');
    assert.equal(clocks.cycles.length, 2);
    assert.equal(clocks.cycles[0]!.requests, 1);
    assert.equal(clocks.cycles[0]!.approval.reached, 1);
    assert.match((await run(['clocks', '--as', 'eve'])).out, /^CYCLE +REQUESTS +APPROVAL[^\n]*\n\d{4}-Q\d +1 +1\/1 reached, median /);

    assert.equal((await json<AssistanceRequest>(['close', id, '--as', 'eve'])).status, 'closed');
  });

  it('refuses with the exit statuses of the other commands, naming the cause and the fix', async () => {
    await fails(['list'], EXIT.usage, /--url and --token of a running node, or --as USER/);
    await fails(['list', '--as', 'nobody'], EXIT.usage, /--as 'nobody': no such user/);
    await fails(['list', '--as', 'eve', '--status', 'open'], EXIT.usage, /--status 'open' is not one of submitted, approved/);
    await fails(['show', 'incident--1', '--as', 'eve'], EXIT.usage, /is not the id of a request/);
    await fails(['accept', `assistance-request--${randomUUID()}`, '--as', 'eve'], EXIT.usage, /accept takes the id of an offer, not of a request/);
    await fails(['show', `assistance-request--${randomUUID()}`, '--as', 'eve'], EXIT.notFound, /SW_NOT_FOUND: no request for assistance/);
    // An analyst reads, but requests nothing: the route's permission, held on the store too.
    const request = ['request', '--incident', incidentId, '--title', 'Help', '--capability', 'legal-support', '--urgency', 'routine', '--mode', 'remote'];
    await fails([...request, '--as', 'erik'], EXIT.forbidden, /requesting assistance needs the permission assistance:write, which the roles of erik do not give/);
    await fails([...request, '--as', 'eve', '--urgency', 'soon'], EXIT.usage, /--urgency 'soon' is not one of critical, high, routine/);
    await fails([...request, '--as', 'eve', '--capability', 'hacking-back'], EXIT.usage, /--capability 'hacking-back' is not one of incident-handling/);
    // What the node's schema would refuse is refused on the store as well.
    await fails([...request, '--as', 'eve', '--title', 'x'.repeat(301)], EXIT.failed, /the request is not valid: title: /);
    await fails([...request, '--as', 'eve', '--language', 'english'], EXIT.failed, /the request is not valid: constraints\.languages\.0: /);
    // A coordinator's decision is the coordinators'.
    const open = await json<AssistanceRequest>([...request, '--as', 'eve']);
    await fails(['reject', open.id, '--as', 'eve', '--reason', 'no'], EXIT.forbidden, /SW_FORBIDDEN: deciding on requests for assistance needs the permission assistance:approve/);
    assert.equal((await json<AssistanceRequest>(['reject', open.id, '--as', 'carla', '--reason', 'legal support is national'])).status, 'rejected');
    await fails(['team', 'add', '--as', 'fia', '--name', 'Cell'], EXIT.usage, /a standby team needs capabilities, modes, size, time_zone: give --capability, --mode, --size, --time-zone/);
    await fails(
      ['team', 'add', '--as', 'fia', '--name', 'Cell', '--capability', 'threat-hunting', '--mode', 'remote', '--size', '2', '--time-zone', 'Mars/Olympus', '--always', '--remote-hours', '2'],
      EXIT.failed,
      /SW_BAD_REQUEST: the standby team is not valid: body\.time_zone: 'Mars\/Olympus' is not an IANA time zone/,
    );
    await fails(['team', 'add', '--as', 'fia', '--file', path.join(dir, 'absent.json')], EXIT.input, /cannot read the standby team from/);
  });
});

describe('shieldwall assistance on a running node (--url/--token)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  let incidentId: string;
  const tokens: Record<string, string> = {};
  const as = (name: string) => ['--url', url, '--token', tokens[name]!];

  before(async () => {
    node = await createTestNode('sqlite');
    incidentId = await populate(node.ctx);
    for (const name of ['eve', 'fia', 'carla', 'conor']) tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `cli-${name}`, user: name })).token;
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const address = node.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(async () => node?.close());

  it('works through the API as the tokens\' users, with the same tables and JSON', async () => {
    const team = await json<StandbyTeam>([
      'team', 'add', ...as('fia'), '--name', 'Forensics cell', '--capability', 'digital-forensics', '--mode', 'remote', 'on-site', '--size', '3',
      '--time-zone', 'Europe/Helsinki', '--window', 'mon-fri 08:00-16:00', '--remote-hours', '2', '--on-site-hours', '24', '--contact', 'name=Duty,email=duty@fin.example.org',
    ]);
    assert.deepEqual(team.coverage, [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '16:00' }]);
    assert.match((await run(['show', team.id, ...as('eve')])).out, /On call: +mon-fri 08:00-16:00 \(Europe\/Helsinki\)/);
    assert.deepEqual((await json<{ teams: StandbyTeam[] }>(['teams', ...as('eve'), '--member', 'FIN', '--mode', 'on-site'])).teams.map((t) => t.id), [team.id]);
    // Off call at a Sunday noon in Helsinki; asked with --include-off-call, it says when it next is.
    const sunday = await json<{ teams: Array<{ on_call: boolean; next_on_call: string | null }> }>([
      'standby', ...as('eve'), '--capability', 'digital-forensics', '--at', '2026-11-08T10:00:00Z', '--include-off-call',
    ]);
    assert.deepEqual(sunday.teams.map((t) => [t.on_call, t.next_on_call]), [[false, '2026-11-09T06:00:00.000Z']]);

    const request = await json<AssistanceRequest>([
      'request', ...as('eve'), '--incident', incidentId, '--title', 'Forensic triage of the mail platform', '--capability', 'digital-forensics', '--urgency', 'critical', '--mode', 'on-site',
    ]);
    await run(['approve', request.id, ...as('carla')]);
    assert.equal((await json<AssistanceRequest>(['approve', request.id, ...as('conor'), '--conditions', 'host liaison present'])).status, 'approved');
    const board = (await run(['list', ...as('eve'), '--status', 'approved', '--urgency', 'critical'])).out;
    assert.match(board, new RegExp(`^${request.id} +approved +critical +on-site +EST +0 +0 +first offer \\S+/4h +Forensic triage`, 'm'));
    // A member it reached sees the approval clock alone: the others stop at other members' offers.
    const offering = (await run(['list', ...as('fia'), '--status', 'approved', '--urgency', 'critical'])).out;
    assert.match(offering, new RegExp(`^${request.id} +approved +critical +on-site +EST +0 +0 +approval \\S+/1h +Forensic triage`, 'm'));

    const offer = await json<Offer>(['offer', request.id, ...as('fia'), '--capability', 'digital-forensics', '--size', '3', '--clearance', 'CONFIDENTIAL', '--mode', 'on-site', '--from', '+1d']);
    assert.equal((await json<Offer>(['show', offer.id, ...as('eve')])).may_decide, true);
    const declined = await json<Offer>(['decline', offer.id, ...as('eve'), '--reason', 'a team closer to home came forward']);
    assert.equal(declined.reason, 'a team closer to home came forward');
    const second = await json<Offer>(['offer', request.id, ...as('fia'), '--capability', 'digital-forensics', '--size', '2', '--clearance', 'SECRET', '--mode', 'on-site', '--team', team.id]);
    const deploymentId = (await json<Offer>(['accept', second.id, ...as('eve')])).deployment_id!;
    await run(['deploy', deploymentId, ...as('fia'), '--status', 'active']);
    const withReport = await json<Deployment>(['sitrep', deploymentId, ...as('eve'), '--text', 'Images of 12 hosts taken']);
    assert.deepEqual(withReport.sitreps.map((s) => `${s.member}: ${s.text}`), ['EST: Images of 12 hosts taken']);
    assert.match((await run(['show', deploymentId, ...as('fia')])).out, /Team: +Forensics cell of FIN, helping EST/);
    assert.match((await run(['deployments', ...as('fia'), '--status', 'active'])).out, new RegExp(`^${deploymentId} +active +FIN +EST +Forensics cell +on-site +1 `, 'm'));
    const clocks = await json<{ cycles: Array<{ requests: number }> }>(['clocks', ...as('eve'), '--cycle', 'year', '--cycles', '1']);
    assert.equal(clocks.cycles[0]!.requests, 1);

    // The node's refusals keep their exit statuses.
    await fails(['withdraw', request.id, ...as('eve')], EXIT.failed, /the node answered 409 SW_INVALID_TRANSITION: request .* is assisting: it cannot become withdrawn/);
    await fails(['withdraw', second.id, ...as('fia')], EXIT.failed, /the node answered 409 SW_INVALID_TRANSITION: offer .* is accepted/);
    await fails(['show', `assistance-deployment--${randomUUID()}`, ...as('eve')], EXIT.notFound, /the node answered 404 SW_NOT_FOUND: no deployment/);
    await fails(['approve', request.id, '--url', url, '--token', 'x'.repeat(64)], EXIT.tokenRefused, /token refused/);
    await fails(['list', '--url', url], EXIT.usage, /--url needs --token/);
  });
});
