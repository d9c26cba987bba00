/** Deletion of object versions (TAXII Delete an Object). */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import { accessOfColumns, canDelete, canRead } from '../../policy/rule.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import { forgetHandlingTable } from './intel.ingest.js';
import type { ListInput } from './intel.pages.js';
import { STIX_ID } from './intel.read.js';
import * as repo from './intel.repo.js';
import { versionKey } from './intel.rows.js';

/**
 * Deletes versions of an object (TAXII Delete an Object): all of them, or those whose versions
 * match. Versions the actor may not read are left alone and not mentioned; if it may read some
 * but delete none, the answer is 403, if it may read none, 404.
 */
export async function deleteObject(
  ctx: AppContext,
  actor: Principal,
  id: string,
  versions: ListInput['versions'] = { all: true },
  within?: ListInput['within'],
): Promise<number> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  const stored = await repo.findVersions(ctx.store, id);
  const readable = stored.filter((row) => canRead(actor, accessOfColumns(row)) && (!within || within(accessOfColumns(row))));
  // The versions asked for, once: each stored version is compared with them in one lookup.
  const exact = new Set((versions.exact ?? []).map((t) => versionKey(t)));
  const selected = readable.filter((row, i) => {
    if (versions.all) return true;
    const newest = i === readable.length - 1;
    if ((versions.last === true && newest) || (versions.first === true && i === 0)) return true;
    if (exact.size === 0) return false;
    const object = JSON.parse(row.body) as StixObject;
    return exact.has(versionKey(typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : undefined));
  });
  if (selected.length === 0) throw shieldwallError('NOT_FOUND', `no object with id ${id}${versions.all ? '' : ' in the versions asked for'}`);
  if (!selected.every((row) => canDelete(actor, accessOfColumns(row), { createdByRef: row.created_by_ref, originMember: row.origin_member, submitter: row.submitter }))) {
    throw shieldwallError('FORBIDDEN', `only the member that created ${id}, or a node administrator, deletes it`);
  }
  await repo.deleteVersions(ctx.store, id, selected.map((row) => Number(row.seq)), (tx) =>
    audit.recordInTransaction(ctx, tx, actor, [{ action: 'intel.delete', subject: id, detail: { versions: selected.length } }]),
  );
  const type = id.slice(0, id.indexOf('--'));
  // The node's marking table must not keep the handling of a definition the store no longer holds.
  if (type === 'marking-definition') forgetHandlingTable(ctx);
  ctx.bus.publish('intel.deleted', { id, type });
  return selected.length;
}

/**
 * Deletes an object's versions past its newest `keep` (at most `batch` at a time), for the
 * node's own records whose every change stores a whole new version (an incident's STIX copy):
 * the store would otherwise hold the square of their history. Peers keep what they received.
 * `onDeleted` records it in the same transaction. Answers how many were deleted.
 */
export async function deleteOlderVersions(ctx: AppContext, id: string, keep: number, batch: number, onDeleted: (tx: WriteTx) => Promise<void>): Promise<number> {
  const heads = await repo.findVersionHeads(ctx.store, id, undefined, keep + batch);
  const older = heads.slice(keep).map((head) => Number(head.seq));
  if (older.length === 0) return 0;
  await repo.deleteVersions(ctx.store, id, older, onDeleted);
  return older.length;
}
