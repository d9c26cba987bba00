/**
 * What the incidents browser tests need beyond test/support/web.ts: incidents reported and moved
 * through the API with a user's own token (to set a scene, or to change an incident behind an
 * open page's back), and what the incidents views show of them.
 *
 * The selectors are the incidents views' contract: board rows `tr[data-incident-id]`, the page's
 * root `article[data-incident-id]`, the severity level `.level[data-level]`, the status
 * `.incident-status[data-status]`, the moves `button[data-transition]`, the live feed's prompt
 * `.incidents-changed button`, tasks `tr[data-task-id][data-task-status]`, timeline entries
 * `li[data-timeline-kind]`; handling badges as everywhere (`.badge.tlp`, `.badge.cls`, `.badge.rel`).
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Api } from './web.js';

/** Incidents as the API answers them: the node's own shapes. */
export type { Incident, IncidentHandling } from '../../src/modules/incidents/incidents.model.js';
import type { Incident } from '../../src/modules/incidents/incidents.model.js';

export interface Scoring {
  categories: Array<{ key: string; name: string; options: Array<{ key: string; label: string; value: number }> }>;
  levels: Array<{ level: number; name: string; min_score: number }>;
}

export interface ScorePreview {
  score: number;
  level: number;
  level_name: string;
}

/** A title no other test and no demo incident uses, with a word to search for. */
export function uniqueTitle(what: string): { title: string; word: string } {
  const word = `zq${randomBytes(5).toString('hex')}`;
  return { title: `${what} ${word}`, word };
}

/** Reports an incident with a user's token (201), with these fields over a plain default. */
export async function reportIncident(api: Api, fields: Record<string, unknown> & { title: string }): Promise<Incident> {
  return api.json<Incident>('/api/v1/incidents', { method: 'POST', body: JSON.stringify({ tlp: 'amber', classification: 'UNCLASSIFIED', ...fields }) }, 201);
}

export async function incidentOf(api: Api, id: string): Promise<Incident> {
  return api.json<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`);
}

/** Moves an incident with a user's token (as a colleague at another desk would). */
export async function moveIncident(api: Api, id: string, status: string): Promise<Incident> {
  return api.json<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}/status`, { method: 'POST', body: JSON.stringify({ status }) });
}

/** The status code GET /api/v1/incidents/{id} answers this user. */
export async function incidentStatusFor(api: Api, id: string): Promise<number> {
  const answer = await api.answer(`/api/v1/incidents/${encodeURIComponent(id)}`);
  await answer.body?.cancel();
  return answer.status;
}

/** One incident as a view shows it: its badges, level and status. */
export interface ShownIncident {
  id: string;
  text: string;
  tlp: string | null;
  cls: string | null;
  rel: string | null;
  /** data-level of its severity badge ('' when not scored), null without one. */
  level: string | null;
  levelText: string | null;
  status: string | null;
}

const SHOWN_INCIDENTS = `(() => [...document.querySelectorAll('main [data-incident-id]')].map((e) => {
  const text = (s) => { const b = e.querySelector(s); return b ? b.innerText.trim() : null; };
  const level = e.querySelector('.level');
  const status = e.querySelector('.incident-status');
  return {
    id: e.getAttribute('data-incident-id'),
    text: e.innerText,
    tlp: text('.badge.tlp'), cls: text('.badge.cls'), rel: text('.badge.rel'),
    level: level ? level.getAttribute('data-level') : null,
    levelText: level ? level.innerText.trim() : null,
    status: status ? status.getAttribute('data-status') : null,
  };
}))()`;

export async function shownIncidents(page: Page): Promise<ShownIncident[]> {
  return (await page.evaluate(SHOWN_INCIDENTS)) as ShownIncident[];
}

/** The TLP badge's text for an API tlp value ('amber' → 'TLP:AMBER'). */
export function tlpBadge(tlp: string | null): string {
  return tlp ? `TLP:${tlp.toUpperCase()}` : 'TLP: none';
}
