/**
 * The printable incident report: one neutral model of its sections (reportModel), rendered as a
 * print-ready HTML document (reportHtml) and as a PDF (reportPdf, through incidents.pdf.ts).
 * Both carry the handling banner (TLP, classification, releasability) at the top and the bottom
 * of every printed page, as classified documents do: a page that lies on a desk alone still
 * says how to treat it. Pure: no I/O; the export route reads the incident (already decided by
 * canReadRecord and redacted) and sends what these return.
 *
 * The HTML holds no script and no external resource, and styles only through its one inline
 * <style> element (no style attributes), so that the route can send it under a
 * Content-Security-Policy allowing inline style alone. Every value from the incident is escaped.
 */
import { ownValue } from '../../stix/lookup.js';
import { SECTORS, type Incident, type IncidentHandling, type IncidentStatus } from './incidents.model.js';
import { renderPdf, type PdfBlock, type Rgb } from './incidents.pdf.js';

/** Names for the scoring's keys (incidents.scoring.ts); without it the report prints the keys. */
export interface ReportScoring {
  categoryName(key: string): string;
  optionLabel(category: string, option: string): string;
}

export interface ReportContext {
  /** The node the report is printed from. */
  nodeName: string;
  /** The reporting member's name (its code is on the incident). */
  memberName?: string | null;
  /** When the report was made (ISO 8601). */
  generatedAt: string;
  /** Display names of the linked objects and the suspected actor the reader may read, by STIX id. */
  linkedNames?: Record<string, string>;
  scoring?: ReportScoring;
}

export interface ReportFact {
  label: string;
  value: string;
}

export interface ReportColumn {
  label: string;
  /** Relative width: the columns share the page's width in proportion. */
  width: number;
}

/** Which part of the report a section is (fixed names: the HTML uses them as classes). */
export type ReportSectionKey = 'summary' | 'facts' | 'severity' | 'timeline' | 'tasks' | 'links';

export type ReportSection =
  | { kind: 'text'; key: ReportSectionKey; heading: string; text: string }
  | { kind: 'facts'; key: ReportSectionKey; heading: string; facts: ReportFact[] }
  | {
      kind: 'table';
      key: ReportSectionKey;
      heading: string;
      /** A line above the table (the severity's score). */
      note?: string;
      columns: ReportColumn[];
      rows: string[][];
      /** Printed instead of the table when it has no rows. */
      empty: string;
    };

export interface ReportBanner {
  /** "TLP:AMBER · RESTRICTED · REL TO ALLIANCE, FRA". */
  text: string;
  /** The TLP 2.0 colour of its text, as #RRGGBB (printed on black). */
  colour: string;
}

/** The report, as both renderers read it. */
export interface ReportModel {
  title: string;
  incidentId: string;
  banner: ReportBanner;
  /** The line under the title: what this is, from which node, when. */
  subtitle: string;
  nodeName: string;
  /** When it was made (ISO 8601, as the context gave it). */
  generatedAt: string;
  sections: ReportSection[];
}

// ---------------------------------------------------------------------------------------------
// The handling banner

const TLP_LABELS: Readonly<Record<string, string>> = {
  clear: 'TLP:CLEAR',
  white: 'TLP:CLEAR',
  green: 'TLP:GREEN',
  amber: 'TLP:AMBER',
  'amber+strict': 'TLP:AMBER+STRICT',
  red: 'TLP:RED',
};

/** The colours TLP 2.0 (FIRST, "TLP colour-coding") gives each label's text on black. */
const TLP_COLOURS: Readonly<Record<string, string>> = {
  clear: '#FFFFFF',
  white: '#FFFFFF',
  green: '#33FF00',
  amber: '#FFC000',
  'amber+strict': '#FFC000',
  red: '#FF2B2B',
};
/** Text colour of a banner without TLP. */
const NO_TLP_COLOUR = '#FFFFFF';

/**
 * The banner's text: the TLP 2.0 label (none without a TLP marking), the classification's name
 * in capitals, and the releasability: "REL TO" the entries; "REL TO ALL" for `*`; with no entry
 * the record is released to nobody beyond its originating member and owner (docs/POLICY.md,
 * "Records that are not STIX"), which the banner says as "REL TO ORIGINATOR ONLY".
 */
export function handlingBannerText(handling: IncidentHandling): string {
  const parts: string[] = [];
  const tlp = handling.tlp?.trim().toLowerCase();
  if (tlp) parts.push(TLP_LABELS[tlp] ?? `TLP:${tlp.toUpperCase()}`);
  const classification = handling.classification.trim().toUpperCase();
  // An empty name is a classification the node could not resolve: say so rather than guess.
  parts.push(classification === '' ? 'CLASSIFICATION UNKNOWN' : classification);
  const releasability = handling.releasability.map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (releasability.includes('*')) parts.push('REL TO ALL');
  else if (releasability.length === 0) parts.push('REL TO ORIGINATOR ONLY');
  else parts.push(`REL TO ${releasability.join(', ')}`);
  return parts.join(' · ');
}

export function handlingBanner(handling: IncidentHandling): ReportBanner {
  const tlp = handling.tlp?.trim().toLowerCase() ?? '';
  return { text: handlingBannerText(handling), colour: TLP_COLOURS[tlp] ?? NO_TLP_COLOUR };
}

// ---------------------------------------------------------------------------------------------
// The model

const STATUS_NAMES: Readonly<Record<IncidentStatus, string>> = {
  new: 'New',
  triaged: 'Triaged',
  contained: 'Contained',
  eradicated: 'Eradicated',
  recovered: 'Recovered',
  closed: 'Closed',
};

const TIMELINE_KINDS: Readonly<Record<string, string>> = { note: 'Note', status: 'Status', scoring: 'Severity', link: 'Link', task: 'Task' };
const NONE = '—';

/** An ISO 8601 time as "2026-03-01 14:05 UTC"; anything else (a bare date, free text) as it is. */
export function formatTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return NONE;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return value;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  const iso = new Date(time).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** STIX 2.1 Appendix A: the None/Low/Med/High scale of a confidence value (section 3.2). */
function confidenceWord(confidence: number): string {
  if (confidence <= 0) return 'None';
  if (confidence < 30) return 'Low';
  if (confidence < 70) return 'Med';
  return 'High';
}

function sectorName(key: string): string {
  return SECTORS.find((sector) => sector.key === key)?.name ?? key;
}

function listOrNone(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : NONE;
}

function actorText(incident: Incident, names: Record<string, string>): string {
  const actor = incident.actor;
  if (actor === null) return NONE;
  const refName = actor.ref !== null ? ownValue(names, actor.ref) : undefined;
  const name = actor.name ?? refName ?? null;
  const who = name !== null && actor.ref !== null ? `${name} (${actor.ref})` : (name ?? actor.ref ?? 'unnamed');
  return `${who}, confidence ${actor.confidence} / 100 (${confidenceWord(actor.confidence)})`;
}

function severityText(incident: Incident): string {
  const severity = incident.severity;
  if (severity === null) return 'not scored';
  const significant = severity.significant ? ' · significant' : '';
  return `${severity.score} / 100 · level ${severity.level} ${severity.level_name}${significant}`;
}

function reportingMember(incident: Incident, context: ReportContext): string {
  if (incident.member === null) return `${context.nodeName} (this node)`;
  return context.memberName ? `${context.memberName} (${incident.member})` : incident.member;
}

function facts(incident: Incident, context: ReportContext): ReportFact[] {
  const names = context.linkedNames ?? {};
  const rows: ReportFact[] = [
    { label: 'Incident', value: incident.id },
    { label: 'Status', value: STATUS_NAMES[incident.status] ?? incident.status },
    { label: 'Severity', value: severityText(incident) },
    { label: 'Reporting member', value: reportingMember(incident, context) },
    { label: 'Reported by', value: incident.owner ?? NONE },
    { label: 'Handler', value: incident.handler ?? 'not assigned' },
    { label: 'Sectors', value: listOrNone(incident.sectors.map(sectorName)) },
    { label: 'Systems', value: listOrNone(incident.systems) },
    { label: 'Started', value: formatTime(incident.started_at) },
    { label: 'Detected', value: formatTime(incident.detected_at) },
    { label: 'Reported', value: formatTime(incident.created) },
    { label: 'Last changed', value: `${formatTime(incident.modified)} (version ${incident.version})` },
    { label: 'Suspected actor', value: actorText(incident, names) },
  ];
  if (incident.recipients.length > 0) rows.push({ label: 'Addressed to', value: incident.recipients.join(', ') });
  if (incident.source === 'peer') rows.push({ label: 'Source', value: 'received from a peer node (read only here)' });
  return rows;
}

/**
 * Characters of timeline text a report prints. A report is rendered on the node's main thread
 * on request: an incident may hold 1,000 entries of 10,000 characters each, whose PDF took 1.5 s
 * to write, every export of it holding up every other request. Past this budget the oldest
 * entries are left out, and a first row says how many (the STIX export holds them all).
 */
export const REPORT_TIMELINE_CHARS = 300_000;

/** The timeline in time order (entries at the same time keep their written order), the newest within REPORT_TIMELINE_CHARS. */
function timelineRows(incident: Incident): string[][] {
  const rows = incident.timeline
    .map((entry, index) => ({ entry, index, time: Date.parse(entry.at) }))
    .sort((a, b) => (Number.isNaN(a.time) || Number.isNaN(b.time) || a.time === b.time ? a.index - b.index : a.time - b.time))
    .map(({ entry }) => [formatTime(entry.at), TIMELINE_KINDS[entry.kind] ?? entry.kind, entry.author ?? 'node', entry.text]);
  let budget = REPORT_TIMELINE_CHARS;
  let first = rows.length;
  while (first > 0 && budget - rows[first - 1]![3]!.length >= 0) budget -= rows[--first]![3]!.length;
  if (first === 0) return rows;
  return [['', 'Not printed', 'node', `${first} earlier ${first === 1 ? 'entry is' : 'entries are'} not printed in this report; export the incident as STIX for the whole timeline.`], ...rows.slice(first)];
}

/** The sections of the report of an incident, as the reader may read it. */
export function reportModel(incident: Incident, context: ReportContext): ReportModel {
  const names = context.linkedNames ?? {};
  const scoring = context.scoring;
  const summary = incident.summary?.trim() ?? '';
  const sections: ReportSection[] = [
    { kind: 'text', key: 'summary', heading: 'Summary', text: summary !== '' ? summary : 'No summary given.' },
    { kind: 'facts', key: 'facts', heading: 'Facts', facts: facts(incident, context) },
  ];
  const severity = incident.severity;
  sections.push({
    kind: 'table',
    key: 'severity',
    heading: 'Severity',
    ...(severity !== null ? { note: `Score ${severityText(incident)}.` } : {}),
    columns: [
      { label: 'Category', width: 2 },
      { label: 'Selection', width: 3 },
    ],
    rows: Object.entries(severity?.selections ?? {}).map(([category, option]) => [
      scoring ? scoring.categoryName(category) : category,
      scoring ? scoring.optionLabel(category, option) : option,
    ]),
    empty: severity === null ? 'Not scored.' : 'No selections.',
  });
  sections.push({
    kind: 'table',
    key: 'timeline',
    heading: 'Timeline',
    columns: [
      { label: 'When', width: 2.2 },
      { label: 'Kind', width: 1.1 },
      { label: 'Author', width: 1.5 },
      { label: 'Entry', width: 6 },
    ],
    rows: timelineRows(incident),
    empty: 'No timeline entries.',
  });
  sections.push({
    kind: 'table',
    key: 'tasks',
    heading: 'Tasks',
    columns: [
      { label: 'Task', width: 5 },
      { label: 'Status', width: 1.2 },
      { label: 'Assignee', width: 2 },
      { label: 'Due', width: 2.2 },
    ],
    rows: incident.tasks.map((task) => [task.title, task.status === 'done' ? 'Done' : 'Open', task.assignee ?? NONE, formatTime(task.due)]),
    empty: 'No tasks.',
  });
  sections.push({
    kind: 'table',
    key: 'links',
    heading: 'Linked intel',
    columns: [
      { label: 'Object', width: 5 },
      { label: 'Kind', width: 1.4 },
      { label: 'Note', width: 4 },
    ],
    rows: incident.links.map((link) => {
      const name = ownValue(names, link.object_id);
      return [name ? `${name}\n${link.object_id}` : link.object_id, link.kind === 'observable' ? 'Observable' : 'Intel', link.note ?? ''];
    }),
    empty: 'No linked intel.',
  });
  return {
    title: incident.title,
    incidentId: incident.id,
    banner: handlingBanner(incident.handling),
    subtitle: `Incident report · ${context.nodeName} · generated ${formatTime(context.generatedAt)}`,
    nodeName: context.nodeName,
    generatedAt: context.generatedAt,
    sections,
  };
}

// ---------------------------------------------------------------------------------------------
// HTML

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: the five characters that could end either escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A colour safe to write into the style sheet: #RRGGBB, or white. */
function cssColour(colour: string): string {
  return /^#[0-9a-fA-F]{6}$/.test(colour) ? colour : NO_TLP_COLOUR;
}

/** Column widths as style rules by table position: numbers only, never text from the incident. */
function columnRules(model: ReportModel): string {
  const rules: string[] = [];
  model.sections.forEach((section, index) => {
    if (section.kind !== 'table') return;
    const total = section.columns.reduce((sum, column) => sum + Math.max(column.width, 0), 0) || 1;
    section.columns.forEach((column, position) => {
      const percent = Math.round((Math.max(column.width, 0) / total) * 1000) / 10;
      rules.push(`#s${index} col:nth-child(${position + 1}){width:${percent}%}`);
    });
  });
  return rules.join('\n');
}

const STYLE = `
@page { size: A4; margin: 12mm 14mm; @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Helvetica, Arial, sans-serif; color: #555; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font: 10pt/1.4 Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fff; }
.banner { background: #000; color: var(--tlp); font-weight: bold; font-size: 10pt; letter-spacing: 0.04em; text-align: center; padding: 1.5mm 4mm; overflow-wrap: anywhere; }
.layout { width: 100%; border-collapse: collapse; }
.layout > thead > tr > td, .layout > tfoot > tr > td, .layout > tbody > tr > td { padding: 0; }
.banner-space { display: none; }
main { padding: 6mm 4mm; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 1mm; overflow-wrap: anywhere; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
.subtitle { color: #555; margin: 0 0 4mm; font-size: 9pt; }
.text, table.grid td, table.facts td { white-space: pre-wrap; }
.text, table.grid td, table.grid th, table.facts td, table.facts th { overflow-wrap: anywhere; }
.note, .empty { color: #444; margin: 0 0 2mm; }
table.grid, table.facts { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 9pt; }
table.grid th, table.grid td, table.facts th, table.facts td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 0.3mm solid #bbb; }
table.grid thead th { background: #e6e6e6; }
table.facts th { width: 30%; }
tr { break-inside: avoid; page-break-inside: avoid; }
@media print {
  .banner { position: fixed; left: 0; right: 0; }
  .banner-top { top: 0; }
  .banner-bottom { bottom: 0; }
  .banner-space { display: block; height: 11mm; }
  main { padding: 0; max-width: none; }
}
`;

function htmlTable(section: Extract<ReportSection, { kind: 'table' }>): string {
  const note = section.note !== undefined ? `<p class="note">${escapeHtml(section.note)}</p>\n` : '';
  if (section.rows.length === 0) return `${note}<p class="empty">${escapeHtml(section.empty)}</p>`;
  const cols = section.columns.map(() => '<col>').join('');
  const head = section.columns.map((column) => `<th scope="col">${escapeHtml(column.label)}</th>`).join('');
  const body = section.rows
    .map((row) => `<tr>${section.columns.map((_, index) => `<td>${escapeHtml(row[index] ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  return `${note}<table class="grid"><colgroup>${cols}</colgroup>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function htmlSection(section: ReportSection, index: number): string {
  let content: string;
  switch (section.kind) {
    case 'text':
      content = `<p class="text">${escapeHtml(section.text)}</p>`;
      break;
    case 'facts':
      content = `<table class="facts"><tbody>\n${section.facts
        .map((fact) => `<tr><th scope="row">${escapeHtml(fact.label)}</th><td>${escapeHtml(fact.value)}</td></tr>`)
        .join('\n')}\n</tbody></table>`;
      break;
    case 'table':
      content = htmlTable(section);
  }
  return `<section id="s${index}" class="section-${section.key}">\n<h2>${escapeHtml(section.heading)}</h2>\n${content}\n</section>`;
}

/**
 * The report as one HTML5 document, ready to print on A4. On paper the banner is `position:
 * fixed`, which browsers repeat on every printed page; the layout table's header and footer
 * (repeated on every page too) hold space for it, so that the text never runs under it.
 */
export function reportHtml(model: ReportModel): string {
  const banner = escapeHtml(model.banner.text);
  const sections = model.sections.map(htmlSection).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(model.title)} · ${banner}</title>
<style>${STYLE}:root { --tlp: ${cssColour(model.banner.colour)}; }
${columnRules(model)}
</style>
</head>
<body>
<div class="banner banner-top" role="note" aria-label="Handling">${banner}</div>
<table class="layout" role="presentation">
<thead><tr><td><div class="banner-space"></div></td></tr></thead>
<tfoot><tr><td><div class="banner-space"></div></td></tr></tfoot>
<tbody><tr><td>
<main>
<h1>${escapeHtml(model.title)}</h1>
<p class="subtitle">${escapeHtml(model.subtitle)}</p>
${sections}
</main>
</td></tr></tbody>
</table>
<div class="banner banner-bottom" role="note" aria-label="Handling">${banner}</div>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// PDF

function rgbOf(colour: string): Rgb {
  const hex = cssColour(colour).slice(1);
  return [parseInt(hex.slice(0, 2), 16) / 255, parseInt(hex.slice(2, 4), 16) / 255, parseInt(hex.slice(4, 6), 16) / 255];
}

const MUTED: Rgb = [0.33, 0.33, 0.33];

function pdfBlocks(section: ReportSection): PdfBlock[] {
  const blocks: PdfBlock[] = [{ kind: 'heading', text: section.heading }];
  switch (section.kind) {
    case 'text':
      blocks.push({ kind: 'paragraph', text: section.text });
      break;
    case 'facts':
      blocks.push({
        kind: 'table',
        header: false,
        boldFirstColumn: true,
        columns: [
          { label: 'Fact', width: 3 },
          { label: 'Value', width: 7 },
        ],
        rows: section.facts.map((fact) => [fact.label, fact.value]),
      });
      break;
    case 'table':
      if (section.note !== undefined) blocks.push({ kind: 'paragraph', text: section.note, colour: MUTED });
      if (section.rows.length === 0) blocks.push({ kind: 'paragraph', text: section.empty, colour: MUTED });
      else blocks.push({ kind: 'table', header: true, columns: section.columns, rows: section.rows });
  }
  return blocks;
}

/** The report as a PDF file (A4, the banner at the top and bottom of every page, "Page n of N"). */
export function reportPdf(model: ReportModel): Buffer {
  return renderPdf({
    title: `${model.title} · ${model.banner.text}`,
    banner: { text: model.banner.text, colour: rgbOf(model.banner.colour), background: [0, 0, 0] },
    footer: `${model.nodeName} · incident report ${model.incidentId} · generated ${formatTime(model.generatedAt)}`,
    created: model.generatedAt,
    blocks: [
      { kind: 'title', text: model.title },
      { kind: 'paragraph', text: model.subtitle, size: 8.5, colour: MUTED },
      ...model.sections.flatMap(pdfBlocks),
    ],
  });
}
