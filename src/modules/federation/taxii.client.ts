/**
 * A TAXII 2.1 client for pulling from and pushing to peer nodes (and any TAXII 2.1 server):
 * undici, with mutual TLS or a bearer token, TAXII media types, and paging that follows `next`
 * or, when a server gives none, `added_after` from X-TAXII-Date-Added-Last (section 3.5).
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { StixObject } from '../../stix/types.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export interface TaxiiClientOptions {
  /** The API root URL, e.g. https://deu.example/taxii2/intel/ */
  apiRoot: string;
  /** PEM: the client certificate and key this node presents, and the CA its peers' certificates chain to. */
  tls?: { cert?: string; key?: string; ca?: string };
  token?: string;
  basic?: { username: string; password: string };
  /** Milliseconds to wait for headers and for each part of a body. */
  timeoutMs?: number;
}

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
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(timestamp.trim());
  const whole = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(whole)) throw new TaxiiClientError(200, '', `X-TAXII-Date-Added-Last '${timestamp}' is not an RFC 3339 timestamp`);
  // Microseconds since the epoch, exactly (a double would round them).
  const micros = BigInt(whole) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0').slice(0, 6)) - 1n;
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}

/** The undici error codes of an answer that did not come in time. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class TaxiiClient {
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;

  constructor(options: TaxiiClientOptions) {
    this.root = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
    const timeout = options.timeoutMs ?? 30_000;
    this.timeoutMs = timeout;
    const tls = options.tls ?? {};
    this.dispatcher = new Agent({
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: Math.min(timeout, 10_000),
      connect: { ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), ...(tls.ca ? { ca: tls.ca } : {}) },
    });
    const authorization = options.token
      ? `Bearer ${options.token}`
      : options.basic
        ? `Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`
        : undefined;
    this.headers = { accept: TAXII_MEDIA_TYPE, ...(authorization ? { authorization } : {}) };
  }

  private async call<T>(path: string, init: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<{ body: T; headers: Record<string, string | string[] | undefined> }> {
    const url = new URL(path, this.root).href;
    const response = await request(url, {
      method: init.method ?? 'GET',
      dispatcher: this.dispatcher,
      headers: { ...this.headers, ...(init.body !== undefined ? { 'content-type': TAXII_MEDIA_TYPE } : {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await response.body.text();
    const type = String(response.headers['content-type'] ?? '');
    if (response.statusCode >= 300) throw new TaxiiClientError(response.statusCode, url, describeError(text));
    if (!type.startsWith('application/taxii+json')) throw new TaxiiClientError(response.statusCode, url, `answered ${type || 'no content type'}, not a TAXII resource`);
    return { body: (text === '' ? {} : JSON.parse(text)) as T, headers: response.headers };
  }

  async apiRootInfo(): Promise<{ title: string; versions: string[]; max_content_length: number }> {
    return (await this.call<{ title: string; versions: string[]; max_content_length: number }>('')).body;
  }

  async collections(): Promise<Array<{ id: string; alias?: string; title: string; can_read: boolean; can_write: boolean }>> {
    return (await this.call<{ collections?: Array<{ id: string; alias?: string; title: string; can_read: boolean; can_write: boolean }> }>('collections/')).body.collections ?? [];
  }

  /**
   * The collection's objects added after `addedAfter`, page by page, oldest first. Each page
   * carries where to resume, so a caller that stores it after handling the page never fetches
   * everything again after a restart.
   */
  async *objects(collection: string, options: { addedAfter?: string; limit?: number; versions?: VersionMatch } = {}): AsyncGenerator<ObjectsPage> {
    for await (const page of this.rawPages(collection, options)) {
      const envelope = (page.empty ? {} : JSON.parse(page.body.toString('utf8'))) as { objects?: StixObject[] };
      yield { objects: envelope.objects ?? [], dateAddedLast: page.dateAddedLast };
    }
  }

  /**
   * The same pages as objects(), as the raw JSON text of each TAXII envelope, for a caller that
   * hands them to a streaming parser. Paging needs only `more` and `next`: read from the head of
   * an envelope laid out as Shieldwall's are, else from the parsed envelope.
   */
  async *rawPages(collection: string, options: { addedAfter?: string; limit?: number; versions?: VersionMatch } = {}): AsyncGenerator<RawPage> {
    const limit = options.limit ?? 1000;
    const fetchPage = async (query: { next?: string; addedAfter?: string }) => {
      const params = new URLSearchParams({ limit: String(limit) });
      if (query.next) params.set('next', query.next);
      if (query.addedAfter) params.set('added_after', query.addedAfter);
      if (options.versions) params.set('match[version]', options.versions);
      const { body, headers } = await this.callRaw(`collections/${encodeURIComponent(collection)}/objects/`, params);
      const dateAddedLast = headers['x-taxii-date-added-last'] as string | undefined;
      const head = /^\{"more":(true|false),"next":("(?:[^"\\]|\\.)*"),"objects":\[/.exec(body.subarray(0, 2048).toString('latin1'));
      let more: boolean;
      let next: string | undefined;
      let empty: boolean;
      if (head) {
        more = head[1] === 'true';
        next = JSON.parse(head[2]!) as string;
        empty = body[head[0].length] === 0x5d;
      } else if (body.subarray(0, 12).toString('latin1') === '{"objects":[') {
        more = false;
        empty = body[12] === 0x5d;
      } else {
        const parsed = (body.length === 0 ? {} : JSON.parse(body.toString('utf8'))) as { more?: boolean; next?: string; objects?: unknown[] };
        more = parsed.more === true;
        next = parsed.next;
        empty = !Array.isArray(parsed.objects) || parsed.objects.length === 0;
      }
      let following: { next?: string; addedAfter?: string } | undefined;
      if (more) {
        if (next) following = { next, ...(query.addedAfter ? { addedAfter: query.addedAfter } : {}) };
        else if (dateAddedLast) {
          // Paged by added_after alone: ask again from just before the page's last date_added, so
          // that the rest of a group sharing it is not skipped (what came twice is a duplicate).
          // A page that ends where it began gets no further: more objects share one date_added
          // than one page holds, and this server cannot be paged without skipping some.
          const resume = justBefore(dateAddedLast);
          if (resume === query.addedAfter) {
            throw new TaxiiClientError(200, this.root, `more than one page of objects share date_added ${dateAddedLast}, and the server gives no next: it cannot be paged without skipping objects; ask its operator to support next, or raise its page size`);
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
    for (;;) {
      const { page, following } = await pending;
      if (following) pending = ahead(following);
      yield page;
      if (!following) return;
    }
  }

  private async callRaw(path: string, params: URLSearchParams): Promise<{ body: Buffer; headers: Record<string, string | string[] | undefined> }> {
    const url = `${new URL(path, this.root).href}?${params}`;
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    try {
      response = await request(url, { method: 'GET', dispatcher: this.dispatcher, headers: this.headers });
      body = Buffer.from(await response.body.arrayBuffer());
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && TIMEOUT_CODES.has(code)) {
        throw new Error(`${url} sent no answer within the peer's page timeout of ${this.timeoutMs / 1000} s (${code}): raise it with shieldwall peers edit NAME --page-timeout SECONDS`, { cause: error });
      }
      throw error;
    }
    if (response.statusCode >= 300) throw new TaxiiClientError(response.statusCode, url, describeError(body.toString('utf8')));
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('application/taxii+json')) throw new TaxiiClientError(response.statusCode, url, `answered ${type || 'no content type'}, not a TAXII resource`);
    return { body, headers: response.headers };
  }

  async addObjects(collection: string, objects: unknown[]): Promise<StatusResource> {
    return (await this.call<StatusResource>(`collections/${encodeURIComponent(collection)}/objects/`, { method: 'POST', body: JSON.stringify({ objects }) })).body;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
