/** Reads of the object store: one object, its versions, what is about objects, rows by sequence; each as the reader may see it. */
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import type { Principal } from '../../policy/principal.js';
import type { WriteTx } from '../../db/database.js';
import { accessOfColumns, canRead, canReadVersion, redact, type ObjectAccess } from '../../policy/rule.js';
import type { StixObject } from '../../stix/types.js';
import { validateObject } from '../../stix/validate.js';
import * as audit from '../audit/audit.service.js';
import { currentBodies, headsAbout, headsOf, type AboutHead, type AboutRow, type AboutType, type ReadableAbout } from './intel.about.js';
import { accessSetUnknown, knownAccessSets, readableKeysIn } from './intel.access.js';
import { handlingTable, markingDefaults } from './intel.ingest.js';
import * as repo from './intel.repo.js';

export const STIX_ID = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function parseBody(body: string): StixObject {
  return JSON.parse(body) as StixObject;
}

/** Redaction keeps objects valid STIX: what would not be is withheld (see policy redact). */
const isValidStix = (object: StixObject): boolean => validateObject(object).ok;

/**
 * Whether a stored body may hold granular markings. Bodies are stored canonical (see
 * intel.prepare), so the key is found as written; a body with a \u escape (stored before that)
 * is parsed to be sure.
 */
function mayHaveGranularMarkings(body: string): boolean {
  return body.includes('"granular_markings"') || body.includes('\\u');
}

interface Visible {
  /** The object as the actor may see it; undefined when only the text was asked for and it is the stored body. */
  object: StixObject | undefined;
  /** Its JSON text, when asked for. */
  text: string | undefined;
  /** Granular markings removed something (the object is then given). */
  redacted: boolean;
}

/**
 * The row as the actor may see it, or undefined: need-to-know (canRead) on the stored marking
 * columns, then redaction of granular markings (which may withhold the object). Every read of
 * an object body goes through here. `asText`: the JSON text is wanted, and the body is passed on
 * as stored unless a granular marking may hide a part of it (saves parsing and serialising
 * every object of a page that is passed on as it is: TAXII, export).
 */
export async function visibleRow(ctx: AppContext, actor: Principal, row: repo.StoredVersion, audited: string[] | undefined, asText: boolean): Promise<Visible | undefined> {
  const access = accessOfColumns(row);
  if (!canRead(actor, access)) return undefined;
  const audit = audited !== undefined && access.classification >= ctx.config.auditReadLevel;
  if (asText && !audit && !mayHaveGranularMarkings(row.body)) return { object: undefined, text: row.body, redacted: false };
  const parsed = parseBody(row.body);
  const object = redact(actor, parsed, await handlingTable(ctx), markingDefaults(ctx), isValidStix);
  if (!object) return undefined;
  if (audit) audited.push(object.id);
  const redacted = object !== parsed;
  return { object, text: asText ? (redacted ? JSON.stringify(object) : row.body) : undefined, redacted };
}

/** The object as the actor may see it, or undefined (see visibleRow). */
async function visible(ctx: AppContext, actor: Principal, row: repo.StoredVersion, audited?: string[]): Promise<StixObject | undefined> {
  return (await visibleRow(ctx, actor, row, audited, false))?.object;
}

/**
 * Puts a refused read on record without a write of its own: counted with the reader's other
 * refusals and written once per interval, so that a denied read costs what an absent id costs
 * (and a flood of probes no write each).
 */
function deniedRead(ctx: AppContext, actor: Principal, id: string, detail?: Record<string, unknown>): void {
  audit.recordRefusal(ctx, actor, `${actor.kind}:${actor.name}`, { action: 'intel.read.denied', subject: id, ...(detail ? { detail } : {}) });
}

/** Records the reads of highly classified objects one request made (one audit entry). */
export async function auditReads(ctx: AppContext, actor: Principal, ids: string[], how: string): Promise<void> {
  if (ids.length > 0) await audit.record(ctx, actor, [{ action: 'intel.read', subject: how, detail: { ids: [...new Set(ids)] } }]);
}

/** A stored version as the reader sees it, with the row it was read from (its marking columns). */
export interface SeenVersion {
  object: StixObject;
  row: repo.StoredVersion;
}

/**
 * The current version of an object as the actor may see it, with its row; 404 when there is none
 * it may read, exactly as when the id is not held. `reads`: highly classified reads, for the
 * caller's audit entry.
 */
export async function readCurrent(ctx: AppContext, actor: Principal, id: string, reads: string[]): Promise<SeenVersion> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>, e.g. indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`);
  const found = await repo.findCurrent(ctx.store, id);
  let seen: SeenVersion | undefined;
  // An observable may be held in copies under different markings: the first one the actor may read.
  for (let i = 0; i < found.length && !seen; i++) {
    const object = await visible(ctx, actor, found[i]!, reads);
    if (object) seen = { object, row: found[i]! };
  }
  // An object the actor may not read is answered exactly like one that does not exist, and as
  // fast: the attempt is put on record without the answer waiting for it.
  if (found.length > 0 && !seen) deniedRead(ctx, actor, id);
  if (!seen) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
  return seen;
}

export async function getObject(ctx: AppContext, actor: Principal, id: string): Promise<StixObject> {
  const reads: string[] = [];
  const { object } = await readCurrent(ctx, actor, id, reads);
  await auditReads(ctx, actor, reads, `object ${id}`);
  return object;
}

/**
 * The most object text an answer that leaves the node carries (a page of objects, an object's
 * versions): past it the answer ends early, with a cursor, as TAXII 2.1 lets a server answer
 * fewer objects than asked for (section 3.4, "more"). 32 Mi characters: 4 objects at the 8 MB
 * object limit, some 30,000 indicators.
 */
export const PAGE_CHARS = 32 * 1024 * 1024;
/** Rows read from the store at first by a read that may meet large objects. */
const FETCH_ROWS_FIRST = 16;
/** The most rows such a read takes at once. */
const FETCH_ROWS_MAX = 4096;

/**
 * How many rows to read next, at most `wanted`: FETCH_ROWS_FIRST before any row was seen, then
 * as many as PAGE_CHARS of the largest row seen so far allows (1 to FETCH_ROWS_MAX). What a read
 * holds at once thus follows the text it gives, not its count times the largest object.
 */
export function rowsToFetch(wanted: number, largest: number): number {
  return Math.min(wanted, largest === 0 ? FETCH_ROWS_FIRST : Math.max(1, Math.min(FETCH_ROWS_MAX, Math.floor(PAGE_CHARS / largest))));
}

/** Versions whose marking columns are read at once, newest first, for the policy to decide on: at first, and at most (some 13 MB). */
const VERSION_HEADS_RUN = 4096;
const VERSION_HEADS_RUN_MAX = 65_536;

/** The most versions the object page shows, and `?versions=all` gives at once. */
export const VERSIONS_SHOWN = 100;
export const VERSIONS_PAGE_MAX = 1000;

export interface VersionsRead {
  /** The versions read, oldest first. */
  versions: SeenVersion[];
  /** Older versions the actor may read remain: where to read on (the oldest version given). */
  older: repo.VersionPosition | undefined;
}

/**
 * The newest `limit` versions of an object the actor may read (see canReadVersion), before
 * `before` (newest first), oldest first, with their rows, and at most PAGE_CHARS of their text
 * (at least one); 404 when the actor reads none of its versions. An object versioned 50,000
 * times is read a run of rows at a time, never whole.
 */
export async function readVersions(ctx: AppContext, actor: Principal, id: string, reads: string[], bound: { limit: number; before?: repo.VersionPosition }): Promise<VersionsRead> {
  if (!STIX_ID.test(id)) throw shieldwallError('BAD_REQUEST', `'${id}' is not a STIX identifier: expected <type>--<UUID>`);
  const newestFirst: SeenVersion[] = [];
  const current = (await repo.currentMarkings(ctx.store, [id])).map(accessOfColumns);
  let position = bound.before;
  let chars = 0;
  let largest = 0;
  let unreadable = 0;
  let more = false;
  let oldestGiven: repo.VersionPosition | undefined;
  // The policy decides on each version's marking columns first; only the bodies of versions it
  // lets through are read, as many at a time as rowsToFetch allows.
  // Each read of heads sorts all the id's versions: the runs grow, so that few sorts reach the oldest.
  let run = VERSION_HEADS_RUN;
  read: for (; ; run = Math.min(run * 2, VERSION_HEADS_RUN_MAX)) {
    const heads = await repo.findVersionHeads(ctx.store, id, position, run);
    /** Where each readable head stands in the run: the unreadable ones before a stop are those refused. */
    const at: number[] = [];
    const readable = heads.filter((head, index) => canReadVersion(actor, accessOfColumns(head), current) && at.push(index) > 0);
    for (let i = 0; i < readable.length; ) {
      const take = rowsToFetch(Math.min(readable.length - i, bound.limit - newestFirst.length + 1), largest);
      const bodies = await repo.versionBodies(ctx.store, readable.slice(i, i + take).map((head) => Number(head.seq)));
      for (const [j, row] of bodies.entries()) {
        largest = Math.max(largest, row.body.length);
        const full = newestFirst.length === bound.limit || (newestFirst.length > 0 && chars + row.body.length > PAGE_CHARS);
        // Past a full answer, one more version the actor may read only says that there is more (it is not read).
        const object = await visible(ctx, actor, row, full ? undefined : reads);
        if (!object) {
          unreadable++;
          continue;
        }
        if (full) {
          more = true;
          // Of this run, only the versions the policy refused before this one count as refused.
          unreadable += at[i + j]! - (i + j);
          break read;
        }
        newestFirst.push({ object, row });
        oldestGiven = { version: row.version, seq: Number(row.seq) };
        chars += row.body.length;
      }
      i += take;
    }
    unreadable += heads.length - readable.length;
    if (heads.length < run) break;
    const last = heads[heads.length - 1]!;
    position = { version: last.version, seq: Number(last.seq) };
  }
  if (unreadable > 0) deniedRead(ctx, actor, id, { versions: unreadable });
  // Older versions asked for by a cursor may be none; an object the actor reads no version of is not found, cursor or not.
  if (newestFirst.length === 0) {
    if (bound.before === undefined) throw shieldwallError('NOT_FOUND', `no object with id ${id}`);
    await readCurrent(ctx, actor, id, []);
  }
  return { versions: newestFirst.reverse(), older: more ? oldestGiven : undefined };
}

/**
 * Which of these versions of an object the actor may read, by the rule of readVersions
 * (canReadVersion, then visibleRow): for what is said about versions (who delivered them) without
 * their bodies. A version the store no longer holds is not among them.
 */
export async function readableVersionsOf(ctx: AppContext, actor: Principal, id: string, versions: readonly string[]): Promise<Set<string>> {
  const readable = new Set<string>();
  if (versions.length === 0) return readable;
  const current = (await repo.currentMarkings(ctx.store, [id])).map(accessOfColumns);
  const candidates = (await repo.versionHeadsNamed(ctx.store, id, versions)).filter((head) => canReadVersion(actor, accessOfColumns(head), current));
  // Then each body as visibleRow sees it (a granular marking may withhold the whole version), as
  // many at a time as rowsToFetch allows; one that carries no granular marking is not parsed.
  let largest = 0;
  for (let i = 0; i < candidates.length; ) {
    const take = rowsToFetch(candidates.length - i, largest);
    for (const row of await repo.versionBodies(ctx.store, candidates.slice(i, i + take).map((head) => Number(head.seq)))) {
      largest = Math.max(largest, row.body.length);
      if (!readable.has(row.version) && (await visibleRow(ctx, actor, row, undefined, true))) readable.add(row.version);
    }
    i += take;
  }
  return readable;
}

/** A cursor to older versions: the (version, seq) of the oldest version given. */
export function encodeVersionCursor(position: repo.VersionPosition): string {
  return Buffer.from(JSON.stringify([position.version, position.seq])).toString('base64url');
}

export function decodeVersionCursor(cursor: string): repo.VersionPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || value[0].length > 64 || !Number.isSafeInteger(value[1])) {
    throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 100)}' was not issued by this node for an object's versions; start again without a cursor`);
  }
  return { version: value[0], seq: value[1] as number };
}

/** A page of an object's versions (GET /api/v1/objects/{id}?versions=all): the newest `limit`, oldest first, and a cursor to older ones. */
export async function versionsPage(ctx: AppContext, actor: Principal, id: string, page: { limit?: number; cursor?: string } = {}): Promise<{ versions: StixObject[]; next: string | undefined }> {
  const reads: string[] = [];
  const before = page.cursor !== undefined ? decodeVersionCursor(page.cursor) : undefined;
  const read = await readVersions(ctx, actor, id, reads, { limit: Math.min(page.limit ?? VERSIONS_PAGE_MAX, VERSIONS_PAGE_MAX), ...(before ? { before } : {}) });
  await auditReads(ctx, actor, reads, `versions of ${id}`);
  return { versions: read.versions.map((v) => v.object), next: read.older ? encodeVersionCursor(read.older) : undefined };
}

/** Most rows about objects that one read examines (their heads: the columns the policy decides on), in all. */
export const ABOUT_LIMIT = 20_000;

/** Objects whose rows are read by one query, at most. */
const ABOUT_OBJECTS_PER_READ = 500;

export interface AboutOptions {
  /** Rows examined per object at most, oldest first (default ABOUT_LIMIT). */
  perObject?: number;
  /** Text of the bodies read per object at most (default: `chars`); at least one body of each object is read. */
  charsPerObject?: number;
  /** Text of the bodies read in all at most (default PAGE_CHARS); at least one body is read. */
  chars?: number;
  /** Relationships whose target_ref is of one of these types only: the others' bodies are not read. */
  targetTypes?: ReadonlySet<string>;
}

export interface ObjectsAbout {
  /** As the actor may see them, each object's oldest first. */
  objects: StixObject[];
  /** Rows the actor may read were left unread (a cap of AboutOptions): the objects are a part of them. */
  truncated: boolean;
  /** The objects some of whose rows were left unread. */
  incomplete: ReadonlySet<string>;
}

/**
 * What the SQL pre-filter of reads about objects keeps for this actor: the access sets the policy
 * lets it read, of those this process knows (no query on each read), sets made since by another
 * process, and its own member's rows within its clearance (the originator reads its own).
 */
export async function readableAbout(ctx: AppContext, actor: Principal): Promise<ReadableAbout> {
  const sets = await knownAccessSets(ctx);
  const member = actor.member;
  return {
    accessKeys: readableKeysIn(sets, actor),
    newerThan: sets.length > 0 ? sets[sets.length - 1]!.key : 0,
    own: member ? { member: member.code, identity: member.identityId ?? null, clearance: actor.clearance } : undefined,
  };
}

/** Rows of access sets made since the sets were read: the next read of the sets takes them in (see accessSetUnknown). */
export function noteNewerSets(ctx: AppContext, readable: ReadableAbout, heads: readonly AboutHead[]): void {
  for (const head of heads) {
    if (head.access_key !== null && head.access_key > readable.newerThan) {
      accessSetUnknown(ctx, head.access_key);
      return;
    }
  }
}

const typeOfRef = (id: string): string => id.slice(0, id.indexOf('--'));

/**
 * The current relationships whose source is one of these objects, or the sightings of them, that
 * the actor may read (redacted as for any read), each object's oldest first. The rows' heads are
 * read first, of readable access sets and of the actor's own member only (AboutOptions.perObject
 * of each object, ABOUT_LIMIT in all); the policy decides on each head, and only the bodies of
 * rows it lets through are read, as many as AboutOptions.chars and charsPerObject hold by the
 * sizes the heads tell. So rows the actor may not read cost nothing, and rows it may read cost
 * what the caps allow, however many or large they are.
 */
export async function objectsAbout(ctx: AppContext, actor: Principal, type: 'relationship' | 'sighting', refs: readonly string[], options: AboutOptions = {}): Promise<ObjectsAbout> {
  const objects: StixObject[] = [];
  const incomplete = new Set<string>();
  if (refs.length === 0) return { objects, truncated: false, incomplete };
  const readable = await readableAbout(ctx, actor);
  const perObject = Math.max(1, Math.min(options.perObject ?? ABOUT_LIMIT, ABOUT_LIMIT));
  const heads = await headsAboutObjects(ctx, type, [...new Set(refs)], readable, perObject, incomplete);
  noteNewerSets(ctx, readable, heads);
  const wanted = heads.filter((head) => canRead(actor, accessOfColumns(head)) && (!options.targetTypes || (head.target_ref !== null && options.targetTypes.has(typeOfRef(head.target_ref)))));
  wanted.sort((a, b) => a.seq - b.seq);
  const reads: string[] = [];
  const complete = await readBodies(ctx, wanted, { chars: options.chars ?? PAGE_CHARS, charsPerObject: options.charsPerObject ?? Infinity }, incomplete, async (row) => {
    const object = await visible(ctx, actor, row, reads);
    if (object) objects.push(object);
  });
  await auditReads(ctx, actor, reads, `${type}s about ${refs.length} objects`);
  return { objects, truncated: !complete || incomplete.size > 0, incomplete };
}

/**
 * The heads of rows about these objects that the pre-filter keeps: at most `perObject` of each
 * (its oldest) and ABOUT_LIMIT in all. An object whose rows were not all taken goes into
 * `incomplete`. One read per 500 objects; when one of them has more rows than its share, each
 * object of that read is read on its own, in order, up to its share.
 */
async function headsAboutObjects(ctx: AppContext, type: AboutType, refs: readonly string[], readable: ReadableAbout, perObject: number, incomplete: Set<string>): Promise<AboutHead[]> {
  const heads: AboutHead[] = [];
  let left = ABOUT_LIMIT;
  for (let i = 0; i < refs.length; i += ABOUT_OBJECTS_PER_READ) {
    const chunk = refs.slice(i, i + ABOUT_OBJECTS_PER_READ);
    const cap = Math.min(left, perObject * chunk.length);
    let got = chunk.length === 1 || cap === 0 ? undefined : await headsAbout(ctx.store, type, chunk, readable, cap + 1);
    if (got === undefined || got.length > cap) {
      got = [];
      for (const ref of chunk) {
        const share = Math.min(left - got.length, perObject);
        if (share === 0) {
          incomplete.add(ref);
          continue;
        }
        const own = await headsOf(ctx.store, type === 'relationship' ? 'out' : 'sighting', ref, readable, { afterSeq: 0 }, share + 1);
        if (own.length > share) {
          incomplete.add(ref);
          own.length = share;
        }
        for (const head of own) got.push(head);
      }
    } else if (got.length > perObject) {
      // All the rows of these objects were read; one object may still have more than its share.
      const byObject = new Map<string, AboutHead[]>();
      for (const head of got) {
        let list = byObject.get(head.about_ref);
        if (!list) byObject.set(head.about_ref, (list = []));
        list.push(head);
      }
      got = [];
      for (const [ref, list] of byObject) {
        if (list.length > perObject) {
          incomplete.add(ref);
          list.sort((a, b) => a.seq - b.seq).length = perObject;
        }
        for (const head of list) got.push(head);
      }
    }
    left -= got.length;
    for (const head of got) heads.push(head);
  }
  return heads;
}

/**
 * Reads the rows of these heads (oldest first) and hands each to `visit`: of each object, those
 * whose bodies fit in `charsPerObject` (at least one), and of all, those that fit in `chars` (at
 * least one), as their heads tell the size; in runs of at most RUN_CHARS of text. Objects whose
 * rows were left unread go into `incomplete`; false when the budget in all ended the reading.
 */
async function readBodies(
  ctx: AppContext,
  heads: readonly AboutHead[],
  budget: { chars: number; charsPerObject: number },
  incomplete: Set<string>,
  visit: (row: AboutRow) => Promise<void>,
): Promise<boolean> {
  const spent = new Map<string, number>();
  /** Objects past their budget: an object's rows are read oldest first, so none of the rest is. */
  const stopped = new Set<string>();
  const chosen: AboutHead[] = [];
  let total = 0;
  let complete = true;
  for (const head of heads) {
    const ref = head.about_ref;
    if (stopped.has(ref)) continue;
    const used = spent.get(ref) ?? 0;
    if (!complete || (total > 0 && total + head.size > budget.chars)) {
      complete = false;
      incomplete.add(ref);
      continue;
    }
    if (used > 0 && used + head.size > budget.charsPerObject) {
      stopped.add(ref);
      incomplete.add(ref);
      continue;
    }
    spent.set(ref, used + head.size);
    total += head.size;
    chosen.push(head);
  }
  for (const run of runsOf(chosen)) {
    for (const row of await currentBodies(ctx.store, run)) await visit(row);
  }
  return complete;
}

/** Text of the bodies one read of the store returns at most (at least one body). */
const RUN_CHARS = 8 * 1024 * 1024;

/** The seqs of these heads in runs of at most RUN_CHARS of text and FETCH_ROWS_MAX rows. */
export function* runsOf(heads: readonly { seq: number; size: number }[]): Generator<number[]> {
  let run: number[] = [];
  let chars = 0;
  for (const head of heads) {
    if (run.length > 0 && (run.length === FETCH_ROWS_MAX || chars + head.size > RUN_CHARS)) {
      yield run;
      run = [];
      chars = 0;
    }
    run.push(head.seq);
    chars += head.size;
  }
  if (run.length > 0) yield run;
}

/**
 * The current objects of these ids as the reader may see them (redacted as any read is), by id:
 * of an observable held in several copies, the first the reader may read. Ids it may not read,
 * or that are not stored, are absent.
 */
export async function objectsByIds(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<Map<string, StixObject>> {
  const out = new Map<string, StixObject>();
  const reads: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of await repo.currentOfIds(ctx.store, ids.slice(i, i + 500))) {
      if (out.has(row.id)) continue;
      const object = await visible(ctx, actor, row, reads);
      if (object) out.set(row.id, object);
    }
  }
  await auditReads(ctx, actor, reads, `${ids.length} objects by id`);
  return out;
}

/**
 * The markings of the current versions of these objects (each copy of an observable held in
 * several), for the node's own decisions about what it writes: an incident's STIX copy names only
 * the links all its readers may know of (policy/rule.ts readersCovered). Not a read path: nothing
 * of them is answered to anyone.
 */
export async function currentAccessOf(ctx: AppContext, ids: readonly string[]): Promise<Map<string, ObjectAccess[]>> {
  const out = new Map<string, ObjectAccess[]>();
  const wanted = [...new Set(ids)];
  for (let i = 0; i < wanted.length; i += 500) {
    for (const row of await repo.currentOfIds(ctx.store, wanted.slice(i, i + 500))) {
      const copies = out.get(row.id);
      const access = accessOfColumns(row);
      if (copies) copies.push(access);
      else out.set(row.id, [access]);
    }
  }
  return out;
}

/** A current row as the node's own indexes read it (no reader: they apply the rule per read). */
export type CurrentRow = repo.CurrentRow;

/**
 * Current versions of some types in date_added order after `afterSeq`, for the node's own
 * in-memory indexes (detection). Not a read path: whoever answers a reader from what it builds
 * applies canRead to each answer (see accessSets).
 */
export async function scanCurrent(ctx: AppContext, types: string[], afterSeq: number, limit: number): Promise<CurrentRow[]> {
  return repo.scanCurrent(ctx.store, types, afterSeq, limit);
}

/**
 * Objects deleted whole after record `after` (by any process on the store), and which of them a
 * version stored since has brought back: for the node's own indexes, which drop the rest.
 */
export async function deletedSince(ctx: AppContext, after: number, limit: number): Promise<{ deleted: Array<{ seq: number; id: string }>; back: Set<string> }> {
  const deleted = await repo.deletionsSince(ctx.store.db, after, limit);
  const back = deleted.length === 0 ? new Set<string>() : await repo.currentAmong(ctx.store, [...new Set(deleted.map((d) => d.id))]);
  return { deleted, back };
}

/** The latest record of a whole deletion (0 when none is kept): where an index built now goes on from. */
export function latestDeletion(ctx: AppContext): Promise<number> {
  return repo.latestDeletion(ctx.store.db);
}

/** What current rows of these types after `afterSeq` are about (for the node's own indexes; see scanCurrent). */
export async function scanAbout(ctx: AppContext, types: string[], afterSeq: number, limit: number): Promise<Array<{ seq: number; about_ref: string | null }>> {
  return repo.scanAbout(ctx.store, types, afterSeq, limit);
}

/**
 * The current versions of an object as stored, with their marking columns, for the node's own
 * records of what arrived (the incidents board reads incidents received as STIX into rows that
 * carry these markings). Not a read path: whoever answers a reader from what it builds decides
 * each answer with the policy (the board: canReadRecord on the row's markings).
 */
export async function storedCurrent(ctx: AppContext, id: string): Promise<Array<{ object: StixObject; row: repo.StoredVersion }>> {
  return (await repo.findCurrent(ctx.store, id)).map((row) => ({ object: parseBody(row.body), row }));
}

/**
 * Every version of these types stored after a sequence number, in order (bodies as stored). Not a
 * read path: a view built from it (the cumulative assessment) decides each answer with the policy
 * on the versions' access sets.
 */
export async function versionsSince(ctx: AppContext, types: readonly string[], afterSeq: number, limit: number): Promise<repo.SequencedVersion[]> {
  return repo.versionsSince(ctx.store, types, afterSeq, limit);
}

/** Whether the store holds a current version of an id, read in the caller's write transaction. */
export async function holdsCurrent(tx: WriteTx, id: string): Promise<boolean> {
  return repo.holdsCurrent(tx, id);
}

/** The rows with these date_added sequence numbers, current or not. */
export async function rowsBySeq(ctx: AppContext, seqs: number[]): Promise<CurrentRow[]> {
  return repo.rowsBySeq(ctx.store, seqs);
}

/** The newest versions of an object the actor may read (up to VERSIONS_PAGE_MAX, and PAGE_CHARS of text), oldest first. */
export async function getVersions(ctx: AppContext, actor: Principal, id: string): Promise<StixObject[]> {
  return (await versionsPage(ctx, actor, id)).versions;
}
