/**
 * Consultation and consensus as the node's JSON API answers it: the shapes, the response-options
 * catalogue, the proposal state machine and the rule of the silence procedure are the node's own
 * (src/modules/decisions/decisions.model.ts, pure types and constants, so that the two never drift
 * apart), with the paths of the API and the pure helpers the decisions views share (the time left
 * on a deadline, as the node's clock has it).
 */
export {
  CONSULTATION_STATUSES,
  OPTION_FAMILIES,
  PROPOSAL_STATUSES,
  PROPOSAL_TRANSITIONS,
  RESPONSE_OPTIONS,
  SILENCE_MAX_MS,
  SILENCE_MIN_MS,
  STATEMENT_STATUSES,
} from '../../../../src/modules/decisions/decisions.model.js';
export type {
  Amendment,
  Consultation,
  ConsultationAction,
  ConsultationEntry,
  ConsultationSummary,
  DecisionRecord,
  Handling,
  HistoryEntry,
  OptionFamily,
  Proposal,
  ProposalAction,
  ProposalStatus,
  ProposalSummary,
  Silence,
  SilenceBreak,
  Statement,
  StatementAction,
  StatementResponse,
  StatementStatus,
} from '../../../../src/modules/decisions/decisions.model.js';
import { RESPONSE_OPTIONS, type OptionFamily } from '../../../../src/modules/decisions/decisions.model.js';

/** The base of the decisions API. */
export const DECISIONS_API = '/api/v1/decisions';

/** A path of the decisions API: decisionsPath('proposals', id, 'break'). */
export function decisionsPath(...segments: string[]): string {
  return [DECISIONS_API, ...segments.map(encodeURIComponent)].join('/');
}

/** What a record's id says it is: the page that shows it. */
export function pageOf(id: string): string {
  return `#/decisions/${encodeURIComponent(id)}`;
}

export const FAMILY_NAMES: Readonly<Record<OptionFamily, string>> = {
  'political-diplomatic': 'Political and diplomatic',
  economic: 'Economic',
  cyber: 'Cyber',
  military: 'Military',
};

/** A response option's name (its key when the catalogue does not know it). */
export function optionName(key: string): string {
  return RESPONSE_OPTIONS.find((o) => o.key === key)?.name ?? key;
}

export function isNationalDecision(key: string): boolean {
  return RESPONSE_OPTIONS.find((o) => o.key === key)?.national_decision ?? false;
}

/**
 * Time left for a person: '2 d 4 h', '3 h 05 min', '12 min 09 s', '45 s'; seconds shown under an
 * hour, so that a countdown visibly ticks when it matters.
 */
export function remainingText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A value of a datetime-local input (the reader's local time) as an ISO 8601 timestamp; undefined when empty or not a time. */
export function isoOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A time `ms` from now as a datetime-local input's value, in the reader's local time. */
export function localIn(ms: number): string {
  const d = new Date(Date.now() + ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** 'silence-broken' → 'Silence broken'. */
export function words(key: string): string {
  const text = key.replace(/[-_]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** GET /api/v1/decisions/catalogue. */
export interface DecisionsCatalogue {
  options: typeof RESPONSE_OPTIONS;
  silence: { min_ms: number; max_ms: number };
  limits: Record<string, number>;
}
