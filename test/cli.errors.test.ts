/**
 * The command line when things go wrong, as a user meets it: each failure is one line naming
 * the cause and the fix, with the exit status --help documents; a cut-off remote ingest says
 * what was committed, and --resume sends only the rest.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCa, issue } from '../src/core/pki.js';
import { EXIT, EXIT_MEANINGS } from '../src/cli/failures.js';
import { indicator } from './support/factories.js';
import { BIN, runCli, startNodeProcess, type NodeProcess } from './support/process.js';
import { REPO_ROOT } from './support/paths.js';
import { freePort } from './support/ports.js';
import { lastLines, limit, SUITE_LIMIT_MS } from './support/wait.js';

type Result = { code: number | null; stdout: string; stderr: string };

/** The failure is one line on standard error, with one prefix, and never fetch's or OpenSSL's text. */
function oneLine(result: Result, status: number, pattern: RegExp): void {
  const context = `exit ${result.code}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
  assert.equal(result.code, status, context);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on standard error:\n${context}`);
  assert.match(lines[0]!, /^shieldwall: (?!shieldwall:|error:)/i, context);
  assert.match(lines[0]!, pattern, context);
  assert.doesNotMatch(result.stderr, /fetch failed|ssl3_|SSL routines|\n\s+at /, context);
}

function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  return new Promise((resolve) => server.once('listening', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: one the kernel does not hand out by itself, so no other test takes it meanwhile. */
const closedPort = freePort;

describe('shieldwall CLI failures', { timeout: SUITE_LIMIT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-errors-'));
  const plainEnv = { SHIELDWALL_DATA_DIR: path.join(dir, 'plain') };
  const tlsEnv = { SHIELDWALL_DATA_DIR: path.join(dir, 'tls') };
  const caFile = path.join(dir, 'ca.crt');
  let plain: NodeProcess;
  let tls: NodeProcess;
  let tlsPort: string;
  let analyst: string;
  /** Answers like a web server that is not Shieldwall: an HTML page, 404 for what it does not know. */
  let other: Server;
  let otherUrl: string;

  before(async () => {
    // An analyst of an ally, who reads what is released to the alliance: the ingest tests' user.
    for (const args of [
      ['members', 'add', '--code', 'DEU', '--name', 'Germany', '--kind', 'ally'],
      ['users', 'create', '--name', 'ana', '--member', 'DEU', '--roles', 'analyst', '--clearance', 'SECRET'],
    ]) {
      const result = await runCli(args, plainEnv);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    const token = await runCli(['tokens', 'create', '--name', 'ana', '--user', 'ana'], plainEnv);
    assert.equal(token.code, 0, token.stderr);
    analyst = token.stdout.trim();

    // A node serving HTTPS with a certificate for 'localhost' from a CA nobody trusts yet.
    const ca = await createCa('Errors test CA');
    const leaf = await issue(ca, { commonName: 'localhost', usage: 'server', dnsNames: ['localhost'] });
    mkdirSync(tlsEnv.SHIELDWALL_DATA_DIR, { recursive: true });
    writeFileSync(caFile, ca.certPem);
    writeFileSync(path.join(dir, 'node.crt'), leaf.certPem);
    writeFileSync(path.join(dir, 'node.key'), leaf.keyPem);

    [plain, tls] = await Promise.all([
      startNodeProcess(plainEnv),
      startNodeProcess({ ...tlsEnv, SHIELDWALL_TLS_CERT: path.join(dir, 'node.crt'), SHIELDWALL_TLS_KEY: path.join(dir, 'node.key') }),
    ]);
    tlsPort = new URL(tls.url).port;

    other = createServer((request, response) => {
      request.resume();
      if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<!doctype html><html><head><title>Welcome to the intranet</title></head><body>hello</body></html>');
        return;
      }
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>');
    });
    otherUrl = await listen(other);
  });

  after(async () => {
    for (const node of [plain, tls]) node?.child.kill('SIGTERM');
    await Promise.all([plain?.exited, tls?.exited]);
    await close(other);
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents every exit status in --help, and prints the version', async () => {
    const help = await runCli(['--help'], {});
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Exit status:/);
    for (const [status, meaning] of EXIT_MEANINGS) assert.ok(help.stdout.includes(`${String(status).padStart(2)}  ${meaning}`), `--help lists ${status}`);
    const version = await runCli(['--version'], {});
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const unknown = await runCli(['lookup', '1.2.3.4', '--no-such-option'], {});
    assert.equal(unknown.code, EXIT.usage, unknown.stderr);
    assert.match(unknown.stderr, /^error: unknown option '--no-such-option'/);
  });

  it('a node that is not running: connection refused, exit 6', async () => {
    const port = await closedPort();
    const result = await runCli(['lookup', '198.51.100.1', '--url', `http://127.0.0.1:${port}`, '--token', 'sw_x'], {});
    oneLine(result, EXIT.unreachable, new RegExp(`cannot reach the node at http://127\\.0\\.0\\.1:${port}: connection refused .*shieldwall serve`));
  });

  it('a host name that does not resolve: exit 6', async () => {
    const result = await runCli(['lookup', '198.51.100.1', '--url', 'http://shieldwall-node.invalid:8080', '--token', 'sw_x'], {});
    oneLine(result, EXIT.unreachable, /the host name 'shieldwall-node\.invalid' does not resolve/);
  });

  it('a URL without scheme: exit 2, with the URL to write', async () => {
    const port = new URL(plain.url).port;
    const result = await runCli(['lookup', '198.51.100.1', '--url', `127.0.0.1:${port}`, '--token', analyst], {});
    oneLine(result, EXIT.usage, new RegExp(`--url '127\\.0\\.0\\.1:${port}' has no scheme: write http://127\\.0\\.0\\.1:${port}`));
    const fromEnvironment = await runCli(['ingest', '-'], { SHIELDWALL_URL: 'localhost:8080', SHIELDWALL_TOKEN: analyst }, `${JSON.stringify(indicator())}\n`);
    oneLine(fromEnvironment, EXIT.usage, /SHIELDWALL_URL 'localhost:8080' has no scheme/);
  });

  it('https:// on a node that serves plain HTTP, and http:// on one that serves HTTPS: exit 7 with the scheme to use', async () => {
    const port = new URL(plain.url).port;
    const https = await runCli(['lookup', '198.51.100.1', '--url', `https://127.0.0.1:${port}`, '--token', analyst], {});
    oneLine(https, EXIT.tls, new RegExp(`does not speak TLS .*use http://127\\.0\\.0\\.1:${port}$`));
    const http = await runCli(['lookup', '198.51.100.1', '--url', `http://localhost:${tlsPort}`, '--token', tls.token], {});
    oneLine(http, EXIT.tls, new RegExp(`serves HTTPS and closes plain HTTP connections: use https://localhost:${tlsPort}$`));
  });

  it('a certificate from an unknown CA: exit 7 naming NODE_EXTRA_CA_CERTS, which then works', async () => {
    const url = `https://localhost:${tlsPort}`;
    const untrusted = await runCli(['lookup', '198.51.100.1', '--url', url, '--token', tls.token], {});
    oneLine(untrusted, EXIT.tls, /certificate of the node at https:\/\/localhost:\d+ is not trusted \(signed by a CA this machine does not know\): run with NODE_EXTRA_CA_CERTS=/);
    const trusted = await runCli(['lookup', '198.51.100.1', '--url', url, '--token', tls.token], { NODE_EXTRA_CA_CERTS: caFile });
    // Trusted, the lookup runs: the node's administrator reads nothing there, so nothing is found.
    assert.equal(trusted.code, EXIT.notFound, trusted.stderr);
    assert.deepEqual(JSON.parse(trusted.stdout), { value: '198.51.100.1', kind: 'ipv4', indicators: [] });
  });

  it('a certificate for another host name: exit 7 naming the names it holds', async () => {
    const result = await runCli(['lookup', '198.51.100.1', '--url', `https://127.0.0.1:${tlsPort}`, '--token', tls.token], { NODE_EXTRA_CA_CERTS: caFile });
    oneLine(result, EXIT.tls, new RegExp(`is not for '127\\.0\\.0\\.1' but for localhost: use a URL with a name the certificate holds \\(e\\.g\\. https://localhost:${tlsPort}\\)`));
  });

  it('a server that is not Shieldwall: exit 8', async () => {
    const notFound = await runCli(['lookup', '198.51.100.1', '--url', otherUrl, '--token', 'sw_x'], {});
    oneLine(notFound, EXIT.notShieldwall, /is not a Shieldwall node: it answered 404 with an HTML page \('404 Not Found'\)/);
    const ingest = await runCli(['ingest', '-', '--url', otherUrl, '--token', 'sw_x'], {}, `${JSON.stringify(indicator())}\n`);
    oneLine(ingest, EXIT.notShieldwall, /is not a Shieldwall node/);
    // A node's URL with its API path appended reaches the node, but no route of it.
    const apiPath = await runCli(['sighted', '--url', `${plain.url}/api/v1`, '--token', analyst], {});
    oneLine(apiPath, EXIT.usage, new RegExp(`has no route under /api/v1: give --url as the node's address, without a path \\(${plain.url.replace(/\./g, '\\.')}\\)$`));
  });

  it('a wrong token: "token refused", exit 9', async () => {
    for (const args of [
      ['lookup', '198.51.100.1'],
      ['ingest', '-'],
      ['warninglists', 'list'],
    ]) {
      const result = await runCli([...args, '--url', plain.url, '--token', 'sw_not_a_token'], {}, `${JSON.stringify(indicator())}\n`);
      oneLine(result, EXIT.tokenRefused, /^shieldwall: token refused by the node at http:\/\/127\.0\.0\.1:\d+: it is unknown, expired or revoked/);
      assert.doesNotMatch(result.stderr, /Authorization/);
    }
  });

  it('an empty input is an input error: exit 5', async () => {
    const empty = path.join(dir, 'empty.ndjson');
    writeFileSync(empty, '');
    oneLine(await runCli(['ingest', empty], plainEnv), EXIT.input, /empty\.ndjson is empty: nothing to ingest .*shieldwall generate/);
    oneLine(await runCli(['ingest', empty, '--url', plain.url, '--token', analyst], {}), EXIT.input, /is empty/);
    oneLine(await runCli(['ingest', '-'], plainEnv, ''), EXIT.input, /standard input is empty/);
    oneLine(await runCli(['match', empty, '--url', plain.url, '--token', analyst], {}), EXIT.input, /is empty: nothing to match/);
    oneLine(await runCli(['ingest', path.join(dir, 'absent.json')], plainEnv), EXIT.input, /cannot read .*absent\.json: no such file/);
  });

  it('ends quietly when its reader closes standard output early', async () => {
    for (const args of [
      ['generate', '--objects', '200000', '--format', 'ndjson'],
      ['members', 'list'],
    ]) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...plainEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // As `| head -c 0` does: the reader is gone before (members) or while (generate) it writes.
      child.stdout.destroy();
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`shieldwall ${args.join(' ')} still running:\n${lastLines(stderr)}`));
        }, limit(180_000));
        child.on('close', (exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });
      assert.equal(stderr, '', `${args.join(' ')}: nothing on standard error`);
      assert.equal(code, 0, args.join(' '));
    }
  });

  /** A feed of indicators the analyst may read (released to the alliance by default). */
  function feed(name: string, count: number): string {
    const file = path.join(dir, `${name}.ndjson`);
    const objects = Array.from({ length: count }, (_, i) => indicator({ name: `${name} ${i}`, pattern: `[ipv4-addr:value = '198.18.${i >> 8}.${i & 255}']` }));
    writeFileSync(file, objects.map((o) => `${JSON.stringify(o)}\n`).join(''));
    return file;
  }

  /**
   * Between the command and the node: once armed, it cuts the connection of the third bundle
   * before the node sees it; otherwise it passes everything on. The command keeps two bundles in
   * flight: the fourth is on its way when the third is cut, and the node commits it.
   */
  let cutThird = false;
  let bundles = 0;
  const proxy = createServer((incoming, outgoing) => {
    if (cutThird && incoming.method === 'POST' && incoming.url?.startsWith('/api/v1/bundles') && ++bundles === 3) {
      incoming.socket.destroy();
      return;
    }
    const forwarded = httpRequest(`${plain.url}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => incoming.socket.destroy());
    incoming.pipe(forwarded);
  });
  let proxyUrl: string;
  before(async () => {
    proxyUrl = await listen(proxy);
  });
  after(() => close(proxy));

  async function cutOff(file: string, env: Record<string, string>): Promise<Result> {
    cutThird = true;
    bundles = 0;
    try {
      return await runCli(['ingest', file, '--url', proxyUrl, '--token', analyst, '--chunk-objects', '100'], env);
    } finally {
      cutThird = false;
    }
  }

  async function indicatorsHeld(): Promise<number | undefined> {
    const answer = await fetch(`${plain.url}/api/v1/stats`, { headers: { authorization: `Bearer ${analyst}` } });
    const stats = (await answer.json()) as { byType: Array<{ type: string; count: number }> };
    return stats.byType.find((t) => t.type === 'indicator')?.count;
  }

  it('a cut-off remote ingest says what was committed (exit 12); --resume skips what the node confirmed', async () => {
    const state = { XDG_STATE_HOME: path.join(dir, 'state-here') };
    const file = feed('journal', 500);
    const heldBefore = (await indicatorsHeld()) ?? 0;
    const cut = await cutOff(file, state);
    oneLine(cut, EXIT.interrupted, /ingest cut off after (300|400) objects committed \(0 rejected; [\d,]+ bytes read\): the node at http:\/\/127\.0\.0\.1:\d+ closed the connection without an answer .*run the same command with --resume/);
    const partial = JSON.parse(cut.stdout) as { accepted: number; interrupted: boolean };
    // Bundles 1, 2 and 4 are answered; on a loaded machine the command may send the fifth (two in
    // flight) before it learns that the third was cut, and the node commits it too.
    assert.ok(partial.accepted === 300 || partial.accepted === 400, `${partial.accepted} committed`);
    assert.equal(partial.interrupted, true);
    const before = await indicatorsHeld();

    const outcomes = path.join(dir, 'journal.outcomes.ndjson');
    // Resumed as written: the same file, to the same URL, on the same machine.
    const resumed = await runCli(['ingest', file, '--url', proxyUrl, '--token', analyst, '--chunk-objects', '100', '--resume', '--outcomes', outcomes], state);
    assert.equal(resumed.code, EXIT.ok, resumed.stderr);
    assert.match(resumed.stderr, /^note: resuming after the 200 objects the node answered in the earlier run; asking it about the (200|300) that were in flight$/m);
    const summary = JSON.parse(resumed.stdout) as { objects: number; skipped: number; held: number; accepted: number };
    // The 200 answered in order are skipped unread. Of those in flight, the node holds what it
    // committed past them (the fourth bundle, and the fifth if it went): the rest is stored now.
    const held = (before ?? 0) - heldBefore - 200;
    assert.ok(held === 100 || held === 200, `${held} held past the first 200`);
    assert.deepEqual([summary.objects, summary.skipped, summary.held, summary.accepted], [500, 200, held, 300 - held]);
    assert.equal(await indicatorsHeld(), (before ?? 0) + 300 - held);
    // --outcomes lists what this run decided: the ones held and the ones sent.
    assert.equal(readFileSync(outcomes, 'utf8').trim().split('\n').length, 300);
    // Sent whole: no record is left behind.
    assert.deepEqual(readdirSync(path.join(state.XDG_STATE_HOME, 'shieldwall')), []);
  });

  it('--resume without a record of the earlier run asks the node which objects it holds', async () => {
    const file = feed('elsewhere', 500);
    const heldBeforeCut = (await indicatorsHeld()) ?? 0;
    const cut = await cutOff(file, { XDG_STATE_HOME: path.join(dir, 'state-there') });
    assert.equal(cut.code, EXIT.interrupted, cut.stderr);
    const before = await indicatorsHeld();
    // What the node committed of the cut-off run: 300, or 400 when the fifth bundle went before the cut was noticed.
    const committed = (before ?? 0) - heldBeforeCut;
    assert.ok(committed === 300 || committed === 400, `${committed} committed`);
    // Resumed from another machine, as it were: no journal of the cut-off run here.
    const resumed = await runCli(['ingest', file, '--url', plain.url, '--token', analyst, '--chunk-objects', '100', '--resume'], { XDG_STATE_HOME: path.join(dir, 'state-elsewhere') });
    assert.equal(resumed.code, EXIT.ok, resumed.stderr);
    assert.match(resumed.stderr, /^note: no record on this machine of where an earlier run of this file stopped: asking the node/m);
    const summary = JSON.parse(resumed.stdout) as { objects: number; skipped: number; held: number; duplicate: number; accepted: number };
    assert.deepEqual([summary.objects, summary.skipped, summary.held, summary.duplicate, summary.accepted], [500, 0, committed, committed, 500 - committed]);
    assert.equal(await indicatorsHeld(), (before ?? 0) + 500 - committed);

    // Everything is held now: sending the whole file again stores nothing new.
    const again = await runCli(['ingest', file, '--url', plain.url, '--token', analyst], { XDG_STATE_HOME: path.join(dir, 'state-elsewhere') });
    assert.equal(again.code, EXIT.ok, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { duplicate: number }).duplicate, 500);
  });

  it('--resume needs --url, and refuses on the store directly', async () => {
    const feed = path.join(dir, 'one.ndjson');
    writeFileSync(feed, `${JSON.stringify(indicator())}\n`);
    oneLine(await runCli(['ingest', feed, '--resume'], plainEnv), EXIT.usage, /--resume applies to --url/);
  });
});
