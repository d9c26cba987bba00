/**
 * HTTP plumbing shared by every module: the one error mapper (one JSON envelope, unknown errors
 * masked as 500) and the deny-by-default permission check.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { PermissionTable } from '../policy/permissions.js';
import type { Principal } from '../policy/principal.js';
import { ERRORS, ShieldwallError, shieldwallError } from './errors.js';
import { storeErrorOf } from './store-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route requires ('public' or one a module declares); every route must name one. */
    permission?: string;
    /** The answer stays open (an event stream): not counted among the member's requests in progress (core/inflight.ts); it has limits of its own. */
    longLived?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set when the principal came from a sign-in cookie: writes must carry this token. */
    csrfToken: string | undefined;
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; request_id: string };
}

function envelope(request: FastifyRequest, code: string, message: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, ...(details !== undefined ? { details } : {}), request_id: String(request.id) } };
}

/** Seconds a client is asked to wait before retrying after the store was unreachable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export function errorReply(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const fromStore = storeErrorOf(error);
  if (fromStore) {
    request.log.warn({ err: error }, 'store error answered as %d', fromStore.status);
    error = fromStore;
  }
  if (error instanceof ShieldwallError) {
    if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="shieldwall"');
    if (error.status === 503 && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    return reply.status(error.status).send(envelope(request, error.code, error.message, error.details));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'request';
    const details = fastifyError.validation.map((v) => ({ path: `${where}${v.instancePath.replace(/\//g, '.')}`, message: v.message }));
    return reply
      .status(400)
      .send(envelope(request, ERRORS.BAD_REQUEST.code, `invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details));
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const setting = limit === request.server.initialConfig.bodyLimit ? ' (SHIELDWALL_JSON_BODY_LIMIT)' : '';
    return reply.status(413).send(envelope(request, ERRORS.PAYLOAD_TOO_LARGE.code, `the request body is too large: ${route} takes at most ${limit} bytes${setting}; send less`));
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.status(415).send(envelope(request, ERRORS.UNSUPPORTED_MEDIA_TYPE.code, fastifyError.message));
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send(envelope(request, ERRORS.BAD_REQUEST.code, fastifyError.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(envelope(request, ERRORS.INTERNAL.code, `internal error; quote request id ${String(request.id)} to the node operator`));
}

/**
 * Refuses to register a route that names no permission, and checks the permission on every
 * request as it arrives. Register it after the hook that authenticates (sets request.principal).
 */
/** The refusal of a request without credentials where they are needed. */
export function authenticationRequired(): ShieldwallError {
  return shieldwallError('UNAUTHENTICATED', 'authentication required: send "Authorization: Bearer <token>" (create one with: shieldwall tokens create)');
}

export function enforcePermissions(app: FastifyInstance, permissions: PermissionTable, onDenied?: (request: FastifyRequest, status: 401 | 403, reason: string) => Promise<void>): void {
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!permissions.isKnown(permission)) {
      throw new Error(
        permission === undefined
          ? `route ${String(route.method)} ${route.url} names no permission: add config: { permission } (a module declares its permissions in its index.ts)`
          : `route ${String(route.method)} ${route.url} names permission '${String(permission)}', which no module declares (its index.ts)`,
      );
    }
  });
  // Checked as the request arrives, before its body is read or validated: who may not call a
  // route learns nothing about what it accepts.
  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === 'public' || request.is404) return;
    if (!permission) throw shieldwallError('FORBIDDEN', 'this route is not open to anyone');
    if (!request.principal) {
      await onDenied?.(request, 401, request.headers.authorization ? 'unknown, expired or revoked credentials' : 'no credentials');
      throw authenticationRequired();
    }
    if (!permissions.has(request.principal, permission)) {
      await onDenied?.(request, 403, `lacks permission '${permission}'`);
      throw shieldwallError('FORBIDDEN', `roles ${request.principal.roles.join(', ') || '(none)'} lack permission '${permission}'`);
    }
  });
}

/**
 * Errors Node's HTTP parser meets before a request exists (Fastify's clientErrorHandler): a URL
 * and headers over the size limit answer 431, anything else unparseable 400, in the envelope.
 */
export function clientErrorReply(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const requestId = randomUUID();
  const [status, definition, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, ERRORS.HEADERS_TOO_LARGE, 'the URL and headers exceed 16 KiB: shorten the URL (page with cursor, send long filters in a body) or the headers']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, ERRORS.BAD_REQUEST, 'the request was not received in time; send it again']
        : [400, ERRORS.BAD_REQUEST, `the request is not valid HTTP (${error.code ?? error.message}); check the request line and headers`];
  const body = JSON.stringify({ error: { code: definition.code, message, request_id: requestId } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Query strings may not carry NUL (%00): no parameter has a use for it and PostgreSQL cannot
 * compare text holding it. Refused as 400 on both engines, naming the parameter.
 */
export function refuseNulInQuery(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (!query || typeof query !== 'object') return;
  for (const [name, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    if (name.includes('\u0000') || values.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
      const shown = name.split('\u0000').join('%00');
      throw shieldwallError('BAD_REQUEST', `query parameter '${shown}' holds a NUL character (%00): remove it`, [{ path: `querystring.${shown}`, message: 'must not contain NUL (%00)' }]);
    }
  }
}

/**
 * The parser of application/json bodies (every route but the STIX and TAXII uploads, which have
 * their own). Fastify's own answers "Body is not valid JSON" for any fault, also for valid JSON
 * it refuses (a "__proto__" key): this one says which, and where JSON.parse stopped.
 */
export function jsonBodyParser(_request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void): void {
  if (body.length === 0) {
    done(shieldwallError('BAD_REQUEST', "the body is empty but Content-Type says application/json: send a JSON document, or no Content-Type"));
    return;
  }
  try {
    done(null, secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/forbidden prototype property/i.test(message)) {
      done(shieldwallError('BAD_REQUEST', 'the body holds a key "__proto__", or a "constructor" key holding "prototype": no request has a use for them and they can change how the object is read; remove or rename them', [{ path: 'body', message: 'forbidden key' }]));
    } else {
      done(shieldwallError('BAD_REQUEST', `the body is not valid JSON: ${message}`, [{ path: 'body', message: 'not JSON' }]));
    }
  }
}

type JsonSchema = Record<string, unknown>;

const PRIMITIVE = new Set(['string', 'integer', 'number', 'boolean']);
const JSON_TYPE: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean' };

/** A branch that only says "null". */
function isNull(branch: JsonSchema): boolean {
  return branch.type === 'null' && Object.keys(branch).every((k) => k === 'type' || k === 'description');
}

/**
 * One schema for a union whose branches are constants of one type, a list of them (enum), or one
 * primitive schema, each maybe with null: `{ type, enum }` or `{ type: [type, 'null'] }`.
 * Undefined for any other union (left as it is).
 */
function mergedUnion(branches: readonly JsonSchema[]): JsonSchema | undefined {
  let nullable = false;
  let type: string | undefined;
  const constants: unknown[] = [];
  let single: JsonSchema | undefined;
  for (const branch of branches) {
    if (isNull(branch)) {
      nullable = true;
      continue;
    }
    if ('const' in branch || Array.isArray(branch.enum)) {
      const values = 'const' in branch ? [branch.const] : (branch.enum as unknown[]);
      for (const value of values) {
        const t = JSON_TYPE[typeof value];
        if (t === undefined || (type !== undefined && t !== type && !(t === 'number' && type === 'integer'))) return undefined;
        type ??= typeof branch.type === 'string' ? branch.type : t;
        constants.push(value);
      }
      continue;
    }
    if (single !== undefined || typeof branch.type !== 'string' || !PRIMITIVE.has(branch.type) || 'anyOf' in branch || 'oneOf' in branch) return undefined;
    single = branch;
  }
  if (single !== undefined) {
    if (constants.length > 0) return undefined;
    return nullable ? { ...single, type: [single.type, 'null'] } : single;
  }
  if (type === undefined) return undefined;
  return nullable ? { type: [type, 'null'], enum: [...constants, null] } : { type, enum: constants };
}

/**
 * A response schema as the serializer reads it fastest: unions of constants, and a primitive or
 * constants or null, become one schema with `enum` or a list of types. fast-json-stringify
 * serializes such a union (`anyOf`, as TypeBox writes Type.Union) by validating the value against
 * each branch with Ajv, whose validator it compiles the first time a response is sent: 70 ms on
 * the event loop for the lookup answer, while every other request waited (measured with a CPU
 * profile of test/detect.fairness.test.ts). Copies; the schema given is left unchanged.
 */
export function serializableSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(serializableSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) out[key] = serializableSchema(value);
  if (Array.isArray(out.anyOf)) {
    const merged = mergedUnion(out.anyOf as JsonSchema[]);
    if (merged !== undefined) {
      const { anyOf: _union, ...rest } = out;
      return { ...rest, ...merged };
    }
  }
  return out;
}

/**
 * Runs `then` once the answer's connection has closed (its client went, or the answer ended), and
 * at once if it closed already. Whatever a request takes (a place, a turn) and gives back on close
 * goes through here: a client that goes while the request awaits something (the store, a turn)
 * has its 'close' fire before a listener added afterwards, which would then never run, and what
 * it took would be lost for good.
 */
export function whenClosed(response: ServerResponse, then: () => void): void {
  if (response.closed) then();
  else response.once('close', then);
}

/** A request body went past its route's limit while it was read (limited()). */
export class BodyTooLarge extends Error {}

/**
 * The body's chunks up to `limit` bytes. A body refused part way is left unread, not destroyed:
 * destroying the request destroys its socket, and the answer (413, with what was done before the
 * limit) would never reach the client; the route reads the rest away before it answers
 * (discardRest).
 */
export async function* limited(body: Readable, limit: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total > limit) throw new BodyTooLarge();
    yield bytes;
  }
}

/** A request body arrived slower than its route's floor (paced()). */
export class BodyTooSlow extends Error {
  constructor(readonly bytes: number, readonly ms: number) {
    super(`${bytes} bytes arrived in ${Math.round(ms)} ms`);
  }
}

/**
 * The body's chunks while they keep pace: after `graceMs`, at least `bytesPerSecond` on average
 * since the start, or BodyTooSlow, thrown when the pace is lost (a sender that goes silent is not
 * waited for until the connection's idle timeout). For routes whose requests hold a scarce place
 * while their body is read: a sender trickling a byte now and then held one for as long as it
 * liked. The rest of the body is left unread (the route answers with the connection closed).
 */
export async function* paced(chunks: AsyncIterable<Uint8Array>, pace: { graceMs: number; bytesPerSecond: number }): AsyncGenerator<Uint8Array> {
  const started = performance.now();
  let bytes = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  let waiting = false;
  try {
    for (;;) {
      // When the bytes so far stop being enough: the grace, or their time at the floor's pace.
      const due = Math.max(pace.graceMs, (bytes / pace.bytesPerSecond) * 1000) - (performance.now() - started);
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, due))));
      waiting = true;
      const step = await Promise.race([iterator.next(), late]);
      clearTimeout(timer);
      if (step === 'late') throw new BodyTooSlow(bytes, performance.now() - started);
      waiting = false;
      if (step.done) {
        done = true;
        return;
      }
      bytes += step.value.length;
      yield step.value;
    }
  } finally {
    clearTimeout(timer);
    // Stopped early (the body refused): the source lets go of the body, as a for-await would make
    // it, so that what is left can be read away (discardRest) before the answer. Not awaited
    // with a read still waiting (too slow): that source ends with the connection the answer closes.
    if (!done) {
      const returned = iterator.return?.();
      if (waiting) void returned?.catch(() => undefined);
      else await returned;
    }
  }
}

/** How long a request body refused part way is read on, at most, before its connection is closed. */
export const DISCARD_MS = 30_000;

/**
 * Reads and drops what is left of a request body that was refused part way (too large, bad
 * bytes), so that the answer reaches the client whole: a server that closes a connection with
 * bytes of the request unread makes the kernel reset it, and the client loses the answer (it
 * sees ECONNRESET, or an answer cut short). Reads at most `maxBytes` more, for at most `ms`;
 * past either the body is destroyed, and the connection with it. Answers whether the body ended.
 */
export function discardRest(body: Readable, maxBytes: number, ms = DISCARD_MS): Promise<boolean> {
  if (body.readableEnded) return Promise.resolve(true);
  if (body.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onFailure);
      body.off('close', onFailure);
      if (!ended) body.destroy();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFailure = () => finish(body.readableEnded);
    const timer = setTimeout(() => finish(false), ms);
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onFailure);
    body.once('close', onFailure);
    body.resume();
  });
}
