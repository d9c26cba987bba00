/**
 * Boards of records (incidents here; requests for assistance, teams, deployments, consultations,
 * proposals and statements page the same way, db/keyset.ts) read in windows of
 * BOARD_WINDOW_ROWS rows of their (modified, id) index: the records a reader may not read, newer
 * than what it may, are examined a window at a time with turns of the event loop between, and
 * the page is the same as read in one go.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, dialectSkip } from '../../../test/support/dialects.js';
import { createTestNode, type TestNode } from '../../../test/support/node.js';
import { countTurns, SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import { BOARD_WINDOW_ROWS } from '../../db/keyset.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { createUser, principalOfUser, upsertMembers } from '../directory/directory.service.js';
import { listIncidents, reportIncident } from './incidents.service.js';

/** Records the reader may not read, newer than its own: more than two windows. */
const UNREADABLE = 2 * BOARD_WINDOW_ROWS + 1000;

for (const dialect of DIALECTS) {
  describe(`boards read in windows (${dialect})`, { skip: await dialectSkip(dialect), timeout: SUITE_LIMIT_MS }, () => {
    let node: TestNode;
    let reader: Principal;
    const own: string[] = [];

    before(async () => {
      node = await createTestNode(dialect);
      await upsertMembers(node.ctx, SYSTEM_PRINCIPAL, [{ code: 'OTH', name: 'Other ally', kind: 'ally', country: null, identityId: `identity--${randomUUID()}` }]);
      await createUser(node.ctx, SYSTEM_PRINCIPAL, { name: 'oth-analyst', member: 'OTH', clearance: 4, roles: ['analyst'] });
      reader = (await principalOfUser(node.ctx, 'test-analyst'))!;
      const other = (await principalOfUser(node.ctx, 'oth-analyst'))!;
      for (const title of ['Wiper at a grid operator', 'Ransomware at a port']) own.unshift((await reportIncident(node.ctx, reader, { title, tlp: 'amber', releasability: ['TST'] })).id);
      const hidden = await reportIncident(node.ctx, other, { title: 'Kept to OTH', tlp: 'amber', releasability: ['OTH'] });
      // Copies of OTH's record, changed later than the reader's: stored as rows, quick to make.
      const db = node.ctx.store.db;
      const row = await db.selectFrom('incidents').selectAll().where('id', '=', hidden.id).executeTakeFirstOrThrow();
      const base = Date.parse(row.modified);
      for (let i = 0; i < UNREADABLE; i += 500) {
        const rows = Array.from({ length: Math.min(500, UNREADABLE - i) }, (_v, k) => ({ ...row, id: `incident--${randomUUID()}`, modified: new Date(base + 1000 + i + k).toISOString() }));
        await db.insertInto('incidents').values(rows).execute();
      }
    });
    after(async () => node?.close());

    it('gives the records the reader may read, newest first, with turns between windows of the others', async () => {
      const turns = countTurns();
      const page = await listIncidents(node.ctx, reader, {});
      const turned = turns.stop();
      assert.deepEqual(page.incidents.map((i) => i.id), own);
      assert.equal(page.next_cursor, null);
      assert.ok(turned >= Math.floor(UNREADABLE / BOARD_WINDOW_ROWS), `${turned} turns of the event loop over ${UNREADABLE} unreadable records`);
      // Page by page: the same records, the cursor naming the last one given.
      const first = await listIncidents(node.ctx, reader, { limit: 1 });
      assert.deepEqual(first.incidents.map((i) => i.id), [own[0]]);
      assert.ok(first.next_cursor);
      const second = await listIncidents(node.ctx, reader, { limit: 1, cursor: first.next_cursor });
      assert.deepEqual(second.incidents.map((i) => i.id), [own[1]]);
      assert.equal(second.next_cursor, null);
    });
  });
}
