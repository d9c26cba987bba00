/**
 * Property: whatever bytes arrive, the ingest path never throws, every object gets an outcome,
 * and the store holds exactly the objects reported accepted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createContext } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../core/logger.js';
import type { AppContext } from '../../core/context.js';
import { SYSTEM_PRINCIPAL } from '../../policy/principal.js';
import { DIALECTS, dialectSkip, createTestStore, type TestStore } from '../../../test/support/dialects.js';
import { indicator, ipv4, malware } from '../../../test/support/factories.js';
import { ingestStream, type ObjectOutcome } from './intel.service.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';

async function* once(bytes: Buffer, chunk: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}

const validObject = fc.oneof(
  fc.constant(null).map(() => indicator()),
  fc.constant(null).map(() => malware()),
  fc.ipV4().map((ip) => ipv4(ip)),
);

/** Damage done to an object before it is serialised. */
const objectMutation = fc.oneof(
  fc.constant((o: Record<string, unknown>) => o),
  fc.constant((o: Record<string, unknown>) => ({ ...o, id: 'not-an-id' })),
  fc.constant((o: Record<string, unknown>) => ({ ...o, created: 'yesterday' })),
  fc.constant((o: Record<string, unknown>) => ({ ...o, type: 42 })),
  fc.constant((o: Record<string, unknown>) => ({ ...o, pattern: "[file:hashes.MD5 = 'x' " })),
  fc.constant((o: Record<string, unknown>) => ({ ...o, modified: '1999-01-01T00:00:00.000Z' })),
  fc.constant((o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'type'))),
  fc.jsonValue().map((v) => () => v),
);

/** Damage done to the bytes: replace, delete or insert at random places. */
const byteEdit = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'delete', 'insert'), text: fc.string({ minLength: 1, maxLength: 4 }) });

for (const dialect of DIALECTS) {
  describe(`ingest under random and mutated input (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let testStore: TestStore;
    let ctx: AppContext;
    before(async () => {
      testStore = await createTestStore(dialect);
      const config = loadConfig({}, { dataDir: testStore.dataDir, databaseUrl: testStore.url, demo: false, logLevel: 'silent', ingestBatchSize: 7 });
      ctx = createContext({ config, store: testStore.store, logger: createLogger('silent') });
    });
    after(() => testStore.cleanup());

    it('never throws, gives every object an outcome, and stores exactly the accepted objects', async () => {
      const acceptedIds = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(validObject, objectMutation), { maxLength: 12 }),
          fc.array(byteEdit, { maxLength: 3 }),
          fc.constantFrom('bundle', 'ndjson', 'array'),
          fc.integer({ min: 1, max: 200 }),
          async (pairs, edits, format, chunk) => {
            const objects = pairs.map(([o, mutate]) => mutate(structuredClone(o) as Record<string, unknown>));
            let text =
              format === 'ndjson'
                ? objects.map((o) => JSON.stringify(o)).join('\n') + '\n'
                : format === 'array'
                  ? JSON.stringify(objects)
                  : JSON.stringify({ type: 'bundle', id: 'bundle--1f3b1f0e-5c1a-4e43-9a37-0c0f7bfbd0d1', objects });
            for (const edit of edits) {
              const at = text.length === 0 ? 0 : edit.at % text.length;
              if (edit.kind === 'replace') text = text.slice(0, at) + edit.text + text.slice(at + edit.text.length);
              else if (edit.kind === 'delete') text = text.slice(0, at) + text.slice(at + edit.text.length);
              else text = text.slice(0, at) + edit.text + text.slice(at);
            }
            const outcomes: ObjectOutcome[] = [];
            const summary = await ingestStream(ctx, SYSTEM_PRINCIPAL, once(Buffer.from(text), chunk), { onOutcome: (o) => outcomes.push(o) });
            assert.equal(summary.objects, outcomes.length);
            assert.equal(summary.accepted + summary.duplicate + summary.rejected, outcomes.length);
            for (const o of outcomes) {
              if (o.status === 'rejected') assert.ok(o.errors && o.errors.length > 0, 'a rejection says why');
              if (o.status === 'accepted') acceptedIds.add(o.id!);
            }
            if (edits.length === 0 && format !== 'ndjson') assert.equal(outcomes.length, objects.length, 'undamaged input: one outcome per object');
          },
        ),
        { numRuns: dialect === 'sqlite' ? 250 : 120 },
      );
      const stored = await testStore.store.db.selectFrom('stix_objects').select(['id', 'body']).execute();
      assert.deepEqual(new Set(stored.map((r) => r.id)), acceptedIds);
      for (const row of stored) JSON.parse(row.body);
    });
  });
}
