/**
 * Intel use cases, the way other modules reach the object store: the ingest pipeline
 * (intel.ingest.ts), reads (intel.read.ts), access sets (intel.access.ts), pages of objects and
 * counts (intel.pages.ts), object pages (intel.context.ts), handling as answers show it
 * (intel.handling.ts) and deletion (intel.delete.ts); this file gathers what they offer.
 */
export type { ObjectOutcome, OutcomeStatus } from './intel.prepare.js';
export { versionKey } from './intel.rows.js';
export {
  bulkIngests, handlingTable, ingestObjects, ingestStream, PARALLEL_THRESHOLD_BYTES, TooManyObjects, type IngestOptions, type IngestProgress, type IngestSummary,
  type StoredVersionRef,
} from './intel.ingest.js';
export {
  ABOUT_LIMIT, currentAccessOf, getObject, getVersions, PAGE_CHARS, readableVersionsOf, VERSIONS_PAGE_MAX, versionsPage, objectsAbout, objectsByIds, holdsCurrent, rowsBySeq, scanAbout, scanCurrent, deletedSince, latestDeletion, storedCurrent, versionsSince,
  type CurrentRow,
} from './intel.read.js';
export { accessSets, accessSetUnknown, knownAccessSets, knownAccessSetsNow, readableAccessKeys, type AccessSet } from './intel.access.js';
export type { SequencedVersion } from './intel.repo.js';
export { intelStats, latestSeq, listObjects, STATS_WINDOW_MAX_DAYS, type IntelStats, type ListInput, type ObjectPage, type StatsWindow } from './intel.pages.js';
export { objectContext, RECENT_SIGHTINGS, RELATIONSHIPS_LIMIT, type ContextRelationship, type ObjectContext, type RelatedEnd } from './intel.context.js';
export { handlingOf, parseClassificationFilter, parseTlpFilter, TLP_FILTER_VALUES, type Handling } from './intel.handling.js';
export { deleteObject, deleteOlderVersions } from './intel.delete.js';
