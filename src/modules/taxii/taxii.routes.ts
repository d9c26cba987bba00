/**
 * The TAXII 2.1 server: its own Fastify plugin with its own media types and error envelope
 * (the TAXII error message), mounted at /taxii2/. Transport only: rules live in the services.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { AppContext } from '../../core/context.js';
import { ShieldwallError, shieldwallError } from '../../core/errors.js';
import { discardRest, STORE_RETRY_AFTER_SECONDS } from '../../core/http.js';
import { storeErrorOf } from '../../core/store-errors.js';
import { PARALLEL_THRESHOLD_BYTES } from '../intel/intel.service.js';
import * as service from './taxii.service.js';

/** Does the Accept header allow the TAXII 2.1 media type (bare application/taxii+json included)? */
function acceptsTaxii(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim());
    // A weight of 0 refuses the range (RFC 9110 section 12.4.2).
    if (params.some((p) => /^q\s*=\s*0(?:\.0{0,3})?$/i.test(p))) return false;
    const version = params.find((p) => /^version\b/i.test(p));
    if (type === '*/*' || type === 'application/*') return true;
    if (type?.toLowerCase() !== 'application/taxii+json') return false;
    // A parameter value may be a token or a quoted string, with the same meaning (RFC 9110 5.6.6).
    return version === undefined || /^version\s*=\s*(?:2\.1|"2\.1")$/i.test(version);
  });
}

/**
 * Does a Content-Type name the TAXII media type, bare or with version=2.1 (and charset=utf-8, the
 * only one JSON has: RFC 8259 section 8.1)? Any other parameter, or another type that only begins
 * the same, is not.
 */
export function isTaxiiContentType(contentType: string): boolean {
  const [type, ...params] = contentType.split(';').map((p) => p.trim());
  if (type?.toLowerCase() !== 'application/taxii+json') return false;
  return params.every((p) => /^version\s*=\s*(?:2\.1|"2\.1")$/i.test(p) || /^charset\s*=\s*(?:utf-8|"utf-8")$/i.test(p));
}

/** The TAXII error message resource (section 3.6.1 of TAXII 2.1). */
function errorMessage(status: number, title: string, description: string, requestId: string): Record<string, string> {
  return { title, description, error_id: requestId, http_status: String(status) };
}

function taxiiError(ctx: AppContext, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Delete an Object (section 5.7): a client that may neither read nor write the collection gets
  // 404, as if the object were not there; 403 is for those who may do one of the two.
  if (error instanceof ShieldwallError && error.status === 403 && request.method === 'DELETE' && !ctx.permissions.has(request.principal, 'intel:read') && !ctx.permissions.has(request.principal, 'intel:write')) {
    error = shieldwallError('NOT_FOUND', `no TAXII resource at ${request.url}`);
  }
  const fromStore = storeErrorOf(error);
  if (fromStore) {
    request.log.warn({ err: error }, 'store error answered as %d', fromStore.status);
    if (fromStore.status === 503) reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    error = fromStore;
  }
  let status = 500;
  let title = 'Internal error';
  let description = `quote request id ${String(request.id)} to the node operator`;
  if (error instanceof ShieldwallError) {
    status = error.status;
    title = error.code;
    description = error.message;
  } else {
    const e = error as FastifyError;
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      status = e.statusCode;
      title = e.code ?? 'Bad request';
      description = e.message;
    } else request.log.error({ err: error }, 'unhandled error');
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="shieldwall", Basic realm="shieldwall", charset="UTF-8"');
  return reply.status(status).type(service.TAXII_MEDIA_TYPE).send(errorMessage(status, title, description, String(request.id)));
}

/**
 * A TAXII envelope of objects as JSON text, in UTF-8: the head, the bodies separated by commas,
 * then `]}`. Each body is encoded once, straight into the one buffer sent: a joined string would
 * be copied once to join it, read once more for its Content-Length and encoded on the socket.
 */
export function envelopeBytes(head: string, bodies: readonly string[]): Buffer {
  // A string has no fewer UTF-8 bytes than UTF-16 code units, and as many when it is ASCII, as
  // STIX bodies mostly are: the buffer grows only for text beyond ASCII.
  let units = Buffer.byteLength(head) + bodies.length + 2;
  for (const body of bodies) units += body.length;
  let out = Buffer.allocUnsafe(units);
  let at = out.write(head, 0, 'utf8');
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i]!;
    // Room for the body at 3 bytes per code unit, a comma and the closing `]}`: a write never cuts it.
    if (out.length - at < body.length * 3 + 3) {
      const bytes = Buffer.byteLength(body) + 3;
      if (out.length - at < bytes) {
        const larger = Buffer.allocUnsafe(Math.max(out.length * 2, at + bytes + units));
        out.copy(larger, 0, 0, at);
        out = larger;
      }
    }
    if (i > 0) out[at++] = 0x2c;
    at += out.write(body, at, 'utf8');
  }
  out[at++] = 0x5d;
  out[at++] = 0x7d;
  return out.subarray(0, at);
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((v) => v.trim()).filter((v) => v !== ''));

type ObjectsQuerystring = { added_after?: string; limit?: string; next?: string; 'match[id]'?: string; 'match[type]'?: string; 'match[version]'?: string; 'match[spec_version]'?: string };

const FILTERS = new Set(['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]']);

/**
 * Malformed filters are 400 (section 3.4): each at most once (a repeated one arrives as a list),
 * and none empty (a timestamp, an integer, a cursor this node issued, or a list of at least one
 * value). Parameters that are not TAXII filters are ignored.
 */
function checkFilters(query: unknown): void {
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (!FILTERS.has(name)) continue;
    if (typeof value !== 'string') throw shieldwallError('BAD_REQUEST', `${name} is given more than once; give it once, with values separated by commas`);
    if (value === '') throw shieldwallError('BAD_REQUEST', `${name} is given without a value`);
  }
}

export function taxiiRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.setErrorHandler((error, request, reply) => taxiiError(ctx, error, request, reply));
    app.setNotFoundHandler((request, reply) => taxiiError(ctx, shieldwallError('NOT_FOUND', `no TAXII resource at ${request.url}`), request, reply));
    // Every TAXII answer is a TAXII resource: a client that cannot take one learns it up front.
    app.addHook('preHandler', async (request) => {
      if (!acceptsTaxii(request.headers.accept)) {
        throw shieldwallError('NOT_ACCEPTABLE', `send Accept: ${service.TAXII_MEDIA_TYPE} (or application/taxii+json)`);
      }
    });
    // Exactly this Content-Type, version parameter included and nothing added (section 3.1).
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-type', service.TAXII_MEDIA_TYPE);
      return payload;
    });

    // No request schemas (and none in the OpenAPI document): TAXII filters are checked here and
    // by the service, answered in TAXII's error message, and parameters that are not filters are
    // ignored (section 3.4). So each route names the types of its params and query itself.
    const read = { config: { permission: 'intel:read' as const }, schema: { hide: true } };
    const write = { config: { permission: 'intel:write' as const }, schema: { hide: true } };

    // Add Objects takes the TAXII media type only (bare or with version=2.1): anything else is
    // 415. The body is handed over as the request stream, read as it arrives (taxii.envelope.ts).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(/^application\/taxii\+json/i, (request, payload, done) => {
      const type = String(request.headers['content-type'] ?? '');
      if (!isTaxiiContentType(type)) {
        done(shieldwallError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type.slice(0, 200)} is not served: send ${service.TAXII_MEDIA_TYPE} (UTF-8)`), undefined);
        return;
      }
      done(null, payload);
    });

    app.get('/', read, async () => ({
      title: 'Shieldwall node',
      description: 'TAXII 2.1 server of a Shieldwall node: allied threat intelligence under need-to-know.',
      // Relative URLs (section 4.1.1): right whatever scheme and host name the client used, and
      // never built from the request's Host header.
      default: `/taxii2/${service.API_ROOT}/`,
      api_roots: [`/taxii2/${service.API_ROOT}/`],
    }));

    app.get(`/${service.API_ROOT}/`, read, async () => ({
      title: 'Shieldwall intelligence',
      versions: [service.TAXII_MEDIA_TYPE],
      max_content_length: ctx.config.bodyLimitBytes,
    }));

    app.get(`/${service.API_ROOT}/collections/`, read, async (request) => ({ collections: await service.listCollections(ctx, request.actor) }));

    app.get<{ Params: { collection: string } }>(`/${service.API_ROOT}/collections/:collection/`, read, async (request) => {
      const { within: _view, ...collection } = await service.findCollection(ctx, request.actor, request.params.collection);
      return collection;
    });

    const objects = async (
      request: FastifyRequest<{ Params: { collection: string; object?: string }; Querystring: ObjectsQuerystring }>,
      reply: FastifyReply,
      mode: 'objects' | 'manifest' | 'versions',
    ) => {
      const q = request.query;
      checkFilters(q);
      const versions = service.parseVersionMatch(mode === 'versions' ? 'all' : q['match[version]']);
      if (q['match[spec_version]'] !== undefined && !list(q['match[spec_version]'])!.includes('2.1')) return reply.send({});
      let limit: number | undefined;
      if (q.limit !== undefined) {
        // Any positive TAXII integer (at most 2^53 - 1, section 2); above the server's own page
        // size it is served as that size (section 3.4).
        if (!/^[1-9]\d*$/.test(q.limit) || !Number.isSafeInteger(Number(q.limit))) throw shieldwallError('BAD_REQUEST', `limit '${q.limit}' is not a positive whole number`);
        limit = Number(q.limit);
      }
      const ids = request.params.object ? [request.params.object] : list(q['match[id]']);
      const page = await service.getObjects(ctx, request.actor, request.params.collection, {
        ...(q.added_after ? { addedAfter: q.added_after } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(q.next ? { next: q.next } : {}),
        ...(ids ? { ids } : {}),
        ...(q['match[type]'] ? { types: list(q['match[type]'])! } : {}),
        versions,
        // Objects are passed on as stored (or as redacted): not parsed and serialised again. A
        // manifest or version list takes each version from the stored columns, not the body.
        ...(mode === 'objects' ? { raw: true } : { manifest: true }),
      });
      const count = page.bodies?.length ?? page.manifest?.length ?? page.objects.length;
      if (request.params.object && count === 0) {
        // 404 when the object (or the versions asked for) is not in the collection for the caller.
        // When it is and only added_after or next leave nothing, the answer is an empty envelope
        // (sections 5.6 and 5.8.1): a client polling an object must not read "deleted" there.
        const narrowed = q.added_after !== undefined || q.next !== undefined;
        const there = narrowed && (await service.getObjects(ctx, request.actor, request.params.collection, { ids: [request.params.object], versions, limit: 1, manifest: true })).manifest!.length > 0;
        if (!there) throw shieldwallError('NOT_FOUND', `no object ${request.params.object} in this collection`);
      }
      if (page.dateAdded.length > 0) {
        reply.header('x-taxii-date-added-first', service.taxiiTimestamp(page.dateAdded[0]!));
        reply.header('x-taxii-date-added-last', service.taxiiTimestamp(page.dateAdded[page.dateAdded.length - 1]!));
      }
      const more = page.next !== undefined;
      // Empty lists are not sent (section 1.7.2): an empty page is {} unless more follows.
      const paging = more ? { more, next: page.next } : {};
      if (count === 0) return reply.send(paging);
      if (page.bodies) {
        const head = more ? `{"more":true,"next":${JSON.stringify(page.next)},"objects":[` : '{"objects":[';
        return reply.type(service.TAXII_MEDIA_TYPE).send(envelopeBytes(head, page.bodies));
      }
      const manifest = page.manifest!;
      if (mode === 'versions') return reply.send({ ...(more ? { more } : {}), versions: manifest.map((entry) => entry.version) });
      return reply.send({
        ...paging,
        objects: manifest.map((entry, i) => ({
          id: entry.id,
          date_added: service.taxiiTimestamp(page.dateAdded[i]!),
          version: entry.version,
          media_type: service.STIX_MEDIA_TYPE,
        })),
      });
    };

    app.get<{ Params: { collection: string }; Querystring: ObjectsQuerystring }>(`/${service.API_ROOT}/collections/:collection/objects/`, read, (request, reply) => objects(request, reply, 'objects'));
    app.get<{ Params: { collection: string; object: string }; Querystring: ObjectsQuerystring }>(`/${service.API_ROOT}/collections/:collection/objects/:object/`, read, (request, reply) =>
      objects(request, reply, 'objects'),
    );
    app.get<{ Params: { collection: string; object: string }; Querystring: ObjectsQuerystring }>(`/${service.API_ROOT}/collections/:collection/objects/:object/versions/`, read, (request, reply) =>
      objects(request, reply, 'versions'),
    );
    app.post<{ Params: { collection: string } }>(`/${service.API_ROOT}/collections/:collection/objects/`, write, async (request, reply) => {
      const limit = ctx.config.bodyLimitBytes;
      const length = request.headers['content-length'];
      const declared = length === undefined ? undefined : Number(length);
      if (declared !== undefined && declared > limit) {
        throw shieldwallError('PAYLOAD_TOO_LARGE', `the body of ${declared} bytes exceeds ${limit} bytes, the API root's max_content_length (SHIELDWALL_BODY_LIMIT): send the objects in several Add Objects requests`);
      }
      // Without a Content-Type there is no body, or none the parser above took.
      const body = request.body;
      if (!(body instanceof Readable)) throw shieldwallError('UNSUPPORTED_MEDIA_TYPE', `send the envelope with Content-Type ${service.TAXII_MEDIA_TYPE}`);
      // A large body, or one of unknown length, is read in an ingest worker thread.
      const parallel = declared === undefined || declared >= PARALLEL_THRESHOLD_BYTES;
      // A body refused before its end is left unread, not destroyed: destroying the request
      // destroys its socket, and the answer (413, 400) would never reach the client. The rest
      // is read away (up to the limit again) before the answer, so that it arrives whole.
      const chunks = body.iterator({ destroyOnReturn: false });
      let status: service.Status;
      try {
        status = await service.addObjects(ctx, request.actor, request.params.collection, chunks, { parallel });
      } catch (error) {
        await discardRest(body, limit);
        throw error;
      }
      return reply.status(202).send(status);
    });

    // Delete an Object (section 5.7): every version unless match[version] names some; 200, no body.
    app.delete<{ Params: { collection: string; object: string }; Querystring: ObjectsQuerystring }>(
      `/${service.API_ROOT}/collections/:collection/objects/:object/`,
      write,
      async (request, reply) => {
        checkFilters(request.query);
        await service.deleteObject(ctx, request.actor, request.params.collection, request.params.object, request.query['match[version]']);
        return reply.status(200).send();
      },
    );

    app.get<{ Params: { status: string } }>(`/${service.API_ROOT}/status/:status/`, read, async (request) => service.getStatus(ctx, request.actor, request.params.status));

    app.get<{ Params: { collection: string }; Querystring: ObjectsQuerystring }>(`/${service.API_ROOT}/collections/:collection/manifest/`, read, (request, reply) => objects(request, reply, 'manifest'));
  };
}
