/**
 * shieldwall decisions, run in this process as the command line registers it (no process
 * spawned per command): on the store directly as a user (--as), and on a running node with a
 * token (--url/--token). A consultation with its statements, document and minutes; a proposal
 * circulated, its silence broken, amended, circulated again and adopted at its deadline; an
 * attribution statement joined, declined and exported; tables for people, JSON with --json;
 * failures as CliErrors with the exit statuses of the other commands.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import { fixedClock } from '../core/clock.js';
import type { AppContext } from '../core/context.js';
import type { Consultation, DecisionRecord, Proposal, ProposalSummary, Statement } from '../modules/decisions/decisions.model.js';
import { resolveSilence } from '../modules/decisions/decisions.service.js';
import { addToGroup, createToken, createUser, upsertMembers } from '../modules/directory/directory.service.js';
import { ingestObjects } from '../modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Role } from '../policy/principal.js';
import { registerDecisions } from './decisions.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';

/** Runs `shieldwall decisions ARGS` in this process: what it printed, or the error it failed with. */
async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride().configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  registerDecisions(program, { out: (text) => (out += text), err: (text) => (err += text) });
  await program.parseAsync(['decisions', ...args], { from: 'user' });
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

const ACTOR = `intrusion-set--${randomUUID()}`;
const PARENT = `threat-actor--${randomUUID()}`;

/** The members, users and actor both stores hold: three Allies, the alliance body, their delegates, an analyst. */
async function populate(ctx: AppContext): Promise<void> {
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [
    { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: `identity--${randomUUID()}` },
    { code: 'LVA', name: 'Latvia', kind: 'ally', country: 'LV', identityId: null },
    { code: 'FIN', name: 'Finland', kind: 'ally', country: 'FI', identityId: null },
    { code: 'NCIRC', name: 'Alliance incident response capability', kind: 'international-organisation', country: null, identityId: null },
  ]);
  await addToGroup(ctx, SYSTEM_PRINCIPAL, 'ALLIANCE', 'Allies and alliance bodies', ['NCIRC']);
  const users: Array<[string, string, Role[]]> = [
    ['ella', 'EST', ['political-delegate']],
    ['anna', 'EST', ['analyst']],
    ['lars', 'LVA', ['political-delegate']],
    ['fanny', 'FIN', ['political-delegate']],
    ['carla', 'NCIRC', ['coordinator']],
  ];
  for (const [name, member, roles] of users) await createUser(ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 3, roles });
  const at = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const summary = await ingestObjects(ctx, SYSTEM_PRINCIPAL, [
    { type: 'intrusion-set', spec_version: '2.1', id: ACTOR, created: at, modified: at, name: 'Hollow Sleet', object_marking_refs: [TLP2_MARKING_IDS.amber] },
    { type: 'threat-actor', spec_version: '2.1', id: PARENT, created: at, modified: at, name: 'Grey Heron Directorate', object_marking_refs: [TLP2_MARKING_IDS.amber] },
  ]);
  assert.equal(summary.accepted, 2);
}

const consult = (who: string[], title = 'Hollow Sleet against three Allies') => [
  'consult', ...who, '--title', title, '--subject-kind', 'actor', '--subject', ACTOR, '--participants', 'LVA,FIN,NCIRC', '--classification', 'restricted', '--releasability', 'ALLIANCE',
];

describe('shieldwall decisions on the store directly (--as)', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  // The store's settings come from the environment, as on an operator's shell: the runner's own
  // SHIELDWALL_* variables (SHIELDWALL_TEST_PG under CI, a database URL) are set aside meanwhile.
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('SHIELDWALL_'));

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-decisions-'));
    for (const [key] of saved) delete process.env[key];
    process.env.SHIELDWALL_DATA_DIR = path.join(dir, 'data');
    await withLocalStore(populate);
  });
  after(() => {
    delete process.env.SHIELDWALL_DATA_DIR;
    for (const [key, value] of saved) process.env[key] = value;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a consultation through statements, a proposal under silence, a break, an amendment and its adoption', async () => {
    const consultation = await json<Consultation>(consult(['--as', 'ella']));
    assert.equal(consultation.requested_by, 'EST');
    assert.deepEqual(consultation.participants, ['LVA', 'FIN', 'NCIRC']);
    assert.deepEqual(consultation.subject, { kind: 'actor', ref: ACTOR, name: 'Hollow Sleet' });
    assert.equal(consultation.handling.classification, 'RESTRICTED');
    const id = consultation.id;
    assert.match((await run(['consultations', '--as', 'lars', '--status', 'open'])).out, new RegExp(`^ID +STATUS[^\\n]*\\n${id} +open +EST +LVA,FIN,NCIRC +0 +- +Hollow Sleet +Hollow Sleet against three Allies$`, 'm'));

    await run(['say', id, '--as', 'lars', '--text', 'Latvia confirms an implant at an energy operator.']);
    await run(['say', id, '--as', 'ella', '--kind', 'document', '--title', 'Technical briefing', '--text', 'One sign-on kit across four incidents.']);
    const said = (await run(['say', id, '--as', 'carla', '--kind', 'minutes', '--text', 'Allies agreed the activity is significant.'])).out;
    assert.match(said, /^Statements \(1\)\n {2}\S+ \S+ {2}lars \(LVA\)\n {4}Latvia confirms an implant at an energy operator\.$/m);
    assert.match(said, /^Documents \(1\)\n {2}\S+ \S+ {2}ella \(EST\): Technical briefing\n/m);
    assert.match(said, /^Minutes \(1\)\n {2}\S+ \S+ {2}carla \(NCIRC\)\n/m);
    assert.match(said, /You may: +statement, document, propose, minutes, close/);

    const drafted = await json<Proposal>([
      'propose', id, '--as', 'ella', '--title', 'Share indicators and block infrastructure', '--text', 'Allies share indicators within 24 hours.', '--options', 'intelligence-sharing,defensive-measures',
      '--proportionality', 'Defensive and reversible.',
    ]);
    assert.equal(drafted.status, 'draft');
    assert.deepEqual(drafted.actions, ['circulate', 'amend', 'withdraw']);
    const pid = drafted.id;
    const circulated = await json<Proposal>(['circulate', pid, '--as', 'ella', '--hours', '1']);
    assert.equal(circulated.status, 'silence');
    assert.ok(Math.abs(Date.parse(circulated.silence!.deadline) - Date.now() - 3_600_000) < 60_000, circulated.silence!.deadline);
    assert.match((await run(['consultations', '--as', 'fanny'])).out, new RegExp(`^${id} +open +EST +LVA,FIN,NCIRC +1 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ `, 'm'));

    const broken = (await run(['break', pid, '--as', 'lars', '--reason', 'Latvia needs the legal review first.'])).out;
    assert.match(broken, /Status: +returned \(next: silence, withdrawn\)/);
    assert.match(broken, /^Silence broken \(1\)\n {2}\S+ \S+ {2}lars \(LVA\), round 1: Latvia needs the legal review first\.$/m);
    const amended = await json<Proposal>(['amend', pid, '--as', 'ella', '--text', 'Allies share indicators within 12 hours.', '--reason', 'the legal review']);
    assert.equal(amended.text_version, 2);
    assert.equal(amended.status, 'returned', 'a proposal returned to consultation is amended without silence');
    await fails(['circulate', pid, '--as', 'ella'], EXIT.usage, /say how long the silence runs: --hours N, or --deadline TIME/);
    await fails(['circulate', pid, '--as', 'ella', '--hours', '2', '--deadline', '+2d'], EXIT.usage, /give --hours or --deadline, not both/);
    const again = await json<Proposal>(['circulate', pid, '--as', 'ella', '--deadline', '+2d']);
    assert.deepEqual([again.silence!.round, again.silence!.version], [2, 2]);
    await fails(['circulate', pid, '--as', 'ella', '--hours', '3'], EXIT.failed, /SW_INVALID_TRANSITION: proposal .* is silence: it is under silence already/);
    const shown = (await run(['proposal', pid, '--as', 'fanny'])).out;
    assert.match(shown, /Silence: +round 2 on text version 2, from \S+ \S+ until \S+ \S+/);
    assert.match(shown, /Options: +Enhanced intelligence sharing; Coordinated defensive measures/);
    assert.match(shown, /^Amendments \(1\)\n {2}\S+ \S+ {2}ella \(EST\): text version 2, the legal review$/m);
    assert.match(shown, /You may: +break$/m, 'Finland\'s delegate breaks silence; it does not steer Estonia\'s proposal');
    assert.match((await run(['proposal', pid, '--as', 'ella'])).out, /You may: +amend, break, withdraw/);
    assert.deepEqual((await json<{ proposals: ProposalSummary[] }>(['proposals', '--as', 'carla', '--status', 'silence'])).proposals.map((p) => p.id), [pid]);

    // At the deadline the node's job decides: adopted, since nobody broke silence on round 2.
    await withLocalStore(async (ctx) => resolveSilence({ ...ctx, clock: fixedClock(new Date(Date.parse(again.silence!.deadline) + 1000)) }, pid, 2));
    const records = await json<{ decisions: DecisionRecord[] }>(['records', '--as', 'fanny']);
    assert.equal(records.decisions.length, 1);
    const record = records.decisions[0]!;
    assert.deepEqual([record.proposal_id, record.round, record.version], [pid, 2, 2]);
    assert.match((await run(['records', '--as', 'lars'])).out, new RegExp(`^${record.id} +\\S+ \\S+ +2 +v2 +intelligence-sharing,defensive-measures +EST,LVA,FIN,NCIRC +Share indicators`, 'm'));
    assert.match((await run(['show', record.id, '--as', 'lars'])).out, /^Decision record decision--\S+\n(.*\n)* {2}Text SHA-256: +[0-9a-f]{64}\n/);
    assert.match((await run(['show', pid, '--as', 'lars'])).out, /Status: +adopted\n(.*\n)* {2}Decision: +decision--/);
    await fails(['withdraw', pid, '--as', 'ella'], EXIT.failed, /SW_INVALID_TRANSITION: proposal .* is adopted: .*adopted is final/);

    const second = await json<Proposal>(['propose', id, '--as', 'lars', '--title', 'Demarche', '--text', 'A joint demarche.', '--options', 'demarche']);
    assert.equal((await json<Proposal>(['withdraw', second.id, '--as', 'lars', '--reason', 'overtaken'])).status, 'withdrawn');
    assert.equal((await json<Consultation>(['close', id, '--as', 'carla', '--reason', 'measures agreed'])).status, 'closed');
    await fails(['say', id, '--as', 'lars', '--text', 'late'], EXIT.failed, /SW_CONFLICT: consultation .* is closed: reopen it first/);
    assert.equal((await json<Consultation>(['reopen', id, '--as', 'carla'])).status, 'open');
  });

  it('drafts an attribution statement that members join or decline, and exports it as STIX or text', async () => {
    const { consultations } = await json<{ consultations: Consultation[] }>(['consultations', '--as', 'ella', '--subject', ACTOR]);
    const drafted = await json<Statement>([
      'statement', 'draft', '--as', 'ella', '--title', 'Joint statement on Hollow Sleet', '--text', 'We attribute Hollow Sleet to the Grey Heron Directorate.', '--actor', ACTOR,
      '--attributed-to', PARENT, '--confidence', '80', '--publish-at', '+3d', '--invite', 'LVA,FIN', '--consultation', consultations[0]!.id,
    ]);
    assert.deepEqual(drafted.joined.map((r) => r.member), ['EST']);
    assert.ok(Math.abs(Date.parse(drafted.publish_at) - Date.now() - 3 * 86_400_000) < 60_000);
    const id = drafted.id;
    await run(['statement', 'join', id, '--as', 'lars']);
    await fails(['statement', 'decline', id, '--as', 'fanny'], EXIT.usage, /a member declines with its reason: give --reason/);
    const declined = (await run(['statement', 'decline', id, '--as', 'fanny', '--reason', 'Finland does not attribute publicly yet.'])).out;
    assert.match(declined, /Joined: +EST \(ella\), LVA \(lars\)\n {2}Declined: +FIN \(fanny\): Finland does not attribute publicly yet\.\n/);
    assert.match((await run(['statements', '--as', 'carla'])).out, /no attribution statement you may read matches/, 'the alliance body was not invited');
    assert.match((await run(['statements', '--as', 'ella', '--status', 'draft'])).out, new RegExp(`^${id} +draft +\\S+ \\S+ +EST,LVA +FIN +Hollow Sleet +Joint statement on Hollow Sleet$`, 'm'));

    const text = (await run(['statement', 'export', id, '--as', 'lars', '--format', 'text'])).out;
    assert.match(text, /^Joint statement on Hollow Sleet\n\nDraft, for publication at /);
    assert.match(text, /Attributed to: Grey Heron Directorate \(threat-actor--\S+\), confidence 80\n/);
    assert.match(text, /\nJoined so far: EST, LVA\n$/);
    // STIX 2.1 section 4.14: a report referring to the actor and (section 5.1) its attributed-to relationship.
    const bundle = JSON.parse((await run(['statement', 'export', id, '--as', 'lars', '--format', 'stix'])).out) as { type: string; objects: Array<Record<string, unknown>> };
    assert.equal(bundle.type, 'bundle');
    const relationship = bundle.objects.find((o) => o.type === 'relationship')!;
    assert.deepEqual([relationship.relationship_type, relationship.source_ref, relationship.target_ref, relationship.confidence], ['attributed-to', ACTOR, PARENT, 80]);
    const report = bundle.objects.find((o) => o.type === 'report')!;
    assert.deepEqual(report.object_refs, [ACTOR, PARENT, relationship.id]);
    await fails(['statement', 'export', id, '--as', 'lars', '--format', 'pdf'], EXIT.usage, /--format 'pdf' is not one of stix, text/);

    assert.equal((await json<Statement>(['statement', 'cancel', id, '--as', 'ella'])).status, 'cancelled');
    await fails(['statement', 'join', id, '--as', 'fanny'], EXIT.failed, /SW_INVALID_TRANSITION: statement .* is cancelled/);
  });

  it('refuses with the exit statuses of the other commands, naming the cause and the fix', async () => {
    await fails(['consultations'], EXIT.usage, /--url and --token of a running node, or --as USER/);
    await fails(['consultations', '--as', 'nobody'], EXIT.usage, /--as 'nobody': no such user/);
    await fails(['consultations', '--as', 'ella', '--status', 'pending'], EXIT.usage, /--status 'pending' is not one of open, closed/);
    await fails(['consult', '--as', 'ella', '--title', 'x', '--subject-kind', 'person', '--subject', ACTOR, '--participants', 'LVA'], EXIT.usage, /--subject-kind 'person' is not one of actor, incident/);
    await fails(['consult', '--as', 'ella', '--title', 'x', '--subject-kind', 'incident', '--subject', ACTOR, '--participants', 'LVA'], EXIT.usage, /--subject '.*' is not the id of an incident/);
    await fails(['show', 'consultation--1', '--as', 'ella'], EXIT.usage, /is not the id of a consultation \(consultation--…\), a proposal/);
    // A prefix every JavaScript object answers is no kind of record either.
    await fails(['show', `constructor--${randomUUID()}`, '--as', 'ella'], EXIT.usage, /is not the id of a consultation \(consultation--…\), a proposal/);
    await fails(['say', `proposal--${randomUUID()}`, '--as', 'ella', '--text', 'x'], EXIT.usage, /say takes the id of a consultation, not of a proposal/);
    await fails(['show', `consultation--${randomUUID()}`, '--as', 'ella'], EXIT.notFound, /SW_NOT_FOUND: no consultation/);
    await fails(['proposal', `proposal--${randomUUID()}`, '--as', 'ella'], EXIT.notFound, /SW_NOT_FOUND: no proposal/);
    // An analyst reads, but takes no part: the route's permission, held on the store too.
    await fails(consult(['--as', 'anna']), EXIT.forbidden, /requesting a consultation needs the permission decisions:participate, which the roles of anna do not give/);
    // What the node's schema would refuse is refused on the store as well.
    await fails(consult(['--as', 'ella'], 'x'.repeat(301)), EXIT.failed, /the consultation is not valid: title: /);
    await fails([...consult(['--as', 'ella']).slice(0, -6), '--participants', 'XXX'], EXIT.failed, /SW_BAD_REQUEST: no member XXX on this node/);
    const { consultations } = await json<{ consultations: Consultation[] }>(['consultations', '--as', 'ella']);
    await fails(['propose', consultations[0]!.id, '--as', 'ella', '--title', 't', '--text', 't', '--options', 'hack-back'], EXIT.usage, /--options 'hack-back' is not one of demarche, joint-statement/);
    await fails(['say', consultations[0]!.id, '--as', 'ella', '--kind', 'document', '--text', 'x'], EXIT.usage, /a document has a title: give --title/);
    await fails(['say', consultations[0]!.id, '--as', 'lars', '--kind', 'minutes', '--text', ' '], EXIT.usage, /--text is empty/);
  });
});

describe('shieldwall decisions on a running node (--url/--token)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  const tokens: Record<string, string> = {};
  const as = (name: string) => ['--url', url, '--token', tokens[name]!];

  before(async () => {
    node = await createTestNode('sqlite');
    await populate(node.ctx);
    for (const name of ['ella', 'lars', 'fanny']) tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `cli-${name}`, user: name })).token;
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const address = node.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(async () => node?.close());

  it("works through the API as the tokens' users, with the same tables and JSON", async () => {
    const consultation = await json<Consultation>(consult(as('lars')));
    assert.equal(consultation.requested_by, 'LVA');
    assert.deepEqual(consultation.participants, ['FIN', 'NCIRC'], 'the requesting member is not among those it consults');
    const id = consultation.id;
    assert.match((await run(['say', id, ...as('fanny'), '--text', 'Finland saw scanning from the same hosts.'])).out, /^Statements \(1\)\n {2}\S+ \S+ {2}fanny \(FIN\)\n/m);
    const proposal = await json<Proposal>(['propose', id, ...as('lars'), '--title', 'Coordinated attribution', '--text', 'Allies attribute together.', '--options', 'coordinated-attribution']);
    assert.equal((await json<Proposal>(['circulate', proposal.id, ...as('lars'), '--hours', '24'])).status, 'silence');
    const broken = await json<Proposal>(['break', proposal.id, ...as('fanny'), '--reason', 'Not yet.']);
    assert.deepEqual(broken.breaks.map((b) => [b.member, b.round]), [['FIN', 1]]);
    assert.match((await run(['show', proposal.id, ...as('lars')])).out, /Status: +returned/);
    assert.match((await run(['records', ...as('lars')])).out, /^no decision record you may read$/m);

    const statement = await json<Statement>([
      'statement', 'draft', ...as('lars'), '--title', 'Joint statement', '--text', 'Latvia attributes the activity.', '--actor', ACTOR, '--attributed-to', PARENT,
      '--publish-at', new Date(Date.now() + 86_400_000).toISOString(), '--invite', 'FIN',
    ]);
    assert.deepEqual((await json<Statement>(['statement', 'join', statement.id, ...as('fanny')])).joined.map((r) => r.member), ['LVA', 'FIN']);
    assert.match((await run(['statement', 'export', statement.id, ...as('fanny'), '--format', 'text'])).out, /\nJoined so far: LVA, FIN\n$/);
    const bundle = JSON.parse((await run(['statement', 'export', statement.id, ...as('fanny'), '--format', 'stix'])).out) as { objects: Array<{ type: string }> };
    assert.deepEqual(bundle.objects.map((o) => o.type), ['extension-definition', 'relationship', 'report']);

    // The node's refusals keep their exit statuses.
    await fails(['break', proposal.id, ...as('fanny'), '--reason', 'again'], EXIT.failed, /the node answered 409 SW_INVALID_TRANSITION: proposal .* is returned/);
    await fails(['show', `consultation--${randomUUID()}`, ...as('ella')], EXIT.notFound, /the node answered 404 SW_NOT_FOUND: no consultation/);
    await fails(['show', id, ...as('ella')], EXIT.notFound, /the node answered 404 SW_NOT_FOUND/);
    await fails(['consultations', '--url', url, '--token', 'x'.repeat(64)], EXIT.tokenRefused, /token refused/);
    await fails(['consultations', '--url', url], EXIT.usage, /--url needs --token/);
  });
});
