/**
 * A small PDF 1.4 writer for printed reports (ISO 32000-1 read at version 1.4): A4 pages of
 * text and tables in the standard Type 1 fonts Helvetica and Helvetica-Bold with
 * WinAnsiEncoding, so that no font is embedded and every reader renders them; word wrap from the
 * fonts' own widths, page breaks (a table row taller than what is left continues on the next
 * page, under the table's header again), and on EVERY page a handling banner at the top and the
 * bottom and "Page n of N". Pure: no I/O; the caller sends the Buffer.
 *
 * Nothing is compressed: a report is small, and an uncompressed content stream can be checked
 * by reading it. Characters that WinAnsiEncoding cannot show are printed as '?', never dropped,
 * so that a reader sees something was there.
 */

export type PdfFont = 'regular' | 'bold';
/** A colour as red, green, blue, each 0-1. */
export type Rgb = readonly [number, number, number];

export interface PdfColumn {
  label: string;
  /** Relative width: the columns share the text width in proportion. */
  width: number;
}

export type PdfBlock =
  | { kind: 'title'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string; font?: PdfFont; size?: number; colour?: Rgb }
  | {
      kind: 'table';
      columns: PdfColumn[];
      /** Print the column labels above the rows (and again on each page the table continues on). */
      header: boolean;
      /** Cells in the first column bold (a table of facts: label, value). */
      boldFirstColumn?: boolean;
      rows: string[][];
    };

export interface PdfDocumentSpec {
  /** The document's title in its information dictionary. */
  title: string;
  /** The handling banner printed at the top and bottom of every page. */
  banner: { text: string; colour: Rgb; background: Rgb };
  /** Printed at the bottom left of every page, left of "Page n of N". */
  footer: string;
  /** When it was made (ISO 8601), for the information dictionary; omitted when not a time. */
  created?: string;
  blocks: PdfBlock[];
}

/** A4 in points (210 x 297 mm). */
export const A4 = Object.freeze({ width: 595.28, height: 841.89 });

const MARGIN_X = 50;
/** From the paper's edge to the banners: outside the area most printers cannot print. */
const EDGE = 22;
const BANNER_SIZE = 9;
const BANNER_LEADING = 11;
const BANNER_PADDING = 4;
/** A banner longer than this many lines is cut (the report's facts list the releasability in full). */
const BANNER_MAX_LINES = 6;
const FOOTER_SIZE = 7.5;
const BODY_SIZE = 9;
const BODY_LEADING = 11.5;
const CELL_PAD_X = 3;
const CELL_PAD_Y = 2.5;
const TEXT_COLOUR: Rgb = [0.1, 0.1, 0.1];
const MUTED_COLOUR: Rgb = [0.35, 0.35, 0.35];
const RULE_COLOUR: Rgb = [0.75, 0.75, 0.75];
const HEADER_FILL: Rgb = [0.9, 0.9, 0.9];

// ---------------------------------------------------------------------------------------------
// WinAnsiEncoding (ISO 32000-1 Annex D.2) and the fonts' widths

/** The WinAnsi codes 128-159 (Windows-1252) by Unicode code point; 129, 141, 143, 144 and 157 are unused. */
const WIN_ANSI_HIGH: ReadonlyMap<number, number> = new Map([
  [0x20ac, 0x80], [0x201a, 0x82], [0x0192, 0x83], [0x201e, 0x84], [0x2026, 0x85], [0x2020, 0x86],
  [0x2021, 0x87], [0x02c6, 0x88], [0x2030, 0x89], [0x0160, 0x8a], [0x2039, 0x8b], [0x0152, 0x8c],
  [0x017d, 0x8e], [0x2018, 0x91], [0x2019, 0x92], [0x201c, 0x93], [0x201d, 0x94], [0x2022, 0x95],
  [0x2013, 0x96], [0x2014, 0x97], [0x02dc, 0x98], [0x2122, 0x99], [0x0161, 0x9a], [0x203a, 0x9b],
  [0x0153, 0x9c], [0x017e, 0x9e], [0x0178, 0x9f],
]);

/**
 * Advance widths (1/1000 em) of the WinAnsi codes 32-255 in the standard fonts' metrics
 * (Adobe's Helvetica and Helvetica-Bold AFM); 0 marks a code WinAnsi leaves unused.
 */
// prettier-ignore
const HELVETICA_WIDTHS: readonly number[] = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
  556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
  0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
  278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
  400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
  667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
  722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
  556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

// prettier-ignore
const HELVETICA_BOLD_WIDTHS: readonly number[] = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
  975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
  333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
  611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
  556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
  0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
  278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
  400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
  722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
  722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
  556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
  611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

const FONT_RESOURCE: Readonly<Record<PdfFont, string>> = { regular: 'F1', bold: 'F2' };

/** The WinAnsi code of one Unicode code point, or undefined when the encoding has none. */
function winAnsiCode(codePoint: number): number | undefined {
  if (codePoint >= 0x20 && codePoint <= 0x7e) return codePoint;
  if (codePoint >= 0xa0 && codePoint <= 0xff) return codePoint;
  return WIN_ANSI_HIGH.get(codePoint);
}

/**
 * Text as WinAnsi bytes held in a string (one char per byte, 0-255): composed first (NFC, so
 * that 'e' + a combining accent becomes 'é'), a tab as a space, every code point the encoding
 * lacks (and every control character) as '?'. Line breaks are not text here: split them first.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    const codePoint = char.codePointAt(0) ?? 0x3f;
    const code = codePoint === 0x09 ? 0x20 : winAnsiCode(codePoint);
    out += String.fromCharCode(code ?? 0x3f);
  }
  return out;
}

/** The width in points of WinAnsi text (as toWinAnsi gives it) in a font and size. */
export function textWidth(encoded: string, font: PdfFont, size: number): number {
  const widths = font === 'bold' ? HELVETICA_BOLD_WIDTHS : HELVETICA_WIDTHS;
  let units = 0;
  for (let i = 0; i < encoded.length; i++) units += widths[encoded.charCodeAt(i) - 32] ?? 0;
  return (units * size) / 1000;
}

/**
 * Breaks text into lines no wider than `maxWidth`: at spaces, and inside a word only when the
 * word alone is wider than a line (hashes, URLs). Each line break of the text starts a new line;
 * runs of blank lines count as one. Returns WinAnsi lines; at least one (maybe empty).
 */
export function wrapText(text: string, font: PdfFont, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  const spaceWidth = textWidth(' ', font, size);
  for (const hardLine of text.split(/\r\n|\r|\n/)) {
    const words = toWinAnsi(hardLine).split(' ').filter((word) => word !== '');
    if (words.length === 0) {
      if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
      continue;
    }
    let current = '';
    let currentWidth = 0;
    for (const word of words) {
      const wordWidth = textWidth(word, font, size);
      if (current !== '' && currentWidth + spaceWidth + wordWidth <= maxWidth) {
        current += ` ${word}`;
        currentWidth += spaceWidth + wordWidth;
        continue;
      }
      if (current !== '') lines.push(current);
      if (wordWidth <= maxWidth) {
        current = word;
        currentWidth = wordWidth;
        continue;
      }
      // A word wider than the line: as many characters per line as fit (at least one).
      let piece = '';
      let pieceWidth = 0;
      for (const char of word) {
        const charWidth = textWidth(char, font, size);
        if (piece !== '' && pieceWidth + charWidth > maxWidth) {
          lines.push(piece);
          piece = '';
          pieceWidth = 0;
        }
        piece += char;
        pieceWidth += charWidth;
      }
      current = piece;
      currentWidth = pieceWidth;
    }
    lines.push(current);
  }
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.length > 0 ? lines : [''];
}

/** Cuts WinAnsi text to a width, ending it with an ellipsis when cut. */
function fitText(encoded: string, font: PdfFont, size: number, maxWidth: number): string {
  if (textWidth(encoded, font, size) <= maxWidth) return encoded;
  const ellipsis = '\x85';
  let cut = encoded;
  while (cut.length > 0 && textWidth(cut + ellipsis, font, size) > maxWidth) cut = cut.slice(0, -1);
  return cut + ellipsis;
}

// ---------------------------------------------------------------------------------------------
// Content stream operators

/** A number as PDF writes it: at most two decimals, no exponent. */
function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** A PDF literal string of WinAnsi text: backslash and both parentheses escaped (ISO 32000-1 7.3.4.2). */
function literal(encoded: string): string {
  return `(${encoded.replace(/[\\()]/g, (char) => `\\${char}`)})`;
}

function fillColour(rgb: Rgb): string {
  return `${num(rgb[0])} ${num(rgb[1])} ${num(rgb[2])} rg`;
}

function textOp(encoded: string, x: number, baseline: number, font: PdfFont, size: number, colour: Rgb): string {
  return `BT ${fillColour(colour)} /${FONT_RESOURCE[font]} ${num(size)} Tf 1 0 0 1 ${num(x)} ${num(baseline)} Tm ${literal(encoded)} Tj ET`;
}

function rectOp(x: number, y: number, width: number, height: number, colour: Rgb): string {
  return `${fillColour(colour)} ${num(x)} ${num(y)} ${num(width)} ${num(height)} re f`;
}

function ruleOp(x1: number, x2: number, y: number): string {
  return `${num(RULE_COLOUR[0])} ${num(RULE_COLOUR[1])} ${num(RULE_COLOUR[2])} RG 0.5 w ${num(x1)} ${num(y)} m ${num(x2)} ${num(y)} l S`;
}

/** The baseline that centres a line of capitals of `size` in a box of `leading` whose top is `top`. */
function baselineIn(top: number, leading: number, size: number): number {
  return top - leading / 2 - size * 0.36;
}

// ---------------------------------------------------------------------------------------------
// Layout: blocks flowed onto pages

interface PageGeometry {
  bannerLines: string[];
  bannerHeight: number;
  /** y of the top of the text area. */
  top: number;
  /** y of the bottom of the text area. */
  bottom: number;
  left: number;
  right: number;
}

function geometry(bannerText: string): PageGeometry {
  const width = A4.width - 2 * MARGIN_X;
  let bannerLines = wrapText(bannerText, 'bold', BANNER_SIZE, width - 2 * BANNER_PADDING);
  if (bannerLines.length > BANNER_MAX_LINES) {
    bannerLines = bannerLines.slice(0, BANNER_MAX_LINES);
    const last = bannerLines[BANNER_MAX_LINES - 1] ?? '';
    bannerLines[BANNER_MAX_LINES - 1] = fitText(`${last} \x85`, 'bold', BANNER_SIZE, width - 2 * BANNER_PADDING);
  }
  const bannerHeight = bannerLines.length * BANNER_LEADING + 2 * BANNER_PADDING;
  return {
    bannerLines,
    bannerHeight,
    top: A4.height - EDGE - bannerHeight - 16,
    // The footer line sits between the text area and the bottom banner.
    bottom: EDGE + bannerHeight + 24,
    left: MARGIN_X,
    right: A4.width - MARGIN_X,
  };
}

/** Lays the blocks onto pages: each page a list of content stream operators (without banners). */
class Flow {
  readonly pages: string[][] = [[]];
  private y: number;

  constructor(private readonly page: PageGeometry) {
    this.y = page.top;
  }

  private get ops(): string[] {
    return this.pages[this.pages.length - 1]!;
  }

  private get width(): number {
    return this.page.right - this.page.left;
  }

  private newPage(): void {
    this.pages.push([]);
    this.y = this.page.top;
  }

  /** Starts a new page unless `height` fits below the cursor (or the page is still empty). */
  private ensure(height: number): void {
    if (this.y - height < this.page.bottom && this.y < this.page.top) this.newPage();
  }

  block(block: PdfBlock): void {
    switch (block.kind) {
      case 'title':
        this.lines(wrapText(block.text, 'bold', 16, this.width), 'bold', 16, 19, TEXT_COLOUR);
        this.y -= 4;
        return;
      case 'heading':
        this.y -= 8;
        // Keep a heading with at least three lines of what follows it.
        this.ensure(14 + 4 * BODY_LEADING);
        this.lines(wrapText(block.text, 'bold', 11.5, this.width), 'bold', 11.5, 14, TEXT_COLOUR);
        this.y -= 3;
        return;
      case 'paragraph': {
        const font = block.font ?? 'regular';
        const size = block.size ?? BODY_SIZE;
        const leading = size * (BODY_LEADING / BODY_SIZE);
        this.lines(wrapText(block.text, font, size, this.width), font, size, leading, block.colour ?? TEXT_COLOUR);
        this.y -= 3;
        return;
      }
      case 'table':
        this.table(block);
        this.y -= 3;
    }
  }

  private lines(lines: string[], font: PdfFont, size: number, leading: number, colour: Rgb): void {
    for (const line of lines) {
      this.ensure(leading);
      if (line !== '') this.ops.push(textOp(line, this.page.left, baselineIn(this.y, leading, size), font, size, colour));
      this.y -= leading;
    }
  }

  private table(block: Extract<PdfBlock, { kind: 'table' }>): void {
    if (block.columns.length === 0) return;
    const total = block.columns.reduce((sum, column) => sum + Math.max(column.width, 0), 0) || 1;
    const xs: number[] = [];
    const widths: number[] = [];
    let x = this.page.left;
    for (const column of block.columns) {
      const width = (Math.max(column.width, 0) / total) * this.width;
      xs.push(x);
      widths.push(width);
      x += width;
    }
    const cellWidth = (index: number): number => Math.max((widths[index] ?? 0) - 2 * CELL_PAD_X, 1);
    const headerLines = block.columns.map((column, index) => wrapText(column.label, 'bold', BODY_SIZE, cellWidth(index)));
    const headerHeight = block.header ? Math.max(...headerLines.map((lines) => lines.length)) * BODY_LEADING + 2 * CELL_PAD_Y : 0;

    const drawHeader = (): void => {
      if (!block.header) return;
      this.ops.push(rectOp(this.page.left, this.y - headerHeight, this.width, headerHeight, HEADER_FILL));
      headerLines.forEach((lines, index) => {
        lines.forEach((line, row) => {
          const top = this.y - CELL_PAD_Y - row * BODY_LEADING;
          this.ops.push(textOp(line, (xs[index] ?? 0) + CELL_PAD_X, baselineIn(top, BODY_LEADING, BODY_SIZE), 'bold', BODY_SIZE, TEXT_COLOUR));
        });
      });
      this.y -= headerHeight;
    };
    const continueOnNewPage = (): void => {
      this.newPage();
      drawHeader();
    };

    this.ensure(headerHeight + BODY_LEADING + 2 * CELL_PAD_Y);
    drawHeader();
    const fullPageLines = Math.max(Math.floor((this.page.top - this.page.bottom - headerHeight - 2 * CELL_PAD_Y) / BODY_LEADING), 1);

    for (const row of block.rows) {
      const cells = block.columns.map((_, index) => {
        const font: PdfFont = block.boldFirstColumn === true && index === 0 ? 'bold' : 'regular';
        return { font, lines: wrapText(row[index] ?? '', font, BODY_SIZE, cellWidth(index)) };
      });
      const rowLines = Math.max(...cells.map((cell) => cell.lines.length));
      let done = 0;
      while (done < rowLines) {
        const fitting = Math.floor((this.y - this.page.bottom - 2 * CELL_PAD_Y) / BODY_LEADING);
        const remaining = rowLines - done;
        // A row that fits on one page is not split; a longer one fills what is left, then goes on.
        if (fitting < 1 || (done === 0 && remaining <= fullPageLines && fitting < remaining)) {
          continueOnNewPage();
          continue;
        }
        const take = Math.min(fitting, remaining);
        cells.forEach((cell, index) => {
          for (let line = done; line < Math.min(done + take, cell.lines.length); line++) {
            const text = cell.lines[line] ?? '';
            if (text === '') continue;
            const top = this.y - CELL_PAD_Y - (line - done) * BODY_LEADING;
            this.ops.push(textOp(text, (xs[index] ?? 0) + CELL_PAD_X, baselineIn(top, BODY_LEADING, BODY_SIZE), cell.font, BODY_SIZE, TEXT_COLOUR));
          }
        });
        this.y -= take * BODY_LEADING + 2 * CELL_PAD_Y;
        this.ops.push(ruleOp(this.page.left, this.page.right, this.y));
        done += take;
        if (done < rowLines) continueOnNewPage();
      }
    }
  }
}

/** The banners, footer and page number of one page, as operators. */
function pageFrame(page: PageGeometry, spec: PdfDocumentSpec, footer: string, number: number, count: number): string[] {
  const ops: string[] = [];
  const width = page.right - page.left;
  const band = (bottom: number): void => {
    ops.push(rectOp(page.left, bottom, width, page.bannerHeight, spec.banner.background));
    page.bannerLines.forEach((line, index) => {
      const top = bottom + page.bannerHeight - BANNER_PADDING - index * BANNER_LEADING;
      const x = page.left + (width - textWidth(line, 'bold', BANNER_SIZE)) / 2;
      ops.push(textOp(line, x, baselineIn(top, BANNER_LEADING, BANNER_SIZE), 'bold', BANNER_SIZE, spec.banner.colour));
    });
  };
  band(A4.height - EDGE - page.bannerHeight);
  band(EDGE);
  const pageLabel = toWinAnsi(`Page ${number} of ${count}`);
  const labelWidth = textWidth(pageLabel, 'regular', FOOTER_SIZE);
  const baseline = EDGE + page.bannerHeight + 8;
  ops.push(textOp(pageLabel, page.right - labelWidth, baseline, 'regular', FOOTER_SIZE, MUTED_COLOUR));
  ops.push(textOp(footer, page.left, baseline, 'regular', FOOTER_SIZE, MUTED_COLOUR));
  return ops;
}

// ---------------------------------------------------------------------------------------------
// The file: objects, cross-reference table, trailer (ISO 32000-1 section 7.5)

/** A text string of the information dictionary: UTF-16BE with its byte order mark, in hex (7.9.2.2). */
function infoString(text: string): string {
  const units = Buffer.from(text, 'utf16le').swap16();
  return `<FEFF${units.toString('hex').toUpperCase()}>`;
}

/** An ISO 8601 time as a PDF date (7.9.4), in UTC; undefined when it is not a time. */
function pdfDate(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return undefined;
  const digits = new Date(time).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `(D:${digits}Z)`;
}

/** Writes the document: a Buffer holding a PDF 1.4 file. */
export function renderPdf(spec: PdfDocumentSpec): Buffer {
  const page = geometry(spec.banner.text);
  const flow = new Flow(page);
  for (const block of spec.blocks) flow.block(block);
  const count = flow.pages.length;
  const footer = fitText(toWinAnsi(spec.footer), 'regular', FOOTER_SIZE, page.right - page.left - 80);

  // Objects 1-5 are fixed; then each page's content stream and page object.
  const objects: Buffer[] = [];
  const kids = flow.pages.map((_, index) => `${7 + 2 * index} 0 R`).join(' ');
  objects.push(Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'));
  objects.push(Buffer.from(`<< /Type /Pages /Kids [${kids}] /Count ${count} >>`, 'latin1'));
  objects.push(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>', 'latin1'));
  objects.push(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>', 'latin1'));
  const created = pdfDate(spec.created);
  objects.push(Buffer.from(`<< /Title ${infoString(spec.title)} /Producer (Shieldwall)${created ? ` /CreationDate ${created}` : ''} >>`, 'latin1'));
  flow.pages.forEach((ops, index) => {
    const content = Buffer.from([...pageFrame(page, spec, footer, index + 1, count), ...ops].join('\n'), 'latin1');
    objects.push(Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream', 'latin1')]));
    objects.push(
      Buffer.from(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(A4.width)} ${num(A4.height)}] ` +
          `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> /ProcSet [/PDF /Text] >> /Contents ${6 + 2 * index} 0 R >>`,
        'latin1',
      ),
    );
  });

  // The second line's bytes above 127 tell transfer tools the file is binary (7.5.2).
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    const chunk = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    offsets.push(offset);
    chunks.push(chunk);
    offset += chunk.length;
  });
  // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, two-byte end of line.
  const entries = offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('');
  chunks.push(
    Buffer.from(
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}` +
        `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${offset}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(chunks);
}
