/**
 * What a subscription asks to hear of: conditions on an incident's change, all of which must
 * hold, and which changes of mutual assistance (none unless asked). Pure: whether the subscriber
 * may know of the incident or the assistance record at all is the policy's decision
 * (canReadRecord), taken apart; whether the incident links an indicator the subscriber's member
 * sighted is read from the store by the service and handed in.
 */
import type { AssistanceChange } from '../assistance/assistance.model.js';
import { INCIDENT_STATUSES, SECTOR_KEYS, type IncidentChange, type IncidentStatus } from '../incidents/incidents.model.js';

export const CHANGE_KINDS = ['created', 'updated'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * Which changes of mutual assistance a subscription hears of: none (the default, so that a
 * subscription made before stays as it was), only response clocks gone overdue, or every change
 * of a request, an offer or a deployment.
 */
export const ASSISTANCE_LEVELS = ['none', 'overdue', 'all'] as const;
export type AssistanceLevel = (typeof ASSISTANCE_LEVELS)[number];

/** Severity levels run from 0 (Baseline) to 5 (Emergency). */
export const MAX_LEVEL = 5;
/** Most entries in one list of a filter. */
export const FILTER_LIST_MAX = 50;
const MEMBER_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

export interface SubscriptionFilter {
  /** Only incidents of level 3 (High) or above. */
  significant_only?: boolean;
  /** Only incidents scored at this level or above (an unscored incident has none). */
  min_level?: number;
  /** Only incidents affecting one of these sectors (SECTOR_KEYS). */
  sectors?: string[];
  /** Only incidents reported by one of these members (codes). */
  members?: string[];
  /** Only incidents in one of these statuses. */
  statuses?: IncidentStatus[];
  /** Only incidents that link an indicator a sighting of the subscriber's member is of. */
  linked_to_my_sightings?: boolean;
  /** Only these changes (created, updated). */
  changes?: ChangeKind[];
  /** false: no incident changes at all (a subscription to assistance only). Absent: incidents as the conditions above say. */
  incidents?: false;
  /** Which assistance changes, of requests made by one of `members` when given: absent is 'none'. */
  assistance?: Exclude<AssistanceLevel, 'none'>;
}

/** A filter as a request gives it: its lists not yet checked against the vocabularies. */
export type FilterInput = Omit<SubscriptionFilter, 'statuses' | 'changes' | 'incidents' | 'assistance'> & { statuses?: string[]; changes?: string[]; incidents?: boolean; assistance?: string };

/** What a filter is held against: the change, and whether it links an indicator the subscriber's member sighted (asked only when the filter wants it). */
export interface FilterFacts {
  readonly change: Pick<IncidentChange, 'change' | 'status' | 'level' | 'significant' | 'sectors' | 'member'>;
  readonly linksMySighting?: () => Promise<boolean>;
}

/** Does the change pass every condition of the filter? The sightings are looked up last, and only when the rest holds. */
export async function filterMatches(filter: SubscriptionFilter, facts: FilterFacts): Promise<boolean> {
  if (!matchesWithoutSightings(filter, facts.change)) return false;
  if (filter.linked_to_my_sightings === true) return (await facts.linksMySighting?.()) ?? false;
  return true;
}

/** The conditions that need nothing but the change itself. */
export function matchesWithoutSightings(filter: SubscriptionFilter, change: FilterFacts['change']): boolean {
  if (filter.incidents === false) return false;
  if (filter.significant_only === true && !change.significant) return false;
  if (filter.min_level !== undefined && (change.level === null || change.level < filter.min_level)) return false;
  if (filter.sectors && filter.sectors.length > 0 && !change.sectors.some((sector) => filter.sectors!.includes(sector))) return false;
  if (filter.members && filter.members.length > 0 && (change.member === null || !filter.members.includes(change.member))) return false;
  if (filter.statuses && filter.statuses.length > 0 && !filter.statuses.includes(change.status)) return false;
  if (filter.changes && filter.changes.length > 0 && !filter.changes.includes(change.change)) return false;
  return true;
}

/**
 * Does the filter ask for this change of mutual assistance? Its level decides (none: never), and
 * `members`, when given, names the requesting member; the incident conditions (levels, sectors,
 * statuses, changes, sightings) are about incidents and ask nothing here.
 */
export function assistanceMatches(filter: SubscriptionFilter, change: Pick<AssistanceChange, 'change' | 'requesting_member'>): boolean {
  const level = filter.assistance ?? 'none';
  if (level === 'none' || (level === 'overdue' && change.change !== 'overdue')) return false;
  if (filter.members && filter.members.length > 0 && (change.requesting_member === null || !filter.members.includes(change.requesting_member))) return false;
  return true;
}

/** The indicators among an incident's links: what a sighting of the subscriber's member must be of. */
export function linkedIndicators(linked: readonly string[]): string[] {
  return [...new Set(linked.filter((id) => id.startsWith('indicator--')))];
}

/**
 * Checks a filter as received (after the route's schema): the values of its lists, named by
 * field, so that a mistake is told rather than matching nothing for ever. Answers the problems.
 */
export function filterProblems(filter: FilterInput): string[] {
  const problems: string[] = [];
  const unknown = (field: string, values: readonly string[] | undefined, known: readonly string[], hint: string) => {
    const bad = (values ?? []).filter((v) => !known.includes(v));
    if (bad.length > 0) problems.push(`filter.${field}: ${bad.map((v) => `'${v.slice(0, 60)}'`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${hint}`);
  };
  unknown('sectors', filter.sectors, SECTOR_KEYS, `a sector: use ${SECTOR_KEYS.join(', ')}`);
  unknown('statuses', filter.statuses, INCIDENT_STATUSES, `a status: use ${INCIDENT_STATUSES.join(', ')}`);
  unknown('changes', filter.changes, CHANGE_KINDS, `a change: use ${CHANGE_KINDS.join(', ')}`);
  const badCodes = (filter.members ?? []).filter((code) => !MEMBER_CODE.test(code));
  if (badCodes.length > 0) problems.push(`filter.members: ${badCodes.map((v) => `'${v.slice(0, 60)}'`).join(', ')} not member codes (upper-case letters, digits, '-' and '_', e.g. DEU)`);
  if (filter.min_level !== undefined && (!Number.isInteger(filter.min_level) || filter.min_level < 0 || filter.min_level > MAX_LEVEL)) problems.push(`filter.min_level: ${filter.min_level} is not a level from 0 to ${MAX_LEVEL}`);
  if (filter.assistance !== undefined && !(ASSISTANCE_LEVELS as readonly string[]).includes(filter.assistance)) problems.push(`filter.assistance: '${filter.assistance.slice(0, 60)}' is not one of ${ASSISTANCE_LEVELS.join(', ')}`);
  else if (filter.incidents === false && (filter.assistance ?? 'none') === 'none') problems.push("filter.incidents: false with no assistance changes hears of nothing: ask for filter.assistance 'overdue' or 'all', or leave incidents out");
  return problems;
}

/**
 * The filter as stored: lists without repeats, empty ones and false flags left out (they ask
 * nothing). Its lists are taken as they are: check them with filterProblems.
 */
export function normaliseFilter(filter: FilterInput): SubscriptionFilter {
  const list = <T extends string>(values: readonly T[] | undefined): T[] | undefined => (values && values.length > 0 ? [...new Set(values)] : undefined);
  const sectors = list(filter.sectors);
  const members = list(filter.members);
  const statuses = list(filter.statuses as IncidentStatus[] | undefined);
  const changes = list(filter.changes as ChangeKind[] | undefined);
  return {
    ...(filter.significant_only === true ? { significant_only: true } : {}),
    ...(filter.min_level !== undefined ? { min_level: filter.min_level } : {}),
    ...(sectors ? { sectors } : {}),
    ...(members ? { members } : {}),
    ...(statuses ? { statuses } : {}),
    ...(filter.linked_to_my_sightings === true ? { linked_to_my_sightings: true } : {}),
    ...(changes ? { changes } : {}),
    ...(filter.incidents === false ? { incidents: false as const } : {}),
    ...(filter.assistance === 'overdue' || filter.assistance === 'all' ? { assistance: filter.assistance } : {}),
  };
}
