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
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import * as repo from './federation.repo.js';
import { justBefore, TaxiiClient } from './taxii.client.js';

/** Objects asked for per page when pulling, and sent per Add Objects request when pushing. */
export const PULL_PAGE = 2000;
export const PUSH_BATCH = 1000;

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
    const result: PullResult = { pages: 0, objects: 0, accepted: 0, duplicate: 0, rejected: 0, rejections: [] };
    // From just before the cursor: the objects added at the cursor's very instant come again (a
    // group sharing one date_added may go on past the page that ended there); they are
    // duplicates, counted and not stored twice. Every version, so that older ones arrive too.
    const pages = client.rawPages(link.pullCollection ?? 'intel', { ...(state?.pull_cursor ? { addedAfter: justBefore(state.pull_cursor) } : {}), limit: PULL_PAGE, versions: 'all' });
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
        if (page.dateAddedLast) lastCursor = page.dateAddedLast;
        if (!page.empty) {
          streamed += page.body.length;
          ends.push({ end: streamed, cursor: page.dateAddedLast });
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
    // Everything streamed is stored: the cursor goes past the last page, even an empty one.
    cursor = lastCursor ?? cursor;
    save();
    await saved;
    if (broken !== undefined) throw broken;
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
  /** Objects the peer refused (e.g. marked above what it accepts from this node). */
  refused: number;
  /** Objects not sent because they came from this peer. */
  echoes: number;
  requests: number;
}

/**
 * Pushes the newest versions added since the push cursor that the peer may receive: the
 * intel service lists them with the peer as principal (need-to-know and redaction, as for any
 * reader), versions the peer itself delivered are left out, and the rest go in Add Objects
 * requests. The cursor moves after each accepted request.
 */
export async function push(ctx: AppContext, name: string): Promise<PushResult> {
  return exclusive(`${name}:push`, async () => {
    const { link, principal } = await linkAndPrincipal(ctx, name);
    const client = clientFor(ctx, link);
    const state = await repo.getState(ctx.store, name);
    let cursor = Number(state?.push_cursor ?? 0);
    const result: PushResult = { objects: 0, accepted: 0, refused: 0, echoes: 0, requests: 0 };
    for (;;) {
      const page = await intel.listObjects(ctx, principal, { addedAfterMicros: cursor, limit: PUSH_BATCH });
      const delivered = await repo.deliveredBy(ctx.store, name, page.objects.map((o) => o.id));
      const outgoing: StixObject[] = [];
      let accepted = 0;
      let refused = 0;
      for (const object of page.objects) {
        if (delivered.has(`${object.id}|${intel.versionKey(versionOf(object) || undefined)}`)) result.echoes++;
        else outgoing.push(object);
      }
      if (outgoing.length > 0) {
        const status = await client.addObjects(link.pushCollection ?? 'intel', outgoing);
        result.requests++;
        result.objects += outgoing.length;
        accepted = status.success_count;
        refused = status.failure_count;
        result.accepted += status.success_count;
        result.refused += status.failure_count;
        if (status.failure_count > 0) ctx.logger.warn({ peer: name, refused: status.failure_count, first: (status.failures ?? []).slice(0, 3) }, 'a peer refused objects pushed to it');
        // A sync job's record: it waits for a bulk ingest's transaction to commit.
        await ctx.store.adapter.background(() => audit.record(ctx, principal, [{ action: 'federation.push', subject: name, detail: { objects: outgoing.length, refused: status.failure_count, first_seq: cursor, last_seq: page.lastSeq ?? cursor } }]));
      }
      if (page.lastSeq !== undefined) cursor = page.lastSeq;
      await repo.changeState(ctx.store, name, { pushCursor: cursor, pushed: accepted, refused: refused, pushRefused: refused, lastPushAt: ctx.clock.now().toISOString() });
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
 * next_cursor names the next page, null on the last.
 */
export async function provenance(
  ctx: AppContext,
  actor: Principal,
  id: string,
  query: { limit?: number; cursor?: string } = {},
): Promise<{ receipts: Array<{ version: string; peer: string; receivedAt: string }>; next_cursor: string | null }> {
  await intel.getObject(ctx, actor, id);
  const limit = Math.max(1, Math.min(query.limit ?? PROVENANCE_PAGE_DEFAULT, PROVENANCE_PAGE_MAX));
  const rows = await repo.receiptsOf(ctx.store, id, { ...(query.cursor !== undefined ? { after: decodeReceiptCursor(query.cursor) } : {}), limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    receipts: page.map((r) => ({ version: r.version, peer: r.peer, receivedAt: r.received_at })),
    next_cursor: rows.length > limit && last ? encodeReceiptCursor(last) : null,
  };
}
