/** SQL fragments of PostgreSQL that need no connection (migrations build statements with them). */
import { sql } from 'kysely';
import type { DialectSql } from '../adapter.js';

export const POSTGRES_SQL: DialectSql = Object.freeze({
  jsonText: (column: string, field: string) => sql<string | null>`(${sql.ref(column)}::jsonb ->> ${sql.lit(field)})`,
});
