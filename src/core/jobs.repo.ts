/**
 * The SQL of durable jobs (jobs.ts). Claims happen in a write transaction that reads the due
 * rows and sets their lease together; on PostgreSQL the read is FOR UPDATE SKIP LOCKED, so of
 * several processes exactly one takes each job. Every later change of a running job names the
 * worker holding its lease, so a worker whose lease was taken over changes nothing.
 */
import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import { BACKGROUND, writeTransaction, type Store, type WriteTx } from '../db/database.js';
import type { Database, JobsTable } from '../db/schema.js';

export type JobRow = Selectable<JobsTable>;
export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface NewJob {
  kind: string;
  key: string | null;
  payload: string;
  dueAt: string;
  maxAttempts: number | null;
  now: string;
}

/**
 * Inserts a job; with a key already taken, inserts nothing and answers the job that holds it.
 * `renewFinished`: a keyed job that has finished (done or failed) is made pending again instead.
 */
export async function insertJob(store: Store, job: NewJob, renewFinished: boolean): Promise<{ row: JobRow; created: boolean }> {
  const values = {
    kind: job.kind,
    key: job.key,
    payload: job.payload,
    state: 'pending',
    due_at: job.dueAt,
    attempts: 0,
    max_attempts: job.maxAttempts,
    created_at: job.now,
    updated_at: job.now,
  };
  if (job.key === null) {
    const row = await store.db.insertInto('jobs').values(values).returningAll().executeTakeFirstOrThrow();
    return { row, created: true };
  }
  const inserted = await store.db
    .insertInto('jobs')
    .values(values)
    .onConflict((oc) => oc.column('key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  if (renewFinished) {
    const renewed = await store.db
      .updateTable('jobs')
      .set({ kind: job.kind, payload: job.payload, state: 'pending', due_at: job.dueAt, attempts: 0, max_attempts: job.maxAttempts, last_error: null, finished_at: null, updated_at: job.now })
      .where('key', '=', job.key)
      .where('state', 'in', ['done', 'failed'])
      .returningAll()
      .executeTakeFirst();
    if (renewed) return { row: renewed, created: true };
  }
  const existing = await store.db.selectFrom('jobs').selectAll().where('key', '=', job.key).executeTakeFirst();
  // Deleted between the two statements (cancelled): try once more.
  if (!existing) return insertJob(store, job, renewFinished);
  return { row: existing, created: false };
}

/**
 * When a worker should look next: the earliest due time of a pending job and the earliest lease
 * end of a job running under another worker, of these kinds. undefined: none of either.
 */
export async function nextDue(store: Store, kinds: readonly string[], worker: string): Promise<string | undefined> {
  if (kinds.length === 0) return undefined;
  const [pending, leased] = await Promise.all([
    store.db.selectFrom('jobs').select((eb) => eb.fn.min('due_at').as('at')).where('state', '=', 'pending').where('kind', 'in', kinds).executeTakeFirst(),
    store.db.selectFrom('jobs').select((eb) => eb.fn.min('locked_until').as('at')).where('state', '=', 'running').where('kind', 'in', kinds).where('locked_by', '<>', worker).executeTakeFirst(),
  ]);
  const times = [pending?.at, leased?.at].filter((t): t is string => typeof t === 'string');
  return times.length === 0 ? undefined : times.sort()[0];
}

export interface Claimed {
  /** Jobs now running under this worker's lease (attempts counts this run). */
  runs: JobRow[];
  /** Jobs whose runner died on their last allowed attempt: failed, not run again. */
  failed: JobRow[];
  /** Of runs, those taken over from a runner whose lease ran out. */
  takenOver: number;
}

/**
 * Takes up to `limit` jobs of these kinds: pending ones that are due, then running ones whose
 * lease ended before `now` under another worker (that runner died or lost the store). Like the
 * scheduler's other bookkeeping (leases, ends, runSoon after each ingest commit), it waits for a
 * bulk ingest's transaction to commit rather than cut it short (BACKGROUND).
 */
export async function claim(store: Store, kinds: readonly string[], worker: string, now: string, leaseUntil: string, limit: number, busyGroups: readonly string[] = []): Promise<Claimed> {
  return writeTransaction(store, async (tx) => {
    let pending = tx.db.selectFrom('jobs').selectAll().where('state', '=', 'pending').where('kind', 'in', kinds).where('due_at', '<=', now);
    // Groups running here (a prefix of their keys) wait: their jobs are passed over.
    for (const group of busyGroups) pending = pending.where((eb) => eb.or([eb('key', 'is', null), sql<boolean>`substr(key, 1, ${group.length}) <> ${group}`]));
    const due = await lockRows(tx, pending.orderBy('due_at').orderBy('id').limit(limit));
    const expired =
      due.length < limit
        ? await lockRows(
            tx,
            tx.db
              .selectFrom('jobs')
              .selectAll()
              .where('state', '=', 'running')
              .where('kind', 'in', kinds)
              .where('locked_until', '<=', now)
              .where('locked_by', '<>', worker)
              .orderBy('locked_until')
              .orderBy('id')
              .limit(limit - due.length),
          )
        : [];
    const failed: JobRow[] = [];
    const rerun: JobRow[] = [];
    for (const row of expired) {
      const lapse = `the lease of ${row.locked_by ?? 'a worker'} ended at ${row.locked_until ?? '?'} before the run ended (the worker stopped or lost the store)`;
      if (row.max_attempts !== null && row.attempts >= row.max_attempts) {
        await tx.db.updateTable('jobs').set({ state: 'failed', last_error: lapse, locked_by: null, locked_until: null, finished_at: now, updated_at: now }).where('id', '=', row.id).execute();
        failed.push({ ...row, state: 'failed', last_error: lapse, locked_by: null, locked_until: null, finished_at: now, updated_at: now });
      } else {
        await tx.db.updateTable('jobs').set({ last_error: lapse }).where('id', '=', row.id).execute();
        rerun.push({ ...row, last_error: lapse });
      }
    }
    const taken = [...due, ...rerun];
    if (taken.length > 0) {
      await tx.db
        .updateTable('jobs')
        .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), locked_by: worker, locked_until: leaseUntil, updated_at: now }))
        .where(
          'id',
          'in',
          taken.map((r) => r.id),
        )
        .execute();
    }
    return {
      runs: taken.map((r) => ({ ...r, state: 'running', attempts: r.attempts + 1, locked_by: worker, locked_until: leaseUntil, updated_at: now })),
      failed,
      takenOver: rerun.length,
    };
  }, BACKGROUND);
}

/** Rows another transaction holds are skipped where the engine can (PostgreSQL); SQLite has one writer at a time. */
function lockRows(tx: WriteTx, query: SelectQueryBuilder<Database, 'jobs', JobRow>): Promise<JobRow[]> {
  return (tx.adapter.capabilities.supportsSkipLocked ? query.forUpdate().skipLocked() : query).execute();
}

/** Extends the lease of jobs this worker runs; answers how many it still held. */
export async function renewLeases(store: Store, ids: readonly number[], worker: string, until: string): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await store.adapter.background(() => store.db.updateTable('jobs').set({ locked_until: until }).where('id', 'in', ids).where('state', '=', 'running').where('locked_by', '=', worker).executeTakeFirst());
  return Number(result.numUpdatedRows);
}

/** How a run ended, as the store records it. */
export type Ending =
  | { kind: 'done'; now: string }
  /** A recurring job: pending again at `next`, or earlier if it was asked to run sooner while it ran. */
  | { kind: 'again'; now: string; next: string; claimedDue: string }
  | { kind: 'retry'; now: string; next: string; error: string }
  | { kind: 'failed'; now: string; error: string };

/** Records the end of a run; false when this worker no longer held the job's lease. */
export async function finish(store: Store, id: number, worker: string, ending: Ending): Promise<boolean> {
  const released = { locked_by: null, locked_until: null, updated_at: ending.now };
  const base = store.db.updateTable('jobs').where('id', '=', id).where('state', '=', 'running').where('locked_by', '=', worker);
  let query;
  switch (ending.kind) {
    case 'done':
      query = base.set({ ...released, state: 'done', finished_at: ending.now });
      break;
    case 'again':
      query = base.set((eb) => ({
        ...released,
        state: 'pending',
        attempts: 0,
        // While a job runs, due_at keeps when it was due unless runSoon moved it (later than that).
        due_at: eb
          .case()
          .when(eb.and([eb('due_at', '>', ending.claimedDue), eb('due_at', '<', ending.next)]))
          .then(eb.ref('due_at'))
          .else(ending.next)
          .end(),
      }));
      break;
    case 'retry':
      query = base.set({ ...released, state: 'pending', due_at: ending.next, last_error: ending.error });
      break;
    case 'failed':
      query = base.set({ ...released, state: 'failed', last_error: ending.error, finished_at: ending.now });
      break;
  }
  const result = await store.adapter.background(() => query.executeTakeFirst());
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Makes keyed jobs due at `at` if they were due later: pending ones (with `unlessRetrying`, only
 * those not waiting out a backoff), and running ones, which then run again at `at` once they end
 * (a recurring job that succeeds).
 */
export async function runSoon(store: Store, keys: readonly string[], at: string, unlessRetrying: boolean): Promise<number> {
  if (keys.length === 0) return 0;
  const update = store.db
    .updateTable('jobs')
    .set({ due_at: at })
    .where('key', 'in', keys)
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'pending'), eb('due_at', '>', at), ...(unlessRetrying ? [eb('attempts', '=', 0)] : [])]),
        eb.and([eb('state', '=', 'running'), eb('due_at', '<', at)]),
      ]),
    );
  const result = await store.adapter.background(() => update.executeTakeFirst());
  return Number(result.numUpdatedRows);
}

/**
 * Deletes jobs that ended (done before `doneBefore`, failed before `failedBefore`), `slice` a
 * statement and at most `slices` statements; answers how many. The jobs table would otherwise
 * grow by a row for every change announced, for good.
 */
export async function pruneFinished(store: Store, doneBefore: string, failedBefore: string, slice: number, slices: number): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < slices; i++) {
    const ended = store.db
      .selectFrom('jobs')
      .select('id')
      .where((eb) => eb.or([eb.and([eb('state', '=', 'done'), eb('finished_at', '<', doneBefore)]), eb.and([eb('state', '=', 'failed'), eb('finished_at', '<', failedBefore)])]))
      .limit(slice);
    const result = await store.adapter.background(() => store.db.deleteFrom('jobs').where('id', 'in', ended).executeTakeFirst());
    const count = Number(result.numDeletedRows);
    deleted += count;
    if (count < slice) break;
  }
  return deleted;
}

/** Deletes a keyed job unless it is running; answers whether one was deleted. */
export async function cancel(store: Store, key: string): Promise<boolean> {
  const result = await store.db.deleteFrom('jobs').where('key', '=', key).where('state', '<>', 'running').executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface JobFilter {
  kinds?: readonly string[];
  states?: readonly JobState[];
  key?: string;
  limit?: number;
}

/** Jobs, the most recently changed first. */
export async function listJobs(store: Store, filter: JobFilter = {}): Promise<JobRow[]> {
  let query = store.db.selectFrom('jobs').selectAll();
  if (filter.kinds) query = query.where('kind', 'in', filter.kinds.length > 0 ? filter.kinds : ['']);
  if (filter.states) query = query.where('state', 'in', filter.states.length > 0 ? filter.states : ['']);
  if (filter.key !== undefined) query = query.where('key', '=', filter.key);
  return query
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 1000)
    .execute();
}
