/**
 * The cumulative assessment as the node's JSON API answers it: the shapes, the Schmitt factors,
 * the ratings, the windows and the escalations are the node's own
 * (src/modules/assessment/assessment.model.ts, pure types and constants, so that the two never
 * drift apart), with the paths of the API the assessment views use.
 */
export { ESCALATION_TEXT, ESCALATIONS, FORMULA, RATINGS, SCHMITT_FACTORS, WINDOWS } from '../../../../src/modules/assessment/assessment.model.js';
export type { ActorSummary, Assessment, Contribution, Escalation, SchmittInput, Thresholds } from '../../../../src/modules/assessment/assessment.model.js';
import type { ActorSummary, Thresholds } from '../../../../src/modules/assessment/assessment.model.js';
import { WINDOWS } from '../../../../src/modules/assessment/assessment.model.js';

/** A path of the assessment API: assessmentPath('actors', ref, 'inputs'). */
export function assessmentPath(...segments: string[]): string {
  return ['/api/v1/assessment', ...segments.map(encodeURIComponent)].join('/');
}

/** GET /api/v1/assessment/actors. */
export interface ActorsAnswer {
  actors: ActorSummary[];
  thresholds: Thresholds;
  as_of: string;
  truncated: boolean;
}

/** The window a route asks for: one of WINDOWS (90 days unless said). */
export function windowOf(params: URLSearchParams): number {
  const days = Number(params.get('days'));
  return (WINDOWS as readonly number[]).includes(days) ? days : 90;
}

/** The page of an actor's assessment. */
export function actorHref(ref: string, days?: number): string {
  return `#/assessment/${encodeURIComponent(ref)}${days && days !== 90 ? `?days=${days}` : ''}`;
}

const TYPE_NAMES: Record<string, string> = { 'threat-actor': 'threat actor', 'intrusion-set': 'intrusion set', campaign: 'campaign' };
export function actorTypeName(type: string): string {
  return TYPE_NAMES[type] ?? type;
}

/** 'very-high' → 'very high'. */
export function ratingName(rating: string): string {
  return rating.replace(/-/g, ' ');
}
