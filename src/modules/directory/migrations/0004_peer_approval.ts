import type { Kysely } from 'kysely';

/**
 * A peer reads as the members it stands for, and a push sends what they may read to its URL: a
 * node administrator who registers or widens one (members, clearance, roles, certificate name,
 * where pushes go) leaves it disabled until a second node administrator enables it (the
 * two-person rule). The users who did so since it was last enabled, as ",user:a,user:b,"; null
 * when nobody waits for a second person.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('peers').addColumn('awaiting_approval_by', 'text').execute();
}
