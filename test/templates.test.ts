/**
 * A test's store is a copy of a store migrated once (test/support/templates.ts): it must be what
 * migrating a new store makes, to the last index, trigger, default and row, or every other test
 * would test something the product never runs on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore, type DialectName, type Store } from '../src/db/database.js';
import { migrateStore } from '../src/modules/index.js';
import { createTestStore, DIALECTS, POSTGRES_URL, dialectSkip, type TestStore } from './support/dialects.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

type Row = Record<string, unknown>;

async function rows(store: Store, query: string): Promise<Row[]> {
  return (await sql<Row>`${sql.raw(query)}`.execute(store.db)).rows;
}

/** Everything a migration makes, as the store's own connection (its schema on search_path) reads it. */
async function shape(store: Store, dialect: DialectName): Promise<Record<string, Row[]>> {
  if (dialect === 'sqlite') {
    const objects = await rows(store, `select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`);
    const tables = objects.filter((object) => object.type === 'table').map((object) => String(object.name));
    const out: Record<string, Row[]> = { objects, migrations: await rows(store, 'select name from kysely_migration order by name') };
    for (const table of tables) if (table !== 'kysely_migration') out[`rows of ${table}`] = await rows(store, `select * from "${table}" order by 1`);
    out.pragmas = await rows(store, 'select * from pragma_journal_mode, pragma_auto_vacuum, pragma_user_version');
    return out;
  }
  const own = `(select current_schema())`;
  const out: Record<string, Row[]> = {
    columns: await rows(store, `select table_name, column_name, ordinal_position, data_type, column_default, is_nullable, is_identity, is_generated, generation_expression from information_schema.columns where table_schema = ${own} order by table_name, ordinal_position`),
    indexes: await rows(store, `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${own} order by 1`),
    constraints: await rows(store, `select conrelid::regclass::text as on_table, conname, pg_get_constraintdef(c.oid) as definition from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = ${own} order by 1, 2`),
    triggers: await rows(store, `select tgrelid::regclass::text as on_table, tgname, pg_get_triggerdef(t.oid) as definition from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${own} and not t.tgisinternal order by 1, 2`),
    functions: await rows(store, `select proname, prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ${own} order by 1`),
    sequences: await rows(store, `select sequencename, data_type::text, start_value, increment_by, last_value from pg_sequences where schemaname = ${own} order by 1`),
    migrations: await rows(store, 'select name from kysely_migration order by name'),
  };
  const tables = await rows(store, `select table_name from information_schema.tables where table_schema = ${own} and table_type = 'BASE TABLE' order by 1`);
  for (const { table_name: table } of tables) if (table !== 'kysely_migration') out[`rows of ${String(table)}`] = await rows(store, `select * from "${String(table)}" order by 1`);
  // The definitions name the schema where it is not on search_path: read as the store reads them, it is.
  return JSON.parse(JSON.stringify(out).replaceAll(`${(await rows(store, 'select current_schema() as s'))[0]!.s as string}.`, '')) as Record<string, Row[]>;
}

for (const dialect of DIALECTS) {
  describe(`a test's store copied from one migrated (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let copy: TestStore;
    let migrated: Store;
    let cleanup: () => Promise<void>;

    before(async () => {
      copy = await createTestStore(dialect);
      if (dialect === 'sqlite') {
        const dir = mkdtempSync(path.join(tmpdir(), 'shieldwall-migrated-'));
        migrated = openStore(`sqlite:${path.join(dir, 'store.db')}`);
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const schema = `sw_test_${randomBytes(6).toString('hex')}`;
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        await admin.query(`create schema ${schema}`);
        await admin.end();
        migrated = openStore(POSTGRES_URL, { schema });
        cleanup = async () => {
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(`drop schema if exists ${schema} cascade`);
          await client.end();
        };
      }
      assert.ok((await migrateStore(migrated)).length > 20, 'the new store was migrated here, every migration applied');
    });
    after(async () => {
      await migrated?.close();
      await cleanup?.();
      await copy?.cleanup();
    });

    it('holds every table, column, index, constraint, trigger, function, sequence and row a migrated store holds', async () => {
      const expected = await shape(migrated, dialect);
      const actual = await shape(copy.store, dialect);
      assert.ok(Object.keys(expected).length > 10 && expected.migrations!.length > 20, 'the comparison reads what a migration makes');
      assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
      for (const part of Object.keys(expected)) assert.deepEqual(actual[part], expected[part], part);
    });

    it('is migrated as far as the code goes: the migrator finds nothing to apply', async () => {
      assert.deepEqual(await migrateStore(copy.store), []);
    });

    it('is a store of its own: what one test writes, the next store made does not hold', async () => {
      await sql`insert into members (code, name, kind, created_at) values ('ZZZ', 'Written by one test', 'ally', '2026-12-06T00:00:00.000Z')`.execute(copy.store.db);
      const next = await createTestStore(dialect);
      try {
        assert.deepEqual(await rows(next.store, `select code from members where code = 'ZZZ'`), []);
      } finally {
        await next.cleanup();
      }
    });
  });
}
