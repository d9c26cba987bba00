/**
 * Mutual assistance as the node's JSON API answers it: the shapes, state machines and vocabularies
 * are the node's own (src/modules/assistance/assistance.model.ts, pure types and constants, so
 * that the two never drift apart), with what the catalogue answers and the pure helpers the
 * assistance views share (durations, the clocks as they run on, handling badges).
 */
import { CLASSIFICATIONS, type Handling as BadgeHandling } from '../../handling.js';

export {
  CAPABILITIES,
  DEPLOYMENT_STATUSES,
  MILESTONE_NAMES,
  MILESTONES,
  MODES,
  OFFER_STATUSES,
  REQUEST_MODES,
  REQUEST_STATUSES,
  TEAM_STATUSES,
  URGENCIES,
  WEEKDAYS,
  modeServes,
} from '../../../../src/modules/assistance/assistance.model.js';
export type {
  Approval,
  AssistanceRequest,
  CoverageWindow,
  Deployment,
  DeploymentStatus,
  Handling,
  HistoryEntry,
  Milestone,
  Mode,
  Offer,
  OfferStatus,
  OnCallContact,
  RequestAction,
  RequestMode,
  RequestStatus,
  RequestSummary,
  ResponseClock,
  SituationReport,
  StandbyTeam,
  TeamStatus,
  Urgency,
  Weekday,
} from '../../../../src/modules/assistance/assistance.model.js';
import type { Deployment, Handling, Milestone, RequestMode, RequestSummary, ResponseClock, StandbyTeam, Urgency } from '../../../../src/modules/assistance/assistance.model.js';

/** GET /api/v1/assistance/catalogue: the vocabularies, rules and targets of this node. */
export interface Catalogue {
  capabilities: Array<{ key: string; name: string; technical: boolean }>;
  urgencies: Urgency[];
  request_modes: RequestMode[];
  modes: string[];
  approval_rules: Record<RequestMode, number>;
  targets: Record<Urgency, Record<Milestone, number>>;
  coordinating_members: string[];
}

export interface RequestPage {
  requests: RequestSummary[];
  next_cursor: string | null;
}

export interface TeamPage {
  teams: StandbyTeam[];
  next_cursor: string | null;
}

export interface DeploymentList {
  deployments: Deployment[];
}

/** GET /api/v1/assistance/standby: who can help at `at`. */
export interface StandbyAnswer {
  at: string;
  teams: Array<{ team: StandbyTeam; on_call: boolean; response_hours: number | null; next_on_call: string | null; mode?: string; ready_in_hours?: number | null }>;
  truncated?: boolean;
}

/** The base of the assistance API. */
export const ASSISTANCE_API = '/api/v1/assistance';

/** A path of the assistance API: assistancePath('requests', id, 'status'). */
export function assistancePath(...segments: string[]): string {
  return [ASSISTANCE_API, ...segments.map(encodeURIComponent)].join('/');
}

/** A record's handling as the badges take it (the classification as a level). */
export function badgeHandling(h: Handling): BadgeHandling {
  const level = (CLASSIFICATIONS as readonly string[]).indexOf(h.classification.toUpperCase());
  return { tlp: h.tlp, classification: level < 0 ? 0 : level, classification_name: h.classification, releasable_to: h.releasability };
}

/** 'on-site' → 'On site', 'first_offer' → 'First offer'. */
export function words(key: string): string {
  const text = key.replace(/[-_]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const MODE_NAMES: Record<string, string> = { remote: 'remote', 'on-site': 'on site', either: 'remote or on site' };
export function modeName(mode: string): string {
  return MODE_NAMES[mode] ?? mode;
}

/** A duration for a person: '45 s', '12 min', '3 h 05 min', '2 d 4 h'. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/**
 * A clock as it stands `sinceMs` after the node answered: a running clock goes on from the
 * elapsed time the node gave (its own clock, not the reader's), and turns overdue past its target.
 */
export function clockNow(clock: ResponseClock, sinceMs: number): { elapsed: number; overdue: boolean } {
  const elapsed = clock.running ? clock.elapsed_ms + Math.max(0, sinceMs) : clock.elapsed_ms;
  return { elapsed, overdue: clock.running ? elapsed > clock.target_ms : clock.overdue };
}

/** A value of a datetime-local input (the reader's local time) as an ISO 8601 timestamp; undefined when empty or not a time. */
export function isoOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO timestamp (or now) as a datetime-local input's value, in the reader's local time. */
export function localOfIso(iso?: string | null): string {
  const d = iso ? new Date(iso) : new Date();
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A comma- or space-separated list ('en, fr') as its entries. */
export function listOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Statuses as the board groups them. */
export const BOARD_GROUPS = [
  { key: 'submitted', title: 'Submitted: awaiting approval', statuses: ['submitted'] },
  { key: 'approved', title: 'Approved: awaiting offers', statuses: ['approved'] },
  { key: 'assisting', title: 'Assisting', statuses: ['assisting'] },
  { key: 'ended', title: 'Ended: closed, rejected, withdrawn', statuses: ['closed', 'rejected', 'withdrawn'] },
] as const;
export type BoardGroup = (typeof BOARD_GROUPS)[number]['key'];
