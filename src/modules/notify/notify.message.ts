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

export const EVENTS = ['incident.created', 'incident.updated', 'test'] as const;
export type NotifyEvent = (typeof EVENTS)[number];

export function eventOf(change: Pick<IncidentChange, 'change'>): NotifyEvent {
  return change.change === 'created' ? 'incident.created' : 'incident.updated';
}

export function noticeHandling(access: RecordAccess): NoticeHandling {
  return {
    tlp: access.tlp,
    classification: DEFAULT_CLASSIFICATIONS[access.classification] ?? `level ${access.classification}`,
    releasability: [...access.releasability],
  };
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
  const handling = noticeHandling(change.access);
  if (externalNotice(change.access, contentLevel) === 'reference') return referenceOf(change, handling);
  return {
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
  };
}

/** The body of a webhook delivery (JSON). */
export type WebhookBody =
  | { event: 'incident.created' | 'incident.updated'; delivery: string; subscription: string; incident: IncidentNotice }
  | { event: 'test'; delivery: string; subscription: string; message: string };

/** A test delivery's notice: no incident, only what says it comes from the subscription. */
export function testMessage(subscriptionName: string): string {
  return `A test delivery of the subscription '${subscriptionName}': this channel receives the node's incident notifications.`;
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
