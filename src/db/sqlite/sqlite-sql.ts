/** SQL fragments of SQLite that need no connection (migrations build statements with them). */
import { sql } from 'kysely';
import type { DialectSql } from '../adapter.js';

export const SQLITE_SQL: DialectSql = Object.freeze({
  jsonText: (column: string, field: string) => sql<string | null>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${field}`)})`,
});
