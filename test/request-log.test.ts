/** The request log of a running node: one line per request, and no credential in any line. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startNodeProcess, type NodeProcess } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

describe('request log', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let node: NodeProcess;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-request-log-'));
    // Shaped like a token the node makes, so that HTTP Basic takes it as a token too.
    node = await startNodeProcess({ SHIELDWALL_DATA_DIR: dir }, `sw_${randomBytes(32).toString('base64url')}`);
  });
  after(async () => {
    node?.child.kill('SIGTERM');
    await node?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one line per request, with neither a valid nor a refused credential in it', async () => {
    const wrong = `sw_${'w'.repeat(43)}`;
    const password = 'not-the-password-of-anyone';
    const sent: Array<[string, number]> = [];
    for (const [authorization, status] of [
      [`Bearer ${node.token}`, 200],
      [`Bearer ${node.token}`, 200],
      [`Bearer ${wrong}`, 401],
      [`Basic ${Buffer.from(`admin:${node.token}`).toString('base64')}`, 200],
      [`Basic ${Buffer.from(`admin:${password}`).toString('base64')}`, 401],
    ] as const) {
      const marker = `/api/v1/me?probe=${sent.length}`;
      const response = await request(`${node.url}${marker}`, { headers: { authorization } });
      await response.body.dump();
      assert.equal(response.statusCode, status, authorization.split(' ')[0]);
      sent.push([marker, status]);
    }
    // Written asynchronously: the lines are all there once the process has exited and flushed.
    node.child.kill('SIGTERM');
    await node.exited;
    const lines = node
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; req?: { url?: string }; res?: { statusCode?: number } });
    for (const [marker, status] of sent) {
      const about = lines.filter((l) => l.req?.url === marker);
      assert.equal(about.length, 1, `one line for ${marker}`);
      assert.equal(about[0]!.res?.statusCode, status);
    }
    const output = node.output();
    for (const secret of [node.token, wrong, password, Buffer.from(`admin:${node.token}`).toString('base64'), Buffer.from(`admin:${password}`).toString('base64')]) {
      assert.ok(!output.includes(secret), 'a credential appears in the log');
    }
  });
});
