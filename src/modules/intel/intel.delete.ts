/** Deletion of object versions (TAXII Delete an Object). */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { WriteTx } from '../../db/database.js';
import type { Principal } from '../../policy/principal.js';
import { accessOfColumns, canDelete, canReadVersion } from '../../policy/rule.js';
import * as audit from '../audit/audit.service.js';
import { addedOf, refreshHandling } from './intel.ingest.js';
import type { ListInput } from './intel.pages.js';
import { STIX_ID } from './intel.read.js';
import * as repo from './intel.repo.js';
import { versionKey } from './intel.rows.js';

/**
 * Deletes versions of an object (TAXII Delete an Object): all of them, or those whose versions
 * match. Versions the actor may not read are left alone and not mentioned; if it may read some
 * but delete none, the answer is 403, if it may read none, 404. Read as every read path reads
 * (canReadVersion): an older version only with a current one, or by its originator; otherwise
 * the 403 would tell a reader that an object re-marked out of its reach is still held, and which
 * of its older versions exist.
 */
export async function deleteObject(
  ctx: AppContext,
  actor: Principal,
  id: string,
  versions: ListInput['versions'] = { all: true },
  within?: ListInput['within'],
): Promise<number> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  // The versions asked for, once: each stored version key is compared with them in one lookup.
  const exact = new Set((versions.exact ?? []).map((t) => versionKey(t)));
  // Decided on the versions' columns alone (their version key among them), newest first, a run at
  // a time: an object may hold tens of thousands of versions, and their bodies are not needed.
  const selected: number[] = [];
  let deletable = true;
  let newest: repo.VersionHead | undefined;
  let oldest: repo.VersionHead | undefined;
  const select = (head: repo.VersionHead) => {
    selected.push(Number(head.seq));
    deletable &&= canDelete(actor, accessOfColumns(head), { createdByRef: head.created_by_ref, originMember: head.origin_member, submitter: head.submitter });
  };
  // Without 'all' or 'first', the read stops once the newest readable version is known (if
  // 'last' is asked for) and the versions are older than every one asked for.
  const stopsEarly = versions.all !== true && versions.first !== true;
  const oldestAsked = exact.size > 0 ? [...exact].sort()[0] : undefined;
  const current = (await repo.currentMarkings(ctx.store, [id])).map(accessOfColumns);
  let position: repo.VersionPosition | undefined;
  read: for (let run = VERSION_HEADS_RUN; ; run = Math.min(run * 2, VERSION_HEADS_RUN_MAX)) {
    const heads = await repo.findVersionHeads(ctx.store, id, position, run);
    for (const head of heads) {
      if (stopsEarly && (newest !== undefined || versions.last !== true) && (oldestAsked === undefined || head.version < oldestAsked)) break read;
      const access = accessOfColumns(head);
      if (!canReadVersion(actor, access, current) || (within && !within(access))) continue;
      newest ??= head;
      oldest = head;
      if (versions.all === true || exact.has(head.version)) select(head);
      else if (versions.last === true && head === newest) select(head);
    }
    if (heads.length < run) break;
    const last = heads[heads.length - 1]!;
    position = { version: last.version, seq: Number(last.seq) };
  }
  // The oldest readable version is known once every run is read.
  if (versions.first === true && oldest !== undefined && !selected.includes(Number(oldest.seq))) select(oldest);
  if (selected.length === 0) throw shieldwallError('NOT_FOUND', `no object with id ${id}${versions.all ? '' : ' in the versions asked for'}`);
  if (!deletable) throw shieldwallError('FORBIDDEN', `only the member that created ${id}, or a node administrator, deletes it`);
  // A definition marks other members' objects too (granular markings on their fields, among
  // them), and once deleted its id may be defined anew, with other handling: deleted by its
  // creator and defined again releasable to all, it would show what those markings hid. A
  // definition never changes once accepted (STIX 2.1 section 7.2.1); deleting one is the node's.
  if (id.startsWith('marking-definition--') && actor.kind !== 'system' && !actor.roles.includes('node-admin')) {
    throw shieldwallError('FORBIDDEN', `only a node administrator deletes a marking-definition (${id}): objects of other members may be marked with it, and its id could then be defined anew with other handling`);
  }
  const promoted = await repo.deleteVersions(ctx.store, id, selected, ctx.clock.now().getTime() * 1000, (tx) =>
    audit.recordInTransaction(ctx, tx, actor, [{ action: 'intel.delete', subject: id, detail: { versions: selected.length } }]),
  );
  const type = id.slice(0, id.indexOf('--'));
  // The node's marking table must not keep the handling of a definition the store no longer holds.
  if (type === 'marking-definition') await refreshHandling(ctx, id);
  ctx.bus.publish('intel.deleted', { id, type });
  // The version that became current in its place is told as added (it was moved after the rest).
  if (promoted) ctx.bus.publish('intel.added', { objects: [addedOf(promoted.promoted)], stored: { after: promoted.after, last: promoted.promoted.seq } });
  return selected.length;
}

/** Versions whose columns are read at once, newest first: at first, and at most (runs double). */
const VERSION_HEADS_RUN = 4096;
const VERSION_HEADS_RUN_MAX = 65_536;

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
  // Older versions only: the current one stays, and none is made current.
  await repo.deleteVersions(ctx.store, id, older, ctx.clock.now().getTime() * 1000, onDeleted);
  return older.length;
}
