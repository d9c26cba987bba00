/**
 * Incidents as the node's JSON API answers them (src/modules/incidents/incidents.model.ts is the
 * node's side of this contract; the application only speaks JSON with the node, so it keeps its
 * own copy of the shapes and vocabularies it shows), the scoring's answers, and the pure helpers
 * the incidents views share.
 */
import { CLASSIFICATIONS, type Handling } from '../../handling.js';

export const INCIDENT_STATUSES = ['new', 'triaged', 'contained', 'eradicated', 'recovered', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The sectors an incident may affect (NIS 2 Annexes I and II with the US critical infrastructure sectors), keys as the node knows them. */
export const SECTORS: ReadonlyArray<{ readonly key: string; readonly name: string; readonly critical: boolean }> = [
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
];

/** The severity levels of the NCISS scale (US National Cyber Incident Scoring System), 0 to 5. */
export const LEVEL_NAMES = ['Baseline', 'Low', 'Medium', 'High', 'Severe', 'Emergency'] as const;
/** Level 3 (High) and above is a significant incident. */
export const SIGNIFICANT_LEVEL = 3;

export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

export interface TimelineEntry {
  id: string;
  at: string;
  author: string | null;
  kind: 'note' | 'status' | 'scoring' | 'link' | 'task';
  text: string;
}

export interface IncidentTask {
  id: string;
  title: string;
  assignee: string | null;
  status: 'open' | 'done';
  due: string | null;
  created: string;
  modified: string;
}

export interface IncidentLink {
  object_id: string;
  kind: 'intel' | 'observable';
  note: string | null;
}

export interface SuspectedActor {
  ref: string | null;
  name: string | null;
  confidence: number;
}

export interface IncidentSeverity {
  score: number;
  level: number;
  level_name: string;
  significant: boolean;
  selections: Record<string, string>;
}

/** Handling as the incidents API answers it: the classification by name. */
export interface IncidentHandling {
  tlp: string | null;
  classification: string;
  releasability: string[];
}

export interface Incident {
  id: string;
  version: number;
  title: string;
  summary: string | null;
  status: IncidentStatus;
  allowed_transitions: IncidentStatus[];
  handler: string | null;
  sectors: string[];
  systems: string[];
  started_at: string | null;
  detected_at: string | null;
  created: string;
  modified: string;
  member: string | null;
  owner: string | null;
  source: 'local' | 'peer';
  actor: SuspectedActor | null;
  severity: IncidentSeverity | null;
  timeline: TimelineEntry[];
  tasks: IncidentTask[];
  links: IncidentLink[];
  handling: IncidentHandling;
  delegates: string[];
  recipients: string[];
  may_edit: boolean;
}

export type IncidentSummary = Pick<Incident, 'id' | 'version' | 'title' | 'status' | 'sectors' | 'member' | 'source' | 'created' | 'modified' | 'handling'> & {
  level: number | null;
  level_name: string | null;
  score: number | null;
  significant: boolean;
};

export interface IncidentPage {
  incidents: IncidentSummary[];
  next_cursor: string | null;
}

/** GET /api/v1/incidents/scoring: the categories to choose an option in, and the levels. */
export interface Scoring {
  categories: Array<{ key: string; name: string; description: string; weight: number; options: Array<{ key: string; label: string; description: string; value: number }> }>;
  levels: Array<{ level: number; name: string; min_score: number; color: string }>;
  significant_level: number;
}

/** POST /api/v1/incidents/scoring/preview. */
export interface ScorePreview {
  score: number;
  level: number;
  level_name: string;
  significant: boolean;
  /** One per category; option null: not chosen (it counts as value 0). */
  contributions: Array<{ category: string; option: string | null; value: number; weight: number; points: number }>;
}

export function sectorName(key: string): string {
  return SECTORS.find((s) => s.key === key)?.name ?? key;
}

/** 'new' → 'New'. */
export function statusName(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

export function levelName(level: number | null | undefined, named?: string | null): string {
  if (level === null || level === undefined) return 'Not scored';
  return named ?? LEVEL_NAMES[level] ?? `Level ${level}`;
}

/** An incident's handling as the badges take it (the classification as a level). */
export function handlingOfIncident(h: IncidentHandling): Handling {
  const level = (CLASSIFICATIONS as readonly string[]).indexOf(h.classification.toUpperCase());
  return { tlp: h.tlp, classification: level < 0 ? 0 : level, classification_name: h.classification, releasable_to: h.releasability };
}

/** The base of the incidents API. */
export const INCIDENTS_API = '/api/v1/incidents';

export function incidentPath(id: string, ...rest: string[]): string {
  return [`${INCIDENTS_API}/${encodeURIComponent(id)}`, ...rest.map(encodeURIComponent)].join('/');
}

/** A value of a datetime-local input (the reader's local time) as an ISO 8601 timestamp; undefined when empty or not a time. */
export function isoOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO timestamp as a datetime-local input's value, in the reader's local time. */
export function localOfIso(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Text of a textarea, one entry a line, blank lines dropped. */
export function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A comma- or space-separated list ('DEU, FRA') as its entries. */
export function listOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((l) => l.trim())
    .filter(Boolean);
}

export const STIX_ID = /^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The per-field messages of a 400 answer (details: [{path: 'body.title', message}]), by field name ('title', 'actor.confidence'). */
export function fieldErrorsOf(details: unknown): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!Array.isArray(details)) return errors;
  for (const d of details) {
    if (typeof d !== 'object' || d === null) continue;
    const { path, message } = d as { path?: unknown; message?: unknown };
    if (typeof path !== 'string' || typeof message !== 'string') continue;
    const field = path.replace(/^body\.?/, '') || 'body';
    errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
  }
  return errors;
}
