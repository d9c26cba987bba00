/**
 * The SQL fragments of a dialect, for code that has the dialect's name but no store: migrations.
 * Code with a store asks its adapter (store.adapter.jsonText), which gives the same fragments.
 */
import type { DialectName, DialectSql } from './adapter.js';
import { POSTGRES_SQL } from './postgres/postgres-sql.js';
import { SQLITE_SQL } from './sqlite/sqlite-sql.js';

export function dialectSql(dialect: DialectName): DialectSql {
  return dialect === 'postgres' ? POSTGRES_SQL : SQLITE_SQL;
}
