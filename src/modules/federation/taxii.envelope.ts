/**
 * What a puller needs of a TAXII envelope (TAXII 2.1 section 3.7: `more`, `next`, `objects`)
 * without parsing it: a page may be tens of megabytes, and its objects are parsed once, by the
 * ingest pipeline (in a worker for large pages). JSON.parse of the whole page on the node's main
 * thread held it 280 ms and 130 MiB for a 63 MB page laid out other than Shieldwall's own.
 *
 * The scan reads the envelope's top-level members in any order and with any whitespace, skipping
 * the values of the others (strings by a search for their closing quote, nesting by depth), and
 * takes a turn of the event loop every SCAN_SLICE_BYTES, so that other requests are answered
 * meanwhile. It does not validate the objects (the ingest pipeline reports what is malformed), but
 * a page that is not an envelope at all, or is cut off, is an error: taken as an empty last page,
 * its objects would be lost and the pull's cursor moved past them.
 */
import { nextTurn } from '../../core/turn.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from '../../stix/depth.js';

/** Bytes scanned between two turns of the event loop (a few milliseconds). */
export const SCAN_SLICE_BYTES = 1024 * 1024;

export interface EnvelopeHead {
  /** `more` was true. */
  more: boolean;
  /**
   * The value of `next`, parsed, when it was a JSON string, number, boolean or null of at most
   * `nextMax` bytes; TOO_LONG when longer (the caller refuses it); undefined when absent.
   */
  next: unknown;
  /** `objects` is absent, or an empty array. */
  empty: boolean;
}

/** The `next` value was longer than the caller reads. */
export const TOO_LONG = Symbol('next too long');

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index of the quote closing the string whose opening quote is at `open`, or -1. */
function closingQuote(body: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = body.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    for (let k = at - 1; k > open && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * `more`, `next` and whether `objects` is empty, read from the top level of a TAXII envelope.
 * `nextMax`: the longest `next` value (as JSON text, in bytes) the caller accepts.
 */
export async function envelopeHead(body: Buffer, nextMax: number): Promise<EnvelopeHead> {
  const head: EnvelopeHead = { more: false, next: undefined, empty: true };
  // An empty body is an empty page; a UTF-8 byte order mark is passed over (RFC 8259 section 8.1
  // lets a parser ignore it).
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && isSpace(body[i]!)) i++;
  if (i === body.length) return head;
  if (body[i] !== OPEN_BRACE) throw new EnvelopeError(`the page is not a TAXII envelope (a JSON object): it begins ${JSON.stringify(body.subarray(i, i + 20).toString('utf8'))}`);
  i++;
  let depth = 1;
  /** The top-level member whose value comes next (after its colon), and where that value starts. */
  let key: string | undefined;
  let valueStart = -1;
  let expectKey = true;
  let sliceEnd = i + SCAN_SLICE_BYTES;
  const finishValue = (end: number) => {
    if (key === 'more' || key === 'next') {
      const text = body.subarray(valueStart, end).toString('utf8').trim();
      if (key === 'more') head.more = text === 'true';
      else if (end - valueStart > nextMax) head.next = TOO_LONG;
      else {
        try {
          head.next = JSON.parse(text) as unknown;
        } catch {
          head.next = TOO_LONG;
        }
      }
    }
    key = undefined;
    valueStart = -1;
  };
  while (i < body.length) {
    if (i >= sliceEnd) {
      await nextTurn();
      sliceEnd = i + SCAN_SLICE_BYTES;
    }
    const c = body[i]!;
    if (c === QUOTE) {
      const close = closingQuote(body, i);
      if (close < 0) throw new EnvelopeError(`the page ends inside a string, at byte ${i}: it is cut off or not JSON`);
      if (depth === 1 && expectKey) {
        key = body.subarray(i + 1, close).toString('utf8');
        expectKey = false;
      }
      i = close + 1;
      continue;
    }
    if (depth === 1) {
      if (c === COLON && key !== undefined && valueStart < 0) {
        valueStart = i + 1;
        if (key === 'objects') {
          let j = i + 1;
          while (j < body.length && isSpace(body[j]!)) j++;
          if (body[j] === OPEN_BRACKET) {
            j++;
            while (j < body.length && isSpace(body[j]!)) j++;
            head.empty = body[j] === CLOSE_BRACKET;
          }
        }
      } else if (c === COMMA || c === CLOSE_BRACE) {
        if (valueStart >= 0) finishValue(i);
        if (c === CLOSE_BRACE) return head;
        expectKey = true;
      }
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    i++;
  }
  throw new EnvelopeError(`the page ends before its envelope closes (${body.length} bytes): it is cut off or not JSON`);
}

/** A page that is not a TAXII envelope: the pull stops there, rather than take it as an empty last page. */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}
