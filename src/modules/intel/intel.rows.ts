/** From a validated STIX object to the row the store keeps. Pure. */
import { markingColumns, type HandlingMarking } from '../../policy/markings.js';
import type { StixObject } from '../../stix/types.js';
import type { NewVersion } from './intel.repo.js';

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

function searchLabel(object: StixObject): string | null {
  for (const key of ['name', 'value', 'pattern', 'subject', 'path', 'key', 'abstract']) {
    const value = object[key];
    if (typeof value === 'string') return value.length > 512 ? value.slice(0, 512) : value;
  }
  return null;
}

export function toRow(object: StixObject, body: string, handlingById: ReadonlyMap<string, HandlingMarking>): NewVersion {
  const markings = markingColumns(object, handlingById);
  return {
    id: object.id,
    type: object.type,
    spec_version: typeof object.spec_version === 'string' ? object.spec_version : null,
    created: typeof object.created === 'string' ? object.created : null,
    modified: typeof object.modified === 'string' ? object.modified : null,
    version: versionKey(typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : undefined),
    revoked: object.revoked === true ? 1 : 0,
    created_by_ref: typeof object.created_by_ref === 'string' ? object.created_by_ref : null,
    tlp: markings.tlp,
    classification: markings.classification,
    releasability: markings.releasability,
    body,
    label: searchLabel(object),
  };
}
