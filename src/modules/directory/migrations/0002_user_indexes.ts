import type { Kysely } from 'kysely';

/**
 * Indexes for the reads a write makes by user: a user's active tokens are counted and its long-
 * ended ones deleted when a token is issued; a user's sessions beyond its newest are ended at
 * sign-in, expired sessions deleted. Without them each was a scan of the whole table inside the
 * write transaction (on PostgreSQL, where write transactions turn sequential scans off, a costly
 * plan at that).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('api_tokens_user').on('api_tokens').columns(['user_name', 'created_at']).execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['user_name', 'created_at']).execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
}
