/**
 * Federation use cases: pull from and push to peer nodes over TAXII 2.1, with cursors kept in
 * the store (a restart resumes), provenance per received version (nothing goes back to the
 * peer it came from), and the need-to-know rule deciding, with the peer as principal, what
 * leaves this node. Scheduling lives in federation.scheduler.ts.
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import { createHash } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
import { shieldwallError } from '../../core/errors.js';
import { isObjectRecord } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { canAdminister } from '../../policy/rule.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import * as repo from './federation.repo.js';
import { ENVELOPE_BYTES, envelopeBytes, justBefore, TaxiiClient, TaxiiClientError, timestampMicros, type StatusResource } from './taxii.client.js';

/** Objects asked for per page when pulling, and sent per Add Objects request when pushing. */
export const PULL_PAGE = 2000;
export const PUSH_BATCH = 1000;

/**
 * What one pull takes at most: 100 pages (200,000 objects from a server that honours limit) and
 * 1 GiB of them. Then the run ends with the cursor saved, and the next run goes on from it: a
 * peer whose pages never end (`more` for ever, next tokens never repeated) holds its job one run
 * at a time, not for ever.
 */
export const PULL_RUN_PAGES = 100;
export const PULL_RUN_BYTES = 1024 * 1024 * 1024;
/**
 * How far ahead of this node's clock a peer's X-TAXII-Date-Added-Last may be (clocks differ a
 * little): a cursor far in the future would have every later pull ask for nothing.
 */
export const CURSOR_AHEAD_MS = 5 * 60_000;

/** The version a receipt is recorded under: what TAXII calls the version of an object. */
export function versionOf(object: unknown): string {
  if (!isObjectRecord(object)) return '';
  const v = object.modified ?? object.created;
  return typeof v === 'string' ? v : '';
}

/**
 * TAXII clients of this node by peer, reused while the peer's settings stay the same
 * (keep-alive); closed when the node closes.
 */
const CLIENTS = nodeState(
  'federation.clients',
  () => new Map<string, { signature: string; client: TaxiiClient }>(),
  (byPeer) => closeAll(byPeer),
);

async function closeAll(byPeer: Map<string, { client: TaxiiClient }>): Promise<void> {
  const open = [...byPeer.values()];
  byPeer.clear();
  await Promise.all(open.map((c) => c.client.close().catch(() => undefined)));
}

/** Forgets a peer's client (its settings changed, or it is gone) and closes it. */
function dropClient(ctx: AppContext, name: string): void {
  const byPeer = ctx.state.peek(CLIENTS);
  const cached = byPeer?.get(name);
  if (!cached) return;
  byPeer!.delete(name);
  void cached.client.close().catch(() => undefined);
}

function clientFor(ctx: AppContext, link: directory.PeerLink): TaxiiClient {
  if (!link.url) throw shieldwallError('BAD_REQUEST', `peer ${link.name} has no TAXII URL: add it again with --url`);
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the ${what} ${file} for peer ${link.name}: ${(error as Error).message}`, { cause: error });
    }
  };
  const caFile = link.caFile ?? ctx.config.tlsClientCa;
  const signature = createHash('sha256').update(JSON.stringify([link.url, link.auth, link.username, link.secret, caFile, ctx.config.tlsCert, ctx.config.tlsKey, link.pageTimeoutSeconds])).digest('hex');
  const byPeer = ctx.state.get(CLIENTS);
  const cached = byPeer.get(link.name);
  if (cached?.signature === signature) return cached.client;
  if (cached) void cached.client.close().catch(() => undefined);
  const tls: { cert?: string; key?: string; ca?: string } = caFile ? { ca: read(caFile, 'CA file') } : {};
  if (link.auth === 'mtls') {
    if (!ctx.config.tlsCert || !ctx.config.tlsKey) {
      throw new Error(`peer ${link.name} authenticates this node by its certificate, but the node has none: set SHIELDWALL_TLS_CERT and SHIELDWALL_TLS_KEY (shieldwall pki node makes a pair for trials)`);
    }
    tls.cert = read(ctx.config.tlsCert, 'node certificate');
    tls.key = read(ctx.config.tlsKey, 'node key');
  }
  const client = new TaxiiClient({
    apiRoot: link.url,
    tls,
    timeoutMs: link.pageTimeoutSeconds * 1000,
    peer: link.name,
    ...(link.auth === 'token' && link.secret ? { token: link.secret } : {}),
    ...(link.auth === 'basic' && link.secret && link.username ? { basic: { username: link.username, password: link.secret } } : {}),
  });
  byPeer.set(link.name, { signature, client });
  return client;
}

/** Closes the connections kept to peers (at shutdown). */
export async function closeClients(ctx: AppContext): Promise<void> {
  const byPeer = ctx.state.peek(CLIENTS);
  if (byPeer) await closeAll(byPeer);
}

async function linkAndPrincipal(ctx: AppContext, name: string): Promise<{ link: directory.PeerLink; principal: Principal }> {
  const peer = (await directory.listPeers(ctx)).find((p) => p.name === name);
  if (peer?.disabled && peer.awaitingApprovalBy.length > 0) {
    throw shieldwallError('CONFLICT', `peer '${name}' waits for a node administrator other than ${peer.awaitingApprovalBy.join(', ')} to enable it (two-person rule): POST /api/v1/peers/${name}/enable, or on the node shieldwall peers enable ${name}`);
  }
  if (peer?.disabled) throw shieldwallError('CONFLICT', `peer '${name}' is disabled: enable it first (shieldwall peers enable ${name}, POST /api/v1/peers/${name}/enable)`);
  const link = await directory.peerLink(ctx, name);
  const principal = link && (await directory.principalOfPeer(ctx, name));
  if (!link || !principal) throw shieldwallError('NOT_FOUND', `no enabled peer named '${name}' (shieldwall peers list shows them)`);
  return { link, principal };
}

/** Only one pull and one push per peer at a time in this process; a second caller waits its turn. */
const running = new Map<string, Promise<unknown>>();

async function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
  for (let current = running.get(key); current; current = running.get(key)) await current.catch(() => undefined);
  const work = fn();
  running.set(key, work);
  try {
    return await work;
  } finally {
    if (running.get(key) === work) running.delete(key);
  }
}

/** Records that a peer delivered these versions (pulled from it, or pushed by it to this node). */
export async function recordReceipts(ctx: AppContext, peer: string, objects: ReadonlyArray<{ id: string; version: string }>): Promise<void> {
  const at = ctx.clock.now().toISOString();
  await repo.recordReceipts(ctx.store, objects.map((o) => ({ object_id: o.id, version: o.version, peer, received_at: at })));
}

export interface PullResult {
  pages: number;
  objects: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** The first few reasons objects were refused, for the operator. */
  rejections: string[];
  /** True when the run stopped at its bound (PULL_RUN_PAGES, PULL_RUN_BYTES) with more to pull: the next run goes on. */
  more: boolean;
}

/**
 * Why a peer's X-TAXII-Date-Added-Last may not become the pull cursor, or its instant in
 * microseconds: an RFC 3339 timestamp, not before the cursor it would replace (`after`), and
 * not past `latest` (this node's clock and CURSOR_AHEAD_MS).
 */
function checkCursor(value: string, after: bigint | undefined, latest: bigint): { at: bigint } | { problem: string } {
  const at = timestampMicros(value);
  if (at === undefined) return { problem: 'is not an RFC 3339 timestamp' };
  if (after !== undefined && at < after) return { problem: 'is before the cursor already reached' };
  if (at > latest) return { problem: `is more than ${CURSOR_AHEAD_MS / 60_000} minutes ahead of this node's clock` };
  return { at };
}

/** A first page at least this large is worth parsing and validating in a worker thread. */
const PARALLEL_PAGE_BYTES = 1 << 20;

/**
 * Pulls what the peer has added since the stored cursor. The pages, as they come, are one
 * stream into the node's ingest pipeline (as the peer: validation, markings, need-to-know on
 * writes, audit), parsed and validated in a worker thread when they are large while this thread
 * writes. Which versions the peer delivered (provenance: never sent back to it) is recorded in
 * the transaction that stores them. Each object is reported once its batch is committed; once
 * every object of a page is, the cursor moves to the page's X-TAXII-Date-Added-Last. The next
 * pull, after a restart too, resumes from just before it.
 */
export async function pull(ctx: AppContext, name: string, options: { onPage?: (result: PullResult) => void } = {}): Promise<PullResult> {
  return exclusive(`${name}:pull`, async () => {
    const { link, principal } = await linkAndPrincipal(ctx, name);
    const client = clientFor(ctx, link);
    const state = await repo.getState(ctx.store, name);
    const result: PullResult = { pages: 0, objects: 0, accepted: 0, duplicate: 0, rejected: 0, rejections: [], more: false };
    const latest = () => BigInt(ctx.clock.now().getTime() + CURSOR_AHEAD_MS) * 1000n;
    // A cursor that is no timestamp, or lies far ahead (saved before cursors were checked),
    // would fail or empty every pull: it is dropped, and the pull starts again from the start
    // (what comes again is a duplicate, not stored twice).
    let stored = state?.pull_cursor ?? undefined;
    let reached = stored === undefined ? undefined : timestampMicros(stored);
    if (stored !== undefined && (reached === undefined || reached > latest())) {
      ctx.logger.warn({ peer: name, cursor: stored.slice(0, 100) }, 'the stored pull cursor of a peer is not a usable timestamp: pulling again from the start');
      await repo.changeState(ctx.store, name, { pullCursor: null });
      stored = undefined;
      reached = undefined;
    }
    const began = reached;
    // Each page's X-TAXII-Date-Added-Last, if it may become the cursor (else undefined: the
    // previous cursor stays, and the first refusal of the run is logged).
    let ignored = 0;
    const usable = (value: string | undefined): string | undefined => {
      if (value === undefined) return undefined;
      const checked = checkCursor(value, reached, latest());
      if ('at' in checked) {
        reached = checked.at;
        return value;
      }
      if (ignored++ === 0) ctx.logger.warn({ peer: name, dateAddedLast: value.slice(0, 100), cursor: stored ?? null }, `a peer's X-TAXII-Date-Added-Last ${checked.problem}: ignored, the pull cursor stays where it was`);
      return undefined;
    };
    // From just before the cursor: the objects added at the cursor's very instant come again (a
    // group sharing one date_added may go on past the page that ended there); they are
    // duplicates, counted and not stored twice. Every version, so that older ones arrive too.
    const pages = client.rawPages(link.pullCollection ?? 'intel', {
      ...(stored ? { addedAfter: justBefore(stored) } : {}),
      limit: PULL_PAGE,
      versions: 'all',
      maxPages: PULL_RUN_PAGES,
      maxBytes: PULL_RUN_BYTES,
    });
    // Where each page ends in the stream, and the cursor it moves to once stored.
    const ends: Array<{ end: number; cursor: string | undefined }> = [];
    let streamed = 0;
    let lastCursor: string | undefined;
    // A page that fails to arrive ends the stream there: what came before it is stored, and
    // the cursor moves past it, before the failure is reported.
    let broken: unknown;
    const first = await pages.next();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let item = first; !item.done; ) {
        const page = item.value;
        result.pages++;
        if (page.stopped) result.more = true;
        const pageCursor = usable(page.dateAddedLast);
        if (pageCursor) lastCursor = pageCursor;
        if (!page.empty) {
          streamed += page.body.length;
          ends.push({ end: streamed, cursor: pageCursor });
          yield page.body;
        }
        try {
          item = await pages.next();
        } catch (error) {
          broken = error;
          return;
        }
      }
    }
    let done = 0;
    let cursor: string | undefined;
    let saved = Promise.resolve();
    const counted = { accepted: 0, rejected: 0 };
    const save = () => {
      const change = { ...(cursor ? { pullCursor: cursor } : {}), pulled: counted.accepted, refused: counted.rejected, lastPullAt: ctx.clock.now().toISOString() };
      counted.accepted = 0;
      counted.rejected = 0;
      saved = saved.then(() => repo.changeState(ctx.store, name, change));
      // Awaited at the end; this only keeps a failure from counting as unhandled meanwhile.
      saved.catch(() => undefined);
    };
    const summary = await intel.ingestStream(ctx, principal, chunks(), {
      parallel: !first.done && first.value.body.length >= PARALLEL_PAGE_BYTES,
      // Provenance commits with the versions it is about.
      inTransaction: (tx, versions) => repo.recordReceiptsInTransaction(tx, name, ctx.clock.now().toISOString(), versions),
      onOutcome: (outcome) => {
        // Every object before this one is stored: so are the pages that end before it.
        while (done < ends.length && outcome.offset !== undefined && outcome.offset >= ends[done]!.end) cursor = ends[done++]!.cursor ?? cursor;
        if (outcome.status === 'rejected') {
          counted.rejected++;
          if (result.rejections.length < 5) result.rejections.push(`${outcome.id ?? `object ${outcome.index}`}: ${(outcome.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ')}`);
        } else if (outcome.status === 'accepted') counted.accepted++;
      },
      onProgress: (progress) => {
        result.objects = progress.objects;
        save();
        options.onPage?.(result);
      },
    });
    // Everything streamed is stored: the cursor goes past the last page, even an empty one. Not
    // past a page the reader could not read (not an envelope, cut off): it stays where the last
    // page stored whole ended, and the next pull asks for that page again.
    if (summary.streamErrors.length === 0) cursor = lastCursor ?? cursor;
    save();
    await saved;
    if (broken !== undefined) throw broken;
    // A run that stopped without moving the cursor: the next would begin where this one did,
    // and never get further.
    const bound = `a pull takes at most ${PULL_RUN_PAGES} pages (${PULL_RUN_BYTES / 1024 ** 3} GiB): the next pull would begin at the same place`;
    if (result.more && lastCursor === undefined) {
      throw new Error(
        `peer ${name} gave no usable X-TAXII-Date-Added-Last in ${result.pages} pages, and ${bound}; ask its operator to send the header (TAXII 2.1 section 3.4.1)${ignored > 0 ? ', as an RFC 3339 timestamp not ahead of this node\'s clock' : ''}`,
      );
    }
    if (result.more && reached === began) {
      throw new Error(`peer ${name} gave ${result.pages} pages that all end at date_added ${lastCursor}, where the pull began, and ${bound}: more objects share that date_added than one pull takes; ask its operator to give objects date_added of finer precision`);
    }
    if (result.more) ctx.logger.info({ peer: name, pages: result.pages, cursor: lastCursor }, 'a pull stopped at its bound; the next pull goes on from its cursor');
    result.objects = summary.objects;
    result.accepted = summary.accepted;
    result.duplicate = summary.duplicate;
    result.rejected = summary.rejected;
    if (summary.streamErrors.length > 0) throw new Error(`peer ${name} sent what is not a TAXII envelope of STIX objects: ${summary.streamErrors.slice(0, 3).join('; ')}`);
    const now = ctx.clock.now().toISOString();
    await repo.changeState(ctx.store, name, { lastPullAt: now, pullOkAt: now, error: null });
    if (result.rejected > 0) ctx.logger.warn({ peer: name, rejected: result.rejected, first: result.rejections }, 'objects pulled from a peer were refused');
    return result;
  });
}

export interface PushResult {
  objects: number;
  accepted: number;
  /** Objects the peer refused (e.g. marked above what it accepts from this node), and the oversized. */
  refused: number;
  /** Of refused, objects not sent: one alone is larger than the peer takes in a request (max_content_length, or a 413 answer). */
  oversized: number;
  /** Objects not sent because they came from this peer. */
  echoes: number;
  requests: number;
}

/** An object on its way to a peer: its JSON text, the bytes of it, and its date_added (seq). */
interface Outgoing {
  id: string;
  version: string;
  text: string;
  bytes: number;
  seq: number;
}

/**
 * The objects in Add Objects requests of at most `limit` bytes each, in order; a request holds
 * more than `limit` only when one object alone is larger.
 */
function batches(outgoing: readonly Outgoing[], limit: number): Outgoing[][] {
  const out: Outgoing[][] = [];
  let current: Outgoing[] = [];
  // The envelope, and a comma before every object but the first.
  let size = ENVELOPE_BYTES - 1;
  for (const object of outgoing) {
    if (current.length > 0 && size + object.bytes + 1 > limit) {
      out.push(current);
      current = [];
      size = ENVELOPE_BYTES - 1;
    }
    current.push(object);
    size += object.bytes + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * A peer's status for a request, counted only if it can be believed: success_count and
 * failure_count whole numbers from 0 to the objects sent, together no more than them. Else
 * why not, for the log (a peer's figures would otherwise go into this node's counts as given).
 */
function statusCounts(status: unknown, sent: number): { accepted: number; refused: number; failures: unknown[] } | { problem: string } {
  if (!isObjectRecord(status)) return { problem: 'is not a TAXII status resource' };
  const success = status.success_count;
  const failure = status.failure_count;
  const count = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= sent;
  if (!count(success) || !count(failure) || success + failure > sent) {
    const shown = (value: unknown) => (JSON.stringify(value) ?? 'nothing').slice(0, 40);
    return { problem: `gives success_count ${shown(success)} and failure_count ${shown(failure)} for ${sent} objects sent` };
  }
  return { accepted: success, refused: failure, failures: Array.isArray(status.failures) ? status.failures : [] };
}

/**
 * Pushes the newest versions added since the push cursor that the peer may receive: the
 * intel service lists them with the peer as principal (need-to-know and redaction, as for any
 * reader), versions the peer itself delivered are left out, and the rest go in Add Objects
 * requests. The cursor moves after each request the peer answers.
 *
 * A request carries at most what the peer takes (its max_content_length) and a page of this
 * node (PAGE_CHARS of object text): a batch of large objects made into one string could pass
 * what the runtime can hold, fail on every try, and never let the cursor move. An object larger
 * alone than the peer takes is not sent: it is counted as refused, logged, and passed by.
 */
export async function push(ctx: AppContext, name: string): Promise<PushResult> {
  return exclusive(`${name}:push`, async () => {
    const { link, principal } = await linkAndPrincipal(ctx, name);
    const client = clientFor(ctx, link);
    const collection = link.pushCollection ?? 'intel';
    const state = await repo.getState(ctx.store, name);
    let cursor = Number(state?.push_cursor ?? 0);
    const result: PushResult = { objects: 0, accepted: 0, refused: 0, oversized: 0, echoes: 0, requests: 0 };
    // Asked for once something is to be sent (and kept by the client): a push with nothing to
    // send makes no request.
    let peerLimit: { bytes: number | undefined } | undefined;
    const passOversized = async (object: Outgoing, limit: number | undefined) => {
      result.refused++;
      result.oversized++;
      ctx.logger.warn(
        { peer: name, id: object.id, version: object.version, bytes: object.bytes + ENVELOPE_BYTES, maxContentLength: limit ?? null },
        'an object is larger alone than a peer takes in one request (its max_content_length, or it answered 413): not sent, counted as refused',
      );
      cursor = object.seq;
      await repo.changeState(ctx.store, name, { pushCursor: cursor, refused: 1, pushRefused: 1, lastPushAt: ctx.clock.now().toISOString() });
    };
    for (;;) {
      // Room for the envelope and commas: the page's text then fits in PAGE_CHARS.
      const page = await intel.listObjects(ctx, principal, { addedAfterMicros: cursor, limit: PUSH_BATCH, maxChars: intel.PAGE_CHARS - ENVELOPE_BYTES - PUSH_BATCH });
      const delivered = await repo.deliveredBy(ctx.store, name, page.objects.map((o) => o.id));
      const outgoing: Outgoing[] = [];
      page.objects.forEach((object, i) => {
        if (delivered.has(`${object.id}|${intel.versionKey(versionOf(object) || undefined)}`)) {
          result.echoes++;
          return;
        }
        const text = JSON.stringify(object);
        outgoing.push({ id: object.id, version: versionOf(object), text, bytes: Buffer.byteLength(text), seq: page.dateAdded[i]! });
      });
      if (outgoing.length > 0) peerLimit ??= { bytes: await client.maxContentLength() };
      const limit = peerLimit?.bytes;
      const queue = batches(outgoing, Math.min(intel.PAGE_CHARS, limit ?? Infinity));
      while (queue.length > 0) {
        const batch = queue.shift()!;
        if (limit !== undefined && envelopeBytes(batch) > limit) {
          await passOversized(batch[0]!, limit);
          continue;
        }
        let status: StatusResource;
        try {
          status = await client.addSerialized(collection, batch.map((o) => o.text));
        } catch (error) {
          if (!(error instanceof TaxiiClientError && error.status === 413)) throw error;
          // Too large for the peer, which gave no max_content_length or a larger one: halves are
          // tried, down to the one object it cannot take.
          client.forgetContentLength();
          if (batch.length === 1) await passOversized(batch[0]!, limit);
          else queue.unshift(batch.slice(0, Math.ceil(batch.length / 2)), batch.slice(Math.ceil(batch.length / 2)));
          continue;
        }
        result.requests++;
        result.objects += batch.length;
        const counts = statusCounts(status, batch.length);
        let accepted = 0;
        let refused = 0;
        if ('problem' in counts) ctx.logger.warn({ peer: name, objects: batch.length }, `a peer's answer to pushed objects ${counts.problem}: not counted`);
        else {
          ({ accepted, refused } = counts);
          if (refused > 0) ctx.logger.warn({ peer: name, refused, first: counts.failures.slice(0, 3) }, 'a peer refused objects pushed to it');
        }
        result.accepted += accepted;
        result.refused += refused;
        const last = batch[batch.length - 1]!.seq;
        // A sync job's record: it waits for a bulk ingest's transaction to commit.
        await ctx.store.adapter.background(() => audit.record(ctx, principal, [{ action: 'federation.push', subject: name, detail: { objects: batch.length, refused, first_seq: cursor, last_seq: last } }]));
        cursor = last;
        await repo.changeState(ctx.store, name, { pushCursor: cursor, pushed: accepted, refused, pushRefused: refused, lastPushAt: ctx.clock.now().toISOString() });
      }
      // Past the echoes and unreadable rows at the page's end too.
      if (page.lastSeq !== undefined && page.lastSeq > cursor) cursor = page.lastSeq;
      await repo.changeState(ctx.store, name, { pushCursor: cursor, lastPushAt: ctx.clock.now().toISOString() });
      if (!page.next) break;
    }
    await repo.changeState(ctx.store, name, { pushOkAt: ctx.clock.now().toISOString(), error: null });
    return result;
  });
}

export async function recordFailure(ctx: AppContext, name: string, error: unknown): Promise<void> {
  await repo.changeState(ctx.store, name, { error: { message: describe(error), at: ctx.clock.now().toISOString() } });
}

/** A failure as the operator should read it (no credentials: URLs carry none). */
export function describe(error: unknown): string {
  const e = error as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.code;
  return `${e.message ?? String(error)}${cause && !(e.message ?? '').includes(cause) ? ` (${cause})` : ''}`.slice(0, 500);
}

export interface SyncResult {
  peer: string;
  pull?: PullResult;
  push?: PushResult;
  error?: string;
}

/** One sync of a peer now, in the directions it is set up for (or those asked for). */
export async function syncPeer(ctx: AppContext, actor: Principal, name: string, only?: 'pull' | 'push'): Promise<SyncResult> {
  if (!canAdminister(actor, null)) throw shieldwallError('FORBIDDEN', 'only a node administrator starts a sync');
  const { link } = await linkAndPrincipal(ctx, name);
  const pulls = link.direction === 'pull' || link.direction === 'both';
  const pushes = link.direction === 'push' || link.direction === 'both';
  if (only === 'pull' ? !pulls : only === 'push' ? !pushes : !pulls && !pushes) {
    throw shieldwallError('BAD_REQUEST', `peer ${name} is set up for direction '${link.direction}'${only ? `, not ${only}` : ''}`);
  }
  const result: SyncResult = { peer: name };
  try {
    if (pulls && only !== 'push') result.pull = await pull(ctx, name);
    if (pushes && only !== 'pull') result.push = await push(ctx, name);
  } catch (error) {
    await recordFailure(ctx, name, error);
    result.error = describe(error);
  }
  return result;
}

export interface PeerStatus extends directory.Peer {
  pullCursor: string | null;
  pushCursor: number;
  pulled: number;
  pushed: number;
  /** Objects refused in both directions: by this node when pulled or pushed to it, and by the peer when pushed to it. */
  refused: number;
  /** Of refused, those the peer refused when this node pushed to it. */
  pushRefused: number;
  lastPullAt: string | null;
  lastPushAt: string | null;
  /** When the last pull and push ended in success. */
  pullOkAt: string | null;
  pushOkAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Failed attempts in a row (0 after a success), and ever. */
  failures: number;
  errors: number;
}

/** Peers with their sync state (node readers). */
export async function peerStatus(ctx: AppContext, actor: Principal, name?: string): Promise<PeerStatus[]> {
  if (!ctx.permissions.has(actor, 'node:read')) throw shieldwallError('FORBIDDEN', 'reading the peers needs the node:read permission');
  const states = new Map((await repo.listStates(ctx.store)).map((s) => [s.peer, s]));
  const peers = (await directory.listPeers(ctx)).filter((p) => name === undefined || p.name === name);
  if (name !== undefined && peers.length === 0) throw shieldwallError('NOT_FOUND', `no peer named '${name}'`);
  return peers.map((p) => {
    const s = states.get(p.name);
    return {
      ...p,
      pullCursor: s?.pull_cursor ?? null,
      pushCursor: Number(s?.push_cursor ?? 0),
      pulled: Number(s?.pulled ?? 0),
      pushed: Number(s?.pushed ?? 0),
      refused: Number(s?.refused ?? 0),
      pushRefused: Number(s?.push_refused ?? 0),
      lastPullAt: s?.last_pull_at ?? null,
      lastPushAt: s?.last_push_at ?? null,
      pullOkAt: s?.pull_ok_at ?? null,
      pushOkAt: s?.push_ok_at ?? null,
      lastError: s?.last_error ?? null,
      lastErrorAt: s?.last_error_at ?? null,
      failures: s?.failures ?? 0,
      errors: Number(s?.errors ?? 0),
    };
  });
}

/** The peers the scheduler syncs: those with a TAXII URL, a direction, and not disabled. */
export async function scheduledPeers(ctx: AppContext): Promise<directory.Peer[]> {
  return (await directory.listPeers(ctx)).filter((p) => p.url !== null && p.direction !== 'none' && !p.disabled);
}

/** Changes a peer's settings (node administrators, audited); its cursors and counts stay. */
export async function updatePeer(ctx: AppContext, actor: Principal, name: string, changes: directory.PeerChanges): Promise<directory.Peer> {
  const peer = await directory.updatePeer(ctx, actor, name, changes);
  // The connection is made again with the new settings when next used.
  dropClient(ctx, name);
  return peer;
}

/** Disables or enables a peer (node administrators, audited). */
export async function setPeerDisabled(ctx: AppContext, actor: Principal, name: string, disabled: boolean): Promise<directory.Peer> {
  return directory.setPeerDisabled(ctx, actor, name, disabled);
}

/**
 * Removes a peer (node administrators, audited) with its cursors and counts; the objects it
 * delivered and their provenance records stay.
 */
export async function removePeer(ctx: AppContext, actor: Principal, name: string): Promise<void> {
  await directory.removePeer(ctx, actor, name);
  await repo.deleteState(ctx.store, name);
  dropClient(ctx, name);
}

/**
 * Per-peer figures for /metrics, read from the store when scraped (the state is shared by
 * every process of a node and outlives restarts): objects in and out, refusals, failed
 * attempts, when each direction last ended in success, and how long ago that was (the lag).
 */
export function registerMetrics(ctx: AppContext): void {
  const registry = ctx.metrics.registry;
  if (registry.getSingleMetric('shieldwall_federation_objects_total')) return;
  let snapshot: { at: number; rows: Promise<PeerStatus[]> } | undefined;
  const statuses = () => {
    if (!snapshot || Date.now() - snapshot.at > 1000) snapshot = { at: Date.now(), rows: peerStatus(ctx, SYSTEM_PRINCIPAL) };
    return snapshot.rows;
  };
  const directions = (p: PeerStatus) => [...(p.direction === 'pull' || p.direction === 'both' ? (['pull'] as const) : []), ...(p.direction === 'push' || p.direction === 'both' ? (['push'] as const) : [])];
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  new Counter({
    name: 'shieldwall_federation_objects_total',
    help: 'STIX object versions a peer delivered to this node (in) and accepted from it (out).',
    labelNames: ['peer', 'direction'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await statuses()) {
        this.inc({ peer: p.name, direction: 'in' }, p.pulled);
        this.inc({ peer: p.name, direction: 'out' }, p.pushed);
      }
    },
  });
  new Counter({
    name: 'shieldwall_federation_refused_total',
    help: 'Objects refused: by this node when a peer delivered them (in), by the peer when pushed to it (out).',
    labelNames: ['peer', 'direction'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await statuses()) {
        this.inc({ peer: p.name, direction: 'in' }, Math.max(0, p.refused - p.pushRefused));
        this.inc({ peer: p.name, direction: 'out' }, p.pushRefused);
      }
    },
  });
  new Counter({
    name: 'shieldwall_federation_errors_total',
    help: 'Pulls and pushes with a peer that failed (connection, timeout, answer).',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await statuses()) this.inc({ peer: p.name }, p.errors);
    },
  });
  new Gauge({
    name: 'shieldwall_federation_failures_in_a_row',
    help: 'Failed attempts with a peer since its last success.',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await statuses()) this.set({ peer: p.name }, p.failures);
    },
  });
  new Gauge({
    name: 'shieldwall_federation_last_success_timestamp_seconds',
    help: 'When the last pull from or push to a peer ended in success (Unix time).',
    labelNames: ['peer', 'direction'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await statuses()) {
        if (p.pullOkAt) this.set({ peer: p.name, direction: 'pull' }, seconds(p.pullOkAt));
        if (p.pushOkAt) this.set({ peer: p.name, direction: 'push' }, seconds(p.pushOkAt));
      }
    },
  });
  new Gauge({
    name: 'shieldwall_federation_lag_seconds',
    help: 'Seconds since this node was last in step with an enabled peer in a direction (the end of its last successful pull or push; since the peer was added when none has succeeded).',
    labelNames: ['peer', 'direction'],
    registers: [registry],
    async collect() {
      this.reset();
      const now = ctx.clock.now().getTime() / 1000;
      for (const p of await statuses()) {
        if (p.disabled || p.url === null) continue;
        for (const direction of directions(p)) {
          const ok = direction === 'pull' ? p.pullOkAt : p.pushOkAt;
          this.set({ peer: p.name, direction }, Math.max(0, now - seconds(ok ?? p.createdAt)));
        }
      }
    },
  });
}

/** Receipts of a provenance page when the caller names no limit, and the most it may name. */
export const PROVENANCE_PAGE_DEFAULT = 500;
export const PROVENANCE_PAGE_MAX = 1000;
/** Receipts read by one statement at most, while a page is filled past those of unreadable versions. */
const PROVENANCE_RUN_MAX = 4000;

function encodeReceiptCursor(key: repo.ReceiptKey): string {
  return Buffer.from(JSON.stringify([key.version, key.peer])).toString('base64url');
}

function decodeReceiptCursor(cursor: string): repo.ReceiptKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return { version: parsed[0], peer: parsed[1] };
  } catch {
    // falls through to the error below
  }
  throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 80)}' was not issued by this node for provenance; list again without a cursor`);
}

/**
 * Which peers delivered the versions of an object, for those who may read it: a page of
 * receipts, oldest version first (one per version and peer: an object may have many thousands);
 * next_cursor names the next page, null on the last. Only receipts of versions the reader may
 * read are given (intel.readableVersionsOf, as the object's versions are listed): a version
 * marked beyond the reader is not told of, not even by its timestamp in a cursor, which always
 * names a receipt given. Receipts are read in runs until the page is full, each run one bounded
 * statement.
 */
export async function provenance(
  ctx: AppContext,
  actor: Principal,
  id: string,
  query: { limit?: number; cursor?: string } = {},
): Promise<{ receipts: Array<{ version: string; peer: string; receivedAt: string }>; next_cursor: string | null }> {
  await intel.getObject(ctx, actor, id);
  const limit = Math.max(1, Math.min(query.limit ?? PROVENANCE_PAGE_DEFAULT, PROVENANCE_PAGE_MAX));
  const given: repo.Receipt[] = [];
  let after = query.cursor !== undefined ? decodeReceiptCursor(query.cursor) : undefined;
  for (let run = limit + 1; given.length <= limit; run = Math.min(run * 2, PROVENANCE_RUN_MAX)) {
    const rows = await repo.receiptsOf(ctx.store, id, { ...(after !== undefined ? { after } : {}), limit: run });
    const readable = await intel.readableVersionsOf(ctx, actor, id, [...new Set(rows.map((r) => r.version))]);
    for (const row of rows) if (readable.has(row.version) && given.push(row) > limit) break;
    if (rows.length < run) break;
    const last = rows.at(-1)!;
    after = { version: last.version, peer: last.peer };
  }
  const page = given.slice(0, limit);
  const last = page.at(-1);
  return {
    receipts: page.map((r) => ({ version: r.version, peer: r.peer, receivedAt: r.received_at })),
    next_cursor: given.length > limit && last ? encodeReceiptCursor(last) : null,
  };
}
