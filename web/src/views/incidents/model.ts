/**
 * Incidents as the node's JSON API answers them: the shapes and vocabularies are the node's own
 * (src/modules/incidents/incidents.model.ts, pure types and constants, so that the two never
 * drift apart), with the scoring's answers and the pure helpers the incidents views share.
 */
import { CLASSIFICATIONS, type Handling } from '../../handling.js';

export { INCIDENT_STATUSES, SECTORS, type IncidentStatus } from '../../../../src/modules/incidents/incidents.model.js';
import { SECTORS } from '../../../../src/modules/incidents/incidents.model.js';

/** The severity levels of the NCISS scale (US National Cyber Incident Scoring System), 0 to 5. */
export const LEVEL_NAMES = ['Baseline', 'Low', 'Medium', 'High', 'Severe', 'Emergency'] as const;
/** Level 3 (High) and above is a significant incident. */
export const SIGNIFICANT_LEVEL = 3;

export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

export type {
  Incident, IncidentHandling, IncidentLink, IncidentSeverity, IncidentSummary, IncidentTask, SuspectedActor, TimelineEntry,
} from '../../../../src/modules/incidents/incidents.model.js';
import type { IncidentHandling, IncidentSummary } from '../../../../src/modules/incidents/incidents.model.js';

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
