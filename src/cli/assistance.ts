/**
 * shieldwall assistance: mutual assistance on a running node (--url/--token, as the token's user)
 * or on the configured store directly (--as a user: requests, offers and standby teams are always
 * made in a member's name). Requests for assistance and their approvals, offers, deployments and
 * situation reports, the response clocks, the standby rosters and "who can help now". Tables for
 * people by default; --json prints the node's answer as one JSON document. docs/ASSISTANCE-CLI.md.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TSchema } from '@sinclair/typebox';
import type { AppContext } from '../core/context.js';
import { isApiDateTime } from '../core/datetime.js';
import {
  CAPABILITY_KEYS, DEPLOYMENT_STATUSES, MILESTONE_NAMES, MODES, parseDuration, REQUEST_MODES, REQUEST_STATUSES, TEAM_STATUSES, URGENCIES, WEEKDAYS,
  type AssistanceRequest, type CoverageWindow, type Deployment, type DeploymentStatus, type Mode, type Offer, type RequestMode, type RequestStatus,
  type RequestSummary, type ResponseClock, type StandbyTeam, type TeamStatus, type Urgency, type Weekday,
} from '../modules/assistance/assistance.model.js';
import type {
  ClockAggregate, CycleClocks, CycleKind, DeploymentStatusInput, OfferInput, OfferStatusInput, RequestInput, RequestQuery, RequestStatusInput,
} from '../modules/assistance/assistance.service.js';
import type { ContactInput, StandbyAnswer, StandbyQuery, TeamInput, TeamQuery } from '../modules/assistance/roster.service.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS, type Tlp } from '../policy/markings.js';
import type { Principal } from '../policy/principal.js';
import { ownValue } from '../stix/lookup.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';
import { nodeJson, nodeTarget, type NodeTarget } from './node-client.js';

const CYCLE_KINDS: readonly CycleKind[] = ['month', 'quarter', 'year'];

interface TargetOptions {
  url?: string;
  token?: string;
  as?: string;
}

type ClocksAnswer = { cycle_kind: CycleKind; cycles: Array<CycleClocks & { truncated: boolean }> };
type RequestPage = { requests: RequestSummary[]; next_cursor: string | null };
type TeamPage = { teams: StandbyTeam[]; next_cursor: string | null };

/** What every sub-command needs, on the store directly or over HTTP. */
interface Backend {
  list(query: RequestQuery): Promise<RequestPage>;
  request(id: string): Promise<AssistanceRequest>;
  offer(id: string): Promise<Offer>;
  deployment(id: string): Promise<Deployment>;
  team(id: string): Promise<StandbyTeam>;
  requestAssistance(input: RequestInput): Promise<AssistanceRequest>;
  moveRequest(id: string, body: RequestStatusInput): Promise<AssistanceRequest>;
  makeOffer(requestId: string, input: OfferInput): Promise<Offer>;
  decideOffer(id: string, body: OfferStatusInput): Promise<Offer>;
  deployments(statuses: DeploymentStatus[] | undefined, limit: number | undefined): Promise<Deployment[]>;
  moveDeployment(id: string, body: DeploymentStatusInput): Promise<Deployment>;
  sitrep(id: string, text: string): Promise<Deployment>;
  clocks(cycle: CycleKind, cycles: number): Promise<ClocksAnswer>;
  teams(query: TeamQuery): Promise<TeamPage>;
  registerTeam(input: TeamInput): Promise<StandbyTeam>;
  standby(query: StandbyQuery): Promise<StandbyAnswer>;
}

/** Where a command writes: standard output for its answer, standard error for hints. */
export interface AssistanceOutput {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_OUTPUT: AssistanceOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

// --- on the store directly ----------------------------------------------------------------------

/** The HTTP status of a node error, as the exit status a remote call would give (node-client.ts). */
function exitOf(httpStatus: number): (typeof EXIT)[keyof typeof EXIT] {
  if (httpStatus === 403) return EXIT.forbidden;
  if (httpStatus === 404) return EXIT.notFound;
  return EXIT.failed;
}

async function local(ctx: AppContext, actor: Principal): Promise<Backend> {
  const service = await import('../modules/assistance/assistance.service.js');
  const roster = await import('../modules/assistance/roster.service.js');
  const schemas = await import('../modules/assistance/assistance.schema.js');
  const { ShieldwallError } = await import('../core/errors.js');
  const { checkBody } = await bodyChecker();
  const who = actor.userName ?? actor.name;

  /**
   * Each call holds to what the node's route asks: its permission (as the route's, refused as a
   * node would refuse it with 403) and, for writes, its body schema (the assistance service
   * trusts its routes for lengths and enumerations); the service's errors become the exit
   * statuses a node's answer would give.
   */
  async function call<T>(permission: string, what: string, fn: () => Promise<T>): Promise<T> {
    if (!ctx.permissions.has(actor, permission)) throw new CliError(EXIT.forbidden, `${what} needs the permission ${permission}, which the roles of ${who} do not give`);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ShieldwallError) throw new CliError(exitOf(error.status), `${error.code}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  const read = 'assistance:read';
  const write = 'assistance:write';
  return {
    list: (query) => call(read, 'reading requests for assistance', () => service.listRequests(ctx, actor, query)),
    request: (id) => call(read, 'reading a request for assistance', () => service.getRequest(ctx, actor, id)),
    offer: (id) => call(read, 'reading an offer', () => service.getOffer(ctx, actor, id)),
    deployment: (id) => call(read, 'reading a deployment', () => service.getDeployment(ctx, actor, id)),
    team: (id) => call(read, 'reading a standby team', () => roster.getTeam(ctx, actor, id)),
    requestAssistance: (input) =>
      call(write, 'requesting assistance', () => {
        checkBody(schemas.RequestBody, input, 'the request');
        return service.requestAssistance(ctx, actor, input);
      }),
    moveRequest: (id, body) =>
      call(read, 'deciding on a request', () => {
        checkBody(schemas.RequestStatusBody, body, 'the move');
        return service.moveRequest(ctx, actor, id, body);
      }),
    makeOffer: (requestId, input) =>
      call(write, 'offering assistance', () => {
        checkBody(schemas.OfferBody, input, 'the offer');
        return service.makeOffer(ctx, actor, requestId, input);
      }),
    decideOffer: (id, body) =>
      call(write, 'deciding on an offer', () => {
        checkBody(schemas.OfferStatusBody, body, 'the decision');
        return service.decideOffer(ctx, actor, id, body);
      }),
    deployments: (statuses, limit) => call(read, 'reading deployments', () => service.listDeployments(ctx, actor, statuses, limit)),
    moveDeployment: (id, body) =>
      call(write, 'moving a deployment', () => {
        checkBody(schemas.DeploymentStatusBody, body, 'the move');
        return service.moveDeployment(ctx, actor, id, body);
      }),
    sitrep: (id, text) =>
      call(write, 'reporting on a deployment', () => {
        checkBody(schemas.SitrepBody, { text }, 'the situation report');
        return service.addSitrep(ctx, actor, id, text);
      }),
    clocks: (cycle, cycles) => call(read, 'reading the response clocks', () => service.clocksPerCycle(ctx, actor, cycle, cycles)),
    teams: (query) => call(read, 'reading the standby roster', () => roster.listTeams(ctx, actor, query)),
    registerTeam: (input) =>
      // The roster service checks every field of a team itself, naming each one wrong.
      call('assistance:roster', 'registering a standby team', () => roster.registerTeam(ctx, actor, input)),
    standby: (query) => call(read, 'asking who can help', () => roster.standby(ctx, actor, query)),
  };
}

/**
 * Checks a body against the route's schema, as the node does before its service sees it (the
 * services trust their routes for lengths and enumerations), refused with the status a node's
 * 400 gives. 'date-time' is registered as the node's validator reads it: an RFC 3339 time.
 */
async function bodyChecker(): Promise<{ checkBody(schema: TSchema, value: unknown, what: string): void }> {
  const { FormatRegistry } = await import('@sinclair/typebox');
  const { Value } = await import('@sinclair/typebox/value');
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', isApiDateTime);
  }
  return {
    checkBody(schema, value, what) {
      const first = Value.Errors(schema, value).First();
      if (first) throw new CliError(EXIT.failed, `${what} is not valid: ${first.path === '' ? '' : `${first.path.slice(1).replace(/\//g, '.')}: `}${first.message}`);
    },
  };
}

// --- on a running node --------------------------------------------------------------------------

function remote(target: NodeTarget): Backend {
  const base = '/api/v1/assistance';
  const post = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const at = (kind: string, id: string) => `${base}/${kind}/${encodeURIComponent(id)}`;
  const query = (params: Record<string, string | number | boolean | undefined>) => {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, String(value));
    const text = q.toString();
    return text === '' ? '' : `?${text}`;
  };
  const joined = (values: readonly string[] | undefined) => (values && values.length > 0 ? values.join(',') : undefined);
  return {
    list: (q) =>
      nodeJson(target, `${base}/requests${query({ status: joined(q.status), urgency: joined(q.urgency), incident: q.incident, limit: q.limit, cursor: q.cursor })}`),
    request: (id) => nodeJson(target, at('requests', id)),
    offer: (id) => nodeJson(target, at('offers', id)),
    deployment: (id) => nodeJson(target, at('deployments', id)),
    team: (id) => nodeJson(target, at('teams', id)),
    requestAssistance: (input) => nodeJson(target, `${base}/requests`, post(input)),
    moveRequest: (id, body) => nodeJson(target, `${at('requests', id)}/status`, post(body)),
    makeOffer: (requestId, input) => nodeJson(target, `${at('requests', requestId)}/offers`, post(input)),
    decideOffer: (id, body) => nodeJson(target, `${at('offers', id)}/status`, post(body)),
    deployments: async (statuses, limit) => (await nodeJson<{ deployments: Deployment[] }>(target, `${base}/deployments${query({ status: joined(statuses), limit })}`)).deployments,
    moveDeployment: (id, body) => nodeJson(target, `${at('deployments', id)}/status`, post(body)),
    sitrep: (id, text) => nodeJson(target, `${at('deployments', id)}/sitreps`, post({ text })),
    clocks: (cycle, cycles) => nodeJson(target, `${base}/clocks${query({ cycle, cycles })}`),
    teams: (q) =>
      nodeJson(target, `${base}/teams${query({ member: joined(q.member), capability: q.capability, mode: q.mode, status: q.status, limit: q.limit, cursor: q.cursor })}`),
    registerTeam: (input) => nodeJson(target, `${base}/teams`, post(input)),
    standby: (q) =>
      nodeJson(
        target,
        `${base}/standby${query({
          capability: joined(q.capabilities), mode: q.mode, within_hours: q.within_hours, at: q.at?.toISOString(), include_off_call: q.include_off_call || undefined, limit: q.limit,
        })}`,
      ),
  };
}

/** Runs fn against a running node (--url), or the store directly as the user named by --as. */
async function withBackend<T>(options: TargetOptions, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const target = nodeTarget(options, 'assistance');
  if (target) return fn(remote(target));
  if (options.as === undefined) {
    throw new CliError(EXIT.usage, 'give --url and --token of a running node, or --as USER to work on the store directly as that user (assistance is requested, offered and rostered by users of members)');
  }
  const as = options.as;
  return withLocalStore(async (ctx) => {
    const { principalOfUser } = await import('../modules/directory/directory.service.js');
    const principal = await principalOfUser(ctx, as);
    if (!principal) throw new CliError(EXIT.usage, `--as '${as}': no such user, or disabled (see "shieldwall users list")`);
    return fn(await local(ctx, principal));
  });
}

// --- reading options ----------------------------------------------------------------------------

/** Values given as several words or comma-separated ('a,b' 'c'), each trimmed, none empty. */
function words(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return [];
  return (typeof values === 'string' ? [values] : values).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 60)}' is not one of ${allowed.join(', ')}`);
  return value as T;
}

function listOf<T extends string>(values: readonly string[] | string | undefined, allowed: readonly T[], option: string): T[] | undefined {
  const items = words(values).map((value) => oneOf(value, allowed, option));
  return items.length > 0 ? [...new Set(items)] : undefined;
}

function integer(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 20)}' is not a whole number from ${min} to ${max}`);
  return Number(value);
}

function hours(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 720) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 20)}' is not a number of hours from 0 to 720`);
  return number;
}

function classification(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  const name = DEFAULT_CLASSIFICATIONS.find((level) => level === value.trim().toUpperCase());
  if (name === undefined) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 40)}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`);
  return name;
}

/**
 * A time: RFC 3339 (2026-11-30T08:15:00Z), 'now', or '+DURATION' from `from` (+4h, +2d, +1h30m;
 * from now when there is no `from`).
 */
export function timeOf(value: string, option: string, from?: Date, now: Date = new Date()): Date {
  const text = value.trim();
  if (text === 'now') return now;
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    if (ms === undefined) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 40)}': after '+' give a duration such as 4h, 2d or 1h30m`);
    return new Date((from ?? now).getTime() + ms);
  }
  const at = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 40)}' is not a time: give 2026-11-30T08:15:00Z, 'now' or +4h`);
  return at;
}

/** A coverage window as 'mon-fri 08:00-18:00', 'sat,sun 00:00-24:00' or 'fri 22:00-06:00'. */
export function parseWindow(spec: string): CoverageWindow {
  const match = /^\s*([a-z,-]+)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$/i.exec(spec);
  if (!match) throw new CliError(EXIT.usage, `--window '${spec.slice(0, 60)}' is not DAYS FROM-TO, e.g. 'mon-fri 08:00-18:00' or 'sat,sun 00:00-24:00'`);
  const days: Weekday[] = [];
  for (const part of match[1]!.toLowerCase().split(',').filter((p) => p !== '')) {
    const [first, last] = part.split('-') as [string, string | undefined];
    const start = WEEKDAYS.indexOf(first as Weekday);
    const end = last === undefined ? start : WEEKDAYS.indexOf(last as Weekday);
    if (start < 0 || end < 0) throw new CliError(EXIT.usage, `--window '${spec.slice(0, 60)}': '${part}' is not a day or a range of days of ${WEEKDAYS.join(', ')}`);
    // A range may run past Sunday: fri-mon is fri, sat, sun, mon.
    for (let i = start; ; i = (i + 1) % 7) {
      const day = WEEKDAYS[i]!;
      if (!days.includes(day)) days.push(day);
      if (i === end) break;
    }
  }
  return { days, from: match[2]!, to: match[3]! };
}

/** An on-call contact as 'name=Duty officer,role=duty officer,phone=+00 000 0000,email=duty@example.org'. */
export function parseContact(spec: string): ContactInput {
  const contact: { name?: string; role?: string; phone?: string; email?: string } = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = part.indexOf('=');
    const key = at > 0 ? part.slice(0, at).trim() : '';
    if (key !== 'name' && key !== 'role' && key !== 'phone' && key !== 'email') {
      throw new CliError(EXIT.usage, `--contact '${spec.slice(0, 80)}': '${part.slice(0, 40)}' is not name=, role=, phone= or email= (e.g. 'name=Duty officer,phone=+00 000 0000')`);
    }
    contact[key] = part.slice(at + 1).trim();
  }
  if (!contact.name) throw new CliError(EXIT.usage, `--contact '${spec.slice(0, 80)}' has no name=`);
  return { name: contact.name, role: contact.role ?? null, phone: contact.phone ?? null, email: contact.email ?? null };
}

function readJsonFile(file: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new CliError(EXIT.input, `cannot read ${what} from ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(EXIT.input, `${file} holds no JSON object: ${what} is one object with the fields of the API`);
  return parsed as Record<string, unknown>;
}

/** The kind of record an id names, by its prefix. */
function kindOf(id: string): 'request' | 'offer' | 'deployment' | 'team' {
  if (id.startsWith('assistance-request--')) return 'request';
  if (id.startsWith('assistance-offer--')) return 'offer';
  if (id.startsWith('assistance-deployment--')) return 'deployment';
  if (id.startsWith('team--')) return 'team';
  throw new CliError(EXIT.usage, `'${id.slice(0, 80)}' is not the id of a request (assistance-request--…), an offer (assistance-offer--…), a deployment (assistance-deployment--…) or a standby team (team--…)`);
}

function expect(id: string, kind: ReturnType<typeof kindOf>, command: string): string {
  if (kindOf(id) !== kind) throw new CliError(EXIT.usage, `${command} takes the id of ${kind === 'offer' ? 'an' : 'a'} ${kind}, not of ${kindOf(id) === 'offer' ? 'an' : 'a'} ${kindOf(id)}`);
  return id;
}

// --- presenting ---------------------------------------------------------------------------------

/** 45s, 12m, 3h05m, 2d04h. */
export function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)}s`;
  if (minutes < 60) return `${minutes}m`;
  const hoursPart = Math.floor(minutes / 60);
  if (hoursPart < 24) return minutes % 60 === 0 ? `${hoursPart}h` : `${hoursPart}h${String(minutes % 60).padStart(2, '0')}m`;
  const days = Math.floor(hoursPart / 24);
  return hoursPart % 24 === 0 ? `${days}d` : `${days}d${String(hoursPart % 24).padStart(2, '0')}h`;
}

const when = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`);
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A clock as elapsed/target, OVERDUE past its target, and whether it was reached, still runs or stopped. */
export function clockText(clock: ResponseClock): string {
  const state = clock.reached_at !== null ? `reached ${when(clock.reached_at)}` : clock.running ? 'running' : 'stopped';
  return `${duration(clock.elapsed_ms)}/${duration(clock.target_ms)}${clock.overdue ? ' OVERDUE' : ''} (${state})`;
}

/** A milestone's name; the node's own word for one this command does not know. */
export const milestoneName = (milestone: string): string => ownValue<string>(MILESTONE_NAMES, milestone) ?? milestone;

/** The clock a board shows: an overdue one still running, else the one running, else the last reached. */
function boardClock(clocks: readonly ResponseClock[]): string {
  const shown = clocks.find((c) => c.running && c.overdue) ?? clocks.find((c) => c.running) ?? [...clocks].reverse().find((c) => c.reached_at !== null);
  if (!shown) return '-';
  return `${milestoneName(shown.milestone).replace(/^time to /, '').replace(/ \(.*\)$/, '')} ${duration(shown.elapsed_ms)}/${duration(shown.target_ms)}${shown.overdue ? ' OVERDUE' : ''}`;
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

function fields(entries: ReadonlyArray<readonly [string, string | null | undefined]>): string {
  const shown = entries.filter((entry): entry is readonly [string, string] => entry[1] !== null && entry[1] !== undefined && entry[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  return shown.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`).join('\n') + '\n';
}

const handlingText = (h: { tlp: string | null; classification: string; releasability: string[] }) =>
  `${h.tlp === null ? 'no TLP' : `TLP:${h.tlp.toUpperCase()}`}, ${h.classification}, releasable to ${h.releasability.length === 0 ? 'nobody else' : h.releasability.join(', ')}`;

function renderBoard(page: RequestPage): string {
  if (page.requests.length === 0) return 'no request for assistance you may read matches\n';
  return table(
    ['ID', 'STATUS', 'URGENCY', 'MODE', 'MEMBER', 'OFFERS', 'DEPLOYED', 'CLOCK', 'TITLE'],
    page.requests.map((r) => [r.id, r.status, r.urgency, r.mode, r.member ?? '-', String(r.offers), String(r.deployments), boardClock(r.clocks), cut(r.title, 60)]),
  );
}

function renderClocks(clocks: readonly ResponseClock[]): string {
  return table(
    ['  MILESTONE', 'ELAPSED/TARGET'],
    clocks.map((clock) => [`  ${milestoneName(clock.milestone)}`, clockText(clock)]),
  );
}

function offerRows(offers: readonly Offer[]): string {
  return table(
    ['  ID', 'MEMBER', 'TEAM', 'CAPABILITIES', 'MODE', 'SIZE', 'CLEARANCE', 'FROM', 'STATUS'],
    offers.map((o) => [`  ${o.id}`, o.member ?? '-', cut(o.team_name ?? '-', 40), o.capabilities.join(','), o.mode, String(o.size), o.clearance, when(o.available_from), o.status]),
  );
}

function deploymentRows(deployments: readonly Deployment[], indent = '  '): string {
  return table(
    [`${indent}ID`, 'STATUS', 'ASSISTING', 'HELPING', 'TEAM', 'MODE', 'SITREPS', 'CHANGED'],
    deployments.map((d) => [`${indent}${d.id}`, d.status, d.assisting_member ?? '-', d.requesting_member ?? '-', cut(d.team_name ?? '-', 40), d.mode, String(d.sitreps.length), when(d.modified)]),
  );
}

function renderRequest(r: AssistanceRequest): string {
  const constraints = [
    r.constraints.clearance ? `team cleared to ${r.constraints.clearance}` : '',
    r.constraints.languages.length > 0 ? `languages ${r.constraints.languages.join(', ')}` : '',
    r.constraints.duration_days !== null ? `${r.constraints.duration_days} days` : '',
    r.constraints.other ?? '',
  ].filter((c) => c !== '');
  const approvals = r.approvals.map((a) => `${a.by}${a.member ? ` (${a.member})` : ''} ${when(a.at)}${a.conditions ? `, conditions: ${a.conditions}` : ''}`);
  let text = `Request for assistance ${r.id} (version ${r.version})\n`;
  text += fields([
    ['Title', r.title],
    ['Incident', `${r.incident_id}${r.incident_title ? ` (${r.incident_title})` : ''}`],
    ['Member', `${r.member ?? '-'}${r.owner ? `, requested by ${r.owner}` : ''}`],
    ['Status', `${r.status}${r.allowed_transitions.length > 0 ? ` (next: ${r.allowed_transitions.join(', ')})` : ''}`],
    ['Urgency', r.urgency],
    ['Mode', r.mode],
    ['Capabilities', r.capabilities.join(', ')],
    ['Constraints', constraints.join('; ')],
    ['Description', r.description],
    ['Approvals', `${r.approvals.length} of ${r.approvals_required}${approvals.length > 0 ? `: ${approvals.join('; ')}` : ''}`],
    ['Rejected', r.rejection ? `by ${r.rejection.by} ${when(r.rejection.at)}: ${r.rejection.reason}` : null],
    ['Reached', r.released_to === null ? null : r.released_to.length === 0 ? 'no member yet' : r.released_to.join(', ')],
    ['Handling', handlingText(r.handling)],
    ['Submitted', when(r.created)],
    ['You may', r.actions.length > 0 ? r.actions.join(', ') : 'read it'],
  ]);
  text += `Clocks\n${renderClocks(r.clocks)}`;
  text += `Offers (${r.offers.length})\n${r.offers.length > 0 ? offerRows(r.offers) : ''}`;
  text += `Deployments (${r.deployments.length})\n${r.deployments.length > 0 ? deploymentRows(r.deployments) : ''}`;
  const history = r.history.slice(-10);
  text += `History${r.history.length > history.length ? ` (last ${history.length} of ${r.history.length})` : ''}\n`;
  text += history.map((h) => `  ${when(h.at)}  ${h.by}${h.member ? ` (${h.member})` : ''}  ${h.action}${h.text ? `: ${cut(h.text, 200)}` : ''}`).join('\n') + '\n';
  return text;
}

function renderOffer(o: Offer): string {
  return `Offer ${o.id} (version ${o.version})\n${fields([
    ['Request', o.request_id],
    ['Member', `${o.member ?? '-'}${o.owner ? `, offered by ${o.owner}` : ''}`],
    ['Team', o.team_name ? `${o.team_name}${o.team_id ? ` (${o.team_id})` : ''}` : null],
    ['Capabilities', o.capabilities.join(', ')],
    ['Mode', o.mode],
    ['Size', `${o.size} people cleared to ${o.clearance}`],
    ['Available', `${when(o.available_from)} to ${o.available_until === null ? 'open-ended' : when(o.available_until)}`],
    ['Conditions', o.conditions],
    ['Status', `${o.status}${o.allowed_transitions.length > 0 ? ` (next: ${o.allowed_transitions.join(', ')})` : ''}`],
    ['Reason', o.reason],
    ['Deployment', o.deployment_id],
    ['You may', [o.may_decide ? 'accept, decline' : '', o.may_withdraw ? 'withdraw' : ''].filter((a) => a !== '').join(', ') || 'read it'],
  ])}`;
}

function renderDeployment(d: Deployment): string {
  let text = `Deployment ${d.id} (version ${d.version})\n${fields([
    ['Request', d.request_id],
    ['Incident', d.incident_id],
    ['Team', `${d.team_name ?? 'a team'} of ${d.assisting_member ?? '-'}, helping ${d.requesting_member ?? '-'}`],
    ['Capabilities', d.capabilities.join(', ')],
    ['Mode', d.mode],
    ['Status', `${d.status}${d.allowed_transitions.length > 0 ? ` (next: ${d.allowed_transitions.join(', ')})` : ''}`],
    ['Mobilised', when(d.created)],
    ['Active', d.activated_at === null ? null : when(d.activated_at)],
    ['Demobilised', d.demobilised_at === null ? null : when(d.demobilised_at)],
    ['Closed', d.closed_at === null ? null : when(d.closed_at)],
    ['Lessons', d.lessons_learned],
    ['You may', d.may_edit ? 'move it, report on it' : 'read it'],
  ])}`;
  text += `Situation reports (${d.sitreps.length})\n`;
  text += d.sitreps.map((s) => `  ${when(s.at)}  ${s.author}${s.member ? ` (${s.member})` : ''}: ${s.text}`).join('\n') + (d.sitreps.length > 0 ? '\n' : '');
  return text;
}

/** Days as runs of the week: mon-fri, sat,sun, mon,wed-fri. */
export function daysText(days: readonly Weekday[]): string {
  const indexes = [...new Set(days.map((day) => WEEKDAYS.indexOf(day)))].filter((i) => i >= 0).sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j]! + 1) j++;
    runs.push(j - i >= 2 ? `${WEEKDAYS[indexes[i]!]}-${WEEKDAYS[indexes[j]!]}` : indexes.slice(i, j + 1).map((k) => WEEKDAYS[k]).join(','));
    i = j + 1;
  }
  return runs.join(',');
}

function coverageText(team: Pick<StandbyTeam, 'always' | 'coverage' | 'time_zone'>): string {
  if (team.always) return '24/7';
  return `${team.coverage.map((w) => `${daysText(w.days)} ${w.from}-${w.to}`).join('; ')} (${team.time_zone})`;
}

const responseText = (h: StandbyTeam['response_hours']) =>
  [h.remote !== null ? `remote ${h.remote}h` : '', h['on-site'] !== null ? `on-site ${h['on-site']}h` : ''].filter((t) => t !== '').join(', ');

function renderTeam(t: StandbyTeam): string {
  let text = `Standby team ${t.id} (version ${t.version})\n${fields([
    ['Name', t.name],
    ['Member', t.member ?? '-'],
    ['Status', t.status],
    ['Capabilities', t.capabilities.join(', ')],
    ['Modes', t.modes.join(', ')],
    ['Size', `${t.size} people cleared to ${t.clearance}`],
    ['Languages', t.languages.join(', ')],
    ['On call', coverageText(t)],
    ['Time zone', t.time_zone],
    ['Response', responseText(t.response_hours)],
    ['Handling', handlingText(t.handling)],
  ])}`;
  text += `On-call contacts (${t.contacts.length})\n`;
  text += t.contacts.map((c) => `  ${c.name}${c.role ? ` (${c.role})` : ''}${c.phone ? `  ${c.phone}` : ''}${c.email ? `  ${c.email}` : ''}`).join('\n') + (t.contacts.length > 0 ? '\n' : '');
  return text;
}

function renderTeams(page: TeamPage): string {
  if (page.teams.length === 0) return 'no standby team you may read matches\n';
  return table(
    ['ID', 'MEMBER', 'NAME', 'CAPABILITIES', 'RESPONSE', 'ON CALL', 'SIZE', 'STATUS'],
    page.teams.map((t) => [t.id, t.member ?? '-', cut(t.name, 40), cut(t.capabilities.join(','), 50), responseText(t.response_hours), cut(coverageText(t), 50), String(t.size), t.status]),
  );
}

function renderStandby(answer: StandbyAnswer): string {
  const asked = [
    answer.capabilities.length > 0 ? answer.capabilities.join(' + ') : 'any capability',
    answer.mode ?? 'remote or on-site',
    answer.within_hours !== null ? `at work within ${answer.within_hours}h` : '',
    `at ${when(answer.at)}`,
  ].filter((a) => a !== '');
  let text = `Who can help: ${asked.join(', ')}\n`;
  if (answer.teams.length === 0) {
    return `${text}no standing-by team you may read matches${answer.include_off_call ? '' : ' (--include-off-call adds teams off call then)'}\n`;
  }
  text += table(
    ['TEAM', 'MEMBER', 'MODE', 'READY IN', 'ON CALL', 'CONTACT', 'ID'],
    answer.teams.map((m) => {
      const contact = m.team.contacts[0];
      return [
        cut(m.team.name, 40),
        m.team.member ?? '-',
        m.mode,
        m.ready_in_hours === null ? '-' : `${Math.round(m.ready_in_hours * 10) / 10}h`,
        m.on_call ? 'yes' : m.next_on_call ? `from ${when(m.next_on_call)}` : 'no',
        contact ? cut(`${contact.name} ${contact.phone ?? contact.email ?? ''}`.trim(), 40) : '-',
        m.team.id,
      ];
    }),
  );
  if (answer.truncated) text += 'more teams match: ask with a narrower capability, mode or --within\n';
  return text;
}

const aggregateText = (a: ClockAggregate) =>
  a.count === 0 ? '-' : `${a.reached}/${a.count} reached, median ${a.median_ms === null ? '-' : duration(a.median_ms)}, p90 ${a.p90_ms === null ? '-' : duration(a.p90_ms)}, over target ${a.over_target}`;

function renderCycles(answer: ClocksAnswer): string {
  return table(
    ['CYCLE', 'REQUESTS', 'APPROVAL', 'FIRST OFFER', 'DEPLOYMENT'],
    answer.cycles.map((c) => [`${c.cycle}${c.truncated ? ' (cut)' : ''}`, String(c.requests), aggregateText(c.approval), aggregateText(c.first_offer), aggregateText(c.deployment)]),
  );
}

// --- the commands -------------------------------------------------------------------------------

const targetOptions = (command: Command): Command =>
  command
    .option('--as <user>', 'on the store directly: act as this user')
    .option('--url <url>', 'work on a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)')
    .option('--json', 'print the answer as JSON instead of a table');

type Json = { json?: boolean };

export function registerAssistance(program: Command, io: AssistanceOutput = PROCESS_OUTPUT): void {
  const show = <T>(options: Json, value: T, render: (value: T) => string) => io.out(options.json ? `${JSON.stringify(value)}\n` : render(value));
  const assistance = program.command('assistance').description('mutual assistance on a node: requests, approvals, offers, deployments, standby rosters, clocks');

  targetOptions(
    assistance
      .command('list')
      .description('the assistance board: requests you may read, newest change first, with their clocks')
      .option('--status <list>', `comma-separated statuses (${REQUEST_STATUSES.join(', ')})`)
      .option('--urgency <list>', `comma-separated urgencies (${URGENCIES.join(', ')})`)
      .option('--incident <id>', "one incident's requests")
      .option('--limit <n>', 'at most this many (1 to 200)')
      .option('--cursor <cursor>', 'the next page, as a previous page said'),
  ).action(async (options: TargetOptions & Json & { status?: string; urgency?: string; incident?: string; limit?: string; cursor?: string }) => {
    const status = listOf<RequestStatus>(options.status, REQUEST_STATUSES, '--status');
    const urgency = listOf<Urgency>(options.urgency, URGENCIES, '--urgency');
    const limit = integer(options.limit, '--limit', 1, 200);
    const query: RequestQuery = {
      ...(status ? { status } : {}),
      ...(urgency ? { urgency } : {}),
      ...(options.incident !== undefined ? { incident: options.incident } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    };
    const page = await withBackend(options, (b) => b.list(query));
    show(options, page, renderBoard);
    if (page.next_cursor && !options.json) io.err(`more: --cursor ${page.next_cursor}\n`);
  });

  targetOptions(assistance.command('show <id>').description('a request (with its clocks, offers and deployments), an offer, a deployment or a standby team, by its id')).action(
    async (id: string, options: TargetOptions & Json) => {
      const kind = kindOf(id);
      if (kind === 'request') show(options, await withBackend(options, (b) => b.request(id)), renderRequest);
      else if (kind === 'offer') show(options, await withBackend(options, (b) => b.offer(id)), renderOffer);
      else if (kind === 'deployment') show(options, await withBackend(options, (b) => b.deployment(id)), renderDeployment);
      else show(options, await withBackend(options, (b) => b.team(id)), renderTeam);
    },
  );

  targetOptions(
    assistance
      .command('request')
      .description("request assistance for one of your member's incidents")
      .requiredOption('--incident <id>', 'the incident (incident--…)')
      .requiredOption('--title <text>', 'what help is asked for, in a line')
      .requiredOption('--capability <keys...>', `capabilities of the catalogue (${CAPABILITY_KEYS.join(', ')})`)
      .requiredOption('--urgency <urgency>', URGENCIES.join(', '))
      .requiredOption('--mode <mode>', REQUEST_MODES.join(', '))
      .option('--description <text>', 'the situation and the help needed')
      .option('--clearance <name>', "the lowest clearance each team member must hold (a classification)")
      .option('--language <codes...>', 'languages the team must work in (ISO 639-1: en, fr, …)')
      .option('--duration-days <n>', 'how many days help is needed (1 to 365)')
      .option('--other <text>', 'other constraints')
      .option('--tlp <tlp>', `${TLP_LEVELS.join(', ')} (default amber)`)
      .option('--classification <name>', `${DEFAULT_CLASSIFICATIONS.join(', ')} (default UNCLASSIFIED)`)
      .option('--releasability <list>', "comma-separated members and groups (default the node's)"),
  ).action(
    async (
      options: TargetOptions & Json & {
        incident: string; title: string; capability: string[]; urgency: string; mode: string; description?: string; clearance?: string; language?: string[];
        durationDays?: string; other?: string; tlp?: string; classification?: string; releasability?: string;
      },
    ) => {
      const capabilities = listOf(options.capability, CAPABILITY_KEYS, '--capability') ?? [];
      const clearance = classification(options.clearance, '--clearance');
      const languages = words(options.language).map((l) => l.toLowerCase());
      const days = integer(options.durationDays, '--duration-days', 1, 365);
      const constraints = {
        ...(clearance !== undefined ? { clearance } : {}),
        ...(languages.length > 0 ? { languages } : {}),
        ...(days !== undefined ? { duration_days: days } : {}),
        ...(options.other !== undefined ? { other: options.other } : {}),
      };
      const marking = classification(options.classification, '--classification');
      const releasability = words(options.releasability);
      const input: RequestInput = {
        incident_id: options.incident,
        title: options.title,
        capabilities,
        urgency: oneOf<Urgency>(options.urgency, URGENCIES, '--urgency'),
        mode: oneOf<RequestMode>(options.mode, REQUEST_MODES, '--mode'),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
        ...(options.tlp !== undefined ? { tlp: oneOf<Tlp>(options.tlp, TLP_LEVELS, '--tlp') } : {}),
        ...(marking !== undefined ? { classification: marking } : {}),
        ...(releasability.length > 0 ? { releasability } : {}),
      };
      show(options, await withBackend(options, (b) => b.requestAssistance(input)), renderRequest);
    },
  );

  targetOptions(assistance.command('approve <request>').description('approve a request as a coordinator (it is approved once enough coordinators did)').option('--conditions <text>', 'conditions of your approval')).action(
    async (id: string, options: TargetOptions & Json & { conditions?: string }) => {
      const body: RequestStatusInput = { status: 'approved', ...(options.conditions !== undefined ? { conditions: options.conditions } : {}) };
      show(options, await withBackend(options, (b) => b.moveRequest(expect(id, 'request', 'approve'), body)), renderRequest);
    },
  );

  targetOptions(assistance.command('reject <request>').description('reject a request as a coordinator, with the reason').requiredOption('--reason <text>', 'why')).action(
    async (id: string, options: TargetOptions & Json & { reason: string }) => {
      show(options, await withBackend(options, (b) => b.moveRequest(expect(id, 'request', 'reject'), { status: 'rejected', reason: options.reason })), renderRequest);
    },
  );

  targetOptions(assistance.command('withdraw <id>').description('withdraw your request before anyone assists, or your offer before it is decided on').option('--reason <text>', 'why')).action(
    async (id: string, options: TargetOptions & Json & { reason?: string }) => {
      const reason = options.reason !== undefined ? { reason: options.reason } : {};
      const kind = kindOf(id);
      if (kind === 'offer') show(options, await withBackend(options, (b) => b.decideOffer(id, { status: 'withdrawn', ...reason })), renderOffer);
      else show(options, await withBackend(options, (b) => b.moveRequest(expect(id, 'request', 'withdraw'), { status: 'withdrawn', ...reason })), renderRequest);
    },
  );

  targetOptions(assistance.command('close <request>').description('close your request once help has ended (its deployments demobilised)').option('--reason <text>', 'a closing note')).action(
    async (id: string, options: TargetOptions & Json & { reason?: string }) => {
      const body: RequestStatusInput = { status: 'closed', ...(options.reason !== undefined ? { reason: options.reason } : {}) };
      show(options, await withBackend(options, (b) => b.moveRequest(expect(id, 'request', 'close'), body)), renderRequest);
    },
  );

  targetOptions(
    assistance
      .command('offer <request>')
      .description("offer your member's assets to an approved request")
      .requiredOption('--capability <keys...>', 'the capabilities offered, among those the request asks for')
      .requiredOption('--size <n>', 'people in the team (1 to 500)')
      .requiredOption('--clearance <name>', `the clearance the team's members hold (${DEFAULT_CLASSIFICATIONS.join(', ')})`)
      .requiredOption('--mode <mode>', MODES.join(', '))
      .option('--from <time>', "available from: RFC 3339, 'now' or +DURATION (+4h)", 'now')
      .option('--until <time>', 'available until: RFC 3339, or +DURATION from --from (+14d)')
      .option('--team <id>', 'the standby team offered (team--…)')
      .option('--conditions <text>', 'conditions of the offer'),
  ).action(
    async (id: string, options: TargetOptions & Json & { capability: string[]; size: string; clearance: string; mode: string; from: string; until?: string; team?: string; conditions?: string }) => {
      const from = timeOf(options.from, '--from');
      const input: OfferInput = {
        capabilities: listOf(options.capability, CAPABILITY_KEYS, '--capability') ?? [],
        size: integer(options.size, '--size', 1, 500)!,
        clearance: classification(options.clearance, '--clearance')!,
        mode: oneOf<Mode>(options.mode, MODES, '--mode'),
        available_from: from.toISOString(),
        ...(options.until !== undefined ? { available_until: timeOf(options.until, '--until', from).toISOString() } : {}),
        ...(options.team !== undefined ? { team_id: expect(options.team, 'team', '--team') } : {}),
        ...(options.conditions !== undefined ? { conditions: options.conditions } : {}),
      };
      show(options, await withBackend(options, (b) => b.makeOffer(expect(id, 'request', 'offer'), input)), renderOffer);
    },
  );

  targetOptions(assistance.command('accept <offer>').description('accept an offer to your request: its team is mobilised (a deployment)')).action(async (id: string, options: TargetOptions & Json) => {
    show(options, await withBackend(options, (b) => b.decideOffer(expect(id, 'offer', 'accept'), { status: 'accepted' })), renderOffer);
  });

  targetOptions(assistance.command('decline <offer>').description('decline an offer to your request').option('--reason <text>', 'why')).action(
    async (id: string, options: TargetOptions & Json & { reason?: string }) => {
      const body: OfferStatusInput = { status: 'declined', ...(options.reason !== undefined ? { reason: options.reason } : {}) };
      show(options, await withBackend(options, (b) => b.decideOffer(expect(id, 'offer', 'decline'), body)), renderOffer);
    },
  );

  targetOptions(
    assistance
      .command('deployments')
      .description('deployments you may read, newest change first')
      .option('--status <list>', `comma-separated statuses (${DEPLOYMENT_STATUSES.join(', ')})`)
      .option('--limit <n>', 'at most this many (1 to 200)'),
  ).action(async (options: TargetOptions & Json & { status?: string; limit?: string }) => {
    const statuses = listOf<DeploymentStatus>(options.status, DEPLOYMENT_STATUSES, '--status');
    const limit = integer(options.limit, '--limit', 1, 200);
    const deployments = await withBackend(options, (b) => b.deployments(statuses, limit));
    show(options, options.json ? { deployments } : deployments, () => (deployments.length === 0 ? 'no deployment you may read matches\n' : deploymentRows(deployments, '')));
  });

  targetOptions(
    assistance
      .command('deploy <deployment>')
      .description('move a deployment: mobilising > active > demobilised > closed (with its lessons learned)')
      .requiredOption('--status <status>', 'active, demobilised or closed')
      .option('--lessons <text>', 'the lessons learned (closing needs them)')
      .option('--share-with-incident', "at closure: copy the lessons learned into the incident's timeline (the requesting member decides)"),
  ).action(async (id: string, options: TargetOptions & Json & { status: string; lessons?: string; shareWithIncident?: boolean }) => {
    const status = oneOf<DeploymentStatus>(options.status, DEPLOYMENT_STATUSES.filter((s) => s !== 'mobilising'), '--status');
    if (status === 'closed' && (options.lessons === undefined || options.lessons.trim() === '')) {
      throw new CliError(EXIT.usage, 'a deployment is closed with its lessons learned: give --lessons "…"');
    }
    if (options.shareWithIncident && status !== 'closed') throw new CliError(EXIT.usage, '--share-with-incident goes with --status closed: the lessons learned are shared at closure');
    const body: DeploymentStatusInput = {
      status,
      ...(options.lessons !== undefined ? { lessons_learned: options.lessons } : {}),
      ...(options.shareWithIncident ? { share_with_incident: true } : {}),
    };
    show(options, await withBackend(options, (b) => b.moveDeployment(expect(id, 'deployment', 'deploy'), body)), renderDeployment);
  });

  targetOptions(assistance.command('sitrep <deployment>').description('add a situation report to a deployment under way').requiredOption('--text <text>', 'the report')).action(
    async (id: string, options: TargetOptions & Json & { text: string }) => {
      if (options.text.trim() === '') throw new CliError(EXIT.usage, 'a situation report has text: --text "…"');
      show(options, await withBackend(options, (b) => b.sitrep(expect(id, 'deployment', 'sitrep'), options.text)), renderDeployment);
    },
  );

  targetOptions(
    assistance
      .command('clocks')
      .description('the response clocks per cycle (median, p90, over target) over the requests you may read')
      .option('--cycle <cycle>', CYCLE_KINDS.join(', '), 'quarter')
      .option('--cycles <n>', 'how many cycles back from the current one (1 to 12)', '4'),
  ).action(async (options: TargetOptions & Json & { cycle: string; cycles: string }) => {
    const cycle = oneOf<CycleKind>(options.cycle, CYCLE_KINDS, '--cycle');
    const cycles = integer(options.cycles, '--cycles', 1, 12)!;
    show(options, await withBackend(options, (b) => b.clocks(cycle, cycles)), renderCycles);
  });

  targetOptions(
    assistance
      .command('teams')
      .description('the standby roster: the teams you may know of')
      .option('--member <list>', 'comma-separated member codes')
      .option('--capability <key>', 'teams with this capability')
      .option('--mode <mode>', MODES.join(', '))
      .option('--status <status>', TEAM_STATUSES.join(', '))
      .option('--limit <n>', 'at most this many (1 to 200)')
      .option('--cursor <cursor>', 'the next page, as a previous page said'),
  ).action(async (options: TargetOptions & Json & { member?: string; capability?: string; mode?: string; status?: string; limit?: string; cursor?: string }) => {
    const members = words(options.member);
    const limit = integer(options.limit, '--limit', 1, 200);
    const query: TeamQuery = {
      ...(members.length > 0 ? { member: members } : {}),
      ...(options.capability !== undefined ? { capability: oneOf(options.capability, CAPABILITY_KEYS, '--capability') } : {}),
      ...(options.mode !== undefined ? { mode: oneOf<Mode>(options.mode, MODES, '--mode') } : {}),
      ...(options.status !== undefined ? { status: oneOf<TeamStatus>(options.status, TEAM_STATUSES, '--status') } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    };
    const page = await withBackend(options, (b) => b.teams(query));
    show(options, page, renderTeams);
    if (page.next_cursor && !options.json) io.err(`more: --cursor ${page.next_cursor}\n`);
  });

  const team = assistance.command('team').description("your member's standby teams");
  targetOptions(
    team
      .command('add')
      .description("register a standby team in your member's name: options, or a JSON file (--file) with the fields of POST /api/v1/assistance/teams")
      .option('--file <file>', 'a JSON file (- for standard input); the options given override its fields')
      .option('--name <name>', 'e.g. "CERT-XX rapid response"')
      .option('--capability <keys...>', `its capabilities (${CAPABILITY_KEYS.join(', ')})`)
      .option('--mode <modes...>', 'remote, on-site, or both')
      .option('--size <n>', 'people in the team (1 to 500)')
      .option('--clearance <name>', `the clearance its members hold (default ${DEFAULT_CLASSIFICATIONS[0]})`)
      .option('--language <codes...>', 'languages it works in (ISO 639-1)')
      .option('--time-zone <zone>', 'IANA time zone of its windows, e.g. Europe/Paris')
      .option('--always', 'on call 24/7')
      .option('--window <specs...>', "weekly windows on call, e.g. 'mon-fri 08:00-18:00' 'sat 10:00-14:00'")
      .option('--remote-hours <h>', 'hours from a call to the team at work remotely')
      .option('--on-site-hours <h>', 'hours from a call to the team at work on site')
      .option('--contact <specs...>', "on-call contacts, e.g. 'name=Duty officer,phone=+00 000 0000,email=duty@example.org'")
      .option('--status <status>', TEAM_STATUSES.join(', '))
      .option('--tlp <tlp>', `${TLP_LEVELS.join(', ')} (default amber)`)
      .option('--classification <name>', `${DEFAULT_CLASSIFICATIONS.join(', ')} (default UNCLASSIFIED)`)
      .option('--releasability <list>', "comma-separated members and groups that may know of the team (default the node's)"),
  ).action(
    async (
      options: TargetOptions & Json & {
        file?: string; name?: string; capability?: string[]; mode?: string[]; size?: string; clearance?: string; language?: string[]; timeZone?: string; always?: boolean;
        window?: string[]; remoteHours?: string; onSiteHours?: string; contact?: string[]; status?: string; tlp?: string; classification?: string; releasability?: string;
      },
    ) => {
      const input: Record<string, unknown> = options.file !== undefined ? readJsonFile(options.file, 'the standby team') : {};
      if (options.name !== undefined) input.name = options.name;
      if (options.capability !== undefined) input.capabilities = listOf(options.capability, CAPABILITY_KEYS, '--capability');
      if (options.mode !== undefined) input.modes = listOf<Mode>(options.mode, MODES, '--mode');
      if (options.size !== undefined) input.size = integer(options.size, '--size', 1, 500);
      if (options.clearance !== undefined) input.clearance = classification(options.clearance, '--clearance');
      if (options.language !== undefined) input.languages = words(options.language).map((l) => l.toLowerCase());
      if (options.timeZone !== undefined) input.time_zone = options.timeZone;
      if (options.always) input.always = true;
      if (options.window !== undefined) {
        input.coverage = options.window.map(parseWindow);
        if (!options.always) input.always = false;
      }
      const given = { ...(typeof input.response_hours === 'object' && input.response_hours !== null ? (input.response_hours as Record<string, unknown>) : {}) };
      if (options.remoteHours !== undefined) given.remote = hours(options.remoteHours, '--remote-hours');
      if (options.onSiteHours !== undefined) given['on-site'] = hours(options.onSiteHours, '--on-site-hours');
      if (Object.keys(given).length > 0 || input.response_hours === undefined) input.response_hours = given;
      if (options.contact !== undefined) input.contacts = options.contact.map(parseContact);
      if (options.status !== undefined) input.status = oneOf<TeamStatus>(options.status, TEAM_STATUSES, '--status');
      if (options.tlp !== undefined) input.tlp = oneOf<Tlp>(options.tlp, TLP_LEVELS, '--tlp');
      if (options.classification !== undefined) input.classification = classification(options.classification, '--classification');
      if (options.releasability !== undefined) input.releasability = words(options.releasability);
      const missing = ['name', 'capabilities', 'modes', 'size', 'time_zone'].filter((key) => input[key] === undefined);
      if (missing.length > 0) {
        throw new CliError(EXIT.usage, `a standby team needs ${missing.join(', ')}: give --${missing.map((m) => (m === 'capabilities' ? 'capability' : m === 'modes' ? 'mode' : m.replace('_', '-'))).join(', --')} (or the fields in --file)`);
      }
      if (input.always !== true && input.coverage === undefined) throw new CliError(EXIT.usage, "say when the team is on call: --always (24/7) or --window 'mon-fri 08:00-18:00'");
      // The fields are the API's: the node (or the local check against its schema) judges them.
      show(options, await withBackend(options, (b) => b.registerTeam(input as unknown as TeamInput)), renderTeam);
    },
  );

  targetOptions(
    assistance
      .command('standby')
      .description('who can help now: standing-by teams with the capabilities, in the mode, on call, at work within the hours, fastest first')
      .option('--capability <keys...>', 'capabilities the team has (all of them)')
      .option('--mode <mode>', MODES.join(', '))
      .option('--within <hours>', 'at work within this many hours')
      .option('--at <time>', "ask about another time: RFC 3339, 'now' or +DURATION (default now)")
      .option('--include-off-call', 'also teams off call then, with when they next are on call')
      .option('--limit <n>', 'at most this many teams (1 to 200)'),
  ).action(async (options: TargetOptions & Json & { capability?: string[]; mode?: string; within?: string; at?: string; includeOffCall?: boolean; limit?: string }) => {
    const capabilities = listOf(options.capability, CAPABILITY_KEYS, '--capability') ?? [];
    const within = hours(options.within, '--within');
    const limit = integer(options.limit, '--limit', 1, 200);
    const query: StandbyQuery = {
      capabilities,
      ...(options.mode !== undefined ? { mode: oneOf<Mode>(options.mode, MODES, '--mode') } : {}),
      ...(within !== undefined ? { within_hours: within } : {}),
      ...(options.at !== undefined ? { at: timeOf(options.at, '--at') } : {}),
      ...(options.includeOffCall ? { include_off_call: true } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    show(options, await withBackend(options, (b) => b.standby(query)), renderStandby);
  });
}
