/**
 * An incident as STIX 2.1: an `incident` object (section 4.6) with the same id, whose properties
 * beyond name and description travel in a property extension of ours (section 7.3), marked as the
 * record is, with a `related-to` relationship (section 5.1) to each intel object or observable it
 * links. This is how an incident federates: the intel store keeps every version, TAXII and the
 * federation share it by the same rules as intel, and a peer reads it back into its board
 * (incidentOfStix). Pure: no I/O.
 */
import { handlingMarkingDefinition, TLP2_MARKING_IDS, type Tlp, DEFAULT_CLASSIFICATIONS, isObjectRecord } from '../../policy/markings.js';
import { derivedHandlingId } from '../../policy/handling-ids.js';
import { uuidv5 } from '../../stix/sco-id.js';
import type { StixObject } from '../../stix/types.js';
import {
  INCIDENT_STATUSES, SECTOR_KEYS, TASK_STATUSES, TIMELINE_MAX, type IncidentLink, type IncidentSeverity, type IncidentStatus, type IncidentTask, type SuspectedActor, type TimelineEntry,
} from './incidents.model.js';

/** The extension-definition of Shieldwall's incident properties. */
export const INCIDENT_EXTENSION_ID = 'extension-definition--a2c1a99a-e307-41d7-8965-3d6d1d43473e';
/** The identity the extension-definition is created by: the Shieldwall project (the same on every node). */
export const SHIELDWALL_IDENTITY_ID = 'identity--571183c1-3e70-4864-8264-64de9ba18fc4';
/** Namespace of the ids derived here (handling markings, link relationships): the same inputs give the same id on every node. */
const NAMESPACE = '9a3e4c1b-6f0d-4f5e-b2a7-3c8d1e0f4a6b';
/** Fixed creation time of the objects that are the same on every node. */
const FIXED_TIME = '2026-01-01T00:00:00.000Z';

/** The extension-definition object (STIX 2.1 section 7.3), shared with every incident. */
export function incidentExtensionDefinition(): StixObject {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id: INCIDENT_EXTENSION_ID,
    created_by_ref: SHIELDWALL_IDENTITY_ID,
    created: FIXED_TIME,
    modified: FIXED_TIME,
    name: 'Shieldwall incident',
    description:
      'Properties of an incident as Shieldwall reports it: status, severity (score, level and the option chosen in each scoring category), affected sectors and systems, start and detection times, handler, suspected actor, timeline, tasks and links. docs/INCIDENTS.md describes each.',
    schema: 'https://shieldwall.example/extensions/incident/v1',
    version: '1.0.0',
    extension_types: ['property-extension'],
    object_marking_refs: [TLP2_MARKING_IDS.clear],
  };
}

/** What the extension carries (snake_case, as STIX properties are named). */
export interface IncidentExtension {
  status: IncidentStatus;
  severity: IncidentSeverity | null;
  sectors: string[];
  systems: string[];
  handler: string | null;
  started_at: string | null;
  detected_at: string | null;
  actor: SuspectedActor | null;
  timeline: TimelineEntry[];
  tasks: IncidentTask[];
  links: IncidentLink[];
  /** The reporting member's code, as its node knows it. */
  reporting_member: string | null;
  /** Entries (the oldest besides status changes) left out of this copy to keep it within the node's object limit. */
  timeline_omitted?: number;
  /** Tasks, links left out of this copy for the same reason (see fittedIncidentObject). */
  tasks_omitted?: number;
  links_omitted?: number;
}

export interface StixMarking {
  tlp: Tlp | null;
  /** Index into the classification scheme. */
  classification: number;
  releasability: readonly string[];
}

/**
 * The handling marking-definition for a classification and releasability: its id is derived from
 * them, so every incident so marked (on any node) refers to one definition. `attempt` moves the id
 * on when the derived one is held by a different definition already (a marking-definition never
 * changes once accepted, section 7.2.1): the caller checks what the store holds before using it.
 */
export function handlingDefinitionFor(classification: number, releasability: readonly string[], attempt = 0): StixObject {
  const name = DEFAULT_CLASSIFICATIONS[classification] ?? 'UNCLASSIFIED';
  const list = [...new Set(releasability)].sort();
  const id = derivedHandlingId(name, list, attempt);
  return { ...handlingMarkingDefinition({ id, created: FIXED_TIME, classification: name, releasableTo: list }), object_marking_refs: [TLP2_MARKING_IDS.clear] };
}

/**
 * The id of the relationship of a link: the same for the same incident, object and time of
 * linking, on every node. A link removed (its relationship revoked, which is final, STIX 2.1
 * section 3.6) and made again later is a new relationship.
 */
export function linkRelationshipId(incidentId: string, objectId: string, linkedAt: string | undefined): string {
  return `relationship--${uuidv5(NAMESPACE, `incident-link|${incidentId}|${objectId}${linkedAt === undefined ? '' : `|${linkedAt}`}`)}`;
}

export interface IncidentVersion {
  id: string;
  title: string;
  summary: string | null;
  created: string;
  modified: string;
  /** created_by_ref: the reporting member's identity, when it has one. */
  createdByRef: string | null;
  markingRefs: string[];
  extension: IncidentExtension;
}

export function incidentObject(version: IncidentVersion): StixObject {
  return {
    type: 'incident',
    spec_version: '2.1',
    id: version.id,
    created: version.created,
    modified: version.modified,
    ...(version.createdByRef ? { created_by_ref: version.createdByRef } : {}),
    name: version.title,
    ...(version.summary ? { description: version.summary } : {}),
    object_marking_refs: version.markingRefs,
    extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', ...version.extension } },
  };
}

/** Room kept below the object limit (at most an eighth of it). */
const FIT_MARGIN = 4096;

/**
 * The incident object within `maxBytes` of JSON (UTF-8, as the store measures it). When the whole
 * incident would pass them, this copy leaves out, in turn, the oldest timeline entries besides
 * status changes (`timeline_omitted` says how many), then its tasks (`tasks_omitted`), then its
 * links (`links_omitted`), so that the copy peers read keeps up with the incident, its status
 * and every status change above all. The record keeps everything. (At the default limit of
 * 8 MiB the timeline's own bounds make this rare: notes hold at most 4 MiB.)
 */
export function fittedIncidentObject(version: IncidentVersion, maxBytes: number): StixObject {
  const limit = maxBytes - Math.min(FIT_MARGIN, Math.floor(maxBytes / 8));
  const size = (object: StixObject) => Buffer.byteLength(JSON.stringify(object));
  const whole = incidentObject(version);
  const over = size(whole) - limit;
  if (over <= 0) return whole;
  const left = new Set<number>();
  let freed = 0;
  version.extension.timeline.forEach((entry, i) => {
    if (freed >= over || entry.kind === 'status') return;
    left.add(i);
    freed += Buffer.byteLength(JSON.stringify(entry)) + 1;
  });
  let extension: IncidentExtension = { ...version.extension, timeline: version.extension.timeline.filter((_entry, i) => !left.has(i)), timeline_omitted: left.size };
  let fitted = incidentObject({ ...version, extension });
  if (size(fitted) > limit && extension.tasks.length > 0) {
    extension = { ...extension, tasks: [], tasks_omitted: extension.tasks.length };
    fitted = incidentObject({ ...version, extension });
  }
  if (size(fitted) > limit && extension.links.length > 0) {
    extension = { ...extension, links: [], links_omitted: extension.links.length };
    fitted = incidentObject({ ...version, extension });
  }
  return fitted;
}

/**
 * The relationship of a link, current or (removed) revoked: created when the link was made, and
 * modified with the incident version that made, re-marked or removed it.
 */
export function linkRelationship(version: IncidentVersion, link: IncidentLink, revoked: boolean): StixObject {
  const created = link.linked_at ?? version.modified;
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: linkRelationshipId(version.id, link.object_id, link.linked_at),
    created,
    modified: created > version.modified ? created : version.modified,
    ...(version.createdByRef ? { created_by_ref: version.createdByRef } : {}),
    relationship_type: 'related-to',
    source_ref: version.id,
    target_ref: link.object_id,
    ...(link.note ? { description: link.note } : {}),
    ...(revoked ? { revoked: true } : {}),
    object_marking_refs: version.markingRefs,
  };
}

/** The marking references of a record's marking: its TLP and its handling definition. */
export function markingRefsOf(marking: StixMarking, handlingId: string): string[] {
  return [...(marking.tlp ? [TLP2_MARKING_IDS[marking.tlp]] : []), handlingId];
}

// --- reading an incident received as STIX --------------------------------------------------------

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
/** A STIX identifier (type--UUID, 2.9), or null for anything else. */
const stixId = (value: unknown): string | null => (typeof value === 'string' && value.length <= 200 && /^[a-z0-9-]+--[0-9a-f-]{36}$/.test(value) ? value : null);
const strings = (value: unknown, max: number, length: number): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '').slice(0, max).map((v) => v.slice(0, length)) : [];
const timestamp = (value: unknown): string | null => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null);

/** Bounds on what is read from a received incident (a peer's object is input like any other). */
export const RECEIVED_BOUNDS = Object.freeze({ timeline: TIMELINE_MAX, tasks: 500, links: 500, text: 20_000, short: 300, list: 100 });

/**
 * The incident a STIX incident object describes, as far as it says: its own extension when it
 * carries one (from a Shieldwall node), else name and description only, status 'new'. Values that
 * are not what they should be are left out, never trusted.
 */
export function incidentOfStix(object: StixObject): { title: string; summary: string | null; extension: IncidentExtension } {
  const extensions = isObjectRecord(object.extensions) ? object.extensions : {};
  const ext = isObjectRecord(extensions[INCIDENT_EXTENSION_ID]) ? extensions[INCIDENT_EXTENSION_ID] : {};
  const b = RECEIVED_BOUNDS;
  const status = (INCIDENT_STATUSES as readonly string[]).includes(ext.status as string) ? (ext.status as IncidentStatus) : 'new';
  const sev = isObjectRecord(ext.severity) ? ext.severity : null;
  const severity: IncidentSeverity | null =
    sev && typeof sev.score === 'number' && Number.isFinite(sev.score) && Number.isInteger(sev.level) && (sev.level as number) >= 0 && (sev.level as number) <= 5
      ? {
          score: Math.min(100, Math.max(0, sev.score)),
          level: sev.level as number,
          level_name: text(sev.level_name, 40) ?? String(sev.level),
          significant: (sev.level as number) >= 3,
          selections: isObjectRecord(sev.selections) ? Object.fromEntries(Object.entries(sev.selections).filter(([, v]) => typeof v === 'string').slice(0, 20).map(([k, v]) => [k.slice(0, 60), (v as string).slice(0, 60)])) : {},
        }
      : null;
  const actorValue = isObjectRecord(ext.actor) ? ext.actor : null;
  const actor: SuspectedActor | null = actorValue
    ? { ref: stixId(actorValue.ref), name: text(actorValue.name, b.short), confidence: Number.isInteger(actorValue.confidence) ? Math.min(100, Math.max(0, actorValue.confidence as number)) : 0 }
    : null;
  const timeline: TimelineEntry[] = Array.isArray(ext.timeline)
    ? ext.timeline.filter(isObjectRecord).slice(-b.timeline).flatMap((entry) => {
        const at = timestamp(entry.at);
        const body = text(entry.text, b.text);
        if (at === null || body === null) return [];
        const kind = ['note', 'status', 'scoring', 'link', 'task'].includes(entry.kind as string) ? (entry.kind as TimelineEntry['kind']) : 'note';
        return [{ id: text(entry.id, 100) ?? at, at, author: text(entry.author, b.short), kind, text: body }];
      })
    : [];
  const tasks: IncidentTask[] = Array.isArray(ext.tasks)
    ? ext.tasks.filter(isObjectRecord).slice(0, b.tasks).flatMap((task) => {
        const title = text(task.title, b.short);
        const id = text(task.id, 100);
        if (title === null || id === null) return [];
        const status = (TASK_STATUSES as readonly string[]).includes(task.status as string) ? (task.status as IncidentTask['status']) : 'open';
        const created = timestamp(task.created) ?? FIXED_TIME;
        return [{ id, title, assignee: text(task.assignee, b.short), status, due: timestamp(task.due), created, modified: timestamp(task.modified) ?? created }];
      })
    : [];
  const links: IncidentLink[] = Array.isArray(ext.links)
    ? ext.links.filter(isObjectRecord).slice(0, b.links).flatMap((link) => {
        const id = stixId(link.object_id);
        if (id === null) return [];
        const linkedAt = timestamp(link.linked_at);
        return [{ object_id: id, kind: link.kind === 'observable' ? ('observable' as const) : ('intel' as const), note: text(link.note, b.short), ...(linkedAt ? { linked_at: linkedAt } : {}) }];
      })
    : [];
  return {
    title: (typeof object.name === 'string' && object.name !== '' ? object.name : object.id).slice(0, b.short),
    summary: text(object.description, b.text),
    extension: {
      status,
      severity,
      sectors: strings(ext.sectors, b.list, 60).filter((sector) => SECTOR_KEYS.includes(sector)),
      systems: strings(ext.systems, b.list, 200),
      handler: text(ext.handler, b.short),
      started_at: timestamp(ext.started_at),
      detected_at: timestamp(ext.detected_at),
      actor,
      timeline,
      tasks,
      links,
      reporting_member: text(ext.reporting_member, 64),
    },
  };
}
