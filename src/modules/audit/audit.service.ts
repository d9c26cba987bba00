/**
 * The audit log: every write, permission denial and read of highly classified objects, as an
 * append-only chain. Each entry carries the hash of the one before, and its own hash covers
 * that and its content, so an altered, removed or inserted entry breaks the chain at that point.
 * Each entry also carries a MAC under the node's audit key over the MAC before it and its hash,
 * so that a chain made again without the key (a rewrite, a reorder) does not verify; and signed
 * checkpoints of the head, kept outside the store, show when the newest entries were removed.
 * Entries are written inside the write transaction of the change they record, under the store's
 * single writer lock, so the chain has one order and never records what did not commit.
 */
import { Counter } from 'prom-client';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
import { writeTransaction, type WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import { canonical, entryHash, entryMac, GENESIS } from './audit.chain.js';
import { Checkpointer, readCheckpoints, type Checkpoint } from './audit.checkpoint.js';
import { auditKeys, existingAuditKeys, publicKeyPem } from './audit.keys.js';
import { RefusalTally } from './audit.refusals.js';
import * as repo from './audit.repo.js';

export { entryHash, GENESIS } from './audit.chain.js';
export type { Checkpoint } from './audit.checkpoint.js';

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
  /** Null on entries written before the node had an audit key. */
  mac: string | null;
}

/** Who runs a CLI command on the store directly: the OS user, and the user named with --as. */
export interface LocalOperator {
  osUser: string;
  as?: string;
}

/** What the audit log keeps per node context: the checkpoint writer, refusal counts, the CLI operator. */
interface AuditState {
  checkpointer: Checkpointer;
  refusals: RefusalTally;
  refused: Counter<'action'>;
  operator?: LocalOperator;
}

/** The audit log's state in one node. */
const AUDIT_STATE = nodeState('audit.state', createState);

function stateOf(ctx: AppContext): AuditState {
  return ctx.state.get(AUDIT_STATE);
}

function createState(ctx: AppContext): AuditState {
  const checkpoints = new Counter({
    name: 'shieldwall_audit_checkpoints_total',
    help: 'Audit checkpoints by outcome: written, behind (the log no longer holds the last one), export_failed.',
    labelNames: ['outcome'],
    registers: [ctx.metrics.registry],
  });
  const refused = new Counter({
    name: 'shieldwall_audit_refusals_total',
    help: 'Refusals counted for the audit log (written once per source and interval), by action.',
    labelNames: ['action'],
    registers: [ctx.metrics.registry],
  });
  const refusals = new RefusalTally({
    intervalMs: ctx.config.auditRefusalIntervalMs,
    maxSources: ctx.config.auditRefusalSources,
    now: () => ctx.clock.now(),
    actorName: (actor) => actorName(ctx, actor),
    write: (records) =>
      writeTransaction(ctx.store, async (tx) => {
        for (const r of records) await recordInTransaction(ctx, tx, r.actor, [r.event]);
      }),
    onError: (error) => ctx.logger.error({ err: error }, 'writing refusals to the audit log failed; their counts are lost'),
  });
  return { checkpointer: new Checkpointer(ctx, () => auditKeys(ctx.config.auditKeyFile), (outcome) => checkpoints.inc({ outcome })), refusals, refused };
}

function actorName(ctx: AppContext, actor: Principal | undefined): string {
  const operator = ctx.state.peek(AUDIT_STATE)?.operator;
  if (operator) return `cli:${operator.osUser}${operator.as !== undefined ? ` as ${operator.as}` : ''}`;
  if (!actor) return 'anonymous';
  return actor.userName !== null ? `user:${actor.userName}` : `${actor.kind}:${actor.name}`;
}

/** Records of this context are made by a CLI command on the store directly: name its operator. */
export function setLocalOperator(ctx: AppContext, operator: LocalOperator): void {
  stateOf(ctx).operator = operator;
}

/** Appends events inside the caller's write transaction (the change and its record commit together). */
export async function recordInTransaction(ctx: AppContext, tx: WriteTx, actor: Principal | undefined, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const state = stateOf(ctx);
  const { macKey } = auditKeys(ctx.config.auditKeyFile);
  const last = await repo.head(tx);
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS;
  let prevMac = last?.mac ?? null;
  const at = ctx.clock.now().toISOString();
  const name = actorName(ctx, actor);
  const rows: repo.AuditRow[] = [];
  for (const event of events) {
    seq++;
    const entry = { seq, at, actor: name, action: event.action, subject: event.subject, ...(event.detail ? { detail: event.detail } : {}), prevHash };
    const hash = entryHash(entry);
    const mac = entryMac(macKey, prevMac, hash);
    rows.push({ seq, at, actor: name, action: entry.action, subject: entry.subject, detail: canonical(event.detail ?? {}), prev_hash: prevHash, hash, mac });
    prevHash = hash;
    prevMac = mac;
  }
  await repo.append(tx, rows);
  // Counted, and offered to the checkpointer, once stored: a transaction may still roll back.
  tx.onCommit(() => {
    state.checkpointer.noteAppended(seq);
    for (const row of rows) ctx.metrics.auditWrites.inc({ area: row.action.split('.', 1)[0]! });
  });
}

/** Appends events in a write transaction of their own (reads of classified objects, sign-ins). */
export async function record(ctx: AppContext, actor: Principal | undefined, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await writeTransaction(ctx.store, (tx) => recordInTransaction(ctx, tx, actor, events));
}

/**
 * A refusal (401, 403, a read denied, a request rate-limited): counted now, written with the
 * others from the same source (client address, peer name), actor and action as one entry per
 * SHIELDWALL_AUDIT_REFUSAL_INTERVAL_MS, with the count, first and last time and a sample of
 * subjects. Never awaits and never throws: a flood of refusals costs no write per request.
 */
export function recordRefusal(ctx: AppContext, actor: Principal | undefined, source: string, event: AuditEvent): void {
  const state = stateOf(ctx);
  state.refused.inc({ action: event.action });
  state.refusals.add(actor, source, event);
}

/** Writes a checkpoint of the head now (unless it has not moved since the last); the checkpoint or undefined. */
export async function checkpoint(ctx: AppContext): Promise<Checkpoint | undefined> {
  return stateOf(ctx).checkpointer.write();
}

/** At shutdown: writes the counted refusals, then a checkpoint of the head. */
export async function closeAudit(ctx: AppContext): Promise<void> {
  const state = ctx.state.peek(AUDIT_STATE);
  if (!state) return;
  await state.refusals.flush();
  await state.checkpointer.close();
}

/** The public key (PEM) that checks this node's checkpoints; undefined before the audit key exists. */
export function auditPublicKey(ctx: AppContext): string | undefined {
  const keys = existingAuditKeys(ctx.config.auditKeyFile);
  return keys && publicKeyPem(keys);
}

function present(row: repo.AuditRow): AuditEntry {
  return { seq: row.seq, at: row.at, actor: row.actor, action: row.action, subject: row.subject, detail: JSON.parse(row.detail) as Record<string, unknown>, prevHash: row.prev_hash, hash: row.hash, mac: row.mac ?? null };
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
  /** Entries 1..hashOnly were written before the audit key existed: checked by their hash chain only. */
  hashOnly: number;
  /** The newest checkpoint of this store that the log was held against. */
  checkpoint?: { seq: number; at: string; hashOnly: number; file: string };
  /** What was checked, and what was not. */
  notes: string[];
  /** The first break found: the entry's seq and what is wrong with it. */
  problem?: { seq: number; message: string };
  /** The log could not be verified (a missing key): not a finding about the log. */
  error?: string;
}

/**
 * Walks the chain: each entry must follow the one before (seq + 1), carry its hash, hash to its
 * own, and carry the MAC that the key gives over the MAC before it and its hash. Then the log is
 * held against the newest checkpoint of this store: it must reach it and hold the checkpointed
 * entry with the same hash and MAC, and MACs must begin where the checkpoint says. An altered
 * entry fails its hash; a removed one leaves a gap; a chain made again without the key (entries
 * rewritten or reordered) fails a MAC; removing the newest entries leaves the log short of its
 * checkpoint; stripping MACs to pass entries off as older than the key contradicts it.
 * In a process that writes the log, what it has committed is checkpointed first.
 */
export async function verify(ctx: AppContext, options: { checkpointFile?: string } = {}): Promise<VerifyResult> {
  const state = ctx.state.peek(AUDIT_STATE);
  if (state) await state.checkpointer.write();
  const keyFile = ctx.config.auditKeyFile;
  const file = options.checkpointFile ?? ctx.config.auditCheckpointFile;
  const keys = existingAuditKeys(keyFile);
  const notes: string[] = [];
  let count = 0;
  let hashOnly = 0;
  const result = (fields: Partial<VerifyResult>): VerifyResult => ({ ok: false, entries: count, hashOnly, notes, ...fields });
  const broken = (seq: number, message: string) => result({ problem: { seq, message } });

  const reading = await readCheckpoints(file, await repo.storeIdentity(ctx.store), keys);
  if (reading.problem) {
    if (!keys) return result({ error: `the checkpoints in ${file} cannot be checked without the audit key: ${keyFile} does not exist (SHIELDWALL_AUDIT_KEY_FILE)` });
    return broken(reading.problem.seq, `checkpoint file ${file}, line ${reading.problem.line}: ${reading.problem.message}`);
  }
  const newest = reading.newest;
  if (reading.torn) notes.push(`the last line of ${file} is incomplete (a write cut short) and was left out`);
  if (reading.otherStores > 0) notes.push(`${reading.otherStores} checkpoint(s) in ${file} are of other stores and were not looked at`);

  let expectedSeq = 1;
  let prevHash = GENESIS;
  let prevMac: string | null = null;
  let macSeen = false;
  for await (const entry of entries(ctx)) {
    count++;
    if (entry.seq !== expectedSeq) return broken(entry.seq, `expected entry ${expectedSeq} next, found ${entry.seq}: entries were removed or inserted`);
    if (entry.prevHash !== prevHash) return broken(entry.seq, 'its previous-hash does not match the entry before it: an entry before it was altered, removed or inserted');
    const { hash, mac, ...rest } = entry;
    if (entryHash(rest) !== hash) return broken(entry.seq, 'its content does not match its hash: the entry was altered');
    if (mac === null) {
      if (macSeen) return broken(entry.seq, 'it has no MAC, though entries before it have one: its MAC was removed');
      if (newest && entry.seq > newest.hash_only) {
        return broken(entry.seq, `it has no MAC, but the checkpoint of ${newest.at} says that every entry after ${newest.hash_only} carries one: MACs were removed to pass entries off as written before the audit key`);
      }
      hashOnly++;
    } else {
      if (!keys) return result({ error: `entry ${entry.seq} carries a MAC, but there is no audit key at ${keyFile} to check it with: set SHIELDWALL_AUDIT_KEY_FILE to the node's audit key` });
      macSeen = true;
      if (entryMac(keys.macKey, prevMac, hash) !== mac) {
        return broken(entry.seq, "its MAC does not match: the entry was written, rewritten or moved without this node's audit key (a chain made again from here, or entries put in another order)");
      }
    }
    if (newest && entry.seq === newest.seq && (hash !== newest.hash || mac !== newest.mac)) {
      return broken(entry.seq, `it is not the entry that the checkpoint of ${newest.at} holds at this place: entries up to here were removed and others written in their place, or the log was rewritten`);
    }
    prevHash = hash;
    prevMac = mac;
    expectedSeq++;
  }
  if (newest && count < newest.seq) {
    return broken(count + 1, `the log ends at entry ${count}, but the checkpoint of ${newest.at} holds entry ${newest.seq}: entries ${count + 1} to ${newest.seq} were removed`);
  }
  if (!newest && macSeen) {
    return broken(count, `there is no checkpoint of this store in ${file}, though its entries carry MACs: the checkpoint file was removed or replaced, or SHIELDWALL_AUDIT_CHECKPOINT_FILE names another file, and the removal of the newest entries cannot be ruled out. If the file is known to be lost, 'shieldwall audit checkpoint' anchors the log as it is now`);
  }
  if (hashOnly > 0) {
    notes.push(`entries 1 to ${hashOnly} were written before the node had an audit key: they are checked by their hash chain only, ${hashOnly < count ? `which the MAC of entry ${hashOnly + 1} covers` : 'which no MAC covers yet'}`);
  }
  if (newest) notes.push(`held against the checkpoint of ${newest.at} (entry ${newest.seq}); entries after it are anchored by the next checkpoint only`);
  else if (count > 0) notes.push(`no checkpoint of this store in ${file} yet: the removal of the newest entries cannot be detected`);
  return {
    ok: true,
    entries: count,
    hashOnly,
    ...(newest ? { checkpoint: { seq: newest.seq, at: newest.at, hashOnly: newest.hash_only, file } } : {}),
    notes,
  };
}
