/** Thin HTTP layer of the intel module: parse -> service -> present. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Readable } from 'node:stream';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { BodyTooLarge, discardRest, limited } from '../../core/http.js';
import { storeErrorOf } from '../../core/store-errors.js';
import { BundleQuery, ObjectGetQuery, ObjectIdParams, ObjectListQuery, StatsQuery } from './intel.schema.js';
import * as service from './intel.service.js';

/** Media types POST /api/v1/bundles accepts; the body is streamed, never buffered whole. */
const STIX_BODY = /^application\/(json|stix\+json|taxii\+json|x-ndjson|ndjson|jsonl|x-jsonlines)\s*(;.*)?$/i;

export function intelRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(STIX_BODY, (_request, payload, done) => done(null, payload));

    app.post(
      '/api/v1/bundles',
      {
        config: { permission: 'intel:write' },
        bodyLimit: ctx.config.bodyLimitBytes,
        schema: {
          summary: 'Ingest a STIX bundle, a JSON array of STIX objects, or NDJSON (streamed)',
          querystring: BundleQuery,
        },
      },
      async (request, reply) => {
        const limit = ctx.config.bodyLimitBytes;
        const hint = `the limit is ${limit} bytes (SHIELDWALL_BODY_LIMIT); send large files with "shieldwall ingest FILE --url ... --token ..." (it splits them) or over TAXII`;
        const declared = Number(request.headers['content-length'] ?? '0');
        if (declared > limit) throw shieldwallError('PAYLOAD_TOO_LARGE', `request body of ${declared} bytes is too large: ${hint}`);
        // No body schema: the parser above hands over the request stream itself, read as it arrives.
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as { on?: unknown }).on !== 'function') {
          throw shieldwallError('UNSUPPORTED_MEDIA_TYPE', 'send the bundle with Content-Type application/json, application/stix+json or application/x-ndjson');
        }
        const which = request.query.outcomes ?? 'all';
        const outcomes: service.ObjectOutcome[] = [];
        let summary: service.IngestSummary;
        try {
          summary = await service.ingestStream(ctx, request.actor, limited(body, limit), {
            // A body sent in chunks of unknown total length may be large too.
            parallel: request.headers['content-length'] === undefined || declared >= service.PARALLEL_THRESHOLD_BYTES,
            maxObjects: ctx.config.objectsPerRequest,
            onOutcome: (o) => {
              if (which === 'all' || (which === 'rejected' && o.status === 'rejected')) outcomes.push(o);
            },
          });
        } catch (error) {
          // Refused part way: the rest is read away (up to the limit again) so that the answer arrives whole.
          await discardRest(body, limit);
          if (error instanceof BodyTooLarge) {
            const accepted = outcomes.filter((o) => o.status === 'accepted').length;
            throw shieldwallError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes; the ${accepted} objects accepted before the limit stay accepted: ${hint}`, { objects: outcomes });
          }
          if (error instanceof service.TooManyObjects) {
            const accepted = outcomes.filter((o) => o.status === 'accepted').length;
            throw shieldwallError(
              'PAYLOAD_TOO_LARGE',
              `the body holds more than ${error.limit} objects, the most one request may (SHIELDWALL_OBJECTS_PER_REQUEST); the first ${error.limit} were processed and the ${accepted} accepted stay accepted: send the objects after them in another request, or use "shieldwall ingest FILE --url ... --token ..." (it splits files)`,
              { objects: outcomes, limit: error.limit },
            );
          }
          // The store failed (disk full, connection lost): outcomes reported so far were committed.
          const accepted = outcomes.filter((o) => o.status === 'accepted').length;
          throw storeErrorOf(error, { accepted, details: { objects: outcomes } }) ?? error;
        }
        // A stream that stopped at an error before the body's end leaves the rest unread too.
        await discardRest(body, limit);
        if (summary.objects === 0 && summary.streamErrors.length > 0) {
          throw shieldwallError('INVALID_BUNDLE', summary.streamErrors.join('; '), { summary });
        }
        if (summary.objects === 0 && summary.format === 'empty') {
          throw shieldwallError('INVALID_BUNDLE', 'the body is empty: send a STIX bundle, a JSON array of STIX objects or NDJSON (one object a line)', { summary });
        }
        return reply.status(200).send({ summary, ...(which === 'none' ? {} : { objects: outcomes }) });
      },
    );

    app.get(
      '/api/v1/objects/:id',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'Get the newest version of a STIX object, or every version', params: ObjectIdParams, querystring: ObjectGetQuery },
      },
      async (request) => {
        const { id } = request.params;
        const { versions, limit, cursor } = request.query;
        if ((limit !== undefined || cursor !== undefined) && versions !== 'all') throw shieldwallError('BAD_REQUEST', 'limit and cursor page through versions: ask with versions=all');
        if (versions === 'all') {
          const page = await service.versionsPage(ctx, request.actor, id, { ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}) });
          return { id, versions: page.versions, ...(page.next ? { next: page.next } : {}) };
        }
        return service.getObject(ctx, request.actor, id);
      },
    );

    app.get(
      '/api/v1/objects/:id/context',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'An object page: the object, its versions, its relationships with their other ends, and its sightings, as the caller may see them', params: ObjectIdParams },
      },
      async (request) => service.objectContext(ctx, request.actor, request.params.id),
    );

    app.get(
      '/api/v1/objects',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'List newest versions in the order they were added (or newest first), with their handling and cursor paging', querystring: ObjectListQuery },
      },
      async (request) => {
        const q = request.query;
        const page = await service.listObjects(ctx, request.actor, {
          ...(q.type ? { types: q.type.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
          ...(q.ids ? { ids: [...new Set(q.ids.split(','))] } : {}),
          ...(q.q ? { q: q.q } : {}),
          ...(q.modified_after ? { modifiedAfter: q.modified_after } : {}),
          ...(q.modified_before ? { modifiedBefore: q.modified_before } : {}),
          ...(q.tlp !== undefined ? { tlps: service.parseTlpFilter(q.tlp) } : {}),
          ...(q.classification !== undefined ? { classifications: service.parseClassificationFilter(q.classification) } : {}),
          ...(q.origin !== undefined ? { origin: q.origin } : {}),
          ...(q.order === 'desc' ? { descending: true } : {}),
          ...(q.limit ? { limit: q.limit } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
          maxChars: service.PAGE_CHARS,
        });
        return { objects: page.objects, handling: page.handling ?? {}, ...(page.next ? { next: page.next } : {}) };
      },
    );

    app.get(
      '/api/v1/stats',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'Counts of the current objects the caller may read, by type; with since, what was added in that window', querystring: StatsQuery },
      },
      async (request) => service.intelStats(ctx, request.actor, { ...(request.query.since !== undefined ? { since: request.query.since } : {}), ...(request.query.until !== undefined ? { until: request.query.until } : {}) }),
    );
  };
}
