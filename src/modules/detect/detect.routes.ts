/** Detection over HTTP: IoC lookup, bulk matching of logs (streamed both ways), index status. */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { discardRest, whenClosed } from '../../core/http.js';
import { shareKey } from '../../core/inflight.js';
import { observeGauge } from '../../core/metrics.js';
import { MATCH_RETRY_AFTER_SECONDS, MatchScheduler } from './detect.schedule.js';
import {
  Answer, AwarenessAnswer, CorrelationsAnswer, CorrelationsQuery, IndicatorParams, LookupAnswers, LookupGet, LookupPost, MatchQuery, SightedAnswer, SightedQuery,
} from './detect.schema.js';
import * as service from './detect.service.js';

export function detectRoutes(ctx: AppContext, detection: service.Detection): FastifyPluginAsync {
  const scheduler = new MatchScheduler({ running: ctx.config.detectMatchRunning, queued: ctx.config.detectMatchQueued, queuedPerMember: ctx.config.detectMatchQueuedPerMember });
  observeGauge(ctx.metrics, 'shieldwall_detect_match_queue', 'Bulk matches waiting for their turn.', () => scheduler.state.queued);
  observeGauge(ctx.metrics, 'shieldwall_detect_match_running', 'Bulk matches running.', () => scheduler.state.running);
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/lookup',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'Indicators that name a value (exact or containing address prefix), among those the caller may read', querystring: LookupGet, response: { 200: Answer } },
      },
      async (request) => service.lookupValue(ctx, detection, request.actor, request.query),
    );

    app.post(
      '/api/v1/lookup',
      {
        config: { permission: 'intel:read' },
        bodyLimit: 8 * 1024 * 1024,
        schema: { summary: `Look up to ${service.LOOKUP_MAX_VALUES} values at once`, body: LookupPost, response: { 200: LookupAnswers } },
      },
      async (request) => service.lookupValues(ctx, detection, request.actor, request.body),
    );

    app.get(
      '/api/v1/detect/indicators/:id',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'One indicator as the alliance sees it: indicators of other originators naming the same values (correlated), and who sighted it; all among what the caller may read',
          params: IndicatorParams,
          response: { 200: AwarenessAnswer },
        },
      },
      async (request) => service.indicatorAwareness(ctx, detection, request.actor, request.params.id),
    );

    app.get(
      '/api/v1/detect/sighted',
      {
        config: { permission: 'intel:read' },
        schema: { summary: 'Indicators sighted by the most organisations, among the sightings the caller may read', querystring: SightedQuery, response: { 200: SightedAnswer } },
      },
      async (request) => service.sightedRanking(ctx, request.actor, request.query),
    );

    app.get(
      '/api/v1/detect/correlations',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'Values that indicators of several originators name (exact values), most originators first, among the indicators the caller may read',
          querystring: CorrelationsQuery,
          response: { 200: CorrelationsAnswer },
        },
      },
      async (request) => service.correlations(ctx, detection, request.actor, request.query),
    );

    app.get('/api/v1/detect/status', { config: { permission: 'node:read' }, schema: { summary: 'The detection index: indicators held, values, compiled patterns, last build' } }, async () => {
      await detection.ready();
      return detection.status();
    });

    await app.register(async (plugin) => {
      const raw = plugin.withTypeProvider<TypeBoxTypeProvider>();
      // Logs arrive as they are (any text type) and are read as a stream.
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

      raw.post(
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
          const asked = service.matchAsked(ctx, request.actor, request.query);
          await detection.ready();
          let done: () => void;
          // The wait for a turn is the node's, not the client's: the connection is not idle then
          // (SHIELDWALL_HTTP_IDLE_MS applies again once the match runs).
          // (A request made in-process, app.inject, has no socket of its own to time.)
          const socket = request.raw.socket as Partial<Socket> | undefined;
          socket?.setTimeout?.(0);
          try {
            // Places are shared out by member; a user of the node itself (no member) counts as its own.
            done = await scheduler.enter(shareKey(request.actor));
          } catch (error) {
            reply.header('Retry-After', String(MATCH_RETRY_AFTER_SECONDS));
            throw error;
          } finally {
            socket?.setTimeout?.(ctx.config.httpIdleMs);
          }
          // The turn ends with the answer, or with the connection if the client goes first (or
          // lets it go idle: a client that stops sending its log or taking its answer). A client
          // that went while its match waited gives its turn on at once.
          whenClosed(reply.raw, done);
          if (reply.raw.closed) return reply.hijack();
          const lines = service.matchStream(ctx, detection, request.actor, body, asked.read, asked.run);
          return reply.type('application/x-ndjson').send(Readable.from(untilDone(lines, done, body, ctx.config.bodyLimitBytes)));
        },
      );
    });
  };
}

/**
 * The answer's lines; the turn ends with them. A match that stopped before the log's end (the
 * store failed) reads the rest away, up to `discardBytes`, before the answer ends: a connection
 * closed with bytes of the request unread is reset, and the client would lose the answer's end.
 */
async function* untilDone(lines: AsyncGenerator<string>, done: () => void, body: Readable, discardBytes: number): AsyncGenerator<string> {
  try {
    yield* lines;
  } finally {
    done();
    await discardRest(body, discardBytes);
  }
}
