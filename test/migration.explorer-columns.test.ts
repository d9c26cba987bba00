/**
 * Migration 0013 fills description and target_ref of rows stored before it exactly as ingest
 * fills them (intel.rows descriptionOf, targetRef): the same values from the SQL of each dialect
 * as from the parsed object, bodies the database's JSON cannot read included.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import type { AppContext } from '../src/core/context.js';
import { createLogger } from '../src/core/logger.js';
import { fillExplorerColumns } from '../src/db/migrations/0013_explorer_columns.js';
import { ingestStream } from '../src/modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from './support/dialects.js';
import { indicator, ipv4, malware } from './support/factories.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
type Columns = { id: string; description: string | null; target_ref: string | null };

for (const dialect of DIALECTS) {
  describe(`migration 0013 fills the explorer's columns as ingest does (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let ctx: AppContext;
    const family = malware({ description: 'A family ünïcödé ✓ 𝔘 with 100% of its _wildcards_' });
    const nul = indicator({ description: 'a \u0000 in the text' });
    const deep = indicator({ description: 'deep down' });
    const escaped = indicator({ description: 'plain' });
    const objects: unknown[] = [
      indicator(),
      family,
      nul,
      deep,
      escaped,
      { type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: T0, modified: T0, relationship_type: 'indicates', source_ref: `indicator--${randomUUID()}`, target_ref: family.id, description: 'why' },
      { type: 'sighting', spec_version: '2.1', id: `sighting--${randomUUID()}`, created: T0, modified: T0, sighting_of_ref: family.id, description: 'seen', count: 2 },
      ipv4('198.51.100.3'),
    ];

    before(async () => {
      testStore = await createTestStore(dialect);
      const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      ctx = createContext({ config, store: testStore.store, logger: createLogger('silent', 2) });
      const text = objects.map((o) => JSON.stringify(o)).join('\n');
      const summary = await ingestStream(ctx, SYSTEM_PRINCIPAL, Readable.from([Buffer.from(text)]));
      assert.equal(summary.accepted, objects.length, JSON.stringify(summary));
    });
    after(async () => testStore?.cleanup());

    const read = async (): Promise<Columns[]> => (await sql<Columns>`select id, description, target_ref from stix_objects order by seq`.execute(testStore.store.db)).rows;

    it('gives every row the columns ingest gave it', async () => {
      const atIngest = await read();
      assert.deepEqual(atIngest.find((r) => r.id === family.id)?.description, family.description);
      assert.ok(atIngest.some((r) => r.target_ref === family.id));
      assert.equal(atIngest.filter((r) => r.target_ref !== null).length, 1, 'only the relationship has a target');
      // Bodies as older nodes may have stored them: nested beyond SQLite's JSON depth, and a key written with an escape.
      let nested: unknown = 'bottom';
      for (let i = 0; i < 1100; i++) nested = [nested];
      await sql`update stix_objects set body = ${JSON.stringify({ ...deep, x_deep: nested })} where id = ${deep.id}`.execute(testStore.store.db);
      await sql`update stix_objects set body = ${JSON.stringify(escaped).replace('"description"', '"descr\\u0069ption"')} where id = ${escaped.id}`.execute(testStore.store.db);
      await sql`update stix_objects set description = null, target_ref = null`.execute(testStore.store.db);
      await fillExplorerColumns(testStore.store.db as unknown as Kysely<unknown>, dialect);
      assert.deepStrictEqual(await read(), atIngest);
      assert.equal(atIngest.find((r) => r.id === nul.id)?.description, dialect === 'postgres' ? 'a \uFFFD in the text' : nul.description);
    });
  });
}
