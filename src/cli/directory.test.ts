/**
 * `shieldwall users list`, `tokens list` and `credentials list` on each store: the node answers
 * these listings a page at a time; the command line follows the pages and lists everything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from '../../test/support/dialects.js';
import { runCli } from '../../test/support/process.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import { PAGE_MAX } from '../modules/directory/directory.service.js';

/** More than one page of the most a page holds. */
const ROWS = PAGE_MAX + 37;

for (const dialect of DIALECTS) {
  describe(`shieldwall users, tokens and credentials list every page (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let dir: string;
    let env: Record<string, string>;
    const lines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

    before(async () => {
      testStore = await createTestStore(dialect);
      dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-pages-'));
      env = { SHIELDWALL_DATA_DIR: dir, SHIELDWALL_DATABASE_URL: testStore.url, SHIELDWALL_DEMO: '0' };
      const db = testStore.store.db;
      const at = new Date().toISOString();
      await db.insertInto('members').values({ code: 'DEU', name: 'Germany', kind: 'ally', country: 'DE', identity_id: null, created_at: at }).execute();
      const names = Array.from({ length: ROWS }, (_, i) => `de.user${String(i).padStart(5, '0')}`);
      for (let i = 0; i < ROWS; i += 250) {
        const slice = names.slice(i, i + 250);
        await db.insertInto('users').values(slice.map((name) => ({ name, member_code: 'DEU', clearance: 0, roles: ',analyst,', password_hash: null, created_at: at, disabled_at: null }))).execute();
        await db.insertInto('api_tokens').values(slice.map((name) => ({ name, token_hash: `hash-${name}`, role: 'user', member_code: 'DEU', user_name: name, created_at: at, expires_at: null, revoked_at: null, last_used_at: null, awaiting_request: null }))).execute();
        await db
          .insertInto('credential_requests')
          .values(slice.map((name) => ({ kind: 'password', user_name: name, requested_by: 'root', reason: 'seeded', token_id: null, token_name: null, token_expires_at: null, password_hash: 'scrypt$32768$8$1$c2FsdA$a2V5', status: 'pending', created_at: at, decided_by: null, decided_at: null })))
          .execute();
      }
    });
    after(async () => {
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists every user, by name', async () => {
      const listed = await runCli(['users', 'list'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const users = lines(listed.stdout).map((u) => u.name as string);
      assert.equal(users.length, ROWS);
      assert.equal(new Set(users).size, ROWS, 'each once');
    });

    it('lists every token, by id', async () => {
      const listed = await runCli(['tokens', 'list'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const ids = lines(listed.stdout).map((t) => t.id as number);
      assert.equal(ids.length, ROWS);
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'in id order, each once');
    });

    it('lists every credential request of a status, newest first', async () => {
      const listed = await runCli(['credentials', 'list', '--status', 'pending'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const requests = lines(listed.stdout);
      assert.equal(requests.length, ROWS);
      assert.ok(requests.every((r, i) => r.status === 'pending' && !('passwordHash' in r) && (i === 0 || (r.id as number) < (requests[i - 1]!.id as number))));
    });
  });
}
