/** STIX Relationship Objects (section 5): their property tables and checks. */
import { checkOrder } from './common.js';
import { Context, typeError } from './context.js';
import {
  ANY_SDO, RELATIONSHIP_TYPE_RE, SDO_OR_SCO, checkBoolean, checkString, checkTimestamp, integer, ref, refTo, refs,
} from './primitives.js';
import { seenOrder, spec, type TypeSpec } from './spec.js';

/** STIX Relationship Objects (section 5). */
export const SRO_SPECS: Readonly<Record<string, TypeSpec>> = {
  relationship: spec('sro', {
    relationship_type: checkRelationshipType, description: checkString, source_ref: ref(SDO_OR_SCO),
    target_ref: ref(SDO_OR_SCO), start_time: checkTimestamp, stop_time: checkTimestamp,
  }, ['relationship_type', 'source_ref', 'target_ref'], (c, o) => checkOrder(c, o, 'start_time', 'stop_time', true)),
  sighting: spec('sro', {
    description: checkString, first_seen: checkTimestamp, last_seen: checkTimestamp, count: integer(0, 999_999_999),
    sighting_of_ref: ref(ANY_SDO), observed_data_refs: refs(refTo(['observed-data'])),
    where_sighted_refs: refs(refTo(['identity', 'location'])), summary: checkBoolean,
  }, ['sighting_of_ref'], seenOrder),
};

function checkRelationshipType(c: Context, v: unknown, path: string): void {
  if (typeof v !== 'string') return typeError(c, path, 'a string such as "uses" or "indicates"', v);
  if (!RELATIONSHIP_TYPE_RE.test(v)) {
    c.error(path, 'value-format', `relationship_type ${JSON.stringify(v)} must use only a-z, 0-9 and '-' (5.1), e.g. "related-to".`);
  }
}
