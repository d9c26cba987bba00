/** The shieldwall command as a user runs it: ingest (local and into a running node), tokens. */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { bundle, indicator, malware } from './support/factories.js';
import { BIN, BIN_NODE_FLAGS, runCli, startNodeProcess } from './support/process.js';
import { SUITE_LIMIT_MS, until } from './support/wait.js';

const cli = runCli;

describe('shieldwall CLI', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let file: string;
  const good = [indicator(), malware(), indicator()];
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-'));
    file = path.join(dir, 'feed.json');
    writeFileSync(file, bundle([...good, { type: 'indicator', id: 'nope' }]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ingests a file into the store, prints a JSON summary, writes outcomes, and exits 3 when some objects were rejected', async () => {
    const env = { SHIELDWALL_DATA_DIR: path.join(dir, 'local') };
    const outcomes = path.join(dir, 'outcomes.ndjson');
    const first = await cli(['ingest', file, '--outcomes', outcomes], env);
    assert.equal(first.code, 3, first.stderr);
    const summary = JSON.parse(first.stdout) as { accepted: number; rejected: number; firstRejected: Array<{ index: number }> };
    assert.equal(summary.accepted, 3);
    assert.equal(summary.rejected, 1);
    assert.equal(summary.firstRejected[0]!.index, 3);
    const lines = readFileSync(outcomes, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: string });
    assert.deepEqual(lines.map((l) => l.status), ['accepted', 'accepted', 'accepted', 'rejected']);

    const again = await cli(['ingest', '-'], env, good.map((o) => JSON.stringify(o)).join('\n') + '\n');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { duplicate: number }).duplicate, 3);
  });

  it('reports a long file whose text breaks off early, exit status 3, and keeps what came before', async () => {
    // Over 8 MiB, the file is parsed in a worker thread that reads ahead of it; the worker stops
    // at the break. The command ended with Node's exit status 13 and printed nothing.
    const first = indicator();
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${JSON.stringify(first)},]]]${' '.repeat(12 * 1024 * 1024)}`);
    const env = { SHIELDWALL_DATA_DIR: path.join(dir, 'broken-store') };
    const result = await cli(['ingest', broken], env);
    assert.equal(result.code, 3, `${result.code}: ${result.stderr}`);
    const summary = JSON.parse(result.stdout) as { accepted: number; streamErrors: string[] };
    assert.equal(summary.accepted, 1, result.stdout);
    assert.match(summary.streamErrors[0] ?? '', /unexpected '\]' at byte \d+/, result.stdout);
    const again = await cli(['ingest', '-'], env, `${JSON.stringify(first)}\n`);
    assert.equal((JSON.parse(again.stdout) as { duplicate: number }).duplicate, 1, 'the object before the break was stored');
  });

  it('ends when standard input breaks off, without waiting for whoever writes it to stop', async () => {
    // A producer still running after writing text that is not STIX (a log tool piped by mistake,
    // say): the command reported at once but then waited until the producer closed the pipe.
    const first = indicator();
    const child = spawn(process.execPath, [...BIN_NODE_FLAGS, BIN, 'ingest', '-'], {
      env: { PATH: process.env.PATH ?? '', SHIELDWALL_DATA_DIR: path.join(dir, 'stdin-store') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let code: number | null | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => (code = c));
    child.stdin.on('error', () => undefined);
    child.stdin.write(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4e5d-9c89-1f9a9a5e3f2a","objects":[${JSON.stringify(first)},]]]\n`);
    try {
      await until('the command ended with its input still open', () => (code !== undefined ? undefined : `running; printed: ${stdout.slice(0, 200)}${stderr.slice(0, 200)}`));
      assert.equal(code, 3, `${code}: ${stderr}`);
      const summary = JSON.parse(stdout) as { accepted: number; streamErrors: string[] };
      assert.equal(summary.accepted, 1, stdout);
      assert.match(summary.streamErrors[0] ?? '', /unexpected '\]' at byte \d+/, stdout);
    } finally {
      child.stdin.end();
      if (code === undefined) child.kill('SIGKILL');
    }
  });

  it('says what is wrong with a missing file, exit status 5', async () => {
    const result = await cli(['ingest', path.join(dir, 'missing.json')], { SHIELDWALL_DATA_DIR: path.join(dir, 'local') });
    assert.equal(result.code, 5);
    assert.match(result.stderr, /cannot read .*missing\.json: no such file/);
  });

  it('feeds a running node through its API in chunks', async () => {
    // Intelligence is read by users of a member: an analyst of an ally, made before the node starts.
    const remote = { SHIELDWALL_DATA_DIR: path.join(dir, 'remote') };
    assert.equal((await cli(['members', 'add', '--code', 'DEU', '--name', 'Germany', '--kind', 'ally'], remote)).code, 0);
    assert.equal((await cli(['users', 'create', '--name', 'ana', '--member', 'DEU', '--roles', 'analyst', '--clearance', 'SECRET'], remote)).code, 0);
    const analyst = (await cli(['tokens', 'create', '--name', 'ana', '--user', 'ana'], remote)).stdout.trim();
    const node = await startNodeProcess(remote);
    try {
      const result = await cli(['ingest', file, '--url', node.url, '--token', analyst, '--chunk-objects', '2'], {});
      assert.equal(result.code, 3, result.stderr);
      const summary = JSON.parse(result.stdout) as { accepted: number; rejected: number };
      assert.deepEqual([summary.accepted, summary.rejected], [3, 1]);
      for (const o of good) {
        const got = await request(`${node.url}/api/v1/objects/${o.id}`, { headers: { authorization: `Bearer ${analyst}` } });
        assert.deepEqual(await got.body.json(), o);
        // The node's administrator has no member and no clearance: it administers, it does not read.
        const admin = await request(`${node.url}/api/v1/objects/${o.id}`, { headers: { authorization: `Bearer ${node.token}` } });
        assert.equal(admin.statusCode, 404);
        await admin.body.dump();
      }
      const denied = await cli(['ingest', file, '--url', node.url, '--token', 'sw_wrong'], {});
      assert.equal(denied.code, 9);
      assert.match(denied.stderr, /token refused/);
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  it('creates tokens shown once and lists them without their values', async () => {
    const env = { SHIELDWALL_DATA_DIR: path.join(dir, 'tokens') };
    assert.equal((await cli(['users', 'create', '--name', 'soc', '--roles', 'analyst'], env)).code, 0);
    const created = await cli(['tokens', 'create', '--name', 'soc', '--user', 'soc'], env);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^sw_[A-Za-z0-9_-]{43}$/);
    const listed = await cli(['tokens', 'list'], env);
    assert.ok(!listed.stdout.includes(token));
    assert.match(listed.stdout, /"name":"soc"/);
    const bad = await cli(['users', 'create', '--name', 'x', '--roles', 'emperor'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown role 'emperor'/);
    const nobody = await cli(['tokens', 'create', '--name', 'x', '--user', 'ghost'], env);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no user named 'ghost'/);

    // Both changes are on the audit log, which verifies, exports, and catches tampering.
    const intact = await cli(['audit', 'verify'], env);
    assert.equal(intact.code, 0, intact.stderr);
    const verified = JSON.parse(intact.stdout) as { ok: boolean; entries: number };
    assert.deepEqual([verified.ok, verified.entries], [true, 2]);
    const exported = await cli(['audit', 'export'], env);
    const actions = exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
    assert.deepEqual(actions, ['directory.user.create', 'directory.token.create']);
    const db = new Database(path.join(dir, 'tokens', 'shieldwall.db'));
    db.prepare("update audit_log set actor = 'user:nobody' where seq = 1").run();
    db.close();
    const broken = await cli(['audit', 'verify'], env);
    assert.equal(broken.code, 4);
    assert.match(broken.stderr, /broken at entry 1: .*altered/);
  });
});
