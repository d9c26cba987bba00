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
import { handlingOf, type Handling } from './intel.handling.js';
import { accessOfColumns, canRead } from '../../policy/rule.js';
import { currentBodies, headsOf, type AboutHead, type AboutRow, type AboutSide, type ReadableAbout } from './intel.about.js';
import { auditReads, noteNewerSets, PAGE_CHARS, readableAbout, readCurrent, readVersions, runsOf, VERSIONS_SHOWN, visibleRow } from './intel.read.js';
import * as repo from './intel.repo.js';
import { searchLabel } from './intel.rows.js';

/** Most relationships an object page lists (newest first); `relationships_truncated` says when more are readable. */
export const RELATIONSHIPS_LIMIT = 500;
/** Newest sightings an object page shows. */
export const RECENT_SIGHTINGS = 20;
/**
 * Most candidates an object page examines per list (relationships out of the object, those in to
 * it, its sightings), newest first: rows whose object markings the reader may read (a readable
 * access set, or its own member's within its clearance), each then redacted, which may withhold
 * it (STIX 2.1 section 7.2.3); only the bodies of those the policy lets through are read. However
 * many rows aim at an object, its page costs at most this many per list; past it, the answer says
 * that it stopped, whether or not the reader would have seen any of the rest.
 */
export const CANDIDATES_EXAMINED = 5000;
/** Heads (rows without their bodies) read by the first step of a list; each further step reads twice as many, up to STEP_MAX. */
const STEP = 200;
const STEP_MAX = 1000;
/**
 * Most text of the bodies a list reads (relationships out of the object, those in to it, its
 * sightings): past it the list stops, and says so, as at CANDIDATES_EXAMINED. An eighth of what a
 * page of objects may carry (PAGE_CHARS), so that the page stays within a few such pages.
 */
export const LIST_CHARS = PAGE_CHARS / 8;

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
  /**
   * Current sightings of the object the reader sees as sightings of it (as it would list them:
   * one whose sighting_of_ref a granular marking hides is not one), of the newest
   * CANDIDATES_EXAMINED candidates (and LIST_CHARS of their text); a lower bound when `truncated`.
   */
  count: number;
  /** How many members of the node originated them (members.length). */
  sighted_by: number;
  /** Their codes, where the reader sees who created a sighting of theirs. */
  members: string[];
  /** The newest sightings, newest first, as the reader sees them. */
  recent: StixObject[];
  /** More than CANDIDATES_EXAMINED candidates are stored, or LIST_CHARS of their text were read: count and members are of the newest of them. */
  truncated: boolean;
}

export interface ObjectContext extends SeenWithHandling {
  /** The newest VERSIONS_SHOWN versions, oldest first. */
  versions: SeenWithHandling[];
  /** Older versions the reader may read are not shown (GET /api/v1/objects/{id}?versions=all pages through them all). */
  versions_more: boolean;
  relationships: ContextRelationship[];
  relationships_truncated: boolean;
  sightings: SightingSummary;
}

interface SeenRow {
  object: StixObject;
  row: repo.ContextRow;
}

/**
 * Hands `visit` the rows of one side of an object the actor may read by their markings, newest
 * first, until it answers true (it has what it wants), the rows end, CANDIDATES_EXAMINED
 * candidates (rows of readable access sets or of the actor's own member) were examined, or the
 * next body would take the text read past LIST_CHARS. The policy decides on each candidate's
 * marking columns, and its head tells the size of its body, before the body is read. `capped`: it
 * stopped at a cap with more rows stored.
 */
async function examineNewestFirst(ctx: AppContext, actor: Principal, side: AboutSide, id: string, readable: ReadableAbout, visit: (row: AboutRow) => Promise<boolean>): Promise<{ capped: boolean }> {
  let before = Number.MAX_SAFE_INTEGER;
  let examined = 0;
  let chars = 0;
  for (let step = STEP; ; step = Math.min(STEP_MAX, step * 2)) {
    // One row past the cap tells whether more are stored.
    const size = Math.min(step, CANDIDATES_EXAMINED - examined + 1);
    const heads = await headsOf(ctx.store, side, id, readable, { beforeSeq: before }, size);
    noteNewerSets(ctx, readable, heads);
    const examinable = heads.slice(0, CANDIDATES_EXAMINED - examined);
    const wanted: AboutHead[] = [];
    let full = false;
    for (const head of examinable) {
      if (!canRead(actor, accessOfColumns(head))) continue;
      if (chars > 0 && chars + head.size > LIST_CHARS) {
        full = true;
        break;
      }
      chars += head.size;
      wanted.push(head);
    }
    for (const run of runsOf(wanted)) {
      for (const row of await currentBodies(ctx.store, run)) if (await visit(row)) return { capped: false };
    }
    if (full) return { capped: true };
    examined += examinable.length;
    if (heads.length > examinable.length) return { capped: true };
    if (heads.length < size) return { capped: false };
    before = heads[heads.length - 1]!.seq;
  }
}

/**
 * The rows the actor may see that `keep` accepts, newest first, until `want` of them (see
 * examineNewestFirst for where it stops).
 */
async function seenNewestFirst(
  ctx: AppContext,
  actor: Principal,
  side: AboutSide,
  id: string,
  readable: ReadableAbout,
  want: number,
  reads: string[],
  keep: (seen: SeenRow) => boolean,
): Promise<{ seen: SeenRow[]; capped: boolean }> {
  const out: SeenRow[] = [];
  const { capped } = await examineNewestFirst(ctx, actor, side, id, readable, async (row) => {
    const seen = await visibleRow(ctx, actor, row, reads, false);
    if (seen?.object && keep({ object: seen.object, row })) out.push({ object: seen.object, row });
    return out.length === want;
  });
  return { seen: out, capped };
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

async function relationships(ctx: AppContext, actor: Principal, id: string, readable: ReadableAbout, reads: string[]): Promise<{ list: ContextRelationship[]; truncated: boolean }> {
  // The newest LIMIT + 1 of each direction hold the newest LIMIT + 1 of both.
  const want = RELATIONSHIPS_LIMIT + 1;
  const [out, into] = await Promise.all(
    (['out', 'in'] as const).map((direction) =>
      seenNewestFirst(
        ctx,
        actor,
        direction,
        id,
        readable,
        want,
        reads,
        // What the reader sees of it still names the object at that end (a required property: always).
        (seen) => seen.object[direction === 'out' ? 'source_ref' : 'target_ref'] === id,
      ),
    ),
  );
  const merged = new Map<number, { seen: SeenRow; direction: 'out' | 'in' }>();
  for (const seen of out!.seen) merged.set(seen.row.seq, { seen, direction: 'out' });
  // A relationship of the object to itself is listed once, as out.
  for (const seen of into!.seen) if (!merged.has(seen.row.seq)) merged.set(seen.row.seq, { seen, direction: 'in' });
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
  // Stopped at the cap in either direction: more may be readable, and the answer says so
  // whether or not they are (the cap counts candidates, not what the reader sees of them).
  return { list, truncated: newest.length > RELATIONSHIPS_LIMIT || out!.capped || into!.capped };
}

/**
 * One pass over the newest CANDIDATES_EXAMINED candidate sightings (and LIST_CHARS of their
 * text): counted and their members named as the reader sees each one (a sighting whose
 * sighting_of_ref the reader may not see is none of this object's), the newest RECENT_SIGHTINGS
 * shown. Bodies without granular markings are counted as stored, without being parsed.
 */
async function sightings(ctx: AppContext, actor: Principal, id: string, readable: ReadableAbout, reads: string[]): Promise<SightingSummary> {
  let count = 0;
  const members = new Set<string>();
  const recent: StixObject[] = [];
  const { capped } = await examineNewestFirst(
    ctx,
    actor,
    'sighting',
    id,
    readable,
    async (row) => {
      const shown = recent.length < RECENT_SIGHTINGS;
      const seen = await visibleRow(ctx, actor, row, shown ? reads : undefined, !shown);
      // No object: the stored body as it is, whose sighting_of_ref is about_ref, this object.
      if (!seen || (seen.object !== undefined && seen.object['sighting_of_ref'] !== id)) return false;
      count++;
      // A member is named where the reader sees that it created the sighting: a granular marking
      // may hide its created_by_ref, of which the originating member is derived.
      if (row.origin_member !== null && (!seen.redacted || seen.object!.created_by_ref === row.created_by_ref)) members.add(row.origin_member);
      if (shown) recent.push(seen.object!);
      return false;
    },
  );
  const sorted = [...members].sort();
  return { count, sighted_by: sorted.length, members: sorted, recent, truncated: capped };
}

/** Everything an object page shows, as the actor may see it; 404 (as for an unknown id) when it may not read the object. */
export async function objectContext(ctx: AppContext, actor: Principal, id: string): Promise<ObjectContext> {
  const reads: string[] = [];
  const current = await readCurrent(ctx, actor, id, reads);
  const readable = await readableAbout(ctx, actor);
  const [versions, related, sighted] = await Promise.all([
    readVersions(ctx, actor, id, reads, { limit: VERSIONS_SHOWN }),
    relationships(ctx, actor, id, readable, reads),
    sightings(ctx, actor, id, readable, reads),
  ]);
  await auditReads(ctx, actor, reads, `context of ${id}`);
  return {
    object: current.object,
    handling: handlingOf(current.row, current.object),
    versions: versions.versions.map((v) => ({ object: v.object, handling: handlingOf(v.row, v.object) })),
    versions_more: versions.older !== undefined,
    relationships: related.list,
    relationships_truncated: related.truncated,
    sightings: sighted,
  };
}
