/**
 * Incident use cases: report, read, change (with the explicit state machine), score, annotate,
 * link, export, and read back incidents received as STIX. Every read goes through the records
 * rule (policy/record.ts): a SQL pre-filter, then canReadRecord on each row. Every change is made
 * by the reporting member's users, the owner or a delegate (canWriteRecord), with the version the
 * writer saw, audited in the same transaction as the change, and stored as a new version of the
 * incident's STIX object, which is how it federates (incidents.stix.ts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppContext } from '../../core/context.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { shieldwallError } from '../../core/errors.js';
import { BACKGROUND, writeTransaction, type WriteTx } from '../../db/database.js';
import { classificationLevel, DEFAULT_CLASSIFICATIONS, EVERYONE, isObjectRecord, releasabilityEntries, type Tlp } from '../../policy/markings.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../policy/principal.js';
import { readersCovered } from '../../policy/rule.js';
import {
  canCreateRecord, canReadRecord, canWriteRecord, recordAccessOfColumns, recordColumns, recordReadScope, type RecordAccess, type RecordWriteDenial,
} from '../../policy/record.js';
import type { StixObject } from '../../stix/types.js';
import * as audit from '../audit/audit.service.js';
import * as directory from '../directory/directory.service.js';
import * as intel from '../intel/intel.service.js';
import {
  allowedTransitions, type Incident, type IncidentChange, type IncidentLink, type IncidentSeverity, type IncidentStatus, type IncidentSummary, type IncidentTask,
  MOVES_TO_CLOSED, type SuspectedActor, TIMELINE_LIMITS, type TimelineEntry,
} from './incidents.model.js';
import * as repo from './incidents.repo.js';
import { HANDLING_ATTEMPTS } from '../../policy/handling-ids.js';
import { scoreIncident, SEVERITY_LEVELS, validateSelections } from './incidents.scoring.js';
import {
  handlingDefinitionFor, fittedIncidentObject, INCIDENT_EXTENSION_ID, incidentExtensionDefinition, incidentOfStix, linkRelationship, linkRelationshipId, markingRefsOf, type IncidentVersion,
} from './incidents.stix.js';
import { incidentWeights } from './incidents.weights.js';
import { scoringNames } from './incidents.scoring.view.js';
import type { ReportContext } from './incidents.report.js';

/** Bounds of one incident: what a writer may add, so that no incident grows without limit. */
/** What other modules read of incidents as STIX (the cumulative assessment follows them in the intel store). */
export { INCIDENT_EXTENSION_ID, type IncidentExtension } from './incidents.stix.js';
export { SECTORS } from './incidents.model.js';

export const INCIDENT_LIMITS = Object.freeze({ timeline: TIMELINE_LIMITS.entries, tasks: 500, links: 500, systems: 100, sectors: 30, entries: 100 });
/** Incidents per page of the board. */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

/** What an incident keeps besides its columns. */
interface IncidentDocument {
  summary: string | null;
  systems: string[];
  handler: string | null;
  started_at: string | null;
  detected_at: string | null;
  actor: SuspectedActor | null;
  severity: IncidentSeverity | null;
  timeline: TimelineEntry[];
  tasks: IncidentTask[];
  links: IncidentLink[];
  delegates: string[];
}

/** A stored incident as the service works on it. */
interface Stored {
  row: repo.IncidentRow;
  access: RecordAccess;
  document: IncidentDocument;
}

/** Whether two accesses give a record the same handling columns. */
const sameHandling = (a: RecordAccess, b: RecordAccess) => JSON.stringify(recordColumns(a)) === JSON.stringify(recordColumns(b));

function load(row: repo.IncidentRow): Stored {
  return { row, access: recordAccessOfColumns(row), document: JSON.parse(row.document) as IncidentDocument };
}

const sectorsColumn = (sectors: readonly string[]) => `,${sectors.join(',')},`;

function classificationNameOf(level: number): string {
  return DEFAULT_CLASSIFICATIONS[level] ?? `LEVEL ${level}`;
}

/** The writers the record names besides its member and owner. */
function mayEdit(actor: Principal, stored: Stored): boolean {
  if (stored.row.source !== 'local') return false;
  return canWriteRecord(actor, stored.access, undefined, stored.document.delegates) === undefined;
}

/** The object a link entry of the timeline names ('Linked <id>', 'Unlinked <id>': the node writes them). */
const LINK_ENTRY = /^(?:Linked|Unlinked) (\S+)$/;

function linkEntryObject(entry: TimelineEntry): string | undefined {
  return entry.kind === 'link' ? LINK_ENTRY.exec(entry.text)?.[1] : undefined;
}

/** Every object an incident's links and the timeline's link entries name. */
function namedObjects(document: Pick<IncidentDocument, 'links' | 'timeline'>): Set<string> {
  const named = new Set(document.links.map((link) => link.object_id));
  for (const entry of document.timeline) {
    const object = linkEntryObject(entry);
    if (object !== undefined) named.add(object);
  }
  return named;
}

/**
 * The links, and the timeline's entries about links, that a reader who may know only of the
 * objects `known` decides may be told of: a link tells that its object exists, so it is shown
 * to those who may read the object (an entry naming an object otherwise: none).
 */
function linksKnown(document: Pick<IncidentDocument, 'links' | 'timeline'>, known: (id: string) => boolean): { links: IncidentLink[]; timeline: TimelineEntry[] } {
  return {
    links: document.links.filter((link) => known(link.object_id)),
    timeline: document.timeline.filter((entry) => {
      const object = entry.kind === 'link' ? linkEntryObject(entry) : undefined;
      return entry.kind !== 'link' || (object !== undefined && known(object));
    }),
  };
}

/**
 * The objects an incident's links and link entries name that the reader may be told of: those it
 * may read (`readable`), and (with `unheld`, for the incident's writers, who keep its links) those
 * this node does not hold at all, deleted since or never received (`unheld`): of these the writers
 * are told the id alone, which they may unlink, not the note another writer made about an object
 * they may never have read.
 */
async function readableLinked(ctx: AppContext, actor: Principal, document: Pick<IncidentDocument, 'links' | 'timeline'>, unheld = false): Promise<{ readable: Set<string>; unheld: Set<string> }> {
  const named = namedObjects(document);
  const gone = new Set<string>();
  if (named.size === 0) return { readable: named, unheld: gone };
  const readable = new Set((await intel.objectsByIds(ctx, actor, [...named])).keys());
  if (unheld) {
    const held = await intel.currentAccessOf(ctx, [...named].filter((id) => !readable.has(id)));
    for (const id of named) if (!readable.has(id) && !held.has(id)) gone.add(id);
  }
  return { readable, unheld: gone };
}

async function present(ctx: AppContext, actor: Principal, stored: Stored): Promise<Incident> {
  const { row, access } = stored;
  const { readable, unheld } = await readableLinked(ctx, actor, stored.document, mayEdit(actor, stored));
  const shown = linksKnown(stored.document, (id) => readable.has(id) || unheld.has(id));
  const document = { ...stored.document, ...shown, links: shown.links.map((link) => (unheld.has(link.object_id) ? { ...link, note: null } : link)) };
  const status = row.status as IncidentStatus;
  return {
    id: row.id,
    version: Number(row.version),
    title: row.title,
    summary: document.summary,
    status,
    allowed_transitions: [...allowedTransitions(status)],
    handler: document.handler,
    sectors: releasabilityEntries(row.sectors).slice(),
    systems: document.systems,
    started_at: document.started_at,
    detected_at: document.detected_at,
    created: row.created,
    modified: row.modified,
    member: access.originMember,
    owner: access.owner,
    source: row.source === 'peer' ? 'peer' : 'local',
    actor: document.actor,
    severity: document.severity,
    timeline: document.timeline,
    tasks: document.tasks,
    links: document.links,
    handling: { tlp: access.tlp, classification: classificationNameOf(access.classification), releasability: [...access.releasability] },
    delegates: document.delegates,
    recipients: [...access.recipients],
    may_edit: mayEdit(actor, stored),
  };
}

function summaryOf(row: repo.BoardRow, access: RecordAccess): IncidentSummary {
  const level = row.level === null ? null : Number(row.level);
  return {
    id: row.id,
    version: Number(row.version),
    title: row.title,
    status: row.status as IncidentStatus,
    sectors: releasabilityEntries(row.sectors).slice(),
    member: access.originMember,
    source: row.source === 'peer' ? 'peer' : 'local',
    created: row.created,
    modified: row.modified,
    handling: { tlp: access.tlp, classification: classificationNameOf(access.classification), releasability: [...access.releasability] },
    level,
    level_name: level === null ? null : (SEVERITY_LEVELS[level]?.name ?? null),
    score: row.score === null ? null : Number(row.score),
    significant: Number(row.significant) === 1,
  };
}

const notFound = (id: string) => shieldwallError('NOT_FOUND', `no incident ${id} (or you may not read it)`);

/**
 * The stored incident if the actor reads it; 404 otherwise (a refusal tells nothing of what
 * exists). The node itself (another module noting what happened, e.g. a closed assistance
 * deployment) reads every incident, as it writes every one (canWriteRecord).
 */
async function readable(ctx: AppContext, actor: Principal, id: string): Promise<Stored> {
  const row = await repo.findIncident(ctx.store.db, id);
  if (!row) throw notFound(id);
  const stored = load(row);
  if (actor.kind !== 'system' && !canReadRecord(actor, stored.access)) throw notFound(id);
  return stored;
}

export async function getIncident(ctx: AppContext, actor: Principal, id: string): Promise<Incident> {
  return present(ctx, actor, await readable(ctx, actor, id));
}

// --- the board ----------------------------------------------------------------------------------

export interface BoardQuery {
  status?: IncidentStatus[];
  level?: number[];
  member?: string[];
  sector?: string;
  significant?: boolean;
  q?: string;
  limit?: number;
  cursor?: string;
}

export async function listIncidents(ctx: AppContext, actor: Principal, query: BoardQuery): Promise<{ incidents: IncidentSummary[]; next_cursor: string | null }> {
  const limit = Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX);
  const rows = await repo.listIncidents(ctx.store.db, recordReadScope(actor), {
    ...(query.status ? { statuses: query.status } : {}),
    ...(query.level ? { levels: query.level } : {}),
    ...(query.member ? { members: query.member } : {}),
    ...(query.sector !== undefined ? { sector: query.sector } : {}),
    ...(query.significant !== undefined ? { significant: query.significant } : {}),
    ...(query.q !== undefined ? { q: query.q.toLowerCase() } : {}),
    ...(query.cursor !== undefined ? { before: decodeCursor(query.cursor, 'incident') } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  // The SQL condition is the rule's own (access-filter.ts); each row is still decided here. The
  // board reads no document: a summary is made of the columns.
  const incidents: IncidentSummary[] = [];
  for (const row of page) {
    const access = recordAccessOfColumns(row);
    if (canReadRecord(actor, access)) incidents.push(summaryOf(row, access));
  }
  return { incidents, next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}

/** Incidents by status and level, as the actor reads them. */
export async function incidentCounts(ctx: AppContext, actor: Principal): Promise<Array<{ status: string; level: number | null; count: number }>> {
  return repo.countIncidents(ctx.store.db, recordReadScope(actor));
}

// --- writing ------------------------------------------------------------------------------------

export interface MarkingInput {
  tlp?: Tlp | null;
  classification?: string;
  releasability?: string[];
  recipients?: string[];
}

export interface IncidentInput extends MarkingInput {
  title: string;
  summary?: string | null;
  sectors?: string[];
  systems?: string[];
  started_at?: string | null;
  detected_at?: string | null;
  handler?: string | null;
  actor?: { ref?: string | null; name?: string | null; confidence: number } | null;
  links?: Array<{ object_id: string; kind: IncidentLink['kind']; note?: string | null }>;
  selections?: Record<string, string>;
  delegates?: string[];
}

export type IncidentPatch = Partial<Omit<IncidentInput, 'links' | 'selections'>> & { version: number };

function denied(denial: RecordWriteDenial, id: string): Error {
  if (denial.rule === 'unreadable') return notFound(id);
  if (denial.rule === 'above-clearance') return shieldwallError('FORBIDDEN', denial.message);
  return shieldwallError('FORBIDDEN', `${denial.message} (incident ${id})`);
}

function classificationOf(name: string | undefined, fallback: number): number {
  if (name === undefined) return fallback;
  const level = classificationLevel(name);
  if (level === undefined) throw shieldwallError('BAD_REQUEST', `classification '${name}' is not one of ${DEFAULT_CLASSIFICATIONS.join(', ')}`, [{ path: 'body.classification', message: 'unknown classification' }]);
  return level;
}

function severityOf(selections: Record<string, string>, weights: Readonly<Record<string, number>>): IncidentSeverity {
  const problems = validateSelections(selections);
  if (problems.length > 0) throw shieldwallError('BAD_REQUEST', `invalid severity selections: ${problems.join('; ')}`, problems.map((message) => ({ path: 'body.selections', message })));
  const result = scoreIncident(selections, weights);
  return { score: result.score, level: result.level, level_name: result.level_name, significant: result.significant, selections: { ...selections } };
}

function checkTimes(startedAt: string | null, detectedAt: string | null): void {
  if (startedAt !== null && detectedAt !== null && Date.parse(detectedAt) < Date.parse(startedAt)) {
    throw shieldwallError('BAD_REQUEST', `detected_at (${detectedAt}) is before started_at (${startedAt}): an incident is detected once it has started`, [{ path: 'body.detected_at', message: 'before started_at' }]);
  }
}

function actorOf(input: IncidentInput['actor']): SuspectedActor | null {
  if (input === undefined || input === null) return null;
  const ref = input.ref ?? null;
  const name = input.name ?? null;
  if (ref === null && name === null) throw shieldwallError('BAD_REQUEST', 'a suspected actor needs a STIX id (ref: threat-actor--..., intrusion-set--... or campaign--...) or a name', [{ path: 'body.actor', message: 'ref or name required' }]);
  return { ref, name, confidence: input.confidence };
}

/** A timestamp that follows the previous version's, as STIX versions must (section 3.6). */
function nextModified(ctx: AppContext, previous: string | null): string {
  let now = ctx.clock.now().getTime();
  if (previous !== null) now = Math.max(now, Date.parse(previous) + 1);
  return new Date(now).toISOString();
}

/** The marking of a STIX copy: the recipients narrow the releasability to the members they name. */
async function stixReleasability(ctx: AppContext, access: RecordAccess): Promise<string[]> {
  if (access.recipients.length === 0) return [...access.releasability];
  const released = access.releasability;
  const members = new Map((await directory.listMembers(ctx, SYSTEM_PRINCIPAL)).map((member) => [member.code, member.groups]));
  // '@user' recipients are this node's users: a copy read elsewhere goes to none of them.
  return access.recipients.filter((entry) => {
    const groups = members.get(entry);
    if (groups === undefined) return false;
    return released.includes(EVERYONE) || released.includes(entry) || groups.some((group) => released.includes(group));
  });
}

/** Whether two lists hold the same entries, in any order. */
function sameEntries(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((entry, i) => entry === sorted[i]);
}

/** The handling marking-definition to use: the derived one, unless a different definition holds its id. */
async function handlingDefinition(ctx: AppContext, classification: number, releasability: readonly string[]): Promise<StixObject> {
  const table = await intel.handlingTable(ctx);
  const wanted = [...new Set(releasability)].sort();
  for (let attempt = 0; attempt < HANDLING_ATTEMPTS; attempt++) {
    const definition = handlingDefinitionFor(classification, releasability, attempt);
    const held = table.get(definition.id);
    if (held === undefined) return definition;
    // A definition without a list releases by the node's default, not to the list wanted (an
    // empty one is nobody): never the same marking.
    const heldList = held.releasableTo === undefined ? undefined : [...held.releasableTo].sort();
    if (held.classification === classification && heldList !== undefined && heldList.length === wanted.length && heldList.every((entry, i) => entry === wanted[i])) return definition;
  }
  throw shieldwallError('CONFLICT', 'no handling marking-definition id is free for this marking; contact the node administrator (the store holds definitions that differ from the ones this node derives)');
}

/**
 * The STIX objects of a version: the definitions it needs, the incident, and the relationships of
 * the links this version changed: those it added, those it removed (revoked), and all of them when
 * the incident was re-marked (a relationship carries the incident's markings). Links left as they
 * were keep their relationship's version.
 */
async function stixObjects(ctx: AppContext, stored: Stored, previous: { links: readonly IncidentLink[]; access: RecordAccess } | undefined): Promise<StixObject[]> {
  const { row, access, document } = stored;
  const releasability = await stixReleasability(ctx, access);
  const handling = await handlingDefinition(ctx, access.classification, releasability);
  const identities = await directory.memberIdentities(ctx);
  let createdByRef: string | null = null;
  for (const [identity, code] of identities) if (code === access.originMember) createdByRef = identity;
  // The links every reader of the copy may know of (their objects read by all of them): the others
  // stay on this node, shown to those who read their objects (present), and go in no copy.
  const named = [...namedObjects(document), ...(previous?.links ?? []).map((link) => link.object_id)];
  const targets = await intel.currentAccessOf(ctx, named);
  const marking = { tlp: access.tlp, classification: access.classification, releasability };
  const origin = { member: access.originMember, identity: createdByRef };
  const covered = (id: string) => (targets.get(id) ?? []).some((target) => readersCovered(target, marking, origin));
  const shared = linksKnown(document, covered);
  const version: IncidentVersion = {
    id: row.id,
    title: row.title,
    summary: document.summary,
    created: row.created,
    modified: row.modified,
    createdByRef,
    markingRefs: markingRefsOf(marking, handling.id),
    extension: {
      status: row.status as IncidentStatus,
      severity: document.severity,
      sectors: releasabilityEntries(row.sectors).slice(),
      systems: document.systems,
      handler: document.handler,
      started_at: document.started_at,
      detected_at: document.detected_at,
      actor: document.actor,
      timeline: shared.timeline,
      tasks: document.tasks,
      links: shared.links,
      reporting_member: access.originMember,
    },
  };
  const objects: StixObject[] = [incidentExtensionDefinition(), handling, fittedIncidentObject(version, ctx.config.maxObjectBytes)];
  const current = new Set(document.links.map((link) => link.object_id));
  const before = new Set((previous?.links ?? []).map((link) => link.object_id));
  const remarked = previous !== undefined && !sameHandling(previous.access, access);
  for (const link of shared.links) if (remarked || !before.has(link.object_id)) objects.push(linkRelationship(version, link, false));
  // The relationships to take back: of links removed, and of links no longer every reader's to
  // know of (the incident re-marked wider, or the object narrower since).
  const sharedIds = new Set(shared.links.map((link) => link.object_id));
  const withdrawn = [
    ...(previous?.links ?? []).filter((link) => !current.has(link.object_id)),
    ...document.links.filter((link) => !sharedIds.has(link.object_id)),
  ];
  objects.push(...(await revokedRelationships(ctx, row.id, withdrawn, row.modified)));
  return objects;
}

/**
 * The revoked versions of the relationships of these links that are stored and not revoked yet,
 * each under the markings it was stored with: a revoked version tells no reader of an object it
 * was not told of before (under the incident's markings now, re-marked wider, it would).
 */
async function revokedRelationships(ctx: AppContext, incidentId: string, links: readonly IncidentLink[], modified: string): Promise<StixObject[]> {
  if (links.length === 0) return [];
  const revoked: StixObject[] = [];
  for (const link of links) {
    // The node's own relationship as stored (not a read: nothing of it is answered here).
    const [stored] = await intel.storedCurrent(ctx, linkRelationshipId(incidentId, link.object_id, link.linked_at));
    const relationship = stored?.object;
    if (relationship === undefined || relationship.revoked === true) continue;
    const after = typeof relationship.modified === 'string' && relationship.modified >= modified ? new Date(Date.parse(relationship.modified) + 1).toISOString() : modified;
    revoked.push({ ...relationship, modified: after, revoked: true });
  }
  return revoked;
}

/**
 * Stores a version: its STIX objects through the intel pipeline (as the node: the incidents
 * module decided who may write), the row and its audit entry in the same transaction.
 */
async function persist(ctx: AppContext, actor: Principal, stored: Stored, objects: StixObject[], write: (tx: WriteTx) => Promise<void>, event: audit.AuditEvent): Promise<void> {
  const problems: string[] = [];
  let wrote = false;
  await intel.ingestObjects(ctx, SYSTEM_PRINCIPAL, objects, {
    onOutcome: (outcome) => {
      if (outcome.status === 'rejected') problems.push(`${outcome.id ?? '?'}: ${outcome.errors?.map((e) => e.message).join('; ') ?? 'rejected'}`);
    },
    inTransaction: async (tx) => {
      if (wrote) return;
      wrote = true;
      await write(tx);
      await audit.recordInTransaction(ctx, tx, actor, [event]);
    },
  });
  if (!wrote) {
    throw shieldwallError('INTERNAL', `incident ${stored.row.id} was not stored: ${problems.join('; ') || 'the store refused its STIX objects'}`);
  }
  if (problems.length > 0) ctx.logger.warn({ incident: stored.row.id, problems }, 'incident: some of its STIX objects were refused');
}

function changeEvent(stored: Stored, change: IncidentChange['change']): IncidentChange {
  const { row, access, document } = stored;
  return {
    id: row.id,
    version: Number(row.version),
    change,
    title: row.title,
    status: row.status as IncidentStatus,
    level: row.level === null ? null : Number(row.level),
    score: row.score === null ? null : Number(row.score),
    significant: Number(row.significant) === 1,
    sectors: releasabilityEntries(row.sectors).slice(),
    member: access.originMember,
    linked: document.links.map((link) => link.object_id),
    access,
    source: row.source === 'peer' ? 'peer' : 'local',
    modified: row.modified,
  };
}

function rowOf(base: repo.IncidentRow, access: RecordAccess, document: IncidentDocument, changes: Partial<repo.IncidentRow>): repo.IncidentRow {
  const severity = document.severity;
  return {
    ...base,
    ...changes,
    level: severity === null ? null : severity.level,
    score: severity === null ? null : severity.score,
    significant: severity?.significant ? 1 : 0,
    document: JSON.stringify(document),
    ...recordColumns(access),
  };
}

/** Reports an incident in the actor's own name (its member, itself as owner). */
export async function reportIncident(ctx: AppContext, actor: Principal, input: IncidentInput): Promise<Incident> {
  const access: RecordAccess = {
    tlp: input.tlp === undefined ? 'amber' : input.tlp,
    classification: classificationOf(input.classification, 0),
    releasability: input.releasability ?? [...ctx.config.defaultReleasability],
    originMember: actor.member?.code ?? null,
    owner: actor.userName,
    recipients: input.recipients ?? [],
  };
  const denial = canCreateRecord(actor, access);
  if (denial) throw shieldwallError('FORBIDDEN', denial.message);
  if (actor.kind !== 'system' && actor.member === null) throw shieldwallError('FORBIDDEN', 'incidents are reported by a member: your account acts for no member');
  const startedAt = input.started_at ?? null;
  const detectedAt = input.detected_at ?? null;
  checkTimes(startedAt, detectedAt);
  await checkLinkable(ctx, actor, (input.links ?? []).map((link) => link.object_id));
  const now = nextModified(ctx, null);
  const document: IncidentDocument = {
    summary: input.summary ?? null,
    systems: input.systems ?? [],
    handler: input.handler ?? null,
    started_at: startedAt,
    detected_at: detectedAt,
    actor: actorOf(input.actor),
    severity: input.selections ? severityOf(input.selections, incidentWeights(ctx)) : null,
    timeline: [{ id: randomUUID(), at: now, author: actor.userName, kind: 'status', text: 'Reported' }],
    tasks: [],
    links: dedupeLinks(input.links ?? [], now),
    delegates: input.delegates ?? [],
  };
  const id = `incident--${randomUUID()}`;
  const base: repo.IncidentRow = {
    id, version: 1, title: input.title, status: 'new', level: null, score: null, significant: 0, sectors: sectorsColumn(input.sectors ?? []), source: 'local',
    created: now, modified: now, document: '', tlp: null, classification: null, releasability: null, origin_member: null, owner: null, recipients: null,
  };
  const stored = load(rowOf(base, access, document, {}));
  const objects = await stixObjects(ctx, stored, undefined);
  await persist(ctx, actor, stored, objects, (tx) => repo.insertIncident(tx, stored.row), {
    action: 'incidents.report',
    subject: id,
    detail: { title: stored.row.title, level: stored.row.level, member: access.originMember, tlp: access.tlp, classification: access.classification },
  });
  ctx.bus.publish('incidents.changed', changeEvent(stored, 'created'));
  return present(ctx, actor, stored);
}

/** Links without repeats (the first link of an object stays, with when it was made); new ones dated `now`. */
function dedupeLinks(links: ReadonlyArray<{ object_id: string; kind: IncidentLink['kind']; note?: string | null; linked_at?: string }>, now: string): IncidentLink[] {
  const seen = new Map<string, IncidentLink>();
  for (const link of links) {
    if (!seen.has(link.object_id)) seen.set(link.object_id, { object_id: link.object_id, kind: link.kind, note: link.note ?? null, linked_at: link.linked_at ?? now });
  }
  if (seen.size > INCIDENT_LIMITS.links) throw shieldwallError('BAD_REQUEST', `an incident links at most ${INCIDENT_LIMITS.links} objects`);
  return [...seen.values()];
}

interface Mutation {
  access?: RecordAccess;
  document?: IncidentDocument;
  title?: string;
  status?: IncidentStatus;
  sectors?: string[];
}

/**
 * The one way a stored incident changes: read it (404 if the actor may not), refuse copies
 * received as STIX, check the writer (canWriteRecord with the record's delegates) and the version
 * the writer saw, then store the next version with its audit entry and announce it.
 */
async function change(
  ctx: AppContext,
  actor: Principal,
  id: string,
  expected: number | undefined,
  action: string,
  mutate: (stored: Stored, now: string) => Mutation,
  detail: Record<string, unknown> = {},
): Promise<Incident> {
  const stored = await readable(ctx, actor, id);
  if (stored.row.source !== 'local') {
    throw shieldwallError('CONFLICT', `incident ${id} was received from another node as STIX: it is changed on the node of its reporting member ${stored.access.originMember ?? ''} and arrives here as a new version`);
  }
  const writeDenial = canWriteRecord(actor, stored.access, undefined, stored.document.delegates);
  if (writeDenial) throw denied(writeDenial, id);
  if (expected !== undefined && expected !== Number(stored.row.version)) {
    throw shieldwallError('STALE_VERSION', `incident ${id} is at version ${stored.row.version}, you changed version ${expected}: reload it and make your change again`, { current_version: Number(stored.row.version) });
  }
  const now = nextModified(ctx, stored.row.modified);
  const mutation = mutate(stored, now);
  const access = mutation.access ?? stored.access;
  const document = mutation.document ?? stored.document;
  // Who reads the incident and who changes it are the reporting member's and the owner's to
  // decide: a delegate changes the case, not its markings nor the list of delegates.
  const delegatesChanged = !sameEntries(document.delegates, stored.document.delegates);
  if (mutation.access || delegatesChanged) {
    const denial = canWriteRecord(actor, stored.access, access);
    if (denial) {
      throw denied(
        denial.rule === 'not-writer'
          ? { rule: 'not-writer', message: `only the users of its reporting member${stored.access.originMember === null ? '' : ` ${stored.access.originMember}`} and its owner re-mark an incident or change its delegates; delegates change the rest` }
          : denial,
        id,
      );
    }
  }
  const next = load(
    rowOf(stored.row, access, document, {
      version: Number(stored.row.version) + 1,
      modified: now,
      ...(mutation.title !== undefined ? { title: mutation.title } : {}),
      ...(mutation.status !== undefined ? { status: mutation.status } : {}),
      ...(mutation.sectors !== undefined ? { sectors: sectorsColumn(mutation.sectors) } : {}),
    }),
  );
  const objects = await stixObjects(ctx, next, { links: stored.document.links, access: stored.access });
  await persist(
    ctx,
    actor,
    next,
    objects,
    async (tx) => {
      if (!(await repo.replaceIncident(tx, next.row, Number(stored.row.version)))) {
        throw shieldwallError('STALE_VERSION', `incident ${id} changed while your change was being made: reload it and make your change again`);
      }
    },
    { action, subject: id, detail: { version: Number(next.row.version), ...detail } },
  );
  await pruneStixCopies(ctx, id);
  ctx.bus.publish('incidents.changed', changeEvent(next, 'updated'));
  return present(ctx, actor, next);
}

/**
 * Versions of an incident's STIX copy this node keeps: every change stores the whole incident
 * again (its timeline with it), so 1,000 notes would leave half a million notes' worth of copies.
 * Older copies are deleted here (peers keep what they received); the record is the incident.
 */
export const STIX_COPIES_KEPT = 20;

async function pruneStixCopies(ctx: AppContext, id: string): Promise<void> {
  try {
    await intel.deleteOlderVersions(ctx, id, STIX_COPIES_KEPT, 100, (tx) =>
      audit.recordInTransaction(ctx, tx, SYSTEM_PRINCIPAL, [{ action: 'incidents.copies.pruned', subject: id, detail: { kept: STIX_COPIES_KEPT } }]),
    );
  } catch (error) {
    // The change is stored; the older copies go with the next one.
    ctx.logger.warn({ err: error, incident: id }, 'incident: older STIX copies could not be deleted');
  }
}

export async function updateIncident(ctx: AppContext, actor: Principal, id: string, patch: IncidentPatch): Promise<Incident> {
  const fields = Object.keys(patch).filter((key) => key !== 'version');
  return change(
    ctx,
    actor,
    id,
    patch.version,
    'incidents.update',
    (stored) => {
      const doc = stored.document;
      const document: IncidentDocument = {
        ...doc,
        ...(patch.summary !== undefined ? { summary: patch.summary } : {}),
        ...(patch.systems !== undefined ? { systems: patch.systems } : {}),
        ...(patch.handler !== undefined ? { handler: patch.handler } : {}),
        ...(patch.started_at !== undefined ? { started_at: patch.started_at } : {}),
        ...(patch.detected_at !== undefined ? { detected_at: patch.detected_at } : {}),
        ...(patch.actor !== undefined ? { actor: actorOf(patch.actor) } : {}),
        ...(patch.delegates !== undefined ? { delegates: patch.delegates } : {}),
      };
      checkTimes(document.started_at, document.detected_at);
      const remark = patch.tlp !== undefined || patch.classification !== undefined || patch.releasability !== undefined || patch.recipients !== undefined;
      const access: RecordAccess | undefined = remark
        ? {
            ...stored.access,
            ...(patch.tlp !== undefined ? { tlp: patch.tlp } : {}),
            classification: classificationOf(patch.classification, stored.access.classification),
            ...(patch.releasability !== undefined ? { releasability: patch.releasability } : {}),
            ...(patch.recipients !== undefined ? { recipients: patch.recipients } : {}),
          }
        : undefined;
      return { document, ...(access ? { access } : {}), ...(patch.title !== undefined ? { title: patch.title } : {}), ...(patch.sectors !== undefined ? { sectors: patch.sectors } : {}) };
    },
    { fields },
  );
}

/** Moves an incident along its state machine; 409 naming the allowed moves otherwise. */
export async function transition(ctx: AppContext, actor: Principal, id: string, to: IncidentStatus, note?: string, expected?: number): Promise<Incident> {
  let from: IncidentStatus | undefined;
  return change(
    ctx,
    actor,
    id,
    expected,
    'incidents.status',
    (stored, now) => {
      from = stored.row.status as IncidentStatus;
      const allowed = allowedTransitions(from);
      if (!allowed.includes(to)) {
        throw shieldwallError(
          'INVALID_TRANSITION',
          `incident ${id} is ${from}: it cannot move to ${to}; from ${from} it may move to ${allowed.join(' or ')}`,
          { from, to, allowed: [...allowed] },
        );
      }
      const changes = stored.document.timeline.reduce((count, entry) => count + (entry.kind === 'status' ? 1 : 0), 0);
      if (from === 'closed' && changes > TIMELINE_LIMITS.statusChanges - MOVES_TO_CLOSED) {
        throw shieldwallError(
          'CONFLICT',
          `incident ${id} has changed status ${changes} times: it may be reopened while its timeline holds at most ${TIMELINE_LIMITS.statusChanges - MOVES_TO_CLOSED} status changes; report a follow-up incident and link what it shares with this one`,
          { status_changes: changes, limit: TIMELINE_LIMITS.statusChanges - MOVES_TO_CLOSED },
        );
      }
      const text = `Status ${from} → ${to}${note ? `: ${note}` : ''}`;
      // Status entries are outside the entries' limit: a full timeline never blocks moving on and closing.
      return { status: to, document: { ...stored.document, timeline: [...stored.document.timeline, { id: randomUUID(), at: now, author: actor.userName, kind: 'status', text }] } };
    },
    { to },
  );
}

/** Bytes a text takes as stored (UTF-8 of its JSON, without the quotes): a control character takes six. */
function storedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/** How much room a timeline has for entries other than status changes: by count, by text, and within the most a timeline holds. */
function timelineRoom(document: IncidentDocument, text: string): 'room' | 'entries' | 'text' {
  let entries = 0;
  let statuses = 0;
  let bytes = storedBytes(text);
  for (const each of document.timeline) {
    if (each.kind === 'status') statuses++;
    else {
      entries++;
      bytes += storedBytes(each.text);
    }
  }
  // Room kept for the status changes still to come (an incident written before the limits may hold more).
  const kept = Math.max(0, TIMELINE_LIMITS.statusChanges - statuses);
  if (entries >= INCIDENT_LIMITS.timeline || document.timeline.length + kept >= TIMELINE_LIMITS.entries + TIMELINE_LIMITS.statusChanges) return 'entries';
  if (bytes > TIMELINE_LIMITS.noteBytes) return 'text';
  return 'room';
}

const TIMELINE_FULL = 'The timeline is full: later changes to links, tasks and severity are recorded in the audit log, not here.';

/** Adds a note; refused (409) when the timeline has no room for it. */
function appendNote(document: IncidentDocument, entry: TimelineEntry): IncidentDocument {
  const room = timelineRoom(document, entry.text);
  if (room === 'entries') {
    throw shieldwallError(
      'CONFLICT',
      `the incident's timeline holds ${INCIDENT_LIMITS.timeline} entries besides its status changes, its limit: summarise it in the incident's summary, or report a follow-up incident (its status can still be changed)`,
    );
  }
  if (room === 'text') {
    throw shieldwallError(
      'CONFLICT',
      `the incident's timeline holds ${TIMELINE_LIMITS.noteBytes / 1024 / 1024} MiB of text besides its status changes, its limit: write a shorter note, summarise it in the incident's summary, or report a follow-up incident (its status can still be changed)`,
    );
  }
  return { ...document, timeline: [...document.timeline, entry] };
}

/**
 * Adds one of the node's entries for scoring, links and tasks. The change it reports is made
 * whatever the timeline holds (a wrong link is always removed, a task always done): on a full
 * timeline the entry is left off, after one entry that says so.
 */
function appendNodeEntry(document: IncidentDocument, entry: TimelineEntry): IncidentDocument {
  if (timelineRoom(document, entry.text) === 'room') return { ...document, timeline: [...document.timeline, entry] };
  if (document.timeline.some((each) => each.kind === 'note' && each.author === null && each.text === TIMELINE_FULL)) return document;
  return { ...document, timeline: [...document.timeline, { id: randomUUID(), at: entry.at, author: null, kind: 'note', text: TIMELINE_FULL }] };
}

export async function scoreSeverity(ctx: AppContext, actor: Principal, id: string, selections: Record<string, string>, expected?: number): Promise<Incident> {
  const severity = severityOf(selections, incidentWeights(ctx));
  return change(
    ctx,
    actor,
    id,
    expected,
    'incidents.severity',
    (stored, now) => ({
      document: appendNodeEntry({ ...stored.document, severity }, { id: randomUUID(), at: now, author: actor.userName, kind: 'scoring', text: `Severity scored ${severity.score} (level ${severity.level} ${severity.level_name})` }),
    }),
    { score: severity.score, level: severity.level },
  );
}

/** A note the node writes of work elsewhere (a closed assistance deployment): left off a full timeline like the node's other entries. */
export async function addNodeNote(ctx: AppContext, actor: Principal, id: string, text: string): Promise<Incident> {
  return change(ctx, actor, id, undefined, 'incidents.timeline', (stored, now) => ({
    document: appendNodeEntry(stored.document, { id: randomUUID(), at: now, author: actor.userName, kind: 'note', text }),
  }));
}

export async function addTimelineEntry(ctx: AppContext, actor: Principal, id: string, text: string, at?: string): Promise<Incident> {
  return change(ctx, actor, id, undefined, 'incidents.timeline', (stored, now) => ({
    document: appendNote(stored.document, { id: randomUUID(), at: at ?? now, author: actor.userName, kind: 'note', text }),
  }));
}

export async function addTask(ctx: AppContext, actor: Principal, id: string, task: { title: string; assignee?: string | null; due?: string | null }): Promise<Incident> {
  return change(ctx, actor, id, undefined, 'incidents.task', (stored, now) => {
    if (stored.document.tasks.length >= INCIDENT_LIMITS.tasks) throw shieldwallError('CONFLICT', `an incident holds at most ${INCIDENT_LIMITS.tasks} tasks: remove one no longer needed (DELETE /api/v1/incidents/${id}/tasks/{task}), or mark tasks done and report a follow-up incident`);
    const next: IncidentTask = { id: randomUUID(), title: task.title, assignee: task.assignee ?? null, status: 'open', due: task.due ?? null, created: now, modified: now };
    return { document: { ...stored.document, tasks: [...stored.document.tasks, next] } };
  });
}

export async function updateTask(
  ctx: AppContext,
  actor: Principal,
  id: string,
  taskId: string,
  changes: { title?: string; assignee?: string | null; due?: string | null; status?: IncidentTask['status'] },
): Promise<Incident> {
  return change(ctx, actor, id, undefined, 'incidents.task', (stored, now) => {
    const task = stored.document.tasks.find((t) => t.id === taskId);
    if (!task) throw shieldwallError('NOT_FOUND', `incident ${id} has no task ${taskId}`);
    const next: IncidentTask = { ...task, ...changes, modified: now };
    let document: IncidentDocument = { ...stored.document, tasks: stored.document.tasks.map((t) => (t.id === taskId ? next : t)) };
    if (changes.status !== undefined && changes.status !== task.status) {
      document = appendNodeEntry(document, { id: randomUUID(), at: now, author: actor.userName, kind: 'task', text: `Task ${changes.status === 'done' ? 'done' : 'reopened'}: ${next.title}` });
    }
    return { document };
  }, { task: taskId });
}

/** Removes a task (the node's entry for it is left off a full timeline like the others). */
export async function removeTask(ctx: AppContext, actor: Principal, id: string, taskId: string): Promise<Incident> {
  return change(ctx, actor, id, undefined, 'incidents.task', (stored, now) => {
    const task = stored.document.tasks.find((t) => t.id === taskId);
    if (!task) throw shieldwallError('NOT_FOUND', `incident ${id} has no task ${taskId}`);
    const document = { ...stored.document, tasks: stored.document.tasks.filter((t) => t.id !== taskId) };
    return { document: appendNodeEntry(document, { id: randomUUID(), at: now, author: actor.userName, kind: 'task', text: `Task removed: ${task.title}` }) };
  }, { task: taskId, removed: true });
}

/** Only what the writer reads may be linked: a link must not confirm that an unreadable object exists. */
async function checkLinkable(ctx: AppContext, actor: Principal, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await intel.objectsByIds(ctx, actor, ids);
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw shieldwallError('NOT_FOUND', `no object ${missing} (or you may not read it): link only objects you can open`);
}

export async function addLink(ctx: AppContext, actor: Principal, id: string, link: IncidentLink): Promise<Incident> {
  await checkLinkable(ctx, actor, [link.object_id]);
  return change(ctx, actor, id, undefined, 'incidents.link', (stored, now) => {
    const links = dedupeLinks([...stored.document.links, link], now);
    return { document: appendNodeEntry({ ...stored.document, links }, { id: randomUUID(), at: now, author: actor.userName, kind: 'link', text: `Linked ${link.object_id}` }) };
  }, { object: link.object_id });
}

export async function removeLink(ctx: AppContext, actor: Principal, id: string, objectId: string): Promise<Incident> {
  // As a link is shown only to those who read its object (or, one no longer held, to the
  // incident's writers), only they remove it.
  if ((await intel.currentAccessOf(ctx, [objectId])).has(objectId)) await checkLinkable(ctx, actor, [objectId]);
  return change(ctx, actor, id, undefined, 'incidents.unlink', (stored, now) => {
    if (!stored.document.links.some((link) => link.object_id === objectId)) throw shieldwallError('NOT_FOUND', `incident ${id} does not link ${objectId}`);
    const links = stored.document.links.filter((link) => link.object_id !== objectId);
    return { document: appendNodeEntry({ ...stored.document, links }, { id: randomUUID(), at: now, author: actor.userName, kind: 'link', text: `Unlinked ${objectId}` }) };
  }, { object: objectId });
}

// --- export -------------------------------------------------------------------------------------

/** The STIX bundle of an incident as the actor reads it: the incident, its links' relationships and the linked objects, with their definitions. */
export async function exportBundle(ctx: AppContext, actor: Principal, id: string): Promise<StixObject> {
  const stored = await readable(ctx, actor, id);
  const copy = (await intel.objectsByIds(ctx, actor, [id])).get(id);
  const links = stored.document.links.map((link) => link.object_id);
  const related = (await intel.objectsAbout(ctx, actor, 'relationship', [id])).objects.filter((r) => r.source_ref === id && r.revoked !== true);
  const linked = await intel.objectsByIds(ctx, actor, links);
  const objects: StixObject[] = [];
  if (copy) objects.push(await copyAsKnown(ctx, actor, copy));
  objects.push(...related, ...linked.values());
  const refs = new Set<string>();
  for (const object of objects) for (const ref of Array.isArray(object.object_marking_refs) ? object.object_marking_refs : []) if (typeof ref === 'string') refs.add(ref);
  refs.add(`${incidentExtensionDefinition().id}`);
  const definitions = await intel.objectsByIds(ctx, actor, [...refs].filter((ref) => ref.startsWith('marking-definition--') || ref.startsWith('extension-definition--')));
  await audit.record(ctx, actor, [{ action: 'incidents.export', subject: id, detail: { format: 'stix', objects: objects.length } }]);
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [...definitions.values(), ...objects] };
}

/**
 * A stored STIX copy of an incident with the links and link entries of its extension cut to those
 * the reader may know of (copies stored before their links were cut to those every reader of the
 * copy may know of name them all).
 */
async function copyAsKnown(ctx: AppContext, actor: Principal, copy: StixObject): Promise<StixObject> {
  const extensions = copy.extensions as Record<string, unknown> | undefined;
  const extension = extensions?.[INCIDENT_EXTENSION_ID];
  if (!isObjectRecord(extension) || !Array.isArray(extension.links) || !Array.isArray(extension.timeline)) return copy;
  const document = { links: extension.links as IncidentLink[], timeline: extension.timeline as TimelineEntry[] };
  const { readable } = await readableLinked(ctx, actor, document);
  return { ...copy, extensions: { ...extensions, [INCIDENT_EXTENSION_ID]: { ...extension, ...linksKnown(document, (object) => readable.has(object)) } } };
}

/** Names of the linked objects the actor reads, for the report. */
export async function linkedNames(ctx: AppContext, actor: Principal, incident: Incident): Promise<Record<string, string>> {
  const found = await intel.objectsByIds(ctx, actor, incident.links.map((link) => link.object_id));
  const names = Object.create(null) as Record<string, string>;
  for (const [id, object] of found) {
    const label = typeof object.name === 'string' ? object.name : typeof object.value === 'string' ? object.value : typeof object.pattern === 'string' ? object.pattern : id;
    names[id] = label.slice(0, 300);
  }
  return names;
}

// --- incidents received as STIX ---------------------------------------------------------------

/**
 * Reads STIX incident objects that arrived in the intel store from elsewhere (a peer node, an
 * import) into the board, read only, marked as the store marked them. Incidents reported here are
 * skipped: their row is the original.
 */
export async function receiveStix(ctx: AppContext, added: ReadonlyArray<{ id: string; seq: number }>): Promise<number> {
  let received = 0;
  const identities = await directory.memberIdentities(ctx);
  for (const id of new Set(added.map((entry) => entry.id))) {
    // Received copies are kept as few as this node's own (every version holds the whole incident).
    await pruneStixCopies(ctx, id);
    const existing = await repo.findIncident(ctx.store.db, id);
    if (existing && existing.source === 'local') continue;
    // The node reads the stored copy as itself; the board decides each reader on the row's markings.
    for (const { object: copy, row } of (await intel.storedCurrent(ctx, id)).slice(0, 1)) {
      if (copy.type !== 'incident') continue;
      const object = withoutGranularlyMarked(copy);
      const modified = typeof object.modified === 'string' ? object.modified : nextModified(ctx, null);
      // The version the board holds, told again: only its markings may have changed (it waited for
      // a marking-definition that has arrived). An older version changes nothing.
      const held = existing ? Math.sign(Date.parse(existing.modified) - Date.parse(modified)) : -1;
      if (held > 0) continue;
      if (object.revoked === true) {
        if (existing) await repoDelete(ctx, id);
        continue;
      }
      const handling = {
        tlp: row.tlp,
        classification: row.classification === null ? Number.MAX_SAFE_INTEGER : Number(row.classification),
        releasable_to: row.releasability === null ? [] : [...releasabilityEntries(row.releasability)],
        origin: row.created_by_ref === null ? null : (identities.get(row.created_by_ref) ?? row.origin_member),
      };
      const read = incidentOfStix(object);
      const access: RecordAccess = {
        tlp: handling.tlp as Tlp | null,
        classification: handling.classification,
        releasability: handling.releasable_to,
        originMember: handling.origin,
        owner: null,
        recipients: [],
      };
      const document: IncidentDocument = {
        summary: read.summary,
        systems: read.extension.systems,
        handler: read.extension.handler,
        started_at: read.extension.started_at,
        detected_at: read.extension.detected_at,
        actor: read.extension.actor,
        severity: read.extension.severity,
        timeline: read.extension.timeline,
        tasks: read.extension.tasks,
        links: read.extension.links,
        delegates: [],
      };
      const base: repo.IncidentRow = {
        id: object.id, version: Number(existing?.version ?? 0) + 1, title: read.title, status: read.extension.status, level: null, score: null, significant: 0,
        sectors: sectorsColumn(read.extension.sectors), source: 'peer', created: typeof object.created === 'string' ? object.created : modified, modified,
        document: '', tlp: null, classification: null, releasability: null, origin_member: null, owner: null, recipients: null,
      };
      const stored = load(rowOf(base, access, document, {}));
      if (held === 0 && sameHandling(access, load(existing!).access)) continue;
      await repoWrite(ctx, stored.row);
      received++;
      ctx.bus.publish('incidents.changed', changeEvent(stored, existing ? 'updated' : 'created'));
    }
  }
  return received;
}

/**
 * The object without the properties its granular markings cover (STIX 2.1 section 7.2.3): the
 * board's row is read by whoever reads the whole object, so what a stricter marking covers is
 * left out rather than shown to all of them. A marking on the name leaves the id as the title.
 */
function withoutGranularlyMarked(object: StixObject): StixObject {
  const granular = object.granular_markings;
  if (!Array.isArray(granular) || granular.length === 0) return object;
  const copy: Record<string, unknown> = { ...object };
  for (const marking of granular) {
    const selectors = typeof marking === 'object' && marking !== null && Array.isArray((marking as { selectors?: unknown }).selectors) ? (marking as { selectors: unknown[] }).selectors : [];
    for (const selector of selectors) if (typeof selector === 'string') delete copy[selector.split('.')[0]!.replace(/\[.*$/, '')];
  }
  copy.type = object.type;
  copy.id = object.id;
  return copy as StixObject;
}

// The board follows the store: its writes wait for a bulk ingest's transaction to commit rather than cut it short.
async function repoWrite(ctx: AppContext, row: repo.IncidentRow): Promise<void> {
  await writeTransaction(ctx.store, (tx) => repo.upsertReceived(tx, row), BACKGROUND);
}

async function repoDelete(ctx: AppContext, id: string): Promise<void> {
  await writeTransaction(ctx.store, (tx) => repo.deleteIncident(tx, id), BACKGROUND);
}

/** A received incident's STIX object was deleted from the store: its board row goes too. */
export async function forgetReceived(ctx: AppContext, id: string): Promise<void> {
  const existing = await repo.findIncident(ctx.store.db, id);
  if (existing && existing.source !== 'local') await repoDelete(ctx, id);
}

// --- the printable report ----------------------------------------------------------------------

/** What the printable report needs besides the incident: names the reader may see. */
export async function reportContext(ctx: AppContext, actor: Principal, incident: Incident): Promise<ReportContext> {
  const members = await directory.listMembers(ctx, actor);
  const member = members.find((m) => m.code === incident.member);
  return {
    nodeName: `Shieldwall node ${hostname()}`,
    memberName: member?.name ?? null,
    generatedAt: ctx.clock.now().toISOString(),
    linkedNames: await linkedNames(ctx, actor, incident),
    scoring: scoringNames(),
  };
}

/** An export of the report is a read worth recording: who took which incident away, in which form. */
export async function noteReportExport(ctx: AppContext, actor: Principal, id: string, format: string): Promise<void> {
  await audit.record(ctx, actor, [{ action: 'incidents.export', subject: id, detail: { format } }]);
}
