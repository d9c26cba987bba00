/**
 * The module contract (src/core/module.ts, docs/MODULES.md): one explicit list of modules, each
 * folder with its definition, every permission in docs/POLICY.md's table exactly as granted,
 * every command and route of a module that declares it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/cli/commands.js';
import { MODULES, PERMISSIONS } from '../src/modules/index.js';
import { PermissionTable } from '../src/policy/permissions.js';
import { ROLES } from '../src/policy/principal.js';
import { REPO_ROOT } from './support/paths.js';

/** The rows of the markdown table that follows a heading, as arrays of trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  assert.ok(start >= 0, `docs/POLICY.md has a section '${heading}'`);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split('|').map((cell) => cell.trim()));
  }
  return rows;
}

describe('the module list', () => {
  it('holds every folder of src/modules that has a definition, and each folder has one', () => {
    const folders = readdirSync(path.join(REPO_ROOT, 'src/modules'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const folder of folders) assert.ok(existsSync(path.join(REPO_ROOT, 'src/modules', folder, 'index.ts')), `src/modules/${folder} has an index.ts with its definition`);
    assert.deepEqual(MODULES.map((m) => m.name).sort(), folders.sort(), 'MODULES in src/modules/index.ts lists every module folder, by its name');
  });

  it('gives each permission to exactly one module, and each command to exactly one module', () => {
    const owners = new Map<string, string>();
    for (const m of MODULES) for (const p of m.permissions) {
      assert.ok(!owners.has(p.name), `${p.name} is declared by ${owners.get(p.name)} and ${m.name}`);
      owners.set(p.name, m.name);
    }
    assert.equal(COMMANDS.length, new Set(COMMANDS.map((c) => c.name)).size, 'command names are unique');
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      MODULES.flatMap((m) => (m.commands ?? []).map((c) => c.name)),
    );
  });

  it('refuses a permission table with a duplicate, a malformed name or an unknown role', () => {
    assert.throws(() => new PermissionTable([{ name: 'a:b', description: '', roles: [] }, { name: 'a:b', description: '', roles: [] }]), /declared twice/);
    assert.throws(() => new PermissionTable([{ name: 'Read', description: '', roles: [] }]), /area:action/);
    assert.throws(() => new PermissionTable([{ name: 'a:b', description: '', roles: ['janitor' as never] }]), /unknown role 'janitor'/);
    assert.throws(() => PERMISSIONS.has(undefined, 'intel:raed'), /unknown permission 'intel:raed'/);
  });
});

describe("docs/POLICY.md's table of roles and permissions", () => {
  const markdown = readFileSync(path.join(REPO_ROOT, 'docs/POLICY.md'), 'utf8');
  const [header, , ...rows] = tableAfter(markdown, '## Roles and permissions');

  it('has a column for every permission of every module, and none other', () => {
    assert.deepEqual(header!.slice(1).sort(), PERMISSIONS.grants.map((g) => g.name).sort());
  });

  it('marks exactly the permissions each role is granted', () => {
    assert.deepEqual(rows.map((r) => r[0]).sort(), [...ROLES].sort(), 'one row per role');
    for (const row of rows) {
      const role = ROLES.find((r) => r === row[0])!;
      header!.slice(1).forEach((permission, i) => {
        const marked = row[i + 1] === '✓';
        assert.equal(marked, PERMISSIONS.of(role).has(permission), `${role} / ${permission}: the table says ${marked ? '✓' : 'nothing'}`);
      });
    }
  });

  it('names the module that declares each permission and what it allows', () => {
    const [, , ...described] = tableAfter(markdown, '| permission | module | allows |');
    const expected = MODULES.flatMap((m) => m.permissions.map((p) => [p.name, m.name, p.description]));
    assert.deepEqual(described.map((r) => r.join(' / ')).sort(), expected.map((r) => r.join(' / ')).sort());
  });
});

describe("a module's migrations", () => {
  it('run once, after the foundation, named module/name, and a later one of the module runs on its own', async () => {
    const { openStore } = await import('../src/db/database.js');
    const { migrateToLatest } = await import('../src/db/migrate.js');
    const { sql } = await import('kysely');
    const store = openStore('sqlite::memory:');
    try {
      const loads: string[] = [];
      const first = {
        name: 'example/0001_notes',
        load: async () => {
          loads.push('0001');
          return { up: async (db: import('kysely').Kysely<unknown>) => void (await db.schema.createTable('example_notes').addColumn('id', 'integer', (c) => c.primaryKey()).execute()) };
        },
      };
      const applied = await migrateToLatest(store, [first]);
      assert.equal(applied.at(-1), 'example/0001_notes', 'the module migration runs after every foundation migration');
      assert.ok(applied.includes('0001_intel_store'));
      assert.deepEqual(await migrateToLatest(store, [first]), [], 'nothing runs twice');
      const second = { name: 'example/0002_title', load: async () => ({ up: async (db: import('kysely').Kysely<unknown>) => void (await sql`alter table example_notes add column title text`.execute(db)) }) };
      assert.deepEqual(await migrateToLatest(store, [first, second]), ['example/0002_title']);
      await sql`insert into example_notes (id, title) values (1, 'x')`.execute(store.db);
      assert.deepEqual(loads, ['0001'], 'a migration file is loaded only when it is to run');
    } finally {
      await store.close();
    }
  });
});

describe('a module in a node', () => {
  it('gets its state, root plugin, routes, events and close, in that order, and its permissions decide', async () => {
    const { buildApp } = await import('../src/app.js');
    const { defineModule } = await import('../src/core/module.js');
    const { loadConfig } = await import('../src/config/config.js');
    const { createTestStore } = await import('./support/dialects.js');
    const { directoryModule } = await import('../src/modules/directory/index.js');
    const { auditModule } = await import('../src/modules/audit/index.js');
    const { createToken, createUser, upsertMembers } = await import('../src/modules/directory/directory.service.js');
    const { SYSTEM_PRINCIPAL } = await import('../src/policy/principal.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');

    const seen: string[] = [];
    const example = defineModule({
      name: 'example',
      summary: 'a module of the test',
      permissions: [{ name: 'example:read', description: 'read the example', roles: ['coordinator'] }],
      server: async () => ({
        create: (ctx) => {
          seen.push('create');
          return { added: 0, store: ctx.store.dialect };
        },
        root: () => async (app) => {
          seen.push('root');
          app.addHook('onRequest', async (request) => void (request.headers['x-example-root'] = 'yes'));
        },
        routes: (_ctx, state) => async (app) => {
          seen.push('routes');
          app.get('/api/v1/example', { config: { permission: 'example:read' } }, async (request) => ({ added: state.added, actor: request.actor.userName, root: request.headers['x-example-root'] }));
        },
        events: (_ctx, state) => ({ 'intel.added': ({ objects }) => void (state.added += objects.length) }),
        jobs: (_ctx, state) => [{ kind: 'example.count', handler: async (payload) => void (state.added += (payload as { by: number }).by) }],
        close: () => void seen.push('close'),
      }),
    });

    const testStore = await createTestStore('sqlite');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'shieldwall-modules-'));
    const config = loadConfig({}, { dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
    const node = await buildApp({ config, store: testStore.store, logger: false, modules: [directoryModule, auditModule, example] });
    try {
      assert.deepEqual(seen, ['create', 'root', 'routes']);
      assert.deepEqual(node.instanceOf(example), { added: 0, store: 'sqlite' });
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'DE', name: 'Germany', kind: 'ally', country: 'DE', identityId: null }]);
      const token = async (name: string, role: 'coordinator' | 'analyst') => {
        await createUser(node.ctx, SYSTEM_PRINCIPAL, { name, member: 'DE', clearance: 1, roles: [role] });
        return (await createToken(node.ctx, SYSTEM_PRINCIPAL, { name: `${name}-token`, user: name })).token;
      };
      const coordinator = await token('coord', 'coordinator');
      const analyst = await token('ana', 'analyst');
      node.ctx.bus.publish('intel.added', { objects: [{ id: 'indicator--1', type: 'indicator', seq: 1 }, { id: 'indicator--2', type: 'indicator', seq: 2 }] });
      const allowed = await node.app.inject({ url: '/api/v1/example', headers: { authorization: `Bearer ${coordinator}` } });
      assert.equal(allowed.statusCode, 200, allowed.body);
      assert.deepEqual(allowed.json(), { added: 2, actor: 'coord', root: 'yes' });
      assert.equal((await node.app.inject({ url: '/api/v1/example', headers: { authorization: `Bearer ${analyst}` } })).statusCode, 403, 'a role the module does not grant');
      assert.equal((await node.app.inject({ url: '/api/v1/example' })).statusCode, 401);
      assert.throws(() => node.federation, /module 'federation' has no state in this node/);
      await node.jobs.enqueue('example.count', { by: 5 }, { key: 'example.count:once' });
      assert.equal(await node.jobs.runDue(), 1, "the node's scheduler runs the module's job");
      assert.equal(node.instanceOf(example).added, 7);
    } finally {
      await node.app.close();
      await testStore.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
    assert.deepEqual(seen, ['create', 'root', 'routes', 'close']);
  });
});

describe('a module job of the wrong name', () => {
  it('stops the node from being built', async () => {
    const { buildApp } = await import('../src/app.js');
    const { defineModule } = await import('../src/core/module.js');
    const { loadConfig } = await import('../src/config/config.js');
    const { createTestStore } = await import('./support/dialects.js');
    const testStore = await createTestStore('sqlite');
    try {
      const stray = defineModule({
        name: 'stray',
        summary: 'a module of the test',
        permissions: [],
        server: async () => ({ create: () => undefined, jobs: () => [{ kind: 'other.thing', handler: async () => undefined }] }),
      });
      const config = loadConfig({}, { databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      await assert.rejects(buildApp({ config, store: testStore.store, logger: false, modules: [stray] }), /module 'stray' names a job kind 'other.thing': kinds are named stray.<purpose>/);
    } finally {
      await testStore.cleanup();
    }
  });
});
