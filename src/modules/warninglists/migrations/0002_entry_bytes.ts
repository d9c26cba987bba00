import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../../../db/database.js';

/**
 * What a list's entries weigh: the UTF-8 bytes of their values and comments. A member's budget of
 * entries alone let it hold entries of 8,192 characters each: 4,000,000 of them, about 31 GiB
 * once compiled. Lists now keep their bytes beside their entry count, and a member's lists are
 * held to a budget of bytes as well (SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER). Existing lists are
 * weighed here, once.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('warning_lists').addColumn('bytes', big, (c) => c.notNull().defaultTo(0)).execute();
  await weighLists(db, dialect);
}

/** Sets each list's bytes from the entries of the set it reads. */
export async function weighLists(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const weight = dialect === 'postgres'
    ? sql`octet_length(e.value) + coalesce(octet_length(e.comment), 0)`
    : sql`length(cast(e.value as blob)) + coalesce(length(cast(e.comment as blob)), 0)`;
  await sql`update warning_lists set bytes = (
    select coalesce(sum(${weight}), 0) from warning_list_entries e where e.list_id = coalesce(warning_lists.entries_set, warning_lists.id)
  )`.execute(db);
}
