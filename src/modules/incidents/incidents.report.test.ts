import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Incident, TimelineEntry } from './incidents.model.js';
import { textWidth, toWinAnsi, wrapText } from './incidents.pdf.js';
import { INCIDENT_EXTENSION_ID, incidentOfStix } from './incidents.stix.js';
import { handlingBanner, handlingBannerText, REPORT_TIMELINE_CHARS, reportHtml, reportModel, reportPdf, type ReportContext } from './incidents.report.js';

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'incident--6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    version: 3,
    title: 'Ransomware at the port authority',
    summary: 'File servers encrypted; backups intact.',
    status: 'contained',
    allowed_transitions: ['eradicated'],
    handler: 'bob',
    sectors: ['transport', 'energy'],
    systems: ['fs01', 'fs02'],
    started_at: '2026-02-28T22:10:00Z',
    detected_at: '2026-03-01T01:02:03Z',
    created: '2026-03-01T02:00:00Z',
    modified: '2026-03-02T10:00:00Z',
    member: 'FRA',
    owner: 'francois',
    source: 'local',
    actor: { ref: 'intrusion-set--11111111-2222-4333-8444-555555555555', name: null, confidence: 75 },
    severity: { score: 62, level: 3, level_name: 'High', significant: true, selections: { impact: 'major', scope: 'national' } },
    timeline: [
      { id: 't2', at: '2026-03-01T03:00:00Z', author: 'alice', kind: 'note', text: 'Segment isolated.' },
      { id: 't1', at: '2026-03-01T01:02:03Z', author: null, kind: 'status', text: 'Detected by the SOC.' },
    ],
    tasks: [{ id: 'k1', title: 'Restore fs01', assignee: 'bob', status: 'open', due: '2026-03-05', created: '2026-03-01T02:00:00Z', modified: '2026-03-01T02:00:00Z' }],
    links: [{ object_id: 'indicator--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', kind: 'intel', note: 'C2 address' }],
    handling: { tlp: 'amber', classification: 'restricted', releasability: ['ALLIANCE', 'FRA'] },
    delegates: [],
    recipients: [],
    may_edit: true,
    ...overrides,
  };
}

const CONTEXT: ReportContext = {
  nodeName: 'Alliance hub',
  memberName: 'ANSSI',
  generatedAt: '2026-03-02T12:00:00Z',
  linkedNames: { 'indicator--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee': '198.51.100.7', 'intrusion-set--11111111-2222-4333-8444-555555555555': 'Sea Serpent' },
};

function timeline(count: number): TimelineEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `t${index}`,
    at: new Date(Date.UTC(2026, 2, 1) + index * 60_000).toISOString(),
    author: 'alice',
    kind: 'note' as const,
    text: `Entry ${index}: lateral movement towards the SCADA segment observed from the jump host.`,
  }));
}

// ---------------------------------------------------------------------------------------------
// A reader of the PDFs written here (uncompressed, one cross-reference section), for the checks.

interface ParsedPdf {
  text: string;
  /** Object number -> its body (between "n 0 obj" and "endobj"). */
  objects: Map<number, string>;
  /** Content stream of each page, in page order. */
  pageStreams: string[];
  count: number;
}

function parsePdf(pdf: Buffer): ParsedPdf {
  const text = pdf.toString('latin1');
  const startxref = /startxref\n(\d+)\n%%EOF\n?$/.exec(text);
  assert.ok(startxref, 'the file ends with startxref, its offset and %%EOF');
  const xrefAt = Number(startxref[1]);
  assert.equal(text.slice(xrefAt, xrefAt + 5), 'xref\n', 'startxref points at the xref keyword');
  const header = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt));
  assert.ok(header, 'one xref subsection starting at object 0');
  const size = Number(header[1]);
  const entriesAt = xrefAt + header[0].length;
  const objects = new Map<number, string>();
  for (let number = 0; number < size; number++) {
    const entry = text.slice(entriesAt + number * 20, entriesAt + (number + 1) * 20);
    const match = /^(\d{10}) (\d{5}) ([nf])(?: \n|\r\n)$/.exec(entry);
    assert.ok(match, `xref entry ${number} is 20 bytes: ${JSON.stringify(entry)}`);
    if (number === 0) {
      assert.equal(match[3], 'f', 'object 0 heads the free list');
      continue;
    }
    assert.equal(match[3], 'n');
    const offset = Number(match[1]);
    const opening = `${number} 0 obj\n`;
    assert.equal(text.slice(offset, offset + opening.length), opening, `xref offset of object ${number} points at "${number} 0 obj"`);
    const end = text.indexOf('\nendobj\n', offset);
    assert.ok(end > offset, `object ${number} ends with endobj`);
    objects.set(number, text.slice(offset + opening.length, end));
  }
  const trailer = /trailer\n<< \/Size (\d+) \/Root (\d+) 0 R/.exec(text.slice(xrefAt));
  assert.ok(trailer, 'a trailer naming the size and the root');
  assert.equal(Number(trailer[1]), size, 'the trailer /Size is the xref entry count');
  const catalog = objects.get(Number(trailer[2])) ?? '';
  const pagesRef = /\/Type \/Catalog \/Pages (\d+) 0 R/.exec(catalog);
  assert.ok(pagesRef, 'the root is a catalog');
  const pages = objects.get(Number(pagesRef[1])) ?? '';
  const kids = /\/Kids \[([^\]]*)\] \/Count (\d+)/.exec(pages);
  assert.ok(kids, 'the page tree lists its kids and count');
  const kidNumbers = [...kids[1]!.matchAll(/(\d+) 0 R/g)].map((match) => Number(match[1]));
  const count = Number(kids[2]);
  assert.equal(kidNumbers.length, count, '/Count is the number of kids');
  const pageStreams = kidNumbers.map((number) => {
    const page = objects.get(number) ?? '';
    assert.match(page, /^<< \/Type \/Page /, `object ${number} is a page`);
    const contents = /\/Contents (\d+) 0 R/.exec(page);
    assert.ok(contents, `page ${number} has contents`);
    const stream = objects.get(Number(contents[1])) ?? '';
    const streamHeader = /^<< \/Length (\d+) >>\nstream\n/.exec(stream);
    assert.ok(streamHeader, 'a content stream with its /Length');
    const data = stream.slice(streamHeader[0].length);
    // The text is latin1 here: one char per byte, so lengths are byte counts.
    assert.equal(data.length, Number(streamHeader[1]) + '\nendstream'.length, '/Length is the stream data length');
    assert.ok(data.endsWith('\nendstream'));
    return data.slice(0, Number(streamHeader[1]));
  });
  const typedPages = [...objects.values()].filter((body) => body.startsWith('<< /Type /Page ')).length;
  assert.equal(typedPages, count, 'every page object is in the page tree');
  return { text, objects, pageStreams, count };
}

/** The strings a content stream shows, unescaped (WinAnsi, one char per byte). */
function shownStrings(stream: string): string[] {
  return [...stream.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)].map((match) => match[1]!.replace(/\\(.)/g, '$1'));
}

/** pdftotext's text of each page when the tool is installed; undefined otherwise. */
function pdftotext(pdf: Buffer): string[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'shieldwall-report-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    const result = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    if (result.error !== undefined) return undefined;
    assert.equal(result.status, 0, `pdftotext read the file: ${result.stderr}`);
    return result.stdout.split('\f').slice(0, -1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

describe('handling banner', () => {
  it('reads TLP 2.0 label, classification in capitals and the releasability', () => {
    assert.equal(handlingBannerText({ tlp: 'amber', classification: 'restricted', releasability: ['ALLIANCE', 'FRA'] }), 'TLP:AMBER · RESTRICTED · REL TO ALLIANCE, FRA');
    assert.equal(handlingBannerText({ tlp: 'amber+strict', classification: 'CONFIDENTIAL', releasability: ['DEU'] }), 'TLP:AMBER+STRICT · CONFIDENTIAL · REL TO DEU');
    assert.equal(handlingBannerText({ tlp: 'white', classification: 'unclassified', releasability: ['*'] }), 'TLP:CLEAR · UNCLASSIFIED · REL TO ALL');
    assert.equal(handlingBannerText({ tlp: null, classification: 'secret', releasability: [] }), 'SECRET · REL TO ORIGINATOR ONLY');
    assert.equal(handlingBannerText({ tlp: 'red', classification: '', releasability: ['@alice'] }), 'TLP:RED · CLASSIFICATION UNKNOWN · REL TO @alice');
  });

  it('colours the text as TLP 2.0 does', () => {
    const colour = (tlp: string | null): string => handlingBanner({ tlp, classification: 'RESTRICTED', releasability: [] }).colour;
    assert.equal(colour('red'), '#FF2B2B');
    assert.equal(colour('amber'), '#FFC000');
    assert.equal(colour('amber+strict'), '#FFC000');
    assert.equal(colour('green'), '#33FF00');
    assert.equal(colour('clear'), '#FFFFFF');
    assert.equal(colour(null), '#FFFFFF');
  });
});

describe('reportModel', () => {
  it('gives the facts, the scoring names and the linked names', () => {
    const model = reportModel(incident(), {
      ...CONTEXT,
      scoring: { categoryName: (key) => `Category ${key}`, optionLabel: (category, option) => `${category}/${option} label` },
    });
    const facts = model.sections.find((section) => section.kind === 'facts');
    assert.ok(facts && facts.kind === 'facts');
    const fact = (label: string): string | undefined => facts.facts.find((row) => row.label === label)?.value;
    assert.equal(fact('Status'), 'Contained');
    assert.equal(fact('Severity'), '62 / 100 · level 3 High · significant');
    assert.equal(fact('Reporting member'), 'ANSSI (FRA)');
    assert.equal(fact('Sectors'), 'Transport, Energy');
    assert.equal(fact('Detected'), '2026-03-01 01:02 UTC');
    // STIX 2.1 Appendix A: 70-100 is High on the None/Low/Med/High scale.
    assert.equal(fact('Suspected actor'), 'Sea Serpent (intrusion-set--11111111-2222-4333-8444-555555555555), confidence 75 / 100 (High)');
    const severity = model.sections.find((section) => section.key === 'severity');
    assert.ok(severity && severity.kind === 'table');
    assert.deepEqual(severity.rows, [
      ['Category impact', 'impact/major label'],
      ['Category scope', 'scope/national label'],
    ]);
    const links = model.sections.find((section) => section.key === 'links');
    assert.ok(links && links.kind === 'table');
    assert.equal(links.rows[0]?.[0], '198.51.100.7\nindicator--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  });

  it('names a suspected actor or a link only by the names it was given, never by what every object inherits', () => {
    for (const ref of ['constructor', 'toString', '__proto__']) {
      const model = reportModel(incident({ actor: { ref, name: null, confidence: 10 }, links: [{ object_id: ref, kind: 'intel', note: null }] }), CONTEXT);
      const facts = model.sections.find((section) => section.kind === 'facts');
      assert.ok(facts && facts.kind === 'facts');
      assert.equal(facts.facts.find((row) => row.label === 'Suspected actor')?.value, `${ref}, confidence 10 / 100 (Low)`);
      const links = model.sections.find((section) => section.key === 'links');
      assert.ok(links && links.kind === 'table');
      assert.equal(links.rows[0]?.[0], ref);
    }
  });

  it('reads a received incident\'s actor and links only when they are STIX ids (2.9)', () => {
    const received = {
      type: 'incident', spec_version: '2.1', id: 'incident--aaaaaaaa-bbbb-4ccc-8ddd-000000000001', created: '2026-03-01T02:00:00Z', modified: '2026-03-01T02:00:00Z', name: 'Received',
      extensions: { [INCIDENT_EXTENSION_ID]: { extension_type: 'property-extension', actor: { ref: 'constructor', name: null, confidence: 40 }, links: [{ object_id: 'toString', kind: 'intel' }, { object_id: 'indicator--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', kind: 'intel' }] } },
    };
    const read = incidentOfStix(received);
    assert.deepEqual(read.extension.actor, { ref: null, name: null, confidence: 40 });
    assert.deepEqual(read.extension.links.map((link) => link.object_id), ['indicator--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee']);
  });

  it('puts the timeline in time order and names the node for its own entries', () => {
    const model = reportModel(incident(), CONTEXT);
    const section = model.sections.find((candidate) => candidate.key === 'timeline');
    assert.ok(section && section.kind === 'table');
    assert.deepEqual(
      section.rows.map((row) => [row[0], row[2], row[3]]),
      [
        ['2026-03-01 01:02 UTC', 'node', 'Detected by the SOC.'],
        ['2026-03-01 03:00 UTC', 'alice', 'Segment isolated.'],
      ],
    );
  });

  it("names the node for its own incidents and says when one came from a peer", () => {
    const model = reportModel(incident({ member: null, source: 'peer', severity: null, actor: null }), { nodeName: 'Hub', generatedAt: '2026-03-02T12:00:00Z' });
    const facts = model.sections.find((section) => section.kind === 'facts');
    assert.ok(facts && facts.kind === 'facts');
    const values = new Map(facts.facts.map((fact) => [fact.label, fact.value]));
    assert.equal(values.get('Reporting member'), 'Hub (this node)');
    assert.equal(values.get('Severity'), 'not scored');
    assert.equal(values.get('Suspected actor'), '—');
    assert.match(values.get('Source') ?? '', /peer node/);
  });
});

describe('reportHtml', () => {
  const HOSTILE = `</style><script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

  function hostileHtml(): string {
    return reportHtml(
      reportModel(
        incident({
          title: HOSTILE,
          summary: HOSTILE,
          handler: HOSTILE,
          systems: [HOSTILE],
          timeline: [{ id: 't', at: HOSTILE, author: HOSTILE, kind: 'note', text: HOSTILE }],
          tasks: [{ id: 'k', title: HOSTILE, assignee: HOSTILE, status: 'done', due: HOSTILE, created: '2026-03-01T00:00:00Z', modified: '2026-03-01T00:00:00Z' }],
          links: [{ object_id: HOSTILE, kind: 'observable', note: HOSTILE }],
          handling: { tlp: 'red', classification: HOSTILE, releasability: [HOSTILE] },
        }),
        { ...CONTEXT, nodeName: HOSTILE, memberName: HOSTILE, linkedNames: { [HOSTILE]: HOSTILE } },
      ),
    );
  }

  it('escapes every value: no script, no tag, no end of the style sheet comes from the incident', () => {
    const html = hostileHtml();
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /onerror='/);
    assert.equal(html.match(/<style>/g)?.length, 1);
    assert.equal(html.match(/<\/style>/g)?.length, 1, 'the only </style> is the style sheet’s own');
    assert.ok(html.indexOf('</style>') < html.indexOf('<body>'));
    assert.ok(html.includes('&lt;/style&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;'));
  });

  it('is a complete document with no script, no external resource and no style attribute', () => {
    const html = reportHtml(reportModel(incident(), CONTEXT));
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(html, /<\/html>\n$/);
    assert.match(html, /<meta charset="utf-8">/);
    assert.doesNotMatch(html, /<script|\ssrc=|\shref=|url\(|@import|\sstyle=|<link/i);
    assert.match(html, /@page \{ size: A4; margin: /);
    assert.match(html, /@media print \{\n {2}\.banner \{ position: fixed;/);
  });

  it('shows the banner at the top and at the bottom, in its TLP colour on black', () => {
    const html = reportHtml(reportModel(incident({ handling: { tlp: 'amber', classification: 'restricted', releasability: ['ALLIANCE', 'FRA'] } }), CONTEXT));
    const banners = [...html.matchAll(/<div class="banner banner-(top|bottom)"[^>]*>([^<]*)<\/div>/g)];
    assert.deepEqual(
      banners.map((match) => [match[1], match[2]]),
      [
        ['top', 'TLP:AMBER · RESTRICTED · REL TO ALLIANCE, FRA'],
        ['bottom', 'TLP:AMBER · RESTRICTED · REL TO ALLIANCE, FRA'],
      ],
    );
    assert.ok(html.indexOf('<div class="banner banner-top"') < html.indexOf('<main>'));
    assert.ok(html.indexOf('</main>') < html.indexOf('<div class="banner banner-bottom"'));
    assert.match(html, /--tlp: #FFC000;/);
    assert.match(html, /\.banner \{ background: #000; color: var\(--tlp\);/);
    const red = reportHtml(reportModel(incident({ handling: { tlp: 'red', classification: 'secret', releasability: ['@alice'] } }), CONTEXT));
    assert.match(red, /--tlp: #FF2B2B;/);
  });

  it('keeps a colour that is not #RRGGBB out of the style sheet', () => {
    const model = reportModel(incident(), CONTEXT);
    const html = reportHtml({ ...model, banner: { ...model.banner, colour: 'red;}</style><script>' } });
    assert.match(html, /--tlp: #FFFFFF;/);
    assert.doesNotMatch(html, /<script/);
  });
});

describe('PDF text', () => {
  it('encodes WinAnsi and replaces what it cannot show by ?', () => {
    assert.equal(toWinAnsi('€—“x”'), '\x80\x97\x93x\x94');
    assert.equal(toWinAnsi('Zürich e\u0301'), 'Z\xfcrich \xe9', 'composed before encoding');
    assert.equal(toWinAnsi('a\tb'), 'a b');
    assert.equal(toWinAnsi('🚢 Ελλάδα 東京 \u0007'), '? ?????? ?? ?', 'one ? per code point, surrogate pairs included');
  });

  it('wraps at spaces, splits words wider than a line, and never exceeds the width', () => {
    const text = `${'word '.repeat(200)}${'x'.repeat(500)} tail\n\n\n\nnext`;
    const lines = wrapText(text, 'regular', 9, 200);
    assert.ok(lines.length > 10);
    for (const line of lines) assert.ok(textWidth(line, 'regular', 9) <= 200, `line too wide: ${line}`);
    assert.equal(lines.join('').replace(/ /g, ''), `${'word'.repeat(200)}${'x'.repeat(500)}tailnext`);
    assert.equal(lines.filter((line) => line === '').length, 1, 'blank lines run into one');
    assert.equal(lines[lines.length - 1], 'next');
  });
});

describe('reportPdf', () => {
  const BANNER = 'TLP:AMBER · RESTRICTED · REL TO ALLIANCE, FRA';

  it('is a PDF 1.4 file whose cross-reference offsets point at each object', () => {
    const pdf = reportPdf(reportModel(incident(), CONTEXT));
    assert.equal(pdf.subarray(0, 9).toString('latin1'), '%PDF-1.4\n');
    assert.match(pdf.subarray(-6).toString('latin1'), /%%EOF\n$/);
    const parsed = parsePdf(pdf);
    assert.equal(parsed.count, 1);
    assert.ok(shownStrings(parsed.pageStreams[0]!).includes('Page 1 of 1'));
    assert.match(parsed.objects.get(3) ?? '', /\/BaseFont \/Helvetica \/Encoding \/WinAnsiEncoding/);
    assert.match(parsed.objects.get(4) ?? '', /\/BaseFont \/Helvetica-Bold \/Encoding \/WinAnsiEncoding/);
  });

  it('paginates 500 timeline entries, with the banner twice and "Page n of N" on every page', () => {
    const pdf = reportPdf(reportModel(incident({ timeline: timeline(500) }), CONTEXT));
    const parsed = parsePdf(pdf);
    assert.ok(parsed.count >= 5, `500 entries on ${parsed.count} pages`);
    const banner = toWinAnsi(BANNER);
    parsed.pageStreams.forEach((stream, index) => {
      const shown = shownStrings(stream);
      assert.equal(shown.filter((text) => text === banner).length, 2, `page ${index + 1} has the banner at the top and the bottom`);
      const labels = shown.filter((text) => /^Page \d+ of \d+$/.test(text));
      assert.deepEqual(labels, [`Page ${index + 1} of ${parsed.count}`]);
    });
    const all = parsed.pageStreams.map((stream) => shownStrings(stream).join('\n')).join('\n');
    assert.ok(all.includes('Entry 0: lateral'));
    assert.ok(all.includes('Entry 499: lateral'), 'the last entry is printed');
    // The table's header is printed again on each page it continues on.
    const withHeader = parsed.pageStreams.filter((stream) => shownStrings(stream).includes('When')).length;
    assert.ok(withHeader >= parsed.count - 1);
  });

  it('prints text it cannot encode as ? and stays valid', () => {
    const model = reportModel(
      incident({
        title: 'Störung 🚢 Ελλάδα 東京 (paren) back\\slash',
        summary: 'e\u0301 € \u0000 \u202e reversed',
        handling: { tlp: 'green', classification: 'unclassified', releasability: ['ALLIANCE', 'ΕΛΛ'] },
      }),
      CONTEXT,
    );
    const parsed = parsePdf(reportPdf(model));
    const shown = parsed.pageStreams.flatMap(shownStrings);
    assert.ok(shown.includes('St\xf6rung ? ?????? ?? (paren) back\\slash'));
    assert.ok(shown.includes('\xe9 \x80 ? ? reversed'));
    assert.equal(shown.filter((text) => text === 'TLP:GREEN \xb7 UNCLASSIFIED \xb7 REL TO ALLIANCE, ???').length, 2 * parsed.count);
    // No control character reached a shown string (NUL, the bidi override were replaced).
    for (const text of shown) for (const char of text) assert.ok(char >= ' ' && char !== '\x7f', `control ${char.charCodeAt(0)} in ${JSON.stringify(text)}`);
  });

  it('prints the newest timeline entries within a budget, saying how many older ones it left out', () => {
    const long = Array.from({ length: 1000 }, (_, index) => ({ id: `t${index}`, at: new Date(Date.UTC(2026, 2, 1) + index * 60_000).toISOString(), author: 'alice', kind: 'note' as const, text: `${index} ${'word '.repeat(1999)}` }));
    const section = reportModel(incident({ timeline: long }), CONTEXT).sections.find((candidate) => candidate.key === 'timeline');
    assert.ok(section && section.kind === 'table');
    const rows = section.rows;
    const printed = rows.slice(1).reduce((total, row) => total + row[3]!.length, 0);
    assert.ok(printed <= REPORT_TIMELINE_CHARS, `${printed} characters printed`);
    assert.match(rows[0]![3]!, new RegExp(`^${1000 - (rows.length - 1)} earlier entries are not printed`));
    assert.ok(rows.at(-1)![3]!.startsWith('999 '), 'the newest entry is printed');
    const short = reportModel(incident({ timeline: timeline(500) }), CONTEXT).sections.find((candidate) => candidate.key === 'timeline');
    assert.ok(short && short.kind === 'table' && short.rows.length === 500, 'a timeline within the budget is printed whole');
  });

  it('continues a timeline entry longer than a page on the next pages', () => {
    const words = Array.from({ length: 3000 }, (_, index) => `w${index}`).join(' ');
    const pdf = reportPdf(reportModel(incident({ timeline: [{ id: 't', at: '2026-03-01T00:00:00Z', author: 'alice', kind: 'note', text: `${words} END` }] }), CONTEXT));
    const parsed = parsePdf(pdf);
    assert.ok(parsed.count >= 3, `one long entry on ${parsed.count} pages`);
    const pageOf = (word: string): number => parsed.pageStreams.findIndex((stream) => shownStrings(stream).some((text) => text.split(' ').includes(word)));
    assert.ok(pageOf('w0') < pageOf('END'));
    for (let index = 0; index < 3000; index += 250) assert.notEqual(pageOf(`w${index}`), -1, `w${index} is printed`);
  });

  it('reads back with pdftotext, where it is installed', (t) => {
    const pdf = reportPdf(reportModel(incident({ timeline: timeline(200) }), CONTEXT));
    const pages = pdftotext(pdf);
    if (pages === undefined) {
      t.skip('pdftotext is not installed');
      return;
    }
    const count = parsePdf(pdf).count;
    assert.equal(pages.length, count);
    pages.forEach((page, index) => {
      assert.equal(page.split(BANNER).length - 1, 2, `page ${index + 1}: the banner twice`);
      assert.ok(page.includes(`Page ${index + 1} of ${count}`));
    });
    assert.ok(pages[0]!.includes('Ransomware at the port authority'));
  });
});
