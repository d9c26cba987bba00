/**
 * The body of an Add Objects request (TAXII 2.1 section 5.5) on its way to the ingest pipeline,
 * which reads its objects one by one (intel.ingestStream): the body is never held, decoded or
 * parsed whole. On the way, its bytes are checked as the whole-body parse used to check them:
 *
 * - past the body limit: 413;
 * - bytes that are not UTF-8: 400, with the offset of the first;
 * - not JSON at the envelope's level (empty, cut short, anything after the envelope): 400;
 * - JSON that is not an envelope (`{"objects": [...]}`, section 3.7): 422.
 *
 * Whether the body is an envelope is known before any object is passed on. The limit, UTF-8 and
 * the envelope's end hold to the end of the body: a body refused late has had the objects before
 * the refusal processed (the service says how many, and keeps their status).
 *
 * The scan also notes the id and version (modified, else created, as sent) of each object of the
 * envelope: a status lists them (4.3.1), and the pipeline's outcome of an object it refused has
 * no version (nor an id, when it refused it unread: too large, too deep). The scan walks each
 * byte once, on this thread (some 0.4 s of CPU for 64 MiB of STIX), with a turn of the event loop
 * after each PIECE_BYTES.
 */
import { isUtf8 } from 'node:buffer';
import { shieldwallError, type ShieldwallError } from '../../core/errors.js';
import { nextTurn } from '../../core/turn.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, invalidUtf8Offset, OPEN_BRACE, OPEN_BRACKET, QUOTE } from '../../stix/depth.js';

/** What the scan noted of one object of the envelope: its id, and its version as 4.3.1 defines it. */
export interface SentObject {
  id: string | undefined;
  /** modified, else created (as sent); '' when neither is a string. */
  version: string;
}

/** A turn of the event loop is let through after this many bytes scanned; a larger chunk goes on in pieces. */
export const PIECE_BYTES = 1024 * 1024;
/** The longest key the scan looks for ("modified"). */
const KEY_MAX = 8;
/** Values noted (id, modified, created) are cut past this many bytes; a status cuts them shorter. */
const VALUE_MAX = 512;

const enum Phase {
  /** Before the body's first significant byte. */
  Before,
  /** In the envelope's object, before its "objects" array opens. */
  Keys,
  /** From the "objects" array's opening to the envelope's end. */
  Objects,
  /** After the envelope closed: only white space may follow. */
  Closed,
}

const enum Capture {
  None,
  /** A key of the envelope (looking for "objects"). */
  TopKey,
  /** A key of an object of the envelope (looking for id, modified, created). */
  Key,
  /** The value of one of those keys. */
  Value,
}

/** A property of an object present with a value that is not a string. */
const NOT_TEXT = Symbol('not a string');

type NotedKey = 'id' | 'modified' | 'created';

/** One object of the envelope whose top level is being read. */
interface ElementScan {
  index: number;
  expectKey: boolean;
  key: NotedKey | undefined;
  id?: string | typeof NOT_TEXT;
  modified?: string | typeof NOT_TEXT;
  created?: string | typeof NOT_TEXT;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** A byte that starts a JSON value other than an object: ", [, a digit, -, t(rue), f(alse), n(ull). */
function startsJsonValue(c: number): boolean {
  return c === QUOTE || c === OPEN_BRACKET || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

/** The words JSON spells out, by their first byte. */
const LITERALS: Partial<Record<number, Buffer>> = { 0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null') };

function shown(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function notJson(what: string): ShieldwallError {
  return shieldwallError('BAD_REQUEST', `the body is not JSON: ${what}; send a TAXII envelope, {"objects": [ ...STIX objects... ]}`);
}

function notEnvelope(what: string): ShieldwallError {
  return shieldwallError('INVALID_BUNDLE', `the body must be a TAXII envelope: {"objects": [ ...STIX objects... ]} (TAXII 2.1 section 3.7); ${what}`);
}

/**
 * Checks that bytes are UTF-8 as they arrive, chunk by chunk: a sequence cut by a chunk's end
 * waits for the next chunk. The offset of a bad byte is that of invalidUtf8Offset over the whole.
 */
class Utf8Check {
  /** An incomplete sequence at the end of the chunks so far, and its offset. */
  #tail: Buffer | undefined;
  #tailAt = 0;

  check(chunk: Buffer, base: number): void {
    let from = 0;
    if (this.#tail) {
      const lead = this.#tail[0]!;
      const need = (lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2) - this.#tail.length;
      const take = Math.min(need, chunk.length);
      const joined = Buffer.concat([this.#tail, chunk.subarray(0, take)]);
      if (take < need) {
        this.#tail = joined;
        return;
      }
      if (!isUtf8(joined)) this.#refuse(joined, this.#tailAt);
      this.#tail = undefined;
      from = take;
    }
    const cut = incompleteEnd(chunk, from);
    const whole = chunk.subarray(from, cut);
    if (!isUtf8(whole)) this.#refuse(whole, base + from);
    if (cut < chunk.length) {
      this.#tail = Buffer.from(chunk.subarray(cut));
      this.#tailAt = base + cut;
    }
  }

  /** The body ended: a sequence still open is cut short. */
  end(): void {
    if (this.#tail) this.#refuse(this.#tail, this.#tailAt);
  }

  #refuse(bytes: Buffer, base: number): never {
    const at = invalidUtf8Offset(bytes) ?? 0;
    throw shieldwallError(
      'BAD_REQUEST',
      `the body is not UTF-8: invalid byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at byte ${base + at}; TAXII content is UTF-8 JSON (RFC 8259 section 8.1): re-encode it and send it again`,
    );
  }
}

/** Where a UTF-8 sequence begun in the last three bytes and not finished there starts; else the end. */
function incompleteEnd(chunk: Buffer, from: number): number {
  const end = chunk.length;
  for (let k = 1; k <= 3 && end - k >= from; k++) {
    const c = chunk[end - k]!;
    if ((c & 0xc0) === 0x80) continue;
    if (c < 0xc0) return end;
    const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    return k < length ? end - k : end;
  }
  return end;
}

const OBJECTS_KEY = Buffer.from('objects');
const ID_KEY = Buffer.from('id');
const CREATED_KEY = Buffer.from('created');
const MODIFIED_KEY = Buffer.from('modified');

/** Whether chunk[start, end) holds exactly the bytes of `word`. */
function isWord(chunk: Buffer, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (chunk[start + k] !== word[k]) return false;
  return true;
}

/** Whether chunk[start, end) holds a backslash (an escape to decode): a value noted is short. */
function hasBackslash(chunk: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (chunk[k] === BACKSLASH) return true;
  return false;
}

/** Which noted key chunk[start, end) is, if any. */
function notedKey(chunk: Buffer, start: number, end: number): NotedKey | undefined {
  switch (end - start) {
    case 2:
      return isWord(chunk, start, end, ID_KEY) ? 'id' : undefined;
    case 7:
      return isWord(chunk, start, end, CREATED_KEY) ? 'created' : undefined;
    case 8:
      return isWord(chunk, start, end, MODIFIED_KEY) ? 'modified' : undefined;
    default:
      return undefined;
  }
}

/** The value of the key just read at an element's top level (undefined: null, as if absent). */
function noteValue(element: ElementScan, value: string | typeof NOT_TEXT | undefined): void {
  const key = element.key!;
  element.key = undefined;
  if (value === undefined) delete element[key];
  else element[key] = value;
}

/** Noted objects claimed since the queue was last shortened, past which it is shortened. */
const CLAIMED_BEFORE_SHORTENING = 16_384;

/**
 * The structure of the body at the envelope's level: is it an object whose "objects" is an array,
 * does it end, and with nothing after it. Inside the objects array it numbers the elements as
 * the stream reader does (stix/stream-reader.ts: a string, an array, an object, or a run of other
 * bytes up to a comma is one element) and notes the id, modified and created at the top level
 * of each object. Keys are compared as bytes; only those three values become strings.
 */
class EnvelopeScan {
  #phase = Phase.Before;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** What is kept of the string being read, when it is one the scan looks at. */
  #capture = Capture.None;
  /** Parts of a kept string that goes on past its chunk. */
  #parts: Buffer[] = [];
  #partBytes = 0;
  #expectTopKey = false;
  #topKeyIsObjects = false;
  #awaitObjects = false;
  /** A body that starts as true, false or null: how much of the word has come. */
  #literal: { word: Buffer; matched: number; at: number } | undefined;
  #closedAt = 0;
  #nextIndex = 0;
  #skippingScalar = false;
  #element: ElementScan | undefined;
  /** Noted objects by index - #first, in the order of their indexes (the order outcomes come in). */
  #noted: Array<SentObject | undefined> = [];
  #first = 0;
  #claimed = 0;

  /** Once the objects array has opened, the bytes may go on to the reader. */
  get open(): boolean {
    return this.#phase >= Phase.Objects;
  }

  /** What was noted of the object at `index`, once: the queue lets go of it. */
  claim(index: number): SentObject | undefined {
    const at = index - this.#first;
    if (at < 0 || at >= this.#noted.length) return undefined;
    const sent = this.#noted[at];
    this.#noted[at] = undefined;
    this.#claimed = Math.max(this.#claimed, at + 1);
    if (this.#claimed >= CLAIMED_BEFORE_SHORTENING) {
      this.#noted.splice(0, this.#claimed);
      this.#first += this.#claimed;
      this.#claimed = 0;
    }
    return sent;
  }

  scan(chunk: Buffer, base: number): void {
    const length = chunk.length;
    let i = 0;
    if (this.#phase === Phase.Objects) i = this.#scanObjects(chunk, base, 0);
    // Outside the objects array: the envelope's first bytes, its keys, what follows it.
    let inString = this.#inString;
    let stringStart = 0;
    if (i === 0 && inString && this.#escaped) {
      this.#escaped = false;
      i = 1;
    }
    for (; i < length; i++) {
      const c = chunk[i]!;
      if (this.#literal) {
        const literal = this.#literal;
        if (literal.matched < literal.word.length) {
          if (c !== literal.word[literal.matched]) throw notJson(`unexpected ${shown(c)} at byte ${base + i}`);
          if (++literal.matched === literal.word.length) throw notEnvelope(`the body is the JSON value ${literal.word.toString()} (byte ${literal.at}), not an object`);
        }
        continue;
      }
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) {
          inString = false;
          if (this.#capture !== Capture.None) this.#stringEnds(chunk, stringStart, i);
        }
        continue;
      }
      if (c === QUOTE) {
        this.#capture = this.#stringStarts(base + i);
        inString = true;
        stringStart = i + 1;
        continue;
      }
      if (isSpace(c)) continue;
      switch (this.#phase) {
        case Phase.Before:
          if (c === OPEN_BRACE) {
            this.#phase = Phase.Keys;
            this.#depth = 1;
            this.#expectTopKey = true;
          } else if (LITERALS[c]) {
            // true, false or null: JSON that is no envelope, once the word is whole.
            this.#literal = { word: LITERALS[c], matched: 1, at: base + i };
          } else if (startsJsonValue(c)) throw notEnvelope(`the body is a JSON ${c === OPEN_BRACKET ? 'array' : 'value'} (byte ${base + i}), not an object`);
          else throw notJson(`unexpected ${shown(c)} at byte ${base + i}`);
          break;
        case Phase.Keys:
          this.#key(c, base + i);
          // The objects array opened: the rest of the chunk is read as its elements.
          if (this.open) {
            this.#inString = false;
            this.#escaped = false;
            this.#capture = Capture.None;
            i = this.#scanObjects(chunk, base, i + 1) - 1;
          }
          break;
        case Phase.Closed:
          throw notJson(`unexpected ${shown(c)} at byte ${base + i}, after the envelope that ended at byte ${this.#closedAt}`);
      }
    }
    if (this.#phase === Phase.Objects) return;
    // A backslash as the chunk's last byte escapes the next chunk's first.
    this.#escaped = i > length;
    this.#inString = inString;
    if (inString && this.#capture !== Capture.None) this.#keep(chunk.subarray(stringStart, length));
  }

  /**
   * Reads chunk[from..] inside the objects array, where nearly all of a body's bytes are, with
   * the state in local variables; only an element's top level (depth 3) is looked at more
   * closely. Answers where it stopped: the chunk's end, or just after the envelope's closing brace.
   */
  #scanObjects(chunk: Buffer, base: number, from: number): number {
    const length = chunk.length;
    let depth = this.#depth;
    let inString = this.#inString;
    let capture = this.#capture;
    let element = this.#element;
    let nextIndex = this.#nextIndex;
    let skippingScalar = this.#skippingScalar;
    let stringStart = from;
    let i = from;
    if (inString && this.#escaped) {
      this.#escaped = false;
      i++;
    }
    for (; i < length; i++) {
      const c = chunk[i]!;
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) {
          inString = false;
          if (capture !== Capture.None) {
            if (capture === Capture.Key && this.#parts.length === 0) element!.key = notedKey(chunk, stringStart, i);
            else {
              this.#element = element;
              this.#capture = capture;
              this.#stringEnds(chunk, stringStart, i);
            }
            capture = Capture.None;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        stringStart = i + 1;
        if (depth === 3) {
          if (element !== undefined) capture = element.expectKey ? Capture.Key : element.key !== undefined ? Capture.Value : Capture.None;
        } else if (depth === 2) nextIndex++;
        continue;
      }
      if (depth > 3) {
        if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
        continue;
      }
      switch (c) {
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (depth === 2) {
            const index = nextIndex++;
            if (c === OPEN_BRACE) element = { index, expectKey: true, key: undefined };
          } else if (depth === 3 && element?.key !== undefined) noteValue(element, NOT_TEXT);
          depth++;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          depth--;
          if (depth === 2 && element !== undefined) {
            this.#elementEnds(element);
            element = undefined;
          } else if (depth === 0) {
            this.#phase = Phase.Closed;
            this.#closedAt = base + i;
            this.#depth = 0;
            this.#inString = false;
            this.#element = undefined;
            this.#nextIndex = nextIndex;
            return i + 1;
          }
          break;
        case COLON:
          if (depth === 3 && element !== undefined) element.expectKey = false;
          break;
        case COMMA:
          if (depth === 2) skippingScalar = false;
          else if (depth === 3 && element !== undefined) {
            element.expectKey = true;
            element.key = undefined;
          }
          break;
        case 0x20:
        case 0x0a:
        case 0x0d:
        case 0x09:
          break;
        default:
          if (depth === 2) {
            if (!skippingScalar) {
              nextIndex++;
              skippingScalar = true;
            }
          } else if (depth === 3 && element?.key !== undefined) noteValue(element, c === 0x6e ? undefined : NOT_TEXT);
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#capture = capture;
    this.#element = element;
    this.#nextIndex = nextIndex;
    this.#skippingScalar = skippingScalar;
    // A backslash as the chunk's last byte escapes the next chunk's first.
    this.#escaped = i > length;
    if (inString && capture !== Capture.None) this.#keep(chunk.subarray(stringStart, length));
    return length;
  }

  /** The body ended after `total` bytes. */
  end(total: number): void {
    if (this.#phase === Phase.Closed) return;
    if (this.#literal) throw notJson(`it ends at byte ${total}, inside the word begun at byte ${this.#literal.at}`);
    if (this.#phase === Phase.Before) throw notJson(total === 0 ? 'the body is empty' : 'the body holds white space only');
    throw notJson(`it ends at byte ${total}, inside the envelope${this.#phase === Phase.Keys ? ', before its "objects" array' : ''}: the body is cut short`);
  }

  #key(c: number, at: number): void {
    if (this.#awaitObjects) {
      if (c === OPEN_BRACKET) {
        this.#phase = Phase.Objects;
        this.#depth = 2;
        this.#awaitObjects = false;
        return;
      }
      if (startsJsonValue(c) || c === OPEN_BRACE) throw notEnvelope(`"objects" at byte ${at} is not an array`);
      throw notJson(`unexpected ${shown(c)} at byte ${at}`);
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--this.#depth === 0) throw notEnvelope(`the object that ends at byte ${at} has no "objects" array`);
    } else if (this.#depth === 1) {
      if (c === COLON) {
        this.#expectTopKey = false;
        this.#awaitObjects = this.#topKeyIsObjects;
      } else if (c === COMMA) {
        this.#expectTopKey = true;
        this.#topKeyIsObjects = false;
      }
    }
  }

  /** A string starts at `at` (its quote) outside the objects array: answers what is kept of it. */
  #stringStarts(at: number): Capture {
    switch (this.#phase) {
      case Phase.Before:
        throw notEnvelope(`the body is a JSON string (byte ${at}), not an object`);
      case Phase.Keys:
        if (this.#awaitObjects) throw notEnvelope(`"objects" at byte ${at} is a string, not an array`);
        return this.#depth === 1 && this.#expectTopKey ? Capture.TopKey : Capture.None;
      case Phase.Objects:
        // Read by #scanObjects.
        return Capture.None;
      case Phase.Closed:
        throw notJson(`unexpected '"' at byte ${at}, after the envelope that ended at byte ${this.#closedAt}`);
    }
  }

  /** Keeps a part of a string that goes on past its chunk, up to what is looked at of it. */
  #keep(part: Buffer): void {
    const room = (this.#capture === Capture.Value ? VALUE_MAX : KEY_MAX) + 1 - this.#partBytes;
    if (room <= 0 || part.length === 0) return;
    const kept = Buffer.from(part.subarray(0, Math.min(room, part.length)));
    this.#parts.push(kept);
    this.#partBytes += kept.length;
  }

  /** A string the scan looks at ends: it is chunk[start, end), after the parts kept of it. */
  #stringEnds(chunk: Buffer, start: number, end: number): void {
    if (this.#parts.length === 0) {
      this.#captured(chunk, start, end);
      return;
    }
    this.#keep(chunk.subarray(start, end));
    const whole = Buffer.concat(this.#parts, this.#partBytes);
    this.#parts = [];
    this.#partBytes = 0;
    this.#captured(whole, 0, whole.length);
  }

  /** The string in chunk[start, end) (without its quotes) was one the scan looks at. */
  #captured(chunk: Buffer, start: number, end: number): void {
    const capture = this.#capture;
    this.#capture = Capture.None;
    if (capture === Capture.TopKey) {
      this.#topKeyIsObjects = isWord(chunk, start, end, OBJECTS_KEY);
      return;
    }
    const element = this.#element!;
    if (capture === Capture.Key) {
      element.key = notedKey(chunk, start, end);
      return;
    }
    const stop = Math.min(end, start + VALUE_MAX);
    let text = chunk.toString('utf8', start, stop);
    if (hasBackslash(chunk, start, stop)) {
      try {
        text = JSON.parse(`"${text}"`) as string;
      } catch {
        // Cut inside an escape (past VALUE_MAX): the text as written.
      }
    }
    noteValue(element, text);
  }

  #elementEnds(element: ElementScan): void {
    this.#element = undefined;
    // As `modified ?? created`, the version of a status detail (4.3.1), as the whole-body parse gave it.
    const version = element.modified ?? element.created;
    const at = element.index - this.#first;
    while (this.#noted.length < at) this.#noted.push(undefined);
    this.#noted[at] = { id: typeof element.id === 'string' ? element.id : undefined, version: typeof version === 'string' ? version : '' };
  }
}

/** An Add Objects body read as it arrives; `chunks` passes it on, checked (see the file's comment). */
export class EnvelopeBody {
  readonly #limitBytes: number;
  readonly #scan = new EnvelopeScan();

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  /** What the scan noted of the object at `index` of the envelope, once (its outcome claims it). */
  claim(index: number): SentObject | undefined {
    return this.#scan.claim(index);
  }

  async *chunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const utf8 = new Utf8Check();
    const scan = this.#scan;
    // Held until the objects array opens: no object goes on before the body is known to be an envelope.
    let held: Buffer[] | undefined = [];
    let read = 0;
    // Chunks already received (or in memory) come one after another without a turn of the event
    // loop: a turn is let through after each PIECE_BYTES scanned.
    let sinceTurn = 0;
    for await (const raw of body) {
      const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      // What goes on owns its memory: a view of a larger buffer would take the whole buffer with it
      // to the ingest worker (a message copies the entire ArrayBuffer of a view).
      const owned = raw.byteLength * 2 >= raw.buffer.byteLength;
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        if (sinceTurn >= PIECE_BYTES) {
          sinceTurn = 0;
          await nextTurn();
        }
        const piece = owned && chunk.length <= PIECE_BYTES ? chunk : Buffer.from(chunk.subarray(at, at + PIECE_BYTES));
        if (read + piece.length > this.#limitBytes) {
          throw shieldwallError('PAYLOAD_TOO_LARGE', `the body exceeds ${this.#limitBytes} bytes, the API root's max_content_length (SHIELDWALL_BODY_LIMIT): send the objects in several Add Objects requests`);
        }
        utf8.check(piece, read);
        scan.scan(piece, read);
        read += piece.length;
        sinceTurn += piece.length;
        if (!held) yield piece;
        else {
          held.push(piece);
          if (scan.open) {
            for (const part of held) yield part;
            held = undefined;
          }
        }
      }
    }
    utf8.end();
    scan.end(read);
  }
}
