/** SQL fragments of PostgreSQL that need no connection (migrations build statements with them). */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { DialectSql, PgType } from '../adapter.js';

export const POSTGRES_SQL: DialectSql = Object.freeze({
  jsonText: (column: string, field: string) => sql<string | null>`(${sql.ref(column)}::jsonb ->> ${sql.lit(field)})`,
  inList: (operand: string | Expression<unknown>, values: ReadonlyArray<string | number>, type: PgType) =>
    sql<SqlBool>`${typeof operand === 'string' ? sql.ref(operand) : operand} = any(${[...values]}::${sql.raw(type)}[])`,
});
