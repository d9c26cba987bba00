import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
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
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, migration] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db) => migration.up(db, this.dialect) };
    }
    return out;
  }
}

export async function migrateToLatest(store: Store): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours, so
  // that several nodes (or test runs) in one PostgreSQL database never see each other's.
  let migrationTableSchema: string | undefined;
  if (store.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
    migrationTableSchema = rows[0]?.schema;
    if (!migrationTableSchema) throw new Error('PostgreSQL has no current schema: check search_path for the connecting user');
  }
  const migrator = new Migrator({
    db: store.db,
    provider: new StaticProvider(store.dialect),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
