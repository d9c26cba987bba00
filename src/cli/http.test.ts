import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { send } from './http.js';

describe('the command line HTTP client', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((request, response) => {
      if (request.url === '/refuse') {
        // Answers before reading the body, as a node refusing a large upload does.
        response.writeHead(413, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
        response.end('{"error":{"code":"SW_TOO_LARGE"}}');
        request.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ method: request.method, authorization: request.headers.authorization ?? null, chunked: request.headers['transfer-encoding'] === 'chunked', body: Buffer.concat(chunks).toString() }));
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('sends headers and a string body, and reads a JSON answer', async () => {
    const answer = await send(`${base}/echo`, { method: 'POST', headers: { authorization: 'Bearer t' }, body: '{"values":[]}' });
    assert.equal(answer.ok, true);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('Content-Type'), 'application/json');
    assert.deepEqual(await answer.json(), { method: 'POST', authorization: 'Bearer t', chunked: false, body: '{"values":[]}' });
  });

  it('streams a body given as an async iterable, and hands the answer on as a stream', async () => {
    async function* parts() {
      yield Buffer.from('line 1\n');
      yield 'line 2\n';
    }
    const answer = await send(`${base}/echo`, { method: 'POST', body: parts() });
    let text = '';
    for await (const chunk of answer.body) text += chunk.toString();
    assert.deepEqual(JSON.parse(text), { method: 'POST', authorization: null, chunked: true, body: 'line 1\nline 2\n' });
  });

  it('gives an answer sent before the body was read, with its status and headers', async () => {
    async function* endless() {
      for (let i = 0; i < 10_000; i++) yield Buffer.alloc(64 * 1024, 1);
    }
    const answer = await send(`${base}/refuse`, { method: 'POST', body: endless() });
    assert.equal(answer.ok, false);
    assert.equal(answer.status, 413);
    assert.equal(answer.headers.get('x-twice'), 'a, b');
    assert.equal(answer.headers.get('x-absent'), null);
    assert.match(await answer.text(), /SW_TOO_LARGE/);
  });

  it('fails with the code of the network error', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(send(`http://127.0.0.1:${port}/`), (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED');
  });
});
