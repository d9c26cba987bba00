/**
 * An object page in one answer: the object, its versions, the relationships out of and in to it
 * (STIX 2.1 section 5.1: source_ref and target_ref) with what the reader may know of their other
 * end, and who sighted it (section 5.2). Everything through the policy as any read: an object the
 * reader may not read is answered as absent; a relationship or sighting it may not read is left
 * out of lists and counts; of an other end it may not read, only what the relationship itself
 * says (the id, and the type the id begins with).
 */
import type { AppContext } from '../../core/context.js';
import type { Principal } from '../../policy/principal.js';
import type { StixObject } from '../../stix/types.js';
import { readableAccessKeys } from './intel.access.js';
import { handlingOf, type Handling } from './intel.handling.js';
import { auditReads, readCurrent, readVersions, visibleRow } from './intel.read.js';
import * as repo from './intel.repo.js';
import { searchLabel } from './intel.rows.js';

/** Most relationships an object page lists (newest first); `relationships_truncated` says when more are readable. */
export const RELATIONSHIPS_LIMIT = 500;
/** Newest sightings an object page shows. */
export const RECENT_SIGHTINGS = 20;
/** Rows read per step while looking for what the reader may see. */
const STEP = 200;

export interface SeenWithHandling {
  object: StixObject;
  handling: Handling;
}

/** The other end of a relationship: its label and handling only when the reader may read it. */
export interface RelatedEnd {
  id: string;
  type: string;
  name?: string;
  readable: boolean;
  handling?: Handling;
}

export interface ContextRelationship {
  relationship: StixObject;
  handling: Handling;
  /** out: the object is the relationship's source_ref; in: its target_ref. */
  direction: 'out' | 'in';
  other: RelatedEnd;
}

export interface SightingSummary {
  /** Readable current sightings of the object (counted by markings, as GET /api/v1/stats counts). */
  count: number;
  /** How many members of the node originated them (members.length). */
  sighted_by: number;
  /** Their codes, where the reader sees who created a sighting of theirs. */
  members: string[];
  /** The newest sightings, newest first, as the reader sees them. */
  recent: StixObject[];
}

export interface ObjectContext extends SeenWithHandling {
  versions: SeenWithHandling[];
  relationships: ContextRelationship[];
  relationships_truncated: boolean;
  sightings: SightingSummary;
}

/** The SQL pre-filter of what the actor may read: readable access sets, and its own member's rows. */
export async function readableRows(ctx: AppContext, actor: Principal): Promise<repo.ReadableRows> {
  const { keys } = await readableAccessKeys(ctx, actor);
  return { accessKeys: keys, own: actor.member ? { member: actor.member.code, clearance: actor.clearance } : undefined };
}

interface SeenRow {
  object: StixObject;
  row: repo.ContextRow;
}

/**
 * Reads rows newest first (`page(before)` gives the next rows before a seq, STEP at most), keeping
 * those the actor may see that `keep` accepts, until `want` of them or the end.
 */
async function seenNewestFirst(
  ctx: AppContext,
  actor: Principal,
  page: (before: number | undefined) => Promise<repo.ContextRow[]>,
  want: number,
  reads: string[] | undefined,
  keep: (seen: SeenRow) => boolean = () => true,
): Promise<SeenRow[]> {
  const out: SeenRow[] = [];
  let before: number | undefined;
  for (;;) {
    const rows = await page(before);
    for (const row of rows) {
      const seen = await visibleRow(ctx, actor, row, reads, false);
      if (!seen?.object || !keep({ object: seen.object, row })) continue;
      out.push({ object: seen.object, row });
      if (out.length === want) return out;
    }
    if (rows.length < STEP) return out;
    before = rows[rows.length - 1]!.seq;
  }
}

/** The current objects of these ids the actor may read, with their rows (of an observable's copies, the first it may read). */
async function seenByIds(ctx: AppContext, actor: Principal, ids: readonly string[], reads: string[]): Promise<Map<string, SeenRow>> {
  const out = new Map<string, SeenRow>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of await repo.currentOfIds(ctx.store, ids.slice(i, i + 500))) {
      if (out.has(row.id)) continue;
      const seen = await visibleRow(ctx, actor, row, reads, false);
      if (seen?.object) out.set(row.id, { object: seen.object, row });
    }
  }
  return out;
}

function typeOfId(id: string): string {
  const end = id.indexOf('--');
  return end > 0 ? id.slice(0, end) : id;
}

async function relationships(ctx: AppContext, actor: Principal, id: string, readable: repo.ReadableRows, reads: string[]): Promise<{ list: ContextRelationship[]; truncated: boolean }> {
  // The newest LIMIT + 1 of each direction hold the newest LIMIT + 1 of both.
  const want = RELATIONSHIPS_LIMIT + 1;
  const [out, into] = await Promise.all(
    (['out', 'in'] as const).map((direction) =>
      seenNewestFirst(
        ctx,
        actor,
        (before) => repo.relationshipsOf(ctx.store, id, direction, readable, before, STEP),
        want,
        reads,
        // What the reader sees of it still names the object at that end (a required property: always).
        (seen) => seen.object[direction === 'out' ? 'source_ref' : 'target_ref'] === id,
      ),
    ),
  );
  const merged = new Map<number, { seen: SeenRow; direction: 'out' | 'in' }>();
  for (const seen of out!) merged.set(seen.row.seq, { seen, direction: 'out' });
  // A relationship of the object to itself is listed once, as out.
  for (const seen of into!) if (!merged.has(seen.row.seq)) merged.set(seen.row.seq, { seen, direction: 'in' });
  const newest = [...merged.values()].sort((a, b) => b.seen.row.seq - a.seen.row.seq);
  const shown = newest.slice(0, RELATIONSHIPS_LIMIT);
  const otherOf = (seen: SeenRow, direction: 'out' | 'in') => seen.object[direction === 'out' ? 'target_ref' : 'source_ref'] as string;
  const others = await seenByIds(ctx, actor, [...new Set(shown.map(({ seen, direction }) => otherOf(seen, direction)))], reads);
  const list = shown.map(({ seen, direction }): ContextRelationship => {
    const otherId = otherOf(seen, direction);
    const other = others.get(otherId);
    const name = other ? searchLabel(other.object) : null;
    return {
      relationship: seen.object,
      handling: handlingOf(seen.row, seen.object),
      direction,
      other: other
        ? { id: otherId, type: typeOfId(otherId), ...(name !== null ? { name } : {}), readable: true, handling: handlingOf(other.row, other.object) }
        : { id: otherId, type: typeOfId(otherId), readable: false },
    };
  });
  return { list, truncated: newest.length > RELATIONSHIPS_LIMIT };
}

async function sightings(ctx: AppContext, actor: Principal, id: string, readable: repo.ReadableRows, reads: string[]): Promise<SightingSummary> {
  const [byOrigin, recent] = await Promise.all([
    repo.countSightingsOf(ctx.store, id, readable),
    seenNewestFirst(ctx, actor, (before) => repo.sightingsOf(ctx.store, id, readable, before, STEP), RECENT_SIGHTINGS, reads),
  ]);
  // A member is named where the reader sees that it created one of the sightings: a granular
  // marking may hide a sighting's created_by_ref, of which the originating member is derived.
  const shows = (seen: SeenRow) => seen.row.origin_member !== null && seen.object.created_by_ref === seen.row.created_by_ref;
  const members = new Set(recent.filter(shows).map((seen) => seen.row.origin_member!));
  for (const { origin } of byOrigin) {
    if (origin === null || members.has(origin)) continue;
    const found = await seenNewestFirst(ctx, actor, (before) => repo.sightingsOf(ctx.store, id, readable, before, STEP, origin), 1, undefined, shows);
    if (found.length > 0) members.add(origin);
  }
  const sorted = [...members].sort();
  return { count: byOrigin.reduce((sum, g) => sum + g.count, 0), sighted_by: sorted.length, members: sorted, recent: recent.map((seen) => seen.object) };
}

/** Everything an object page shows, as the actor may see it; 404 (as for an unknown id) when it may not read the object. */
export async function objectContext(ctx: AppContext, actor: Principal, id: string): Promise<ObjectContext> {
  const reads: string[] = [];
  const current = await readCurrent(ctx, actor, id, reads);
  const readable = await readableRows(ctx, actor);
  const [versions, related, sighted] = await Promise.all([
    readVersions(ctx, actor, id, reads),
    relationships(ctx, actor, id, readable, reads),
    sightings(ctx, actor, id, readable, reads),
  ]);
  await auditReads(ctx, actor, reads, `context of ${id}`);
  return {
    object: current.object,
    handling: handlingOf(current.row, current.object),
    versions: versions.map((v) => ({ object: v.object, handling: handlingOf(v.row, v.object) })),
    relationships: related.list,
    relationships_truncated: related.truncated,
    sightings: sighted,
  };
}
