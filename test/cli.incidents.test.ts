/** shieldwall incidents: report, move, score, note, list, show and export, on the store directly and on a running node. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Incident, IncidentSummary } from '../src/modules/incidents/incidents.model.js';
import { selectionsAt } from '../src/modules/demo/demo.incidents.js';
import { runCli, startNodeProcess, type NodeProcess } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

describe('shieldwall incidents', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let env: Record<string, string>;
  let id = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-incidents-'));
    env = { SHIELDWALL_DATA_DIR: path.join(dir, 'data'), SHIELDWALL_DEMO: '0' };
    for (const args of [
      ['members', 'add', '--code', 'EST', '--name', 'Estonia', '--kind', 'ally', '--identity', `identity--${randomUUID()}`],
      ['members', 'add', '--code', 'JPN', '--name', 'Japan', '--kind', 'partner'],
      ['users', 'create', '--name', 'eve', '--member', 'EST', '--roles', 'incident-handler', '--clearance', 'CONFIDENTIAL'],
      ['users', 'create', '--name', 'kenji', '--member', 'JPN', '--roles', 'analyst', '--clearance', 'SECRET'],
    ]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports, moves, scores and notes an incident on the store as a user', async () => {
    const reported = await runCli(['incidents', 'report', '--as', 'eve', '--title', 'DDoS on e-voting portal', '--sectors', 'public-administration', '--tlp', 'amber', '--classification', 'RESTRICTED', '--releasability', 'ALLIANCE'], env);
    assert.equal(reported.code, 0, reported.stderr);
    const incident = JSON.parse(reported.stdout) as Incident;
    id = incident.id;
    assert.equal(incident.member, 'EST');
    assert.deepEqual(incident.handling, { tlp: 'amber', classification: 'RESTRICTED', releasability: ['ALLIANCE'] });

    const invalid = await runCli(['incidents', 'status', id, 'recovered', '--as', 'eve'], env);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /triaged or closed/);
    const moved = await runCli(['incidents', 'status', id, 'triaged', '--note', 'confirmed', '--as', 'eve'], env);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal((JSON.parse(moved.stdout) as Incident).status, 'triaged');

    const pairs = Object.entries(selectionsAt(1)).map(([k, v]) => `${k}=${v}`).join(',');
    const scored = await runCli(['incidents', 'score', id, pairs, '--as', 'eve'], env);
    assert.equal(scored.code, 0, scored.stderr);
    assert.equal((JSON.parse(scored.stdout) as Incident).severity!.level, 5);
    const badPair = await runCli(['incidents', 'score', id, 'functional_impact', '--as', 'eve'], env);
    assert.notEqual(badPair.code, 0);
    assert.match(badPair.stderr, /category=option/);

    const noted = await runCli(['incidents', 'note', id, 'Mitigation at the upstream provider', '--as', 'eve'], env);
    assert.equal(noted.code, 0, noted.stderr);
    assert.ok((JSON.parse(noted.stdout) as Incident).timeline.some((entry) => entry.text === 'Mitigation at the upstream provider'));
  });

  it('lists and shows only what the user may read, and says how to name a user', async () => {
    const listed = await runCli(['incidents', 'list', '--significant', '--as', 'eve'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as IncidentSummary);
    assert.deepEqual(rows.map((row) => row.id), [id]);
    // A partner outside ALLIANCE reads none of it.
    const partner = await runCli(['incidents', 'list', '--as', 'kenji'], env);
    assert.equal(partner.code, 0, partner.stderr);
    assert.equal(partner.stdout.trim(), '');
    const hidden = await runCli(['incidents', 'show', id, '--as', 'kenji'], env);
    assert.notEqual(hidden.code, 0);
    assert.match(hidden.stderr, /no incident/);
    const nobody = await runCli(['incidents', 'list'], env);
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.stderr, /--as USER/);
  });

  it('exports the report as PDF and the bundle as STIX, to a file or standard output', async () => {
    const pdf = path.join(dir, 'report.pdf');
    const exported = await runCli(['incidents', 'export', id, '--format', 'pdf', '-o', pdf, '--as', 'eve'], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const stix = await runCli(['incidents', 'export', id, '--as', 'eve'], env);
    assert.equal(stix.code, 0, stix.stderr);
    const bundle = JSON.parse(stix.stdout) as { type: string; objects: Array<{ id: string }> };
    assert.equal(bundle.type, 'bundle');
    assert.ok(bundle.objects.some((object) => object.id === id));
  });

  it('works on a running node with a token, and reports a file', async () => {
    const issued = await runCli(['tokens', 'create', '--name', 'cli', '--user', 'eve'], env);
    assert.equal(issued.code, 0, issued.stderr);
    const token = issued.stdout.trim();
    let node: NodeProcess | undefined;
    try {
      node = await startNodeProcess(env);
      const file = path.join(dir, 'incident.json');
      writeFileSync(file, JSON.stringify({ title: 'Wiper at a water utility', sectors: ['drinking-water'], tlp: 'green', releasability: ['ALLIANCE'] }));
      const reported = await runCli(['incidents', 'report', file, '--url', node.url, '--token', token], env);
      assert.equal(reported.code, 0, reported.stderr);
      const listed = await runCli(['incidents', 'list', '--sector', 'drinking-water', '--url', node.url, '--token', token], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /Wiper at a water utility/);
      const html = await runCli(['incidents', 'export', (JSON.parse(reported.stdout) as Incident).id, '--format', 'html', '--url', node.url, '--token', token], env);
      assert.equal(html.code, 0, html.stderr);
      assert.match(html.stdout, /TLP:GREEN/);
    } finally {
      node?.child.kill('SIGTERM');
      await node?.exited;
    }
  });
});
