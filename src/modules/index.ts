/**
 * The modules of a node, in the order their routes are registered and their commands listed.
 * buildApp, the command line, the migrations and the permission table all read this one list:
 * a new module is a folder with an index.ts (core/module.ts; docs/MODULES.md) and a line here.
 */
import type { ModuleDefinition, ModuleMigration } from '../core/module.js';
import type { Store } from '../db/database.js';
import { PermissionTable } from '../policy/permissions.js';
import { assistanceModule } from './assistance/index.js';
import { assessmentModule } from './assessment/index.js';
import { auditModule } from './audit/index.js';
import { decisionsModule } from './decisions/index.js';
import { demoModule } from './demo/index.js';
import { detectModule } from './detect/index.js';
import { directoryModule } from './directory/index.js';
import { federationModule } from './federation/index.js';
import { feedModule } from './feed/index.js';
import { incidentsModule } from './incidents/index.js';
import { intelModule } from './intel/index.js';
import { logformatsModule } from './logformats/index.js';
import { nodeModule } from './node/index.js';
import { notifyModule } from './notify/index.js';
import { taxiiModule } from './taxii/index.js';
import { warninglistsModule } from './warninglists/index.js';

export const MODULES: readonly ModuleDefinition<unknown>[] = [
  nodeModule,
  directoryModule,
  intelModule,
  taxiiModule,
  detectModule,
  logformatsModule,
  warninglistsModule,
  federationModule,
  incidentsModule,
  assistanceModule,
  assessmentModule,
  decisionsModule,
  feedModule,
  notifyModule,
  auditModule,
  demoModule,
] as readonly ModuleDefinition<unknown>[];

{
  const names = new Set<string>();
  for (const definition of MODULES) {
    if (names.has(definition.name)) throw new Error(`two modules are named '${definition.name}'`);
    names.add(definition.name);
  }
}

/** The roles' permissions granted by these modules. */
export function permissionTableOf(modules: readonly ModuleDefinition<unknown>[]): PermissionTable {
  return new PermissionTable(modules.flatMap((m) => m.permissions));
}

/** The roles' permissions: every module's grants. */
export const PERMISSIONS = permissionTableOf(MODULES);

/** Every module's migrations, named module/name (the foundation's, in db/migrations, are not here). */
export const MODULE_MIGRATIONS: readonly ModuleMigration[] = MODULES.flatMap((m) => (m.migrations ?? []).map((migration) => ({ name: `${m.name}/${migration.name}`, load: migration.load })));

/**
 * Brings a store to the latest schema: the foundation's migrations and every module's. The
 * migrator is loaded here, when used: the command line reads this file for its help.
 */
export async function migrateStore(store: Store): Promise<string[]> {
  const { migrateToLatest } = await import('../db/migrate.js');
  return migrateToLatest(store, MODULE_MIGRATIONS);
}
