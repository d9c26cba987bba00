import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { ModuleMigration } from '../core/module.js';
import type { DialectName, Store } from './database.js';
import * as m0001 from './migrations/0001_intel_store.js';
import * as m0002 from './migrations/0002_need_to_know.js';
import * as m0003 from './migrations/0003_taxii.js';
import * as m0004 from './migrations/0004_federation.js';
import * as m0005 from './migrations/0005_warning_lists.js';
import * as m0006 from './migrations/0006_detect_context.js';
import * as m0007 from './migrations/0007_ownership.js';
import * as m0008 from './migrations/0008_credential_requests.js';
import * as m0009 from './migrations/0009_audit_mac.js';
import * as m0010 from './migrations/0010_federation_peers.js';
import * as m0011 from './migrations/0011_parsed_columns.js';
import * as m0012 from './migrations/0012_jobs.js';
import * as m0013 from './migrations/0013_explorer_columns.js';
import * as m0014 from './migrations/0014_about_seq.js';
import * as m0015 from './migrations/0015_access_set_lookup.js';
import * as m0016 from './migrations/0016_definitions_by_writer.js';
import * as m0017 from './migrations/0017_seq_floor.js';
import * as m0018 from './migrations/0018_deletions.js';
import * as m0019 from './migrations/0019_current_by_id.js';
import * as m0020 from './migrations/0020_pending_by_seq.js';

interface NumberedMigration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Numbered migrations, applied in name order; a new one is a new file and a line here. */
const MIGRATIONS: Record<string, NumberedMigration> = {
  '0001_intel_store': m0001,
  '0002_need_to_know': m0002,
  '0003_taxii': m0003,
  '0004_federation': m0004,
  '0005_warning_lists': m0005,
  '0006_detect_context': m0006,
  '0007_ownership': m0007,
  '0008_credential_requests': m0008,
  '0009_audit_mac': m0009,
  '0010_federation_peers': m0010,
  '0011_parsed_columns': m0011,
  '0012_jobs': m0012,
  '0013_explorer_columns': m0013,
  '0014_about_seq': m0014,
  '0015_access_set_lookup': m0015,
  '0016_definitions_by_writer': m0016,
  '0017_seq_floor': m0017,
  '0018_deletions': m0018,
  '0019_current_by_id': m0019,
  '0020_pending_by_seq': m0020,
};

class StaticProvider implements MigrationProvider {
  constructor(
    private readonly dialect: DialectName,
    private readonly modules: readonly ModuleMigration[],
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, migration] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db) => migration.up(db, this.dialect) };
    }
    for (const migration of this.modules) {
      if (out[migration.name]) throw new Error(`two migrations are named '${migration.name}'`);
      out[migration.name] = { up: async (db) => (await migration.load()).up(db, this.dialect) };
    }
    return out;
  }
}

/**
 * What a PostgreSQL store needs before the first start, said when it is missing: the server
 * answering, the user let in, the database made (CREATE DATABASE), a schema on search_path the
 * user may create tables in. Shieldwall creates its tables; the database and schema are the
 * operator's (docs/OPERATIONS.md, Stores).
 */
function postgresProblem(location: string, error: unknown): string {
  const e = error as { code?: string; message?: string };
  const said = e.message ?? String(error);
  switch (e.code) {
    case '3D000': {
      const name = /database "([^"]+)"/.exec(said)?.[1] ?? 'NAME';
      return `PostgreSQL at ${location}: ${said}: create it first (createdb ${name}, or CREATE DATABASE "${name}"); Shieldwall creates its tables, not the database`;
    }
    case '28P01':
    case '28000':
      return `PostgreSQL at ${location} refused the user: ${said}: check the user and password in SHIELDWALL_DATABASE_URL (and pg_hba.conf)`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return `PostgreSQL at ${location} cannot be reached (${said}): is it running there? check the host and port of SHIELDWALL_DATABASE_URL`;
    default:
      return `PostgreSQL at ${location}: ${said}`;
  }
}

/**
 * Applies the foundation's migrations (db/migrations) and the modules' (named module/name, from
 * their definitions: modules/index.ts migrateStore passes them), each once, in name order; the
 * foundation's names (digits) sort before every module's. A module's migrations may arrive after
 * later foundation ones were applied: they run then, in their own order.
 */
export async function migrateToLatest(store: Store, moduleMigrations: readonly ModuleMigration[] = []): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours, so
  // that several nodes (or test runs) in one PostgreSQL database never see each other's.
  let migrationTableSchema: string | undefined;
  if (store.dialect === 'postgres') {
    let row: { schema: string | null; search_path: string; may_create: boolean | null } | undefined;
    try {
      ({ rows: [row] } = await sql<{ schema: string | null; search_path: string; may_create: boolean | null }>`
        select current_schema() as schema, current_setting('search_path') as search_path,
               has_schema_privilege(current_schema(), 'CREATE') as may_create`.execute(store.db));
    } catch (error) {
      throw new Error(postgresProblem(store.location, error), { cause: error });
    }
    migrationTableSchema = row?.schema ?? undefined;
    if (!migrationTableSchema) {
      throw new Error(
        `PostgreSQL at ${store.location}: no schema named by search_path (${row?.search_path ?? 'unset'}) exists: ` +
          'create it (CREATE SCHEMA name AUTHORIZATION the_user) or name one that exists (?options=-c%20search_path%3Dname in SHIELDWALL_DATABASE_URL); Shieldwall creates its tables, not the database or the schema',
      );
    }
    // Already migrated (every start but the first): nothing to ask Kysely's migrator, which
    // introspects every table of every schema in the database to find its own.
    if (await allApplied(store, migrationTableSchema, moduleMigrations)) return [];
    if (row?.may_create === false) {
      throw new Error(`PostgreSQL at ${store.location}: the user may not create tables in schema '${migrationTableSchema}': GRANT CREATE ON SCHEMA ${migrationTableSchema} TO the user, or name a schema it owns`);
    }
  }
  const migrator = new Migrator({
    db: store.db,
    provider: new StaticProvider(store.dialect, moduleMigrations),
    allowUnorderedMigrations: true,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const failed = results?.find((r) => r.status === 'Error');
    // No migration of ours ran, and the migrator's introspection tripped on another schema
    // being dropped meanwhile: ask again.
    if (!failed && migrationTableSchema && vanishedElsewhere(error, migrationTableSchema) && attempt < 5) continue;
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/**
 * Whether a PostgreSQL error names a schema, or a table of a schema, other than `ours` as missing:
 * what Kysely's introspection (every table of every schema, `pg_get_serial_sequence` on each
 * column) raises when another schema of the database is dropped while it reads. Seen both ways in
 * test runs that drop their schemas side by side: `schema "sw_test_..." does not exist` (3F000)
 * and `relation "sw_test_....kysely_migration" does not exist` (42P01). A missing object of our
 * own schema, or one named without its schema, is not this: the caller reports it.
 */
export function vanishedElsewhere(error: unknown, ours: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  const said = String(message ?? '');
  if (code === '3F000') {
    const schema = /^schema "([^"]+)" does not exist/.exec(said)?.[1];
    return schema !== undefined && schema !== ours;
  }
  if (code === '42P01') {
    const schema = /^relation "([^".]+)\.[^"]+" does not exist/.exec(said)?.[1];
    return schema !== undefined && schema !== ours;
  }
  // A column the introspection listed, gone when it asked for the column's sequence: seen as
  // `column "assistance_key" of relation "notify_deliveries" does not exist` (42703) while a
  // test run beside it migrated or dropped its own schema. PostgreSQL names the table without its
  // schema, but this is asked only when no migration of ours failed: the tables of our schema
  // change in our migrations alone, which run after the introspection, so the column was another
  // schema's.
  if (code === '42703') return /^column "[^"]+" of relation "[^"]+" does not exist/.test(said);
  return false;
}

/** Whether every migration is recorded in the schema's Kysely bookkeeping table (PostgreSQL). */
async function allApplied(store: Store, schema: string, moduleMigrations: readonly ModuleMigration[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.id(schema, 'kysely_migration')}`.execute(store.db);
    const applied = new Set(rows.map((r) => r.name));
    return [...Object.keys(MIGRATIONS), ...moduleMigrations.map((m) => m.name)].every((name) => applied.has(name));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return false; // no bookkeeping table yet: a new store
    throw new Error(postgresProblem(store.location, error), { cause: error });
  }
}
