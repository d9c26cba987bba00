/**
 * Deleting an object with more versions than one SQL statement may name (SQLite takes 32,766
 * parameters): TAXII Delete an Object (TAXII 2.1 section 5.7) deletes them all, or the versions
 * asked for, and the newest remaining version becomes current.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { indicator } from '../../../test/support/factories.js';
import { analystNode, type TestNode } from '../../../test/support/node.js';
import { SUITE_LIMIT_MS } from '../../../test/support/wait.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { deleteObject } from './intel.delete.js';
import { findVersions } from './intel.repo.js';
import { getObject, ingestObjects } from './intel.service.js';

/** `count` versions of one indicator, a millisecond apart (STIX 2.1 section 3.6). */
function versionsOf(count: number): StixObject[] {
  const first = indicator({ created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z' });
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_v, i) => ({ ...first, modified: new Date(start + i).toISOString() }));
}

describe('deleting an object of many versions (sqlite)', { timeout: SUITE_LIMIT_MS }, () => {
  let node: TestNode;
  /** An analyst of the test member: it creates the versions, so it may delete them. */
  let analyst: Principal;
  before(async () => ({ node, analyst } = await analystNode()));
  after(async () => node?.close());

  it('deletes 33,000 versions, more than one statement may name', async () => {
    const versions = versionsOf(33_000);
    const id = versions[0]!.id;
    assert.equal((await ingestObjects(node.ctx, analyst, versions)).accepted, versions.length);
    assert.equal(await deleteObject(node.ctx, analyst, id), versions.length);
    assert.deepEqual(await findVersions(node.ctx.store, id), []);
  });

  it('deletes the versions asked for among many, and the newest remaining one becomes current', async () => {
    const versions = versionsOf(3_000);
    const id = versions[0]!.id;
    await ingestObjects(node.ctx, analyst, versions);
    const newest = versions.at(-1)!.modified!;
    const asked = [newest, versions[10]!.modified!, '2030-01-01T00:00:00.000Z'];
    assert.equal(await deleteObject(node.ctx, analyst, id, { exact: asked }), 2, 'the two stored of the three asked for');
    assert.equal((await findVersions(node.ctx.store, id)).length, versions.length - 2);
    const current = await getObject(node.ctx, analyst, id);
    assert.equal(current.modified, versions.at(-2)!.modified, 'the newest remaining version is current');
  });
});
