/**
 * Streaming reader for STIX content: a bundle (`{"type":"bundle","objects":[...]}`) or a TAXII
 * envelope (`{"objects":[...]}`, read as a bundle), a JSON array of objects, several concatenated
 * bundles, or NDJSON (one object per line). It never holds more than one object's bytes: it
 * scans the bytes, cuts out each object's text, and hands it on with its byte offset. Pure: it
 * reads from whatever async iterable it is given.
 */
import { isUtf8 } from 'node:buffer';
import { nextTurn } from '../core/turn.js';
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  decodeUtf8,
  DEFAULT_MAX_OBJECT_DEPTH,
  depthMessage,
  invalidUtf8Offset,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  textDepthProblem,
} from './depth.js';

export interface StreamHeader {
  format: 'bundle' | 'array' | 'ndjson' | 'object' | 'empty' | undefined;
  /** spec_version declared by the (last) bundle, if any: '2.0' bundles carry one. */
  specVersion: string | undefined;
  bundleId: string | undefined;
}

export type StreamEntry =
  | {
      kind: 'object';
      index: number;
      offset: number;
      line: number | undefined;
      /** The object's text; empty when the reader hands on bytes (StreamReaderOptions.bytes). */
      text: string;
      /** With StreamReaderOptions.bytes: the object's bytes, valid UTF-8, not decoded. */
      bytes?: Buffer;
    }
  | {
      kind: 'error';
      index: number | undefined;
      offset: number;
      line: number | undefined;
      message: string;
      /** What was wrong with the object, for its rejection: see the rules in docs/STIX.md. */
      rule?: 'object-size' | 'object-depth' | 'utf8';
      /** Where in the object, when known (JSONPath-like). */
      path?: string;
    };

export interface StreamReaderOptions {
  maxObjectBytes: number;
  /** Deepest nesting of objects and arrays in one object (the object itself is 1). */
  maxDepth?: number;
  /**
   * Hand objects on as their bytes (checked to be UTF-8), not decoded into text: for a program
   * that passes them on unread (`shieldwall ingest --url` sends them to a node, which parses
   * them). Decoding and encoding again were a third of that command's CPU time. The bytes are
   * mostly views of the chunks read: a source must not reuse a chunk's memory once it is handed
   * over (a file or socket stream never does).
   */
  bytes?: boolean;
}

const NEWLINE = 0x0a;
/** Bytes read between two turns of the event loop at least, whatever entries they make. */
const TURN_BYTES = 1024 * 1024;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * A line's bytes as String.prototype.trim leaves its text (what the text reader hands on). An
 * object's line trimmed of ASCII spaces and a byte order mark starts with '{' and ends with '}';
 * any other line (other Unicode spaces at its edges, a form feed, not an object) is trimmed as
 * text, so that both readers hand on the same objects with the same indexes.
 */
function trimSpace(bytes: Buffer): Buffer {
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let end = bytes.length;
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  if (end > start && (bytes[start] !== OPEN_BRACE || bytes[end - 1] !== CLOSE_BRACE)) return Buffer.from(bytes.toString('utf8').trim());
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}

const BUNDLE = Buffer.from('bundle');
const OBJECTS = Buffer.from('objects');
const TYPE = Buffer.from('type');

/**
 * Reads a stream's first bytes, chunk by chunk, for proof that it is a JSON document whose objects
 * can be read one by one before its first line ends: a top-level array, or a top-level object
 * with `"type": "bundle"` or an `objects` array (a TAXII envelope) before any other `type`. A
 * bundle or an envelope on one line (a TAXII page, a bundle written by JSON.stringify) was held
 * whole, up to the object size limit, to find the line's end: a peer's page waited for the next.
 * Anything else is left to the first line's test (an NDJSON object ends its line).
 */
class DocumentSniffer {
  /** 0: before the first value; 1: in a top-level object; 2: no proof to be had. */
  #state = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** At depth 1: whether the next string is a key. */
  #expectKey = true;
  /** The depth-1 string being read (its first bytes), and the last key read. */
  #capture: number[] | undefined;
  #key: Buffer | undefined;
  #typed = false;

  /** Whether the bytes so far prove a document (see above). */
  feed(chunk: Buffer): boolean {
    if (this.#state === 2) return false;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#state === 0) {
        if (isSpace(c) || c === 0xef || c === 0xbb || c === 0xbf) continue;
        if (c === OPEN_BRACKET) return true;
        if (c !== OPEN_BRACE) {
          this.#state = 2;
          return false;
        }
        this.#state = 1;
        this.#depth = 1;
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) {
          this.#inString = false;
          if (this.#capture) {
            const text = Buffer.from(this.#capture);
            this.#capture = undefined;
            if (this.#expectKey) this.#key = text;
            else if (this.#key?.equals(TYPE)) {
              if (text.equals(BUNDLE)) return true;
              this.#typed = true;
            }
          }
          continue;
        }
        if (this.#capture && this.#capture.length <= 8) this.#capture.push(c);
        continue;
      }
      if (c === QUOTE) {
        this.#inString = true;
        this.#capture = this.#depth === 1 ? [] : undefined;
      } else if (this.#depth === 1 && c === COLON) this.#expectKey = false;
      else if (this.#depth === 1 && c === COMMA) {
        this.#expectKey = true;
        this.#key = undefined;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.#depth === 1 && c === OPEN_BRACKET && !this.#expectKey && !this.#typed && this.#key?.equals(OBJECTS)) return true;
        this.#depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--this.#depth === 0) {
          this.#state = 2;
          return false;
        }
      }
    }
    return false;
  }
}

/** Where the scanner stands relative to the document's structure. */
const enum Where {
  /** Between top-level values. */
  Top,
  /** Inside a top-level object whose keys are being read (a bundle or a lone object). */
  TopObject,
  /** Inside an array whose elements are STIX objects (a bundle's objects, or a top-level array). */
  ObjectList,
  /** Inside a value we skip (a bundle property other than objects). */
  Skip,
}

/**
 * Index of the quote that closes a string whose content starts at `from` (no escape pending
 * there), or -1 when the string goes on past the chunk. A quote preceded by an odd number of
 * backslashes is escaped.
 */
function closingQuote(chunk: Buffer, from: number, length: number): number {
  // Short strings (keys, enums) end sooner than a native indexOf call pays off.
  const near = Math.min(length, from + 24);
  for (let i = from; i < near; i++) {
    const c = chunk[i];
    if (c === BACKSLASH) return closingQuoteSlow(chunk, from, length);
    if (c === QUOTE) return i;
  }
  return closingQuoteSlow(chunk, near, length, from);
}

function closingQuoteSlow(chunk: Buffer, start: number, length: number, from = start): number {
  let at = chunk.indexOf(QUOTE, start);
  while (at >= 0 && at < length) {
    let backslashes = 0;
    for (let b = at - 1; b >= from && chunk[b] === BACKSLASH; b--) backslashes++;
    if ((backslashes & 1) === 0) return at;
    at = chunk.indexOf(QUOTE, at + 1);
  }
  return -1;
}

/** Whether the chunk ends inside an escape sequence (an odd run of backslashes). */
function endsInOpenEscape(chunk: Buffer, from: number, length: number): boolean {
  let backslashes = 0;
  for (let b = length - 1; b >= from && chunk[b] === BACKSLASH; b--) backslashes++;
  return (backslashes & 1) === 1;
}

type ObjectProblem = { rule: 'object-depth' | 'utf8'; message: string; path?: string };

/**
 * An object's text, or what makes its bytes unfit to parse: invalid UTF-8 (with the stream
 * offset of the first bad byte; never replaced by U+FFFD) or nesting deeper than maxDepth (with
 * the path; not measured when maxDepth is undefined).
 */
function objectText(bytes: Buffer, offset: number, maxDepth: number | undefined, what: string, undecoded = false): { text: string; bytes?: Buffer } | ObjectProblem {
  const text = undecoded ? (isUtf8(bytes) ? '' : undefined) : decodeUtf8(bytes);
  if (text === undefined) {
    const bad = invalidUtf8Offset(bytes) ?? 0;
    return {
      rule: 'utf8',
      message: `${what}: invalid UTF-8 at byte ${offset + bad} (0x${bytes[bad]!.toString(16).padStart(2, '0')}); STIX content is UTF-8 (RFC 8259 section 8.1): re-encode the file (e.g. iconv -f latin1 -t utf-8) and send it again`,
    };
  }
  const deep = maxDepth === undefined ? undefined : textDepthProblem(bytes, maxDepth);
  if (!deep) return undecoded ? { text, bytes } : { text };
  return { rule: 'object-depth', path: deep.path, message: `${what}: ${depthMessage({ ...deep, offset: offset + deep.offset! }, maxDepth!).replace(' of the object)', ' of the stream)')}` };
}

function displayByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export class StixStreamReader {
  readonly header: StreamHeader = { format: undefined, specVersion: undefined, bundleId: undefined };
  readonly #maxObjectBytes: number;
  readonly #maxDepth: number;
  readonly #bytes: boolean;
  /** Bytes of the stream read so far. */
  bytesRead = 0;

  constructor(options: StreamReaderOptions) {
    this.#maxObjectBytes = options.maxObjectBytes;
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_OBJECT_DEPTH;
    this.#bytes = options.bytes === true;
  }

  /** Yields every object (as text) and every structural error, in stream order. */
  async *entries(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEntry> {
    const iterator = chunks[Symbol.asyncIterator]();
    // Decide between NDJSON and a JSON document from the first line, or sooner (DocumentSniffer).
    const head: Buffer[] = [];
    let headBytes = 0;
    let newlineAt = -1;
    let done = false;
    let document = false;
    const sniffer = new DocumentSniffer();
    while (newlineAt < 0 && headBytes <= this.#maxObjectBytes) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      const at = chunk.indexOf(NEWLINE);
      if (at >= 0) newlineAt = headBytes + at;
      head.push(chunk);
      headBytes += chunk.length;
      if (at < 0 && sniffer.feed(chunk)) {
        document = true;
        break;
      }
    }
    const rest: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (done) return { done: true, value: undefined };
          const next = await iterator.next();
          if (next.done) done = true;
          return next;
        },
      }),
    };
    const all = (async function* () {
      try {
        for (const chunk of head) yield chunk;
        yield* rest;
      } finally {
        // Stopped part way (the store failed, a limit was passed): the source is told, so that it
        // lets go of what it reads. A request body can then be read away before the answer,
        // which otherwise waited as long as the body's discard allows, and was lost.
        if (!done) await iterator.return?.();
      }
    })();
    const firstBytes = Buffer.concat(head);
    if (!document && this.#looksLikeNdjson(firstBytes, newlineAt)) {
      this.header.format = 'ndjson';
      yield* this.#ndjson(all);
    } else {
      yield* this.#document(all);
    }
  }

  #looksLikeNdjson(first: Buffer, newlineAt: number): boolean {
    const end = newlineAt >= 0 ? newlineAt : first.length;
    const line = first.toString('utf8', 0, end).trim();
    if (!line.startsWith('{') || !line.endsWith('}')) return false;
    if (newlineAt < 0) return false; // a single line without a newline is a document
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null) return false;
      const { type, objects } = value as { type?: unknown; objects?: unknown };
      // A bundle, or a TAXII envelope ({"objects": [...]}, no type) on one line, is a document
      // whose objects are read one by one: not an NDJSON line holding one object.
      return type !== 'bundle' && !(type === undefined && Array.isArray(objects));
    } catch {
      return false;
    }
  }

  async *#ndjson(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEntry> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let oversized = false;
    let lineStart = 0;
    let line = 1;
    let index = 0;
    const maxObjectBytes = this.#maxObjectBytes;
    const maxDepth = this.#maxDepth;
    const undecoded = this.#bytes;
    /**
     * The entry of the line ending at `end`, if any (a blank line has none). A plain function, not
     * a generator: a generator a line made 4 MiB of newlines take 9 s of one thread.
     */
    function finish(end: number): StreamEntry | undefined {
      let entry: StreamEntry | undefined;
      if (oversized) {
        entry = { kind: 'error', index, offset: lineStart, line, rule: 'object-size', message: `object on line ${line} is larger than the limit of ${maxObjectBytes} bytes; split it or raise SHIELDWALL_MAX_OBJECT_BYTES` };
        index++;
      } else if (pendingBytes > 0) {
        const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        const read = objectText(bytes, lineStart, maxDepth, `object on line ${line}`, undecoded);
        if (!('text' in read)) {
          entry = { kind: 'error', index, offset: lineStart, line, ...read };
          index++;
        } else if (read.bytes) {
          const trimmed = trimSpace(read.bytes);
          if (trimmed.length > 0) {
            entry = { kind: 'object', index, offset: lineStart, line, text: '', bytes: trimmed };
            index++;
          }
        } else {
          const text = read.text.trim();
          if (text.length > 0) {
            entry = { kind: 'object', index, offset: lineStart, line, text };
            index++;
          }
        }
      }
      if (pending.length > 0) pending = [];
      pendingBytes = 0;
      oversized = false;
      lineStart = end + 1;
      line++;
      return entry;
    }
    let turned = 0;
    for await (const raw of chunks) {
      const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const base = this.bytesRead;
      let from = 0;
      for (;;) {
        const at = chunk.indexOf(NEWLINE, from);
        const end = at < 0 ? chunk.length : at;
        if (!oversized) {
          pendingBytes += end - from;
          if (pendingBytes > this.#maxObjectBytes) {
            oversized = true;
            pending = [];
          } else if (end > from) pending.push(chunk.subarray(from, end));
        }
        if (at < 0) break;
        const entry = finish(base + at);
        if (entry) yield entry;
        // A chunk of many lines making no entries (one body read whole, as a test injects it) gives turns as well.
        else if ((line & 0xffff) === 0) await nextTurn();
        from = at + 1;
      }
      this.bytesRead += chunk.length;
      // Input that makes no entries (blank lines) gives the thread's other work its turns too.
      if (this.bytesRead - turned >= TURN_BYTES) {
        turned = this.bytesRead;
        await nextTurn();
      }
    }
    if (pendingBytes > 0 || oversized) {
      const entry = finish(this.bytesRead);
      if (entry) yield entry;
    }
  }

  async *#document(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEntry> {
    const max = this.#maxObjectBytes;
    let where: Where = Where.Top;
    let depth = 0;
    let inString = false;
    let escape = false;
    /** Depth at which ObjectList elements sit (their opening brace takes depth to this). */
    let elementDepth = -1;
    /** Depth of the top-level object whose keys we read. */
    let capturing = false;
    let captureStart = 0;
    let captureParts: Buffer[] = [];
    let captureBytes = 0;
    let captureOversized = false;
    let captureOffset = 0;
    /** The object being captured nests deeper than the limit (its path is found at its end). */
    let captureTooDeep = false;
    const maxDepth = this.#maxDepth;
    let index = 0;
    // Key tracking inside a top-level object.
    let expectKey = false;
    let keyStart = -1;
    let keyParts: Buffer[] = [];
    let currentKey: string | undefined;
    let valueStringStart = -1;
    let valueStringParts: Buffer[] = [];
    let topObjectOffset = 0;
    let topObjectHadObjects = false;
    let skipDepth = 0;
    let skippingScalar = false;
    let turned = 0;

    for await (const raw of chunks) {
      // Input that makes no entries (empty arrays, whitespace) gives the thread's other work its turns too.
      if (this.bytesRead - turned >= TURN_BYTES) {
        turned = this.bytesRead;
        await nextTurn();
      }
      const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const base = this.bytesRead;
      const length = chunk.length;
      if (capturing) captureStart = 0;
      if (keyStart >= 0) keyStart = 0;
      if (valueStringStart >= 0) valueStringStart = 0;
      for (let i = 0; i < length; i++) {
        if (capturing && !inString && where === Where.ObjectList) {
          // Inside an element of the objects: only strings and nesting matter up to its closing
          // brace, the bulk of the stream's bytes. A loop of its own, without the dispatch below,
          // takes it to that brace (handled below) or to the chunk's end.
          let d = depth;
          let j = i;
          for (; j < length; j++) {
            const b = chunk[j]!;
            if (b === QUOTE) {
              const end = closingQuote(chunk, j + 1, length);
              if (end < 0) {
                inString = true;
                escape = endsInOpenEscape(chunk, j + 1, length);
                j = length;
                break;
              }
              j = end;
            } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
              if (++d - elementDepth >= maxDepth) captureTooDeep = true;
            } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
              if (d === elementDepth) break;
              d--;
            }
          }
          depth = d;
          i = j;
          if (i >= length) break;
        }
        const c = chunk[i]!;
        if (inString) {
          if (escape) {
            escape = false;
            continue;
          }
          // Jump to the closing quote: most of a STIX object's bytes are inside strings.
          const end = closingQuote(chunk, i, length);
          if (end < 0) {
            escape = endsInOpenEscape(chunk, i, length);
            i = length;
            continue;
          }
          i = end;
          inString = false;
          if (keyStart >= 0) {
            keyParts.push(chunk.subarray(keyStart, i));
            currentKey = Buffer.concat(keyParts).toString('utf8');
            keyParts = [];
            keyStart = -1;
          } else if (valueStringStart >= 0) {
            valueStringParts.push(chunk.subarray(valueStringStart, i + 1));
            const text = Buffer.concat(valueStringParts).toString('utf8');
            valueStringParts = [];
            valueStringStart = -1;
            this.#headerValue(currentKey, text);
          }
          continue;
        }
        if (isSpace(c)) continue;
        switch (where) {
          case Where.Top: {
            if (c === OPEN_BRACE) {
              where = Where.TopObject;
              depth = 1;
              expectKey = true;
              topObjectOffset = base + i;
              topObjectHadObjects = false;
              currentKey = undefined;
              // Capture the whole top-level object too, in case it is a lone STIX object.
              capturing = true;
              captureStart = i;
              captureParts = [];
              captureBytes = 0;
              captureOversized = false;
              captureTooDeep = false;
              captureOffset = base + i;
            } else if (c === OPEN_BRACKET) {
              where = Where.ObjectList;
              skippingScalar = false;
              this.header.format ??= 'array';
              depth = 1;
              elementDepth = 2;
            } else {
              yield { kind: 'error', index: undefined, offset: base + i, line: undefined, message: `unexpected ${displayByte(c)} at byte ${base + i}: expected a STIX bundle '{', a JSON array '[' or NDJSON` };
              this.bytesRead = base + length;
              return;
            }
            continue;
          }
          case Where.TopObject: {
            if (c === QUOTE) {
              inString = true;
              if (depth === 1) {
                if (expectKey) keyStart = i + 1;
                else valueStringStart = i;
              }
              continue;
            }
            if (c === COLON && depth === 1) {
              expectKey = false;
              if (currentKey === 'objects') {
                // Next significant byte must open the array of objects.
                where = Where.Skip;
                skipDepth = -1;
              }
              continue;
            }
            if (c === COMMA && depth === 1) {
              expectKey = true;
              currentKey = undefined;
              continue;
            }
            if (c === OPEN_BRACE || c === OPEN_BRACKET) {
              if (++depth > maxDepth) captureTooDeep = true;
              continue;
            }
            if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
              depth--;
              if (depth === 0) {
                where = Where.Top;
                if (capturing) {
                  capturing = false;
                  if (!topObjectHadObjects) {
                    // A lone object rather than a bundle: hand it on as one.
                    this.header.format ??= 'object';
                    const entry = this.#finishCapture(chunk, captureStart, i + 1, captureParts, captureBytes, captureOversized, captureOffset, index, captureTooDeep);
                    index++;
                    yield entry;
                  }
                }
                captureParts = [];
              }
              continue;
            }
            continue;
          }
          case Where.Skip: {
            // Only reached right after "objects": expecting '['.
            if (skipDepth === -1) {
              if (c === OPEN_BRACKET) {
                where = Where.ObjectList;
                skippingScalar = false;
                this.header.format = 'bundle';
                topObjectHadObjects = true;
                capturing = false;
                captureParts = [];
                depth = 2;
                elementDepth = 3;
              } else {
                yield { kind: 'error', index: undefined, offset: base + i, line: undefined, message: `"objects" at byte ${base + i} must be an array of STIX objects` };
                this.bytesRead = base + length;
                return;
              }
            }
            continue;
          }
          case Where.ObjectList: {
            if (c === QUOTE) {
              inString = true;
              if (depth === elementDepth - 1) {
                yield { kind: 'error', index, offset: base + i, line: undefined, message: `element ${index} at byte ${base + i} is a string, not a STIX object` };
                index++;
              }
              continue;
            }
            if (c === OPEN_BRACE || c === OPEN_BRACKET) {
              depth++;
              if (depth === elementDepth && c === OPEN_BRACE) {
                capturing = true;
                captureStart = i;
                captureParts = [];
                captureBytes = 0;
                captureOversized = false;
                captureTooDeep = false;
                captureOffset = base + i;
              } else if (depth - elementDepth >= maxDepth) {
                captureTooDeep = true;
              } else if (depth === elementDepth) {
                yield { kind: 'error', index, offset: base + i, line: undefined, message: `element ${index} at byte ${base + i} is an array, not a STIX object` };
                index++;
              }
              continue;
            }
            if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
              if (depth === elementDepth && capturing) {
                capturing = false;
                const entry = this.#finishCapture(chunk, captureStart, i + 1, captureParts, captureBytes, captureOversized, captureOffset, index, captureTooDeep);
                index++;
                captureParts = [];
                depth--;
                yield entry;
                continue;
              }
              depth--;
              if (depth === elementDepth - 2) {
                // The array closed.
                if (elementDepth === 2) {
                  where = Where.Top;
                  depth = 0;
                } else {
                  where = Where.TopObject;
                  expectKey = false;
                }
              }
              continue;
            }
            if (depth === elementDepth - 1) {
              if (c === COMMA) skippingScalar = false;
              else if (!skippingScalar) {
                // A number, true, false or null where an object belongs: report it once, then
                // skip its remaining bytes (even across chunks) up to the next comma.
                yield { kind: 'error', index, offset: base + i, line: undefined, message: `element ${index} at byte ${base + i} starts with ${displayByte(c)}: every element must be a STIX object` };
                index++;
                skippingScalar = true;
              }
            }
            continue;
          }
        }
      }
      // Carry partial captures across the chunk boundary.
      if (capturing && !captureOversized) {
        const part = chunk.subarray(captureStart, length);
        captureBytes += part.length;
        if (captureBytes > max) {
          captureOversized = true;
          captureParts = [];
        } else captureParts.push(part);
      }
      if (keyStart >= 0) keyParts.push(chunk.subarray(keyStart, length));
      if (valueStringStart >= 0) {
        valueStringParts.push(chunk.subarray(valueStringStart, length));
        if (valueStringParts.reduce((n, p) => n + p.length, 0) > 4096) {
          valueStringParts = [];
          valueStringStart = -1;
        }
      }
      this.bytesRead = base + length;
    }
    if (where !== Where.Top || inString) {
      const what = capturing ? `object ${index} starting at byte ${captureOffset}` : `the document starting at byte ${topObjectOffset}`;
      yield {
        kind: 'error',
        index: capturing ? index : undefined,
        offset: this.bytesRead,
        line: undefined,
        message: `unexpected end of input at byte ${this.bytesRead}: ${what} is not closed; the content is truncated (every complete object before it was processed)`,
      };
    } else if (this.header.format === undefined && index === 0) {
      this.header.format = 'empty';
    }
  }

  #headerValue(key: string | undefined, text: string): void {
    if (key === undefined) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof value !== 'string') return;
    if (key === 'spec_version') this.header.specVersion = value;
    else if (key === 'id') this.header.bundleId = value;
  }

  #finishCapture(
    chunk: Buffer,
    start: number,
    end: number,
    parts: Buffer[],
    bytesBefore: number,
    oversized: boolean,
    offset: number,
    index: number,
    tooDeep: boolean,
  ): StreamEntry {
    const total = bytesBefore + (end - start);
    if (oversized || total > this.#maxObjectBytes) {
      return { kind: 'error', index, offset, line: undefined, rule: 'object-size', message: `object ${index} at byte ${offset} is ${total} bytes, larger than the limit of ${this.#maxObjectBytes} bytes; split it or raise SHIELDWALL_MAX_OBJECT_BYTES` };
    }
    const bytes = parts.length === 0 ? chunk.subarray(start, end) : Buffer.concat([...parts, chunk.subarray(start, end)]);
    // Depth is only measured again (for the path) when the scan above found it passed.
    const read = objectText(bytes, offset, tooDeep ? this.#maxDepth : undefined, `object ${index} at byte ${offset}`, this.#bytes);
    if (!('text' in read)) return { kind: 'error', index, offset, line: undefined, ...read };
    return read.bytes ? { kind: 'object', index, offset, line: undefined, text: '', bytes: read.bytes } : { kind: 'object', index, offset, line: undefined, text: read.text };
  }
}
