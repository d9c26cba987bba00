import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { PermissionTable } from '../policy/permissions.js';
import { discardRest, enforcePermissions, errorReply, jsonBodyParser, serializableSchema } from './http.js';

describe('permission map', () => {
  it('refuses to register a route that names no permission', async () => {
    const app = Fastify();
    enforcePermissions(app, new PermissionTable([{ name: 'intel:read', description: 'read', roles: ['analyst'] }]));
    assert.throws(() => app.get('/open', async () => 'x'), /route GET \/open names no permission/);
    assert.throws(() => app.get('/unknown', { config: { permission: 'intel:raed' } }, async () => 'x'), /names permission 'intel:raed', which no module declares/);
    app.get('/named', { config: { permission: 'public' } }, async () => 'x');
    app.get('/read', { config: { permission: 'intel:read' } }, async () => 'x');
    await app.ready();
  });
});

describe('response schemas for the serializer', () => {
  const Kind = Type.Union(['ipv4', 'domain', 'url'].map((k) => Type.Literal(k)));
  const Answer = Type.Object({
    kind: Type.Union([Kind, Type.Null()]),
    match: Type.Union([Type.Literal('full'), Type.Literal('partial')]),
    tlp: Type.Union([Type.String(), Type.Null()]),
    count: Type.Union([Type.Integer(), Type.Null()]),
    either: Type.Union([Type.String(), Type.Object({ value: Type.String() })]),
  });

  it('turns unions of constants, a primitive and null into enum and type lists, and leaves the rest', () => {
    const before = JSON.stringify(Answer);
    const plain = serializableSchema(Answer) as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual({ ...plain.properties.kind }, { type: ['string', 'null'], enum: ['ipv4', 'domain', 'url', null] });
    assert.deepEqual({ ...plain.properties.match }, { type: 'string', enum: ['full', 'partial'] });
    assert.deepEqual({ ...plain.properties.tlp }, { type: ['string', 'null'] });
    assert.deepEqual({ ...plain.properties.count }, { type: ['integer', 'null'] });
    assert.ok(Array.isArray(plain.properties.either!.anyOf), 'a union of a string and an object stays a union');
    assert.equal(JSON.stringify(Answer), before, 'the schema given is not changed');
  });

  it('answers the same JSON as before, through a route', async () => {
    const values = [
      { kind: 'domain', match: 'full', tlp: 'green', count: 3, either: 'x' },
      { kind: null, match: 'partial', tlp: null, count: null, either: { value: 'y' } },
    ];
    const bodies: string[] = [];
    for (const transform of [false, true]) {
      const app = Fastify();
      if (transform) app.addHook('onRoute', (route) => {
        if (route.schema?.response !== undefined) route.schema = { ...route.schema, response: serializableSchema(route.schema.response) };
      });
      app.get('/answers', { schema: { response: { 200: Type.Object({ answers: Type.Array(Answer) }) } } }, async () => ({ answers: values }));
      const answer = await app.inject({ method: 'GET', url: '/answers' });
      assert.equal(answer.statusCode, 200);
      bodies.push(answer.body);
      await app.close();
    }
    assert.deepEqual(JSON.parse(bodies[1]!), { answers: values });
    assert.equal(bodies[1], bodies[0]);
  });
});

describe('JSON bodies', () => {
  async function app() {
    const server = Fastify();
    server.setErrorHandler((error, request, reply) => errorReply(error, request, reply));
    server.removeContentTypeParser('application/json');
    server.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser);
    server.post('/echo', async (request) => ({ got: request.body }));
    await server.ready();
    return server;
  }
  const post = async (payload: string, contentType = 'application/json') => {
    const server = await app();
    const response = await server.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': contentType } });
    await server.close();
    return { status: response.statusCode, body: response.json() as { got?: unknown; error?: { code: string; message: string } } };
  };

  it('parses a JSON body, with or without a charset', async () => {
    assert.deepEqual(await post('{"a":[1,"x"]}'), { status: 200, body: { got: { a: [1, 'x'] } } });
    assert.deepEqual((await post('{"a":1}', 'application/json; charset=utf-8')).body, { got: { a: 1 } });
  });

  it('says where a body stops being JSON (RFC 8259), not only that it is not', async () => {
    const { status, body } = await post('{"title": "x",}');
    assert.equal(status, 400);
    assert.equal(body.error?.code, 'SW_BAD_REQUEST');
    assert.match(body.error?.message ?? '', /^the body is not valid JSON: .*position 14/);
  });

  it('refuses an empty body that says it is JSON, saying how to send it', async () => {
    const { status, body } = await post('');
    assert.equal(status, 400);
    assert.match(body.error?.message ?? '', /^the body is empty but Content-Type says application\/json/);
  });

  it('refuses "__proto__" keys and constructor.prototype by name, escaped spellings included', async () => {
    for (const payload of ['{"title":"x","__proto__":{"admin":true}}', '{"a":{"\\u005f_proto__":{}}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      const { status, body } = await post(payload);
      assert.equal(status, 400, payload);
      assert.match(body.error?.message ?? '', /^the body holds a key "__proto__", or a "constructor" key holding "prototype"/, payload);
    }
    // A key named constructor alone is a key like any other.
    assert.deepEqual((await post('{"constructor":"x"}')).body, { got: { constructor: 'x' } });
  });
});

describe('the rest of a body refused part way', () => {
  it('is read to its end when it ends within the bounds', async () => {
    const body = new PassThrough();
    const read = discardRest(body, 1024, 60_000);
    body.write(Buffer.alloc(600));
    body.end(Buffer.alloc(400));
    assert.equal(await read, true);
  });

  it('is destroyed once more than the bound has come (a body without end)', async () => {
    const body = new PassThrough();
    const read = discardRest(body, 1024, 60_000);
    for (let i = 0; i < 3 && !body.destroyed; i++) body.write(Buffer.alloc(512));
    assert.equal(await read, false);
    assert.equal(body.destroyed, true);
  });

  it('is destroyed when it has not ended in time (a client that stops sending)', async () => {
    const body = new PassThrough();
    body.write(Buffer.alloc(10));
    assert.equal(await discardRest(body, 1024, 50), false);
    assert.equal(body.destroyed, true);
  });

  it('answers at once for a body read to its end already, or destroyed', async () => {
    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((resolve) => ended.once('end', resolve));
    assert.equal(await discardRest(ended, 0, 60_000), true);
    const destroyed = new PassThrough();
    destroyed.destroy();
    assert.equal(await discardRest(destroyed, 0, 60_000), false);
  });
});
