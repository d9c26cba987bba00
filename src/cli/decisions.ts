/**
 * shieldwall decisions: consultation and consensus on a running node (--url/--token, as the
 * token's user) or on the configured store directly (--as a user: consultations, proposals and
 * statements are always made in a member's name). Consultations and what is said in them,
 * proposals from the response-options catalogue under the silence procedure, the decision
 * records, coordinated attribution statements and their export. Tables for people by default;
 * --json prints the node's answer as one JSON document. docs/DECISIONS-CLI.md.
 *
 * The helpers that read options, check bodies against the routes' schemas and act as a user on
 * the store are exported for shieldwall assessment (assessment.ts), which works the same way.
 */
import type { Command } from 'commander';
import type { TSchema } from '@sinclair/typebox';
import type { AppContext } from '../core/context.js';
import { isApiDateTime } from '../core/datetime.js';
import {
  CONSULTATION_STATUSES, PROPOSAL_STATUSES, PROPOSAL_TRANSITIONS, RESPONSE_OPTION_KEYS, RESPONSE_OPTIONS, STATEMENT_STATUSES, SUBJECT_KINDS,
  type Consultation, type ConsultationStatus, type ConsultationSummary, type DecisionRecord, type Handling, type HistoryEntry, type Proposal, type ProposalStatus,
  type ProposalSummary, type Statement, type StatementStatus, type SubjectKind,
} from '../modules/decisions/decisions.model.js';
import type { AmendInput, ConsultationInput, EntryKind, ProposalInput } from '../modules/decisions/decisions.service.js';
import type { StatementInput, StatementResponseKind } from '../modules/decisions/statements.service.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS, type Tlp } from '../policy/markings.js';
import type { Principal } from '../policy/principal.js';
import { ownValue } from '../stix/lookup.js';
import { table, timeOf } from './assistance.js';
import { CliError, EXIT } from './failures.js';
import { withLocalStore } from './local.js';
import { callNode, nodeJson, nodeTarget, type NodeTarget } from './node-client.js';

export interface TargetOptions {
  url?: string;
  token?: string;
  as?: string;
}
export type Json = { json?: boolean };

/** Where a command writes: standard output for its answer, standard error for hints. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_OUTPUT: CommandOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

type StixBundle = { type: 'bundle'; id: string; objects: Array<Record<string, unknown>> };
type ConsultationQuery = { status?: ConsultationStatus[]; subject?: string; limit?: number };

/** What every sub-command needs, on the store directly or over HTTP. */
interface Backend {
  consultations(query: ConsultationQuery): Promise<{ consultations: ConsultationSummary[] }>;
  consultation(id: string): Promise<Consultation>;
  consult(input: ConsultationInput): Promise<Consultation>;
  say(id: string, body: { kind: EntryKind; title?: string; text: string }): Promise<Consultation>;
  moveConsultation(id: string, body: { status: ConsultationStatus; reason?: string }): Promise<Consultation>;
  propose(id: string, input: ProposalInput): Promise<Proposal>;
  proposals(status: ProposalStatus[] | undefined, limit: number | undefined): Promise<{ proposals: ProposalSummary[] }>;
  proposal(id: string): Promise<Proposal>;
  circulate(id: string, body: { deadline?: string; silence_hours?: number }): Promise<Proposal>;
  breakSilence(id: string, body: { reason: string }): Promise<Proposal>;
  amend(id: string, body: AmendInput): Promise<Proposal>;
  withdraw(id: string, body: { reason?: string }): Promise<Proposal>;
  records(limit: number | undefined): Promise<{ decisions: DecisionRecord[] }>;
  record(id: string): Promise<DecisionRecord>;
  statements(status: StatementStatus[] | undefined, limit: number | undefined): Promise<{ statements: Statement[] }>;
  statement(id: string): Promise<Statement>;
  draft(input: StatementInput): Promise<Statement>;
  respond(id: string, body: { response: StatementResponseKind; reason?: string }): Promise<Statement>;
  stix(id: string): Promise<StixBundle>;
  text(id: string): Promise<string>;
}

// --- on the store directly ----------------------------------------------------------------------

/** The HTTP status of a node error, as the exit status a remote call would give (node-client.ts). */
function exitOf(httpStatus: number): (typeof EXIT)[keyof typeof EXIT] {
  if (httpStatus === 403) return EXIT.forbidden;
  if (httpStatus === 404) return EXIT.notFound;
  return EXIT.failed;
}

/**
 * Calls of a user on the store directly, held to what the node's routes ask: each route's
 * permission (refused as a node refuses it, with 403) and, for writes, its body schema (the
 * services trust their routes for lengths and enumerations); the services' errors become the
 * exit statuses a node's answer would give.
 */
export async function storeCalls(ctx: AppContext, actor: Principal): Promise<{
  call<T>(permission: string, what: string, fn: () => Promise<T>): Promise<T>;
  checkBody(schema: TSchema, value: unknown, what: string): void;
}> {
  const { ShieldwallError } = await import('../core/errors.js');
  const { FormatRegistry } = await import('@sinclair/typebox');
  const { Value } = await import('@sinclair/typebox/value');
  // 'date-time' as the node's validator reads it: an RFC 3339 time.
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', isApiDateTime);
  }
  const who = actor.userName ?? actor.name;
  return {
    async call(permission, what, fn) {
      if (!ctx.permissions.has(actor, permission)) throw new CliError(EXIT.forbidden, `${what} needs the permission ${permission}, which the roles of ${who} do not give`);
      try {
        return await fn();
      } catch (error) {
        if (error instanceof ShieldwallError) throw new CliError(exitOf(error.status), `${error.code}: ${error.message}`, { cause: error });
        throw error;
      }
    },
    checkBody(schema, value, what) {
      const first = Value.Errors(schema, value).First();
      if (first) throw new CliError(EXIT.failed, `${what} is not valid: ${first.path === '' ? '' : `${first.path.slice(1).replace(/\//g, '.')}: `}${first.message}`);
    },
  };
}

async function local(ctx: AppContext, actor: Principal): Promise<Backend> {
  const service = await import('../modules/decisions/decisions.service.js');
  const statements = await import('../modules/decisions/statements.service.js');
  const schemas = await import('../modules/decisions/decisions.schema.js');
  const { call, checkBody } = await storeCalls(ctx, actor);
  const read = 'decisions:read';
  const participate = 'decisions:participate';
  // `what` needs the route's permission and a body its schema accepts (called `named` when refused).
  const write = <T>(what: string, named: string, schema: TSchema, body: unknown, fn: () => Promise<T>) =>
    call(participate, what, () => {
      checkBody(schema, body, named);
      return fn();
    });
  return {
    consultations: (query) => call(read, 'reading consultations', () => service.listConsultations(ctx, actor, query)),
    consultation: (id) => call(read, 'reading a consultation', () => service.getConsultation(ctx, actor, id)),
    consult: (input) => write('requesting a consultation', 'the consultation', schemas.ConsultationBody, input, () => service.requestConsultation(ctx, actor, input)),
    say: (id, body) => write('taking part in a consultation', 'the entry', schemas.EntryBody, body, () => service.addEntry(ctx, actor, id, body)),
    moveConsultation: (id, body) => write('closing or reopening a consultation', 'the move', schemas.ConsultationStatusBody, body, () => service.moveConsultation(ctx, actor, id, body)),
    propose: (id, input) => write('proposing a response', 'the proposal', schemas.ProposalBody, input, () => service.propose(ctx, actor, id, input)),
    proposals: (status, limit) => call(read, 'reading proposals', () => service.listProposals(ctx, actor, { ...(status ? { status } : {}), ...(limit !== undefined ? { limit } : {}) })),
    proposal: (id) => call(read, 'reading a proposal', () => service.getProposal(ctx, actor, id)),
    circulate: (id, body) => write('circulating a proposal', 'the circulation', schemas.CirculateBody, body, () => service.circulate(ctx, actor, id, body)),
    breakSilence: (id, body) => write('breaking silence', 'the break of silence', schemas.BreakBody, body, () => service.breakSilence(ctx, actor, id, body)),
    amend: (id, body) => write('amending a proposal', 'the amendment', schemas.AmendBody, body, () => service.amend(ctx, actor, id, body)),
    withdraw: (id, body) => write('withdrawing a proposal', 'the withdrawal', schemas.WithdrawBody, body, () => service.withdraw(ctx, actor, id, body)),
    records: (limit) => call(read, 'reading decision records', () => service.listDecisionRecords(ctx, actor, limit)),
    record: (id) => call(read, 'reading a decision record', () => service.getDecisionRecord(ctx, actor, id)),
    statements: (status, limit) => call(read, 'reading attribution statements', () => statements.listStatements(ctx, actor, { ...(status ? { status } : {}), ...(limit !== undefined ? { limit } : {}) })),
    statement: (id) => call(read, 'reading an attribution statement', () => statements.getStatement(ctx, actor, id)),
    draft: (input) => write('drafting an attribution statement', 'the statement', schemas.StatementBody, input, () => statements.draftStatement(ctx, actor, input)),
    respond: (id, body) => write('joining or declining an attribution statement', 'the answer', schemas.StatementResponseBody, body, () => statements.respond(ctx, actor, id, body)),
    stix: (id) => call(read, 'exporting an attribution statement', () => statements.statementBundle(ctx, actor, id) as Promise<StixBundle>),
    text: (id) => call(read, 'exporting an attribution statement', () => statements.statementText(ctx, actor, id)),
  };
}

// --- on a running node --------------------------------------------------------------------------

export const post = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export function nodeQuery(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, String(value));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

function remote(target: NodeTarget): Backend {
  const base = '/api/v1/decisions';
  const at = (kind: string, id: string) => `${base}/${kind}/${encodeURIComponent(id)}`;
  const joined = (values: readonly string[] | undefined) => (values && values.length > 0 ? values.join(',') : undefined);
  return {
    consultations: (q) => nodeJson(target, `${base}/consultations${nodeQuery({ status: joined(q.status), subject: q.subject, limit: q.limit })}`),
    consultation: (id) => nodeJson(target, at('consultations', id)),
    consult: (input) => nodeJson(target, `${base}/consultations`, post(input)),
    say: (id, body) => nodeJson(target, `${at('consultations', id)}/entries`, post(body)),
    moveConsultation: (id, body) => nodeJson(target, `${at('consultations', id)}/status`, post(body)),
    propose: (id, input) => nodeJson(target, `${at('consultations', id)}/proposals`, post(input)),
    proposals: (status, limit) => nodeJson(target, `${base}/proposals${nodeQuery({ status: joined(status), limit })}`),
    proposal: (id) => nodeJson(target, at('proposals', id)),
    circulate: (id, body) => nodeJson(target, `${at('proposals', id)}/circulate`, post(body)),
    breakSilence: (id, body) => nodeJson(target, `${at('proposals', id)}/break`, post(body)),
    amend: (id, body) => nodeJson(target, `${at('proposals', id)}/amend`, post(body)),
    withdraw: (id, body) => nodeJson(target, `${at('proposals', id)}/withdraw`, post(body)),
    records: (limit) => nodeJson(target, `${base}/records${nodeQuery({ limit })}`),
    record: (id) => nodeJson(target, at('records', id)),
    statements: (status, limit) => nodeJson(target, `${base}/statements${nodeQuery({ status: joined(status), limit })}`),
    statement: (id) => nodeJson(target, at('statements', id)),
    draft: (input) => nodeJson(target, `${base}/statements`, post(input)),
    respond: (id, body) => nodeJson(target, `${at('statements', id)}/respond`, post(body)),
    stix: (id) => nodeJson(target, `${at('statements', id)}/stix`),
    text: async (id) => (await callNode(target, `${at('statements', id)}/text`, {}, /^text\/plain/i)).text(),
  };
}

/**
 * Runs fn against a running node (--url), or the store directly as the user named by --as.
 * `why` says why a user is needed, in the hint given when neither is.
 */
export async function withUser<T, B>(
  options: TargetOptions,
  tokenName: string,
  why: string,
  backends: { remote(target: NodeTarget): B; local(ctx: AppContext, principal: Principal): Promise<B> },
  fn: (backend: B) => Promise<T>,
): Promise<T> {
  const target = nodeTarget(options, tokenName);
  if (target) return fn(backends.remote(target));
  if (options.as === undefined) throw new CliError(EXIT.usage, `give --url and --token of a running node, or --as USER to work on the store directly as that user (${why})`);
  const as = options.as;
  return withLocalStore(async (ctx) => {
    const { principalOfUser } = await import('../modules/directory/directory.service.js');
    const principal = await principalOfUser(ctx, as);
    if (!principal) throw new CliError(EXIT.usage, `--as '${as}': no such user, or disabled (see "shieldwall users list")`);
    return fn(await backends.local(ctx, principal));
  });
}

const withBackend = <T>(options: TargetOptions, fn: (backend: Backend) => Promise<T>): Promise<T> =>
  withUser(options, 'decisions', 'consultations, proposals and statements are made by users of members', { remote, local }, fn);

// --- reading options ----------------------------------------------------------------------------

/** Values given as several words or comma-separated ('a,b' 'c'), each trimmed, none empty. */
export function words(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return [];
  return (typeof values === 'string' ? [values] : values).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 60)}' is not one of ${allowed.join(', ')}`);
  return value as T;
}

export function listOf<T extends string>(values: readonly string[] | string | undefined, allowed: readonly T[], option: string): T[] | undefined {
  const items = words(values).map((value) => oneOf(value, allowed, option));
  return items.length > 0 ? [...new Set(items)] : undefined;
}

export function integer(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new CliError(EXIT.usage, `${option} '${value.slice(0, 20)}' is not a whole number from ${min} to ${max}`);
  return Number(value);
}

/** Text that must say something: refused (usage) when empty, naming the option. */
export function saying(value: string, option: string): string {
  if (value.trim() === '') throw new CliError(EXIT.usage, `${option} is empty: say something (${option} "…")`);
  return value;
}

export interface MarkingOptions {
  tlp?: string;
  classification?: string;
  releasability?: string;
}

/** The marking options of a record (TLP, classification, releasability), as the API takes them. */
export function markingOf(options: MarkingOptions): { tlp?: Tlp; classification?: string; releasability?: string[] } {
  let classification: string | undefined;
  if (options.classification !== undefined) {
    classification = DEFAULT_CLASSIFICATIONS.find((level) => level === options.classification!.trim().toUpperCase());
    if (classification === undefined) throw new CliError(EXIT.usage, `--classification '${options.classification.slice(0, 40)}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`);
  }
  const releasability = words(options.releasability);
  return {
    ...(options.tlp !== undefined ? { tlp: oneOf<Tlp>(options.tlp.toLowerCase(), TLP_LEVELS, '--tlp') } : {}),
    ...(classification !== undefined ? { classification } : {}),
    ...(releasability.length > 0 ? { releasability } : {}),
  };
}

export const markingOptions = (command: Command, what: string): Command =>
  command
    .option('--tlp <tlp>', `${TLP_LEVELS.join(', ')} (default amber)`)
    .option('--classification <name>', `${DEFAULT_CLASSIFICATIONS.join(', ')} (default UNCLASSIFIED)`)
    .option('--releasability <list>', `comma-separated members and groups that may know of ${what} (default the node's)`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The kinds of record an id names, by its prefix. */
const KINDS = { consultation: 'consultation', proposal: 'proposal', decision: 'decision record', 'attribution-statement': 'attribution statement' } as const;
type Kind = keyof typeof KINDS;

function kindOf(id: string): Kind {
  const at = id.indexOf('--');
  const prefix = at > 0 ? id.slice(0, at) : '';
  if (Object.hasOwn(KINDS, prefix) && UUID.test(id.slice(at + 2))) return prefix as Kind;
  throw new CliError(
    EXIT.usage,
    `'${id.slice(0, 80)}' is not the id of a consultation (consultation--…), a proposal (proposal--…), a decision record (decision--…) or an attribution statement (attribution-statement--…)`,
  );
}

const article = (kind: Kind) => (kind === 'attribution-statement' ? 'an' : 'a');

function expect(id: string, kind: Kind, command: string): string {
  const given = kindOf(id);
  if (given !== kind) throw new CliError(EXIT.usage, `${command} takes the id of ${article(kind)} ${KINDS[kind]}, not of ${article(given)} ${KINDS[given]}`);
  return id;
}

/** A STIX id of one of the types allowed (section 2.9: type--UUID). */
export function stixRef(value: string, types: readonly string[], option: string): string {
  const at = value.indexOf('--');
  if (at > 0 && types.includes(value.slice(0, at)) && UUID.test(value.slice(at + 2))) return value;
  throw new CliError(EXIT.usage, `${option} '${value.slice(0, 80)}' is not the id of ${/^[aeiou]/.test(types[0]!) ? 'an' : 'a'} ${types.join(', ').replace(/, ([^,]*)$/, ' or $1')} (${types[0]}--UUID)`);
}

/** --hours or --deadline: the silence asked for, refused when both or (if required) neither are given. */
function silenceOf(options: { hours?: string; deadline?: string }, required: boolean): { deadline?: string; silence_hours?: number } {
  if (options.hours !== undefined && options.deadline !== undefined) throw new CliError(EXIT.usage, 'give --hours or --deadline, not both: the silence runs for so many hours, or until a time');
  if (options.hours !== undefined) {
    const hours = Number(options.hours);
    if (options.hours.trim() === '' || !Number.isFinite(hours) || hours <= 0 || hours > 24 * 90) throw new CliError(EXIT.usage, `--hours '${options.hours.slice(0, 20)}' is not a number of hours above 0 and at most ${24 * 90}`);
    return { silence_hours: hours };
  }
  if (options.deadline !== undefined) return { deadline: timeOf(options.deadline, '--deadline').toISOString() };
  if (required) throw new CliError(EXIT.usage, 'say how long the silence runs: --hours N, or --deadline TIME (RFC 3339, or +DURATION such as +3d)');
  return {};
}

// --- presenting ---------------------------------------------------------------------------------

export const when = (iso: string | null | undefined) => (iso === null || iso === undefined ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`);
export const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function fields(entries: ReadonlyArray<readonly [string, string | null | undefined]>): string {
  const shown = entries.filter((entry): entry is readonly [string, string] => entry[1] !== null && entry[1] !== undefined && entry[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  return shown.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`).join('\n') + '\n';
}

export const handlingText = (h: Handling) =>
  `${h.tlp === null ? 'no TLP' : `TLP:${h.tlp.toUpperCase()}`}, ${h.classification}, releasable to ${h.releasability.length === 0 ? 'nobody else' : h.releasability.join(', ')}`;

/** A long text, indented under its heading and wrapped at about 100 columns. */
function block(text: string): string {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + word.length + 1 > 96) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines.map((line) => `    ${line}`.trimEnd()).join('\n') + '\n';
}

function historyText(history: readonly HistoryEntry[]): string {
  const shown = history.slice(-10);
  let text = `History${history.length > shown.length ? ` (last ${shown.length} of ${history.length})` : ''}\n`;
  text += shown.map((h) => `  ${when(h.at)}  ${h.by}${h.member ? ` (${h.member})` : ''}  ${h.action}${h.text ? `: ${cut(h.text, 200)}` : ''}`).join('\n') + '\n';
  return text;
}

const optionNames = (keys: readonly string[]) =>
  keys.map((key) => {
    const option = RESPONSE_OPTIONS.find((o) => o.key === key);
    return option ? `${option.name}${option.national_decision ? ' (national decision)' : ''}` : key;
  });

const silenceText = (p: ProposalSummary) => (p.silence ? `until ${when(p.silence.deadline)} (round ${p.silence.round})` : '-');

function renderConsultations(answer: { consultations: ConsultationSummary[] }): string {
  if (answer.consultations.length === 0) return 'no consultation you may read matches\n';
  return table(
    ['ID', 'STATUS', 'REQUESTED BY', 'PARTICIPANTS', 'PROPOSALS', 'SILENCE UNTIL', 'SUBJECT', 'TITLE'],
    answer.consultations.map((c) => [
      c.id, c.status, c.requested_by ?? '-', c.participants.join(','), String(c.proposals), when(c.silence_deadline), cut(c.subject.name ?? c.subject.ref, 40), cut(c.title, 60),
    ]),
  );
}

function proposalRows(proposals: readonly ProposalSummary[], indent: string): string {
  return table(
    [`${indent}ID`, 'STATUS', 'TEXT', 'SILENCE', 'OPTIONS', 'TITLE'],
    proposals.map((p) => [`${indent}${p.id}`, p.status, `v${p.text_version}`, silenceText(p), p.options.join(','), cut(p.title, 60)]),
  );
}

function entriesText(heading: string, entries: Consultation['statements']): string {
  let text = `${heading} (${entries.length})\n`;
  for (const e of entries) text += `  ${when(e.at)}  ${e.by}${e.member ? ` (${e.member})` : ''}${e.title ? `: ${e.title}` : ''}\n${block(e.text)}`;
  return text;
}

function renderConsultation(c: Consultation): string {
  let text = `Consultation ${c.id} (version ${c.version})\n`;
  text += fields([
    ['Title', c.title],
    ['Status', c.status],
    ['Subject', `${c.subject.kind} ${c.subject.ref}${c.subject.name ? ` (${c.subject.name})` : ''}`],
    ['Requested by', c.requested_by ?? '-'],
    ['Participants', c.participants.join(', ')],
    ['Silence until', c.silence_deadline === null ? null : when(c.silence_deadline)],
    ['Handling', handlingText(c.handling)],
    ['Requested', when(c.created)],
    ['You may', c.actions.length > 0 ? c.actions.join(', ') : 'read it'],
  ]);
  if (c.description) text += `Description\n${block(c.description)}`;
  text += entriesText('Statements', c.statements);
  text += entriesText('Documents', c.documents);
  text += entriesText('Minutes', c.minutes);
  text += `Proposals (${c.proposal_list.length})\n${c.proposal_list.length > 0 ? proposalRows(c.proposal_list, '  ') : ''}`;
  return text + historyText(c.history);
}

function renderProposals(answer: { proposals: ProposalSummary[] }): string {
  return answer.proposals.length === 0 ? 'no proposal you may read matches\n' : proposalRows(answer.proposals, '');
}

/** A proposal's status with the states it may move to; a status this command does not know, as the node said it. */
export function statusWithNext(status: string): string {
  const next = ownValue<readonly string[]>(PROPOSAL_TRANSITIONS, status) ?? [];
  return `${status}${next.length > 0 ? ` (next: ${next.join(', ')})` : ''}`;
}

function renderProposal(p: Proposal): string {
  let text = `Proposal ${p.id} (version ${p.version})\n`;
  text += fields([
    ['Title', p.title],
    ['Consultation', p.consultation_id],
    ['Status', statusWithNext(p.status)],
    ['Silence', p.silence ? `round ${p.silence.round} on text version ${p.silence.version}, from ${when(p.silence.started_at)} until ${when(p.silence.deadline)}` : null],
    ['Options', optionNames(p.options).join('; ')],
    ['Text version', String(p.text_version)],
    ['Decision', p.decision ? `${p.decision.id}, adopted ${when(p.decision.adopted_at)}` : null],
    ['Handling', handlingText(p.handling)],
    ['Drafted', when(p.created)],
    ['You may', p.actions.length > 0 ? p.actions.join(', ') : 'read it'],
  ]);
  text += `Text\n${block(p.text)}`;
  if (p.proportionality) text += `Proportionality\n${block(p.proportionality)}`;
  if (p.breaks.length > 0) text += `Silence broken (${p.breaks.length})\n${p.breaks.map((b) => `  ${when(b.at)}  ${b.by} (${b.member}), round ${b.round}: ${b.reason}`).join('\n')}\n`;
  if (p.amendments.length > 0) text += `Amendments (${p.amendments.length})\n${p.amendments.map((a) => `  ${when(a.at)}  ${a.by}${a.member ? ` (${a.member})` : ''}: text version ${a.version}${a.reason ? `, ${a.reason}` : ''}`).join('\n')}\n`;
  return text + historyText(p.history);
}

function renderRecords(answer: { decisions: DecisionRecord[] }): string {
  if (answer.decisions.length === 0) return 'no decision record you may read\n';
  return table(
    ['ID', 'ADOPTED', 'ROUND', 'TEXT', 'OPTIONS', 'PARTICIPANTS', 'TITLE'],
    answer.decisions.map((d) => [d.id, when(d.adopted_at), String(d.round), `v${d.version}`, d.options.join(','), d.participants.join(','), cut(d.title, 60)]),
  );
}

function renderRecord(d: DecisionRecord): string {
  let text = `Decision record ${d.id}\n`;
  text += fields([
    ['Title', d.title],
    ['Proposal', d.proposal_id],
    ['Consultation', d.consultation_id],
    ['Options', optionNames(d.options).join('; ')],
    ['Adopted', `${when(d.adopted_at)}: silence round ${d.round} on text version ${d.version}, circulated ${when(d.circulated_at)}, deadline ${when(d.deadline)}`],
    ['Participants', d.participants.join(', ')],
    ['Text SHA-256', d.text_sha256],
    ['Handling', handlingText(d.handling)],
  ]);
  text += `Text\n${block(d.text)}`;
  if (d.proportionality) text += `Proportionality\n${block(d.proportionality)}`;
  return text;
}

const responders = (responses: Statement['joined']) => responses.map((r) => r.member).join(',') || '-';

function renderStatements(answer: { statements: Statement[] }): string {
  if (answer.statements.length === 0) return 'no attribution statement you may read matches\n';
  return table(
    ['ID', 'STATUS', 'PUBLISH AT', 'JOINED', 'DECLINED', 'ACTOR', 'TITLE'],
    answer.statements.map((s) => [s.id, s.status, when(s.publish_at), responders(s.joined), responders(s.declined), cut(s.actor.name ?? s.actor.ref, 30), cut(s.title, 60)]),
  );
}

function renderStatement(s: Statement): string {
  let text = `Attribution statement ${s.id} (version ${s.version})\n`;
  text += fields([
    ['Title', s.title],
    ['Status', s.status],
    ['Actor', `${s.actor.ref}${s.actor.name ? ` (${s.actor.name})` : ''}`],
    ['Attributed to', s.attributed_to ? `${s.attributed_to.ref}${s.attributed_to.name ? ` (${s.attributed_to.name})` : ''}, confidence ${s.confidence}` : null],
    ['Consultation', s.consultation_id],
    ['Publish at', when(s.publish_at)],
    ['Drafted by', s.drafted_by ?? '-'],
    ['Invited', s.invited.join(', ')],
    ['Joined', s.joined.map((r) => `${r.member} (${r.by})`).join(', ')],
    ['Declined', s.declined.map((r) => `${r.member} (${r.by})${r.reason ? `: ${r.reason}` : ''}`).join('; ')],
    ['Published', s.published ? `${when(s.published.at)} as ${s.published.report_id}, joined by ${s.published.members.join(', ')}` : null],
    ['Handling', handlingText(s.handling)],
    ['You may', s.actions.length > 0 ? s.actions.join(', ') : 'read it'],
  ]);
  return `${text}Text\n${block(s.text)}`;
}

// --- the commands -------------------------------------------------------------------------------

export const targetOptions = (command: Command, json = true): Command => {
  command
    .option('--as <user>', 'on the store directly: act as this user')
    .option('--url <url>', 'work on a running node (or SHIELDWALL_URL)')
    .option('--token <token>', 'API token for --url (or SHIELDWALL_TOKEN)');
  return json ? command.option('--json', 'print the answer as JSON instead of a table') : command;
};

export function registerDecisions(program: Command, io: CommandOutput = PROCESS_OUTPUT): void {
  const show = <T>(options: Json, value: T, render: (value: T) => string) => io.out(options.json ? `${JSON.stringify(value)}\n` : render(value));
  const decisions = program.command('decisions').description('consultation and consensus on a node: consultations, proposals under silence, decision records, attribution statements');

  targetOptions(
    decisions
      .command('consultations')
      .description('consultations you may read, newest change first')
      .option('--status <list>', `comma-separated statuses (${CONSULTATION_STATUSES.join(', ')})`)
      .option('--subject <ref>', "one actor's or incident's consultations")
      .option('--limit <n>', 'at most this many (1 to 200)'),
  ).action(async (options: TargetOptions & Json & { status?: string; subject?: string; limit?: string }) => {
    const status = listOf<ConsultationStatus>(options.status, CONSULTATION_STATUSES, '--status');
    const limit = integer(options.limit, '--limit', 1, 200);
    const q: ConsultationQuery = {
      ...(status ? { status } : {}),
      ...(options.subject !== undefined ? { subject: stixRef(options.subject, ['threat-actor', 'intrusion-set', 'campaign', 'incident'], '--subject') } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    show(options, await withBackend(options, (b) => b.consultations(q)), renderConsultations);
  });

  markingOptions(
    targetOptions(
      decisions
        .command('consult')
        .description('request a consultation on an actor or an incident, with the members to consult')
        .requiredOption('--title <text>', 'what the consultation is about, in a line')
        .requiredOption('--subject-kind <kind>', SUBJECT_KINDS.join(' or '))
        .requiredOption('--subject <ref>', 'the actor (threat-actor--…, intrusion-set--…, campaign--…) or the incident (incident--…)')
        .requiredOption('--participants <list>', 'comma-separated codes of the members to consult')
        .option('--description <text>', 'the situation and what is asked of the members'),
    ),
    'the consultation',
  ).action(async (options: TargetOptions & Json & MarkingOptions & { title: string; subjectKind: string; subject: string; participants: string; description?: string }) => {
    const kind = oneOf<SubjectKind>(options.subjectKind, SUBJECT_KINDS, '--subject-kind');
    const ref = stixRef(options.subject, kind === 'actor' ? ['threat-actor', 'intrusion-set', 'campaign'] : ['incident'], '--subject');
    const participants = words(options.participants);
    if (participants.length === 0) throw new CliError(EXIT.usage, '--participants names no member: give their codes, e.g. --participants LVA,FIN');
    const input: ConsultationInput = {
      title: saying(options.title, '--title'),
      subject: { kind, ref },
      participants,
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...markingOf(options),
    };
    show(options, await withBackend(options, (b) => b.consult(input)), renderConsultation);
  });

  targetOptions(decisions.command('show <id>').description('a consultation (its statements, documents, minutes and proposals), a proposal, a decision record or an attribution statement, by its id')).action(
    async (id: string, options: TargetOptions & Json) => {
      const kind = kindOf(id);
      if (kind === 'consultation') show(options, await withBackend(options, (b) => b.consultation(id)), renderConsultation);
      else if (kind === 'proposal') show(options, await withBackend(options, (b) => b.proposal(id)), renderProposal);
      else if (kind === 'decision') show(options, await withBackend(options, (b) => b.record(id)), renderRecord);
      else show(options, await withBackend(options, (b) => b.statement(id)), renderStatement);
    },
  );

  targetOptions(
    decisions
      .command('say <consultation>')
      .description("add your member's statement, a document, or (chairs) the minutes to a consultation")
      .requiredOption('--text <text>', 'what is said')
      .option('--kind <kind>', 'statement, document or minutes', 'statement')
      .option('--title <text>', "a document's title (documents have one)"),
  ).action(async (id: string, options: TargetOptions & Json & { text: string; kind: string; title?: string }) => {
    const kind = oneOf<EntryKind>(options.kind, ['statement', 'document', 'minutes'], '--kind');
    if (kind === 'document' && (options.title === undefined || options.title.trim() === '')) throw new CliError(EXIT.usage, 'a document has a title: give --title "…"');
    if (kind !== 'document' && options.title !== undefined) throw new CliError(EXIT.usage, `--title goes with --kind document: a ${kind === 'minutes' ? "chair's minutes" : 'statement'} has none`);
    const body = { kind, text: saying(options.text, '--text'), ...(options.title !== undefined ? { title: options.title } : {}) };
    show(options, await withBackend(options, (b) => b.say(expect(id, 'consultation', 'say'), body)), renderConsultation);
  });

  for (const [name, status, description] of [
    ['close', 'closed', 'close a consultation (chairs); proposals under silence keep running'],
    ['reopen', 'open', 'reopen a closed consultation (chairs)'],
  ] as const) {
    targetOptions(decisions.command(`${name} <consultation>`).description(description).option('--reason <text>', 'why')).action(async (id: string, options: TargetOptions & Json & { reason?: string }) => {
      const body = { status, ...(options.reason !== undefined ? { reason: options.reason } : {}) };
      show(options, await withBackend(options, (b) => b.moveConsultation(expect(id, 'consultation', name), body)), renderConsultation);
    });
  }

  targetOptions(
    decisions
      .command('propose <consultation>')
      .description('draft a proposal from the response-options catalogue in a consultation')
      .requiredOption('--title <text>', 'the proposal, in a line')
      .requiredOption('--text <text>', 'the text to be agreed')
      .requiredOption('--options <list>', `comma-separated response options (${RESPONSE_OPTION_KEYS.join(', ')})`)
      .option('--proportionality <text>', 'why the response is proportionate'),
  ).action(async (id: string, options: TargetOptions & Json & { title: string; text: string; options: string; proportionality?: string }) => {
    const input: ProposalInput = {
      title: saying(options.title, '--title'),
      text: saying(options.text, '--text'),
      options: listOf(options.options, RESPONSE_OPTION_KEYS, '--options') ?? [],
      ...(options.proportionality !== undefined ? { proportionality: options.proportionality } : {}),
    };
    if (input.options.length === 0) throw new CliError(EXIT.usage, `--options names no response option: give one or more of ${RESPONSE_OPTION_KEYS.join(', ')}`);
    show(options, await withBackend(options, (b) => b.propose(expect(id, 'consultation', 'propose'), input)), renderProposal);
  });

  targetOptions(
    decisions
      .command('proposals')
      .description('proposals you may read, newest change first (--status silence: what is under silence now)')
      .option('--status <list>', `comma-separated statuses (${PROPOSAL_STATUSES.join(', ')})`)
      .option('--limit <n>', 'at most this many (1 to 200)'),
  ).action(async (options: TargetOptions & Json & { status?: string; limit?: string }) => {
    const status = listOf<ProposalStatus>(options.status, PROPOSAL_STATUSES, '--status');
    const limit = integer(options.limit, '--limit', 1, 200);
    show(options, await withBackend(options, (b) => b.proposals(status, limit)), renderProposals);
  });

  targetOptions(decisions.command('proposal <proposal>').description('a proposal: its text, silence, breaks, amendments and decision record')).action(async (id: string, options: TargetOptions & Json) => {
    show(options, await withBackend(options, (b) => b.proposal(expect(id, 'proposal', 'proposal'))), renderProposal);
  });

  targetOptions(
    decisions
      .command('circulate <proposal>')
      .description('circulate a draft (or a proposal returned to consultation) under silence: adopted at the deadline unless a member breaks silence before it')
      .option('--hours <n>', 'the silence runs this many hours from now')
      .option('--deadline <time>', 'the silence runs until this time: RFC 3339, or +DURATION (+3d)'),
  ).action(async (id: string, options: TargetOptions & Json & { hours?: string; deadline?: string }) => {
    const body = silenceOf(options, true);
    show(options, await withBackend(options, (b) => b.circulate(expect(id, 'proposal', 'circulate'), body)), renderProposal);
  });

  targetOptions(
    decisions
      .command('break <proposal>')
      .description("break silence in your member's name, before the deadline: the proposal returns to consultation")
      .requiredOption('--reason <text>', 'why your member cannot agree to the text'),
  ).action(async (id: string, options: TargetOptions & Json & { reason: string }) => {
    const body = { reason: saying(options.reason, '--reason') };
    show(options, await withBackend(options, (b) => b.breakSilence(expect(id, 'proposal', 'break'), body)), renderProposal);
  });

  targetOptions(
    decisions
      .command('amend <proposal>')
      .description('amend the text of a proposal (under silence, silence restarts: by default as long as the last)')
      .requiredOption('--text <text>', 'the amended text')
      .option('--title <text>', 'a new title')
      .option('--options <list>', 'comma-separated response options, replacing the proposal\'s')
      .option('--proportionality <text>', 'why the response is proportionate')
      .option('--reason <text>', 'why it is amended')
      .option('--hours <n>', 'under silence: the new silence runs this many hours from now')
      .option('--deadline <time>', 'under silence: the new silence runs until this time'),
  ).action(
    async (id: string, options: TargetOptions & Json & { text: string; title?: string; options?: string; proportionality?: string; reason?: string; hours?: string; deadline?: string }) => {
      if (options.options !== undefined && words(options.options).length === 0) throw new CliError(EXIT.usage, `--options names no response option: give one or more of ${RESPONSE_OPTION_KEYS.join(', ')}`);
      const body: AmendInput = {
        text: saying(options.text, '--text'),
        ...(options.title !== undefined ? { title: saying(options.title, '--title') } : {}),
        ...(options.options !== undefined ? { options: listOf(options.options, RESPONSE_OPTION_KEYS, '--options')! } : {}),
        ...(options.proportionality !== undefined ? { proportionality: options.proportionality } : {}),
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        ...silenceOf(options, false),
      };
      show(options, await withBackend(options, (b) => b.amend(expect(id, 'proposal', 'amend'), body)), renderProposal);
    },
  );

  targetOptions(decisions.command('withdraw <proposal>').description('withdraw a proposal that is not adopted').option('--reason <text>', 'why')).action(
    async (id: string, options: TargetOptions & Json & { reason?: string }) => {
      const body = options.reason !== undefined ? { reason: options.reason } : {};
      show(options, await withBackend(options, (b) => b.withdraw(expect(id, 'proposal', 'withdraw'), body)), renderProposal);
    },
  );

  targetOptions(decisions.command('records').description('decision records you may read, newest first').option('--limit <n>', 'at most this many (1 to 200)')).action(
    async (options: TargetOptions & Json & { limit?: string }) => {
      const limit = integer(options.limit, '--limit', 1, 200);
      show(options, await withBackend(options, (b) => b.records(limit)), renderRecords);
    },
  );

  targetOptions(
    decisions
      .command('statements')
      .description('coordinated attribution statements you may read')
      .option('--status <list>', `comma-separated statuses (${STATEMENT_STATUSES.join(', ')})`)
      .option('--limit <n>', 'at most this many (1 to 200)'),
  ).action(async (options: TargetOptions & Json & { status?: string; limit?: string }) => {
    const status = listOf<StatementStatus>(options.status, STATEMENT_STATUSES, '--status');
    const limit = integer(options.limit, '--limit', 1, 200);
    show(options, await withBackend(options, (b) => b.statements(status, limit)), renderStatements);
  });

  const statement = decisions.command('statement').description('a coordinated attribution statement: draft it, join, decline or cancel it, export it');
  markingOptions(
    targetOptions(
      statement
        .command('draft')
        .description("draft an attribution statement in your member's name and invite members to join it before it is published")
        .requiredOption('--title <text>', 'the statement, in a line')
        .requiredOption('--text <text>', 'the text to be published')
        .requiredOption('--actor <ref>', 'the actor attributed (intrusion-set--…, campaign--… or threat-actor--…)')
        .requiredOption('--publish-at <time>', 'when it is published with the members that joined: RFC 3339, or +DURATION (+7d)')
        .requiredOption('--invite <list>', 'comma-separated codes of the members invited to join')
        .option('--attributed-to <ref>', 'whom the actor is attributed to (threat-actor--…, or intrusion-set--… for a campaign)')
        .option('--confidence <n>', 'confidence of the attribution, 0 to 100 (default 85)')
        .option('--consultation <id>', 'the consultation it comes from'),
    ),
    'the draft',
  ).action(
    async (
      options: TargetOptions & Json & MarkingOptions & {
        title: string; text: string; actor: string; publishAt: string; invite: string; attributedTo?: string; confidence?: string; consultation?: string;
      },
    ) => {
      const confidence = integer(options.confidence, '--confidence', 0, 100);
      const input: StatementInput = {
        title: saying(options.title, '--title'),
        text: saying(options.text, '--text'),
        actor_ref: stixRef(options.actor, ['intrusion-set', 'campaign', 'threat-actor'], '--actor'),
        publish_at: timeOf(options.publishAt, '--publish-at').toISOString(),
        invited: words(options.invite),
        ...(options.attributedTo !== undefined ? { attributed_to_ref: stixRef(options.attributedTo, ['threat-actor', 'intrusion-set'], '--attributed-to') } : {}),
        ...(confidence !== undefined ? { confidence } : {}),
        ...(options.consultation !== undefined ? { consultation_id: expect(options.consultation, 'consultation', '--consultation') } : {}),
        ...markingOf(options),
      };
      show(options, await withBackend(options, (b) => b.draft(input)), renderStatement);
    },
  );

  for (const [response, description] of [
    ['join', 'join an attribution statement your member is invited to'],
    ['decline', 'decline an attribution statement your member is invited to, with the reason'],
    ['cancel', 'cancel an attribution statement your member drafted, before it is published'],
  ] as const) {
    targetOptions(statement.command(`${response} <statement>`).description(description).option('--reason <text>', response === 'decline' ? 'why (declining needs one)' : 'why')).action(
      async (id: string, options: TargetOptions & Json & { reason?: string }) => {
        if (response === 'decline' && (options.reason === undefined || options.reason.trim() === '')) throw new CliError(EXIT.usage, 'a member declines with its reason: give --reason "…"');
        const body = { response, ...(options.reason !== undefined ? { reason: options.reason } : {}) };
        show(options, await withBackend(options, (b) => b.respond(expect(id, 'attribution-statement', response), body)), renderStatement);
      },
    );
  }

  targetOptions(
    statement
      .command('export <statement>')
      .description('an attribution statement as a STIX 2.1 bundle (report, attributed-to relationship) or as plain text; a draft as it would be published now')
      .requiredOption('--format <format>', 'stix or text'),
    false,
  ).action(async (id: string, options: TargetOptions & { format: string }) => {
    const format = oneOf(options.format, ['stix', 'text'] as const, '--format');
    expect(id, 'attribution-statement', 'export');
    if (format === 'stix') io.out(`${JSON.stringify(await withBackend(options, (b) => b.stix(id)), null, 2)}\n`);
    else io.out(await withBackend(options, (b) => b.text(id)));
  });
}
