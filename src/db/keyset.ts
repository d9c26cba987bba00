/** Keyset paging of lists ordered newest change first: the rows strictly before a (modified, id) key, on both engines. */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { PageKey } from '../core/cursor.js';
import { nextTurn } from '../core/turn.js';
import type { Database } from './schema.js';

/** modified < key.modified, or the same modified and id < key.id: the rows after the key in (modified desc, id desc) order. */
export function newestBefore(key: PageKey): Expression<SqlBool> {
  return sql<SqlBool>`(modified < ${key.modified} or (modified = ${key.modified} and id < ${key.id}))`;
}

/** modified > key.modified, or the same modified and id >= key.id: the rows up to the key, itself included, in that order. */
function newestFrom(key: PageKey): Expression<SqlBool> {
  return sql<SqlBool>`(modified > ${key.modified} or (modified = ${key.modified} and id >= ${key.id}))`;
}

/** Record tables listed newest change first, each indexed by (modified, id). */
export type BoardTable = 'incidents' | 'assistance_requests' | 'assistance_deployments' | 'assistance_teams' | 'decision_consultations' | 'decision_proposals' | 'decision_statements';

/**
 * Rows of a board one statement examines at most. A board keeps, in SQL, the records the reader
 * may read (db/access-filter.ts), which no index holds: walking its (modified, id) index newest
 * first, a statement examined every record the reader may not read before the page was full
 * (200,000 of them: 235 ms, during which a SQLite node answered nothing).
 */
export const BOARD_WINDOW_ROWS = 5000;

/**
 * A page of a board read window by window: `read` runs the board's query with the window's
 * bounds added and the rows still wanted, on windows of BOARD_WINDOW_ROWS rows of the table's
 * (modified, id) index, newest first from `before`, with a turn of the event loop between two,
 * until `limit` rows are found or the table ends.
 */
export async function newestInWindows<R>(
  db: Kysely<Database>,
  table: BoardTable,
  before: PageKey | undefined,
  limit: number,
  read: (bounds: ReadonlyArray<Expression<SqlBool>>, limit: number) => Promise<R[]>,
  windowRows = BOARD_WINDOW_ROWS,
): Promise<R[]> {
  const out: R[] = [];
  for (let from = before; ; ) {
    // Every board table has these columns and index; one of them names the query's types.
    let last = db.selectFrom(table as 'incidents').select(['modified', 'id']);
    if (from) last = last.where(newestBefore(from));
    const end = await last.orderBy('modified', 'desc').orderBy('id', 'desc').limit(1).offset(windowRows - 1).executeTakeFirst();
    const bounds = [...(from ? [newestBefore(from)] : []), ...(end ? [newestFrom(end)] : [])];
    for (const row of await read(bounds, limit - out.length)) out.push(row);
    if (out.length >= limit || !end) return out;
    from = { modified: end.modified, id: end.id };
    await nextTurn();
  }
}
