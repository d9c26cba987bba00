import { sql, type Kysely } from 'kysely';

/**
 * Waiting marking references by the version waiting (pending_markings.seq). The table's key is
 * (marking_ref, seq): a version moved to a new sequence when a definition resolved it, or made
 * current again by a deletion, repoints its remaining entries by seq, and without this index
 * each version of a slice read the whole table. On PostgreSQL the entries just deleted for the
 * definition stay in the table until vacuumed: resolving 70,000 waiting objects took 7.5 s a
 * slice of 5,000, 105 s in all, inside the write transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index pending_markings_seq on pending_markings (seq)`.execute(db);
}
