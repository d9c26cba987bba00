/**
 * Limits that must hold before an object is parsed or walked: the nesting depth of its JSON
 * (deep enough, and JSON.stringify, the validator and every reader's recursion overflow the
 * stack) and its bytes being UTF-8 (Buffer#toString would silently put U+FFFD in their place).
 * Pure; every check is iterative, so that no input can overflow the stack here either.
 */
import { isUtf8 } from 'node:buffer';

/** Default of SHIELDWALL_MAX_OBJECT_DEPTH: far above any STIX object seen (about 8). */
export const DEFAULT_MAX_OBJECT_DEPTH = 64;

export interface DepthProblem {
  /** Depth reached: the object itself is 1, a property's object or array 2, and so on. */
  depth: number;
  /** JSONPath-like place where the limit was passed, shortened in the middle when long. */
  path: string;
  /** Byte offset in the text where the limit was passed (text checks only). */
  offset?: number;
}

/** Bytes of JSON syntax, for the scanners that read JSON text as bytes. */
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** Segments kept at each end of a path that is shortened. */
const PATH_ENDS = 6;

function renderPath(segments: ReadonlyArray<string | number>): string {
  const show = (s: string | number) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`);
  if (segments.length <= 2 * PATH_ENDS + 1) return `$${segments.map(show).join('')}`;
  const omitted = segments.length - 2 * PATH_ENDS;
  return `$${segments.slice(0, PATH_ENDS).map(show).join('')}…(${omitted} levels)…${segments.slice(-PATH_ENDS).map(show).join('')}`;
}

/**
 * Whether the JSON text in `bytes` nests deeper than `limit`; without a problem, undefined. A
 * single pass over the bytes that only counts brackets outside strings; the path is worked out
 * by a second pass only when the limit is passed. Malformed JSON is not judged here.
 */
export function textDepthProblem(bytes: Uint8Array, limit: number): DepthProblem | undefined {
  let depth = 0;
  let inString = false;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return { depth, path: pathAt(bytes, i), offset: i };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return undefined;
}

/** The path to the bracket at `at`: the key or index of each container open around it. */
function pathAt(bytes: Uint8Array, at: number): string {
  const frames: Array<{ array: boolean; index: number; key: string; expectKey: boolean }> = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < at; i++) {
    const c = bytes[i]!;
    const top = frames[frames.length - 1];
    if (c === QUOTE) {
      const start = i + 1;
      for (i = start; i < at && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      if (top && !top.array && top.expectKey) {
        const raw = decoder.decode(bytes.subarray(start, i));
        try {
          top.key = JSON.parse(`"${raw}"`) as string;
        } catch {
          top.key = raw;
        }
      }
    } else if (c === OPEN_BRACE) frames.push({ array: false, index: 0, key: '', expectKey: true });
    else if (c === OPEN_BRACKET) frames.push({ array: true, index: 0, key: '', expectKey: false });
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) frames.pop();
    else if (c === COLON && top) top.expectKey = false;
    else if (c === COMMA && top) {
      if (top.array) top.index++;
      else top.expectKey = true;
    }
  }
  return renderPath(frames.map((f) => (f.array ? f.index : f.key)));
}

/** Whether a parsed value nests deeper than `limit` (objects handed over as values). */
export function valueDepthProblem(value: unknown, limit: number): DepthProblem | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Array<{ value: object; depth: number; path: Array<string | number> }> = [{ value, depth: 1, path: [] }];
  while (stack.length > 0) {
    const { value: node, depth, path } = stack.pop()!;
    if (depth > limit) return { depth, path: renderPath(path) };
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1, path: [...path, key] });
    }
  }
  return undefined;
}

/** The rejection message of a depth problem: what, where, the limit, how to fix. */
export function depthMessage(problem: DepthProblem, limit: number): string {
  const where = problem.offset !== undefined ? ` (byte ${problem.offset} of the object)` : '';
  return `the object nests JSON objects and arrays deeper than the limit of ${limit} levels: level ${problem.depth} is reached at ${problem.path}${where}. Flatten the structure (STIX objects refer to each other by id rather than nesting them), or raise SHIELDWALL_MAX_OBJECT_DEPTH`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of UTF-8 bytes, or undefined when they are not valid UTF-8 (one pass does both). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Byte offset of the first byte that is not valid UTF-8 (a bad lead or continuation byte, an
 * overlong form, a surrogate, a sequence cut short), or undefined when all of it is valid.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number | undefined {
  if (isUtf8(bytes)) return undefined;
  const length = bytes.length;
  for (let i = 0; i < length; ) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= length) return i;
    let code = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return undefined;
}
