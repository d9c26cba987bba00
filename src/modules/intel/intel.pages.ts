/** Pages of objects a reader may see (REST search, TAXII objects and manifests, export) and the counts of the store. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import { accessOfColumns, canReadVersion, type ObjectAccess } from '../../policy/rule.js';
import { isTimestamp } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import { readableAccessKeys } from './intel.access.js';
import { auditReads, visibleRow } from './intel.read.js';
import * as repo from './intel.repo.js';
import { searchLabel, versionKey } from './intel.rows.js';

export interface ObjectPage {
  /** The objects (empty when the bodies were asked for instead, see ListInput.raw). */
  objects: StixObject[];
  /** With ListInput.raw: the JSON text of each object as the actor may see it. */
  bodies?: string[];
  /** With ListInput.manifest: the id and version (modified, else created, else null) of each object as the actor may see it. */
  manifest?: Array<{ id: string; version: string | null }>;
  /** date_added of each object, in microseconds since the epoch (its seq). */
  dateAdded: number[];
  next: string | undefined;
  /**
   * The date_added (seq) up to which this page covers the store: its last object when more
   * follows, else the last stored version looked at, readable or not. For the node's own cursors
   * (federation push); never shown to a reader.
   */
  lastSeq: number | undefined;
}

export interface ListInput {
  /** Only objects whose markings this accepts (a TAXII collection's view), besides need-to-know. */
  within?: (access: ObjectAccess) => boolean;
  /** Which versions of each object (see repo.ListFilter.versions); the newest by default. */
  versions?: { last?: boolean; first?: boolean; all?: boolean; exact?: string[] };
  /** Only these ids. */
  ids?: string[];
  /** Only objects added after this instant, in microseconds since the epoch. */
  addedAfterMicros?: number;
  /** Return the objects as JSON text (ObjectPage.bodies), not parsed. */
  raw?: boolean;
  /** Return only each object's id and version (ObjectPage.manifest): bodies are parsed only where a granular marking may hide a part. */
  manifest?: boolean;
  /** For tests: force one way of paging through the store (see repo.listCurrent). */
  strategy?: 'ranges' | 'walk';
  types?: string[];
  q?: string;
  modifiedAfter?: string;
  limit?: number;
  cursor?: string;
}

function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s:(\d{1,17})$/.exec(text);
  if (!match) throw shieldwallError('INVALID_CURSOR', `cursor '${cursor}' was not issued by this node; start again without a cursor`);
  return Number(match[1]);
}


/** The version of an object as it is stored in the created and modified columns: modified, else created. */
function versionOf(object: StixObject): string | null {
  return typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : null;
}

/** Does the object, as the reader sees it, still hold the text searched for (as listCurrent compares labels)? */
function stillMatches(object: StixObject, q: string): boolean {
  return (searchLabel(object) ?? '').toLowerCase().includes(q.toLowerCase());
}

/** Ids looked up per query of the current markings of older versions. */
const CURRENT_MARKINGS_CHUNK = 500;

/** The markings of the current rows of the ids of these older versions, by id. */
async function currentMarkingsOf(ctx: AppContext, rows: readonly repo.ListedVersion[]): Promise<Map<string, ObjectAccess[]>> {
  const out = new Map<string, ObjectAccess[]>();
  const ids = [...new Set(rows.filter((row) => Number(row.is_current) !== 1).map((row) => row.id))];
  for (let i = 0; i < ids.length; i += CURRENT_MARKINGS_CHUNK) {
    for (const current of await repo.currentMarkings(ctx.store, ids.slice(i, i + CURRENT_MARKINGS_CHUNK))) {
      let list = out.get(current.id);
      if (!list) out.set(current.id, (list = []));
      list.push(accessOfColumns(current));
    }
  }
  return out;
}

/**
 * Lists current versions in the order they were added; the cursor never skips an object. Rows
 * the rule or redaction leaves out are skipped by reading further: a page is short or comes with
 * no next cursor only at the end, and a cursor names an object the reader received, so that no
 * page tells how many unreadable objects there are or when they were added.
 */
export async function listObjects(ctx: AppContext, actor: Principal, input: ListInput): Promise<ObjectPage> {
  const limit = input.limit ?? 100;
  if (input.modifiedAfter !== undefined && !isTimestamp(input.modifiedAfter)) {
    throw shieldwallError('BAD_REQUEST', `modified_after '${input.modifiedAfter}' is not a STIX timestamp: use e.g. 2024-05-01T00:00:00.000Z`);
  }
  const { keys, total } = await readableAccessKeys(ctx, actor, input.within);
  const filter = {
    ...(input.types ? { types: input.types } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.modifiedAfter ? { versionAfter: versionKey(input.modifiedAfter) } : {}),
    ...(input.ids ? { ids: input.ids } : {}),
    accessKeys: keys,
    accessSetCount: total,
    originMember: actor.member?.code ?? null,
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.versions ? { versions: { ...input.versions, ...(input.versions.exact ? { exact: input.versions.exact.map((t) => versionKey(t)) } : {}) } } : {}),
    limit: limit + 1,
  };
  let after = input.cursor || input.addedAfterMicros !== undefined ? Math.max(input.cursor ? decodeCursor(input.cursor) : 0, input.addedAfterMicros ?? 0) : undefined;
  const objects: StixObject[] = [];
  const bodies: string[] = [];
  const manifest: Array<{ id: string; version: string | null }> = [];
  const dateAdded: number[] = [];
  const reads: string[] = [];
  let more = false;
  /** The last row looked at, readable or not. */
  let lookedAt: number | undefined;
  for (;;) {
    const rows = await repo.listCurrent(ctx.store, { ...filter, ...(after !== undefined ? { afterSeq: after } : {}) });
    const current = input.versions ? await currentMarkingsOf(ctx, rows) : undefined;
    for (const row of rows) {
      const full = dateAdded.length === limit;
      // The SQL pre-filter chose the rows; the rule is still applied to each one.
      const access = accessOfColumns(row);
      if (input.within && !input.within(access)) continue;
      if (current && Number(row.is_current) !== 1 && !canReadVersion(actor, access, current.get(row.id) ?? [])) continue;
      // Past a full page, one more object the reader may see only says that there is more (it is not read).
      const seen = await visibleRow(ctx, actor, row, full ? undefined : reads, input.raw === true || input.manifest === true);
      if (!seen) continue;
      // What a granular marking hides is not searched: the text must be in what the reader sees.
      if (input.q && seen.redacted && !stillMatches(seen.object!, input.q)) continue;
      if (full) {
        more = true;
        break;
      }
      if (input.raw) bodies.push(seen.text!);
      else if (input.manifest) manifest.push({ id: row.id, version: seen.object ? versionOf(seen.object) : (row.modified ?? row.created) });
      else objects.push(seen.object!);
      dateAdded.push(Number(row.seq));
    }
    if (rows.length > 0) lookedAt = Number(rows[rows.length - 1]!.seq);
    if (more || rows.length <= limit) break;
    after = lookedAt;
  }
  await auditReads(ctx, actor, reads, 'listing');
  const last = dateAdded[dateAdded.length - 1];
  return {
    objects,
    ...(input.raw ? { bodies } : {}),
    ...(input.manifest ? { manifest } : {}),
    dateAdded,
    next: more && last !== undefined ? encodeCursor(last) : undefined,
    // The last page of a listing covers the unreadable rows after its last object too.
    lastSeq: more ? last : lookedAt,
  };
}

/** Counts of what the actor may read (counts of the rest would tell what exists). */
export async function intelStats(ctx: AppContext, actor: Principal): Promise<{ byType: Array<{ type: string; count: number }>; versions: number }> {
  const { keys } = await readableAccessKeys(ctx, actor);
  const own = actor.member ? { member: actor.member.code, clearance: actor.clearance } : undefined;
  const [byType, versions] = await Promise.all([repo.countCurrentByType(ctx.store, keys, own), repo.countVersions(ctx.store, keys, own)]);
  return { byType, versions };
}

/** The newest date_added sequence (0 for an empty store): where a feed of what is new starts. */
export function latestSeq(ctx: AppContext): Promise<number> {
  return repo.latestSeq(ctx.store);
}
