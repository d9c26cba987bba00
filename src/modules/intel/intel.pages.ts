/** Pages of objects a reader may see (REST search, TAXII objects and manifests, export) and the counts of the store. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import { RecentAnswers } from '../../core/recent.js';
import { nodeState } from '../../core/state.js';
import { nextTurn } from '../../core/turn.js';
import { TLP_LEVELS } from '../../policy/markings.js';
import { principalKey, type Principal } from '../../policy/principal.js';
import { accessOfColumns, canRead, canReadVersion, type ObjectAccess } from '../../policy/rule.js';
import { isTimestamp, timestampToEpochMicros } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import * as directory from '../directory/directory.service.js';
import { readableAccessKeys } from './intel.access.js';
import { classificationName, handlingOf, type Handling } from './intel.handling.js';
import { auditReads, rowsToFetch, visibleRow } from './intel.read.js';
import type { FirstHead } from './intel.listing.js';
import * as repo from './intel.repo.js';
import { descriptionOf, searchLabel, versionKey } from './intel.rows.js';

export interface ObjectPage {
  /** The objects (empty when the bodies were asked for instead, see ListInput.raw). */
  objects: StixObject[];
  /** With ListInput.raw: the JSON text of each object as the actor may see it. */
  bodies?: string[];
  /** With ListInput.manifest: the id and version (modified, else created, else null) of each object as the actor may see it. */
  manifest?: Array<{ id: string; version: string | null }>;
  /** The handling of each object returned (objects, not bodies or manifests), by id (see handlingOf). */
  handling?: Record<string, Handling>;
  /** date_added of each object, in microseconds since the epoch (its seq). */
  dateAdded: number[];
  next: string | undefined;
  /**
   * The date_added (seq) up to which this page covers the store: its last object when more
   * follows, else the last candidate looked at (a row of a readable access set or of the reader's
   * own member; readable or not once redacted). For the node's own cursors (federation push, the
   * live feed); never shown to a reader.
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
  /** Case-insensitive text in the label (name, value, pattern, ...) or the description, as the reader sees them. */
  q?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
  /** Only objects of these TLP columns (null: without TLP). */
  tlps?: Array<string | null>;
  /** Only objects of these classification levels. */
  classifications?: number[];
  /** Only objects this member of the node originated. */
  origin?: string;
  /** Newest added first; the cursor pages on in that order. */
  descending?: boolean;
  limit?: number;
  /**
   * End the page early, with a cursor, once its objects' text passes this many characters (the
   * first object is always given): pages that leave the node (REST, TAXII) use PAGE_CHARS
   * (intel.read). Every listing reads its rows in runs sized by rowsToFetch.
   */
  maxChars?: number;
  cursor?: string;
}

/** A cursor names the last object of a page and the order it was listed in (s: date_added order, d: newest first). */
function encodeCursor(seq: number, descending: boolean): string {
  return Buffer.from(`${descending ? 'd' : 's'}:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string, descending: boolean): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^([sd]):(\d{1,17})$/.exec(text);
  if (!match) throw shieldwallError('INVALID_CURSOR', `cursor '${cursor}' was not issued by this node; start again without a cursor`);
  if ((match[1] === 'd') !== descending) {
    throw shieldwallError('INVALID_CURSOR', `cursor '${cursor}' pages a listing in order=${match[1] === 'd' ? 'desc' : 'asc'}: ask with that order, or start again without a cursor`);
  }
  return Number(match[2]);
}


/** The version of an object as it is stored in the created and modified columns: modified, else created. */
function versionOf(object: StixObject): string | null {
  return typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : null;
}

/** Does the object, as the reader sees it, still hold the text searched for (as listCurrent compares labels and descriptions)? */
function stillMatches(object: StixObject, q: string): boolean {
  const text = q.toLowerCase();
  return (searchLabel(object) ?? '').toLowerCase().includes(text) || (descriptionOf(object) ?? '').toLowerCase().includes(text);
}

const timestampHint = 'use e.g. 2024-05-01T00:00:00.000Z';

/** Only the access sets of these TLPs and levels hold candidates (the SQL filters the reader's own rows alike). */
function handlingWithin(input: ListInput): ((access: ObjectAccess) => boolean) | undefined {
  const { within, tlps, classifications } = input;
  if (!tlps && !classifications) return within;
  return (access) => (!within || within(access)) && (!tlps || tlps.includes(access.tlp)) && (!classifications || classifications.includes(access.classification));
}

/** The origin filter names a member of this node (one without a STIX identity originates nothing: an empty listing). */
async function checkOrigin(ctx: AppContext, actor: Principal, origin: string): Promise<void> {
  if (!(await directory.listMembers(ctx, actor)).some((member) => member.code === origin)) {
    throw shieldwallError('BAD_REQUEST', `origin '${origin}' is not the code of a member of this node (GET /api/v1/members lists them)`);
  }
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
  const descending = input.descending === true;
  if (input.modifiedAfter !== undefined && !isTimestamp(input.modifiedAfter)) {
    throw shieldwallError('BAD_REQUEST', `modified_after '${input.modifiedAfter}' is not a STIX timestamp: ${timestampHint}`);
  }
  if (input.modifiedBefore !== undefined && !isTimestamp(input.modifiedBefore)) {
    throw shieldwallError('BAD_REQUEST', `modified_before '${input.modifiedBefore}' is not a STIX timestamp: ${timestampHint}`);
  }
  if (descending && input.addedAfterMicros !== undefined) throw new Error('listObjects: addedAfterMicros pages in date_added order only');
  if (input.origin !== undefined) await checkOrigin(ctx, actor, input.origin);
  const { keys, total } = await readableAccessKeys(ctx, actor, handlingWithin(input));
  const filter = {
    ...(input.types ? { types: input.types } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.modifiedAfter ? { versionAfter: versionKey(input.modifiedAfter) } : {}),
    ...(input.modifiedBefore ? { versionBefore: versionKey(input.modifiedBefore) } : {}),
    ...(input.tlps ? { tlps: input.tlps } : {}),
    ...(input.classifications ? { classifications: input.classifications } : {}),
    ...(input.origin !== undefined ? { origin: input.origin } : {}),
    ...(descending ? { descending } : {}),
    ...(input.ids ? { ids: input.ids } : {}),
    accessKeys: keys,
    accessSetCount: total,
    windowRows: ctx.config.scanWindowRows,
    originMember: actor.member?.code ?? null,
    originClearance: actor.clearance,
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.versions ? { versions: { ...input.versions, ...(input.versions.exact ? { exact: input.versions.exact.map((t) => versionKey(t)) } : {}) } } : {}),
    // Kept across the page's windows: each window is a copy of this filter.
    firstVersions: new Map<string, string>(),
    // An object's first version is the oldest the reader may read, by the checks of the marking
    // columns each row of the page passes below: the collection's audience, the rule on older
    // versions. (A version a granular marking withholds whole is then dropped by the page's
    // redaction, as before; its body is not read here.)
    firstOf: async (_id: string, heads: readonly FirstHead[], currentHeads: readonly FirstHead[]) => {
      const current = currentHeads.map(accessOfColumns);
      for (const head of heads) {
        const access = accessOfColumns(head);
        if (input.within && !input.within(access)) continue;
        if (head.is_current === 1 ? canRead(actor, access) : canReadVersion(actor, access, current)) return head.version;
      }
      return undefined;
    },
  };
  /** Where the next read starts: after this seq in date_added order, before it newest first. */
  let bound = descending
    ? input.cursor
      ? decodeCursor(input.cursor, true)
      : undefined
    : input.cursor || input.addedAfterMicros !== undefined
      ? Math.max(input.cursor ? decodeCursor(input.cursor, false) : 0, input.addedAfterMicros ?? 0)
      : undefined;
  const objects: StixObject[] = [];
  const handling: Record<string, Handling> = {};
  const bodies: string[] = [];
  const manifest: Array<{ id: string; version: string | null }> = [];
  const dateAdded: number[] = [];
  const reads: string[] = [];
  let more = false;
  /** The last row looked at, readable or not. */
  let lookedAt: number | undefined;
  let chars = 0;
  let largest = 0;
  for (;;) {
    // One more row than the page lacks: a readable row past a full page says that there is more.
    const wanted = limit - dateAdded.length + 1;
    const fetch = rowsToFetch(wanted, largest);
    const { rows, horizon } = await repo.listCurrent(ctx.store, { ...filter, limit: fetch, ...(bound !== undefined ? (descending ? { beforeSeq: bound } : { afterSeq: bound }) : {}) });
    const current = input.versions ? await currentMarkingsOf(ctx, rows) : undefined;
    for (const row of rows) {
      largest = Math.max(largest, row.body.length);
      const full = dateAdded.length === limit || (input.maxChars !== undefined && dateAdded.length > 0 && chars + row.body.length > input.maxChars);
      // The SQL pre-filter chose the rows; the rule is still applied to each one.
      const access = accessOfColumns(row);
      if (input.within && !input.within(access)) continue;
      if (current && Number(row.is_current) !== 1 && !canReadVersion(actor, access, current.get(row.id) ?? [])) continue;
      // Past a full page, one more object the reader may see only says that there is more (it is not read).
      const seen = await visibleRow(ctx, actor, row, full ? undefined : reads, input.raw === true || input.manifest === true);
      if (!seen) continue;
      // What a granular marking hides is not searched: the text must be in what the reader sees.
      if (input.q && seen.redacted && !stillMatches(seen.object!, input.q)) continue;
      // Nor is who created it: the originating member is that of created_by_ref.
      if (input.origin !== undefined && seen.redacted && seen.object!.created_by_ref !== row.created_by_ref) continue;
      if (full) {
        more = true;
        break;
      }
      if (input.raw) bodies.push(seen.text!);
      else if (input.manifest) manifest.push({ id: row.id, version: seen.object ? versionOf(seen.object) : (row.modified ?? row.created) });
      else {
        objects.push(seen.object!);
        // An observable held in copies under different markings: the handling of the first listed.
        handling[row.id] ??= handlingOf(row, seen.object);
      }
      dateAdded.push(Number(row.seq));
      chars += row.body.length;
    }
    if (rows.length > 0) lookedAt = Number(rows[rows.length - 1]!.seq);
    if (more) break;
    if (rows.length < fetch) {
      if (horizon === undefined) break;
      // The statement's window ended short of the page: the next reads on from its end.
      lookedAt = horizon;
      bound = horizon;
    } else bound = lookedAt;
    // Rows the rule or redaction withheld are read past in runs: other requests have a turn
    // between two (50,000 rows withheld by a granular marking held the node 1.5-1.9 s in one go).
    await nextTurn();
  }
  await auditReads(ctx, actor, reads, 'listing');
  const last = dateAdded[dateAdded.length - 1];
  return {
    objects,
    ...(input.raw ? { bodies } : {}),
    ...(input.manifest ? { manifest } : {}),
    ...(input.raw || input.manifest ? {} : { handling }),
    dateAdded,
    next: more && last !== undefined ? encodeCursor(last, descending) : undefined,
    // The last page of a listing covers the unreadable rows after its last object too.
    lastSeq: more ? last : lookedAt,
  };
}

/** What was added in a window of date_added, of what the reader may read (see intelStats). */
export interface StatsWindow {
  since: string;
  until: string;
  added: number;
  by_type: Array<{ type: string; count: number }>;
  by_tlp: Array<{ tlp: string | null; count: number }>;
  by_classification: Array<{ level: number; name: string | null; count: number }>;
  /** Every UTC day of the window, oldest first, days without objects at 0. */
  by_day: Array<{ day: string; count: number }>;
}

export interface IntelStats {
  byType: Array<{ type: string; count: number }>;
  versions: number;
  window?: StatsWindow;
}

/** The longest window of GET /api/v1/stats. */
export const STATS_WINDOW_MAX_DAYS = 366;

/** Microseconds since the epoch of a STIX timestamp (finer digits are cut), as date_added counts them. */

/**
 * The window asked for, checked: STIX timestamps, since before until, at most
 * STATS_WINDOW_MAX_DAYS. `open`: until was not given, so the window runs to whatever was added
 * last (date_added runs a microsecond ahead of the clock per object when objects arrive faster).
 */
function windowOf(ctx: AppContext, since: string, until: string | undefined): { since: string; until: string; from: number; to: number; open: boolean } {
  if (!isTimestamp(since)) throw shieldwallError('BAD_REQUEST', `since '${since}' is not a STIX timestamp: ${timestampHint}`);
  if (until !== undefined && !isTimestamp(until)) throw shieldwallError('BAD_REQUEST', `until '${until}' is not a STIX timestamp: ${timestampHint}`);
  const end = until ?? ctx.clock.now().toISOString();
  const from = timestampToEpochMicros(since);
  const to = timestampToEpochMicros(end);
  if (to < from) throw shieldwallError('BAD_REQUEST', `since '${since}' is after until '${end}': the window must start before it ends`);
  if (to - from > STATS_WINDOW_MAX_DAYS * repo.DAY_MICROS) {
    throw shieldwallError('BAD_REQUEST', `the window from ${since} to ${end} is longer than ${STATS_WINDOW_MAX_DAYS} days: ask for a shorter one (or several)`);
  }
  return { since, until: end, from, to, open: until === undefined };
}

const dayText = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

/**
 * Counts of what the actor may read (counts of the rest would tell what exists): current objects
 * by type, versions, and with `since` what was added in a window, through the same SQL pre-filter
 * of readable access sets and the reader's own rows.
 */
export async function intelStats(ctx: AppContext, actor: Principal, input: { since?: string; until?: string } = {}): Promise<IntelStats> {
  if (input.until !== undefined && input.since === undefined) throw shieldwallError('BAD_REQUEST', 'until needs since: a window of date_added is asked for with since (and until, default now)');
  // Counting grows with the store (0.35-0.41 s at 1,000,000 rows, a statement the node's thread
  // waits for on SQLite): counts that cost STATS_COSTLY_MS or more are given again to the same
  // reader for STATS_KEPT_MS, so that asking in a loop costs the node one count per period, until
  // this process stores or deletes objects (then everything is counted again; what other
  // processes on the store write shows within STATS_KEPT_MS). Cheaper ones are counted each time.
  const recent = ctx.state.get(STATS);
  const key = JSON.stringify([...principalKey(actor), input.since ?? null, input.until ?? null]);
  const kept = recent.answers.get(key, Date.now());
  if (kept) return kept;
  const generation = recent.generation;
  const started = performance.now();
  const stats = await countStats(ctx, actor, input);
  // Counted while objects were stored: maybe before them, so not kept.
  if (performance.now() - started >= recent.costlyMs && generation === recent.generation) recent.answers.set(key, Date.now(), Promise.resolve(stats));
  return stats;
}

/** How long costly counts are given again (ms), and from what cost (ms) they are kept. */
export const STATS_KEPT_MS = 10_000;
export const STATS_COSTLY_MS = 100;
const STATS = nodeState('intel.stats', (ctx) => {
  const kept = { answers: new RecentAnswers<IntelStats>({ keepMs: STATS_KEPT_MS, entries: 256 }), costlyMs: STATS_COSTLY_MS, generation: 0 };
  const changed = () => {
    kept.generation++;
    kept.answers.clear();
  };
  ctx.bus.subscribe('intel.added', changed);
  ctx.bus.subscribe('intel.deleted', changed);
  return kept;
});

/** This node's counts kept, and from what cost they are (tests lower it to see them kept). */
export function statsKept(ctx: AppContext): { costlyMs: number } {
  return ctx.state.get(STATS);
}

async function countStats(ctx: AppContext, actor: Principal, input: { since?: string; until?: string }): Promise<IntelStats> {
  const window = input.since !== undefined ? windowOf(ctx, input.since, input.until) : undefined;
  const { keys } = await readableAccessKeys(ctx, actor);
  const own = actor.member ? { member: actor.member.code, clearance: actor.clearance } : undefined;
  const [byType, versions, added] = await Promise.all([
    repo.countCurrentByType(ctx.store, keys, own, ctx.config.scanWindowRows),
    repo.countVersions(ctx.store, keys, own, ctx.config.scanWindowRows),
    window ? repo.countAddedBetween(ctx.store, { accessKeys: keys, own }, window.from, window.open ? undefined : window.to, ctx.config.scanWindowRows) : undefined,
  ]);
  if (!window || !added) return { byType, versions };
  const types = new Map<string, number>();
  const tlps = new Map<string | null, number>();
  const levels = new Map<number, number>();
  const days = new Map<number, number>();
  let total = 0;
  for (const group of added) {
    total += group.count;
    types.set(group.type, (types.get(group.type) ?? 0) + group.count);
    tlps.set(group.tlp, (tlps.get(group.tlp) ?? 0) + group.count);
    levels.set(group.classification, (levels.get(group.classification) ?? 0) + group.count);
    days.set(group.day, (days.get(group.day) ?? 0) + group.count);
  }
  const tlpRank = (tlp: string | null) => (tlp === null ? -1 : (TLP_LEVELS as readonly string[]).indexOf(tlp));
  const firstDay = Math.floor(window.from / repo.DAY_MICROS);
  const lastDay = Math.max(Math.floor(window.to / repo.DAY_MICROS), ...days.keys());
  const byDay: StatsWindow['by_day'] = [];
  for (let day = firstDay; day <= lastDay; day++) byDay.push({ day: dayText(day), count: days.get(day) ?? 0 });
  return {
    byType,
    versions,
    window: {
      since: window.since,
      until: window.until,
      added: total,
      by_type: [...types].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1)),
      by_tlp: [...tlps].map(([tlp, count]) => ({ tlp, count })).sort((a, b) => tlpRank(a.tlp) - tlpRank(b.tlp)),
      by_classification: [...levels].map(([level, count]) => ({ level, name: classificationName(level), count })).sort((a, b) => a.level - b.level),
      by_day: byDay,
    },
  };
}

/** The newest date_added sequence (0 for an empty store): where a feed of what is new starts. */
export function latestSeq(ctx: AppContext): Promise<number> {
  return repo.latestSeq(ctx.store);
}
