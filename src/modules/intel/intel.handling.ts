/**
 * The handling of an object as answers show it (TLP, classification, releasability, originating
 * member: the marking columns the policy computed when it was stored, the most restrictive of its
 * markings), and the handling filters of a listing, read from a query's text.
 */
import { shieldwallError } from '../../core/errors.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, releasabilityEntries, TLP_LEVELS } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';

export interface Handling {
  /** clear, green, amber, amber+strict or red (TLP 1.0 WHITE stored as clear); null: no TLP marking. */
  tlp: string | null;
  /** The level in the classification scheme (0 UNCLASSIFIED ... 4 TOP SECRET). */
  classification: number;
  classification_name: string | null;
  /** Member codes, group names, '@user' and '*' the object is released to. */
  releasable_to: string[];
  /** The code of the member of this node that originated it (its identity is the created_by_ref); null: none of them. */
  origin: string | null;
}

/** The marking columns of a stored row that handling is made of. */
export interface HandlingColumns {
  tlp: string | null;
  classification: number | null;
  releasability: string | null;
  origin_member: string | null;
  created_by_ref: string | null;
}

export function classificationName(level: number): string | null {
  return DEFAULT_CLASSIFICATIONS[level] ?? null;
}

/**
 * The handling of a row as a reader sees the object (`seen`, redacted for it). The originating
 * member is derived from created_by_ref: where a granular marking hides created_by_ref from the
 * reader, the origin is not shown either.
 */
export function handlingOf(row: HandlingColumns, seen: StixObject | undefined): Handling {
  const classification = row.classification === null ? Number.MAX_SAFE_INTEGER : Number(row.classification);
  const origin = row.origin_member !== null && (seen === undefined || seen.created_by_ref === row.created_by_ref) ? row.origin_member : null;
  return {
    tlp: row.tlp,
    classification,
    classification_name: classificationName(classification),
    releasable_to: row.releasability === null ? [] : [...releasabilityEntries(row.releasability)],
    origin,
  };
}

/** The `tlp` filter's word for objects without a TLP marking. */
export const NO_TLP = 'none';
export const TLP_FILTER_VALUES: readonly string[] = [...TLP_LEVELS, NO_TLP];

function listOf(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * `tlp=amber,red` as the stored column values (null for `none`); unknown values are a 400. A
 * query string reads `+` as a space: `amber strict` is taken for amber+strict.
 */
export function parseTlpFilter(value: string): Array<string | null> {
  const values = listOf(value.toLowerCase()).map((v) => v.replace(/\s+/g, '+'));
  const unknown = values.filter((v) => !TLP_FILTER_VALUES.includes(v === 'white' ? 'clear' : v));
  if (values.length === 0 || unknown.length > 0) {
    throw shieldwallError('BAD_REQUEST', `tlp '${value}' is not a list of TLP levels: use one or more of ${TLP_FILTER_VALUES.join(', ')} separated by commas (TLP 1.0 white reads as clear)`);
  }
  return [...new Set(values.map((v) => (v === NO_TLP ? null : v === 'white' ? 'clear' : v)))];
}

/** `classification=SECRET,2` as levels (names in any case, or numbers); unknown values are a 400. */
export function parseClassificationFilter(value: string): number[] {
  const levels: number[] = [];
  const values = listOf(value);
  for (const v of values) {
    const level = /^\d+$/.test(v) ? (Number(v) < DEFAULT_CLASSIFICATIONS.length ? Number(v) : undefined) : classificationLevel(v.replace(/[_+]/g, ' '));
    if (level === undefined) {
      throw shieldwallError('BAD_REQUEST', `classification '${v}' is not a level: use one or more of ${DEFAULT_CLASSIFICATIONS.join(', ')} (or 0 to ${DEFAULT_CLASSIFICATIONS.length - 1}) separated by commas`);
    }
    levels.push(level);
  }
  if (levels.length === 0) throw shieldwallError('BAD_REQUEST', `classification is empty: use one or more of ${DEFAULT_CLASSIFICATIONS.join(', ')}`);
  return [...new Set(levels)].sort((a, b) => a - b);
}
