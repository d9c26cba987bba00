/** Keyset paging of lists ordered newest change first: the rows strictly before a (modified, id) key, on both engines. */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { PageKey } from '../core/cursor.js';

/** modified < key.modified, or the same modified and id < key.id: the rows after the key in (modified desc, id desc) order. */
export function newestBefore(key: PageKey): Expression<SqlBool> {
  return sql<SqlBool>`(modified < ${key.modified} or (modified = ${key.modified} and id < ${key.id}))`;
}
