/** Mutual TLS end to end: shieldwall pki makes the certificates, a real node serves HTTPS. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { createCa, issue } from '../src/core/pki.js';
import { runCli, startNodeProcess, type NodeProcess } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

describe('mutual TLS', { timeout: SUITE_LIMIT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-mtls-'));
  const env = { SHIELDWALL_DATA_DIR: dir };
  const pki = path.join(dir, 'pki');
  let node: NodeProcess;
  const read = (name: string) => readFileSync(path.join(pki, name), 'utf8');
  const agent = (cert?: { cert: string; key: string }) => new Agent({ connect: { ca: read('ca.crt'), ...(cert ?? {}) } });

  before(async () => {
    for (const args of [
      ['pki', 'init'],
      ['pki', 'node', 'localhost'],
      ['pki', 'user', 'ana'],
      ['pki', 'user', 'ghost'],
      ['members', 'add', '--code', 'DEU', '--name', 'Germany', '--kind', 'ally'],
      ['users', 'create', '--name', 'ana', '--member', 'DEU', '--roles', 'analyst', '--clearance', 'SECRET'],
      ['members', 'add', '--code', 'FRA', '--name', 'France', '--kind', 'ally'],
      ['peers', 'add', '--name', 'fra-node', '--member', 'FRA', '--clearance', 'RESTRICTED'],
      ['pki', 'peer', 'fra-node'],
    ]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    node = await startNodeProcess({ ...env, SHIELDWALL_TLS_CERT: path.join(pki, 'node.crt'), SHIELDWALL_TLS_KEY: path.join(pki, 'node.key'), SHIELDWALL_TLS_CLIENT_CA: path.join(pki, 'ca.crt') });
  });
  after(async () => {
    node?.child.kill('SIGTERM');
    await node?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const me = async (dispatcher: Agent, headers: Record<string, string> = {}) => {
    const url = node.url.replace('127.0.0.1', 'localhost');
    const response = await request(`${url}/api/v1/me`, { dispatcher, headers });
    return { status: response.statusCode, body: (await response.body.json()) as { user?: string; kind?: string; clearance?: number; member?: { code: string }; error?: { message: string } } };
  };

  it('serves HTTPS and maps a client certificate to its user', async () => {
    assert.match(node.url, /^https:\/\//);
    const answer = await me(agent({ cert: read('ana.crt'), key: read('ana.key') }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.user, 'ana');
    assert.equal(answer.body.member?.code, 'DEU');
  });

  it('maps a registered peer node\'s certificate to the peer, acting for its member', async () => {
    const answer = await me(agent({ cert: read('fra-node.crt'), key: read('fra-node.key') }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.kind, 'peer');
    assert.equal(answer.body.user, null);
    assert.equal(answer.body.member?.code, 'FRA');
    assert.equal(answer.body.clearance, 1);
  });

  it("refuses a write with a client certificate from another site's page: a browser presents it with any form", async () => {
    const url = node.url.replace('127.0.0.1', 'localhost');
    const ana = agent({ cert: read('ana.crt'), key: read('ana.key') });
    const write = async (headers: Record<string, string>) => {
      const response = await request(`${url}/api/v1/bundles?outcomes=none`, { method: 'POST', dispatcher: ana, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ type: 'bundle', id: 'bundle--7d1b5e07-2a0c-4c8e-9a47-6f1d2e3c4b5a', objects: [] }) });
      return { status: response.statusCode, body: (await response.body.json()) as { error?: { code: string; message: string } } };
    };
    // Before, the certificate's writes were taken whatever page sent them (no CSRF check).
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }] as Array<Record<string, string>>) {
      const answer = await write(headers);
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body.error?.code, 'SW_CSRF');
      assert.match(answer.body.error!.message, /a write with a client certificate from another site's page is refused/);
    }
    const own = await write({ 'sec-fetch-site': 'same-origin', origin: new URL(url).origin });
    assert.notEqual(own.status, 403, JSON.stringify(own.body));
    assert.notEqual((await write({})).status, 403, 'a client that is no browser');
  });

  it('refuses a certificate of no user, and one from another CA', async () => {
    const ghost = await me(agent({ cert: read('ghost.crt'), key: read('ghost.key') }));
    assert.equal(ghost.status, 401);
    assert.match(ghost.body.error!.message, /'ghost', who is no active user/);
    const rogueCa = await createCa('Rogue CA');
    const rogue = await issue(rogueCa, { commonName: 'ana', usage: 'client' });
    const refused = await me(agent({ cert: rogue.certPem, key: rogue.keyPem }));
    assert.equal(refused.status, 401);
    assert.match(refused.body.error!.message, /client certificate was refused/);
    // A valid token does not make a forged certificate acceptable.
    const withToken = await me(agent({ cert: rogue.certPem, key: rogue.keyPem }), { authorization: `Bearer ${node.token}` });
    assert.equal(withToken.status, 401);
  });

  it('still takes tokens over HTTPS, and nothing without credentials', async () => {
    assert.equal((await me(agent(), { authorization: `Bearer ${node.token}` })).status, 200);
    assert.equal((await me(agent())).status, 401);
  });

  it('stops with a message naming the setting when the key is missing', async () => {
    const result = await runCli(['serve'], { ...env, SHIELDWALL_PORT: '0', SHIELDWALL_TLS_CERT: path.join(pki, 'node.crt') });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SHIELDWALL_TLS_CERT and SHIELDWALL_TLS_KEY: set both/);
  });
});
