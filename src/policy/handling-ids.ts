/**
 * Ids of the handling marking-definitions nodes derive from a classification and releasability
 * (incidents are marked with them): a UUIDv5 of the classification's name, the sorted
 * releasability and an attempt number, the same on every node, so that every incident so marked
 * refers to one definition. An id so derived means its content: a definition offered under a
 * derived id whose classification and releasability derive another id is refused, so that nobody
 * can define an id other nodes will use with a meaning of their choosing (a narrow marking's id
 * defined as a wide one would release what is marked with it; all the attempts of a marking
 * defined otherwise would leave no id to mark with).
 */
import { uuidv5 } from '../stix/sco-id.js';
import { HANDLING_EXTENSION_ID, isObjectRecord } from './markings.js';

const NAMESPACE = '9a3e4c1b-6f0d-4f5e-b2a7-3c8d1e0f4a6b';

/** Ids tried for one marking: the derived one is moved on when a different definition holds it. */
export const HANDLING_ATTEMPTS = 8;

export function derivedHandlingId(classification: string, releasableTo: readonly string[], attempt: number): string {
  const list = [...new Set(releasableTo)].sort();
  return `marking-definition--${uuidv5(NAMESPACE, `handling|${classification}|${list.join(',')}|${attempt}`)}`;
}

/** Whether a marking-definition id is a name-based (version 5) UUID: only those can be derived ones. */
export function nameBased(id: string): boolean {
  // marking-definition--xxxxxxxx-xxxx-Vxxx-...: V is the UUID's version.
  return id.charAt('marking-definition--'.length + 14) === '5';
}

/**
 * Why a marking-definition may not have its id, or undefined when it may: a handling definition
 * with a name-based (version 5) id must have one derived from its own classification and
 * releasability.
 */
export function reservedHandlingId(definition: unknown): string | undefined {
  if (!isObjectRecord(definition) || typeof definition.id !== 'string') return undefined;
  const id = definition.id;
  if (!nameBased(id)) return undefined;
  const extensions = definition.extensions;
  const handling = isObjectRecord(extensions) ? extensions[HANDLING_EXTENSION_ID] : undefined;
  if (!isObjectRecord(handling)) return undefined;
  // Derived ones name both: without a list a definition releases by the node's default, not to
  // the empty list its id would derive from (to nobody), and without a level it has none.
  if (typeof handling.classification !== 'string' || !Array.isArray(handling.releasable_to)) {
    return `marking-definition ${id} is a name-based (UUIDv5) id of a handling definition without both a classification and a releasable_to list, as derived definitions have: such ids are reserved for the definitions nodes derive; give this definition a random (version 4) id`;
  }
  const classification = handling.classification;
  const releasable = handling.releasable_to.filter((entry): entry is string => typeof entry === 'string');
  for (let attempt = 0; attempt < HANDLING_ATTEMPTS; attempt++) {
    if (derivedHandlingId(classification, releasable, attempt) === id) return undefined;
  }
  return `marking-definition ${id} is a name-based (UUIDv5) id of a handling definition that does not derive from its own classification and releasability (${classification || 'none'}, ${releasable.join(', ') || 'none'}): such ids are reserved for the definitions nodes derive; give this definition a random (version 4) id`;
}
