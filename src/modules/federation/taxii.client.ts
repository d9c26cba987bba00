/**
 * A TAXII 2.1 client for pulling from and pushing to peer nodes (and any TAXII 2.1 server):
 * undici, with mutual TLS or a bearer token, TAXII media types, and paging that follows `next`
 * or, when a server gives none, `added_after` from X-TAXII-Date-Added-Last (section 3.5).
 */
import { Agent, request, type Dispatcher } from 'undici';
import { timestampProblem } from '../../stix/timestamp.js';
import type { StixObject } from '../../stix/types.js';
import { PAGE_CHARS } from '../intel/intel.service.js';
import { EnvelopeError, envelopeHead, TOO_LONG } from './taxii.envelope.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export interface TaxiiClientOptions {
  /** The API root URL, e.g. https://deu.example/taxii2/intel/ */
  apiRoot: string;
  /** PEM: the client certificate and key this node presents, and the CA its peers' certificates chain to. */
  tls?: { cert?: string; key?: string; ca?: string };
  token?: string;
  basic?: { username: string; password: string };
  /**
   * Milliseconds to wait for headers and for each part of a body (the peer's page timeout); a
   * whole answer, headers and body, must arrive within twice this.
   */
  timeoutMs?: number;
  /** The peer's name on this node, for errors (they name the API root URL when not given). */
  peer?: string;
  /** The most bytes one page of objects may hold (default PAGE_BYTES_MAX). */
  maxPageBytes?: number;
}

/**
 * The most bytes of one page of objects this node reads: twice what a Shieldwall node puts in a
 * page (it ends a page once its objects pass PAGE_CHARS characters, the first object whole), so
 * that the envelope and text outside ASCII fit. A page is held whole while it is stored, and the
 * next one is read meanwhile: a pull holds at most some three times this.
 */
export const PAGE_BYTES_MAX = 2 * PAGE_CHARS;
/** The most bytes of any other answer read: a status, an error, the API root, the collections. */
export const ANSWER_BYTES_MAX = 1024 * 1024;
/** The longest `next` token followed: it goes back in the URL of the next request. */
export const NEXT_TOKEN_MAX = 4096;

/** Which versions of each object to ask for (TAXII 2.1 section 3.4.1, match[version]). */
export type VersionMatch = 'all' | 'last' | 'first';

/** A TAXII server answered with an error (or not with TAXII at all). */
export class TaxiiClientError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(`${url} answered ${status}: ${message}`);
    this.name = 'TaxiiClientError';
  }
}

export interface ObjectsPage {
  objects: StixObject[];
  /** X-TAXII-Date-Added-Last of the page: where to resume with added_after. */
  dateAddedLast: string | undefined;
}

export interface StatusResource {
  id: string;
  status: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  failures?: Array<{ id: string; version: string; message?: string }>;
}

/** One page of objects as the server sent it. */
export interface RawPage {
  /** The TAXII envelope, unparsed. */
  body: Buffer;
  /** True when the envelope holds no objects. */
  empty: boolean;
  dateAddedLast: string | undefined;
  /** True on the last page given when paging stopped at maxPages or maxBytes with more to come. */
  stopped: boolean;
}

/** An answer larger than this node reads; nothing past `limit` bytes was kept. */
export class TaxiiAnswerTooLargeError extends Error {
  constructor(
    readonly url: string,
    readonly limit: number,
    message: string,
  ) {
    super(message);
    this.name = 'TaxiiAnswerTooLargeError';
  }
}

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/**
 * A body read up to `limit` bytes. Past it, `cut` keeps what came and stops reading (an error
 * answer: its start says enough); otherwise the answer is refused. Either way the connection is
 * dropped, and no more than `limit` bytes are ever held.
 */
async function readBounded(response: Dispatcher.ResponseData, limit: number, tooLarge: () => Error, cut = false): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (!cut && Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      response.body.destroy();
      if (!cut) throw tooLarge();
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks, size);
}

/** The title and description of a TAXII error message, or the start of whatever came instead. */
function describeError(text: string): string {
  try {
    const error = JSON.parse(text) as { title?: string; description?: string };
    return [error.title, error.description].filter(Boolean).join(': ') || text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

/**
 * A timestamp just before the one given (one microsecond, at microsecond precision): as
 * `added_after`, which is strictly after, it asks again for every object added at that very
 * instant. A server may add many objects at one date_added, and a page may end inside such a
 * group: resuming strictly after it would skip the rest of the group.
 */
export function justBefore(timestamp: string): string {
  const at = timestampMicros(timestamp);
  if (at === undefined) throw new TaxiiClientError(200, '', `X-TAXII-Date-Added-Last '${timestamp.slice(0, 100)}' is not an RFC 3339 timestamp`);
  return microsText(at - 1n);
}

/**
 * Microseconds since the epoch of an RFC 3339 timestamp (any precision; Z or an offset), exactly
 * (a double would round them); undefined when the text is not one, or names no real instant
 * (February 30th, hour 24).
 */
export function timestampMicros(timestamp: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(timestamp.trim());
  if (!m || timestampProblem(`${m[1]!.toUpperCase()}Z`) !== undefined) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(whole)) return undefined;
  return BigInt(whole) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}

/** A timestamp at microsecond precision, UTC, as TAXII's added_after takes it. */
function microsText(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}

/** The undici error codes of an answer that did not come in time. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class TaxiiClient {
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly peer: string | undefined;
  private readonly maxPageBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;
  /** The API root's max_content_length, once read (see maxContentLength). */
  private contentLimit: { bytes: number | undefined } | undefined;

  constructor(options: TaxiiClientOptions) {
    this.root = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
    const timeout = options.timeoutMs ?? 30_000;
    this.timeoutMs = timeout;
    this.peer = options.peer;
    this.maxPageBytes = options.maxPageBytes ?? PAGE_BYTES_MAX;
    const tls = options.tls ?? {};
    this.dispatcher = new Agent({
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: Math.min(timeout, 10_000),
      // A last guard: every read below stops at its own, smaller bound first.
      maxResponseSize: this.maxPageBytes + 1,
      connect: { ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), ...(tls.ca ? { ca: tls.ca } : {}) },
    });
    const authorization = options.token
      ? `Bearer ${options.token}`
      : options.basic
        ? `Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`
        : undefined;
    this.headers = { accept: TAXII_MEDIA_TYPE, ...(authorization ? { authorization } : {}) };
  }

  /** Who answered, in errors: the peer by name when known, and the URL (without its query, which may carry a long next token). */
  private who(url: string): string {
    const bare = url.split('?')[0]!;
    return this.peer ? `peer ${this.peer} (${bare})` : bare;
  }

  /**
   * One request and its whole answer, of at most `maxBytes` bytes (an error answer is cut at
   * ANSWER_BYTES_MAX), within twice the page timeout from start to end: the per-part body
   * timeout alone lets a server that sends a byte now and then hold a pull for ever.
   */
  private async exchange(url: string, init: { method: 'GET' | 'POST'; body?: string }, maxBytes: number, what: string): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const deadlineMs = 2 * this.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs);
    const tooLarge = () =>
      new TaxiiAnswerTooLargeError(url, maxBytes, `${this.who(url)} sent ${what} of more than ${mib(maxBytes)}, the most this node reads in one (${maxBytes} bytes); it was not read further`);
    try {
      const response = await request(url, {
        method: init.method,
        dispatcher: this.dispatcher,
        headers: { ...this.headers, ...(init.body !== undefined ? { 'content-type': TAXII_MEDIA_TYPE } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: deadline.signal,
      });
      const failed = response.statusCode >= 300;
      const body = await readBounded(response, failed ? Math.min(maxBytes, ANSWER_BYTES_MAX) : maxBytes, tooLarge, failed);
      return { statusCode: response.statusCode, headers: response.headers, body };
    } catch (error) {
      if (error instanceof TaxiiAnswerTooLargeError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw tooLarge();
      const edit = `shieldwall peers edit ${this.peer ?? 'NAME'} --page-timeout SECONDS`;
      if (deadline.signal.aborted) {
        throw new Error(`${this.who(url)} did not send its whole answer within ${deadlineMs / 1000} s, twice the peer's page timeout of ${this.timeoutMs / 1000} s (a server that sends a little now and then is cut off too): raise it with ${edit}`, { cause: error });
      }
      if (code && TIMEOUT_CODES.has(code)) {
        throw new Error(`${this.who(url)} sent no answer within the peer's page timeout of ${this.timeoutMs / 1000} s (${code}): raise it with ${edit}`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async call<T>(path: string, init: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<{ body: T; headers: Record<string, string | string[] | undefined> }> {
    const url = new URL(path, this.root).href;
    const response = await this.exchange(url, { method: init.method ?? 'GET', ...(init.body !== undefined ? { body: init.body } : {}) }, ANSWER_BYTES_MAX, 'an answer');
    const text = response.body.toString('utf8');
    const type = String(response.headers['content-type'] ?? '');
    if (response.statusCode >= 300) throw new TaxiiClientError(response.statusCode, url, describeError(text));
    if (!type.startsWith('application/taxii+json')) throw new TaxiiClientError(response.statusCode, url, `answered ${type || 'no content type'}, not a TAXII resource`);
    try {
      return { body: (text === '' ? {} : JSON.parse(text)) as T, headers: response.headers };
    } catch (error) {
      throw new TaxiiClientError(response.statusCode, url, `answered what is not JSON (${(error as Error).message})`);
    }
  }

  async apiRootInfo(): Promise<{ title: string; versions: string[]; max_content_length: number }> {
    return (await this.call<{ title: string; versions: string[]; max_content_length: number }>('')).body;
  }

  /**
   * The API root's max_content_length: the most bytes one request to it may carry; undefined
   * when the server gives none usable (then only a 413 answer tells). Read once per client; a
   * server that cannot answer now (no connection, 5xx) is asked again next time.
   */
  async maxContentLength(): Promise<number | undefined> {
    if (this.contentLimit) return this.contentLimit.bytes;
    let info: unknown;
    try {
      info = await this.apiRootInfo();
    } catch (error) {
      if (error instanceof TaxiiClientError && error.status >= 400 && error.status < 500) this.contentLimit = { bytes: undefined };
      return undefined;
    }
    const bytes = typeof info === 'object' && info !== null ? (info as { max_content_length?: unknown }).max_content_length : undefined;
    this.contentLimit = { bytes: typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined };
    return this.contentLimit.bytes;
  }

  /** Forgets max_content_length (the server refused a request as too large: it may have changed). */
  forgetContentLength(): void {
    this.contentLimit = undefined;
  }

  async collections(): Promise<Array<{ id: string; alias?: string; title: string; can_read: boolean; can_write: boolean }>> {
    return (await this.call<{ collections?: Array<{ id: string; alias?: string; title: string; can_read: boolean; can_write: boolean }> }>('collections/')).body.collections ?? [];
  }

  /**
   * The collection's objects added after `addedAfter`, page by page, oldest first. Each page
   * carries where to resume, so a caller that stores it after handling the page never fetches
   * everything again after a restart.
   */
  async *objects(collection: string, options: PagingOptions = {}): AsyncGenerator<ObjectsPage> {
    for await (const page of this.rawPages(collection, options)) {
      const envelope = (page.empty ? {} : JSON.parse(page.body.toString('utf8'))) as { objects?: StixObject[] };
      yield { objects: envelope.objects ?? [], dateAddedLast: page.dateAddedLast };
    }
  }

  /**
   * The same pages as objects(), as the raw JSON text of each TAXII envelope, for a caller that
   * hands them to a streaming parser. Paging needs only `more` and `next`: read from the head of
   * an envelope laid out as Shieldwall's are, else by a scan of its top level that builds none
   * of its objects (taxii.envelope.ts). A page over maxPageBytes is asked for again with a smaller limit: a server
   * that honours limit (a Shieldwall node does) then sends one that fits.
   */
  async *rawPages(collection: string, options: PagingOptions = {}): AsyncGenerator<RawPage> {
    let limit = options.limit ?? 1000;
    // A next token given twice in one run would page in a circle for ever.
    const seen = new Set<string>();
    const fetchPage = async (query: { next?: string; addedAfter?: string }) => {
      let answer: { body: Buffer; headers: Record<string, string | string[] | undefined>; url: string };
      for (;;) {
        const params = new URLSearchParams({ limit: String(limit) });
        if (query.next) params.set('next', query.next);
        if (query.addedAfter) params.set('added_after', query.addedAfter);
        if (options.versions) params.set('match[version]', options.versions);
        try {
          answer = await this.callRaw(`collections/${encodeURIComponent(collection)}/objects/`, params);
          break;
        } catch (error) {
          if (!(error instanceof TaxiiAnswerTooLargeError)) throw error;
          if (limit === 1) {
            throw new TaxiiAnswerTooLargeError(
              error.url,
              error.limit,
              `${this.who(error.url)} sent a page of objects of more than ${mib(error.limit)} (${error.limit} bytes), the most this node reads in one page (twice its own page size), even when asked for one object (limit=1): the pull stops there; ask the peer's operator to serve smaller pages`,
            );
          }
          limit = Math.max(1, Math.floor(limit / 8));
        }
      }
      const { body, headers, url } = answer;
      const dateAddedLast = headers['x-taxii-date-added-last'] as string | undefined;
      const head = /^\{"more":(true|false),"next":("(?:[^"\\]|\\.)*"),"objects":\[/.exec(body.subarray(0, 2048).toString('latin1'));
      let more: boolean;
      let next: unknown;
      let empty: boolean;
      if (head) {
        more = head[1] === 'true';
        next = JSON.parse(head[2]!) as string;
        empty = body[head[0].length] === 0x5d;
      } else {
        // Any other layout (a last page, whitespace, another order of members, members after the
        // objects): scanned, not parsed (taxii.envelope.ts).
        try {
          ({ more, next, empty } = await envelopeHead(body, NEXT_TOKEN_MAX * 6 + 2));
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          throw new Error(`${this.who(url)} sent a page of objects that cannot be read: ${error.message}; the pull stops there (the pages before are stored)`, { cause: error });
        }
        if (next === TOO_LONG) next = { tooLong: true };
      }
      let following: { next?: string; addedAfter?: string } | undefined;
      if (more) {
        if (next !== undefined && next !== null && next !== '') {
          if (typeof next !== 'string' || next.length > NEXT_TOKEN_MAX) {
            throw new Error(`${this.who(url)} gave a next that is not a string of at most ${NEXT_TOKEN_MAX} characters: the pull stops there`);
          }
          if (seen.has(next)) {
            throw new Error(`${this.who(url)} gave next '${next.slice(0, 100)}' a second time in one pull: its pages go round in a circle, and the pull stops there (the pages before are stored); ask the peer's operator to fix its paging`);
          }
          seen.add(next);
          following = { next, ...(query.addedAfter ? { addedAfter: query.addedAfter } : {}) };
        } else if (dateAddedLast) {
          // Paged by added_after alone: ask again from just before the page's last date_added, so
          // that the rest of a group sharing it is not skipped (what came twice is a duplicate).
          // A page that ends where it began gets no further: more objects share one date_added
          // than one page holds, and this server cannot be paged without skipping some. One that
          // ends before it began would page in a circle.
          const resume = justBefore(dateAddedLast);
          if (resume === query.addedAfter) {
            throw new TaxiiClientError(200, this.root, `more than one page of objects share date_added ${dateAddedLast}, and the server gives no next: it cannot be paged without skipping objects; ask its operator to support next, or raise its page size`);
          }
          if (query.addedAfter !== undefined && timestampMicros(resume)! < (timestampMicros(query.addedAfter) ?? -1n)) {
            throw new Error(`${this.who(url)} gave X-TAXII-Date-Added-Last ${dateAddedLast.slice(0, 100)}, before the added_after ${query.addedAfter} asked for: paging by it would go round in a circle, and the pull stops there`);
          }
          following = { addedAfter: resume };
        } else throw new TaxiiClientError(200, this.root, 'the server says more objects follow but gives neither next nor X-TAXII-Date-Added-Last');
      }
      return { page: { body, empty, dateAddedLast }, following };
    };
    // The next page is fetched while the caller handles this one. Its failure is the caller's to
    // meet at the next step; until then it is marked handled, or a page that fails before the
    // caller asks for it would be an unhandled rejection (which ends a Node process).
    const ahead = (query: { next?: string; addedAfter?: string }) => {
      const fetching = fetchPage(query);
      fetching.catch(() => undefined);
      return fetching;
    };
    let pending = ahead(options.addedAfter ? { addedAfter: options.addedAfter } : {});
    let pages = 0;
    let bytes = 0;
    for (;;) {
      const { page, following } = await pending;
      pages++;
      bytes += page.body.length;
      // At the run's bound no further page is asked for: the caller resumes from this one's end.
      const stopped = following !== undefined && (pages >= (options.maxPages ?? Infinity) || bytes >= (options.maxBytes ?? Infinity));
      if (following && !stopped) pending = ahead(following);
      yield { ...page, stopped };
      if (!following || stopped) return;
    }
  }

  private async callRaw(path: string, params: URLSearchParams): Promise<{ body: Buffer; headers: Record<string, string | string[] | undefined>; url: string }> {
    const url = `${new URL(path, this.root).href}?${params}`;
    const response = await this.exchange(url, { method: 'GET' }, this.maxPageBytes, 'a page of objects');
    if (response.statusCode >= 300) throw new TaxiiClientError(response.statusCode, url, describeError(response.body.toString('utf8')));
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('application/taxii+json')) throw new TaxiiClientError(response.statusCode, url, `answered ${type || 'no content type'}, not a TAXII resource`);
    return { body: response.body, headers: response.headers, url };
  }

  async addObjects(collection: string, objects: unknown[]): Promise<StatusResource> {
    return this.addSerialized(collection, objects.map((object) => JSON.stringify(object)));
  }

  /**
   * Add Objects with objects already serialized (each as JSON text), so that a caller can size
   * its requests. The answer is the server's, unchecked: a caller that counts on its figures
   * checks them.
   */
  async addSerialized(collection: string, texts: readonly string[]): Promise<StatusResource> {
    return (await this.call<StatusResource>(`collections/${encodeURIComponent(collection)}/objects/`, { method: 'POST', body: `{"objects":[${texts.join(',')}]}` })).body;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** How far to page: where to start, page size, which versions, and where a run stops. */
export interface PagingOptions {
  addedAfter?: string;
  limit?: number;
  versions?: VersionMatch;
  /** Stop after this many pages (the last given says `stopped` when more would follow). */
  maxPages?: number;
  /** Stop once the pages given hold this many bytes in all. */
  maxBytes?: number;
}

/** The size of a request's body of Add Objects for objects serialized as these texts. */
export function envelopeBytes(texts: ReadonlyArray<{ bytes: number }>): number {
  return ENVELOPE_BYTES + texts.reduce((sum, t) => sum + t.bytes, 0) + Math.max(0, texts.length - 1);
}
/** `{"objects":[` and `]}`. */
export const ENVELOPE_BYTES = 14;
