import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Audit entries carry an HMAC under the node's audit key (modules/audit), chained through the
 * MAC of the entry before. Entries written before this migration keep a null MAC: verify checks
 * them by their hash chain only, as a run at the start of the log that the first MAC covers.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
}
