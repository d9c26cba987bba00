/**
 * A PostgreSQL outage is survived (issue 13, point 4): every backend of a real node process is
 * terminated (pg_terminate_backend, as a restart or failover does) while readers page and an
 * ingest writes. The node stays up, /readyz answers 503 in the envelope and then 200 again,
 * requests in flight fail with 503 in the envelope (never a bare 500), and every object reported
 * accepted is in the store afterwards.
 *
 * PostgreSQL only, by nature: SQLite has no connection to lose. Skipped with the reason when
 * PostgreSQL is absent, and mandatory under CI=true (see support/dialects.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { request } from 'undici';
import { openStore } from '../src/db/database.js';
import { createTestStore, dialectSkip, POSTGRES_URL, type TestStore } from './support/dialects.js';
import { bundle, indicator } from './support/factories.js';
import { startNodeProcess, type NodeProcess } from './support/process.js';
import { lastLines, SUITE_LIMIT_MS, until, WAIT_LIMIT_MS } from './support/wait.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL outage: every backend of the node terminated (postgres only)', { skip: await dialectSkip('postgres'), timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  let testStore: TestStore;
  let node: NodeProcess | undefined;
  const applicationName = `sw_outage_${randomBytes(4).toString('hex')}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-outage-'));
    testStore = await createTestStore('postgres');
    await testStore.store.close();
  });
  after(async () => {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    await testStore.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up, goes not ready then ready, answers 503 in the envelope, and keeps every accepted object', async (t) => {
    // The first reconnection attempt waits 5 s: long enough for the test to see /readyz at 503,
    // even on a loaded machine.
    node = await startNodeProcess({
      SHIELDWALL_DATA_DIR: dir,
      SHIELDWALL_DATABASE_URL: `${testStore.url}&application_name=${applicationName}`,
      SHIELDWALL_STORE_RECONNECT_MIN_MS: '5000',
      SHIELDWALL_INGEST_BATCH: '200',
      SHIELDWALL_FEDERATION: '0',
    });
    const running = node;
    const ready = await request(`${running.url}/readyz`);
    assert.equal(ready.statusCode, 200);
    await ready.body.dump();
    const headers = { authorization: `Bearer ${running.token}` };

    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let stop = false;
    let uploadsAfterRecovery = 0;
    let recovered = false;
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const checkError = (status: number, body: unknown, what: string) => {
      const code = (body as { error?: { code?: string } }).error?.code;
      if (status !== 503 || code !== 'SW_STORE_UNAVAILABLE') bad.push(`${what}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    };

    const upload = async () => {
      while (!stop) {
        const objects = Array.from({ length: 1000 }, () => indicator({ description: 'o'.repeat(200) }));
        const answer = await request(`${running.url}/api/v1/bundles?outcomes=all`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: bundle(objects) });
        count(answer.statusCode);
        const body = (await answer.body.json()) as { objects?: Array<{ id: string; status: string }>; error?: { details?: { objects?: Array<{ id: string; status: string }> } } };
        const outcomes = answer.statusCode === 200 ? body.objects : body.error?.details?.objects;
        for (const o of outcomes ?? []) if (o.status === 'accepted') accepted.add(o.id);
        if (answer.statusCode === 200 && recovered) uploadsAfterRecovery++;
        else if (answer.statusCode !== 200) checkError(answer.statusCode, body, 'ingest');
      }
    };
    const read = async () => {
      while (!stop) {
        for (const url of ['/api/v1/objects?limit=50', '/api/v1/stats']) {
          const answer = await request(`${running.url}${url}`, { headers });
          count(answer.statusCode);
          const body: unknown = await answer.body.json();
          if (answer.statusCode !== 200) checkError(answer.statusCode, body, `GET ${url}`);
        }
      }
    };
    // A request that fails below HTTP (the node gone) is a failure of the test, not an unhandled one.
    const guarded = (loop: () => Promise<void>) => loop().catch((error: unknown) => void bad.push(`request failed: ${String(error)}`));
    const load = [guarded(upload), guarded(read), guarded(read)];

    // Terminate while the ingest is writing.
    await until('2,000 objects accepted before the outage', () => {
      assert.deepEqual(bad, [], 'the load runs cleanly before the outage');
      return accepted.size >= 2000 ? undefined : `${accepted.size} so far`;
    }, { context: () => lastLines(running.output()) });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    // The node's own backends only (by the application_name its URL sets), chosen before any is ended.
    const terminated = await admin.query(
      'with victims as materialized (select pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()) select pg_terminate_backend(pid) from victims',
      [applicationName],
    );
    await admin.end();
    assert.ok(terminated.rowCount! > 0, 'the node had backends to terminate');

    // /readyz: 503 in the envelope, then 200 once a connection is made again.
    const deadline = Date.now() + WAIT_LIMIT_MS;
    let sawNotReady = false;
    while (Date.now() < deadline) {
      const answer = await request(`${running.url}/readyz`);
      const body = (await answer.body.json()) as { status?: string; error?: { code: string; details?: { status: string } } };
      if (answer.statusCode === 503) {
        assert.equal(body.error?.code, 'SW_NOT_READY');
        assert.equal(body.error?.details?.status, 'store unreachable');
        sawNotReady = true;
      } else if (sawNotReady) {
        assert.equal(answer.statusCode, 200);
        assert.equal(body.status, 'ready');
        break;
      }
      await sleep(50);
    }
    assert.ok(sawNotReady, '/readyz answered 503 after the backends were terminated');
    recovered = true;
    // The node goes on: uploads succeed again.
    while (uploadsAfterRecovery < 2 && Date.now() < deadline) await sleep(50);
    stop = true;
    await Promise.all(load);
    t.diagnostic(`backends terminated: ${terminated.rowCount}; answers by status: ${JSON.stringify(Object.fromEntries(statuses))}; objects accepted: ${accepted.size}`);
    assert.ok(uploadsAfterRecovery >= 2, 'ingest works again after the store came back');
    assert.equal(running.child.exitCode, null, `the node stayed up:\n${running.output().slice(-3000)}`);
    assert.deepEqual(bad, [], 'every failure is a 503 in the envelope');
    assert.match(running.output(), /store connection lost/);
    assert.match(running.output(), /store reachable again/);

    const metrics = await (await request(`${running.url}/metrics`, { headers })).body.text();
    assert.match(metrics, /shieldwall_store_reconnects_total [1-9]/);
    assert.match(metrics, /shieldwall_store_available 1/);

    running.child.kill('SIGTERM');
    const exit = await running.exited;
    assert.equal(exit.code, 0);

    const store = openStore(testStore.url);
    try {
      const rows = await store.db.selectFrom('stix_objects').select('id').execute();
      const stored = new Set(rows.map((r) => r.id));
      const missing = [...accepted].filter((id) => !stored.has(id));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${accepted.size} accepted objects are missing`);
    } finally {
      await store.close();
    }
  });
});
