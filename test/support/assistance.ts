/**
 * What the assistance browser tests need beyond test/support/web.ts: users of more members and
 * roles (a second coordinator, incident handlers of other nations), created as an operator would
 * (the bootstrap administrator asks, a second node administrator approves); requests, teams and
 * offers made through the API with a user's own token (to set a scene); and what the assistance
 * views show of them.
 *
 * The selectors are the assistance views' contract: board cards `li[data-request-id][data-status]`
 * inside `section[data-group]`, the request page's root `article[data-request-id][data-status]`,
 * clocks `li.aid-clock[data-milestone][data-running][data-overdue][data-elapsed-ms]`, approvals
 * `[data-field=approvals][data-approvals][data-required]`, offers `li[data-offer-id][data-status]`
 * with `button[data-offer-move]`, deployments `li[data-deployment-id][data-status]` with
 * `button[data-transition]`, standby teams `tr[data-team-id]` (`[data-on-call]` in the search's
 * answer).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { NodeProcess } from './process.js';
import { Api, giveCredentials } from './web.js';

export type { AssistanceRequest, Offer, StandbyTeam, Deployment } from '../../src/modules/assistance/assistance.model.js';
import type { AssistanceRequest, Offer, StandbyTeam } from '../../src/modules/assistance/assistance.model.js';

export interface Catalogue {
  capabilities: Array<{ key: string; name: string; technical: boolean }>;
  approval_rules: Record<string, number>;
  coordinating_members: string[];
}

export interface AssistanceUser {
  name: string;
  password: string;
  api: Api;
  member: string | null;
}

/**
 * Creates a user with a password and a token: the bootstrap administrator creates it and asks
 * for both; what is beyond its reach, `approver` (a second node administrator) approves.
 */
export async function createUser(node: NodeProcess, approver: Api, spec: { name: string; member: string; clearance: number; roles: string[] }): Promise<AssistanceUser> {
  const admin = new Api(node.url, node.token);
  await admin.json('/api/v1/users', { method: 'POST', body: JSON.stringify(spec) }, 201);
  const { password, token } = await giveCredentials(admin, approver, spec.name, 'assistance web tests');
  const api = new Api(node.url, token);
  const me = await api.json<{ user: string; member: { code: string } | null }>('/api/v1/me');
  assert.equal(me.user, spec.name);
  return { name: spec.name, password, api, member: me.member?.code ?? null };
}

/** Allied nations of the node other than these, by code (from the members directory). */
export async function otherNations(api: Api, except: readonly string[]): Promise<string[]> {
  const { members } = await api.json<{ members: Array<{ code: string; kind: string }> }>('/api/v1/members');
  return members.filter((m) => m.kind === 'ally' && !except.includes(m.code)).map((m) => m.code).sort();
}

/** A word no other test uses, to tell this test's records apart. */
export function uniqueWord(): string {
  return `zq${randomBytes(5).toString('hex')}`;
}

/** A standby team registered with a user's token (201), these fields over a plain 24/7 default. */
export async function registerTeam(api: Api, fields: Record<string, unknown> & { name: string; capabilities: string[] }): Promise<StandbyTeam> {
  return api.json<StandbyTeam>(
    '/api/v1/assistance/teams',
    {
      method: 'POST',
      body: JSON.stringify({
        modes: ['remote', 'on-site'],
        size: 4,
        clearance: 'RESTRICTED',
        languages: ['en'],
        time_zone: 'UTC',
        always: true,
        response_hours: { remote: 1, 'on-site': 3 },
        contacts: [{ name: 'Duty officer', role: 'duty officer', phone: '+33 1 00 00 00 00', email: 'duty@example.org' }],
        tlp: 'amber',
        classification: 'UNCLASSIFIED',
        releasability: ['ALLIANCE'],
        ...fields,
      }),
    },
    201,
  );
}

/** A request for assistance made with a user's token (201). */
export async function requestAssistance(api: Api, fields: Record<string, unknown> & { incident_id: string; title: string }): Promise<AssistanceRequest> {
  return api.json<AssistanceRequest>('/api/v1/assistance/requests', { method: 'POST', body: JSON.stringify({ capabilities: ['malware-analysis'], urgency: 'high', mode: 'remote', tlp: 'amber', classification: 'UNCLASSIFIED', releasability: ['ALLIANCE'], ...fields }) }, 201);
}

export async function requestOf(api: Api, id: string): Promise<AssistanceRequest> {
  return api.json<AssistanceRequest>(`/api/v1/assistance/requests/${encodeURIComponent(id)}`);
}

/** Moves a request with a user's token (a coordinator's approval, say), at its current version. */
export async function moveRequest(api: Api, id: string, body: Record<string, unknown> & { status: string }): Promise<AssistanceRequest> {
  const { version } = await requestOf(api, id);
  return api.json<AssistanceRequest>(`/api/v1/assistance/requests/${encodeURIComponent(id)}/status`, { method: 'POST', body: JSON.stringify({ version, ...body }) });
}

export async function makeOffer(api: Api, requestId: string, fields: Record<string, unknown> = {}): Promise<Offer> {
  return api.json<Offer>(
    `/api/v1/assistance/requests/${encodeURIComponent(requestId)}/offers`,
    { method: 'POST', body: JSON.stringify({ capabilities: ['malware-analysis'], size: 2, clearance: 'RESTRICTED', mode: 'remote', available_from: new Date().toISOString(), ...fields }) },
    201,
  );
}

/** The status code GET /api/v1/assistance/requests/{id} answers this user. */
export async function requestStatusFor(api: Api, id: string): Promise<number> {
  const answer = await api.answer(`/api/v1/assistance/requests/${encodeURIComponent(id)}`);
  await answer.body?.cancel();
  return answer.status;
}

/** One request on the board as shown: its group, status and clocks. */
export interface ShownRequest {
  id: string;
  group: string | null;
  status: string | null;
  text: string;
  clocks: Array<{ milestone: string; running: boolean; overdue: boolean; elapsed: number }>;
  tlp: string | null;
}

const SHOWN_REQUESTS = `(() => [...document.querySelectorAll('main li[data-request-id]')].map((e) => ({
  id: e.getAttribute('data-request-id'),
  group: e.closest('[data-group]')?.getAttribute('data-group') ?? null,
  status: e.getAttribute('data-status'),
  text: e.innerText,
  tlp: e.querySelector('.badge.tlp')?.innerText.trim() ?? null,
  clocks: [...e.querySelectorAll('.aid-clock')].map((c) => ({
    milestone: c.getAttribute('data-milestone'),
    running: c.getAttribute('data-running') === 'true',
    overdue: c.getAttribute('data-overdue') === 'true',
    elapsed: Number(c.getAttribute('data-elapsed-ms')),
  })),
})))()`;

export async function shownRequests(page: Page): Promise<ShownRequest[]> {
  return (await page.evaluate(SHOWN_REQUESTS)) as ShownRequest[];
}

const PAGE_CLOCKS = `(() => [...document.querySelectorAll('main article[data-request-id] .aid-clock')].map((c) => ({
  milestone: c.getAttribute('data-milestone'),
  running: c.getAttribute('data-running') === 'true',
  overdue: c.getAttribute('data-overdue') === 'true',
  elapsed: Number(c.getAttribute('data-elapsed-ms')),
  text: c.innerText,
})))()`;

/** The response clocks a request's page shows. */
export async function pageClocks(page: Page): Promise<Array<{ milestone: string; running: boolean; overdue: boolean; elapsed: number; text: string }>> {
  return (await page.evaluate(PAGE_CLOCKS)) as Array<{ milestone: string; running: boolean; overdue: boolean; elapsed: number; text: string }>;
}
