/**
 * Migration 0011 fills the parsed columns of rows stored before it exactly as ingest fills them
 * (intel.rows): the same values from the SQL of each dialect as from the parsed object.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { createContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import type { AppContext } from '../src/core/context.js';
import { createLogger } from '../src/core/logger.js';
import { fillParsedColumns } from '../src/db/migrations/0011_parsed_columns.js';
import { ingestStream } from '../src/modules/intel/intel.service.js';
import { SYSTEM_PRINCIPAL } from '../src/policy/principal.js';
import { DIALECTS, createTestStore, dialectSkip, type TestStore } from './support/dialects.js';
import { indicator, malware } from './support/factories.js';
import { SUITE_LIMIT_MS } from './support/wait.js';

const T0 = '2024-03-01T10:00:00.000Z';
const EXTENSION = 'extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade';
const COLUMNS = ['id', 'label', 'about_ref', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'confidence', 'granular'] as const;
type Columns = Record<(typeof COLUMNS)[number], unknown>;

for (const dialect of DIALECTS) {
  describe(`migration 0011 fills parsed columns as ingest does (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let ctx: AppContext;
    const family = malware({ name: 'x'.repeat(600) });
    const objects: unknown[] = [
      indicator({ confidence: 85, valid_until: '2030-01-01T00:00:00.123456Z', pattern_version: '2.1', granular_markings: [{ selectors: ['name'], marking_ref: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da' }] }),
      indicator({ pattern_type: 'sigma', pattern: 'title: x', confidence: 0 }),
      // PostgreSQL's jsonb refuses \u0000: the migration parses such a body itself.
      indicator({ description: 'a \u0000 in the text', confidence: 12, valid_until: '2031-01-01T00:00:00Z' }),
      indicator({
        extensions: { [EXTENSION]: { extension_type: 'property-extension', pattern: "[x:y = 'z']", valid_until: '2001-01-01T00:00:00Z', confidence: 3 } },
        external_references: [{ source_name: 'feed', url: 'https://feed.example/', valid_from: '2100-01-01T00:00:00Z' }],
      }),
      { ...indicator({ name: 'ünïcödé ✓ 𝔘' }), spec_version: undefined },
      family,
      { type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: T0, modified: T0, relationship_type: 'indicates', source_ref: `indicator--${randomUUID()}`, target_ref: family.id },
      { type: 'sighting', spec_version: '2.1', id: `sighting--${randomUUID()}`, created: T0, modified: T0, sighting_of_ref: `indicator--${randomUUID()}`, count: 2 },
      { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd', value: '198.51.100.3' },
    ];

    before(async () => {
      testStore = await createTestStore(dialect);
      const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent' });
      ctx = createContext({ config, store: testStore.store, logger: createLogger('silent', 2) });
      // Spaced JSON, one object a line: stored as it came (intel.prepare keeps compact producers' text).
      const text = objects.map((o) => JSON.stringify(o).replace(/":/g, '": ').replace(/,"/g, ', "')).join('\n');
      const summary = await ingestStream(ctx, SYSTEM_PRINCIPAL, Readable.from([Buffer.from(text)]));
      assert.equal(summary.accepted, objects.length, JSON.stringify(summary));
    });
    after(async () => testStore?.cleanup());

    const read = async (): Promise<Columns[]> => {
      const { rows } = await sql<Columns>`select ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from stix_objects order by seq`.execute(testStore.store.db);
      return rows.map((r) => ({ ...r, confidence: r.confidence === null ? null : Number(r.confidence), granular: r.granular === null ? null : Number(r.granular) }));
    };

    it('gives every row the columns ingest gave it', async () => {
      const atIngest = await read();
      assert.ok(atIngest.some((r) => r.pattern === "[ipv4-addr:value = '198.51.100.7']" && r.confidence === 85 && r.granular === 1));
      assert.ok(String((await sql<{ body: string }>`select body from stix_objects where type = 'indicator'`.execute(testStore.store.db)).rows[0]!.body).includes('": "'), 'bodies stored spaced');
      // A body nested deeper than SQLite's JSON reads (stored before ingest limited depth): parsed by the migration itself.
      const deep = objects[2] as Record<string, unknown>;
      let nested: unknown = 'bottom';
      for (let i = 0; i < 1100; i++) nested = [nested];
      await sql`update stix_objects set body = ${JSON.stringify({ ...deep, x_deep: nested })} where id = ${deep['id'] as string}`.execute(testStore.store.db);
      // The rows as migration 0006 left them: no parsed columns, relationships and sightings labelled by what they are about.
      await sql`update stix_objects set about_ref = null, pattern = null, pattern_type = null, pattern_version = null, valid_from = null, valid_until = null, confidence = null, granular = null`.execute(testStore.store.db);
      await sql`update stix_objects set label = 'stale' where type in ('relationship', 'sighting')`.execute(testStore.store.db);
      await fillParsedColumns(testStore.store.db as unknown as Kysely<unknown>, dialect);
      assert.deepStrictEqual(await read(), atIngest);
    });
  });
}
