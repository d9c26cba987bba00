/** Detection over HTTP: IoC lookup, bulk matching of logs (streamed both ways), index status. */
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { observeGauge } from '../../core/metrics.js';
import { LOG_FORMATS, type LogFormat } from './formats.js';
import { OBSERVABLE_KINDS, type ObservableKind } from './observable.js';
import * as service from './detect.service.js';
import { awarenessOf, correlatedValues, mostSighted } from './detect.context.js';
import { matchStream, parseColumns } from './detect.match.js';
import { MATCH_RETRY_AFTER_SECONDS, MatchScheduler } from './detect.schedule.js';
import { DEFAULT_SIGHTING_MARKING, SightingCollector, parseSightingMarkings } from './detect.sightings.js';

const Kind = Type.Union(OBSERVABLE_KINDS.map((k) => Type.Literal(k)));

const LookupGet = Type.Object({
  value: Type.String({ minLength: 1, maxLength: 8192, description: 'The value to look up: an address, domain, URL, hash, e-mail address, ...' }),
  kind: Type.Optional(Kind),
  context: Type.Optional(Type.Boolean({ description: 'Add markings, related objects and sightings to each indicator (default true)' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
});

const LookupPost = Type.Object({
  values: Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 8192 }), Type.Object({ value: Type.String({ minLength: 1, maxLength: 8192 }), kind: Type.Optional(Kind) })]), {
    maxItems: service.LOOKUP_MAX_VALUES,
    description: `Up to ${service.LOOKUP_MAX_VALUES} values, each a string (its kind detected) or {value, kind}`,
  }),
  context: Type.Optional(Type.Boolean({ description: 'Add markings, related objects and sightings to each indicator (default true)' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
});

const Related = Type.Object({
  id: Type.String(),
  type: Type.String(),
  name: Type.Optional(Type.String()),
  relationship: Type.String({ description: 'relationship_type of the relationship leading to it' }),
  via: Type.Optional(Type.String({ description: 'The related object it was reached through (attribution), when not the indicator itself' })),
});

const Sighted = Type.Object({
  members: Type.Integer({ description: 'Distinct organisations that sighted it (where_sighted_refs), among the sightings the caller may read' }),
  sightings: Type.Integer(),
  count: Type.Integer({ description: 'Times seen: the sum of the sightings\' count' }),
  first_seen: Type.Optional(Type.String()),
  last_seen: Type.Optional(Type.String()),
  sighted_by: Type.Array(Type.String(), { description: 'Identities of the sighting organisations (at most 50)' }),
  truncated: Type.Optional(Type.Boolean()),
});

const Hit = Type.Object({
  id: Type.String(),
  match: Type.Union([Type.Literal('full'), Type.Literal('partial')]),
  confidence: Type.Optional(Type.Integer()),
  valid_from: Type.Optional(Type.String()),
  valid_until: Type.Optional(Type.String()),
  markings: Type.Optional(Type.Object({ tlp: Type.Union([Type.String(), Type.Null()]), classification: Type.String(), releasable_to: Type.Array(Type.String()) })),
  created_by_ref: Type.Optional(Type.String()),
  related: Type.Optional(Type.Array(Related)),
  sighted: Type.Optional(Sighted),
});

const Answer = Type.Object({
  value: Type.String(),
  kind: Type.Union([Kind, Type.Null()]),
  normalised: Type.Optional(Type.String({ description: 'The key the value was looked up by (see docs/DETECT-FORMATS.md), when it differs from the value as given' })),
  indicators: Type.Array(Hit),
  suppressed: Type.Optional(Type.Object({ list: Type.String(), name: Type.String(), entry: Type.String() }, { description: 'The warning-list entry that covers the value: bulk matching reports its matches as suppressed' })),
  error: Type.Optional(Type.String()),
});

const MatchQuery = Type.Object({
  format: Type.Optional(Type.Union(LOG_FORMATS.map((f) => Type.Literal(f)), { description: 'Input format; detected from the first lines when absent' })),
  columns: Type.Optional(Type.String({ maxLength: 4096, description: "CSV or NDJSON field mapping: 'field:kind,...', e.g. 'dst:ipv4,3:domain'" })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  header: Type.Optional(Type.Boolean({ description: 'CSV: the first line names the columns (default true)' })),
  report_sightings: Type.Optional(Type.Boolean({ description: 'Store what matched as STIX sightings (one per indicator, with the matched values as observed data) under your organisation\'s identity; needs intel:write' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
  sighting_markings: Type.Optional(Type.String({ maxLength: 1024, description: `Markings of the reported sightings: TLP levels or marking-definition ids, comma-separated (default ${DEFAULT_SIGHTING_MARKING})` })),
});

export function detectRoutes(ctx: AppContext, detection: service.Detection): FastifyPluginAsync {
  const scheduler = new MatchScheduler({ running: ctx.config.detectMatchRunning, queued: ctx.config.detectMatchQueued });
  observeGauge(ctx.metrics, 'shieldwall_detect_match_queue', 'Bulk matches waiting for their turn.', () => scheduler.state.queued);
  observeGauge(ctx.metrics, 'shieldwall_detect_match_running', 'Bulk matches running.', () => scheduler.state.running);
  return async (app) => {
    app.get<{ Querystring: Static<typeof LookupGet> }>(
      '/api/v1/lookup',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'Indicators that name a value (exact or containing address prefix), among those the caller may read', querystring: LookupGet, response: { 200: Answer } },
      },
      async (request) =>
        (await service.lookup(ctx, detection, request.principal!, [{ value: request.query.value, ...(request.query.kind ? { kind: request.query.kind } : {}) }], { context: request.query.context !== false, warningLists: request.query.warning_lists !== false }))[0]!,
    );

    app.post<{ Body: Static<typeof LookupPost> }>(
      '/api/v1/lookup',
      {
        config: { permission: 'intel:read' },
        bodyLimit: 8 * 1024 * 1024,
        schema: { summary: `Look up to ${service.LOOKUP_MAX_VALUES} values at once`, body: LookupPost, response: { 200: Type.Object({ answers: Type.Array(Answer) }) } },
      },
      async (request) => {
        const queries = request.body.values.map((v) => (typeof v === 'string' ? { value: v } : { value: v.value, ...(v.kind ? { kind: v.kind as ObservableKind } : {}) }));
        return { answers: await service.lookup(ctx, detection, request.principal!, queries, { context: request.body.context !== false, warningLists: request.body.warning_lists !== false }) };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v1/detect/indicators/:id',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'One indicator as the alliance sees it: indicators of other originators naming the same values (correlated), and who sighted it; all among what the caller may read',
          params: Type.Object({ id: Type.String({ maxLength: 300 }) }),
          response: {
            200: Type.Object({
              id: Type.String(),
              created_by_ref: Type.Union([Type.String(), Type.Null()]),
              correlated: Type.Array(Type.Object({ id: Type.String(), created_by_ref: Type.Union([Type.String(), Type.Null()]), shared: Type.Array(Type.Object({ kind: Kind, value: Type.String() })) })),
              sighted: Type.Optional(Sighted),
            }),
          },
        },
      },
      async (request) => {
        await detection.ready();
        return awarenessOf(ctx, detection, request.principal!, request.params.id);
      },
    );

    app.get<{ Querystring: { min_members?: number; limit?: number; since?: string } }>(
      '/api/v1/detect/sighted',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'Indicators sighted by the most organisations, among the sightings the caller may read',
          querystring: Type.Object({
            min_members: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'Only sightings last seen at or after this instant' })),
          }),
          response: { 200: Type.Object({ indicators: Type.Array(Type.Intersect([Type.Object({ id: Type.String() }), Sighted])), sightings_read: Type.Integer(), truncated: Type.Boolean() }) },
        },
      },
      async (request) => {
        const q = request.query;
        const since = q.since === undefined ? undefined : new Date(q.since).toISOString();
        return mostSighted(ctx, request.principal!, { minMembers: q.min_members ?? 1, limit: q.limit ?? 50, ...(since ? { since } : {}) });
      },
    );

    app.get<{ Querystring: { min_originators?: number; limit?: number; kind?: string } }>(
      '/api/v1/detect/correlations',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'Values that indicators of several originators name (exact values), most originators first, among the indicators the caller may read',
          querystring: Type.Object({
            min_originators: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, default: 2 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            kind: Type.Optional(Kind),
          }),
          response: {
            200: Type.Object({
              values: Type.Array(
                Type.Object({ kind: Kind, value: Type.String(), originators: Type.Integer(), indicators: Type.Array(Type.Object({ id: Type.String(), created_by_ref: Type.Union([Type.String(), Type.Null()]) })) }),
              ),
            }),
          },
        },
      },
      async (request) => {
        await detection.ready();
        const q = request.query;
        return correlatedValues(ctx, detection, request.principal!, { minOriginators: q.min_originators ?? 2, limit: q.limit ?? 100, ...(q.kind ? { kind: q.kind as ObservableKind } : {}) });
      },
    );

    app.get('/api/v1/detect/status', { config: { permission: 'node:read' }, schema: { summary: 'The detection index: indicators held, values, compiled patterns, last build' } }, async () => {
      await detection.ready();
      return detection.status();
    });

    await app.register(async (raw) => {
      // Logs arrive as they are (any text type) and are read as a stream.
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

      raw.post<{ Querystring: Static<typeof MatchQuery> }>(
        '/api/v1/match',
        {
          config: { permission: 'intel:read' },
          bodyLimit: Number.MAX_SAFE_INTEGER,
          schema: {
            summary: 'Match a log (NDJSON, CSV, Zeek, Suricata EVE, plain values) against the indicators the caller may read; answers NDJSON as it reads: one line per match, bad records as error lines, a summary line last',
            querystring: MatchQuery,
          },
        },
        async (request, reply) => {
          const body = request.body as Readable | undefined;
          if (!body || typeof (body as { on?: unknown }).on !== 'function') throw shieldwallError('BAD_REQUEST', 'send the log as the request body');
          const q = request.query;
          let columns: Record<string, ObservableKind> | undefined;
          if (q.columns !== undefined) {
            const parsed = parseColumns(q.columns);
            if ('error' in parsed) throw shieldwallError('BAD_REQUEST', parsed.error);
            columns = parsed.columns;
          }
          let sightings: SightingCollector | undefined;
          if (q.report_sightings) {
            const markings = q.sighting_markings === undefined ? undefined : parseSightingMarkings(q.sighting_markings);
            if (markings && 'error' in markings) throw shieldwallError('BAD_REQUEST', markings.error);
            sightings = new SightingCollector(ctx, request.principal!, markings?.markings);
          } else if (q.sighting_markings !== undefined) throw shieldwallError('BAD_REQUEST', 'sighting_markings is only used with report_sightings=true');
          await detection.ready();
          let done: () => void;
          try {
            done = await scheduler.enter(request.principal!.name);
          } catch (error) {
            reply.header('Retry-After', String(MATCH_RETRY_AFTER_SECONDS));
            throw error;
          }
          // The turn ends with the answer, or with the connection if the client goes first.
          reply.raw.once('close', done);
          const lines = matchStream(ctx, detection, request.principal!, body, {
            ...(q.format ? { format: q.format as LogFormat } : {}),
            ...(columns ? { columns } : {}),
            ...(q.delimiter ? { delimiter: q.delimiter } : {}),
            ...(q.header !== undefined ? { csvHeader: q.header } : {}),
          }, { ...(sightings ? { sightings } : {}), warningLists: q.warning_lists !== false });
          return reply.type('application/x-ndjson').send(Readable.from(untilDone(lines, done)));
        },
      );
    });
  };
}

async function* untilDone(lines: AsyncGenerator<string>, done: () => void): AsyncGenerator<string> {
  try {
    yield* lines;
  } finally {
    done();
  }
}
