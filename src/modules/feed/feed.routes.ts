/**
 * GET /api/v1/events: the live feed as Server-Sent Events (text/event-stream). Each event names
 * the object's date_added sequence as its id; a client resumes with the Last-Event-ID header (as
 * EventSource does by itself on reconnecting) or ?last_event_id=, and gets what was added after
 * it that it may read. Without one, the stream starts with what arrives from now on: from its
 * answer, which is sent only once that point is fixed, so that a client that stores objects once
 * answered (fetch resolved, EventSource's open) gets them.
 *
 * Changes of mutual assistance are sent live as `assistance` events without an id: they come from
 * the node's bus, not the store, and do not move the point a stream resumes from.
 */
import { once } from 'node:events';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { whenClosed } from '../../core/http.js';
import { assistanceEvent, type Feed } from './feed.service.js';

/** What EventSource waits before reconnecting after the stream ends (ms). */
const RETRY_MS = 3000;
/**
 * A stream checks its caller's credentials again at least this often (ms), and at once when the
 * directory changed in this process (event directory.changed: a sign-out, a token revoked, a
 * user changed), before it sends anything more: credentials that ended end the stream; a
 * clearance or role changed applies to what is sent next. A change made by another process on
 * the same store is found within this interval.
 */
export const REAUTHENTICATE_MS = 5000;

const EventsQuery = Type.Object({
  last_event_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: 'resume after this event id (the Last-Event-ID header wins)' })),
});

function resumeAfter(header: string | string[] | undefined, query: string | undefined): number | undefined {
  const given = typeof header === 'string' && header !== '' ? header : query;
  if (given === undefined) return undefined;
  if (!/^[0-9]{1,16}$/.test(given)) throw shieldwallError('BAD_REQUEST', `Last-Event-ID '${given.slice(0, 40)}' is not an event id of this feed (digits): reconnect without it to start from now`);
  return Number(given);
}

export function feedRoutes(ctx: AppContext, feed: Feed): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // Open streams end as the node shuts down, or closing would wait for them.
    app.addHook('preClose', async () => feed.close());
    app.get(
      '/api/v1/events',
      {
        // Open for as long as the client listens: bounded per user and per node by the feed itself.
        config: { permission: 'intel:read', longLived: true },
        schema: {
          summary: 'Live feed (Server-Sent Events) of new and updated intel, sightings, detection matches and incidents you may read, with their handling, resumable with Last-Event-ID; and, live only, the changes of mutual assistance you may read',
          querystring: EventsQuery,
        },
      },
      async (request, reply) => {
        let actor = request.actor;
        let after = resumeAfter(request.headers['last-event-id'], request.query.last_event_id);
        const release = feed.admit(actor);
        try {
          after ??= await feed.start();
        } catch (error) {
          release();
          throw error;
        }
        // The headers go out with the first write, after the start point is fixed: the answer is
        // the client's sign that the stream started.
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let gone = false;
        // Assistance changes are checked against the reader as it stands when they come, and again when sent.
        const inbox = feed.openInbox(() => actor);
        // (At once if the client went while the stream started: its place is not kept.)
        whenClosed(raw, () => {
          gone = true;
          release();
          feed.closeInbox(inbox);
        });
        if (gone) return;
        const send = async (text: string): Promise<void> => {
          if (raw.write(text)) return;
          // Whichever comes first; the other listener is removed, or every wait would leave one on the stream.
          const settled = new AbortController();
          try {
            await Promise.race([once(raw, 'drain', { signal: settled.signal }), once(raw, 'close', { signal: settled.signal })]);
          } finally {
            settled.abort();
          }
        };
        try {
          // Nothing on the wire depends on objects the reader may not read: not the opening (where
          // the stream starts is not said), not the keep-alives (timed from the last thing sent,
          // whatever woke the stream meanwhile).
          await send(`retry: ${RETRY_MS}\n\n`);
          let lastSent = Date.now();
          let checked = Date.now();
          let epoch = feed.credentialsEpoch;
          /** The caller as its credentials stand now; undefined when they no longer hold (or no longer allow the feed). */
          const current = async () => {
            const now = await request.reauthenticate?.();
            return now && ctx.permissions.has(now, 'intel:read') ? now : undefined;
          };
          while (!gone && !feed.closed) {
            if (Date.now() - checked >= REAUTHENTICATE_MS || epoch !== feed.credentialsEpoch) {
              epoch = feed.credentialsEpoch;
              const now = await current();
              if (!now) {
                // EventSource reconnects by itself: that request is then answered 401.
                await send('event: end\ndata: {"reason":"credentials ended"}\n\n');
                break;
              }
              actor = now;
              checked = Date.now();
            }
            const { events, after: next, more } = await feed.next(actor, after);
            after = next;
            for (const e of events) {
              if (gone) break;
              await send(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify({ object: e.object, handling: e.handling, change: e.change, ...(e.incident ? { incident: e.incident } : {}) })}\n\n`);
              lastSent = Date.now();
            }
            // No id line: they are not in the store, and a resumed stream does not get them again.
            const assistance = inbox.take();
            if (assistance.overflowed && !gone) {
              await send(`event: assistance-gap\ndata: ${JSON.stringify({ reason: 'more assistance changes came than this stream could hold: some were not sent; read the assistance board' })}\n\n`);
              lastSent = Date.now();
            }
            for (const change of assistance.changes) {
              if (gone) break;
              if (!feed.mayHearOfAssistance(actor, change)) continue;
              await send(`event: assistance\ndata: ${JSON.stringify(assistanceEvent(change))}\n\n`);
              lastSent = Date.now();
            }
            if (more) continue;
            const quiet = Date.now() - lastSent;
            if (quiet >= feed.keepAliveMs) {
              if (!gone) await send(': keep-alive\n\n');
              lastSent = Date.now();
              continue;
            }
            await feed.wait(Math.min(feed.keepAliveMs - quiet, REAUTHENTICATE_MS), inbox);
          }
        } catch (error) {
          // The headers are sent: the error goes to the log and the stream ends (the client reconnects).
          ctx.logger.warn({ err: error, reqId: request.id }, 'live feed stream ended by an error');
        } finally {
          release();
          feed.closeInbox(inbox);
          if (!raw.writableEnded) raw.end();
        }
      },
    );
  };
}
