/** Warning lists over HTTP: lists, their entries (JSON or one value per line), and a check of one value. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { OBSERVABLE_KINDS } from '../../stix/observable.js';
import type { Readable } from 'node:stream';
import { BodySliceError, decodedPieces, readJsonArrayInTurns, readLinesInTurns } from '../../core/body-slices.js';
import { shieldwallError } from '../../core/errors.js';
import { BodyTooLarge, BodyTooSlow, discardRest, limited, paced, whenClosed } from '../../core/http.js';
import { Places, shareKey } from '../../core/inflight.js';
import { observeGauge } from '../../core/metrics.js';
import * as service from './warninglist.service.js';
import { ENTRY_MAX_LENGTH } from './warninglist.suppress.js';

/** Entry uploads can be whole published lists (a top-1M domains list is about 20 MiB of text). */
const ENTRIES_BODY_LIMIT = 256 * 1024 * 1024;

/**
 * Entry uploads in progress at once: one per member (or per user of the node itself), two on the
 * node. Each holds its values in memory until they are written, about twice its body: twelve
 * uploads of 8 MB at once took a node past its heap and down.
 */
export const UPLOADS_PER_SHARE = 1;
export const UPLOADS_PER_NODE = 2;
const UPLOAD_RETRY_AFTER_SECONDS = 5;

const Kind = Type.Union(OBSERVABLE_KINDS.map((k) => Type.Literal(k)));

const ListSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  scope: Type.Union(service.WARNING_LIST_SCOPES.map((s) => Type.Literal(s))),
  member: Type.Union([Type.String(), Type.Null()], { description: 'The owning member; null for a list of the node itself' }),
  entries: Type.Integer(),
  bytes: Type.Integer({ description: "UTF-8 bytes of its entries' values and comments: what they weigh against the member's budget (SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER)" }),
  created_at: Type.String(),
  created_by: Type.String(),
  updated_at: Type.String(),
});

const EntrySchema = Type.Object({ kind: Type.String(), value: Type.String(), comment: Type.Union([Type.String(), Type.Null()]) });

const SuppressionSchema = Type.Object({ list: Type.String(), name: Type.String(), entry: Type.String() });

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    scope: Type.Optional(Type.Union(service.WARNING_LIST_SCOPES.map((s) => Type.Literal(s)), { description: "'member' (default): applies to your member's users; 'alliance': to everyone on the node (node administrators only)" })),
    member: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64 })], { description: 'The owning member (default: your own; another one for node administrators only); null for a list of the node itself. Null first: see nullable in core/schema.ts' })),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    scope: Type.Optional(Type.Union(service.WARNING_LIST_SCOPES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false, minProperties: 1 },
);

// Lengths are not in the schema: a schema's maxLength counts code points one by one, 3 s for
// two million values. The service refuses a value over ENTRY_MAX_LENGTH or a comment over
// 1,000 characters by its position, and keeps the others.
const EntryItem = Type.Union([
  Type.String({ description: `A value of at most ${ENTRY_MAX_LENGTH} characters` }),
  Type.Object({ value: Type.String({ description: `At most ${ENTRY_MAX_LENGTH} characters` }), kind: Type.Optional(Kind), comment: Type.Optional(Type.String({ description: 'At most 1,000 characters' })) }, { additionalProperties: false }),
]);

const EntriesJson = Type.Array(EntryItem, {
  maxItems: service.LIST_MAX_ENTRIES,
  description: "Values, each a string or {value, kind, comment}: an observable value, a CIDR range ('10.0.0.0/8', '2001:db8::/32') or '*.example.com' (the domain and all its subdomains)",
});
// Text is read line by line as it arrives and handed on as its value lines, not as one string:
// the schema describes it and checks nothing.
const EntriesText = Type.Unsafe<string>({ description: "Text, one value per line; blank lines and lines starting with '#' are skipped" });

const EntriesQuery = Type.Object({
  kind: Type.Optional(Kind),
  strict: Type.Optional(Type.Boolean({ description: 'Refuse the whole upload (and change nothing) if any value is refused' })),
});

const UploadResult = Type.Object({
  list: Type.String(),
  received: Type.Integer(),
  added: Type.Integer(),
  present: Type.Integer({ description: 'Valid values the list held already, or that the upload repeated' }),
  rejected: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Optional(Type.Integer()), index: Type.Optional(Type.Integer()), value: Type.String(), message: Type.String() })),
  errors_truncated: Type.Boolean(),
  entries: Type.Integer(),
});

const entriesBody = { content: { 'application/json': { schema: EntriesJson }, 'text/plain': { schema: EntriesText } } };

/** What the text/plain parser below hands on: the value lines, already read (see EntriesText). */
class EntryLines {
  constructor(readonly lines: ReadonlyArray<{ line: number; value: string }>) {}
}

type EntriesBody = Static<typeof EntriesJson> | EntryLines | undefined;

function upload(body: EntriesBody): service.EntryUpload {
  // No body at all (a replacement that empties the list).
  if (body === undefined) return { text: '' };
  if (body instanceof EntryLines) return { lines: body.lines };
  // Validated against EntryItem: strings, or objects of value, kind and comment alone.
  return { items: body as ReadonlyArray<string | service.EntryInput> };
}

/**
 * The longest item of a JSON upload, or line of text, as written: a value and its comment each
 * written with six characters (\uXXXX) to one, and room for the keys.
 */
const ENTRY_ITEM_MAX_CHARS = 64 * 1024;

/** Requests whose answer closes their connection: their body was refused unread (too slow). */
const closeAfterAnswer = new WeakSet<FastifyRequest>();
/** What gives an upload's places back: at its answer, or as soon as its body is refused. */
const placesOf = new WeakMap<FastifyRequest, () => void>();

/**
 * Reads an upload's body a slice at a time (core/body-slices.ts): a JSON array of values, or the
 * value lines of a text. A 413 past the limit, a 400 that says what is wrong and where; the rest
 * of a body refused part way is read away, so that the answer reaches the client.
 */
async function readEntries(ctx: AppContext, request: FastifyRequest, payload: Readable, read: (pieces: AsyncIterable<string>) => Promise<unknown>): Promise<unknown> {
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const tooLarge = () => shieldwallError('PAYLOAD_TOO_LARGE', `the request body is too large: ${route} takes at most ${ENTRIES_BODY_LIMIT} bytes; send the list in parts (POST adds to it)`);
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > ENTRIES_BODY_LIMIT) throw tooLarge();
  const pace = { graceMs: ctx.config.warningListUploadGraceMs, bytesPerSecond: ctx.config.warningListUploadMinRate };
  try {
    return await read(decodedPieces(paced(limited(payload, ENTRIES_BODY_LIMIT), pace)));
  } catch (error) {
    // A refused body holds no values: its places go back now, not once the rest is read away
    // (up to DISCARD_MS: a sender that made its upload fail at once, then trickled, held them 30 s).
    placesOf.get(request)?.();
    if (error instanceof BodyTooSlow) {
      // Not read on: that would wait for the slow sender again. The answer closes the connection.
      closeAfterAnswer.add(request);
      throw shieldwallError(
        'BODY_TOO_SLOW',
        `the upload arrived too slowly: ${error.bytes} bytes in ${(error.ms / 1000).toFixed(1)} s; past its first ${pace.graceMs / 1000} s an upload keeps at least ${pace.bytesPerSecond} bytes a second on average (SHIELDWALL_WARNINGLIST_UPLOAD_MIN_RATE), as it holds one of the node's ${UPLOADS_PER_NODE} upload places: send it from a faster link, or in smaller parts (POST adds to a list)`,
        { bytes: error.bytes, ms: Math.round(error.ms), min_bytes_per_second: pace.bytesPerSecond },
      );
    }
    await discardRest(payload, ENTRIES_BODY_LIMIT);
    if (error instanceof BodyTooLarge) throw tooLarge();
    if (!(error instanceof BodySliceError)) throw error;
    const path = error.index !== undefined ? `body[${error.index}]` : error.line !== undefined ? `line ${error.line}` : 'body';
    throw shieldwallError('BAD_REQUEST', `${error.message} (at character ${error.offset}): ${request.headers['content-type']?.startsWith('text/') ? 'send one value per line' : 'send a JSON array of values, each a string or {value, kind, comment}'}`, [{ path, message: error.message }]);
  }
}

const readJsonEntries = (pieces: AsyncIterable<string>) => readJsonArrayInTurns(pieces, { maxItemChars: ENTRY_ITEM_MAX_CHARS, maxItems: service.LIST_MAX_ENTRIES });

async function readTextEntries(pieces: AsyncIterable<string>): Promise<EntryLines> {
  const lines: Array<{ line: number; value: string }> = [];
  await readLinesInTurns(pieces, {
    maxLineChars: ENTRY_ITEM_MAX_CHARS,
    onLine: (text, line) => {
      const value = service.entryOfLine(text);
      if (value === undefined) return;
      if (lines.length >= service.LIST_MAX_ENTRIES) throw new BodySliceError(`the text holds more than ${service.LIST_MAX_ENTRIES} values`, 0, undefined, line);
      lines.push({ line, value });
    },
  });
  return new EntryLines(lines);
}

export function warningListRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/warning-lists',
      {
        config: { permission: 'warninglist:read' },
        schema: { summary: "Warning lists visible to the caller: its member's lists and the alliance lists", response: { 200: Type.Object({ warning_lists: Type.Array(ListSchema) }) } },
      },
      async (request) => ({ warning_lists: await service.listWarningLists(ctx, request.actor) }),
    );

    app.post(
      '/api/v1/warning-lists',
      {
        config: { permission: 'warninglist:write' },
        schema: { summary: 'Create a warning list (add its entries with POST /api/v1/warning-lists/{id}/entries)', body: CreateBody, response: { 201: ListSchema } },
      },
      async (request, reply) => {
        const b = request.body;
        const list = await service.createWarningList(ctx, request.actor, {
          name: b.name,
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.scope !== undefined ? { scope: b.scope } : {}),
          ...(b.member !== undefined ? { member: b.member } : {}),
        });
        return reply.status(201).send(list);
      },
    );

    app.get(
      '/api/v1/warning-lists/check',
      {
        config: { permission: 'warninglist:read' },
        schema: {
          summary: 'Would the warning lists that apply to the caller suppress a match on this value? Names the list and entry that cover it',
          querystring: Type.Object({ value: Type.String({ minLength: 1, maxLength: ENTRY_MAX_LENGTH }), kind: Type.Optional(Kind) }),
          response: {
            200: Type.Object({ value: Type.String(), kind: Type.Union([Kind, Type.Null()]), normalised: Type.Union([Type.String(), Type.Null()]), suppressed: Type.Union([SuppressionSchema, Type.Null()]) }),
          },
        },
      },
      async (request) => service.checkValue(ctx, request.actor, request.query.value, request.query.kind),
    );

    app.get(
      '/api/v1/warning-lists/:id',
      {
        config: { permission: 'warninglist:read' },
        schema: {
          summary: 'A warning list and a page of its entries, in (kind, value) order',
          params: Params,
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: service.PAGE_MAX, default: service.PAGE_DEFAULT })),
            cursor: Type.Optional(Type.String({ maxLength: 20_000, description: 'next_cursor of the previous page' })),
            kind: Type.Optional(Kind),
          }),
          response: { 200: Type.Object({ list: ListSchema, entries: Type.Array(EntrySchema), next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null on the last one' }) }) },
        },
      },
      async (request) => {
        const q = request.query;
        return service.getWarningList(ctx, request.actor, request.params.id, {
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
        });
      },
    );

    app.patch(
      '/api/v1/warning-lists/:id',
      { config: { permission: 'warninglist:write' }, schema: { summary: "Rename a warning list, change its description or scope (to or from 'alliance': node administrators only)", params: Params, body: PatchBody, response: { 200: ListSchema } } },
      async (request) => service.updateWarningList(ctx, request.actor, request.params.id, request.body),
    );

    app.delete(
      '/api/v1/warning-lists/:id',
      { config: { permission: 'warninglist:write' }, schema: { summary: 'Delete a warning list and its entries', params: Params } },
      async (request, reply) => {
        await service.deleteWarningList(ctx, request.actor, request.params.id);
        return reply.status(204).send();
      },
    );

    // Entry uploads in a context of their own: their JSON is read a slice at a time.
    await app.register(async (child) => {
      child.removeContentTypeParser(['application/json', 'text/plain']);
      child.addContentTypeParser('application/json', async (request: FastifyRequest, payload: Readable) => readEntries(ctx, request, payload, readJsonEntries));
      child.addContentTypeParser('text/plain', async (request: FastifyRequest, payload: Readable) => readEntries(ctx, request, payload, readTextEntries));
      // A body refused as too slow is not read on: its answer closes the connection.
      child.addHook('onSend', async (request, reply) => {
        if (closeAfterAnswer.delete(request)) reply.header('connection', 'close');
      });
      // A place is taken before the body is read, and given back when the answer has gone.
      const shares = new Places(UPLOADS_PER_SHARE);
      const node = new Places(UPLOADS_PER_NODE);
      observeGauge(ctx.metrics, 'shieldwall_warninglist_uploads_in_progress', `Warning-list entry uploads being read or written now (at most ${UPLOADS_PER_NODE}).`, () => node.held('node'));
      child.addHook('onRequest', async (request, reply) => {
        // Not to be written by this sender: refused before a place is taken or the body read.
        const { id } = request.params as { id?: string };
        if (id !== undefined) await service.checkWritable(ctx, request.actor, id);
        const key = shareKey(request.actor);
        const own = shares.take(key);
        const place = own ? node.take('node') : undefined;
        if (own && place) {
          const giveBack = () => {
            own();
            place();
          };
          placesOf.set(request, giveBack);
          whenClosed(reply.raw, giveBack);
          return;
        }
        own?.();
        reply.header('Retry-After', String(UPLOAD_RETRY_AFTER_SECONDS));
        throw shieldwallError(
          'TOO_MANY_IN_FLIGHT',
          own
            ? `${UPLOADS_PER_NODE} warning-list uploads are in progress on this node, the most it takes at once: retry in ${UPLOAD_RETRY_AFTER_SECONDS} s`
            : `${key.startsWith('member:') ? `a user of member ${key.slice('member:'.length)} has` : 'you have'} a warning-list upload in progress; one member uploads ${UPLOADS_PER_SHARE} at a time: retry in ${UPLOAD_RETRY_AFTER_SECONDS} s, once it is answered`,
          { retry_after_seconds: UPLOAD_RETRY_AFTER_SECONDS },
        );
      });
      const entries = child.withTypeProvider<TypeBoxTypeProvider>();
      for (const [method, mode] of [['POST', 'add'], ['PUT', 'replace']] as const) {
        entries.route({
          method,
          url: '/api/v1/warning-lists/:id/entries',
          bodyLimit: ENTRIES_BODY_LIMIT,
          config: { permission: 'warninglist:write' },
          schema: {
            summary:
              mode === 'add'
                ? 'Add values to a warning list: a JSON array, or text with one value per line; refused values are reported by line or position and the valid ones kept'
                : 'Replace all entries of a warning list (an empty body empties it); refused values are reported and the valid ones kept',
            params: Params,
            querystring: EntriesQuery,
            body: entriesBody,
            response: { 200: UploadResult },
          },
          // The body schema is one per media type (content), which the type provider does not read:
          // what was validated against one of them, or nothing (an empty body).
          handler: async (request) =>
            service.uploadEntries(ctx, request.actor, request.params.id, upload(request.body as EntriesBody), {
              mode,
              ...(request.query.kind ? { kind: request.query.kind } : {}),
              ...(request.query.strict !== undefined ? { strict: request.query.strict } : {}),
            }),
        });
      }
    });

    app.delete(
      '/api/v1/warning-lists/:id/entries',
      {
        config: { permission: 'warninglist:write' },
        schema: {
          summary: 'Remove one entry, written as it was added (it is normalised the same way)',
          params: Params,
          querystring: Type.Object({ value: Type.String({ minLength: 1, maxLength: ENTRY_MAX_LENGTH }), kind: Type.Optional(Kind) }),
          response: { 200: Type.Object({ removed: Type.Integer(), entries: Type.Integer() }) },
        },
      },
      async (request) => service.removeEntry(ctx, request.actor, request.params.id, request.query.value, request.query.kind),
    );
  };
}
