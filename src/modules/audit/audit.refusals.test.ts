/** Refused requests are counted per source and written once per interval, not once each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { closeAudit, entries, recordRefusal, verify, type AuditEntry } from './audit.service.js';
import { SUITE_LIMIT_MS, waitFor } from '../../../test/support/wait.js';

async function logAfter(node: TestNode, seq: number): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of entries(node.ctx)) if (e.seq > seq) out.push(e);
  return out;
}

async function headSeq(node: TestNode): Promise<number> {
  let seq = 0;
  for await (const e of entries(node.ctx)) seq = e.seq;
  return seq;
}

const sourceOf = (e: AuditEntry) => String(e.detail?.source ?? e.detail?.ip);
/** Refusals written only as the node closes: a slow run cannot cross an interval and split them. */
const AT_CLOSE = { auditRefusalIntervalMs: 3_600_000 };

for (const dialect of DIALECTS) {
  describe(`refused requests in the audit log (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    it('writes one record per source and kind of refusal for a flood of refused requests, with their count', async () => {
      const node = await createTestNode(dialect, AT_CLOSE);
      try {
        const start = await headSeq(node);
        const get = (ip: string, token: string) => node.app.inject({ method: 'GET', url: '/api/v1/objects', headers: { authorization: `Bearer ${token}` }, remoteAddress: ip });
        for (let i = 0; i < 40; i++) assert.equal((await get('192.0.2.10', `not-a-token-${i}`)).statusCode, 401);
        for (let i = 0; i < 5; i++) assert.equal((await get('192.0.2.20', 'not-a-token')).statusCode, 401);
        for (let i = 0; i < 5; i++) {
          const response = await node.app.inject({ method: 'POST', url: '/api/v1/bundles', payload: '[]', headers: { authorization: `Bearer ${node.tokens['political-delegate']}`, 'content-type': 'application/json' }, remoteAddress: '192.0.2.30' });
          assert.equal(response.statusCode, 403);
        }
        // What is pending is written as the node closes.
        await node.app.close();
        const refusals = (await logAfter(node, start)).filter((e) => e.action.startsWith('auth.'));
        assert.equal(refusals.length, 3, `one record per source, not per request: ${refusals.length} records`);
        const bySource = new Map(refusals.map((e) => [sourceOf(e), e]));
        assert.equal(bySource.get('192.0.2.10')?.action, 'auth.unauthenticated');
        assert.equal(bySource.get('192.0.2.10')?.detail?.count, 40);
        assert.equal(bySource.get('192.0.2.20')?.detail?.count, 5);
        const forbidden = bySource.get('192.0.2.30')!;
        assert.equal(forbidden.action, 'auth.forbidden');
        assert.equal(forbidden.actor, 'user:test-political-delegate');
        assert.equal(forbidden.detail?.count, 5);
        assert.equal(forbidden.subject, 'POST /api/v1/bundles');
        assert.ok(typeof forbidden.detail?.first_at === 'string' && typeof forbidden.detail?.last_at === 'string');
        assert.ok(!JSON.stringify(refusals).includes('not-a-token'), 'no credential in the log');
        assert.equal((await verify(node.ctx)).ok, true);
      } finally {
        await node.close();
      }
    });

    it('holds at most the configured number of sources; the others share one record', async () => {
      const node = await createTestNode(dialect, { ...AT_CLOSE, auditRefusalSources: 2 });
      try {
        const start = await headSeq(node);
        for (let i = 1; i <= 5; i++) {
          for (let n = 0; n < i; n++) assert.equal((await node.app.inject({ method: 'GET', url: '/api/v1/objects', remoteAddress: `198.51.100.${i}` })).statusCode, 401);
        }
        await node.app.close();
        const refusals = await logAfter(node, start);
        assert.equal(refusals.length, 3, refusals.map((e) => `${e.action} ${sourceOf(e)}`).join(', '));
        const overflow = refusals.find((e) => e.action === 'audit.refusals.overflow')!;
        assert.ok(overflow, 'one record for the sources beyond the limit');
        assert.equal(overflow.detail?.count, 3 + 4 + 5);
        assert.equal(overflow.detail?.sources, 3);
      } finally {
        await node.close();
      }
    });

    it('writes on its interval, without waiting for the node to close', async () => {
      const node = await createTestNode(dialect, { auditRefusalIntervalMs: 50 });
      try {
        const start = await headSeq(node);
        for (let i = 0; i < 3; i++) await node.app.inject({ method: 'GET', url: '/api/v1/objects', remoteAddress: '203.0.113.5' });
        // Every 50 ms: on a slow run the three may span two intervals, and so two records.
        let written: AuditEntry[] = [];
        const counted = () => written.reduce((sum, e) => sum + Number(e.detail?.count), 0);
        await waitFor('the refusals on the audit log', async () => {
          written = (await logAfter(node, start)).filter((e) => e.action === 'auth.unauthenticated');
          return counted() >= 3;
        });
        assert.ok(written.every((e) => sourceOf(e) === '203.0.113.5'), written.map(sourceOf).join(', '));
        assert.equal(counted(), 3);
      } finally {
        await node.close();
      }
    });

    it('takes refusals from any module through recordRefusal, without an await', async () => {
      const node = await createTestNode(dialect);
      try {
        const start = await headSeq(node);
        const ids = ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'indicator--5e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'];
        for (const id of [...ids, ids[0]!]) recordRefusal(node.ctx, SYSTEM_PRINCIPAL, '10.0.0.1', { action: 'intel.read.denied', subject: id });
        await closeAudit(node.ctx);
        const denied = (await logAfter(node, start)).filter((e) => e.action === 'intel.read.denied');
        assert.equal(denied.length, 1);
        assert.equal(denied[0]!.actor, 'system:system');
        assert.equal(denied[0]!.detail?.count, 3);
        assert.deepEqual(denied[0]!.detail?.subjects, ids, 'a sample of distinct subjects');
      } finally {
        await node.close();
      }
    });
  });
}
