/**
 * The shapes of incidents as the API presents them and as the node's event bus announces their
 * changes. Pure types and vocabularies: the scoring (incidents.scoring.ts), the reports
 * (incidents.report.ts), notifications and the web app (which imports this file: keep it free of
 * anything but types and constants) read these. The event bus learns of 'incidents.changed' in
 * incidents.events.ts.
 */
import type { RecordAccess } from '../../policy/record.js';

/** The life of an incident, in order; closed may be reopened (to triaged). */
export const INCIDENT_STATUSES = ['new', 'triaged', 'contained', 'eradicated', 'recovered', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * The explicit state machine: from each status, the statuses an incident may move to. Forward
 * one step at a time; a new or triaged incident may be closed (a false positive, a duplicate);
 * a closed one may be reopened as triaged. Anything else is refused with 409 naming these.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = Object.freeze({
  new: ['triaged', 'closed'],
  triaged: ['contained', 'closed'],
  contained: ['eradicated'],
  eradicated: ['recovered'],
  recovered: ['closed'],
  closed: ['triaged'],
});

export function allowedTransitions(status: IncidentStatus): readonly IncidentStatus[] {
  return INCIDENT_TRANSITIONS[status];
}

/**
 * Bounds on an incident's timeline. Notes and the node's entries for scoring, links and tasks
 * count against `entries`; status changes do not, so a full timeline never keeps an incident from
 * being moved on and closed. Status changes are bounded by the state machine instead: the longest
 * way from new to closed is five moves, and a closed incident may be reopened only while its
 * timeline holds at most `statusChanges - 5` status entries, room for a whole way to closed again.
 * With the entry that reports it, a timeline holds at most `entries + statusChanges` entries.
 * The text of the entries other than status changes is bounded too (`noteBytes` of UTF-8), so
 * that the incident's STIX copy stays within the node's object limit. Notes past either bound
 * are refused; the node's own entries for scoring, links and tasks are then left off the timeline
 * (the change is made, and audited), after one entry that says so.
 */
export const TIMELINE_LIMITS = Object.freeze({ entries: 1000, statusChanges: 256, noteBytes: 4 * 1024 * 1024 });
/** The most entries a timeline holds: its entries, its status changes, and the one entry that says it is full. */
export const TIMELINE_MAX = TIMELINE_LIMITS.entries + TIMELINE_LIMITS.statusChanges + 1;
/** The most status moves from any status to closed (new, triaged, contained, eradicated, recovered, closed). */
export const MOVES_TO_CLOSED = INCIDENT_STATUSES.length - 1;

/**
 * Sectors an incident may affect: the critical infrastructure sectors of EU Directive 2022/2555
 * (NIS 2, Annexes I and II) and of the US critical infrastructure sectors (PPD-21), merged into one
 * vocabulary; `critical` marks the sectors both count as critical infrastructure.
 */
export const SECTORS: ReadonlyArray<{ readonly key: string; readonly name: string; readonly critical: boolean }> = Object.freeze([
  { key: 'energy', name: 'Energy', critical: true },
  { key: 'transport', name: 'Transport', critical: true },
  { key: 'banking', name: 'Banking', critical: true },
  { key: 'financial-market-infrastructure', name: 'Financial market infrastructure', critical: true },
  { key: 'health', name: 'Health', critical: true },
  { key: 'drinking-water', name: 'Drinking water', critical: true },
  { key: 'waste-water', name: 'Waste water', critical: true },
  { key: 'digital-infrastructure', name: 'Digital infrastructure', critical: true },
  { key: 'ict-service-management', name: 'ICT service management', critical: true },
  { key: 'public-administration', name: 'Public administration', critical: true },
  { key: 'space', name: 'Space', critical: true },
  { key: 'defence', name: 'Defence', critical: true },
  { key: 'telecommunications', name: 'Telecommunications', critical: true },
  { key: 'emergency-services', name: 'Emergency services', critical: true },
  { key: 'food', name: 'Food', critical: false },
  { key: 'chemicals', name: 'Chemicals', critical: false },
  { key: 'manufacturing', name: 'Manufacturing', critical: false },
  { key: 'postal', name: 'Postal and courier services', critical: false },
  { key: 'waste-management', name: 'Waste management', critical: false },
  { key: 'research', name: 'Research', critical: false },
  { key: 'digital-providers', name: 'Digital providers', critical: false },
  { key: 'other', name: 'Other', critical: false },
]);
export const SECTOR_KEYS: readonly string[] = Object.freeze(SECTORS.map((sector) => sector.key));

/** A note in an incident's timeline. */
export interface TimelineEntry {
  id: string;
  /** When it happened (ISO 8601); defaults to when it was written. */
  at: string;
  /** Who wrote it (user name), or the node for entries it writes itself (status changes). */
  author: string | null;
  kind: 'note' | 'status' | 'scoring' | 'link' | 'task';
  text: string;
}

export const TASK_STATUSES = ['open', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface IncidentTask {
  id: string;
  title: string;
  assignee: string | null;
  status: TaskStatus;
  due: string | null;
  created: string;
  modified: string;
}

/** A link from the incident to an intel object (indicator, malware, ...) or an observable (an SCO). */
export interface IncidentLink {
  object_id: string;
  kind: 'intel' | 'observable';
  note: string | null;
  /** When it was linked: the creation time of its relationship (every version keeps it, STIX 2.1 section 3.6). */
  linked_at?: string;
}

/** The suspected actor: a STIX id (threat-actor, intrusion-set, campaign) and/or a name, with confidence 0-100 (STIX 2.1 section 3.2). */
export interface SuspectedActor {
  ref: string | null;
  name: string | null;
  confidence: number;
}

/** The severity an incident was scored at (incidents.scoring.ts). */
export interface IncidentSeverity {
  /** 0-100. */
  score: number;
  /** 0 Baseline .. 5 Emergency. */
  level: number;
  level_name: string;
  /** Level 3 (High) or above. */
  significant: boolean;
  /** The option chosen in each category, by category key. */
  selections: Record<string, string>;
}

/** Handling as answers show it: the TLP, the classification by name, the releasability. */
export interface IncidentHandling {
  tlp: string | null;
  classification: string;
  releasability: string[];
}

/** An incident as the API answers it. */
export interface Incident {
  /** The id of its STIX incident object (incident--uuid). */
  id: string;
  version: number;
  title: string;
  summary: string | null;
  status: IncidentStatus;
  /** Where it may move next (INCIDENT_TRANSITIONS). */
  allowed_transitions: IncidentStatus[];
  handler: string | null;
  sectors: string[];
  systems: string[];
  started_at: string | null;
  detected_at: string | null;
  created: string;
  modified: string;
  /** The reporting member's code (null: the node's own). */
  member: string | null;
  /** The user who reported it (null for incidents received from peer nodes). */
  owner: string | null;
  /** local: reported on this node; peer: received from a peer node as STIX (read only here). */
  source: 'local' | 'peer';
  actor: SuspectedActor | null;
  severity: IncidentSeverity | null;
  timeline: TimelineEntry[];
  tasks: IncidentTask[];
  links: IncidentLink[];
  handling: IncidentHandling;
  /** Member codes and '@user' entries the reporting member lets edit it besides its own users. */
  delegates: string[];
  /** Member codes and '@user' entries it is addressed to (empty: not addressed). */
  recipients: string[];
  /** May the reader change it? */
  may_edit: boolean;
}

/** A row of the incidents board. */
export type IncidentSummary = Pick<Incident, 'id' | 'version' | 'title' | 'status' | 'sectors' | 'member' | 'source' | 'created' | 'modified' | 'handling'> & {
  level: number | null;
  level_name: string | null;
  score: number | null;
  significant: boolean;
};

/** What the event bus announces after an incident's change committed. */
export interface IncidentChange {
  id: string;
  version: number;
  change: 'created' | 'updated';
  title: string;
  status: IncidentStatus;
  level: number | null;
  score: number | null;
  significant: boolean;
  sectors: string[];
  /** The reporting member's code. */
  member: string | null;
  /** STIX ids of the intel objects and observables it links. */
  linked: string[];
  /** Who may know of it: decide every recipient with canReadRecord(principal, access). */
  access: RecordAccess;
  source: 'local' | 'peer';
  modified: string;
}
