/** The common properties (3.2) and how a per-type specification is built from them. */
import type { StixCategory } from '../types.js';
import type { Vocabulary } from '../vocab.js';
import {
  checkExternalReferences, checkGranularMarkings, checkObjectMarkingRefs, checkOrder, present,
} from './common.js';
import { Context, type Check, type Json } from './context.js';
import { checkExtensions } from './extensions.js';
import {
  checkBoolean, checkLanguage, checkStringList, checkVersionTimestamp, integer, listOf, openVocab, ref, refTo,
} from './primitives.js';

// =============================================================================================
// Common properties (3.2)
// =============================================================================================

const IDENTITY_TARGET = refTo(['identity']);

const COMMON_CHECKS = new Map<string, Check>([
  ['created', checkVersionTimestamp],
  ['modified', checkVersionTimestamp],
  ['created_by_ref', ref(IDENTITY_TARGET)],
  ['revoked', checkBoolean],
  ['labels', checkStringList],
  ['confidence', integer(0, 100)],
  ['lang', checkLanguage],
  ['external_references', checkExternalReferences],
  ['object_marking_refs', checkObjectMarkingRefs],
  ['granular_markings', checkGranularMarkings],
  ['defanged', checkBoolean],
  ['extensions', checkExtensions],
]);

/** Common properties marked "Not Applicable" per kind of object (3.2 table). */
const NOT_APPLICABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  sdo: new Set(['defanged']),
  sro: new Set(['defanged']),
  sco: new Set(['created_by_ref', 'created', 'modified', 'revoked', 'labels', 'confidence', 'lang', 'external_references']),
  'extension-definition': new Set(['confidence', 'lang', 'defanged', 'extensions']),
  'language-content': new Set(['lang', 'defanged']),
  'marking-definition': new Set(['modified', 'revoked', 'labels', 'confidence', 'lang', 'defanged']),
};

// =============================================================================================
// Per-type specifications (sections 4-7)
// =============================================================================================

/** How one top-level property is checked; the path is precomputed to keep the loop allocation-free. */
interface PropertyRule {
  readonly check: Check;
  readonly path: string;
  /** A common property the spec marks Not Applicable for this kind of object (3.2). */
  readonly notApplicable: boolean;
}

export interface TypeSpec {
  readonly category: StixCategory;
  /** Type-specific and common properties in one table. */
  readonly rules: ReadonlyMap<string, PropertyRule>;
  readonly required: readonly string[];
  readonly post?: (c: Context, o: Json) => void;
}

export function propertyRules(props: Record<string, Check>, notApplicable: ReadonlySet<string>): Map<string, PropertyRule> {
  const rules = new Map<string, PropertyRule>();
  for (const [key, check] of COMMON_CHECKS) rules.set(key, { check, path: `$.${key}`, notApplicable: notApplicable.has(key) });
  for (const [key, check] of Object.entries(props)) rules.set(key, { check, path: `$.${key}`, notApplicable: false });
  return rules;
}

export const VERSIONED_REQUIRED = ['spec_version', 'id', 'created', 'modified'] as const;

export function spec(
  category: StixCategory,
  props: Record<string, Check>,
  required: readonly string[],
  post?: (c: Context, o: Json) => void,
  notApplicableKey: string = category,
): TypeSpec {
  const commonRequired = category === 'sco' ? ['id'] : VERSIONED_REQUIRED;
  return {
    category,
    rules: propertyRules(props, NOT_APPLICABLE[notApplicableKey] ?? new Set()),
    required: [...commonRequired, ...required],
    ...(post !== undefined ? { post } : {}),
  };
}

export const SOFTWARE_TARGET = refTo(['software']);
export const ovList = (v: Vocabulary): Check => listOf(openVocab(v), `values from ${v.name}`);
export const seenOrder = (c: Context, o: Json): void => checkOrder(c, o, 'first_seen', 'last_seen', false);

export function requireOneOf(c: Context, o: Json, keys: readonly string[], why: string): void {
  if (!keys.some((k) => present(o, k))) c.error('$', 'at-least-one', `Must contain at least one of ${keys.join(', ')} (${why}).`);
}

export function mutuallyExclusive(c: Context, o: Json, a: string, b: string, why: string): void {
  if (present(o, a) && present(o, b)) c.error(`$.${b}`, 'mutually-exclusive', `${b} must not be present together with ${a} (${why}); keep only one.`);
}
