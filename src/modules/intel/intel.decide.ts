/**
 * The writer's decisions on a batch of new object versions, made inside the batch's write
 * transaction with what the store holds of each id (so that two writers never decide on the same
 * id at once): need-to-know on what is written (canWrite), marking-definitions that never change
 * once accepted, versions and revocations by the creator only (canVersion), and observables held
 * once per set of markings. Every rule comes from src/policy; this file only applies them.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import type { WriteTx } from '../../db/database.js';
import { HANDLING_EXTENSION_ID, handlingOfMarkingDefinition, releasabilityProblem, UNRESOLVED_CLASSIFICATION, type HandlingMarking, type MarkingTable } from '../../policy/markings.js';
import { nameBased, reservedHandlingId } from '../../policy/handling-ids.js';
import type { Principal } from '../../policy/principal.js';
import { accessOfColumns, canRead, canVersion, canWrite, isCreator, submitterOf, type Ownership } from '../../policy/rule.js';
import { canonicalJson } from '../../stix/sco-id.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import * as repo from './intel.repo.js';
import {
  ROW_BODY,
  ROW_CLASSIFICATION,
  ROW_CREATED_BY_REF,
  ROW_ID,
  ROW_ORIGIN_MEMBER,
  ROW_RELEASABILITY,
  ROW_TLP,
  ROW_TYPE,
  ROW_VERSION,
  mentionsGranularMarkings,
  type NewVersion,
} from './intel.rows.js';

/** Where in the object each refusal points. */
export const DENIAL_PATHS: Readonly<Record<string, string>> = Object.freeze({
  'above-clearance': '$.object_marking_refs',
  'foreign-originator': '$.created_by_ref',
  'foreign-version': '$.id',
  'revoked-object': '$.id',
  'marking-redefined': '$',
  'marking-reserved-id': '$.id',
  'marking-releasability': `$.extensions['${HANDLING_EXTENSION_ID}'].releasable_to`,
  'foreign-marking': '$.id',
  'too-many-versions': '$.modified',
  'foreign-identity': '$.id',
  'too-many-definitions': '$.id',
});

export interface DecideState {
  /** The node's marking table with `staged` over it. */
  known: MarkingTable;
  /** Definitions accepted by the stream's transactions not yet committed: accepted ones are added here. */
  staged: Map<string, HandlingMarking>;
  identityOwners: ReadonlyMap<string, string>;
  /** Definitions of the stream the store refused (kept across the stream's batches). */
  refusedDefinitions: Set<string>;
  /** Definitions deleted since the marking table was read (and perhaps defined anew): `known` holds what the store holds now. */
  changedDefinitions: ReadonlySet<string>;
  /** Filled here: marking references each written row does not resolve yet. */
  unresolved: Map<NewVersion, string[]>;
  /** Filled here: the marking-definitions the batch adds (to `staged`). */
  defined: string[];
  recompute(body: string): repo.RecomputedMarkings;
}

/** Most refused ids named in the audit record of one batch. */
const AUDITED_IDS = 20;

function sameDefinition(stored: string, offered: string): boolean {
  if (stored === offered) return true;
  try {
    return canonicalJson(JSON.parse(stored)) === canonicalJson(JSON.parse(offered));
  } catch {
    return false;
  }
}

function ownershipOf(current: repo.StoredCurrent): Ownership {
  return { createdByRef: current.created_by_ref, originMember: current.origin_member, submitter: current.submitter };
}

/** Whether a stored current row is the copy `submitter` wrote of the same value under the same markings. */
function sameCopy(current: repo.StoredCurrent, row: NewVersion, submitter: string): boolean {
  return current.submitter === submitter && current.tlp === row[ROW_TLP] && current.classification === row[ROW_CLASSIFICATION] && current.releasability === row[ROW_RELEASABILITY];
}

function mentionsAny(body: string, ids: ReadonlySet<string>): boolean {
  // A body that spells a reference with escapes is recomputed in any case.
  if (body.includes('\\')) return true;
  for (const id of ids) if (body.includes(id)) return true;
  return false;
}

/** Does canWrite see the same inputs in both rows (their marking columns and originator)? */
function sameWriteInputs(a: NewVersion | undefined, b: NewVersion): boolean {
  return (
    a !== undefined &&
    a[ROW_TLP] === b[ROW_TLP] &&
    a[ROW_CLASSIFICATION] === b[ROW_CLASSIFICATION] &&
    a[ROW_RELEASABILITY] === b[ROW_RELEASABILITY] &&
    a[ROW_CREATED_BY_REF] === b[ROW_CREATED_BY_REF] &&
    a[ROW_ORIGIN_MEMBER] === b[ROW_ORIGIN_MEMBER]
  );
}

export async function decideRows(
  ctx: AppContext,
  actor: Principal,
  tx: WriteTx,
  rows: readonly NewVersion[],
  stored: ReadonlyMap<string, repo.StoredOfId>,
  state: DecideState,
): Promise<repo.Verdict[]> {
  const verdicts: repo.Verdict[] = new Array(rows.length);
  const events: audit.AuditEvent[] = [];
  const submitter = submitterOf(actor);
  /** Markings left unresolved when prepared, or prepared against a definition refused, deleted or defined anew since: computed again. */
  const recomputeIfStale = (row: NewVersion): void => {
    if (
      row[ROW_CLASSIFICATION] === UNRESOLVED_CLASSIFICATION ||
      // The definitions its granular markings name may be unknown: they wait as well (of any type).
      mentionsGranularMarkings(row[ROW_BODY]) ||
      (state.refusedDefinitions.size > 0 && mentionsAny(row[ROW_BODY], state.refusedDefinitions)) ||
      (state.changedDefinitions.size > 0 && mentionsAny(row[ROW_BODY], state.changedDefinitions))
    ) {
      const columns = state.recompute(row[ROW_BODY]);
      row[ROW_TLP] = columns.tlp;
      row[ROW_CLASSIFICATION] = columns.classification;
      row[ROW_RELEASABILITY] = columns.releasability;
      const waiting = [...columns.unresolved, ...columns.granularUnresolved];
      if (waiting.length > 0) state.unresolved.set(row, waiting);
      else state.unresolved.delete(row);
    }
  };
  // An object whose markings are not resolved yet is checked on its originator only (its level
  // is unknown until the definition arrives, and nobody reads it until then).
  const canWriteRow = (row: NewVersion): ReturnType<typeof canWrite> => {
    const classification = row[ROW_CLASSIFICATION] === UNRESOLVED_CLASSIFICATION ? 0 : row[ROW_CLASSIFICATION];
    return canWrite(actor, accessOfColumns({ tlp: row[ROW_TLP], classification, releasability: row[ROW_RELEASABILITY], created_by_ref: row[ROW_CREATED_BY_REF] }), row[ROW_ORIGIN_MEMBER]);
  };
  /** Why the actor may not write a row, if it may not, as step 2 below decides it. */
  const writeDenial = (row: NewVersion): ReturnType<typeof canWrite> => {
    recomputeIfStale(row);
    return canWriteRow(row);
  };

  // 1. Marking-definitions: the first accepted definition of an id stands (STIX 2.1 section
  //    7.2.1: marking definitions cannot be versioned). Decided first, so that the objects of the
  //    batch are marked with what is accepted, never with what was merely offered.
  const offered = new Map<string, number>();
  // Offered handling definitions whose id derives from their own content: what they mean is fixed
  // by the id, so whoever defines one defines it as every node would.
  const derived = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row[ROW_TYPE] !== 'marking-definition') continue;
    const id = row[ROW_ID];
    const body = row[ROW_BODY];
    const definition = body.includes(HANDLING_EXTENSION_ID) ? (JSON.parse(body) as Record<string, unknown>) : undefined;
    // A handling definition's releasability is a list of who may read: anything else is refused
    // here, with what is wrong (stored, it would release to nobody).
    const handling = definition !== undefined ? (definition.extensions as Record<string, Record<string, unknown> | undefined> | undefined)?.[HANDLING_EXTENSION_ID] : undefined;
    const problem = handling !== undefined && handling !== null && typeof handling === 'object' && handling.releasable_to !== undefined ? releasabilityProblem(handling.releasable_to) : undefined;
    const reserved = problem === undefined && definition !== undefined && nameBased(id) ? reservedHandlingId(definition) : undefined;
    if (problem !== undefined || reserved !== undefined) {
      verdicts[i] = problem !== undefined ? { rule: 'marking-releasability', message: `marking-definition ${id}: ${problem}` } : { rule: 'marking-reserved-id', message: reserved! };
      state.refusedDefinitions.add(id);
      continue;
    }
    if (handling !== undefined && handling !== null && typeof handling === 'object' && nameBased(id)) derived.add(id);
    const known = stored.get(id);
    const earlier = offered.get(id);
    const first = known?.markingBody ?? (earlier !== undefined ? rows[earlier]![ROW_BODY] : undefined);
    if (first !== undefined) {
      if (!sameDefinition(first, row[ROW_BODY])) {
        verdicts[i] = { rule: 'marking-redefined', message: `marking-definition ${id} is defined already, differently; a marking-definition never changes once accepted (STIX 2.1 section 7.2.1): define a new one with a new id and mark objects with it` };
        state.refusedDefinitions.add(id);
      }
      continue;
    }
    offered.set(id, i);
  }
  if (offered.size > 0) {
    // Only the member whose objects wait for an id defines it (or a node administrator, on record),
    // but a derived handling definition, whose content its id fixes: else any member could keep
    // another from defining one (objects made to wait for its public id first).
    const waiters = await repo.pendingWaiters(tx, [...offered.keys()].filter((id) => !derived.has(id)));
    const foreign = new Map<string, Array<string | null>>();
    for (const waiter of waiters) {
      if (isCreator(actor, { createdByRef: null, originMember: waiter.origin_member, submitter: waiter.origin_member === null ? waiter.submitter : null })) continue;
      let owners = foreign.get(waiter.marking_ref);
      if (!owners) foreign.set(waiter.marking_ref, (owners = []));
      owners.push(waiter.origin_member ?? waiter.submitter);
    }
    for (const [id, i] of offered) {
      const owners = foreign.get(id);
      if (owners && verdicts[i] === undefined) {
        if (actor.roles.includes('node-admin') && actor.kind !== 'peer') {
          events.push({ action: 'intel.marking.define-for-others', subject: id, detail: { waiting_for_it: [...new Set(owners)] } });
        } else {
          verdicts[i] = { rule: 'foreign-marking', message: `objects of another member wait for marking-definition ${id}; only that member (or a node administrator) defines it` };
          state.refusedDefinitions.add(id);
          offered.delete(id);
          continue;
        }
      }
    }
  }

  // A member (or peer) defines at most definitionsPerMember: every process holds the node's
  // definitions in memory, and reads them all again after a failed write.
  const bound = ctx.config.definitionsPerMember;
  const fresh = [...offered].filter(([id, i]) => verdicts[i] === undefined && !state.known.has(id));
  if (fresh.length > 0 && bound > 0 && submitter !== 'node') {
    const scale = actor.kind === 'peer' ? Math.max(1, actor.represents?.length ?? 1) : 1;
    let room = bound * scale - (await repo.definitionsBy(tx, submitter));
    for (const [id, i] of fresh) {
      if (room-- > 0) continue;
      verdicts[i] = {
        rule: 'too-many-definitions',
        message: `${actor.kind === 'peer' ? `peer ${actor.name}` : `member ${actor.member?.code ?? actor.name}`} has defined ${bound * scale} marking-definitions, the most ${actor.kind === 'peer' ? 'a peer may per member it stands for' : 'one member may'} on this node (SHIELDWALL_DEFINITIONS_PER_MEMBER): mark objects with one defined already, or ask a node administrator to delete one no object needs`,
      };
      state.refusedDefinitions.add(id);
      offered.delete(id);
    }
  }

  // A definition the writer may not write (another member's, above its clearance) is refused
  // before it is staged: staged, it would mark the stream's objects and, once committed, reach
  // the node's table, which would then read the id as the refused body said.
  if (actor.kind !== 'system') {
    for (const [id, i] of offered) {
      if (verdicts[i] !== undefined || state.known.has(id)) continue;
      const denial = writeDenial(rows[i]!);
      if (!denial) continue;
      verdicts[i] = denial;
      state.refusedDefinitions.add(id);
      offered.delete(id);
    }
  }
  // Accepted definitions mark the stream's objects from now on; the node's other streams see
  // them once the transaction has committed (intel.ingest.ts).
  for (const [id, i] of offered) {
    if (verdicts[i] !== undefined || state.known.has(id)) continue;
    state.staged.set(id, handlingOfMarkingDefinition(JSON.parse(rows[i]![ROW_BODY]) as StixObject) ?? {});
    state.defined.push(id);
  }
  // 2. Every other decision, row by row.
  /** New versions of stored objects this batch adds so far, by id (see too-many-versions). */
  const addedVersions = new Map<string, number>();
  let previous: NewVersion | undefined;
  let previousDenial: ReturnType<typeof canWrite>;
  for (let i = 0; i < rows.length; i++) {
    if (verdicts[i] !== undefined) continue;
    const row = rows[i]!;
    recomputeIfStale(row);
    if (actor.kind === 'system') continue;
    // Rows mostly repeat the markings and originator of the row before: so does the answer.
    if (!sameWriteInputs(previous, row)) {
      previousDenial = canWriteRow(row);
      previous = row;
    }
    const denial = previousDenial;
    if (denial) {
      const identityOf = denial.rule === 'foreign-originator' && row[ROW_TYPE] === 'identity' ? state.identityOwners.get(row[ROW_ID]) : undefined;
      verdicts[i] = identityOf !== undefined ? { rule: 'foreign-identity', message: `${row[ROW_ID]} is the identity of member ${identityOf}; only that member's users write it` } : denial;
      continue;
    }
    const known = stored.get(row[ROW_ID]);
    if (!known || known.current.length === 0 || row[ROW_TYPE] === 'marking-definition') continue;
    const readable = known.current.some((current) => canRead(actor, accessOfColumns(current)));
    if (row[ROW_VERSION] === '') {
      // An observable (STIX 2.1 section 3.6: not versioned; its id derives from its value). One
      // the writer may not read is kept as one more copy under the writer's markings: the
      // answer is the same as for a value the node does not hold, and nothing sent is dropped.
      // The writer's own copy under the same markings, sent again, is a duplicate (even when
      // those markings keep it from the writer), so that resending a feed adds nothing.
      if (!readable && !known.current.some((current) => sameCopy(current, row, submitter))) verdicts[i] = 'copy';
      continue;
    }
    let newest = known.current[0]!;
    for (const current of known.current) if (current.version > newest.version) newest = current;
    const versionDenial = canVersion(actor, ownershipOf(newest), row[ROW_CREATED_BY_REF]);
    if (versionDenial) {
      // Sending again a version one may read is harmless; anything else is refused alike,
      // whether or not the writer may read what is stored.
      if (!(readable && known.versions.has(row[ROW_VERSION]))) verdicts[i] = versionDenial;
      continue;
    }
    if (newest.revoked === 1 && row[ROW_VERSION] > newest.version) {
      verdicts[i] = { rule: 'revoked-object', message: `${row[ROW_ID]} is revoked; revocation is permanent and no later version may be created (STIX 2.1 section 3.6)` };
      continue;
    }
    if (!known.versions.has(row[ROW_VERSION])) {
      const versions = known.versions.size + (addedVersions.get(row[ROW_ID]) ?? 0);
      if (versions >= ctx.config.versionsPerObject) {
        verdicts[i] = {
          rule: 'too-many-versions',
          message: `${row[ROW_ID]} has ${versions} versions, the most one object may have on this node (SHIELDWALL_VERSIONS_PER_OBJECT); revoke it and create a new object that the old one is related to`,
        };
        continue;
      }
      addedVersions.set(row[ROW_ID], (addedVersions.get(row[ROW_ID]) ?? 0) + 1);
    }
  }

  const refusals = new Map<string, string[]>();
  for (let i = 0; i < rows.length; i++) {
    const verdict = verdicts[i];
    if (verdict === undefined || verdict === 'copy') continue;
    let ids = refusals.get(verdict.rule);
    if (!ids) refusals.set(verdict.rule, (ids = []));
    ids.push(rows[i]![ROW_ID]);
  }
  for (const [rule, ids] of refusals) {
    events.push({
      action: 'intel.write.denied',
      subject: `${ids.length} object versions (${rule})`,
      detail: { rule, versions: ids.length, ids: ids.slice(0, AUDITED_IDS), ids_sha256: createHash('sha256').update(ids.join('\n')).digest('hex') },
    });
  }
  if (events.length > 0) await audit.recordInTransaction(ctx, tx, actor, events);
  return verdicts;
}
