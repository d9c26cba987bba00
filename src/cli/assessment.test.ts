/**
 * shieldwall assessment, run in this process as the command line registers it: on the store
 * directly as a user (--as), where catch-up brings the assessment's view up to date, and on a
 * running node with a token (--url/--token). The actors' scores, one actor's working and a
 * Schmitt-factor rating; tables for people, JSON with --json; failures as CliErrors with the exit
 * statuses of the other commands.
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
import type { AppContext } from '../core/context.js';
import type { Assessment, SchmittInput } from '../modules/assessment/assessment.model.js';
import { catchUp } from '../modules/assessment/assessment.service.js';
import { selectionsAt } from '../modules/demo/demo.incidents.js';
import { createToken, createUser, principalOfUser, upsertMembers } from '../modules/directory/directory.service.js';
import { reportIncident } from '../modules/incidents/incidents.service.js';
import { ingestObjects } from '../modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Role } from '../policy/principal.js';
import { registerAssessment } from './assessment.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';

/** Runs `shieldwall assessment ARGS` in this process: what it printed, or the error it failed with. */
async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride().configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  registerAssessment(program, { out: (text) => (out += text), err: (text) => (err += text) });
  await program.parseAsync(['assessment', ...args], { from: 'user' });
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
const DAY = 86_400_000;

/** Two Allies, each with an incident attributed to the actor; an analyst and a handler of the first. */
async function populate(ctx: AppContext): Promise<void> {
  await upsertMembers(ctx, SYSTEM_PRINCIPAL, [
    { code: 'EST', name: 'Estonia', kind: 'ally', country: 'EE', identityId: `identity--${randomUUID()}` },
    { code: 'FIN', name: 'Finland', kind: 'ally', country: 'FI', identityId: `identity--${randomUUID()}` },
  ]);
  const users: Array<[string, string, Role[]]> = [
    ['erik', 'EST', ['analyst']],
    ['hilda', 'EST', ['incident-handler']],
    ['fia', 'FIN', ['incident-handler']],
  ];
  for (const [name, member, roles] of users) await createUser(ctx, SYSTEM_PRINCIPAL, { name, member, clearance: 2, roles });
  const at = new Date(Date.now() - 100 * DAY).toISOString();
  await ingestObjects(ctx, SYSTEM_PRINCIPAL, [{ type: 'intrusion-set', spec_version: '2.1', id: ACTOR, created: at, modified: at, name: 'Hollow Sleet', object_marking_refs: [TLP2_MARKING_IDS.amber] }]);
  const incidents: Array<[string, string, string, number, number]> = [
    ['hilda', 'Forged sign-on page at the foreign ministry', 'public-administration', 0.5, 20],
    ['fia', 'Scanning of a telecom core network', 'telecommunications', 0.2, 5],
  ];
  for (const [user, title, sector, severity, daysAgo] of incidents) {
    await reportIncident(ctx, (await principalOfUser(ctx, user))!, {
      title, sectors: [sector], started_at: new Date(Date.now() - daysAgo * DAY).toISOString(), tlp: 'amber', releasability: ['ALLIANCE'],
      actor: { ref: ACTOR, name: 'Hollow Sleet', confidence: 80 }, selections: selectionsAt(severity),
    });
  }
}

describe('shieldwall assessment on the store directly (--as)', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  // The store's settings come from the environment, as on an operator's shell: the runner's own
  // SHIELDWALL_* variables (SHIELDWALL_TEST_PG under CI, a database URL) are set aside meanwhile.
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('SHIELDWALL_'));

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-assessment-'));
    for (const [key] of saved) delete process.env[key];
    process.env.SHIELDWALL_DATA_DIR = path.join(dir, 'data');
    await withLocalStore(populate);
  });
  after(() => {
    delete process.env.SHIELDWALL_DATA_DIR;
    for (const [key, value] of saved) process.env[key] = value;
    rmSync(dir, { recursive: true, force: true });
  });

  it('catches the view up, then lists the actor, shows its working and takes a rating', async () => {
    // Nothing followed yet: no node ran on this store.
    assert.match((await run(['list', '--as', 'erik'])).out, /^no actor with evidence you may read in the window/);
    const first = await run(['catch-up']);
    const applied = Number(/^applied (\d+) versions of incidents, sightings and relationships: the assessment's view is up to date$/m.exec(first.out)?.[1]);
    assert.ok(applied >= 2, first.out);
    assert.deepEqual(await json<{ applied: number }>(['catch-up']), { applied: 0 });

    const list = (await run(['list', '--as', 'erik', '--days', '90'])).out;
    assert.match(list, new RegExp(`^REF +SCORE +ESCALATION +INCIDENTS +SIGHTINGS +MEMBERS +NAME\\n${ACTOR} +\\d+\\.\\d +none +2 +0 +2 +Hollow Sleet\\n`));
    assert.match(list, /^thresholds: consultation 250, council 600; as of /m);

    const answer = await json<Assessment>(['show', ACTOR, '--as', 'erik']);
    assert.equal(answer.window.days, 90);
    assert.deepEqual(answer.parts.members, ['EST', 'FIN']);
    assert.equal(answer.contributions.length, 2);
    const shown = (await run(['show', ACTOR, '--as', 'erik'])).out;
    assert.match(shown, new RegExp(`^Assessment of ${ACTOR} \\(Hollow Sleet\\)\\n {2}Window: +90 days, `));
    assert.match(shown, new RegExp(`Score: +${answer.score.toFixed(1)} \\(thresholds: consultation 250, council 600\\)`));
    assert.match(shown, /Escalation: +none: below the thresholds/);
    assert.match(shown, /^Recommendation\n {2}The cumulative score .* is below the consultation threshold \(250\)\. The system recommends continued monitoring\.$/m);
    assert.match(shown, /^ {2}incidents \d+\.\d \(2\) \+ sightings 0\.0 \(0\) \+ intel 0\.0 \(0\) = base \d+\.\d$/m);
    assert.match(shown, /^ {2}breadth x1\.35: 2 members \(EST, FIN\), 2 critical sectors \(public-administration, telecommunications\)$/m);
    assert.match(shown, /^Top contributions \(2\)\n {2}POINTS +DAY +MEMBER +SEVERITY +CONFIDENCE +INCIDENT +TITLE\n {2}\d+\.\d +\S+ +EST +\d+\.\d \(level \d\) +80% +incident--\S+ +Forged sign-on page/m);
    assert.match(shown, /^Basis\n {2}based on all the evidence this node holds in the window \(2 daily buckets read, 0 withheld; as of /m);
    assert.equal((await json<Assessment>(['show', ACTOR, '--as', 'erik', '--days', '10'])).contributions.length, 1, 'a 10-day window holds the recent incident only');

    const rated = await json<SchmittInput>(['rate', ACTOR, '--as', 'erik', '--factor', 'state-involvement', '--rating', 'high', '--rationale', 'Tooling of a state service.', '--releasability', 'ALLIANCE']);
    assert.deepEqual([rated.factor, rated.rating, rated.assessor, rated.member], ['state-involvement', 'high', 'erik', 'EST']);
    assert.deepEqual(rated.handling.releasability, ['ALLIANCE']);
    assert.match((await run(['show', ACTOR, '--as', 'fia'])).out, /^Schmitt inputs \(1\)\n {2}FACTOR +RATING +ASSESSOR +AT +RATIONALE\n {2}State involvement +high +erik \(EST\) +\S+ \S+ +Tooling of a state service\.$/m);
  });

  it('refuses with the exit statuses of the other commands, naming the cause and the fix', async () => {
    await fails(['list'], EXIT.usage, /--url and --token of a running node, or --as USER/);
    await fails(['list', '--as', 'nobody'], EXIT.usage, /--as 'nobody': no such user/);
    await fails(['list', '--as', 'erik', '--days', '0'], EXIT.usage, /--days '0' is not a whole number from 1 to 3650/);
    await fails(['show', 'indicator--1', '--as', 'erik'], EXIT.usage, /the actor 'indicator--1' is not the id of a threat-actor, intrusion-set or campaign/);
    await fails(['show', ACTOR, '--as', 'erik', '--at', 'yesterday'], EXIT.usage, /--at 'yesterday' is not a time/);
    await fails(['show', `campaign--${randomUUID()}`, '--as', 'erik'], EXIT.notFound, /SW_NOT_FOUND: no actor campaign--/);
    const rate = ['rate', ACTOR, '--factor', 'severity', '--rating', 'low', '--rationale', 'Little harm so far.'];
    await fails([...rate, '--as', 'erik', '--factor', 'cruelty'], EXIT.usage, /--factor 'cruelty' is not one of severity, immediacy, directness/);
    await fails([...rate, '--as', 'erik', '--rating', 'extreme'], EXIT.usage, /--rating 'extreme' is not one of none, low, moderate, high, very-high/);
    await fails([...rate, '--as', 'erik', '--tlp', 'purple'], EXIT.usage, /--tlp 'purple' is not one of clear, green, amber/);
    // A handler reads, but assesses nothing: the route's permission, held on the store too.
    await fails([...rate, '--as', 'hilda'], EXIT.forbidden, /rating a factor needs the permission assessment:assess, which the roles of hilda do not give/);
    // What the node's schema would refuse is refused on the store as well.
    await fails([...rate, '--as', 'erik', '--rationale', 'x'.repeat(5001)], EXIT.failed, /the rating is not valid: rationale: /);
    await fails(['catch-up', '--url', 'http://127.0.0.1:9'], EXIT.usage, /catch-up works on the store directly/);
  });
});

describe('shieldwall assessment on a running node (--url/--token)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  const tokens: Record<string, string> = {};
  const as = (name: string) => ['--url', url, '--token', tokens[name]!];

  before(async () => {
    node = await createTestNode('sqlite');
    await populate(node.ctx);
    await catchUp(node.ctx);
    for (const name of ['erik', 'hilda']) tokens[name] = (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `cli-${name}`, user: name })).token;
    await node.app.listen({ host: '127.0.0.1', port: 0 });
    const address = node.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(async () => node?.close());

  it("works through the API as the tokens' users, with the same tables and JSON", async () => {
    assert.match((await run(['list', ...as('erik'), '--days', '30'])).out, new RegExp(`^${ACTOR} +\\d+\\.\\d +none +2 +0 +2 +Hollow Sleet$`, 'm'));
    const answer = await json<Assessment>(['show', ACTOR, ...as('hilda'), '--days', '365']);
    assert.equal(answer.window.days, 365);
    assert.deepEqual(answer.parts.counts, { incidents: 2, sightings: 0, intel: 0 });
    // Ten days ago, the window of 30 days held the older incident only.
    const earlier = await json<Assessment>(['show', ACTOR, ...as('erik'), '--days', '30', '--at', new Date(Date.now() - 10 * DAY).toISOString()]);
    assert.deepEqual(earlier.parts.members, ['EST']);
    const rated = await json<SchmittInput>(['rate', ACTOR, ...as('erik'), '--factor', 'severity', '--rating', 'moderate', '--rationale', 'Credentials stolen, no damage.']);
    assert.equal(rated.member, 'EST');
    assert.match((await run(['show', ACTOR, ...as('hilda')])).out, /^ {2}Severity +moderate +erik \(EST\) /m);

    // The node's refusals keep their exit statuses.
    await fails(['rate', ACTOR, ...as('hilda'), '--factor', 'severity', '--rating', 'low', '--rationale', 'x'], EXIT.forbidden, /the node answered 403/);
    await fails(['show', `threat-actor--${randomUUID()}`, ...as('erik')], EXIT.notFound, /the node answered 404 SW_NOT_FOUND: no actor/);
    await fails(['list', '--url', url, '--token', 'x'.repeat(64)], EXIT.tokenRefused, /token refused/);
  });
});
