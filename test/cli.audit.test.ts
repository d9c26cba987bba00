/** The audit log as an operator meets it: local commands on record, verify and its exit codes. */
import assert from 'node:assert/strict';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore } from '../src/db/database.js';
import { createTestStore, DIALECTS, dialectSkip, type TestStore } from './support/dialects.js';
import { runCli } from './support/process.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

interface Exported {
  seq: number;
  actor: string;
  action: string;
  subject: string;
}

/** A data directory (and, for PostgreSQL, a schema) of its own for each test. */
async function localNode(dialect: 'sqlite' | 'postgres'): Promise<{ dir: string; env: Record<string, string>; testStore: TestStore | undefined; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-cli-audit-'));
  const env: Record<string, string> = { SHIELDWALL_DATA_DIR: dir };
  const testStore = dialect === 'postgres' ? await createTestStore('postgres') : undefined;
  if (testStore) env.SHIELDWALL_DATABASE_URL = testStore.url;
  return {
    dir,
    env,
    testStore,
    cleanup: async () => {
      await testStore?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function exported(env: Record<string, string>): Promise<Exported[]> {
  const result = await runCli(['audit', 'export'], env);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Exported);
}

async function addMember(env: Record<string, string>, code = 'DEU', args: string[] = []): Promise<void> {
  const result = await runCli([...args, 'members', 'add', '--code', code, '--name', `Member ${code}`, '--kind', 'ally'], env);
  assert.equal(result.code, 0, result.stderr);
}

for (const dialect of DIALECTS) {
  describe(`shieldwall audit on the store directly (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    it("records local writes with the operator's OS user, and the user named with --as", async () => {
      const local = await localNode(dialect);
      try {
        const { env } = local;
        const operator = userInfo().username;
        await addMember(env);
        const created = await runCli(['--as', 'ana.lead', 'users', 'create', '--name', 'ana', '--member', 'DEU', '--roles', 'analyst', '--clearance', 'SECRET'], env);
        assert.equal(created.code, 0, created.stderr);
        const token = await runCli(['tokens', 'create', '--name', 'ana', '--user', 'ana', '--as', 'ana.lead'], env);
        assert.equal(token.code, 0, token.stderr);
        const log = await exported(env);
        const actorOf = (action: string) => log.find((e) => e.action === action)?.actor;
        assert.equal(log[0]!.actor, `cli:${operator}`, `${log[0]!.action} of members add`);
        assert.equal(actorOf('directory.user.create'), `cli:${operator} as ana.lead`);
        assert.equal(actorOf('directory.token.create'), `cli:${operator} as ana.lead`, '--as after the command name works too');
      } finally {
        await local.cleanup();
      }
    });

    it('exits 0 on an intact log, and 4 naming what is wrong when the newest entries were removed', async () => {
      const local = await localNode(dialect);
      try {
        const { env, dir, testStore } = local;
        await addMember(env);
        await addMember(env, 'FRA', ['--as', 'someone']);
        const intact = await runCli(['audit', 'verify'], env);
        assert.equal(intact.code, 0, intact.stderr);
        const result = JSON.parse(intact.stdout) as { ok: boolean; entries: number };
        assert.equal(result.ok, true);
        const head = result.entries;
        assert.ok(head >= 2);

        const store = testStore?.store ?? openStore(`sqlite:${path.join(dir, 'shieldwall.db')}`);
        try {
          await sql`delete from audit_log where seq = ${head}`.execute(store.db);
        } finally {
          if (!testStore) await store.close();
        }
        const broken = await runCli(['audit', 'verify'], env);
        assert.equal(broken.code, 4, `${broken.stdout}${broken.stderr}`);
        assert.match(broken.stderr, new RegExp(`ends at entry ${head - 1}.*holds entry ${head}.*removed`));
      } finally {
        await local.cleanup();
      }
    });

    it('signs checkpoints so that a peer can check them with the public key alone', async () => {
      const local = await localNode(dialect);
      try {
        const { env, dir } = local;
        await addMember(env);
        const checkpoint = await runCli(['audit', 'checkpoint'], env);
        assert.equal(checkpoint.code, 0, checkpoint.stderr);
        const published = await runCli(['audit', 'public-key'], env);
        assert.equal(published.code, 0, published.stderr);
        const key = createPublicKey(published.stdout);
        const lines = readFileSync(path.join(dir, 'audit-checkpoints.log'), 'utf8').trim().split('\n');
        assert.ok(lines.length >= 1);
        for (const line of lines) {
          const { sig, ...signed } = JSON.parse(line) as { sig: string } & Record<string, unknown>;
          const text = JSON.stringify(Object.fromEntries(Object.entries(signed).sort(([a], [b]) => (a < b ? -1 : 1))));
          assert.ok(verifySignature(null, Buffer.from(text), key, Buffer.from(sig, 'base64')), line);
        }
        const keyFile = path.join(dir, 'audit.key');
        assert.equal(statSync(keyFile).mode & 0o777, 0o600);
        const secret = readFileSync(keyFile, 'utf8').trim();
        assert.ok(!lines.join('\n').includes(secret), 'the key is not in the checkpoints');
      } finally {
        await local.cleanup();
      }
    });
  });
}
