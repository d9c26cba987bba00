/** SQL fragments of SQLite that need no connection (migrations build statements with them). */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { DialectSql } from '../adapter.js';

export const SQLITE_SQL: DialectSql = Object.freeze({
  jsonText: (column: string, field: string) => sql<string | null>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${field}`)})`,
  // json_each gives JSON numbers as integers (or reals) and JSON strings as text: compared as
  // the values themselves would be.
  inList: (operand: string | Expression<unknown>, values: ReadonlyArray<string | number>) =>
    sql<SqlBool>`${typeof operand === 'string' ? sql.ref(operand) : operand} in (select value from json_each(${JSON.stringify(values)}))`,
});
