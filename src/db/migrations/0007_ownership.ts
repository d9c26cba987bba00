import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Who wrote each object version: 'member:CODE' (a user of that member), 'peer:NAME' (delivered
 * by that peer node) or 'node' (the node itself, its local CLI and its administrators without a
 * member). It decides who may version, revoke or delete an object whose created_by_ref is not
 * the identity of one of the node's members (policy canVersion). Rows written before it are
 * null: only the node versions those.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('stix_objects').addColumn('submitter', 'text').execute();
}
