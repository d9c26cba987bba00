/**
 * A connection idle both ways is closed (SHIELDWALL_HTTP_IDLE_MS), over real connections: a
 * client that sends part of a log and then nothing, or sends a log and reads none of its answer,
 * held its bulk match's turn for good, and every other user's match waited behind it. Now the
 * connection is closed once nothing has gone either way for the bound, the turn goes to the next
 * match, and the closing is counted; an event stream with nothing to say stays open.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { workerStreams } from '../src/modules/intel/intel.parallel.js';
import { ingestObjects } from '../src/modules/intel/intel.service.js';
import { TLP2_MARKING_IDS } from '../src/policy/markings.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { indicator } from './support/factories.js';
import { sample } from './support/metrics.js';
import { createTestNode, type TestNode } from './support/node.js';
import { limit, SUITE_LIMIT_MS, waitFor } from './support/wait.js';

const VALUE = '203.0.113.77';
/** The bound under test: long enough that a loaded machine never makes a busy connection look idle. */
const IDLE_MS = 2000;

describe('a connection idle both ways is closed, and frees what its request held', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  let url: string;
  before(async () => {
    // One bulk match at a time: a match that holds its turn holds every other back.
    node = await createTestNode('sqlite', { detectMatchRunning: 1, detectMatchQueued: 4, httpIdleMs: IDLE_MS });
    await ingestObjects(node.ctx, SYSTEM_PRINCIPAL, [indicator({ pattern: `[ipv4-addr:value = '${VALUE}']`, object_marking_refs: [TLP2_MARKING_IDS.clear] })]);
    await node.detection.ready();
    url = await node.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => node?.close());

  const metric = async (name: string): Promise<number> => sample((await node.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${node.tokens['node-admin']}` } })).body, name);

  /** A POST of the analyst whose body the test writes as it chooses (chunked), and whether it closed. */
  const openPost = (path: string, contentType: string): { request: http.ClientRequest; closed: () => boolean } => {
    const request = http.request(`${url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': contentType, 'transfer-encoding': 'chunked' },
    });
    let closed = false;
    request.on('error', () => undefined);
    request.on('close', () => (closed = true));
    return { request, closed: () => closed };
  };

  /** Another user's whole match, answered in full: it can only run once the held turn is free. */
  const otherMatch = async () => {
    const response = await fetch(`${url}/api/v1/match?format=lines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.tokens['incident-handler']}`, 'content-type': 'text/plain' },
      body: `198.51.100.1\n${VALUE}\n`,
      // Generous: on the old code this never answers.
      signal: AbortSignal.timeout(limit(60_000)),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { match?: { value?: string }; summary?: { events: number; matches: number } });
    assert.equal(lines.filter((l) => l.match).length, 1, text);
    assert.equal(lines.at(-1)?.summary?.events, 2);
    return lines;
  };

  it('closes a match whose client sends part of its log and then nothing, and the next match runs', async () => {
    const closedBefore = await metric('shieldwall_http_idle_closed_total');
    const held = openPost('/api/v1/match?format=lines', 'text/plain');
    held.request.write(`${VALUE}\n`);
    await waitFor('the first match running', async () => (await metric('shieldwall_detect_match_running')) === 1);

    await otherMatch();
    await waitFor('the silent connection closed', () => held.closed());
    assert.equal(await metric('shieldwall_http_idle_closed_total'), closedBefore + 1);
    assert.equal(await metric('shieldwall_detect_match_running'), 0);
  });

  it('closes a match whose client reads none of its answer, and the next match runs', async () => {
    const closedBefore = await metric('shieldwall_http_idle_closed_total');
    // 16 MiB of log, a match every tenth line: far more answer than the connection's buffers hold.
    const block = Buffer.from(Array.from({ length: 10 }, (_, i) => (i === 0 ? VALUE : `198.18.0.${i}`)).join('\n') + '\n');
    const body = Buffer.concat(Array.from({ length: Math.ceil((16 * 1024 * 1024) / block.length) }, () => block));
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let closed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Nothing of the answer is read.
    socket.pause();
    socket.write(
      `POST /api/v1/match?format=lines HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${node.tokens.analyst}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    socket.write(body);
    await waitFor('the first match running', async () => (await metric('shieldwall_detect_match_running')) === 1);

    await otherMatch();
    await waitFor('the idle connection counted', async () => (await metric('shieldwall_http_idle_closed_total')) === closedBefore + 1);
    assert.equal(await metric('shieldwall_detect_match_running'), 0);
    socket.destroy();
    await waitFor('the socket closed', () => closed);
  });

  it('gives the turn on at once past a match whose client went while it waited', async () => {
    // A holds the turn, sending a line every 200 ms (never idle).
    const held = http.request(`${url}/api/v1/match?format=lines`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${node.tokens.analyst}`, 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
    });
    const heldAnswer = new Promise<string>((resolve, reject) => {
      held.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      });
      held.on('error', reject);
    });
    held.write(`${VALUE}\n`);
    const keepSending = setInterval(() => held.write('198.51.100.7\n'), 200);
    try {
      await waitFor('the first match running', async () => (await metric('shieldwall_detect_match_running')) === 1);
      // B waits for its turn, and goes.
      const waiting = new AbortController();
      const gone = fetch(`${url}/api/v1/match?format=lines`, { method: 'POST', headers: { authorization: `Bearer ${node.tokens.coordinator}`, 'content-type': 'text/plain' }, body: `${VALUE}\n`, signal: waiting.signal });
      gone.catch(() => undefined);
      await waitFor('the second match waiting', async () => (await metric('shieldwall_detect_match_queue')) === 1);
      waiting.abort();
      // C waits behind both.
      const next = otherMatch();
      await waitFor('the third match waiting', async () => (await metric('shieldwall_detect_match_queue')) === 2);
      clearInterval(keepSending);
      held.end();
      assert.match(await heldAnswer, /"summary"/);
      await next;
      await waitFor('no match running or waiting', async () => (await metric('shieldwall_detect_match_running')) === 0 && (await metric('shieldwall_detect_match_queue')) === 0);
    } finally {
      clearInterval(keepSending);
      held.destroy();
    }
  });

  it('closes an upload whose client stops sending: its ingest thread is freed, the objects before kept', async () => {
    const closedBefore = await metric('shieldwall_http_idle_closed_total');
    const sent = [indicator(), indicator(), indicator()];
    const upload = openPost('/api/v1/bundles', 'application/x-ndjson');
    // Three whole objects and the start of a fourth, then nothing.
    upload.request.write(`${sent.map((o) => JSON.stringify(o)).join('\n')}\n{"type":"indicator",`);
    await waitFor('the upload read on an ingest thread', () => workerStreams() === 1);

    await waitFor('the silent upload closed', () => upload.closed());
    await waitFor('its ingest thread freed', () => workerStreams() === 0);
    assert.equal(await metric('shieldwall_http_idle_closed_total'), closedBefore + 1);
    for (const object of sent) {
      const answer = await node.app.inject({ method: 'GET', url: `/api/v1/objects/${object.id}`, headers: { authorization: `Bearer ${node.tokens.analyst}` } });
      assert.equal(answer.statusCode, 200, `${object.id}: ${answer.body}`);
    }
  });

  it('keeps a quiet event stream open past the bound: its keep-alives go out within it', async () => {
    const closedBefore = await metric('shieldwall_http_idle_closed_total');
    const stream = http.get(`${url}/api/v1/events`, { agent: false, headers: { authorization: `Bearer ${node.tokens.analyst}`, accept: 'text/event-stream' } });
    let closed = false;
    let keepAlives = 0;
    stream.on('error', () => undefined);
    stream.on('close', () => (closed = true));
    const response = await new Promise<http.IncomingMessage>((resolve) => stream.once('response', resolve));
    assert.equal(response.statusCode, 200);
    response.on('data', (chunk: Buffer) => (keepAlives += chunk.toString().split(': keep-alive').length - 1));
    // Three keep-alives: at least one and a half idle bounds without anything else to send.
    await waitFor('three keep-alives', () => keepAlives >= 3);
    assert.equal(closed, false);
    assert.equal(await metric('shieldwall_http_idle_closed_total'), closedBefore);
    stream.destroy();
  });
});
