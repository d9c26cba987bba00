/** The ingest pipeline: stream -> parse -> validate -> markings -> batched transactional writes -> outcomes. */
import { createHash } from 'node:crypto';
import { shareKey } from '../../core/inflight.js';
import type { AppContext } from '../../core/context.js';
import type { WriteTx } from '../../db/database.js';
import {
  handlingOfMarkingDefinition, layeredMarkings, markingColumns, unknownGranularRefs, type HandlingMarking, type MarkingDefaults, type MarkingTable,
} from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { submitterOf } from '../../policy/rule.js';
import { StixStreamReader, type StreamHeader } from '../../stix/stream-reader.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import { DENIAL_PATHS, decideRows } from './intel.decide.js';
import { prepareInWorker, takeWorkerStream, warmWorker, type ParallelState } from './intel.parallel.js';
import {
  StreamPreparer, type ObjectOutcome, type PipelineEntry, type Prepared, type PreparedObject,
} from './intel.prepare.js';
import * as repo from './intel.repo.js';
import {
  ROW_ABOUT_REF, ROW_ACCESS_KEY, ROW_CONFIDENCE, ROW_CREATED_BY_REF, ROW_GRANULAR, ROW_ID, ROW_IS_CURRENT, ROW_ORIGIN_MEMBER, ROW_PATTERN,
  ROW_PATTERN_TYPE, ROW_PATTERN_VERSION, ROW_REVOKED, ROW_SEQ, ROW_SPEC_VERSION, ROW_SUBMITTER, ROW_TYPE, ROW_VALID_FROM, ROW_VALID_UNTIL,
  ROW_VERSION, type NewVersion,
} from './intel.rows.js';
import type { StoredIndicator } from '../../core/events.js';
import { nodeState, storeState } from '../../core/state.js';
import { GroupedWriter } from '../../db/grouped-writes.js';
import { nextTurn } from '../../core/turn.js';

export interface IngestProgress {
  objects: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  bytes: number;
}

export interface IngestSummary extends IngestProgress {
  format: StreamHeader['format'] | 'objects';
  specVersion: string | undefined;
  upgraded: number;
  seconds: number;
  objectsPerSecond: number;
  /** Problems with the stream itself (truncation, not STIX at all), as opposed to one object. */
  streamErrors: string[];
}

/** An object version stored, as 'intel.added' tells the followers of it. */
interface AddedObject {
  id: string;
  type: string;
  seq: number;
  about: string | null;
  indicator?: StoredIndicator;
}

/** A stored version moved to a new sequence, as 'intel.added' tells the followers of it. */
export function addedOf(version: repo.MovedVersion): AddedObject {
  const object: AddedObject = { id: version.id, type: version.type, seq: version.seq, about: version.about_ref };
  if (version.type === 'indicator' && version.is_current === 1) object.indicator = version;
  return object;
}

/** What the detection index reads of a current indicator row, from the row as written. */
function storedIndicator(row: NewVersion): StoredIndicator {
  return {
    id: row[ROW_ID],
    revoked: row[ROW_REVOKED],
    spec_version: row[ROW_SPEC_VERSION],
    access_key: row[ROW_ACCESS_KEY],
    created_by_ref: row[ROW_CREATED_BY_REF],
    pattern: row[ROW_PATTERN],
    pattern_type: row[ROW_PATTERN_TYPE],
    pattern_version: row[ROW_PATTERN_VERSION],
    valid_from: row[ROW_VALID_FROM],
    valid_until: row[ROW_VALID_UNTIL],
    confidence: row[ROW_CONFIDENCE],
    granular: row[ROW_GRANULAR],
  };
}

/** An object version a batch stored, or found stored already. */
export interface StoredVersionRef {
  id: string;
  /** Its version key (see versionKey). */
  version: string;
}

export interface IngestOptions {
  onOutcome?: (outcome: ObjectOutcome) => void;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Runs inside each batch's write transaction with the versions it stored or found stored
   * already (not those refused), so that what the caller records of their arrival commits with
   * them, or not at all.
   */
  inTransaction?: (tx: WriteTx, versions: readonly StoredVersionRef[]) => Promise<void>;
  batchSize?: number;
  /**
   * Most objects (valid or not) the input may hold: past it, the first `maxObjects` are written
   * and reported as ever, and the ingest fails with TooManyObjects. Bounds the work of one
   * request, which its bytes alone do not: `{}` is an object of three bytes.
   */
  maxObjects?: number;
}

/** An input that held more than IngestOptions.maxObjects objects; those before were processed. */
export class TooManyObjects extends Error {
  constructor(readonly limit: number) {
    super(`the input holds more than ${limit} objects`);
  }
}

/**
 * Prepared objects as they come, in arrays, and a way to take those prepared but held back for a
 * fuller array (an idle input's last ones): they are answered, or (from a worker thread) sent as
 * its next array.
 */
interface PreparedSource {
  items: AsyncIterable<Prepared[]>;
  flush: () => Prepared[];
}

/**
 * How long the input may be idle before the objects held for a fuller batch are written anyway:
 * a peer's page, an upload's part, are then stored while the next is on its way, not held until it
 * comes (up to a peer's page timeout). Shorter would cut a bulk stream into smaller transactions.
 */
const IDLE_FLUSH_MS = 200;
const IDLE = Symbol('idle');

/** The next step of a source, or IDLE once it has kept the caller waiting IDLE_FLUSH_MS. */
function idleOr<T>(next: Promise<T>): Promise<T | typeof IDLE> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => {
    timer = setTimeout(resolve, IDLE_FLUSH_MS, IDLE);
  });
  return Promise.race([next, idle]).finally(() => clearTimeout(timer));
}

/** Objects prepared on this thread between two turns of the event loop (see prepareHere). */
const PREPARED_PER_TURN = 256;
/**
 * A batch is written once it holds the batch size; a stream's first batch once it holds this
 * many if no batch of another stream is being written to the store: the writer starts as soon
 * as there is work for it rather than after a full batch. Later batches stay full: on SQLite each
 * commit writes out every index page its rows touched (keys of the id index land anywhere), so
 * that small batches cost more bytes per object the larger the store.
 */
const EAGER_BATCH = 2000;
/** Batches being written, by store. */
const WRITES_IN_PROGRESS = storeState('intel.writes-in-progress', () => ({ count: 0 }));

/**
 * Counts a batch as being written from its hand-over to its commit (or failure): a stream's
 * batches in a transaction not yet committed keep another stream's first batch from being eager.
 * Answers the count-down, which counts once however often it is called.
 */
function counting(writes: { count: number }): () => void {
  writes.count++;
  let counted = true;
  return () => {
    if (counted) writes.count--;
    counted = false;
  };
}

/** Handling markings known to the node, by marking-definition id; loaded once per store. */
const HANDLING = storeState('intel.handling-markings', () => ({ table: undefined as Map<string, HandlingMarking> | undefined, checkedAt: 0 }));

/**
 * The last record of a whole deletion (intel_deletions, migration 0018) that each table read
 * reflects. A definition deleted by another process, then perhaps defined again by another
 * member with other handling, would otherwise keep its old handling in this process's table.
 */
const deletionsReflected = new WeakMap<Map<string, HandlingMarking>, number>();

/**
 * The highest sequence of a current definition that each table read reflects: definitions another
 * process stored since are read by the next sync (syncHandling), not only once this process reads
 * the whole table again. Without them an object this process took, marked with such a
 * definition, waited as if it were unknown.
 */
const definitionsReflected = new WeakMap<Map<string, HandlingMarking>, number>();

/** How often a read of the table looks for definitions other processes deleted (a write looks each batch). */
export const HANDLING_CHECK_MS = 1_000;

export async function handlingTable(ctx: AppContext): Promise<Map<string, HandlingMarking>> {
  const cached = ctx.store.state.get(HANDLING);
  let table = cached.table;
  if (!table) {
    table = new Map();
    await readHandling(ctx.store.db, table);
    cached.table = table;
    cached.checkedAt = Date.now();
  } else if (Date.now() - cached.checkedAt >= HANDLING_CHECK_MS) {
    cached.checkedAt = Date.now();
    await syncHandling(ctx.store.db, table);
  }
  return table;
}

/** Fills a table with every current definition; answers the ids whose entry changed. */
async function readHandling(db: WriteTx['db'], table: Map<string, HandlingMarking>): Promise<string[]> {
  // Read before the definitions: a deletion recorded meanwhile is looked at again.
  const reflected = await repo.latestDeletion(db);
  const fresh = new Map<string, HandlingMarking>();
  let highest = 0;
  for (const { seq, body } of await repo.currentMarkingDefinitions(db)) {
    const { id, handling } = handlingEntry(body);
    fresh.set(id, handling);
    highest = Math.max(highest, seq);
  }
  const changed: string[] = [];
  for (const [id, handling] of table) if (JSON.stringify(fresh.get(id)) !== JSON.stringify(handling)) changed.push(id);
  table.clear();
  for (const [id, handling] of fresh) table.set(id, handling);
  deletionsReflected.set(table, reflected);
  definitionsReflected.set(table, highest);
  return changed;
}

/**
 * Brings a marking table up to date with the definitions deleted whole since it was read, by any
 * process: each is read again (gone, or defined anew since). Answers the ids whose entry changed.
 * A write calls it in its transaction, under the writer lock, so that no deletion comes between.
 * Records older than the store keeps (a process idle for a day) are missed: the table is then
 * read whole again.
 */
export async function syncHandling(db: WriteTx['db'], table: Map<string, HandlingMarking>, uncommitted?: ReadonlyMap<string, unknown>): Promise<string[]> {
  const added = await syncAdded(db, table, uncommitted);
  const reflected = deletionsReflected.get(table) ?? 0;
  const latest = await repo.latestDeletion(db);
  if (latest <= reflected) return added;
  // Records are numbered one after another: the first after `reflected` missing is records pruned, unread.
  if ((await repo.deletionsSince(db, reflected, 1))[0]?.seq !== reflected + 1) return [...added, ...(await readHandling(db, table))];
  // The definitions among them only, picked by the store: under the writer lock, a member's many
  // deletions of other objects are not read here one by one.
  const changed = await repo.deletedDefinitions(db, reflected, latest);
  for (const id of changed) await rereadDefinition(db, table, id);
  if ((deletionsReflected.get(table) ?? 0) < latest) deletionsReflected.set(table, latest);
  return [...added, ...changed];
}

/**
 * Brings a table up to date with the definitions stored since it was read (by this process or
 * another): one range of the current (type, seq) index. Answers the ids whose entry it held and
 * changed (a definition new to it changes no object's markings but those still unresolved, which
 * are marked again in any case). In a write transaction, the definitions it wrote itself and has
 * not committed (`uncommitted`, a stream's staged ones) are left to its commit, and the table
 * reflects nothing from them on: the transaction may still roll back.
 */
async function syncAdded(db: WriteTx['db'], table: Map<string, HandlingMarking>, uncommitted?: ReadonlyMap<string, unknown>): Promise<string[]> {
  const reflected = definitionsReflected.get(table);
  // A table not read from the store (a test's own) has nothing to bring up to date.
  if (reflected === undefined) return [];
  const changed: string[] = [];
  let highest = reflected;
  let leftToCommit = false;
  for (const { seq, body } of await repo.currentMarkingDefinitions(db, reflected)) {
    const { id, handling } = handlingEntry(body);
    if (uncommitted?.has(id)) {
      leftToCommit = true;
      continue;
    }
    if (!leftToCommit) highest = Math.max(highest, seq);
    const before = table.get(id);
    if (before !== undefined && JSON.stringify(before) !== JSON.stringify(handling)) changed.push(id);
    table.set(id, handling);
  }
  if (highest > reflected) definitionsReflected.set(table, highest);
  return changed;
}

/** Sets a table's entry for a definition to what the store holds now (none: the entry goes). */
async function rereadDefinition(db: WriteTx['db'], table: Map<string, HandlingMarking>, id: string): Promise<void> {
  const body = await repo.currentBody(db, id);
  if (body === undefined) table.delete(id);
  else table.set(id, handlingEntry(body).handling);
}

/** A stored definition's entry in a marking table: its id and handling (none: an empty one). */
function handlingEntry(body: string): { id: string; handling: HandlingMarking } {
  const definition = JSON.parse(body) as StixObject;
  return { id: definition.id, handling: handlingOfMarkingDefinition(definition) ?? {} };
}

/**
 * The next reader of the marking table reads it from the store: after a transaction that may
 * have stored definitions the table does not hold (see runPipeline), or once a definition is
 * deleted (intel.delete.ts), which another may then take the id of.
 */
export function forgetHandlingTable(ctx: AppContext): void {
  ctx.store.state.get(HANDLING).table = undefined;
}

/**
 * After versions of a definition were deleted: the table, if read, holds what the store now holds
 * for that id (its row read again, not the whole table: a member deleting definitions one by one
 * would otherwise have every next request read them all).
 */
export async function refreshHandling(ctx: AppContext, id: string): Promise<void> {
  const table = ctx.store.state.get(HANDLING).table;
  if (table) await rereadDefinition(ctx.store.db, table, id);
}

/** The audit record of one written batch: how many versions, their seqs, a digest of their ids. */
function ingestEvent(written: readonly NewVersion[]): audit.AuditEvent {
  const ids = new Array<string>(written.length);
  for (let i = 0; i < written.length; i++) ids[i] = written[i]![ROW_ID];
  const digest = createHash('sha256').update(ids.join('\n'));
  return {
    action: 'intel.ingest',
    subject: `${written.length} object versions`,
    detail: { versions: written.length, first_seq: written[0]![ROW_SEQ], last_seq: written[written.length - 1]![ROW_SEQ], ids_sha256: digest.digest('hex') },
  };
}

/**
 * The audit record of the versions a write's marking-definitions resolved: readable now, and
 * moved to new sequences (the ingest record of the write that stored them names their old ones).
 */
function resolvedEvent(moved: readonly repo.MovedVersion[], definitions: readonly string[]): audit.AuditEvent {
  const digest = createHash('sha256').update(moved.map((version) => version.id).join('\n'));
  return {
    action: 'intel.markings-resolved',
    subject: `${moved.length} object versions`,
    detail: { versions: moved.length, definitions: definitions.slice(0, 20) /* the first 20 */, first_seq: moved[0]!.seq, last_seq: moved[moved.length - 1]!.seq, ids_sha256: digest.digest('hex') },
  };
}

export function markingDefaults(ctx: AppContext): MarkingDefaults {
  return { releasability: ctx.config.defaultReleasability };
}

function microsNow(ctx: AppContext): number {
  return ctx.clock.now().getTime() * 1000;
}

/** How often a node looks for versions left waiting for definitions it holds (resolveLeftWaiting). */
export const RESOLVE_LEFT_EVERY_MS = 60_000;

/** The marking columns of a stored body with the markings `known` holds (repo.MarkingHooks). */
function recomputeWith(ctx: AppContext, known: MarkingTable): repo.MarkingHooks['recompute'] {
  return (body) => {
    const object = JSON.parse(body) as StixObject;
    return { ...markingColumns(object, known, markingDefaults(ctx)), granularUnresolved: unknownGranularRefs(object, known) };
  };
}

/**
 * Moves the versions that still wait for marking-definitions the node holds: a writer stopped (a
 * crash, a command killed, a transaction failed) before it had moved all that waited for the
 * definitions it stored. They stay readable by nobody until then. A node runs it as it starts and
 * then every RESOLVE_LEFT_EVERY_MS; `stopping` ends it between two transactions. Answers how many
 * moved.
 *
 * The definitions are read from the store, not the process's table: another process may have
 * stored one this process does not hold, and a version waiting for two, each stored by another
 * process, is moved by neither writer (each lists it as waiting for the one it did not hold).
 */
export async function resolveLeftWaiting(ctx: AppContext, stopping: () => boolean = () => false): Promise<number> {
  const refs = new Set(await repo.refsWaitedFor(ctx.store.db, await repo.currentDefinitionIds(ctx.store.db)));
  let count = 0;
  if (refs.size === 0) return count;
  // Bodies read only when something waits for a definition the store holds.
  const table = new Map<string, HandlingMarking>();
  await readHandling(ctx.store.db, table);
  const writer = new GroupedWriter(ctx.store);
  const sync = async (tx: WriteTx) => {
    await syncHandling(tx.db, table);
  };
  const counted = (moved: number) => (count += moved);
  while (refs.size > 0 && !stopping()) await writer.write((tx) => resolveBatch(ctx, SYSTEM_PRINCIPAL, tx, refs, table, recomputeWith(ctx, table), sync, () => undefined, counted));
  await writer.end();
  return count;
}

/**
 * One transaction's share of the versions waiting for definitions a stream stored
 * (repo.RESOLVED_PER_TRANSACTION): those still defined (a definition deleted since waits to be
 * defined again) are moved, audited, and told to the followers once committed. Takes the
 * definitions out of `refs` once none waits for them any more.
 */
async function resolveBatch(
  ctx: AppContext,
  actor: Principal,
  tx: WriteTx,
  refs: Set<string>,
  known: MarkingTable,
  recompute: repo.MarkingHooks['recompute'],
  sync: (tx: WriteTx) => Promise<void>,
  uncount: () => void,
  counted?: (moved: number) => void,
): Promise<() => void> {
  tx.onRollback(uncount);
  // Other requests have a turn first: a write among them is then waiting, and the writer commits
  // after this share rather than take the next in the same transaction (db/grouped-writes.ts).
  await nextTurn();
  // Definitions deleted by any process meanwhile leave the table `known` reads.
  await sync(tx);
  const still = [...refs].filter((ref) => known.has(ref));
  const after = await repo.highestGiven(tx);
  const { moved, more } = await repo.resolveWaiting(ctx.store, tx, still, recompute, Math.max(microsNow(ctx), after + 1));
  if (!more) refs.clear();
  if (moved.length > 0) await audit.recordInTransaction(ctx, tx, actor, [resolvedEvent(moved, still)]);
  return () => {
    uncount();
    counted?.(moved.length);
    if (moved.length > 0) ctx.bus.publish('intel.added', { objects: moved.map(addedOf), stored: { after, last: moved[moved.length - 1]!.seq } });
  };
}

/**
 * The one ingest pipeline behind the CLI, the REST API, the demo seeding and (later) TAXII and
 * federation: prepared objects (parsed, validated, with rows) are written in batches, one batch
 * writing while the next is prepared; on SQLite a transaction holds up to four of them
 * (db/grouped-writes.ts). An object is reported accepted once its transaction committed.
 */
async function runPipeline(
  ctx: AppContext,
  actor: Principal,
  source: PreparedSource,
  header: () => StreamHeader | undefined,
  bytesRead: () => number,
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = process.hrtime.bigint();
  const batchSize = options.batchSize ?? ctx.config.ingestBatchSize;
  const progress: IngestProgress = { objects: 0, accepted: 0, duplicate: 0, rejected: 0, bytes: 0 };
  const streamErrors: string[] = [];
  let upgraded = 0;
  let batch: PreparedObject[] = [];
  let inFlight: Promise<void> | undefined;

  const report = (outcome: ObjectOutcome) => {
    progress[outcome.status]++;
    progress.objects++;
    options.onOutcome?.(outcome);
  };

  const identityOwners = await directory.memberIdentities(ctx);
  const table = await handlingTable(ctx);
  // Definitions this stream's transactions accepted, not committed yet: its own batches mark
  // objects with them; other streams, which read `table`, see them once they are stored.
  const staged = new Map<string, HandlingMarking>();
  const known = layeredMarkings(table, staged);
  const recompute = recomputeWith(ctx, known);
  const submitter = submitterOf(actor);
  // Definitions of this stream the store refused: objects prepared against them are recomputed.
  const refusedDefinitions = new Set<string>();
  // Definitions deleted (and perhaps defined anew) since the table was read: objects prepared against them are recomputed.
  const changedDefinitions = new Set<string>();
  /**
   * The table brought up to date with what any process stored or deleted since it was read (not
   * the stream's own uncommitted definitions): rows marked with a definition changed are marked again.
   */
  const sync = async (tx: WriteTx) => {
    for (const id of await syncHandling(tx.db, table, staged)) changedDefinitions.add(id);
  };

  /** Writes a batch in the transaction given; answers the reporting of its outcomes, once committed. */
  const writeBatch = async (tx: WriteTx, pending: PreparedObject[], uncount: () => void): Promise<() => void> => {
    tx.onRollback(uncount);
    const rows: NewVersion[] = [];
    const owners: PreparedObject[] = [];
    for (const p of pending) {
      if (!p.row) continue;
      // A member's own identity object is that member's, whoever it names as its creator: written
      // first by another, it kept the member from publishing its own (foreign-version).
      p.row[ROW_ORIGIN_MEMBER] = (p.row[ROW_TYPE] === 'identity' ? identityOwners.get(p.row[ROW_ID]) : undefined) ?? identityOwners.get(p.row[ROW_CREATED_BY_REF] ?? '') ?? null;
      p.row[ROW_SUBMITTER] = submitter;
      rows.push(p.row);
      owners.push(p);
    }
    const unresolved = new Map<NewVersion, string[]>();
    const defined: string[] = [];
    // The batch's definitions reach the node's table once stored; not stored, they are
    // forgotten, and the table is read again from the store (after a lost connection the commit
    // may have happened all the same).
    tx.onCommit(() => {
      // The table read since, if another stream's failure had it read again before this commit.
      const current = ctx.store.state.get(HANDLING).table;
      for (const id of defined) {
        const handling = staged.get(id)!;
        table.set(id, handling);
        current?.set(id, handling);
        staged.delete(id);
      }
    });
    tx.onRollback(() => {
      for (const id of defined) staged.delete(id);
      if (defined.length > 0) forgetHandlingTable(ctx);
    });
    const onWritten = async (tx: WriteTx, written: readonly NewVersion[], held: readonly NewVersion[], moved: readonly repo.MovedVersion[]) => {
      const events = written.length > 0 ? [ingestEvent(written)] : [];
      if (moved.length > 0) events.push(resolvedEvent(moved, defined));
      if (events.length > 0) await audit.recordInTransaction(ctx, tx, actor, events);
      if (options.inTransaction) {
        const versions: StoredVersionRef[] = [];
        for (const row of written) versions.push({ id: row[ROW_ID], version: row[ROW_VERSION] });
        for (const row of held) versions.push({ id: row[ROW_ID], version: row[ROW_VERSION] });
        await options.inTransaction(tx, versions);
      }
    };
    const decide: repo.DecideRows = async (tx, batch, stored) => {
      await sync(tx);
      return decideRows(ctx, actor, tx, batch, stored, { known, staged, identityOwners, refusedDefinitions, changedDefinitions, unresolved, defined, recompute });
    };
    const { seqs, refused, after, moved, waitingLeft } = rows.length > 0
      ? await repo.insertVersions(ctx.store, tx, rows, microsNow(ctx), { unresolved, recompute }, defined, onWritten, decide)
      : { seqs: [], refused: new Map<number, { rule: string; message: string }>(), after: 0, moved: [], waitingLeft: false };
    // More versions wait for the batch's definitions than its transaction moved: the writer moves
    // them in transactions of their own, after this one.
    if (waitingLeft) resolveLater(defined);
    const added: AddedObject[] = [];
    let last = after;
    for (let r = 0; r < owners.length; r++) {
      const p = owners[r]!;
      const denial = refused.get(r);
      if (denial) {
        p.outcome.status = 'rejected';
        p.outcome.errors = [{ path: DENIAL_PATHS[denial.rule] ?? '$', rule: denial.rule, message: denial.message }];
        continue;
      }
      p.outcome.version = p.row![ROW_VERSION];
      const seq = seqs[r];
      if (seq === null || seq === undefined) {
        p.outcome.status = 'duplicate';
        continue;
      }
      const row = p.row!;
      const object: AddedObject = { id: row[ROW_ID], type: row[ROW_TYPE], seq, about: row[ROW_ABOUT_REF] as string | null };
      // Told to the detection index as written: it need not read the batch's indicators back.
      if (object.type === 'indicator' && row[ROW_IS_CURRENT] === 1) object.indicator = storedIndicator(row);
      added.push(object);
      if (seq > last) last = seq;
    }
    // Versions stored before the definitions this batch added, now readable: told as added, at
    // the sequences they were moved to (after the batch's rows).
    for (const version of moved) {
      added.push(addedOf(version));
      last = version.seq;
    }
    // What is reported once the transaction commits: the outcomes, not the objects.
    const outcomes = new Array<ObjectOutcome>(pending.length);
    for (let i = 0; i < pending.length; i++) outcomes[i] = pending[i]!.outcome;
    return reporting(outcomes, added, { after, last }, uncount);
  };

  // Made apart from writeBatch, so that what it keeps until the commit is the outcomes and what
  // the followers are told (of an indicator, its detection columns; not the objects).
  const reporting = (outcomes: ObjectOutcome[], added: AddedObject[], stored: { after: number; last: number }, uncount: () => void) => () => {
    uncount();
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const outcome of outcomes) {
      report(outcome);
      counts[outcome.status]++;
    }
    for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) if (counts[outcome] > 0) ctx.metrics.ingestObjects.inc({ outcome }, counts[outcome]);
    progress.bytes = bytesRead();
    options.onProgress?.({ ...progress });
    // The rows written and moved are the only ones between `after` and `last` (insertVersions).
    if (added.length > 0) ctx.bus.publish('intel.added', { objects: added, stored });
  };

  let eager = Math.min(batchSize, EAGER_BATCH);
  const writes = ctx.store.state.get(WRITES_IN_PROGRESS);
  const writer = new GroupedWriter(ctx.store);
  const write = (pending: PreparedObject[]) => {
    const uncount = counting(writes);
    const written = writer.write((tx) => writeBatch(tx, pending, uncount));
    // Refused without running (a transaction before it failed): never counted down otherwise.
    written.catch(uncount);
    return written;
  };
  // Definitions of this stream that versions still wait for, and the writing that moves them.
  const waitedFor = new Set<string>();
  let resolving: Promise<void> = Promise.resolve();
  // Set and cleared synchronously: definitions added as the loop ends start a loop of their own.
  let looping = false;
  const resolveLater = (refs: readonly string[]) => {
    for (const ref of refs) waitedFor.add(ref);
    if (looping) return;
    looping = true;
    resolving = (async () => {
      try {
        while (waitedFor.size > 0) {
          const uncount = counting(writes);
          const ran = writer.write((tx) => resolveBatch(ctx, actor, tx, waitedFor, known, recompute, sync, uncount));
          ran.catch(uncount);
          await ran;
        }
      } finally {
        looping = false;
      }
    })()
      // A failed transaction fails the writer: its end() says so. What it left waiting, the
      // node's sweep moves (resolveLeftWaiting).
      .catch(() => undefined);
  };
  /** Waits until what waited for this stream's definitions is moved (or the writer failed). */
  const resolved = async () => {
    while (looping) await resolving;
  };
  // Whether the last batch handed over has run (the writer takes the next one then).
  let ran = true;
  const handOver = (full: PreparedObject[]) => {
    ran = false;
    eager = batchSize;
    inFlight = write(full);
    // Says when it has run (an idle part may go next), and keeps a failure from counting as
    // unhandled until the next write awaits it.
    inFlight.then(() => (ran = true), () => (ran = true));
  };
  const maxObjects = options.maxObjects ?? Infinity;
  let taken = 0;
  /** Takes prepared objects into the batch; false once the input passed maxObjects (the objects past it are left). */
  /** Writes the objects up to the bound, then refuses the input (they are reported before it is). */
  const refuseMore = async (): Promise<never> => {
    if (inFlight) await inFlight;
    if (batch.length > 0) await write(batch);
    batch = [];
    throw new TooManyObjects(maxObjects);
  };
  const take = (items: Prepared[]): boolean => {
    for (const item of items) {
      if ('streamError' in item) {
        streamErrors.push(item.streamError);
        continue;
      }
      if (taken++ >= maxObjects) return false;
      if (item.outcome.upgraded) upgraded++;
      batch.push(item);
    }
    return true;
  };
  const iterator = source.items[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = iterator.next();
      // Objects held for a fuller batch are written once the input has been idle a while: what a
      // slow peer or uploader sent is stored, not kept until its next part (or its timeout).
      let step = await idleOr(next);
      while (step === IDLE) {
        // A batch being written: this part waits its turn, a moment more.
        if (!ran) {
          step = await idleOr(next);
          continue;
        }
        // Objects past the bound among those held back refuse the input as well as later ones do.
        if (!take(source.flush())) await refuseMore();
        if (batch.length > 0) {
          const part = batch;
          batch = [];
          handOver(part);
        }
        // Nothing is held here now (what a worker thread held comes as its next message).
        step = await next;
      }
      if (step.done) break;
      if (!take(step.value)) await refuseMore();
      if (batch.length >= batchSize || (writes.count === 0 && batch.length >= eager)) {
        const full = batch;
        batch = [];
        if (inFlight) await inFlight;
        handOver(full);
      }
    }
    if (inFlight) await inFlight;
    if (batch.length > 0) await write(batch);
  } catch (error) {
    // The source's own clean-up (a worker thread stopped); it has no call waiting on it here.
    await iterator.return?.().catch(() => undefined);
    // What ran is committed (and reported) all the same, as each batch was before it, and what
    // waited for its definitions is moved: the batch handed over last runs first.
    await inFlight?.catch(() => undefined);
    await resolved();
    await writer.end().catch(() => undefined);
    throw error;
  }
  await resolved();
  await writer.end();
  progress.bytes = bytesRead();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    ...progress,
    format: header()?.format ?? 'objects',
    specVersion: header()?.specVersion,
    upgraded,
    seconds,
    objectsPerSecond: seconds > 0 ? progress.objects / seconds : progress.objects,
    streamErrors,
  };
}

/**
 * Prepares the entries on this thread, PREPARED_PER_TURN at a time with a turn of the event loop
 * between: entries cut from a chunk already read arrive as microtasks only, and the turn lets the
 * database's replies for the batch being written come in.
 */
function prepareHere(
  entries: AsyncIterable<PipelineEntry>,
  header: () => StreamHeader | undefined,
  handling: Map<string, HandlingMarking>,
  maxObjectBytes: number,
  defaults: MarkingDefaults,
  maxDepth: number,
): PreparedSource {
  const preparer = new StreamPreparer(handling, maxObjectBytes, defaults, maxDepth);
  let items: Prepared[] = [];
  async function* prepared(): AsyncGenerator<Prepared[]> {
    for await (const entry of entries) {
      items.push(preparer.prepare(entry, header()));
      if (items.length >= PREPARED_PER_TURN) {
        const full = items;
        items = [];
        yield full;
        await nextTurn();
      }
    }
    if (items.length > 0) yield items;
  }
  return {
    items: prepared(),
    flush: () => {
      const held = items;
      items = [];
      return held;
    },
  };
}

/** Bulk streams (see bulkIngests) this node is ingesting now. */
const BULK_STREAMS = nodeState('intel.bulk-streams', () => ({ count: 0 }));

/**
 * How many bulk streams this node is ingesting now: streams a caller asked to prepare in
 * parallel (large bodies, bodies of unknown length, files, pages pulled from peers), once they
 * have read PARALLEL_THRESHOLD_BYTES (a small body sent without a length, kept open, is not one).
 * Views derived from the store in the background (the cumulative assessment) defer to them, for
 * a bounded time, and catch up in larger batches once they end ('intel.bulk-ended'), rather than
 * take turns with every batch.
 */
export function bulkIngests(ctx: AppContext): number {
  return ctx.state.get(BULK_STREAMS).count;
}

/** The chunks, counting the stream as bulk (see bulkIngests) once they reach PARALLEL_THRESHOLD_BYTES. */
async function* countedAsBulk(chunks: AsyncIterable<Uint8Array>, bulk: { count: number }, claim: { counted: boolean }): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of chunks) {
    if (!claim.counted) {
      read += chunk.byteLength;
      if (read >= PARALLEL_THRESHOLD_BYTES) {
        claim.counted = true;
        bulk.count++;
      }
    }
    yield chunk;
  }
}

/**
 * Ingests a byte stream: a bundle, a JSON array of objects, or NDJSON. With `parallel`, the
 * parsing and validation run in a worker thread while this thread writes (for large inputs),
 * unless MAX_WORKER_STREAMS streams have one already, or WORKER_STREAMS_PER_SHARE of the actor's
 * member (core/inflight's shareKey) do: this one is then prepared here.
 */
export async function ingestStream(
  ctx: AppContext,
  actor: Principal,
  chunks: AsyncIterable<Uint8Array>,
  options: IngestOptions & { parallel?: boolean } = {},
): Promise<IngestSummary> {
  const bulk = options.parallel === true ? ctx.state.get(BULK_STREAMS) : undefined;
  const claim = { counted: false };
  if (bulk) chunks = countedAsBulk(chunks, bulk, claim);
  let workerPlace: (() => void) | undefined;
  try {
    workerPlace = options.parallel === true ? takeWorkerStream(shareKey(actor)) : undefined;
    const inWorker = workerPlace !== undefined;
    // The worker starts while the node's markings are read.
    if (inWorker) warmWorker();
    const handling = await handlingTable(ctx);
    const { maxObjectBytes, maxObjectDepth } = ctx.config;
    if (inWorker) {
      const state: ParallelState = { header: undefined, bytesRead: 0 };
      const items = prepareInWorker(chunks, handling, maxObjectBytes, markingDefaults(ctx), state, maxObjectDepth);
      const flush = () => {
        state.flush?.();
        return [];
      };
      return await runPipeline(ctx, actor, { items, flush }, () => state.header, () => state.bytesRead, options);
    }
    const reader = new StixStreamReader({ maxObjectBytes, maxDepth: maxObjectDepth });
    const header = () => reader.header;
    return await runPipeline(ctx, actor, prepareHere(reader.entries(chunks), header, handling, maxObjectBytes, markingDefaults(ctx), maxObjectDepth), header, () => reader.bytesRead, options);
  } finally {
    workerPlace?.();
    if (bulk && claim.counted && --bulk.count === 0) {
      // What the stream stored stays reported, whatever a follower told of its end does.
      try {
        ctx.bus.publish('intel.bulk-ended', {});
      } catch (error) {
        ctx.logger.error({ err: error }, 'a follower failed when told that bulk ingest ended');
      }
    }
  }
}

/** Inputs at least this large are worth a worker thread's start-up. */
export const PARALLEL_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** Ingests objects already in memory (demo seeding, federation). */
export async function ingestObjects(ctx: AppContext, actor: Principal, objects: Iterable<unknown> | AsyncIterable<unknown>, options: IngestOptions = {}): Promise<IngestSummary> {
  async function* entries(): AsyncGenerator<PipelineEntry> {
    let index = 0;
    for await (const value of objects) yield { kind: 'value', index: index++, value };
  }
  const handling = await handlingTable(ctx);
  return runPipeline(ctx, actor, prepareHere(entries(), () => undefined, handling, ctx.config.maxObjectBytes, markingDefaults(ctx), ctx.config.maxObjectDepth), () => undefined, () => 0, options);
}
