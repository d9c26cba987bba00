import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Credential requests (the two-person rule): a node administrator's API token or password for a
 * user beyond its own reach waits until a second node administrator or the user approves it. A
 * token waiting is stored (as its hash, like every token) and refused until then; a password
 * waits here as its scrypt hash. See docs/OPERATIONS.md.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('credential_requests')
    .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    // 'token' or 'password'.
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    // Why a second person is needed (policy credentialDecision).
    .addColumn('reason', 'text', (c) => c.notNull())
    // The token waiting (api_tokens.id), its name and expiry as asked.
    .addColumn('token_id', 'integer')
    .addColumn('token_name', 'text')
    .addColumn('token_expires_at', 'text')
    .addColumn('password_hash', 'text')
    // 'pending', 'approved' or 'declined'; a pending request lapses a day after it was made.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .execute();
  // The request a token waits for: it authenticates nobody until that is approved.
  await db.schema.alterTable('api_tokens').addColumn('awaiting_request', 'integer').execute();
}
