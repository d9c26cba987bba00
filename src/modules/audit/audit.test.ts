import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { bundle, indicator } from '../../../test/support/factories.js';
import { handlingMarkingDefinition } from '../../policy/markings.js';
import { entries, verify, type AuditEntry } from './audit.service.js';

for (const dialect of DIALECTS) {
  describe(`audit log (${dialect})`, { skip: await dialectSkip(dialect), timeout: 60_000 }, () => {
    let node: TestNode;
    const all = async (): Promise<AuditEntry[]> => {
      const out: AuditEntry[] = [];
      for await (const e of entries(node.ctx)) out.push(e);
      return out;
    };
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
    });
    after(async () => node?.close());

    it('records writes, denials and reads of classified objects, chained', async () => {
      const log = await all();
      const actions = log.map((e) => e.action);
      for (const action of ['directory.user.create', 'directory.token.create', 'intel.ingest', 'intel.read', 'auth.unauthenticated', 'auth.forbidden']) {
        assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
      }
      const ingest = log.find((e) => e.action === 'intel.ingest')!;
      assert.equal(ingest.actor, 'user:test-analyst');
      assert.equal(ingest.detail!.versions, 3);
      assert.ok(!JSON.stringify(log).includes(node.tokens.analyst), 'no credential in the log');
      assert.deepEqual(await verify(node.ctx), { ok: true, entries: log.length });
    });

    it('detects an altered, a removed and an inserted entry', async () => {
      const db = node.ctx.store.db;
      const log = await all();
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
      await sql`insert into audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) values (${target.seq}, ${target.at}, ${target.actor}, ${target.action}, ${target.subject}, ${JSON.stringify(target.detail ?? {})}, ${target.prevHash}, ${target.hash})`.execute(db);
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
}
