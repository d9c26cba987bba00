/**
 * Mutual assistance as the API presents it and as the node's event bus announces it: the
 * capability catalogue, the three state machines (request, offer, deployment), the approval
 * rules and response-clock targets, and the shapes of requests, offers, deployments and standby
 * teams. Pure types, constants and functions: the service, the property tests and the web app
 * (which imports this file) read these. docs/ASSISTANCE.md tells the whole flow.
 */
import { DEFAULT_CLASSIFICATIONS } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import { canWriteRecord, type RecordAccess } from '../../policy/record.js';

// --- the catalogue -------------------------------------------------------------------------------

/**
 * What a stricken member may ask for and a team may offer. Modelled on the services national
 * rapid-reaction and incident support teams announce (incident handling, forensics, malware
 * analysis, hunting, monitoring, recovery) and the non-technical support a crisis also needs
 * (legal, diplomatic, strategic communication, crisis management).
 */
export const CAPABILITIES: ReadonlyArray<{ readonly key: string; readonly name: string; readonly technical: boolean }> = Object.freeze([
  { key: 'incident-handling', name: 'Incident handling and coordination', technical: true },
  { key: 'digital-forensics', name: 'Digital forensics', technical: true },
  { key: 'malware-analysis', name: 'Malware analysis and reverse engineering', technical: true },
  { key: 'threat-hunting', name: 'Threat hunting', technical: true },
  { key: 'network-monitoring', name: 'Network security monitoring', technical: true },
  { key: 'vulnerability-assessment', name: 'Vulnerability assessment and hardening', technical: true },
  { key: 'it-recovery', name: 'IT system recovery and restoration', technical: true },
  { key: 'ot-ics-recovery', name: 'OT/ICS incident response and recovery', technical: true },
  { key: 'cloud-response', name: 'Cloud incident response', technical: true },
  { key: 'threat-intelligence', name: 'Cyber threat intelligence and attribution support', technical: true },
  { key: 'legal-support', name: 'Legal support', technical: false },
  { key: 'diplomatic-support', name: 'Diplomatic support', technical: false },
  { key: 'strategic-communication', name: 'Strategic communication', technical: false },
  { key: 'crisis-management', name: 'Crisis management and liaison', technical: false },
]);
export const CAPABILITY_KEYS: readonly string[] = Object.freeze(CAPABILITIES.map((capability) => capability.key));

/** How soon help is needed; it sets the response-clock targets (ASSISTANCE_TARGETS). */
export const URGENCIES = ['critical', 'high', 'routine'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** Where the help is given: a request may accept either. */
export const REQUEST_MODES = ['remote', 'on-site', 'either'] as const;
export type RequestMode = (typeof REQUEST_MODES)[number];
/** How a team works or an offer is made: one of the two. */
export const MODES = ['remote', 'on-site'] as const;
export type Mode = (typeof MODES)[number];

/** Does help given this way serve a request made that way? */
export function modeServes(offered: Mode, requested: RequestMode): boolean {
  return requested === 'either' || offered === requested;
}

// --- the state machines ---------------------------------------------------------------------------

/**
 * A request's life: submitted, then approved (once enough coordinators approved) or rejected;
 * approved requests reach the members able to help, and are assisting once an offer is accepted;
 * the requester may withdraw it before anyone assists, and closes it when help ended.
 */
export const REQUEST_STATUSES = ['submitted', 'approved', 'assisting', 'closed', 'rejected', 'withdrawn'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const REQUEST_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = Object.freeze({
  submitted: ['approved', 'rejected', 'withdrawn'],
  approved: ['assisting', 'withdrawn', 'closed'],
  assisting: ['closed'],
  closed: [],
  rejected: [],
  withdrawn: [],
});

/** An offer's life: made, then accepted or declined by the requester, or withdrawn by the one who made it. */
export const OFFER_STATUSES = ['offered', 'accepted', 'declined', 'withdrawn'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];
export const OFFER_TRANSITIONS: Readonly<Record<OfferStatus, readonly OfferStatus[]>> = Object.freeze({
  offered: ['accepted', 'declined', 'withdrawn'],
  accepted: [],
  declined: [],
  withdrawn: [],
});

/**
 * A deployment's life, from the offer accepted: mobilising, active (the team at work), demobilised,
 * closed with its lessons learned. A team stood down before it started goes from mobilising
 * straight to demobilised.
 */
export const DEPLOYMENT_STATUSES = ['mobilising', 'active', 'demobilised', 'closed'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const DEPLOYMENT_TRANSITIONS: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = Object.freeze({
  mobilising: ['active', 'demobilised'],
  active: ['demobilised'],
  demobilised: ['closed'],
  closed: [],
});

/** The statuses from which one may move, in one machine. */
export function allowedFrom<S extends string>(machine: Readonly<Record<S, readonly S[]>>, status: S): readonly S[] {
  return machine[status] ?? [];
}

/** Statuses in which a request is still open (its clocks run, it takes offers or deployments). */
export const OPEN_REQUEST_STATUSES: readonly RequestStatus[] = Object.freeze(['submitted', 'approved', 'assisting']);
/** Statuses in which a request takes offers: only once approved (never before). */
export const OFFERABLE_REQUEST_STATUSES: readonly RequestStatus[] = Object.freeze(['approved', 'assisting']);
/** Deployments in these statuses keep a request from being closed. */
export const UNFINISHED_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = Object.freeze(['mobilising', 'active']);

// --- approval rules -------------------------------------------------------------------------------

/**
 * Distinct coordinators whose approval a request needs, by where help is given: on-site
 * deployments send people into another nation's networks and premises, so two by default
 * (SHIELDWALL_ASSISTANCE_APPROVALS overrides, e.g. `remote=1,on-site=2,either=2`).
 */
export type ApprovalRules = Readonly<Record<RequestMode, number>>;
export const DEFAULT_APPROVAL_RULES: ApprovalRules = Object.freeze({ remote: 1, 'on-site': 2, either: 2 });

/** Reads `remote=1,on-site=2`; the modes not named keep their default. Throws naming what is wrong. */
export function parseApprovalRules(text: string): ApprovalRules {
  const rules: Record<RequestMode, number> = { ...DEFAULT_APPROVAL_RULES };
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^([a-z-]+)\s*=\s*(\d{1,2})$/.exec(part);
    if (!match) throw new Error(`'${part}' is not mode=count (e.g. on-site=2)`);
    const mode = match[1] as RequestMode;
    if (!(REQUEST_MODES as readonly string[]).includes(mode)) throw new Error(`'${match[1]}' is not one of ${REQUEST_MODES.join(', ')}`);
    const count = Number(match[2]);
    if (count < 1 || count > 10) throw new Error(`${mode}=${count}: between 1 and 10 coordinators approve a request`);
    rules[mode] = count;
  }
  return Object.freeze(rules);
}

// --- response clocks ------------------------------------------------------------------------------

/** The milestones a request's clocks time from its submission. */
export const MILESTONES = ['approval', 'first_offer', 'deployment'] as const;
export type Milestone = (typeof MILESTONES)[number];

export const MILESTONE_NAMES: Readonly<Record<Milestone, string>> = Object.freeze({
  approval: 'time to approval',
  first_offer: 'time to first offer',
  deployment: 'time to deployment (a team active)',
});

/** Targets per urgency and milestone (ms). SHIELDWALL_ASSISTANCE_TARGETS overrides any of them. */
export type ClockTargets = Readonly<Record<Urgency, Readonly<Record<Milestone, number>>>>;
const HOUR = 3_600_000;
export const DEFAULT_TARGETS: ClockTargets = Object.freeze({
  critical: Object.freeze({ approval: 1 * HOUR, first_offer: 4 * HOUR, deployment: 24 * HOUR }),
  high: Object.freeze({ approval: 4 * HOUR, first_offer: 12 * HOUR, deployment: 48 * HOUR }),
  routine: Object.freeze({ approval: 24 * HOUR, first_offer: 72 * HOUR, deployment: 168 * HOUR }),
});

/** '90m', '4h', '2d', '1h30m' in ms; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?$/.exec(text.trim());
  if (!match || (match[1] === undefined && match[2] === undefined && match[3] === undefined)) return undefined;
  const ms = (Number(match[1] ?? 0) * 24 + Number(match[2] ?? 0)) * HOUR + Number(match[3] ?? 0) * 60_000;
  return ms > 0 ? ms : undefined;
}

/** Reads `critical.approval=30m,high.deployment=2d`; the others keep their default. Throws naming what is wrong. */
export function parseTargets(text: string): ClockTargets {
  const targets: Record<Urgency, Record<Milestone, number>> = {
    critical: { ...DEFAULT_TARGETS.critical },
    high: { ...DEFAULT_TARGETS.high },
    routine: { ...DEFAULT_TARGETS.routine },
  };
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^([a-z]+)\.([a-z_]+)\s*=\s*(\S+)$/.exec(part);
    if (!match) throw new Error(`'${part}' is not urgency.milestone=duration (e.g. critical.approval=30m)`);
    const [, urgency, milestone, duration] = match as unknown as [string, Urgency, Milestone, string];
    if (!(URGENCIES as readonly string[]).includes(urgency)) throw new Error(`'${urgency}' is not one of ${URGENCIES.join(', ')}`);
    if (!(MILESTONES as readonly string[]).includes(milestone)) throw new Error(`'${milestone}' is not one of ${MILESTONES.join(', ')}`);
    const ms = parseDuration(duration);
    if (ms === undefined) throw new Error(`'${duration}' is not a duration such as 90m, 4h, 2d`);
    targets[urgency][milestone] = ms;
  }
  return Object.freeze({ critical: Object.freeze(targets.critical), high: Object.freeze(targets.high), routine: Object.freeze(targets.routine) });
}

/** One response clock of a request as the reader sees it now. */
export interface ResponseClock {
  readonly milestone: Milestone;
  /** When the milestone was reached; null while it is not. */
  readonly reached_at: string | null;
  /** From submission to the milestone, or to now (or to the request's end) while not reached. */
  readonly elapsed_ms: number;
  readonly target_ms: number;
  /** Past its target: reached late, or not reached and the target passed. */
  readonly overdue: boolean;
  /** Still running: not reached, the request open. */
  readonly running: boolean;
}

/**
 * A clock from the request's times. A clock stops when its milestone is reached or the request
 * ends (closed, rejected, withdrawn: it never will be); it is overdue when its elapsed time is
 * past its target.
 */
export function responseClock(milestone: Milestone, submittedAt: string, reachedAt: string | null, endedAt: string | null, targetMs: number, now: Date): ResponseClock {
  const start = Date.parse(submittedAt);
  const stop = reachedAt !== null ? Date.parse(reachedAt) : endedAt !== null ? Date.parse(endedAt) : now.getTime();
  const elapsed = Math.max(0, stop - start);
  return {
    milestone,
    reached_at: reachedAt,
    elapsed_ms: elapsed,
    target_ms: targetMs,
    overdue: elapsed > targetMs,
    running: reachedAt === null && endedAt === null,
  };
}

// --- shapes -----------------------------------------------------------------------------------------

export interface Handling {
  readonly tlp: string | null;
  readonly classification: string;
  readonly releasability: string[];
}

export interface RequestConstraints {
  /** Lowest clearance each team member must hold (a classification name), or none. */
  readonly clearance: string | null;
  /** Languages the team must work in (ISO 639-1 codes, e.g. 'en', 'fr'). */
  readonly languages: string[];
  /** How long help is needed, in days, if known. */
  readonly duration_days: number | null;
  readonly other: string | null;
}

export interface Approval {
  readonly by: string;
  readonly member: string | null;
  readonly at: string;
  readonly conditions: string | null;
}

/** What a reader may do to a request now (beyond reading it). */
export type RequestAction = 'approve' | 'reject' | 'withdraw' | 'close' | 'offer';

export interface AssistanceRequest {
  readonly id: string;
  readonly version: number;
  readonly incident_id: string;
  /** The incident's title, if the reader may read the incident. */
  readonly incident_title: string | null;
  readonly title: string;
  readonly description: string | null;
  readonly capabilities: string[];
  readonly urgency: Urgency;
  readonly mode: RequestMode;
  readonly constraints: RequestConstraints;
  readonly status: RequestStatus;
  readonly allowed_transitions: RequestStatus[];
  readonly member: string | null;
  readonly owner: string | null;
  readonly approvals: Approval[];
  readonly approvals_required: number;
  readonly rejection: { readonly by: string; readonly at: string; readonly reason: string } | null;
  /** Members the approved request reached (their standby teams match); shown to the requester and coordinators only. */
  readonly released_to: string[] | null;
  readonly clocks: ResponseClock[];
  readonly handling: Handling;
  readonly created: string;
  readonly modified: string;
  readonly actions: RequestAction[];
  /** The offers the reader may read, and the deployments. */
  readonly offers: Offer[];
  readonly deployments: Deployment[];
  readonly history: HistoryEntry[];
}

/** A request on the board: columns only. */
export interface RequestSummary {
  readonly id: string;
  readonly version: number;
  readonly incident_id: string;
  readonly title: string;
  readonly capabilities: string[];
  readonly urgency: Urgency;
  readonly mode: RequestMode;
  readonly status: RequestStatus;
  readonly member: string | null;
  readonly offers: number;
  readonly deployments: number;
  readonly clocks: ResponseClock[];
  readonly handling: Handling;
  readonly created: string;
  readonly modified: string;
}

export interface HistoryEntry {
  readonly at: string;
  readonly by: string;
  readonly member: string | null;
  readonly action: string;
  readonly text: string | null;
}

export interface Offer {
  readonly id: string;
  readonly version: number;
  readonly request_id: string;
  readonly member: string | null;
  readonly owner: string | null;
  readonly team_id: string | null;
  readonly team_name: string | null;
  readonly capabilities: string[];
  readonly size: number;
  /** Clearance the team's members hold (a classification name). */
  readonly clearance: string;
  readonly mode: Mode;
  readonly available_from: string;
  readonly available_until: string | null;
  readonly conditions: string | null;
  readonly status: OfferStatus;
  readonly allowed_transitions: OfferStatus[];
  readonly reason: string | null;
  readonly deployment_id: string | null;
  readonly created: string;
  readonly modified: string;
  readonly may_decide: boolean;
  readonly may_withdraw: boolean;
}

export interface SituationReport {
  readonly id: string;
  readonly at: string;
  readonly author: string;
  readonly member: string | null;
  readonly text: string;
}

export interface Deployment {
  readonly id: string;
  readonly version: number;
  readonly request_id: string;
  readonly offer_id: string;
  readonly incident_id: string;
  /** The member whose team deploys, and the member it helps. */
  readonly assisting_member: string | null;
  readonly requesting_member: string | null;
  readonly team_name: string | null;
  readonly capabilities: string[];
  readonly mode: Mode;
  readonly status: DeploymentStatus;
  readonly allowed_transitions: DeploymentStatus[];
  readonly sitreps: SituationReport[];
  readonly lessons_learned: string | null;
  readonly activated_at: string | null;
  readonly demobilised_at: string | null;
  readonly closed_at: string | null;
  readonly created: string;
  readonly modified: string;
  readonly may_edit: boolean;
}

// --- standby rosters --------------------------------------------------------------------------------

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A weekly window a team is on call, in the team's own time zone: the days it starts on, from
 * 'HH:MM' to 'HH:MM' (to before from: it runs past midnight into the next day; '00:00' to
 * '24:00': the whole day).
 */
export interface CoverageWindow {
  readonly days: Weekday[];
  readonly from: string;
  readonly to: string;
}

export interface OnCallContact {
  readonly name: string;
  readonly role: string | null;
  readonly phone: string | null;
  readonly email: string | null;
}

export const TEAM_STATUSES = ['standing-by', 'stood-down'] as const;
export type TeamStatus = (typeof TEAM_STATUSES)[number];

export interface StandbyTeam {
  readonly id: string;
  readonly version: number;
  readonly member: string | null;
  readonly name: string;
  readonly capabilities: string[];
  readonly modes: Mode[];
  readonly size: number;
  /** Clearance the team's members hold (a classification name). */
  readonly clearance: string;
  readonly languages: string[];
  /** IANA time zone of its coverage windows, e.g. Europe/Berlin. */
  readonly time_zone: string;
  /** True: 24/7; otherwise the weekly windows. */
  readonly always: boolean;
  readonly coverage: CoverageWindow[];
  /** Hours from a call to the team at work, remote and on site. */
  readonly response_hours: { readonly remote: number | null; readonly 'on-site': number | null };
  readonly contacts: OnCallContact[];
  readonly status: TeamStatus;
  readonly handling: Handling;
  readonly created: string;
  readonly modified: string;
  readonly may_edit: boolean;
}

// --- the event -------------------------------------------------------------------------------------

export type AssistanceChangeKind =
  | 'requested' | 'approval' | 'approved' | 'rejected' | 'withdrawn' | 'closed'
  | 'offered' | 'offer-accepted' | 'offer-declined' | 'offer-withdrawn'
  | 'deployment' | 'sitrep'
  /** A response clock went past its target with its milestone not reached. */
  | 'overdue';

/**
 * A change to a request, one of its offers or deployments, or a clock overdue (after the write
 * committed). `access` is the changed record's: who may hear of it is canReadRecord's decision on it.
 */
export interface AssistanceChange {
  readonly record: 'request' | 'offer' | 'deployment';
  readonly id: string;
  readonly request_id: string;
  readonly incident_id: string;
  readonly change: AssistanceChangeKind;
  readonly title: string;
  readonly status: string;
  readonly urgency: Urgency;
  readonly requesting_member: string | null;
  readonly milestone?: Milestone;
  readonly access: RecordAccess;
  readonly modified: string;
  /**
   * Heard only by those who see the whole request (an offer or deployment clock overdue): of the
   * members in `access`, the requesting member's users and the coordinators, the users of the
   * coordinating members who hold assistance:approve. Its colleagues without that permission see
   * a request as the members it reached do.
   */
  readonly whole_only?: true;
}

/** The permission of the coordinators who decide on requests (and see them whole). */
export const APPROVE_PERMISSION = 'assistance:approve';

/**
 * Does a reader who may read the changed record (canReadRecord on its access) hear of the change?
 * Every such reader does, but of a change for those who see the whole request (whole_only): then
 * the requesting member's users (who write for the request) and the holders of `APPROVE_PERMISSION`
 * (the record's access names no other member).
 */
export function hearsOfChange(reader: Principal, change: AssistanceChange, holds: (reader: Principal, permission: string) => boolean): boolean {
  if (change.whole_only !== true || reader.kind === 'system') return true;
  return canWriteRecord(reader, change.access) === undefined || holds(reader, APPROVE_PERMISSION);
}

/** A record's handling as readers are shown it, from its access: the TLP, the classification by name, the releasability. */
export function handlingOfAccess(access: RecordAccess): Handling {
  return {
    tlp: access.tlp,
    classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? `LEVEL ${access.classification}`,
    releasability: [...access.releasability],
  };
}
