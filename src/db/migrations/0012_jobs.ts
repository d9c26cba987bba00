import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Durable jobs (src/core/jobs.ts): work due at a time, run once by one worker, retried with
 * backoff, surviving restarts. A runner holds a lease (locked_by, locked_until) that it renews
 * while it runs; a job whose lease ran out (its runner died) is taken again. Times are ISO 8601
 * text of the node's clock, which compares in time order. See docs/OPERATIONS.md, Durable jobs.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    // The name of a registered handler.
    .addColumn('kind', 'text', (c) => c.notNull())
    // Names the job for idempotent enqueues (a deadline enqueued twice is one job); null for none.
    .addColumn('key', 'text', (c) => c.unique())
    // JSON, as given to enqueue.
    .addColumn('payload', 'text', (c) => c.notNull())
    // 'pending', 'running', 'done' or 'failed'.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    // Runs started (a run whose runner died counts); back to 0 when a recurring job succeeds.
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Runs allowed before the job is failed; null: retried for ever.
    .addColumn('max_attempts', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // What workers look for: pending jobs by due time, running ones by lease end.
  await db.schema.createIndex('jobs_pending_due').on('jobs').columns(['kind', 'due_at']).where(sql.ref('state'), '=', 'pending').execute();
  await db.schema.createIndex('jobs_running_lease').on('jobs').column('locked_until').where(sql.ref('state'), '=', 'running').execute();
  // What operators look at: failed jobs, newest first.
  await db.schema.createIndex('jobs_state_updated').on('jobs').columns(['state', 'updated_at']).execute();
}
