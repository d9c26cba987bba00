/** From a validated STIX object to the row the store keeps. Pure. */
import { markingColumns, type MarkingDefaults, type MarkingTable } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * A version key that compares as a string in time order: the timestamp with exactly nine
 * fractional digits ('2024-01-01T00:00:00.5Z' -> '2024-01-01T00:00:00.500000000Z').
 * Objects without timestamps (SCOs) have the empty key: one version per id.
 */
export function versionKey(timestamp: string | undefined): string {
  if (timestamp === undefined) return '';
  const match = TIMESTAMP.exec(timestamp);
  if (!match) return timestamp;
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`;
}

/**
 * The row's label: the name, value or pattern that the simple text search looks at (what a
 * relationship or sighting is about is its about_ref, not its label).
 */
export function searchLabel(object: StixObject): string | null {
  for (const key of LABEL_KEYS) {
    const value = object[key];
    if (typeof value === 'string') return value.length > LABEL_MAX ? value.slice(0, LABEL_MAX) : value;
  }
  return null;
}

/** The properties a label is taken from, the first that is a string (migration 0011 repeats this in SQL). */
export const LABEL_KEYS = ['name', 'value', 'pattern', 'subject', 'path', 'key', 'abstract'] as const;
export const LABEL_MAX = 512;

/** An object's own top-level description, searched by `?q=` beside the label (migration 0013 repeats this in SQL). */
export function descriptionOf(object: StixObject): string | null {
  const description = object['description'];
  return typeof description === 'string' ? description : null;
}

/** What a relationship points at (target_ref): an object page lists the relationships in to it. */
export function targetRef(object: StixObject): string | null {
  const target = object.type === 'relationship' ? object['target_ref'] : undefined;
  return typeof target === 'string' ? target : null;
}

/** What a relationship (source_ref) or a sighting (sighting_of_ref) is about: detection's context. */
export function aboutRef(object: StixObject): string | null {
  const about = object.type === 'relationship' ? object['source_ref'] : object.type === 'sighting' ? object['sighting_of_ref'] : undefined;
  return typeof about === 'string' ? about : null;
}

/**
 * What detection reads of an indicator, taken from the object's own top-level properties (never
 * from an extension or a reference that happens to hold a property of the same name); null on
 * other types. Migration 0011 fills the same columns for rows stored before, in SQL: keep both alike.
 */
export interface IndicatorColumns {
  pattern: string | null;
  patternType: string | null;
  patternVersion: string | null;
  validFrom: string | null;
  validUntil: string | null;
  /** An integer 0-100 (STIX 2.1 section 3.2), else null. */
  confidence: number | null;
  /** 1 when the object has granular_markings (a reader may be denied the pattern itself), else 0. */
  granular: number;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function indicatorColumns(object: StixObject): IndicatorColumns | null {
  if (object.type !== 'indicator') return null;
  const confidence = object['confidence'];
  return {
    pattern: text(object['pattern']),
    patternType: text(object['pattern_type']),
    patternVersion: text(object['pattern_version']),
    validFrom: text(object['valid_from']),
    validUntil: text(object['valid_until']),
    confidence: typeof confidence === 'number' && Number.isInteger(confidence) && confidence >= 0 && confidence <= 100 ? confidence : null,
    granular: object['granular_markings'] !== undefined ? 1 : 0,
  };
}

/**
 * A new object version as the store writes it: a tuple in the column order of the bulk insert
 * (cheap to pass between threads, and bound as it is, without copying). Use the ROW_* indexes to read it.
 */
export type NewVersion = [
  /** Set by the store when it writes the row (0 until then). */
  seq: number,
  /** Set by the store when it writes the row. */
  isCurrent: number,
  idHash: number,
  id: string,
  type: string,
  specVersion: string | null,
  created: string | null,
  modified: string | null,
  version: string,
  revoked: number,
  createdByRef: string | null,
  tlp: string | null,
  classification: number | null,
  releasability: string | null,
  label: string | null,
  body: string,
  /** Set by the store when it writes the row: the key of its access set (0 until then). */
  accessKey: number,
  /** Set by the writer: the node's member whose identity is created_by_ref, if any. */
  originMember: string | null,
  /** Set by the writer: who wrote the version ('member:CODE', 'peer:NAME' or 'node'). */
  submitter: string | null,
  aboutRef: string | null,
  // An indicator's columns (see IndicatorColumns), null on other types.
  pattern: string | null,
  patternType: string | null,
  patternVersion: string | null,
  validFrom: string | null,
  validUntil: string | null,
  confidence: number | null,
  granular: number | null,
  /** The object's own description (see descriptionOf). */
  description: string | null,
  /** A relationship's target_ref, null on other types. */
  targetRef: string | null,
];
export const ROW_SEQ = 0;
export const ROW_IS_CURRENT = 1;
export const ROW_ID_HASH = 2;
export const ROW_ID = 3;
export const ROW_TYPE = 4;
export const ROW_SPEC_VERSION = 5;
export const ROW_VERSION = 8;
export const ROW_REVOKED = 9;
export const ROW_CREATED_BY_REF = 10;
export const ROW_TLP = 11;
export const ROW_CLASSIFICATION = 12;
export const ROW_RELEASABILITY = 13;
export const ROW_BODY = 15;
export const ROW_ACCESS_KEY = 16;
export const ROW_ORIGIN_MEMBER = 17;
export const ROW_SUBMITTER = 18;
export const ROW_ABOUT_REF = 19;
export const ROW_PATTERN = 20;
export const ROW_PATTERN_TYPE = 21;
export const ROW_PATTERN_VERSION = 22;
export const ROW_VALID_FROM = 23;
export const ROW_VALID_UNTIL = 24;
export const ROW_CONFIDENCE = 25;
export const ROW_GRANULAR = 26;
export const ROW_DESCRIPTION = 27;
export const ROW_TARGET_REF = 28;

/**
 * A 53-bit hash of a STIX id, the key of the id index (two 32-bit multiplicative lanes, mixed
 * at the end). Equal ids hash equal; ids that share a hash are told apart by the id itself.
 */
export function idHash(id: string): number {
  let a = 0x9747b28c;
  let b = 0x6b43a9b5;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x9e3779b1);
    b = Math.imul(b ^ c, 0x85ebca77);
  }
  a ^= a >>> 15;
  a = Math.imul(a, 0x2c1b3c6d) ^ Math.imul(b, 0x297a2d39);
  b ^= b >>> 13;
  b = Math.imul(b, 0x5bd1e995) ^ Math.imul(a, 0x1b873593);
  a ^= a >>> 16;
  b ^= b >>> 16;
  return (b & 0x1fffff) * 0x100000000 + (a >>> 0);
}

export function toRow(object: StixObject, body: string, table: MarkingTable, defaults: MarkingDefaults): NewVersion {
  const markings = markingColumns(object, table, defaults);
  const modified = typeof object.modified === 'string' ? object.modified : null;
  const created = typeof object.created === 'string' ? object.created : null;
  const indicator = indicatorColumns(object);
  return [
    0,
    0,
    idHash(object.id),
    object.id,
    object.type,
    typeof object.spec_version === 'string' ? object.spec_version : null,
    created,
    modified,
    versionKey(modified ?? created ?? undefined),
    object.revoked === true ? 1 : 0,
    typeof object.created_by_ref === 'string' ? object.created_by_ref : null,
    markings.tlp,
    markings.classification,
    markings.releasability,
    searchLabel(object),
    body,
    0,
    null,
    null,
    aboutRef(object),
    indicator?.pattern ?? null,
    indicator?.patternType ?? null,
    indicator?.patternVersion ?? null,
    indicator?.validFrom ?? null,
    indicator?.validUntil ?? null,
    indicator?.confidence ?? null,
    indicator?.granular ?? null,
    descriptionOf(object),
    targetRef(object),
  ];
}

/** Whether a stored body may carry granular markings (any type: the granular column is an indicator's). */
export function mentionsGranularMarkings(body: string): boolean {
  return body.includes('"granular_markings"');
}
