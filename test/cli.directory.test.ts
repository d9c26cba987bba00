/** shieldwall members, tokens and credentials as the node's operator runs them, on each store. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, type Node } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import * as audit from '../src/modules/audit/audit.service.js';
import { authenticateToken, createToken, createUser, principalOfUser } from '../src/modules/directory/directory.service.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from './support/dialects.js';
import { runCli } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const IDENTITY = 'identity--7a1d3c5e-9b2f-4d6a-8c0e-2f4a6b8d0c1e';

for (const dialect of DIALECTS) {
  describe(`shieldwall members, tokens and credentials (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let node: Node;
    let dir: string;
    let env: Record<string, string>;
    const cli = (...args: string[]) => runCli(args, env);
    const member = async (code: string) => node.ctx.store.db.selectFrom('members').selectAll().where('code', '=', code).executeTakeFirst();

    before(async () => {
      testStore = await createTestStore(dialect);
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-directory-'));
      env = { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: testStore.url, SHIELDWALL_DEMO: '0' };
      const config = loadConfig({}, { databaseUrl: testStore.url, dataDir: dir, demo: false, logLevel: 'silent' });
      node = await buildApp({ config, store: testStore.store, logger: false });
      const added = await cli('members', 'add', '--code', 'DEU', '--name', 'Germany', '--kind', 'ally', '--country', 'DE', '--identity', IDENTITY);
      assert.equal(added.code, 0, added.stderr);
    });
    after(async () => {
      await node?.app.close();
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses `members add` for a code that exists, and keeps the member and its identity', async () => {
      const again = await cli('members', 'add', '--code', 'DEU', '--name', 'Impostor', '--kind', 'partner');
      assert.equal(again.code, 1, again.stderr);
      assert.match(again.stderr, /member DEU exists already.*shieldwall members update DEU/);
      const deu = await member('DEU');
      assert.deepEqual([deu?.name, deu?.kind, deu?.country, deu?.identity_id], ['Germany', 'ally', 'DE', IDENTITY]);
    });

    it('changes only the fields named with `members update`', async () => {
      const renamed = await cli('members', 'update', 'DEU', '--name', 'Federal Republic of Germany');
      assert.equal(renamed.code, 0, renamed.stderr);
      const deu = await member('DEU');
      assert.deepEqual([deu?.name, deu?.kind, deu?.country, deu?.identity_id], ['Federal Republic of Germany', 'ally', 'DE', IDENTITY]);
      const missing = await cli('members', 'update', 'XXX', '--name', 'Nobody');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no member with code 'XXX'.*members add/);
      const nothing = await cli('members', 'update', 'DEU');
      assert.equal(nothing.code, 2);
      assert.match(nothing.stderr, /name at least one field/);
    });

    it("keeps a group's description when `members group` adds to it without one", async () => {
      assert.equal((await cli('members', 'add', '--code', 'POL', '--name', 'Poland', '--kind', 'ally')).code, 0);
      assert.equal((await cli('members', 'group', 'EASTERN', 'DEU', '--description', 'Eastern flank')).code, 0);
      assert.equal((await cli('members', 'group', 'EASTERN', 'POL')).code, 0);
      const group = await node.ctx.store.db.selectFrom('member_groups').select('description').where('name', '=', 'EASTERN').executeTakeFirstOrThrow();
      assert.equal(group.description, 'Eastern flank');
    });

    it("issues a token for a member's user at once from the local command line, on the audit log as the operator's", async () => {
      assert.equal((await cli('users', 'create', '--name', 'de.analyst', '--member', 'DEU', '--roles', 'analyst', '--clearance', 'SECRET')).code, 0);
      const created = await cli('tokens', 'create', '--name', 'break-glass', '--user', 'de.analyst');
      assert.equal(created.code, 0, created.stderr);
      assert.equal((await authenticateToken(node.ctx, created.stdout.trim()))?.userName, 'de.analyst');
      const entries = [];
      for await (const entry of audit.entries(node.ctx)) entries.push(entry);
      const issued = entries.find((e) => e.action === 'directory.token.create' && e.subject === 'break-glass');
      // The node's own command line, never a user of the node (the operator's name is added by the audit module).
      assert.ok(issued, 'the token is on the audit log');
      assert.doesNotMatch(issued.actor, /^user:/);
      assert.equal(issued?.detail?.user, 'de.analyst');
    });

    it('lists, approves and declines credential requests from the local command line', async () => {
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'root', member: null, clearance: 0, roles: ['node-admin'] });
      const root = (await principalOfUser(node.ctx, 'root'))!;
      const asked = await createToken(node.ctx, root, { name: 'support', user: 'de.analyst' });
      assert.equal(asked.status, 'pending');
      const declinedToo = await createToken(node.ctx, root, { name: 'support-2', user: 'de.analyst' });

      const listed = await cli('credentials', 'list');
      assert.equal(listed.code, 0, listed.stderr);
      const pending = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; status: string; user: string });
      assert.ok(pending.some((r) => r.id === asked.request!.id && r.status === 'pending' && r.user === 'de.analyst'));

      assert.equal(await authenticateToken(node.ctx, asked.token), undefined);
      const approved = await cli('credentials', 'approve', String(asked.request!.id));
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal((await authenticateToken(node.ctx, asked.token))?.userName, 'de.analyst');

      assert.equal((await cli('credentials', 'decline', String(declinedToo.request!.id))).code, 0);
      assert.equal(await authenticateToken(node.ctx, declinedToo.token), undefined);
      const twice = await cli('credentials', 'approve', String(declinedToo.request!.id));
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /declined/);
    });
  });
}
