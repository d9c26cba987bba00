/**
 * The lookup of an access set (a distinct combination of marking columns: TLP, classification,
 * releasability; see docs/POLICY.md) by its tuple. Sets are made by whoever defines markings, so
 * a store may hold tens of thousands of them: the writer finds a tuple's set by one index entry
 * (`access_sets.tuple_hash`, migration 0015), never by reading them all.
 */
import { createHash } from 'node:crypto';

export interface AccessTuple {
  tlp: string | null;
  classification: number;
  releasability: string;
}

/**
 * The text a tuple is known by: unit separators cannot occur in a TLP level or a level number,
 * and the releasability comes last, so two tuples never share one.
 */
export function accessTupleText(tuple: AccessTuple): string {
  return `${tuple.tlp ?? ''}\u001f${tuple.classification}\u001f${tuple.releasability}`;
}

/**
 * The hash stored with each set and looked up by the writer: 48 bits of the SHA-256 of the
 * tuple's text, an integer on both engines. Sets that share a hash are told apart by their
 * tuple. Stored values: never change how it is computed.
 */
export function accessTupleHash(tuple: AccessTuple): number {
  return createHash('sha256').update(accessTupleText(tuple)).digest().readUIntBE(0, 6);
}
