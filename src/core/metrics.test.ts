import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../test/support/dialects.js';
import { indicator, bundle } from '../../test/support/factories.js';
import { sample } from '../../test/support/metrics.js';
import { createTestNode, type TestNode } from '../../test/support/node.js';
import { REPO_ROOT } from '../../test/support/paths.js';
import { SUITE_LIMIT_MS } from '../../test/support/wait.js';
import { ingestObjects } from '../modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../policy/principal.js';

for (const dialect of DIALECTS) {
  describe(`metrics operators need (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    before(async () => {
      node = await createTestNode(dialect);
    });
    after(async () => node.close());
    const scrape = async () => (await node.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${node.tokens['node-admin']}` } })).body;

    it("answers /metrics to node administrators and auditors only: what the node does is not for anyone", async () => {
      // Before, /metrics was public: ingests by outcome, refusals, jobs by kind, peers by name.
      const as = (token?: string) => node.app.inject({ method: 'GET', url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal((await as()).statusCode, 401);
      assert.equal((await as(node.tokens.analyst)).statusCode, 403);
      for (const role of ['node-admin', 'auditor'] as const) {
        const answer = await as(node.tokens[role]);
        assert.equal(answer.statusCode, 200, role);
        assert.match(answer.body, /^# HELP shieldwall_ingest_objects_total /m);
      }
    });

    it('documents every metric the node registers in docs/OPERATIONS.md', async () => {
      const doc = readFileSync(`${REPO_ROOT}/docs/OPERATIONS.md`, 'utf8');
      await scrape();
      const names = (await node.ctx.metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !/^shieldwall_(process_|nodejs_)/.test(n));
      const missing = names.filter((n) => !doc.includes(`| \`${n}\` |`));
      assert.deepEqual(missing, [], 'add a row to the metrics table of docs/OPERATIONS.md');
      for (const n of ['shieldwall_store_available', 'shieldwall_audit_writes_total', 'shieldwall_sign_in_refusals_total', 'shieldwall_detect_indicators', 'shieldwall_detect_events_total', 'shieldwall_detect_match_queue']) assert.ok(names.includes(n), n);
      if (dialect === 'postgres') assert.ok(names.includes('shieldwall_store_pool_connections'));
    });

    it('counts no audit write of a transaction that rolled back', async () => {
      const before = await scrape();
      const failure = new Error('the transaction fails after its audit record was appended');
      await assert.rejects(
        ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator()], {
          inTransaction: async () => {
            throw failure;
          },
        }),
        failure,
      );
      assert.equal((await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator()])).accepted, 1);
      const later = await scrape();
      assert.equal(sample(later, 'shieldwall_audit_writes_total', 'area="intel"') - sample(before, 'shieldwall_audit_writes_total', 'area="intel"'), 1, 'the committed ingest only');
    });

    it('counts audit writes, sign-in refusals, the store pool and indexed indicators', async () => {
      const before = await scrape();
      const ingest = await node.app.inject({
        method: 'POST',
        url: '/api/v1/bundles',
        headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'application/json' },
        payload: bundle([indicator({ pattern: "[ipv4-addr:value = '203.0.113.9']" })]),
      });
      assert.equal(ingest.statusCode, 200);
      const refused = await node.app.inject({ method: 'POST', url: '/api/v1/session', payload: { user: 'test-analyst', password: 'not the password' } });
      assert.equal(refused.statusCode, 401);
      await node.detection.ready();
      const later = await scrape();
      assert.equal(sample(later, 'shieldwall_audit_writes_total', 'area="intel"') - sample(before, 'shieldwall_audit_writes_total', 'area="intel"'), 1);
      assert.equal(sample(later, 'shieldwall_sign_in_refusals_total', 'reason="wrong_credentials"') - sample(before, 'shieldwall_sign_in_refusals_total', 'reason="wrong_credentials"'), 1);
      assert.ok(sample(later, 'shieldwall_detect_indicators') >= 1);
      const match = await node.app.inject({ method: 'POST', url: '/api/v1/match?format=lines', payload: '203.0.113.9\n198.51.100.200\n203.0.113.9\n', headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain' } });
      assert.equal(match.statusCode, 200, match.body);
      const afterMatch = await scrape();
      assert.equal(sample(afterMatch, 'shieldwall_detect_events_total') - sample(later, 'shieldwall_detect_events_total'), 3);
      assert.equal(sample(afterMatch, 'shieldwall_detect_matches_total') - sample(later, 'shieldwall_detect_matches_total'), 2);
      assert.match(afterMatch, /^shieldwall_detect_match_queue 0$/m);
      assert.match(afterMatch, /^shieldwall_detect_match_running 0$/m);
      assert.equal(sample(later, 'shieldwall_store_available'), 1);
      if (dialect === 'postgres') {
        assert.ok(sample(later, 'shieldwall_store_pool_connections') >= 1);
        assert.match(later, /^shieldwall_store_pool_waiting \d+$/m);
        assert.match(later, /^shieldwall_store_pool_idle \d+$/m);
      }
    });
  });
}
