/**
 * Handling markings: TLP 2.0 (and TLP 1.0 read as its 2.0 equivalent), the classification
 * scheme, and releasability. Pure: no I/O.
 *
 * TLP marking-definition ids: STIX 2.1 spec section 7.2.1.4 (TLP 1.0) and the OASIS TLP 2.0
 * extension (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
 */
import type { StixObject } from '../stix/types.js';

export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

export const TLP2_MARKING_IDS: Readonly<Record<Tlp, string>> = Object.freeze({
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
});

export const TLP1_MARKING_IDS: Readonly<Record<'white' | 'green' | 'amber' | 'red', string>> = Object.freeze({
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
});

/**
 * OpenCTI marks TLP:AMBER+STRICT with a marking-definition of its own (there was none in TLP 1.0,
 * and OpenCTI kept this id after TLP 2.0); objects from OpenCTI carry it.
 */
export const OPENCTI_AMBER_STRICT_ID = 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37';

export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

const TLP_BY_MARKING_ID: ReadonlyMap<string, Tlp> = new Map<string, Tlp>([
  ...Object.entries(TLP2_MARKING_IDS).map(([tlp, id]) => [id, tlp as Tlp] as const),
  [TLP1_MARKING_IDS.white, 'clear'],
  [TLP1_MARKING_IDS.green, 'green'],
  [TLP1_MARKING_IDS.amber, 'amber'],
  [TLP1_MARKING_IDS.red, 'red'],
  [OPENCTI_AMBER_STRICT_ID, 'amber+strict'],
]);

/**
 * PAP (Permissible Actions Protocol): what recipients may do with information (CLEAR: anything;
 * GREEN: active actions such as blocking; AMBER: passive cross-checks only; RED: nothing that
 * could tip off the adversary). It does not decide who reads, so it is not part of canRead; it
 * travels with the object for the tools that act on it. Marking-definition ids of the OASIS PAP
 * extension (extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b); WHITE reads as CLEAR.
 */
export const PAP_LEVELS = ['clear', 'green', 'amber', 'red'] as const;
export type Pap = (typeof PAP_LEVELS)[number];
export const PAP_EXTENSION_ID = 'extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b';
const PAP_BY_MARKING_ID: ReadonlyMap<string, Pap> = new Map<string, Pap>([
  ['marking-definition--ad15a0cd-55b6-4588-a14c-a66105329b92', 'clear'],
  ['marking-definition--a3bea94c-b469-41dc-9cfe-d6e7daba7730', 'clear'],
  ['marking-definition--c43594d1-4b11-4c59-93ab-1c9b14d53ce9', 'green'],
  ['marking-definition--60f8932b-e51e-4458-b265-a2e8be9a80ab', 'amber'],
  ['marking-definition--740d36e5-7714-4c30-961a-3ae632ceee0e', 'red'],
]);

/** The PAP level a marking-definition id stands for (WHITE read as CLEAR). */
export function papOfMarkingId(id: string): Pap | undefined {
  return PAP_BY_MARKING_ID.get(id);
}

/** The most restrictive PAP among an object's markings, if any. */
export function papOf(object: StixObject): Pap | undefined {
  let rank = -1;
  for (const ref of Array.isArray(object.object_marking_refs) ? object.object_marking_refs : []) {
    const pap = typeof ref === 'string' ? PAP_BY_MARKING_ID.get(ref) : undefined;
    if (pap !== undefined) rank = Math.max(rank, PAP_LEVELS.indexOf(pap));
  }
  return rank >= 0 ? PAP_LEVELS[rank] : undefined;
}

/** The OASIS TLP 2.0 marking-definition object of a level, as published with the extension. */
export function tlpMarkingDefinition(level: Tlp): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[level],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${level.toUpperCase()}`,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: level } },
  };
}

/** The TLP a marking-definition id stands for, TLP 1.0 WHITE read as CLEAR. */
export function tlpOfMarkingId(id: string): Tlp | undefined {
  return TLP_BY_MARKING_ID.get(id);
}

/**
 * Shieldwall's handling marking: a marking-definition carrying classification and
 * releasability under this property extension, so both travel with the object to other nodes.
 */
export const HANDLING_EXTENSION_ID = 'extension-definition--dd929f27-2f1e-426f-b5ef-e61a3bae9927';

export const DEFAULT_CLASSIFICATIONS = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'] as const;

/**
 * The classification given to an object whose markings the node cannot resolve (a marking
 * reference it has never seen, or a classification outside the scheme): above every clearance,
 * so nobody reads it until the marking is known.
 */
export const UNRESOLVED_CLASSIFICATION = 1000;
/** Releasability entry meaning every authenticated user (TLP:CLEAR without a handling marking). */
export const EVERYONE = '*';
/** Releasability entries naming one user (TLP:RED recipients) start with this. */
export const USER_PREFIX = '@';

/** The level of a classification name in the default scheme (case-insensitive), or undefined. */
export function classificationLevel(name: string): number | undefined {
  const level = (DEFAULT_CLASSIFICATIONS as readonly string[]).indexOf(name.trim().toUpperCase());
  return level >= 0 ? level : undefined;
}

export interface HandlingMarking {
  /** Index into the node's ordered classification scheme. */
  classification?: number;
  /** Member codes (ISO 3166-1 alpha-3 for nations) and group names (ALLIANCE, PARTNERS, ...). */
  releasableTo?: string[];
}

/**
 * A releasability entry: '*', '@' and a user's name, or a member code or group name. Names of
 * any case and of members this node does not host are entries too: a definition travels between
 * nodes, and each names the members and users of the whole federation. No name in a directory
 * is written otherwise, so an entry of another shape names nobody.
 */
const RELEASABILITY_ENTRY = /^(?:\*|@?[A-Za-z0-9][A-Za-z0-9._@-]{0,63})$/;

/**
 * The most entries a releasable_to lists (as many as an incident or a decision may be released
 * to): a longer list is a group's work (`shieldwall members group NAME CODE...`).
 */
export const RELEASABLE_TO_MAX = 100;

/**
 * Why a handling marking's `releasable_to` is not a list of who may read, or undefined when it
 * is: at most RELEASABLE_TO_MAX entries, each a member code, a group name, '@user' or '*'.
 */
export function releasabilityProblem(releasableTo: unknown): string | undefined {
  if (!Array.isArray(releasableTo)) return 'releasable_to is not a list: give a list of member codes, group names, \'@user\' entries or \'*\'';
  if (releasableTo.length > RELEASABLE_TO_MAX) {
    return `releasable_to lists ${releasableTo.length} entries, more than ${RELEASABLE_TO_MAX}: release to a group of those members instead (shieldwall members group NAME CODE...)`;
  }
  for (const [index, entry] of releasableTo.entries()) {
    if (typeof entry !== 'string' || !RELEASABILITY_ENTRY.test(entry)) {
      return `releasable_to[${index}] ${JSON.stringify(entry)} is not a member code, a group name, '@user' or '*' (a letter or digit, then letters, digits, '.', '_', '-' or '@', at most 64): write one name an entry, without spaces or commas`;
    }
  }
  return undefined;
}

/** The columns every stored object version carries so that reads can pre-filter in SQL. */
export interface MarkingColumns {
  tlp: Tlp | null;
  /** Index into the classification scheme; 0 without a handling marking. */
  classification: number;
  /** Releasability as ',A,B,': member codes, group names, '@user' recipients or '*'. */
  releasability: string;
  /** Marking references the node does not know (the object is unreadable while any remain). */
  unresolved: string[];
}

/** What applies to objects that carry no handling marking of their own. */
export interface MarkingDefaults {
  /** Releasability of objects without a handling marking (TLP:CLEAR ones excepted). */
  releasability: readonly string[];
}

export const DEFAULT_MARKING_DEFAULTS: MarkingDefaults = Object.freeze({ releasability: Object.freeze(['ALLIANCE']) });

/** Known marking-definitions: handling ones with their content, any other kind as {}. */
export type MarkingTable = Pick<ReadonlyMap<string, HandlingMarking>, 'get' | 'has'>;

/**
 * The node's table with definitions read further up the same stream and not stored yet: the
 * node's own definition of an id always wins (a marking-definition never changes once accepted,
 * STIX 2.1 section 7.2.1), the stream's count only for ids the node does not know.
 */
export function layeredMarkings(node: MarkingTable, stream: MarkingTable): MarkingTable {
  return { get: (id) => node.get(id) ?? stream.get(id), has: (id) => node.has(id) || stream.has(id) };
}

export function isObjectRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the handling extension of a marking-definition, if it carries one. */
export function handlingOfMarkingDefinition(
  definition: StixObject,
  scheme: readonly string[] = DEFAULT_CLASSIFICATIONS,
): HandlingMarking | undefined {
  const extensions = definition.extensions;
  if (!isObjectRecord(extensions)) return undefined;
  const handling = extensions[HANDLING_EXTENSION_ID];
  if (!isObjectRecord(handling)) return undefined;
  const result: HandlingMarking = {};
  if (handling.classification !== undefined) {
    // A level outside the scheme cannot be compared with a clearance: fail closed.
    const level = typeof handling.classification === 'string' ? scheme.indexOf(handling.classification.toUpperCase()) : -1;
    result.classification = level >= 0 ? level : UNRESOLVED_CLASSIFICATION;
  }
  if (handling.releasable_to !== undefined) {
    // A list that is not one of names, or too long, releases to nobody, as a level outside the
    // scheme: read otherwise, it would fall back to the default releasability, or its pieces be
    // read as entries ('FRA,DEU' as two), and a stored set would carry a list of any length.
    if (releasabilityProblem(handling.releasable_to) === undefined) result.releasableTo = handling.releasable_to as string[];
    else {
      result.classification = UNRESOLVED_CLASSIFICATION;
      result.releasableTo = [];
    }
  }
  return result;
}

/** Builds a handling marking-definition object (used by the demo data and by tooling). */
export function handlingMarkingDefinition(options: {
  id: string;
  created: string;
  classification: string;
  releasableTo: string[];
  createdByRef?: string;
}): StixObject {
  const name = `${options.classification} REL TO ${options.releasableTo.join(', ')}`;
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: options.id,
    created: options.created,
    ...(options.createdByRef ? { created_by_ref: options.createdByRef } : {}),
    name,
    extensions: {
      [HANDLING_EXTENSION_ID]: {
        extension_type: 'property-extension',
        classification: options.classification,
        releasable_to: options.releasableTo,
      },
    },
  };
}

/** The marking-definition ids an object's granular markings name (STIX 2.1 section 7.2.3), as given. */
export function* granularMarkingRefs(object: StixObject): Generator<string> {
  const granular = (object as { granular_markings?: unknown }).granular_markings;
  if (!Array.isArray(granular)) return;
  for (const marking of granular) {
    const ref = (marking as { marking_ref?: unknown } | null)?.marking_ref;
    if (typeof ref === 'string') yield ref;
  }
}

/**
 * The marking-definitions an object's granular markings name that the table does not hold
 * (TLP and PAP ids are known to every node). What such a marking covers is withheld from every
 * reader until its definition arrives, and its id waits for it as an object marking's does: only
 * the member whose objects wait for an id defines it (docs/POLICY.md).
 */
export function unknownGranularRefs(object: StixObject, table: MarkingTable): string[] {
  // A set: an object's distinct references, counted once each (a list searched for each was
  // quadratic, 17 s on the writer for 80,000 of them).
  const unknown = new Set<string>();
  for (const ref of granularMarkingRefs(object)) {
    if (TLP_BY_MARKING_ID.has(ref) || PAP_BY_MARKING_ID.has(ref) || table.has(ref)) continue;
    unknown.add(ref);
  }
  return [...unknown];
}

/**
 * Computes the marking columns of an object from its object_marking_refs. When several
 * markings apply, the most restrictive wins: highest TLP, highest classification, and the
 * intersection of releasability lists. A reference to a marking-definition the table does not
 * hold leaves the object unresolved: unreadable (UNRESOLVED_CLASSIFICATION, empty
 * releasability) until that definition arrives.
 */
export function markingColumns(object: StixObject, table: MarkingTable, defaults: MarkingDefaults = DEFAULT_MARKING_DEFAULTS): MarkingColumns {
  let tlpRank = -1;
  let classification: number | null = null;
  let releasable: string[] | null = null;
  const unresolved: string[] = [];
  const refs = object.object_marking_refs;
  if (Array.isArray(refs)) {
    for (const ref of refs) {
      if (typeof ref !== 'string') continue;
      const tlp = TLP_BY_MARKING_ID.get(ref);
      if (tlp !== undefined) {
        const rank = TLP_LEVELS.indexOf(tlp);
        if (rank > tlpRank) tlpRank = rank;
        continue;
      }
      if (PAP_BY_MARKING_ID.has(ref)) continue;
      const handling = table.get(ref);
      if (!handling) {
        unresolved.push(ref);
        continue;
      }
      if (handling.classification !== undefined && (classification === null || handling.classification > classification)) {
        classification = handling.classification;
      }
      if (handling.releasableTo) {
        const next = handling.releasableTo;
        if (releasable === null) releasable = [...next];
        else if (releasable.includes(EVERYONE)) releasable = [...next];
        else if (!next.includes(EVERYONE)) releasable = releasable.filter((entry) => next.includes(entry));
      }
    }
  }
  const tlp = tlpRank >= 0 ? TLP_LEVELS[tlpRank]! : null;
  if (unresolved.length > 0) return { tlp, classification: UNRESOLVED_CLASSIFICATION, releasability: ',', unresolved };
  const list = releasable ?? (tlp === 'clear' || (tlp === null && VOCABULARY_TYPES.has(object.type)) ? [EVERYONE] : [...defaults.releasability]);
  return { tlp, classification: classification ?? 0, releasability: `,${list.join(',')},`, unresolved };
}

/**
 * Objects that define the handling vocabulary itself: a reader needs them to understand the
 * markings of what it receives, so unmarked ones go to every authenticated user.
 */
const VOCABULARY_TYPES: ReadonlySet<string> = new Set(['marking-definition', 'extension-definition']);

/**
 * Parsed releasability columns. A store holds few distinct ones (one per access set) and every
 * row a read looks at is decided on its own: each is split once, not once per row.
 */
const parsedReleasability = new Map<string, readonly string[]>();
/** Distinct columns kept; past it the cache starts again (a column is only ever re-parsed). */
const PARSED_RELEASABILITY_KEPT = 4096;

/** The entries of a stored releasability column (shared and frozen: never change them). */
export function releasabilityEntries(column: string): readonly string[] {
  let entries = parsedReleasability.get(column);
  if (entries === undefined) {
    if (parsedReleasability.size >= PARSED_RELEASABILITY_KEPT) parsedReleasability.clear();
    entries = Object.freeze(column.split(',').filter((entry) => entry !== ''));
    parsedReleasability.set(column, entries);
  }
  return entries;
}
