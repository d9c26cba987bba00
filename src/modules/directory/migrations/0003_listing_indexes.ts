import type { Kysely } from 'kysely';

/**
 * Indexes for the directory's listings, which read a page of what the caller may see in SQL: a
 * member administrator's tokens and users are its member's, in id and name order; a user's
 * credential requests are those naming it or made by it, newest first. Without them a member
 * administrator's page was a scan of every member's rows. A member's users are counted too when
 * one is created (SHIELDWALL_USERS_PER_MEMBER).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('api_tokens_member').on('api_tokens').columns(['member_code', 'id']).execute();
  await db.schema.createIndex('users_member').on('users').columns(['member_code', 'name']).execute();
  await db.schema.createIndex('credential_requests_user').on('credential_requests').columns(['user_name', 'id']).execute();
  await db.schema.createIndex('credential_requests_requested_by').on('credential_requests').columns(['requested_by', 'id']).execute();
}
