/** The node as a process: configuration errors, probes, metrics, graceful shutdown. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { bundle, indicator } from './support/factories.js';
import { spawnCli, startNodeProcess } from './support/process.js';
import { lastLines, SUITE_LIMIT_MS, waitFor } from './support/wait.js';

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': only then has everything the process printed been read.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('node process', { timeout: SUITE_LIMIT_MS }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-lifecycle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start on a bad setting and names it', async () => {
    const result = await run(['serve'], { SHIELDWALL_PORT: 'eighty', SHIELDWALL_DATA_DIR: dir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SHIELDWALL_PORT: expected a whole number/);
    const unknown = await run(['serve'], { SHIELDWALL_PROT: '80', SHIELDWALL_DATA_DIR: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /SHIELDWALL_PROT: unknown setting/);
    const short = await run(['serve'], { SHIELDWALL_BOOTSTRAP_TOKEN: 'short', SHIELDWALL_DATA_DIR: dir });
    assert.match(short.stderr, /SHIELDWALL_BOOTSTRAP_TOKEN: must be at least 32 characters/);
  });

  it('answers probes and metrics, logs JSON without secrets, and finishes in-flight writes on SIGTERM', async () => {
    // Debug level: the node logs each request as it arrives, which tells when one is in flight.
    const node = await startNodeProcess({ SHIELDWALL_DATA_DIR: path.join(dir, 'graceful'), SHIELDWALL_LOG_LEVEL: 'debug' });
    const health = await request(`${node.url}/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    const ready = await request(`${node.url}/readyz`);
    assert.deepEqual(await ready.body.json(), { status: 'ready', store: 'sqlite' });

    const objects = Array.from({ length: 20000 }, () => indicator());
    const inFlight = request(`${node.url}/api/v1/bundles?outcomes=none`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
      body: bundle(objects),
    });
    // SIGTERM once the node has the request (not after a guess at how long that takes).
    await waitFor('the node to receive the upload', () => /"incoming request".*\/api\/v1\/bundles|\/api\/v1\/bundles.*"incoming request"/.test(node.output()), { context: () => lastLines(node.output()) });
    node.child.kill('SIGTERM');
    const answer = await inFlight;
    assert.equal(answer.statusCode, 200);
    const body = (await answer.body.json()) as { summary: { accepted: number } };
    assert.equal(body.summary.accepted, objects.length);
    const exit = await node.exited;
    assert.equal(exit.code, 0);

    const lines = node.output().split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 0);
    for (const line of lines) JSON.parse(line);
    assert.ok(!node.output().includes(node.token), 'the token never appears in the logs');
    assert.match(node.output(), /shutting down/);
  });

  it('exposes Prometheus metrics including ingest counters', async () => {
    const node = await startNodeProcess({ SHIELDWALL_DATA_DIR: path.join(dir, 'metrics') });
    try {
      const ingest = await request(`${node.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
        body: bundle([indicator(), { type: 'bogus' }]),
      });
      await ingest.body.dump();
      const metrics = await (await request(`${node.url}/metrics`, { headers: { authorization: `Bearer ${node.token}` } })).body.text();
      assert.match(metrics, /shieldwall_ingest_objects_total\{outcome="accepted"\} 1/);
      assert.match(metrics, /shieldwall_ingest_objects_total\{outcome="rejected"\} 1/);
      assert.match(metrics, /shieldwall_http_request_duration_seconds_bucket/);
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });
});
