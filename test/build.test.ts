/** The build (npm run build): src/ compiled into dist/, which the shieldwall command runs. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/paths.js';
import { runCli } from './support/process.js';

const run = promisify(execFile);
const BUILD = path.join(REPO_ROOT, 'scripts/build.js');

function programSources(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) programSources(file, found);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) found.push(file);
  }
  return found;
}

describe('the build', { timeout: 600_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-build-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles every source module to one JavaScript module in the same layout, and a second build writes nothing', async () => {
    const out = path.join(dir, 'out');
    // A file of a source that no longer exists does not outlive the next build.
    mkdirSync(path.join(out, 'cli'), { recursive: true });
    writeFileSync(path.join(out, 'cli', 'removed-command.js'), 'export {};\n');
    const first = await run(process.execPath, [BUILD, '--out', out]);
    const sources = programSources(path.join(REPO_ROOT, 'src'));
    assert.ok(sources.length > 50);
    for (const source of sources) {
      const output = path.join(out, path.relative(path.join(REPO_ROOT, 'src'), source)).replace(/\.ts$/, '.js');
      assert.ok(existsSync(output), `${path.relative(REPO_ROOT, source)} has no output (${first.stderr})`);
    }
    assert.equal(existsSync(path.join(out, 'cli', 'removed-command.js')), false);
    const second = await run(process.execPath, [BUILD, '--out', out]);
    assert.match(second.stderr, new RegExp(`${sources.length} modules compiled, 0 files written`));
  });

  it('copies the data files the program reads beside its modules, and only those', async () => {
    const out = path.join(dir, 'with-data');
    mkdirSync(path.join(out, 'modules', 'demo', 'alliance'), { recursive: true });
    writeFileSync(path.join(out, 'modules', 'demo', 'alliance', 'removed.json'), '{}\n');
    await run(process.execPath, [BUILD, '--out', out]);
    const data = path.join(REPO_ROOT, 'src', 'modules', 'demo', 'alliance');
    const files = readdirSync(data).filter((name) => name.endsWith('.json'));
    assert.ok(files.includes('members.json'), 'the demo alliance has no members.json');
    for (const name of files) {
      assert.deepEqual(readFileSync(path.join(out, 'modules', 'demo', 'alliance', name)), readFileSync(path.join(data, name)), name);
    }
    assert.equal(existsSync(path.join(out, 'modules', 'demo', 'alliance', 'removed.json')), false);
  });

  it('runs the log reader threads from their compiled modules', async () => {
    // Built if a source is newer than dist/ (as for every test that starts the command).
    await run(process.execPath, [BUILD, '--if-stale']);
    const reader = pathToFileURL(path.join(REPO_ROOT, 'dist/modules/detect/detect.read.js')).href;
    // Above the size from which a log is read on threads, all of it there (none in this thread).
    const script = `
      const { readEventBatches, runsReadOnThreads } = await import(${JSON.stringify(reader)});
      const line = Buffer.from('{"dest_ip":"192.0.2.1","host":"a.example.com"}\\n');
      const chunk = Buffer.concat(Array.from({ length: 16384 }, () => line));
      async function* log() { for (let i = 0; i < 8; i++) yield chunk; }
      let events = 0;
      for await (const batch of readEventBatches(log(), { threads: 1, readHere: false })) events += batch.events.length + batch.dropped;
      process.stdout.write(JSON.stringify({ events, runs: runsReadOnThreads() }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    const result = JSON.parse(stdout) as { events: number; runs: number };
    assert.equal(result.events, 8 * 16384);
    assert.ok(result.runs > 0, 'no run was read on a reader thread');
  });

  it('ingests standard input through the compiled ingest worker', async () => {
    const indicator = {
      type: 'indicator', spec_version: '2.1', id: 'indicator--6c7c3d5e-3a4b-4c5d-8e6f-7a8b9c0d1e2f', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z',
      pattern: "[ipv4-addr:value = '192.0.2.7']", pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z',
    };
    const result = await runCli(['ingest', '-'], { SHIELDWALL_DATA_DIR: path.join(dir, 'store') }, `${JSON.stringify(indicator)}\n`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { accepted: number }).accepted, 1);
  });

  it('the command says how to build when dist/ is missing', async () => {
    const bare = path.join(dir, 'bare');
    mkdirSync(path.join(bare, 'bin'), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, 'bin/shieldwall.js'), path.join(bare, 'bin/shieldwall.js'));
    writeFileSync(path.join(bare, 'package.json'), '{"type":"module"}\n');
    const failed = await run(process.execPath, [path.join(bare, 'bin/shieldwall.js'), '--help']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    assert.ok(failed, 'the command ran without dist/');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /dist\/ is not built: run "npm run build"/);
  });
});
