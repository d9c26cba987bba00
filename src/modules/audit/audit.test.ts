import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { createTestStore, DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { bundle, indicator } from '../../../test/support/factories.js';
import { createContext } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../core/logger.js';
import { handlingMarkingDefinition } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { closeAudit, entries, entryHash, GENESIS, record, verify, type AuditEntry } from './audit.service.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';

async function all(node: TestNode): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of entries(node.ctx)) out.push(e);
  return out;
}

/** A node with a few dozen entries in its log. */
async function busyNode(dialect: 'sqlite' | 'postgres'): Promise<TestNode> {
  const node = await createTestNode(dialect);
  for (let i = 0; i < 10; i++) await record(node.ctx, SYSTEM_PRINCIPAL, [{ action: 'test.event', subject: `event ${i}`, detail: { i } }]);
  return node;
}

/**
 * What someone with write access to the store but without the node key can do: change rows and
 * make every hash again from the first changed entry on, so that the chain is whole.
 */
async function rehashFrom(node: TestNode, fromSeq: number): Promise<void> {
  const db = node.ctx.store.db;
  let prevHash: string | undefined;
  for (const e of await all(node)) {
    if (e.seq < fromSeq) {
      prevHash = e.hash;
      continue;
    }
    const hash = entryHash({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, detail: e.detail ?? {}, prevHash: prevHash ?? e.prevHash });
    await sql`update audit_log set prev_hash = ${prevHash ?? e.prevHash}, hash = ${hash} where seq = ${e.seq}`.execute(db);
    prevHash = hash;
  }
}

for (const dialect of DIALECTS) {
  describe(`audit log (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
      const secret = handlingMarkingDefinition({ id: 'marking-definition--6c3a3d1e-2f5b-4c1a-9d7e-1a2b3c4d5e6f', created: '2024-01-01T00:00:00.000Z', classification: 'SECRET', releasableTo: ['TST'] });
      const marked = indicator({ object_marking_refs: [secret.id] });
      const headers = { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' };
      const posted = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: bundle([secret, marked, indicator()]), headers });
      assert.equal(posted.statusCode, 200);
      assert.equal((await node.app.inject({ method: 'GET', url: `/api/v1/objects/${marked.id}`, headers })).statusCode, 200);
      assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/objects' })).statusCode, 401);
      assert.equal((await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { ...headers, authorization: `Bearer ${node.tokens['political-delegate']}` } })).statusCode, 403);
      // Refusals are written per source and interval; closing the node writes what is pending.
      await node.app.close();
    });
    after(async () => node?.close());

    it('records writes, denials and reads of classified objects, chained', async () => {
      const log = await all(node);
      const actions = log.map((e) => e.action);
      for (const action of ['directory.user.create', 'directory.token.create', 'intel.ingest', 'intel.read', 'auth.unauthenticated', 'auth.forbidden']) {
        assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
      }
      const ingest = log.find((e) => e.action === 'intel.ingest')!;
      assert.equal(ingest.actor, 'user:test-analyst');
      assert.equal(ingest.detail!.versions, 3);
      assert.ok(!JSON.stringify(log).includes(node.tokens.analyst), 'no credential in the log');
      assert.ok(log.every((e) => /^[0-9a-f]{64}$/.test(e.mac ?? '')), 'every entry carries a MAC');
      const result = await verify(node.ctx);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.entries, log.length);
      assert.equal(result.hashOnly, 0);
      assert.equal(result.checkpoint?.seq, log.length, 'closing the node wrote a checkpoint of its head');
    });

    it('detects an altered, a removed and an inserted entry', async () => {
      const db = node.ctx.store.db;
      const log = await all(node);
      const target = log[2]!;
      await sql`update audit_log set subject = 'nothing happened' where seq = ${target.seq}`.execute(db);
      let result = await verify(node.ctx);
      assert.equal(result.ok, false);
      assert.equal(result.problem!.seq, target.seq);
      assert.match(result.problem!.message, /altered/);
      await sql`update audit_log set subject = ${target.subject} where seq = ${target.seq}`.execute(db);
      assert.equal((await verify(node.ctx)).ok, true, 'restored');

      await sql`delete from audit_log where seq = ${target.seq}`.execute(db);
      result = await verify(node.ctx);
      assert.equal(result.ok, false);
      assert.equal(result.problem!.seq, target.seq + 1);
      await sql`insert into audit_log (seq, at, actor, action, subject, detail, prev_hash, hash, mac) values (${target.seq}, ${target.at}, ${target.actor}, ${target.action}, ${target.subject}, ${JSON.stringify(target.detail ?? {})}, ${target.prevHash}, ${target.hash}, ${target.mac})`.execute(db);
      assert.equal((await verify(node.ctx)).ok, true, 'restored');

      // An entry slipped in between two others, with a hash of its own making.
      const last = log[log.length - 1]!;
      await sql`update audit_log set seq = seq + 1000 where seq > ${target.seq}`.execute(db);
      await sql`insert into audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) values (${target.seq + 1}, ${target.at}, 'user:mallory', 'intel.read', 'x', '{}', ${target.hash}, ${'f'.repeat(64)})`.execute(db);
      result = await verify(node.ctx);
      assert.equal(result.ok, false);
      assert.equal(result.problem!.seq, target.seq + 1);
      assert.ok(last.seq > target.seq);
    });
  });

  describe(`audit log anchored by the node key (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    it('detects the removal of the newest entries, though the chain left is whole', async () => {
      const node = await busyNode(dialect);
      try {
        const before = await verify(node.ctx);
        assert.equal(before.ok, true, JSON.stringify(before));
        const head = before.entries;
        await sql`delete from audit_log where seq > ${head - 3}`.execute(node.ctx.store.db);
        const result = await verify(node.ctx);
        assert.equal(result.ok, false, 'removing the last three entries is detected');
        assert.equal(result.problem!.seq, head - 2);
        assert.match(result.problem!.message, new RegExp(`ends at entry ${head - 3}.*holds entry ${head}.*removed`));
      } finally {
        await node.close();
      }
    });

    it('still finds removed entries once new ones have passed the old head, after a restart too', async () => {
      const node = await busyNode(dialect);
      try {
        const head = (await verify(node.ctx)).entries;
        await sql`delete from audit_log where seq > ${head - 3}`.execute(node.ctx.store.db);
        // The same node, and one started afresh on the same files, go on writing.
        const restarted = createContext({ config: node.ctx.config, store: node.ctx.store, logger: createLogger('silent') });
        for (let i = 0; i < 3; i++) await record(node.ctx, SYSTEM_PRINCIPAL, [{ action: 'test.later', subject: `later ${i}` }]);
        for (let i = 0; i < 3; i++) await record(restarted, SYSTEM_PRINCIPAL, [{ action: 'test.later', subject: `restarted ${i}` }]);
        await closeAudit(restarted);
        const result = await verify(node.ctx);
        assert.equal(result.ok, false, 'no newer checkpoint hides the removal');
        assert.equal(result.problem!.seq, head);
        assert.match(result.problem!.message, /not the entry that the checkpoint/);
        assert.match(await node.ctx.metrics.registry.metrics(), /shieldwall_audit_checkpoints_total\{outcome="behind"\} [1-9]/);
      } finally {
        await node.close();
      }
    });

    it('detects a rewrite of the whole chain made without the node key', async () => {
      const node = await busyNode(dialect);
      try {
        assert.equal((await verify(node.ctx)).ok, true);
        const first = (await all(node)).find((e) => e.action === 'directory.user.create')!;
        await sql`update audit_log set actor = 'user:someone-else' where action = 'directory.user.create'`.execute(node.ctx.store.db);
        await rehashFrom(node, 1);
        const result = await verify(node.ctx);
        assert.equal(result.ok, false, 'a chain made again from the first entry is detected');
        assert.equal(result.problem!.seq, first.seq);
        assert.match(result.problem!.message, /MAC/);
      } finally {
        await node.close();
      }
    });

    it('detects entries put in another order, with their hashes made again', async () => {
      const node = await busyNode(dialect);
      try {
        assert.equal((await verify(node.ctx)).ok, true);
        const log = await all(node);
        const [a, b] = [log[log.length - 5]!, log[log.length - 3]!];
        const db = node.ctx.store.db;
        for (const [row, from] of [[a, b], [b, a]] as const) {
          await sql`update audit_log set at = ${from.at}, actor = ${from.actor}, action = ${from.action}, subject = ${from.subject}, detail = ${JSON.stringify(from.detail ?? {})} where seq = ${row.seq}`.execute(db);
        }
        await rehashFrom(node, a.seq);
        const result = await verify(node.ctx);
        assert.equal(result.ok, false, 'two entries swapped, hashes made again, is detected');
        assert.equal(result.problem!.seq, a.seq);
      } finally {
        await node.close();
      }
    });

    it('detects MACs stripped to pass entries off as written before the node key', async () => {
      const node = await busyNode(dialect);
      try {
        assert.equal((await verify(node.ctx)).ok, true);
        await sql`update audit_log set mac = null`.execute(node.ctx.store.db);
        const result = await verify(node.ctx);
        assert.equal(result.ok, false);
        assert.equal(result.problem!.seq, 1);
        assert.match(result.problem!.message, /no MAC/);
      } finally {
        await node.close();
      }
    });

    it('verifies entries written before the node key by their hash chain only, and says so', async () => {
      const testStore = await createTestStore(dialect);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-audit-'));
      const ctx = createContext({ config: loadConfig({}, { dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' }), store: testStore.store, logger: createLogger('silent') });
      try {
        // A store from before the node key: its entries carry hashes only.
        let prevHash = GENESIS;
        for (let seq = 1; seq <= 3; seq++) {
          const entry = { seq, at: '2024-01-01T00:00:00.000Z', actor: 'system:system', action: 'test.legacy', subject: `old ${seq}`, detail: {}, prevHash };
          const hash = entryHash(entry);
          await sql`insert into audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) values (${seq}, ${entry.at}, ${entry.actor}, ${entry.action}, ${entry.subject}, '{}', ${prevHash}, ${hash})`.execute(ctx.store.db);
          prevHash = hash;
        }
        const legacy = await verify(ctx);
        assert.equal(legacy.ok, true, JSON.stringify(legacy));
        assert.equal(legacy.hashOnly, 3);
        await record(ctx, SYSTEM_PRINCIPAL, [{ action: 'test.after-key', subject: 'x' }]);
        const result = await verify(ctx);
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(result.hashOnly, 3, 'the entries from before the key are counted apart');
        assert.equal(result.entries, 4);
        assert.equal(result.checkpoint?.hashOnly, 3, 'the checkpoint holds where MACs begin');
        // Altering one of them breaks the chain at the first entry that has a MAC.
        const db = ctx.store.db;
        await sql`update audit_log set subject = 'rewritten' where seq = 2`.execute(db);
        let prev = (await sql<{ hash: string }>`select hash from audit_log where seq = 1`.execute(db)).rows[0]!.hash;
        for (const seq of [2, 3, 4]) {
          const row = (await sql<{ at: string; actor: string; action: string; subject: string; detail: string }>`select at, actor, action, subject, detail from audit_log where seq = ${seq}`.execute(db)).rows[0]!;
          const hash = entryHash({ seq, at: row.at, actor: row.actor, action: row.action, subject: row.subject, detail: JSON.parse(row.detail) as Record<string, unknown>, prevHash: prev });
          await sql`update audit_log set prev_hash = ${prev}, hash = ${hash} where seq = ${seq}`.execute(db);
          prev = hash;
        }
        const broken = await verify(ctx);
        assert.equal(broken.ok, false);
        assert.equal(broken.problem!.seq, 4);
      } finally {
        await closeAudit(ctx);
        await testStore.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('audit checkpoints outside the store', { timeout: SUITE_LIMIT_MS }, () => {
  const head = async (node: TestNode) => (await verify(node.ctx)).entries;

  it('sends each checkpoint to syslog over UDP and TCP, to a file and to a command', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-export-'));
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const datagrams: string[] = [];
    udp.on('message', (m) => datagrams.push(m.toString()));
    let stream = '';
    const tcp = createServer((socket) => socket.on('data', (d) => (stream += d.toString())));
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const targets = {
      udp: `udp://127.0.0.1:${(udp.address() as AddressInfo).port}`,
      tcp: `tcp://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
      file: `file:${path.join(dir, 'copy.log')}`,
      exec: `exec:cat >> '${path.join(dir, 'piped.log')}'`,
    };
    try {
      const received: Record<string, string> = {};
      for (const [kind, target] of Object.entries(targets)) {
        const node = await createTestNode('sqlite', { auditCheckpointExport: target });
        try {
          await record(node.ctx, SYSTEM_PRINCIPAL, [{ action: 'test.event', subject: kind }]);
          const seq = await head(node);
          await closeAudit(node.ctx);
          if (kind === 'udp') {
            await waitFor('the checkpoint over UDP', () => datagrams.length > 0);
            received[kind] = datagrams[0] ?? '';
          } else if (kind === 'tcp') {
            // RFC 6587 octet counting: whole once the count's bytes are in.
            await waitFor('the checkpoint over TCP', () => {
              const count = /^(\d+) /.exec(stream);
              return count !== null && Buffer.byteLength(stream) >= count[0].length + Number(count[1]);
            });
            received[kind] = stream;
          } else {
            received[kind] = readFileSync(path.join(dir, kind === 'file' ? 'copy.log' : 'piped.log'), 'utf8');
          }
          const line = received[kind]!.slice(received[kind]!.indexOf('{')).trim().split('\n').pop()!;
          const exported = JSON.parse(line) as { seq: number; store: string };
          assert.equal(exported.seq, seq, `${kind}: the checkpoint of the head`);
          // The exported copy is enough to hold the log against.
          if (kind === 'file') {
            await sql`delete from audit_log where seq = ${seq}`.execute(node.ctx.store.db);
            rmSync(node.ctx.config.auditCheckpointFile);
            const result = await verify(node.ctx, { checkpointFile: path.join(dir, 'copy.log') });
            assert.equal(result.ok, false);
            assert.match(result.problem!.message, /removed/);
          }
        } finally {
          await node.close();
        }
      }
      assert.match(received.udp!, /^<109>1 \S+ \S+ shieldwall \d+ audit-checkpoint - \{/);
      const framed = /^(\d+) (<109>1 .*)$/s.exec(received.tcp!);
      assert.ok(framed, `octet-counted syslog frame: ${received.tcp}`);
      assert.equal(Number(framed[1]), Buffer.byteLength(framed[2]!));
    } finally {
      udp.close();
      tcp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts an export that fails, and still writes the checkpoint file', async () => {
    const node = await createTestNode('sqlite', { auditCheckpointExport: 'exec:exit 3' });
    try {
      await record(node.ctx, SYSTEM_PRINCIPAL, [{ action: 'test.event', subject: 'x' }]);
      await closeAudit(node.ctx);
      assert.match(await node.ctx.metrics.registry.metrics(), /shieldwall_audit_checkpoints_total\{outcome="export_failed"\} [1-9]/);
      assert.equal((await verify(node.ctx)).ok, true);
    } finally {
      await node.close();
    }
  });

  it('keeps the key in a file of mode 0600, apart from the log and the checkpoints', async () => {
    const node = await createTestNode('sqlite');
    try {
      await closeAudit(node.ctx);
      const { auditKeyFile, auditCheckpointFile } = node.ctx.config;
      assert.equal(statSync(auditKeyFile).mode & 0o777, 0o600);
      const key = readFileSync(auditKeyFile, 'utf8').trim();
      assert.ok(!readFileSync(auditCheckpointFile, 'utf8').includes(key));
      const log = await all(node);
      assert.ok(!JSON.stringify(log).includes(key));
    } finally {
      await node.close();
    }
  });

  it('refuses a checkpoint file that was altered, or removed while entries carry MACs', async () => {
    const node = await createTestNode('sqlite');
    try {
      await closeAudit(node.ctx);
      const file = node.ctx.config.auditCheckpointFile;
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace(/"seq":(\d+)/, (_m, seq: string) => `"seq":${Number(seq) - 1}`));
      let result = await verify(node.ctx);
      assert.equal(result.ok, false);
      assert.match(result.problem!.message, /line 1: its signature does not hold/);
      rmSync(file);
      result = await verify(node.ctx);
      assert.equal(result.ok, false);
      assert.match(result.problem!.message, /no checkpoint of this store/);
      writeFileSync(file, original);
      assert.equal((await verify(node.ctx)).ok, true, 'restored');
    } finally {
      await node.close();
    }
  });
});
