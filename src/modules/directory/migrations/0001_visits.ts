import type { Kysely } from 'kysely';

/**
 * When a caller was last here, for GET /api/v1/me's previous_visit: kept at sign-in and at a
 * token's first use after a pause, so that the answer stays the same for the whole session (or
 * run of use) instead of moving with every request. Times are ISO 8601 text of the node's clock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The user's last dashboard sign-in.
  await db.schema.alterTable('users').addColumn('last_sign_in_at', 'text').execute();
  // The user's sign-in before this session's (null: this was its first).
  await db.schema.alterTable('sessions').addColumn('previous_sign_in_at', 'text').execute();
  // The token's last use before its current run of use (null: none).
  await db.schema.alterTable('api_tokens').addColumn('previous_used_at', 'text').execute();
}
