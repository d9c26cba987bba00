/**
 * What a notification says, and how it is signed. Pure: the service decides who receives it and
 * cuts the change to what that reader may see before it comes here.
 *
 * A notice is the incident's change as the event bus announced it, without its access (who may
 * know of it is the node's business), with its handling shown as a reader needs it to handle the
 * notice (TLP, classification by name, releasability), and with only the links the subscriber
 * may read. Every channel leaves the node, so an incident the policy keeps inside
 * (externalNotice: TLP:RED, AMBER+STRICT) is told of by reference only: what changed, where to
 * read it, its handling; nothing of its content.
 */
import { createHmac } from 'node:crypto';
import { DEFAULT_CLASSIFICATIONS, EVERYONE } from '../../policy/markings.js';
import { externalNotice, type RecordAccess } from '../../policy/record.js';
import { handlingOfAccess, MILESTONE_NAMES, type AssistanceChange, type AssistanceChangeKind, type Milestone, type Urgency } from '../assistance/assistance.model.js';
import type { IncidentChange } from '../incidents/incidents.model.js';
import { SEVERITY_LEVELS } from '../incidents/incidents.scoring.js';

/** Handling as a notice shows it. */
export interface NoticeHandling {
  /** clear, green, amber, amber+strict, red; null: no TLP. */
  tlp: string | null;
  /** The classification by name (UNCLASSIFIED ... TOP SECRET). */
  classification: string;
  /** Member codes, group names, '@user' entries and '*' it is released to. */
  releasability: string[];
}

/** A notice in full: the change without its access, with its handling and where to read it. */
export type FullNotice = { notice: 'full' } & Omit<IncidentChange, 'access'> & { link: string; handling: NoticeHandling };

/** A notice by reference: that the incident changed, where to read it, and its handling; no content. */
export interface ReferenceNotice {
  notice: 'reference';
  id: string;
  version: number;
  change: IncidentChange['change'];
  modified: string;
  link: string;
  handling: NoticeHandling;
}

export type IncidentNotice = FullNotice | ReferenceNotice;

/** Where the incident is read on the node: its page in the web application, a path the receiver puts after the node's address. */
export function incidentLink(id: string): string {
  return `/#/incidents/${encodeURIComponent(id)}`;
}

export const EVENTS = ['incident.created', 'incident.updated', 'assistance.changed', 'assistance.overdue', 'test'] as const;
export type NotifyEvent = (typeof EVENTS)[number];
export type AssistanceEvent = Extract<NotifyEvent, `assistance.${string}`>;

export function eventOf(change: Pick<IncidentChange, 'change'>): NotifyEvent {
  return change.change === 'created' ? 'incident.created' : 'incident.updated';
}

// --- mutual assistance -----------------------------------------------------------------------------

/** A notice of an assistance change in full: the change without its access, with its handling and where to read its request. */
export interface FullAssistanceNotice {
  notice: 'full';
  record: AssistanceChange['record'];
  id: string;
  request_id: string;
  incident_id: string;
  change: AssistanceChangeKind;
  title: string;
  status: string;
  urgency: Urgency;
  requesting_member: string | null;
  milestone?: Milestone;
  modified: string;
  link: string;
  handling: NoticeHandling;
}

/**
 * A notice of an assistance change by reference: what changed (the record, the change, the clock
 * overdue), where to read it, its handling; nothing of its content (no title, status, urgency,
 * requesting member, nor the incident it is for).
 */
export interface AssistanceReferenceNotice {
  notice: 'reference';
  record: AssistanceChange['record'];
  id: string;
  request_id: string;
  change: AssistanceChangeKind;
  milestone?: Milestone;
  modified: string;
  link: string;
  handling: NoticeHandling;
}

export type AssistanceNotice = FullAssistanceNotice | AssistanceReferenceNotice;

/** What each change is called in a mail. Every kind has its words: a kind added to the model must be named here. */
export const ASSISTANCE_CHANGE_WORDS: Readonly<Record<AssistanceChangeKind, string>> = Object.freeze({
  requested: 'Assistance requested',
  approval: 'Request for assistance approved by a coordinator',
  approved: 'Request for assistance approved',
  rejected: 'Request for assistance rejected',
  withdrawn: 'Request for assistance withdrawn',
  closed: 'Request for assistance closed',
  offered: 'Assistance offered',
  'offer-accepted': 'Offer of assistance accepted',
  'offer-declined': 'Offer of assistance declined',
  'offer-withdrawn': 'Offer of assistance withdrawn',
  deployment: 'Deployment changed',
  sitrep: 'Situation report from a deployment',
  overdue: 'Response clock overdue',
});

/** Where the request is read on the node: its page in the web application (as incidentLink). */
export function assistanceLink(requestId: string): string {
  return `/#/assistance/${encodeURIComponent(requestId)}`;
}

export function assistanceEventOf(change: Pick<AssistanceChange, 'change'>): AssistanceEvent {
  return change.change === 'overdue' ? 'assistance.overdue' : 'assistance.changed';
}

/** An assistance notice cut to a reference, under this handling (the record's newest, when it was re-marked since). */
export function assistanceReferenceOf(notice: Pick<AssistanceNotice, 'record' | 'id' | 'request_id' | 'change' | 'milestone' | 'modified'>, handling: NoticeHandling): AssistanceReferenceNotice {
  return {
    notice: 'reference',
    record: notice.record,
    id: notice.id,
    request_id: notice.request_id,
    change: notice.change,
    ...(notice.milestone !== undefined ? { milestone: notice.milestone } : {}),
    modified: notice.modified,
    link: assistanceLink(notice.request_id),
    handling,
  };
}

/** The assistance change as one subscriber receives it: by reference when the policy keeps its content on the node (externalNotice), otherwise in full. */
export function assistanceNoticeOf(change: AssistanceChange, contentLevel: number): AssistanceNotice {
  return noticeUnder(change.access, contentLevel, (handling) => assistanceReferenceOf(change, handling), (handling): FullAssistanceNotice => ({
    notice: 'full',
    record: change.record,
    id: change.id,
    request_id: change.request_id,
    incident_id: change.incident_id,
    change: change.change,
    title: change.title,
    status: change.status,
    urgency: change.urgency,
    requesting_member: change.requesting_member,
    ...(change.milestone !== undefined ? { milestone: change.milestone } : {}),
    modified: change.modified,
    link: assistanceLink(change.request_id),
    handling,
  }));
}

/**
 * A change as one subscriber receives it, under the record's handling: by reference when the
 * policy keeps its content on the node (externalNotice), otherwise in full.
 */
function noticeUnder<Reference, Full>(access: RecordAccess, contentLevel: number, reference: (handling: NoticeHandling) => Reference, full: (handling: NoticeHandling) => Full): Reference | Full {
  const handling: NoticeHandling = handlingOfAccess(access);
  return externalNotice(access, contentLevel) === 'reference' ? reference(handling) : full(handling);
}

/** A notice cut to a reference, under this handling (the incident's newest, when it was re-marked since). */
export function referenceOf(notice: Pick<IncidentNotice, 'id' | 'version' | 'change' | 'modified'>, handling: NoticeHandling): ReferenceNotice {
  return { notice: 'reference', id: notice.id, version: notice.version, change: notice.change, modified: notice.modified, link: incidentLink(notice.id), handling };
}

/**
 * The change as one subscriber receives it: by reference when the policy keeps its content on
 * the node (externalNotice), otherwise in full with `linked` cut to the ids it may read.
 */
export function noticeOf(change: IncidentChange, readableLinks: ReadonlySet<string>, contentLevel: number): IncidentNotice {
  return noticeUnder(change.access, contentLevel, (handling) => referenceOf(change, handling), (handling): FullNotice => ({
    notice: 'full',
    id: change.id,
    version: change.version,
    change: change.change,
    title: change.title,
    status: change.status,
    level: change.level,
    score: change.score,
    significant: change.significant,
    sectors: [...change.sectors],
    member: change.member,
    linked: change.linked.filter((id) => readableLinks.has(id)),
    source: change.source,
    modified: change.modified,
    link: incidentLink(change.id),
    handling,
  }));
}

/** The body of a webhook delivery (JSON). */
export type WebhookBody =
  | { event: 'incident.created' | 'incident.updated'; delivery: string; subscription: string; incident: IncidentNotice }
  | { event: AssistanceEvent; delivery: string; subscription: string; assistance: AssistanceNotice }
  | { event: 'test'; delivery: string; subscription: string; message: string };

/** A test delivery's notice: no incident, only what says it comes from the subscription. */
export function testMessage(subscriptionName: string): string {
  return `A test delivery of the subscription '${subscriptionName}': this channel receives the node's notifications.`;
}

/** The signature header's value: HMAC-SHA256 of `timestamp.body` under the subscription's secret, in hex. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The handling banner: [TLP:AMBER RESTRICTED REL TO ALLIANCE, FRA]. */
export function banner(handling: NoticeHandling): string {
  const parts = [
    ...(handling.tlp ? [`TLP:${handling.tlp.toUpperCase()}`] : []),
    handling.classification,
    ...(handling.releasability.length > 0 ? [`REL TO ${handling.releasability.map((entry) => (entry === EVERYONE ? 'EVERYONE' : entry)).join(', ')}`] : []),
  ];
  return `[${parts.join(' ')}]`;
}

/** Level 3 High; null when unscored. */
export function levelText(level: number | null): string | null {
  if (level === null) return null;
  const name = SEVERITY_LEVELS.find((l) => l.level === level)?.name;
  return name ? `level ${level} ${name}` : `level ${level}`;
}

/** Text of a header or a line: no control characters (a title cannot add a header or forge a banner line). */
function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface MailMessage {
  subject: string;
  text: string;
}

/** A notice as a mail: the banner in the subject and on the first and last line of the body. */
export function incidentMail(notice: IncidentNotice, subscriptionName: string): MailMessage {
  if (notice.notice === 'reference') return referenceMail(notice, subscriptionName);
  const line = banner(notice.handling);
  const level = levelText(notice.level);
  const what = notice.change === 'created' ? 'Incident reported' : 'Incident updated';
  const title = oneLine(notice.title, 200);
  const subject = `${line} ${what}: ${title}${level ? ` (${level})` : ''}`;
  const body = [
    line,
    '',
    `${what}: ${title}`,
    '',
    `Severity:    ${level ? `${level}${notice.score !== null ? `, score ${notice.score}` : ''}${notice.significant ? ', significant' : ''}` : 'not scored'}`,
    `Status:      ${notice.status}`,
    `Sectors:     ${notice.sectors.length > 0 ? notice.sectors.join(', ') : 'none named'}`,
    `Reported by: ${notice.member ?? 'the node'}${notice.source === 'peer' ? ' (received from a peer node)' : ''}`,
    `Changed:     ${notice.modified}`,
    `Incident:    ${notice.id} (version ${notice.version})`,
    `Read it:     ${notice.link} on the node`,
    ...(notice.linked.length > 0 ? ['', 'Linked intelligence:', ...notice.linked.map((id) => `  ${id}`)] : []),
    ...closing(notice.handling, line, subscriptionName),
  ].join('\n');
  return { subject, text: body };
}

/** A notice by reference as a mail: the incident's id, where to read it and its handling; no title, nothing of its content. */
function referenceMail(notice: ReferenceNotice, subscriptionName: string): MailMessage {
  const line = banner(notice.handling);
  const what = notice.change === 'created' ? 'Incident reported' : 'Incident updated';
  const marking = notice.handling.tlp ? `TLP:${notice.handling.tlp.toUpperCase()}` : 'its marking';
  const body = [
    line,
    '',
    `${what}: ${notice.id} (version ${notice.version})`,
    '',
    `Its content stays on the node: marked ${marking}, it is not sent by e-mail or webhook.`,
    `Read it:     ${notice.link} on the node (API: /api/v1/incidents/${notice.id})`,
    `Changed:     ${notice.modified}`,
    ...closing(notice.handling, line, subscriptionName),
  ].join('\n');
  return { subject: `${line} ${what}: ${notice.id}`, text: body };
}

/** What a mail calls the change: "Time to approval overdue" for a clock, the change's words otherwise. */
function assistanceWhat(notice: Pick<AssistanceNotice, 'change' | 'milestone'>): string {
  if (notice.change !== 'overdue' || notice.milestone === undefined) return ASSISTANCE_CHANGE_WORDS[notice.change];
  const name = MILESTONE_NAMES[notice.milestone];
  return `${name.charAt(0).toUpperCase()}${name.slice(1)} overdue`;
}

/** An assistance notice as a mail: the banner in the subject and on the first and last line of the body. */
export function assistanceMail(notice: AssistanceNotice, subscriptionName: string): MailMessage {
  const line = banner(notice.handling);
  const what = assistanceWhat(notice);
  // An offer's or a deployment's own id, beside its request's.
  const recordLine = notice.record === 'offer' ? [`Offer:       ${notice.id}`] : notice.record === 'deployment' ? [`Deployment:  ${notice.id}`] : [];
  if (notice.notice === 'reference') {
    const marking = notice.handling.tlp ? `TLP:${notice.handling.tlp.toUpperCase()}` : 'its marking';
    const body = [
      line,
      '',
      `${what}: ${notice.request_id}`,
      '',
      `Its content stays on the node: marked ${marking}, it is not sent by e-mail or webhook.`,
      `Request:     ${notice.request_id}`,
      ...recordLine,
      `Read it:     ${notice.link} on the node`,
      `Changed:     ${notice.modified}`,
      ...closing(notice.handling, line, subscriptionName),
    ].join('\n');
    return { subject: `${line} ${what}: ${notice.request_id}`, text: body };
  }
  const title = oneLine(notice.title, 200);
  const body = [
    line,
    '',
    `${what}: ${title}`,
    '',
    `Urgency:     ${notice.urgency}`,
    `Status:      ${notice.status}`,
    ...(notice.milestone !== undefined ? [`Clock:       ${MILESTONE_NAMES[notice.milestone]}, past its target`] : []),
    `Requested by: ${notice.requesting_member ?? 'the node'}`,
    `Changed:     ${notice.modified}`,
    `Request:     ${notice.request_id}`,
    ...recordLine,
    `Incident:    ${notice.incident_id}`,
    `Read it:     ${notice.link} on the node`,
    ...closing(notice.handling, line, subscriptionName),
  ].join('\n');
  return { subject: `${line} ${what}: ${title} (${notice.urgency})`, text: body };
}

function closing(handling: NoticeHandling, line: string, subscriptionName: string): string[] {
  return ['', `Handle this message as marked: ${handlingWords(handling)}.`, `You receive it through your subscription '${oneLine(subscriptionName, 100)}'.`, '', line, ''];
}

export function testMail(subscriptionName: string): MailMessage {
  const line = banner({ tlp: 'clear', classification: DEFAULT_CLASSIFICATIONS[0], releasability: [EVERYONE] });
  return {
    subject: `${line} Test notification: ${oneLine(subscriptionName, 100)}`,
    text: [line, '', testMessage(oneLine(subscriptionName, 100)), '', line, ''].join('\n'),
  };
}

function handlingWords(handling: NoticeHandling): string {
  return [
    handling.tlp ? `TLP:${handling.tlp.toUpperCase()}` : 'no TLP',
    `classification ${handling.classification}`,
    handling.releasability.length > 0 ? `releasable to ${handling.releasability.join(', ')}` : 'releasable to nobody beyond its originator',
  ].join(', ');
}
