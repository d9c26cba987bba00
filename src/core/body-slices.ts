/**
 * A large request body read a slice at a time, with turns of the event loop between slices: an
 * upload of hundreds of megabytes (a published warning list) is read without holding every other
 * request for the seconds that reading it whole takes. On this project's build machine, joining
 * 200 MB of chunks into one string took 0.7 s, decoding it as much again, and one JSON.parse of
 * it several seconds; none of them gives the event loop a turn.
 *
 * The body arrives as text pieces (decoded chunk by chunk) and is never joined: a JSON array is
 * cut into its items (strings and nesting followed, RFC 8259 sections 2, 4, 5 and 7), each parsed
 * alone, and text into its lines. An object item holding a "__proto__" key, or a "constructor"
 * key holding "prototype", is refused as the node's other JSON bodies are (core/http.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import secureJson from 'secure-json-parse';
import { nextTurn } from './turn.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const BYTE_ORDER_MARK = 0xfeff;
const NEWLINE = '\n';

/** Characters read between two turns of the event loop. */
export const SLICE_CHARS = 512 * 1024;

export class BodySliceError extends Error {
  constructor(
    message: string,
    /** Where in the body (characters from its start). */
    readonly offset: number,
    /** The JSON item it is about (0-based), when it is about one. */
    readonly index?: number,
    /** The line it is about (1-based), when it is about one. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'BodySliceError';
  }
}

/** UTF-8 text of byte chunks, decoded chunk by chunk (a character split between chunks stays whole). */
export async function* decodedPieces(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

/** Text in pieces of at most `size` characters: a text given whole, or a chunk that came large, is cut. */
async function* slices(source: string | AsyncIterable<string>, size: number): AsyncGenerator<string> {
  for await (const piece of typeof source === 'string' ? [source] : source) {
    if (piece.length <= size) yield piece;
    else for (let at = 0; at < piece.length; at += size) yield piece.slice(at, at + size);
  }
}

/** Awaits a turn of the event loop each time `size` more characters have been read. */
class Pacer {
  #read = 0;
  #next: number;
  constructor(private readonly size: number) {
    this.#next = size;
  }
  async add(chars: number): Promise<void> {
    this.#read += chars;
    if (this.#read < this.#next) return;
    this.#next = this.#read + this.size;
    await nextTurn();
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The end (exclusive) of the string whose opening quote is at `start`, or -1 if the text ends first. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let i = quote - 1; i > start && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * The end (exclusive) of the object or array that opens at `start`, -1 if the text ends first,
 * or -2 if it runs past `limit`.
 */
function nestedEnd(text: string, start: number, limit: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (i >= limit) return -2;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The end (exclusive) of a number, true, false or null starting at `start` (the text's end if no delimiter follows). */
function scalarEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACKET || isSpace(c)) break;
    i++;
  }
  return i;
}

function refusal(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /forbidden prototype property/i.test(message)
    ? 'it holds a key "__proto__", or a "constructor" key holding "prototype": remove or rename it'
    : `it is not valid JSON (${message})`;
}

export interface JsonArrayOptions {
  /** Longest item, in characters of the body (its escapes counted as written). */
  maxItemChars: number;
  /** Most items. */
  maxItems: number;
  /** Characters read between turns (default SLICE_CHARS). */
  sliceChars?: number;
}

/** A JSON array cut into its items as its text arrives. */
class ArrayCutter {
  readonly items: unknown[] = [];
  #text = '';
  /** Characters of the body before #text. */
  #base = 0;
  #phase: 'open' | 'first' | 'item' | 'after' | 'closed' = 'open';

  constructor(private readonly options: JsonArrayOptions) {}

  #error(message: string, at: number, index?: number): BodySliceError {
    return new BodySliceError(message, this.#base + at, index);
  }

  /** Takes the next piece of text (or, with `last`, the end of the body) and cuts what it completes. */
  push(piece: string, last: boolean): void {
    const text = this.#text.length === 0 ? piece : this.#text + piece;
    let at = 0;
    for (;;) {
      at = skipSpace(text, at);
      if (at >= text.length) {
        if (!last || this.#phase === 'closed') break;
        if (this.#phase === 'open') throw this.#error(this.#base + at === 0 ? 'the body is empty: a JSON array was expected' : 'the body is not a JSON array: it must start with "["', at);
        throw this.#error('the body ends inside the array: it has no closing "]"', at, this.#phase === 'first' ? undefined : this.items.length - (this.#phase === 'after' ? 1 : 0));
      }
      const c = text.charCodeAt(at);
      if (this.#phase === 'open' && c === BYTE_ORDER_MARK && this.#base + at === 0) {
        // Taken at the start, as the node's other JSON bodies take it (secure-json-parse).
        at++;
      } else if (this.#phase === 'open') {
        if (c !== OPEN_BRACKET) throw this.#error('the body is not a JSON array: it must start with "["', at);
        this.#phase = 'first';
        at++;
      } else if (this.#phase === 'first' && c === CLOSE_BRACKET) {
        this.#phase = 'closed';
        at++;
      } else if (this.#phase === 'first' || this.#phase === 'item') {
        const index = this.items.length;
        if (index >= this.options.maxItems) throw this.#error(`the array holds more than ${this.options.maxItems} items`, at, index);
        const nested = c === OPEN_BRACE || c === OPEN_BRACKET;
        const max = this.options.maxItemChars;
        let end = c === QUOTE ? stringEnd(text, at) : nested ? nestedEnd(text, at, at + max) : scalarEnd(text, at);
        if (end === text.length && !nested && c !== QUOTE && !last) end = -1;
        if (end === -2 || end - at > max || (end === -1 && text.length - at > max)) throw this.#error(`item ${index} is longer than ${max} characters`, at, index);
        if (end === -1) {
          if (last) throw this.#error(`item ${index} is not closed before the body ends`, at, index);
          break;
        }
        if (end === at) throw this.#error(`item ${index} is missing (two commas in a row, or a comma before "]")`, at, index);
        const itemText = text.slice(at, end);
        try {
          this.items.push(nested ? secureJson.parse(itemText, undefined, { protoAction: 'error', constructorAction: 'error' }) : JSON.parse(itemText));
        } catch (error) {
          throw this.#error(`item ${index} is refused: ${refusal(error)}`, at, index);
        }
        this.#phase = 'after';
        at = end;
      } else if (this.#phase === 'after') {
        if (c === COMMA) this.#phase = 'item';
        else if (c === CLOSE_BRACKET) this.#phase = 'closed';
        else throw this.#error(`expected "," or "]" after item ${this.items.length - 1}`, at, this.items.length - 1);
        at++;
      } else {
        throw this.#error('there is more after the array\'s closing "]"', at);
      }
    }
    this.#text = text.slice(at);
    this.#base += at;
  }
}

/** Parses a JSON array of small items, its text given whole or as it arrives; see the module's comment. */
export async function readJsonArrayInTurns(source: string | AsyncIterable<string>, options: JsonArrayOptions): Promise<unknown[]> {
  const slice = options.sliceChars ?? SLICE_CHARS;
  const cutter = new ArrayCutter(options);
  const pacer = new Pacer(slice);
  for await (const piece of slices(source, slice)) {
    cutter.push(piece, false);
    await pacer.add(piece.length);
  }
  cutter.push('', true);
  return cutter.items;
}

export interface LinesOptions {
  /** Longest line, in characters. */
  maxLineChars: number;
  /** Characters read between turns (default SLICE_CHARS). */
  sliceChars?: number;
  /** Each line as it is read, numbered from 1 (the lines String.prototype.split('\n') gives, the last even when empty). */
  onLine: (text: string, line: number) => void;
}

/**
 * Reads a text as it arrives, line by line; a line longer than maxLineChars is refused with its
 * number. Answers how many lines there were.
 */
export async function readLinesInTurns(source: AsyncIterable<string>, options: LinesOptions): Promise<number> {
  const slice = options.sliceChars ?? SLICE_CHARS;
  const pacer = new Pacer(slice);
  const max = options.maxLineChars;
  let rest = '';
  let base = 0;
  let line = 0;
  const tooLong = () => new BodySliceError(`line ${line + 1} is longer than ${max} characters`, base, undefined, line + 1);
  for await (const piece of slices(source, slice)) {
    const text = rest.length === 0 ? piece : rest + piece;
    let at = 0;
    for (let newline = text.indexOf(NEWLINE); newline >= 0; newline = text.indexOf(NEWLINE, at)) {
      if (newline - at > max) throw tooLong();
      options.onLine(text.slice(at, newline), ++line);
      base += newline + 1 - at;
      at = newline + 1;
    }
    rest = text.slice(at);
    if (rest.length > max) throw tooLong();
    await pacer.add(piece.length);
  }
  options.onLine(rest, ++line);
  return line;
}
