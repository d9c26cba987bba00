import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CliError, EXIT } from './failures.js';
import { send } from './http.js';
import { answerFailure, networkFailure, nodeUrl, shieldwallMessage } from './node-client.js';

const BASE = 'https://hub.example:8443';

/** An error as node:http or fetch reports it: a code, maybe wrapped in a cause. */
function coded(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code} happened`), { code, ...extra });
}

async function failure(error: unknown, base = BASE): Promise<CliError> {
  return networkFailure(error, base);
}

describe('what a failed call to a node means', () => {
  it('checks the URL before anything is sent', () => {
    assert.equal(nodeUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
    assert.equal(nodeUrl(' https://hub.example/shieldwall// '), 'https://hub.example/shieldwall');
    const usage = (raw: string, pattern: RegExp) =>
      assert.throws(() => nodeUrl(raw), (error: CliError) => error.status === EXIT.usage && pattern.test(error.message));
    usage('127.0.0.1:8080', /has no scheme: write http:\/\/127\.0\.0\.1:8080 \(or https:\/\//);
    usage('hub.example', /has no scheme: write http:\/\/hub\.example/);
    usage('ftp://hub.example', /uses ftp: a node is reached over http:\/\/ or https:\/\//);
    usage('http://hub.example:8080/?x=1', /without \?query or #fragment/);
  });

  it('names network causes and their fixes, wrapped or not', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }), EXIT.unreachable, /connection refused \(is the node running, and on port 8443\?/],
      [Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: 'ECONNREFUSED' }), EXIT.unreachable, /connection refused/],
      [coded('ENOTFOUND'), EXIT.unreachable, /the host name 'hub\.example' does not resolve/],
      [coded('EAI_AGAIN'), EXIT.unreachable, /does not resolve/],
      [coded('ETIMEDOUT'), EXIT.unreachable, /no answer to the connection/],
      [coded('ESOCKETTIMEDOUT'), EXIT.unreachable, /accepted the connection but stopped answering/],
      [coded('ERR_SSL_WRONG_VERSION_NUMBER'), EXIT.tls, /does not speak TLS \(it answers plain HTTP\): use http:\/\/hub\.example:8443$/],
      [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), EXIT.tls, /is not trusted \(self-signed\): run with NODE_EXTRA_CA_CERTS=/],
      [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), EXIT.tls, /is not trusted \(signed by a CA this machine does not know\)/],
      [coded('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subjectaltname: 'DNS:node.example, DNS:hub' } }), EXIT.tls, /is not for 'hub\.example' but for node\.example, hub: .*\(e\.g\. https:\/\/node\.example:8443\)/],
      [coded('CERT_HAS_EXPIRED'), EXIT.tls, /has expired: the node's operator must renew it/],
      [coded('CERT_NOT_YET_VALID'), EXIT.tls, /is not valid yet: check this machine's clock/],
      [coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), EXIT.tls, /accepts only client certificates/],
      [coded('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), EXIT.tls, /the TLS handshake with the node at https:\/\/hub\.example:8443 failed \(sslv3 alert handshake failure\)/],
      [coded('ECONNRESET'), EXIT.unreachable, /closed the connection without an answer/],
      [coded('EWHATEVER'), EXIT.unreachable, /cannot reach the node at https:\/\/hub\.example:8443: EWHATEVER/],
    ];
    for (const [error, status, pattern] of cases) {
      const translated = await failure(error);
      assert.equal(translated.status, status, `${(error as Error).message}: ${translated.message}`);
      assert.match(translated.message, pattern);
      assert.doesNotMatch(translated.message, /fetch failed|\n/);
    }
  });

  it('reads answers: the token refused, permissions, node failures, other servers', () => {
    const envelope = (code: string, message: string, details?: unknown) => JSON.stringify({ error: { code, message, request_id: 'r', ...(details ? { details } : {}) } });
    const refused = answerFailure(401, envelope('SW_UNAUTHENTICATED', 'authentication required: send "Authorization: Bearer <token>"'), BASE);
    assert.equal(refused.status, EXIT.tokenRefused);
    assert.match(refused.message, /^token refused by the node at https:\/\/hub\.example:8443: it is unknown, expired or revoked/);
    assert.doesNotMatch(refused.message, /Authorization/);
    assert.equal(answerFailure(403, envelope('SW_FORBIDDEN', 'role analyst lacks node:read'), BASE).status, EXIT.forbidden);
    const busy = answerFailure(503, envelope('SW_MATCH_BUSY', 'two matches run', { retry_after_seconds: 7 }), BASE);
    assert.deepEqual([busy.status, /try again in 7 s$/.test(busy.message)], [EXIT.nodeFailed, true]);
    const down = answerFailure(503, envelope('SW_STORE_UNAVAILABLE', 'the store is unreachable'), BASE, '5');
    assert.match(down.message, /the node answered 503 SW_STORE_UNAVAILABLE: the store is unreachable; try again in 5 s/);
    assert.equal(answerFailure(409, envelope('SW_CONFLICT', 'exists'), BASE).status, EXIT.failed);
    const html = answerFailure(502, '<html><head><title>502 Bad Gateway</title></head></html>', BASE);
    assert.deepEqual([html.status, /is not a Shieldwall node: it answered 502 with an HTML page \('502 Bad Gateway'\)/.test(html.message)], [EXIT.notShieldwall, true]);
    assert.equal(answerFailure(401, '{"error":"unauthorized"}', BASE).status, EXIT.notShieldwall, 'JSON without the envelope is another server too');
    const path = answerFailure(404, envelope('SW_NOT_FOUND', 'no route GET /x/api/v1/lookup; the API is under /api/v1'), `${BASE}/x`);
    assert.deepEqual([path.status, path.message], [EXIT.usage, "the node at https://hub.example:8443 has no route under /x: give --url as the node's address, without a path (https://hub.example:8443)"]);
    assert.deepEqual(shieldwallMessage(JSON.stringify({ title: 'SW_NOT_FOUND', description: 'no collection x', error_id: 'r', http_status: '404' })), { code: 'SW_NOT_FOUND', message: 'no collection x' });
  });
});

describe('a node that accepts a connection and never answers', () => {
  let server: Server;
  let base: string;
  before(async () => {
    // Reads the request and stays silent.
    server = createServer((request) => request.resume());
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  it('is given up after the idle limit, as "stopped answering"', async () => {
    const error = await send(`${base}/api/v1/lookup`, { idleTimeoutMs: 200 }).then(
      () => assert.fail('a silent node answered'),
      (e: unknown) => e,
    );
    assert.equal((error as NodeJS.ErrnoException).code, 'ESOCKETTIMEDOUT');
    assert.match((await networkFailure(error, base)).message, /accepted the connection but stopped answering/);
  });
});
