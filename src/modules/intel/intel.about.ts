/**
 * The SQL of reads of what is said about objects: relationships out of an object (source_ref,
 * the about_ref column) or in to it (target_ref), and sightings of it (sighting_of_ref, about_ref).
 * Heads first: the columns the policy decides on and what the row is about, without the body, of
 * the rows of readable access sets and of the reader's own member only; then the bodies of the
 * rows the policy let through, by seq. However large or many the rows an object attracts, only
 * readable rows are examined, and only the bodies wanted are read.
 */
import type { PreparedRead, Placeholders } from '../../db/adapter.js';
import type { Store } from '../../db/database.js';
import { STORED, type StoredVersion } from './intel.stored.js';

export type AboutType = 'relationship' | 'sighting';

/**
 * What the SQL pre-filter keeps: rows of these access sets (the policy decided, per set, that the
 * reader may read them), rows of sets made after `newerThan` (made by another process since the
 * sets were read: the policy decides on their rows' own columns), and rows of the reader's own
 * member (by its code, or by its identity as created_by_ref) within its clearance. The policy
 * still decides on each row kept.
 */
export interface ReadableAbout {
  accessKeys: readonly number[];
  newerThan: number;
  own: { member: string; identity: string | null; clearance: number } | undefined;
}

/** A row without its body: its marking columns, what it is about (target_ref: relationships only), and the size of its body. */
export interface AboutHead extends Omit<StoredVersion, 'body' | 'submitter'> {
  /**
   * The body's length in bytes as stored (UTF-8): at least its length in characters. Both engines
   * answer it without reading the body (SQLite's octet_length from the record's header, PostgreSQL's
   * from the value's header), so that what reading the body would cost is known before.
   */
  size: number;
  about_ref: string;
  target_ref: string | null;
}

const HEAD = ['seq', 'octet_length(body)', 'about_ref', 'target_ref', 'tlp', 'classification', 'releasability', 'created_by_ref', 'access_key', 'origin_member'] as const;

type HeadColumns = [
  seq: number,
  size: number,
  aboutRef: string,
  targetRef: string | null,
  tlp: string | null,
  classification: number | null,
  releasability: string | null,
  createdByRef: string | null,
  accessKey: number | null,
  originMember: string | null,
];

function headOf(columns: HeadColumns): AboutHead {
  const [seq, size, aboutRef, targetRef, tlp, classification, releasability, createdByRef, accessKey, originMember] = columns;
  return {
    seq: Number(seq),
    size: Number(size),
    about_ref: aboutRef,
    target_ref: targetRef,
    tlp,
    classification: classification === null ? null : Number(classification),
    releasability,
    created_by_ref: createdByRef,
    access_key: accessKey === null ? null : Number(accessKey),
    origin_member: originMember,
  };
}

/** The pre-filter's condition; its parameters come after those before it (see readableParameters). */
function readableWhere(p: Placeholders, own: boolean): string {
  const sets = `access_key ${p.in('int4')} or access_key > ${p.value()}`;
  return own ? `(${sets} or ((origin_member = ${p.value()} or created_by_ref = ${p.value()}) and classification <= ${p.value()}))` : `(${sets})`;
}

/** Classifications are integer columns: a clearance past the largest compares as it. */
const INTEGER_MAX = 2 ** 31 - 1;

function readableParameters(readable: ReadableAbout): unknown[] {
  const own = readable.own;
  const sets = [[...readable.accessKeys], readable.newerThan];
  return own ? [...sets, own.member, own.identity, Math.min(own.clearance, INTEGER_MAX)] : sets;
}

/** One prepared read per variant of the pre-filter (with or without the reader's own rows). */
function variants(name: string, text: (p: Placeholders, readable: (p: Placeholders) => string) => string): { own: PreparedRead; sets: PreparedRead } {
  return {
    own: { name: `${name}_own`, text: (p) => text(p, (q) => readableWhere(q, true)) },
    sets: { name: `${name}_sets`, text: (p) => text(p, (q) => readableWhere(q, false)) },
  };
}

function variantOf(reads: { own: PreparedRead; sets: PreparedRead }, readable: ReadableAbout): PreparedRead {
  return readable.own ? reads.own : reads.sets;
}

// Literal type predicates, so that SQLite proves the partial indexes of migrations 0013 and 0014 apply (bound values would not).
const typeWhere = (type: AboutType): string => `type = '${type}' and is_current = 1`;

/** The heads of rows about any of a list of objects, in no order; at most a limit. */
const HEADS_ABOUT: Record<AboutType, { own: PreparedRead; sets: PreparedRead }> = {
  relationship: variants('about_heads_relationship', (p, readable) => `select ${HEAD.join(', ')} from stix_objects where ${typeWhere('relationship')} and about_ref ${p.in('text')} and ${readable(p)} limit ${p.value()}`),
  sighting: variants('about_heads_sighting', (p, readable) => `select ${HEAD.join(', ')} from stix_objects where ${typeWhere('sighting')} and about_ref ${p.in('text')} and ${readable(p)} limit ${p.value()}`),
};

/** Object lists are padded to a few lengths (with their last id, which finds the same rows): SQLite prepares a statement per length. */
const LIST_LENGTHS = [1, 8, 64, 500];

function padded<T>(list: readonly T[], lengths: readonly number[]): T[] {
  const length = lengths.find((n) => n >= list.length) ?? list.length;
  return list.length === length ? [...list] : [...list, ...new Array<T>(length - list.length).fill(list[list.length - 1]!)];
}

/**
 * Heads of the current relationships out of (about_ref) or sightings of any of these objects (at
 * most 500), that the pre-filter keeps; at most `limit`, in no particular order (one range of a
 * partial index per object, read until the limit).
 */
export async function headsAbout(store: Store, type: AboutType, refs: readonly string[], readable: ReadableAbout, limit: number): Promise<AboutHead[]> {
  if (refs.length === 0) return [];
  const rows = await store.adapter.readArrays<HeadColumns>(variantOf(HEADS_ABOUT[type], readable), [padded(refs, LIST_LENGTHS), ...readableParameters(readable), limit]);
  return rows.map(headOf);
}

/** Which rows are about an object: relationships out of it, relationships in to it, its sightings. */
export type AboutSide = 'out' | 'in' | 'sighting';

const SIDE_WHERE: Record<AboutSide, string> = {
  out: `${typeWhere('relationship')} and about_ref`,
  in: `${typeWhere('relationship')} and target_ref`,
  sighting: `${typeWhere('sighting')} and about_ref`,
};

const sideReads = (order: 'asc' | 'desc') =>
  Object.fromEntries(
    (['out', 'in', 'sighting'] as const).map((side) => [
      side,
      variants(`about_heads_${side}_${order}`, (p, readable) =>
        `select ${HEAD.join(', ')} from stix_objects where ${SIDE_WHERE[side]} = ${p.value()} and seq ${order === 'asc' ? '>' : '<'} ${p.value()} and ${readable(p)} order by seq ${order} limit ${p.value()}`,
      ),
    ]),
  ) as Record<AboutSide, { own: PreparedRead; sets: PreparedRead }>;

const HEADS_OLDEST_FIRST = sideReads('asc');
const HEADS_NEWEST_FIRST = sideReads('desc');

/**
 * Heads of the current rows about one object on one side that the pre-filter keeps, in date_added
 * order after `afterSeq` (oldest first) or before `beforeSeq` (newest first); at most `limit`. One
 * range of a partial index, read in order and no further than the limit.
 */
export async function headsOf(store: Store, side: AboutSide, id: string, readable: ReadableAbout, bound: { afterSeq: number } | { beforeSeq: number }, limit: number): Promise<AboutHead[]> {
  const oldestFirst = 'afterSeq' in bound;
  const read = variantOf((oldestFirst ? HEADS_OLDEST_FIRST : HEADS_NEWEST_FIRST)[side], readable);
  const rows = await store.adapter.readArrays<HeadColumns>(read, [id, oldestFirst ? bound.afterSeq : bound.beforeSeq, ...readableParameters(readable), limit]);
  return rows.map(headOf);
}

/** A row read whole: its stored columns, its id, and what it is about. */
export type AboutRow = StoredVersion & { id: string; about_ref: string | null };

const BODIES: PreparedRead = {
  name: 'about_bodies',
  text: (p) => `select id, about_ref, ${STORED.join(', ')} from stix_objects where seq ${p.in('int8')} and is_current = 1`,
};

const SEQ_LENGTHS = [1, 16, 64, 256, 1024, 4096];

/**
 * The rows of these seqs that are still current, in the order given (a row superseded or deleted
 * since its head was read is left out). At most 4,096 at once.
 */
export async function currentBodies(store: Store, seqs: readonly number[]): Promise<AboutRow[]> {
  if (seqs.length === 0) return [];
  const rows = await store.adapter.readObjects<AboutRow>(BODIES, [padded(seqs, SEQ_LENGTHS)]);
  const bySeq = new Map<number, AboutRow>();
  for (const row of rows) {
    row.seq = Number(row.seq);
    if (row.access_key !== null) row.access_key = Number(row.access_key);
    if (row.classification !== null) row.classification = Number(row.classification);
    bySeq.set(row.seq, row);
  }
  return seqs.flatMap((seq) => bySeq.get(seq) ?? []);
}
