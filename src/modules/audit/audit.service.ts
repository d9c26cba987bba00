/**
 * The audit log: every write, permission denial and read of highly classified objects, as an
 * append-only chain. Each entry carries the hash of the one before, and its own hash covers
 * that and its content, so an altered, removed or inserted entry breaks the chain at that point
 * (verify). Entries are written inside the write transaction of the change they record, under
 * the store's single writer lock, so the chain has one order and never records what did not
 * commit.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import * as repo from './audit.repo.js';

export interface AuditEvent {
  /** What happened: intel.ingest, intel.read, auth.denied, directory.user.create, ... */
  action: string;
  /** What it happened to: an object id, a route, a user name. */
  subject: string;
  /** Facts of the event; never a secret. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditEvent {
  seq: number;
  at: string;
  actor: string;
  prevHash: string;
  hash: string;
}

/** The hash before the first entry. */
export const GENESIS = '0'.repeat(64);

function actorName(actor: Principal | undefined): string {
  if (!actor) return 'anonymous';
  return actor.userName !== null ? `user:${actor.userName}` : `${actor.kind}:${actor.name}`;
}

/** JSON with keys in sorted order at every level: the same content always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const content = canonical({ seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail ?? {} });
  return createHash('sha256').update(entry.prevHash).update('\n').update(content).digest('hex');
}

/** Appends events inside the caller's write transaction (the change and its record commit together). */
export async function recordInTransaction(ctx: AppContext, tx: WriteTx, actor: Principal | undefined, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const last = await repo.head(tx);
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS;
  const at = ctx.clock.now().toISOString();
  const rows: repo.AuditRow[] = [];
  for (const event of events) {
    seq++;
    const entry = { seq, at, actor: actorName(actor), action: event.action, subject: event.subject, ...(event.detail ? { detail: event.detail } : {}), prevHash };
    const hash = entryHash(entry);
    rows.push({ seq, at, actor: entry.actor, action: entry.action, subject: entry.subject, detail: canonical(event.detail ?? {}), prev_hash: prevHash, hash });
    prevHash = hash;
  }
  await repo.append(tx, rows);
}

/** Appends events in a write transaction of their own (denials, reads). */
export async function record(ctx: AppContext, actor: Principal | undefined, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await writeTransaction(ctx.store, (tx) => recordInTransaction(ctx, tx, actor, events));
}

function present(row: repo.AuditRow): AuditEntry {
  return { seq: row.seq, at: row.at, actor: row.actor, action: row.action, subject: row.subject, detail: JSON.parse(row.detail) as Record<string, unknown>, prevHash: row.prev_hash, hash: row.hash };
}

/** Every entry in chain order, a page at a time (for export). */
export async function* entries(ctx: AppContext): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = await repo.page(ctx.store, after, 1000);
    for (const row of rows) yield present(row);
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!.seq;
  }
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** The first break found: the entry's seq and what is wrong with it. */
  problem?: { seq: number; message: string };
}

/**
 * Walks the chain: each entry must follow the one before (seq + 1), carry its hash, and hash
 * to its own. An altered entry fails its own hash; a removed one leaves a gap and a wrong
 * previous hash; an inserted one cannot carry both the right previous hash and the right seq.
 */
export async function verify(ctx: AppContext): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS;
  let count = 0;
  for await (const entry of entries(ctx)) {
    count++;
    if (entry.seq !== expectedSeq) return { ok: false, entries: count, problem: { seq: entry.seq, message: `expected entry ${expectedSeq} next, found ${entry.seq}: entries were removed or inserted` } };
    if (entry.prevHash !== prevHash) return { ok: false, entries: count, problem: { seq: entry.seq, message: 'its previous-hash does not match the entry before it: an entry before it was altered, removed or inserted' } };
    const { hash, ...rest } = entry;
    if (entryHash(rest) !== hash) return { ok: false, entries: count, problem: { seq: entry.seq, message: 'its content does not match its hash: the entry was altered' } };
    prevHash = hash;
    expectedSeq++;
  }
  return { ok: true, entries: count };
}
