/** shieldwall lookup, match (with sightings reported), sighted and correlated, on the store directly as a user. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../src/cli/failures.js';
import { HITS_PER_VALUE } from '../src/modules/detect/detect.lookup.js';
import { MATCH_MAX_LISTED } from '../src/modules/detect/detect.match.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { bundle, indicator, malware } from './support/factories.js';
import { runCli } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const IDENTITY = `identity--${randomUUID()}`;
const green = { object_marking_refs: [TLP2_MARKING_IDS.green] };

describe('shieldwall detection commands', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let env: Record<string, string>;
  let logFile: string;
  const hit = indicator({ pattern: "[ipv4-addr:value = '198.51.100.23']", ...green });
  const family = malware({ name: 'Industroyer', ...green });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-detect-'));
    env = { SHIELDWALL_DATA_DIR: path.join(dir, 'data'), SHIELDWALL_DEMO: '0' };
    const feed = path.join(dir, 'feed.json');
    const rel = { type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: hit.created, modified: hit.modified, relationship_type: 'indicates', source_ref: hit.id, target_ref: family.id, ...green };
    writeFileSync(feed, bundle([hit, family, rel]));
    logFile = path.join(dir, 'log.ndjson');
    writeFileSync(logFile, `${JSON.stringify({ timestamp: '2026-11-25T12:00:00Z', dest_ip: '198.51.100.23' })}\n${JSON.stringify({ timestamp: '2026-11-25T12:05:00Z', dest_ip: '192.0.2.200' })}\n`);
    for (const args of [
      ['members', 'add', '--code', 'POL', '--name', 'Poland', '--kind', 'ally', '--identity', IDENTITY],
      ['users', 'create', '--name', 'ola', '--member', 'POL', '--roles', 'analyst', '--clearance', 'SECRET'],
      ['ingest', feed],
    ]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names each unreadable record once, lists the first 1,000 and says how many more it counted', async () => {
    const bad = path.join(dir, 'bad.ndjson');
    writeFileSync(bad, `${JSON.stringify({ dest_ip: '198.51.100.23' })}\n${Array.from({ length: 1200 }, (_, i) => `# not JSON ${i}`).join('\n')}\n`);
    const result = await runCli(['match', bad, '--as', 'ola', '--format', 'ndjson'], env);
    assert.equal(result.code, EXIT.partial, result.stderr);
    const listed = result.stderr.split('\n').filter((l) => /^line \d+ \(byte \d+\): /.test(l));
    assert.equal(listed.length, 1000);
    assert.match(listed[0]!, /^line 2 \(byte 28\): not valid JSON/, 'the line and byte are named once');
    assert.match(result.stderr, /shieldwall: 1,200 records could not be read; the first 1,000 are listed above, the others counted only/);
  });

  it('looks values up as a user, with context, and exits 4 when nothing is known', async () => {
    const found = await runCli(['lookup', '198.51.100.23', '--as', 'ola'], env);
    assert.equal(found.code, 0, found.stderr);
    const answer = JSON.parse(found.stdout) as { indicators: Array<{ id: string; related?: Array<{ name: string }> }> };
    assert.equal(answer.indicators[0]?.id, hit.id);
    assert.deepEqual(answer.indicators[0].related?.map((r) => r.name), ['Industroyer']);
    const missing = await runCli(['lookup', '203.0.113.99', '--as', 'ola'], env);
    assert.equal(missing.code, 4, missing.stderr);
  });

  it('matches a log, reports a sighting, then ranks and correlates', async () => {
    const refused = await runCli(['match', logFile, '--report-sightings'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /identity/);

    const matched = await runCli(['match', logFile, '--as', 'ola', '--report-sightings', '--sighting-markings', 'green'], env);
    assert.equal(matched.code, 0, matched.stderr);
    assert.deepEqual(matched.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { indicator: string }).indicator), [hit.id]);
    // Standard error holds the summary line (and may hold log lines of the node's own).
    const summaryLine = matched.stderr.split('\n').find((l) => l.startsWith('{"summary"'));
    assert.ok(summaryLine, matched.stderr);
    const summary = (JSON.parse(summaryLine) as { summary: { events: number; reported: { sightings: number } } }).summary;
    assert.deepEqual([summary.events, summary.reported.sightings], [2, 1]);

    const sighted = await runCli(['sighted', '--as', 'ola'], env);
    assert.equal(sighted.code, 0, sighted.stderr);
    const ranking = JSON.parse(sighted.stdout) as { indicators: Array<{ id: string; members: number; sighted_by: string[] }> };
    assert.deepEqual(ranking.indicators.map((e) => [e.id, e.members, e.sighted_by]), [[hit.id, 1, [IDENTITY]]]);

    const correlated = await runCli(['correlated', hit.id, '--as', 'ola'], env);
    assert.equal(correlated.code, 0, correlated.stderr);
    const awareness = JSON.parse(correlated.stdout) as { id: string; correlated: unknown[]; sighted?: { members: number } };
    assert.deepEqual([awareness.id, awareness.correlated.length, awareness.sighted?.members], [hit.id, 0, 1]);

    const bad = await runCli(['sighted', '--as', 'ola', '--since', 'last week'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since/);
  });

  it(`says so, and exits ${EXIT.partial}, when the listing of a match stopped part way (${MATCH_MAX_LISTED} at most)`, async () => {
    // A value named by HITS_PER_VALUE indicators, on more lines than the listing holds.
    const crowded = '203.0.113.61';
    const feed = path.join(dir, 'crowd.json');
    writeFileSync(feed, bundle(Array.from({ length: HITS_PER_VALUE }, () => indicator({ pattern: `[ipv4-addr:value = '${crowded}']`, ...green }))));
    const ingested = await runCli(['ingest', feed], env);
    assert.equal(ingested.code, 0, ingested.stderr);
    const lines = MATCH_MAX_LISTED / HITS_PER_VALUE + 5;
    const log = path.join(dir, 'crowded.log');
    writeFileSync(log, `${Array.from({ length: lines }, () => crowded).join('\n')}\n`);
    const matched = await runCli(['match', log, '--as', 'ola'], env);
    assert.equal(matched.code, EXIT.partial, matched.stderr.slice(-2000));
    const listed = matched.stdout.trim().split('\n').length;
    assert.equal(listed, MATCH_MAX_LISTED);
    // The lines before fill the listing whole: it stops at the next one, none of whose matches is listed.
    const stopped = MATCH_MAX_LISTED / HITS_PER_VALUE + 1;
    assert.match(matched.stderr, new RegExp(`the listing stopped at line ${stopped} \\(a match lists at most ${MATCH_MAX_LISTED.toLocaleString('en')} matches and suppressed matches\\): the lines after it were read but not matched; match them on their own \\(tail -n \\+${stopped} `));
    // A log within the bound exits 0, as before.
    writeFileSync(log, `${crowded}\n`);
    assert.equal((await runCli(['match', log, '--as', 'ola'], env)).code, EXIT.ok);
  });
});
