/**
 * Standby rosters: the teams each member keeps ready to help another (capabilities, how they
 * work, how fast, when they are on call and whom to call), and the standby query that answers
 * "who can help with malware analysis on site within 4 hours, right now". A team is a record
 * (policy/record.ts): read through the SQL pre-filter and canReadRecord on every row (unreadable:
 * 404, as if absent), registered in the actor's member's name (canCreateRecord), changed by that
 * member's users with the version they saw (canWriteRecord), audited in the same transaction.
 * docs/STANDBY-ROSTERS.md tells it as prose.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { shieldwallError } from '../../core/errors.js';
import { writeTransaction } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, releasabilityEntries, TLP_LEVELS, type Tlp } from '../../policy/markings.js';
import type { Principal } from '../../policy/principal.js';
import {
  canCreateRecord, canReadRecord, canWriteRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess, type RecordWriteDenial,
} from '../../policy/record.js';
import * as audit from '../audit/audit.service.js';
import {
  CAPABILITY_KEYS, MODES, modeServes, TEAM_STATUSES, type CoverageWindow, type Handling, type Mode, type OnCallContact, type RequestMode, type StandbyTeam,
  type TeamStatus,
} from './assistance.model.js';
import { isOnCall, MAX_WINDOWS, nextOnCall, validateCoverage, validTimeZone } from './roster.coverage.js';
import * as repo from './roster.repo.js';

/** Bounds of one team and of the roster, so that nothing grows without limit. */
export const TEAM_LIMITS = Object.freeze({
  name: 200,
  capabilities: CAPABILITY_KEYS.length,
  size: 500,
  languages: 20,
  windows: MAX_WINDOWS,
  hours: 720,
  contacts: 10,
  contactName: 200,
  contactRole: 200,
  phone: 40,
  email: 254,
  releasability: 100,
  /** Teams one member registers (stood-down ones included). */
  perMember: 500,
});
/** Teams per page of the roster. */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;
/** Rows the standby query weighs at most, fastest response first; past it the answer says it was cut. */
export const STANDBY_SCAN_MAX = 5000;

const HOUR_MS = 3_600_000;
const TEAM_ID = /^team--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A member code, a group name, '*' or '@user', as releasability lists hold them. */
const ENTRY = /^(\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
const PHONE = /^\+?[0-9][0-9 ().-]{2,39}$/;
const EMAIL = /^[^\s@,;<>"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const LANGUAGE = /^[a-z]{2}$/;
const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

// --- shapes -------------------------------------------------------------------------------------

export interface ContactInput {
  name: string;
  role?: string | null;
  phone?: string | null;
  email?: string | null;
}

export interface TeamInput {
  name: string;
  capabilities: string[];
  modes: Mode[];
  size: number;
  /** A classification name; UNCLASSIFIED when not given. */
  clearance?: string;
  languages?: string[];
  time_zone: string;
  always?: boolean;
  coverage?: CoverageWindow[];
  response_hours: { remote?: number | null; 'on-site'?: number | null };
  contacts?: ContactInput[];
  status?: TeamStatus;
  tlp?: Tlp | null;
  classification?: string;
  releasability?: string[];
}

export type TeamPatch = Partial<TeamInput> & { version: number };

export interface TeamQuery {
  member?: string[];
  capability?: string;
  mode?: Mode;
  status?: TeamStatus;
  limit?: number;
  cursor?: string;
}

export interface StandbyQuery {
  capability?: string;
  capabilities?: readonly string[];
  mode?: Mode;
  within_hours?: number;
  at?: Date;
  /** Also the teams not on call at `at`, flagged, with when they next are. */
  include_off_call?: boolean;
  limit?: number;
}

/** One team in the standby answer. */
export interface StandbyMatch {
  readonly team: StandbyTeam;
  /** The way it would help: the mode asked, or its faster one. */
  readonly mode: Mode;
  /** Hours from a call to the team at work in that mode. */
  readonly response_hours: number;
  readonly on_call: boolean;
  /** When it is next on call (within eight days), if it is not at `at`; null otherwise or never. */
  readonly next_on_call: string | null;
  /** Hours from `at` to the team at work: its response hours, after waiting to be on call; null: not within eight days. */
  readonly ready_in_hours: number | null;
}

export interface StandbyAnswer {
  readonly at: string;
  readonly capabilities: string[];
  readonly mode: Mode | null;
  readonly within_hours: number | null;
  readonly include_off_call: boolean;
  readonly teams: StandbyMatch[];
  /** More teams matched than the answer holds (limit), or than the query weighs (STANDBY_SCAN_MAX). */
  readonly truncated: boolean;
}

/** What a team keeps besides its columns. */
interface TeamDocument {
  languages: string[];
  contacts: OnCallContact[];
}

/** A stored team as the service works on it. */
interface Stored {
  row: repo.TeamRow;
  access: RecordAccess;
}

// --- reading ------------------------------------------------------------------------------------

const listColumn = (entries: readonly string[]) => `,${entries.join(',')},`;

function classificationNameOf(level: number): string {
  return DEFAULT_CLASSIFICATIONS[level] ?? `LEVEL ${level}`;
}

function handlingOf(access: RecordAccess): Handling {
  return { tlp: access.tlp, classification: classificationNameOf(access.classification), releasability: [...access.releasability] };
}

function hoursOf(value: number | null): number | null {
  return value === null ? null : Number(value);
}

function present(actor: Principal, stored: Stored): StandbyTeam {
  const { row, access } = stored;
  const document = JSON.parse(row.document) as TeamDocument;
  return {
    id: row.id,
    version: Number(row.version),
    member: access.originMember,
    name: row.name,
    capabilities: [...releasabilityEntries(row.capabilities)],
    modes: [...releasabilityEntries(row.modes)] as Mode[],
    size: Number(row.size),
    clearance: classificationNameOf(Number(row.clearance)),
    languages: document.languages,
    time_zone: row.time_zone,
    always: Number(row.always) === 1,
    coverage: JSON.parse(row.coverage) as CoverageWindow[],
    response_hours: { remote: hoursOf(row.remote_hours), 'on-site': hoursOf(row.onsite_hours) },
    contacts: document.contacts,
    status: row.status as TeamStatus,
    handling: handlingOf(access),
    created: row.created,
    modified: row.modified,
    may_edit: canWriteRecord(actor, access) === undefined,
  };
}

const notFound = (id: string) => shieldwallError('NOT_FOUND', `no standby team ${id.slice(0, 100)} (or you may not read it)`);

/** The stored team if the actor reads it; 404 otherwise (a refusal tells nothing of what exists). */
async function readable(ctx: AppContext, actor: Principal, id: string): Promise<Stored> {
  if (!TEAM_ID.test(id)) throw notFound(id);
  const row = await repo.findTeam(ctx.store.db, id);
  if (!row) throw notFound(id);
  const access = recordAccessOfColumns(row);
  if (!canReadRecord(actor, access)) throw notFound(id);
  return { row, access };
}

export async function getTeam(ctx: AppContext, actor: Principal, id: string): Promise<StandbyTeam> {
  return present(actor, await readable(ctx, actor, id));
}

/**
 * The team to make an offer with: one the actor reads (404 otherwise) and of the actor's own
 * member (403 otherwise: a member offers its own assets only). Its status is the caller's to weigh.
 */
export async function teamForOffer(ctx: AppContext, actor: Principal, id: string): Promise<StandbyTeam> {
  const stored = await readable(ctx, actor, id);
  const member = actor.member?.code ?? null;
  if (member === null || stored.access.originMember !== member) {
    throw shieldwallError('FORBIDDEN', `standby team ${id} is ${stored.access.originMember === null ? "the node's own" : `member ${stored.access.originMember}'s`}: you offer the teams of ${member === null ? 'a member, and your account acts for none' : `your own member ${member} only`}`);
  }
  return present(actor, stored);
}

function badRequest(message: string, path: string): Error {
  return shieldwallError('BAD_REQUEST', message, [{ path, message }]);
}

function checkCapability(capability: string, path: string): string {
  if (!CAPABILITY_KEYS.includes(capability)) throw badRequest(`capability '${capability.slice(0, 60)}' is not one of ${CAPABILITY_KEYS.join(', ')}`, path);
  return capability;
}

function checkMode(mode: string, path: string): Mode {
  if (!(MODES as readonly string[]).includes(mode)) throw badRequest(`mode '${mode.slice(0, 40)}' is not one of ${MODES.join(', ')}`, path);
  return mode as Mode;
}

/** The roster: the teams the actor may read, newest change first, filtered by member, capability, mode and status. */
export async function listTeams(ctx: AppContext, actor: Principal, query: TeamQuery): Promise<{ teams: StandbyTeam[]; next_cursor: string | null }> {
  const limit = Math.max(1, Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX));
  if (query.member && query.member.length > 50) throw badRequest('filter on at most 50 members at once', 'querystring.member');
  if (query.status !== undefined && !(TEAM_STATUSES as readonly string[]).includes(query.status)) throw badRequest(`status '${String(query.status).slice(0, 40)}' is not one of ${TEAM_STATUSES.join(', ')}`, 'querystring.status');
  const rows = await repo.listTeams(ctx.store.db, recordReadScope(actor), {
    ...(query.member && query.member.length > 0 ? { members: query.member } : {}),
    ...(query.capability !== undefined ? { capability: checkCapability(query.capability, 'querystring.capability') } : {}),
    ...(query.mode !== undefined ? { mode: checkMode(query.mode, 'querystring.mode') } : {}),
    ...(query.status !== undefined ? { status: query.status } : {}),
    ...(query.cursor !== undefined ? { before: decodeCursor(query.cursor, 'team') } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  // The SQL condition is the rule's own (access-filter.ts); each row is still decided here.
  const teams: StandbyTeam[] = [];
  for (const row of page) {
    const access = recordAccessOfColumns(row);
    if (canReadRecord(actor, access)) teams.push(present(actor, { row, access }));
  }
  return { teams, next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}

function coverageOf(row: repo.TeamColumns): Pick<StandbyTeam, 'always' | 'coverage' | 'time_zone'> {
  return { always: Number(row.always) === 1, coverage: JSON.parse(row.coverage) as CoverageWindow[], time_zone: row.time_zone };
}

/** The team's faster mode (of those it works in), or the one asked. */
function modeFor(row: repo.TeamColumns, asked: Mode | undefined): { mode: Mode; hours: number } | undefined {
  const remote = hoursOf(row.remote_hours);
  const onSite = hoursOf(row.onsite_hours);
  const modes = releasabilityEntries(row.modes);
  const offered: Array<{ mode: Mode; hours: number }> = [];
  if (modes.includes('remote') && remote !== null) offered.push({ mode: 'remote', hours: remote });
  if (modes.includes('on-site') && onSite !== null) offered.push({ mode: 'on-site', hours: onSite });
  const usable = asked === undefined ? offered : offered.filter((o) => o.mode === asked);
  return usable.sort((a, b) => a.hours - b.hours)[0];
}

/**
 * Who can help, now (or at `at`): the standing-by teams the actor may read that have every
 * capability asked, work in the mode asked (either, when none is), are on call at `at`, and
 * whose response hours in that mode are at most `within_hours`; fastest first. With
 * `include_off_call`, teams off call at `at` are answered too, flagged, with when they next are
 * on call; `within_hours` then counts the wait for them.
 */
export async function standby(ctx: AppContext, actor: Principal, query: StandbyQuery): Promise<StandbyAnswer> {
  const asked = [...new Set([...(query.capability !== undefined ? [query.capability] : []), ...(query.capabilities ?? [])])];
  if (asked.length > CAPABILITY_KEYS.length) throw badRequest(`ask for at most ${CAPABILITY_KEYS.length} capabilities`, 'querystring.capability');
  const capabilities = asked.map((capability) => checkCapability(capability, 'querystring.capability'));
  const mode = query.mode === undefined ? undefined : checkMode(query.mode, 'querystring.mode');
  const within = query.within_hours;
  if (within !== undefined && !(Number.isFinite(within) && within >= 0 && within <= TEAM_LIMITS.hours)) {
    throw badRequest(`within_hours ${String(within)} is not a number of hours from 0 to ${TEAM_LIMITS.hours}`, 'querystring.within_hours');
  }
  const at = query.at ?? ctx.clock.now();
  if (Number.isNaN(at.getTime())) throw badRequest('at is not a time: give an RFC 3339 time such as 2026-11-30T08:15:00Z', 'querystring.at');
  const includeOffCall = query.include_off_call === true;
  const limit = Math.max(1, Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX));

  const rows = await repo.standbyCandidates(ctx.store.db, recordReadScope(actor), {
    capabilities,
    ...(mode !== undefined ? { mode } : {}),
    ...(within !== undefined ? { withinHours: within } : {}),
    limit: STANDBY_SCAN_MAX + 1,
  });
  const scanned = rows.slice(0, STANDBY_SCAN_MAX);
  const matches: Array<{ row: repo.TeamColumns; access: RecordAccess; match: Omit<StandbyMatch, 'team'> }> = [];
  for (const row of scanned) {
    const access = recordAccessOfColumns(row);
    if (!canReadRecord(actor, access)) continue;
    const how = modeFor(row, mode);
    if (how === undefined) continue;
    const coverage = coverageOf(row);
    const onCall = isOnCall(coverage, at);
    if (!onCall && !includeOffCall) continue;
    const next = onCall ? null : nextOnCall(coverage, at);
    const readyIn = onCall ? how.hours : next === null ? null : (next.getTime() - at.getTime()) / HOUR_MS + how.hours;
    if (within !== undefined && (readyIn === null || readyIn > within)) continue;
    matches.push({ row, access, match: { mode: how.mode, response_hours: how.hours, on_call: onCall, next_on_call: next === null ? null : next.toISOString(), ready_in_hours: readyIn } });
  }
  matches.sort((a, b) => {
    const ra = a.match.ready_in_hours ?? Number.POSITIVE_INFINITY;
    const rb = b.match.ready_in_hours ?? Number.POSITIVE_INFINITY;
    if (ra !== rb) return ra - rb;
    if (a.match.on_call !== b.match.on_call) return a.match.on_call ? -1 : 1;
    return a.row.name < b.row.name ? -1 : a.row.name > b.row.name ? 1 : a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0;
  });
  const chosen = matches.slice(0, limit);
  // Only the teams answered are read whole (their languages and contacts).
  const rowsById = new Map((await repo.findTeams(ctx.store.db, chosen.map(({ row }) => row.id))).map((full) => [full.id, full]));
  const teams: StandbyMatch[] = [];
  for (const { row, match } of chosen) {
    const full = rowsById.get(row.id);
    if (!full) continue;
    const access = recordAccessOfColumns(full);
    if (!canReadRecord(actor, access)) continue;
    teams.push({ team: present(actor, { row: full, access }), ...match });
  }
  return {
    at: at.toISOString(),
    capabilities,
    mode: mode ?? null,
    within_hours: within ?? null,
    include_off_call: includeOffCall,
    teams,
    truncated: matches.length > limit || rows.length > STANDBY_SCAN_MAX,
  };
}

/**
 * The members a request for these capabilities, made this way, reaches: those with at least one
 * standing-by team that has one of the capabilities and works in a mode serving the request,
 * other than `exclude` (the requester). Read as the node (the request service decides who a
 * request reaches; the teams' own markings do not hide a member's ability to help), and
 * regardless of coverage windows: a member able to help at all is asked.
 */
export async function membersWithStandby(ctx: AppContext, capabilities: readonly string[], mode: RequestMode, exclude: string | null = null): Promise<string[]> {
  const match = matchOf(capabilities, mode);
  return repo.membersWithStandby(ctx.store.db, match.capabilities, match.modes, exclude);
}

/** What a team matching a request has: one of its known capabilities, and a mode serving the request's. */
function matchOf(capabilities: readonly string[], mode: RequestMode): { capabilities: string[]; modes: Mode[] } {
  return { capabilities: [...new Set(capabilities)].filter((capability) => CAPABILITY_KEYS.includes(capability)), modes: MODES.filter((offered) => modeServes(offered, mode)) };
}

/**
 * Of these members, those with a team matching a request (as membersWithStandby finds them:
 * standing by, with one of the capabilities, in a mode serving the request's) that the actor may
 * read: what a requester is told of whom its request reached, so that a team marked beyond the
 * requester is not revealed by the routing it took part in (nor by another team of the member it
 * reads that does not match).
 */
export async function membersWithTeamsReadBy(ctx: AppContext, actor: Principal, members: readonly string[], capabilities: readonly string[], mode: RequestMode): Promise<Set<string>> {
  const match = matchOf(capabilities, mode);
  const rows = await repo.teamsOfMembersWith(ctx.store.db, recordReadScope(actor), members, match.capabilities, match.modes);
  const readable = new Set<string>();
  for (const row of rows) if (row.origin_member !== null && canReadRecord(actor, recordAccessOfColumns(row))) readable.add(row.origin_member);
  return readable;
}

// --- writing ------------------------------------------------------------------------------------

/** A team's fields as they will be stored, checked; `problems` names each thing wrong by its field. */
interface Checked {
  name: string;
  capabilities: string[];
  modes: Mode[];
  size: number;
  clearance: number;
  languages: string[];
  time_zone: string;
  always: boolean;
  coverage: CoverageWindow[];
  remote_hours: number | null;
  onsite_hours: number | null;
  contacts: OnCallContact[];
  status: TeamStatus;
}

type Problem = { path: string; message: string };

function isText(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.trim().length >= min && value.length <= max;
}

function checkFields(team: Omit<TeamInput, 'tlp' | 'classification' | 'releasability'>): { checked?: Checked; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => problems.push({ path: `body.${path}`, message });

  if (!isText(team.name, 1, TEAM_LIMITS.name)) problem('name', `a name of 1 to ${TEAM_LIMITS.name} characters`);

  const capabilities = Array.isArray(team.capabilities) ? team.capabilities : [];
  if (capabilities.length < 1 || capabilities.length > TEAM_LIMITS.capabilities) problem('capabilities', `1 to ${TEAM_LIMITS.capabilities} capabilities, of ${CAPABILITY_KEYS.join(', ')}`);
  for (const capability of capabilities.slice(0, TEAM_LIMITS.capabilities + 1)) {
    if (!CAPABILITY_KEYS.includes(capability)) problem('capabilities', `'${String(capability).slice(0, 60)}' is not one of ${CAPABILITY_KEYS.join(', ')}`);
  }
  if (new Set(capabilities).size !== capabilities.length) problem('capabilities', 'a capability is named twice');

  const modes = Array.isArray(team.modes) ? team.modes : [];
  if (modes.length < 1 || modes.length > MODES.length) problem('modes', `one or both of ${MODES.join(', ')}`);
  for (const mode of modes.slice(0, MODES.length + 1)) if (!(MODES as readonly string[]).includes(mode)) problem('modes', `'${String(mode).slice(0, 40)}' is not one of ${MODES.join(', ')}`);
  if (new Set(modes).size !== modes.length) problem('modes', 'a mode is named twice');

  if (!Number.isInteger(team.size) || team.size < 1 || team.size > TEAM_LIMITS.size) problem('size', `a whole number of people from 1 to ${TEAM_LIMITS.size}`);

  const clearance = classificationLevel(team.clearance ?? DEFAULT_CLASSIFICATIONS[0]);
  if (clearance === undefined) problem('clearance', `'${String(team.clearance).slice(0, 40)}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`);

  const languages = Array.isArray(team.languages) ? team.languages.map((language) => (typeof language === 'string' ? language.trim().toLowerCase() : '')) : [];
  if (team.languages !== undefined && !Array.isArray(team.languages)) problem('languages', 'a list of ISO 639-1 codes');
  if (languages.length > TEAM_LIMITS.languages) problem('languages', `at most ${TEAM_LIMITS.languages} languages`);
  for (const language of languages.slice(0, TEAM_LIMITS.languages + 1)) {
    if (!LANGUAGE.test(language) || languageNames.of(language) === undefined) problem('languages', `'${language.slice(0, 20)}' is not an ISO 639-1 language code (two letters, e.g. en, fr, de)`);
  }
  if (new Set(languages).size !== languages.length) problem('languages', 'a language is named twice');

  if (typeof team.time_zone !== 'string' || !validTimeZone(team.time_zone)) {
    problem('time_zone', `'${String(team.time_zone).slice(0, 60)}' is not an IANA time zone such as Europe/Berlin, America/New_York or UTC`);
  }
  const always = team.always === true;
  const coverage = Array.isArray(team.coverage) ? team.coverage : [];
  if (team.coverage !== undefined && !Array.isArray(team.coverage)) problem('coverage', 'a list of windows');
  for (const message of validateCoverage(coverage, 'coverage')) {
    const colon = message.indexOf(':');
    problem(message.slice(0, colon), message.slice(colon + 1).trim());
  }
  if (always && coverage.length > 0) problem('coverage', 'a team on call 24/7 (always: true) keeps no coverage windows; give always: false to keep windows');
  if (!always && coverage.length === 0) problem('coverage', 'a team is on call 24/7 (always: true) or in coverage windows: give at least one window');

  const hours = team.response_hours ?? {};
  const checkHours = (mode: Mode): number | null => {
    const value = hours[mode];
    const offered = modes.includes(mode);
    if (value === undefined || value === null) {
      if (offered) problem(`response_hours.${mode}`, `the team works ${mode}: give the hours from a call to the team at work (0 to ${TEAM_LIMITS.hours})`);
      return null;
    }
    if (!offered) {
      problem(`response_hours.${mode}`, `the team does not work ${mode} (modes: ${modes.join(', ')}): give null, or add ${mode} to modes`);
      return null;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > TEAM_LIMITS.hours) problem(`response_hours.${mode}`, `${String(value).slice(0, 20)} is not a number of hours from 0 to ${TEAM_LIMITS.hours}`);
    return value;
  };
  const remoteHours = checkHours('remote');
  const onsiteHours = checkHours('on-site');

  const contactsIn = Array.isArray(team.contacts) ? team.contacts : [];
  if (team.contacts !== undefined && !Array.isArray(team.contacts)) problem('contacts', 'a list of contacts');
  if (contactsIn.length > TEAM_LIMITS.contacts) problem('contacts', `at most ${TEAM_LIMITS.contacts} on-call contacts`);
  const contacts: OnCallContact[] = contactsIn.slice(0, TEAM_LIMITS.contacts + 1).map((contact, i) => {
    const at = `contacts[${i}]`;
    if (!isText(contact?.name, 1, TEAM_LIMITS.contactName)) problem(`${at}.name`, `a name of 1 to ${TEAM_LIMITS.contactName} characters`);
    const role = contact?.role ?? null;
    const phone = contact?.phone ?? null;
    const email = contact?.email ?? null;
    if (role !== null && !isText(role, 1, TEAM_LIMITS.contactRole)) problem(`${at}.role`, `a role of 1 to ${TEAM_LIMITS.contactRole} characters, or null`);
    if (phone !== null && !(typeof phone === 'string' && phone.length <= TEAM_LIMITS.phone && PHONE.test(phone))) problem(`${at}.phone`, `a telephone number of at most ${TEAM_LIMITS.phone} characters, digits with an optional leading + (e.g. +49 30 1234567)`);
    if (email !== null && !(typeof email === 'string' && email.length <= TEAM_LIMITS.email && EMAIL.test(email))) problem(`${at}.email`, `an e-mail address of at most ${TEAM_LIMITS.email} characters (name@domain)`);
    if (phone === null && email === null) problem(at, 'an on-call contact is reached by phone or e-mail: give one or both');
    return { name: typeof contact?.name === 'string' ? contact.name.trim() : '', role, phone, email };
  });

  const status = team.status ?? 'standing-by';
  if (!(TEAM_STATUSES as readonly string[]).includes(status)) problem('status', `'${String(status).slice(0, 40)}' is not one of ${TEAM_STATUSES.join(', ')}`);

  if (problems.length > 0) return { problems };
  return {
    problems,
    checked: {
      name: team.name.trim(),
      capabilities: [...capabilities],
      modes: MODES.filter((mode) => modes.includes(mode)),
      size: team.size,
      clearance: clearance!,
      languages,
      time_zone: team.time_zone,
      always,
      coverage: coverage.map((window) => ({ days: [...window.days], from: window.from, to: window.to })),
      remote_hours: remoteHours,
      onsite_hours: onsiteHours,
      contacts,
      status,
    },
  };
}

function invalid(problems: readonly Problem[]): Error {
  const shown = problems.slice(0, 20);
  return shieldwallError('BAD_REQUEST', `the standby team is not valid: ${shown.map((p) => `${p.path}: ${p.message}`).join('; ')}`, shown);
}

function checked(team: Omit<TeamInput, 'tlp' | 'classification' | 'releasability'>): Checked {
  const { checked: result, problems } = checkFields(team);
  if (!result) throw invalid(problems);
  return result;
}

function classificationOf(name: string | undefined, fallback: number): number {
  if (name === undefined) return fallback;
  const level = classificationLevel(name);
  if (level === undefined) throw badRequest(`classification '${name.slice(0, 40)}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`, 'body.classification');
  return level;
}

function tlpOf(tlp: Tlp | null | undefined, fallback: Tlp | null): Tlp | null {
  if (tlp === undefined) return fallback;
  if (tlp !== null && !(TLP_LEVELS as readonly string[]).includes(tlp)) throw badRequest(`tlp '${String(tlp).slice(0, 20)}' is not one of ${TLP_LEVELS.join(', ')}`, 'body.tlp');
  return tlp;
}

function releasabilityOf(entries: readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (entries === undefined) return [...fallback];
  if (entries.length > TEAM_LIMITS.releasability) throw badRequest(`at most ${TEAM_LIMITS.releasability} releasability entries`, 'body.releasability');
  for (const entry of entries) {
    if (typeof entry !== 'string' || !ENTRY.test(entry)) throw badRequest(`releasability entry '${String(entry).slice(0, 70)}' is not a member code, a group name, '*' or '@user'`, 'body.releasability');
  }
  return [...new Set(entries)];
}

function denied(denial: RecordWriteDenial, id: string): Error {
  if (denial.rule === 'unreadable') return notFound(id);
  return shieldwallError('FORBIDDEN', `${denial.message} (standby team ${id})`);
}

/** A timestamp after the previous version's, so that versions order by it. */
function nextModified(ctx: AppContext, previous: string | null): string {
  let now = ctx.clock.now().getTime();
  if (previous !== null) now = Math.max(now, Date.parse(previous) + 1);
  return new Date(now).toISOString();
}

function rowOf(id: string, version: number, team: Checked, access: RecordAccess, created: string, modified: string): repo.TeamRow {
  const document: TeamDocument = { languages: team.languages, contacts: team.contacts };
  return {
    id,
    version,
    name: team.name,
    status: team.status,
    capabilities: listColumn(team.capabilities),
    modes: listColumn(team.modes),
    size: team.size,
    clearance: team.clearance,
    remote_hours: team.remote_hours,
    onsite_hours: team.onsite_hours,
    time_zone: team.time_zone,
    always: team.always ? 1 : 0,
    coverage: JSON.stringify(team.coverage),
    created,
    modified,
    document: JSON.stringify(document),
    ...recordColumns(access),
  };
}

function auditDetail(team: Checked, access: RecordAccess): Record<string, unknown> {
  return {
    name: team.name,
    member: access.originMember,
    status: team.status,
    capabilities: team.capabilities,
    modes: team.modes,
    tlp: access.tlp,
    classification: access.classification,
  };
}

/** Registers a standby team in the actor's own name (its member, itself as owner). */
export async function registerTeam(ctx: AppContext, actor: Principal, input: TeamInput): Promise<StandbyTeam> {
  const access: RecordAccess = {
    tlp: tlpOf(input.tlp, 'amber'),
    classification: classificationOf(input.classification, 0),
    releasability: releasabilityOf(input.releasability, ctx.config.defaultReleasability),
    originMember: actor.member?.code ?? null,
    owner: actor.userName,
    recipients: [],
  };
  const denial = canCreateRecord(actor, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  if (actor.kind !== 'system' && actor.member === null) throw shieldwallError('FORBIDDEN', "standby teams are registered by a member: your account acts for no member");
  const team = checked(input);
  const now = nextModified(ctx, null);
  const row = rowOf(`team--${randomUUID()}`, 1, team, access, now, now);
  await writeTransaction(ctx.store, async (tx) => {
    const held = await repo.countTeams(tx.db, access.originMember);
    if (held >= TEAM_LIMITS.perMember) {
      throw shieldwallError('CONFLICT', `member ${access.originMember ?? '(none)'} keeps ${held} standby teams, the most one member may: change a stood-down team instead of registering another`);
    }
    await repo.insertTeam(tx, row);
    await audit.recordInTransaction(ctx, tx, actor, [{ action: 'assistance.team.register', subject: row.id, detail: auditDetail(team, access) }]);
  });
  return present(actor, { row, access });
}

/**
 * Changes a team (its fields, its markings, its status: stand it down with status 'stood-down'):
 * 404 unless the actor reads it, 403 unless it writes for the team's member, 409 unless `version`
 * is the stored one.
 */
export async function updateTeam(ctx: AppContext, actor: Principal, id: string, patch: TeamPatch): Promise<StandbyTeam> {
  const stored = await readable(ctx, actor, id);
  const writeDenial = canWriteRecord(actor, stored.access);
  if (writeDenial) throw denied(writeDenial, id);
  const current = Number(stored.row.version);
  if (!Number.isInteger(patch.version) || patch.version !== current) {
    throw shieldwallError('STALE_VERSION', `standby team ${id} is at version ${current}, you changed version ${String(patch.version)}: reload it and make your change again`, { current_version: current });
  }
  const was = present(actor, stored);
  const modes = patch.modes ?? was.modes;
  // Response hours of a mode the team stops working in go with it; those given replace the stored.
  const hours = {
    remote: modes.includes('remote') ? was.response_hours.remote : null,
    'on-site': modes.includes('on-site') ? was.response_hours['on-site'] : null,
    ...patch.response_hours,
  };
  const always = patch.always ?? was.always;
  // Turning to 24/7 drops the windows, unless given.
  const coverage = patch.coverage ?? (always ? [] : was.coverage);
  const team = checked({
    name: patch.name ?? was.name,
    capabilities: patch.capabilities ?? was.capabilities,
    modes,
    size: patch.size ?? was.size,
    clearance: patch.clearance ?? was.clearance,
    languages: patch.languages ?? was.languages,
    time_zone: patch.time_zone ?? was.time_zone,
    always,
    coverage,
    response_hours: hours,
    contacts: patch.contacts ?? was.contacts,
    status: patch.status ?? was.status,
  });
  const access: RecordAccess = {
    ...stored.access,
    tlp: tlpOf(patch.tlp, stored.access.tlp),
    classification: classificationOf(patch.classification, stored.access.classification),
    releasability: releasabilityOf(patch.releasability, stored.access.releasability),
  };
  const remarkDenial = canWriteRecord(actor, stored.access, access);
  if (remarkDenial) throw denied(remarkDenial, id);
  const now = nextModified(ctx, stored.row.modified);
  const row = rowOf(id, current + 1, team, access, stored.row.created, now);
  const fields = Object.keys(patch).filter((key) => key !== 'version').sort();
  await writeTransaction(ctx.store, async (tx) => {
    if (!(await repo.replaceTeam(tx, row, current))) {
      throw shieldwallError('STALE_VERSION', `standby team ${id} changed while your change was being made: reload it and make your change again`);
    }
    await audit.recordInTransaction(ctx, tx, actor, [
      { action: 'assistance.team.update', subject: id, detail: { version: current + 1, fields, ...auditDetail(team, access), was: { status: was.status, name: was.name } } },
    ]);
  });
  return present(actor, { row, access });
}
