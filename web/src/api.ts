/**
 * The one way the application talks to the node: the public JSON API, with the session cookie
 * (httpOnly, SameSite=Strict) that the browser sends by itself and, on writes, the session's
 * CSRF token. An answer of 401 means the session ended (expired, revoked, signed out
 * elsewhere): the application then forgets everything it holds (see session.tsx).
 */

export const CSRF_KEY = 'shieldwall-csrf';
const ENDED_KEY = 'shieldwall-ended';

/** An error answer of the node: its envelope's code and message, and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let onSessionEnded: (() => void) | undefined;

/** What to do when the node answers 401 to a signed-in request (the page is then reloaded). */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler;
}

export function csrfToken(): string {
  return localStorage.getItem(CSRF_KEY) ?? '';
}

export function rememberCsrf(token: string): void {
  localStorage.setItem(CSRF_KEY, token);
}

/** Forgets the session's CSRF token; with `ended`, the next start says the session had ended. */
export function forgetSession(ended: boolean): void {
  localStorage.removeItem(CSRF_KEY);
  if (ended) sessionStorage.setItem(ENDED_KEY, '1');
}

/** Whether the page was reloaded because the session ended (read once). */
export function sessionHadEnded(): boolean {
  const ended = sessionStorage.getItem(ENDED_KEY) === '1';
  sessionStorage.removeItem(ENDED_KEY);
  return ended;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A JSON body (objects) or a raw one (a file, a string). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Answered 401 is expected (signing in): no session-ended handling. */
  signingIn?: boolean;
}

function headersOf(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const method = options.method ?? 'GET';
  if (method !== 'GET' && csrfToken()) headers['x-csrf-token'] = csrfToken();
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  return headers;
}

function bodyOf(options: RequestOptions): BodyInit | undefined {
  if (options.body === undefined) return undefined;
  if (options.contentType === undefined) return JSON.stringify(options.body);
  return options.body as BodyInit;
}

/** The error an answer that is not 2xx stands for. */
export async function errorOf(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `the node answered ${response.status}`;
  let details: unknown;
  try {
    const body = (await response.json()) as { code?: string; message?: string; error?: { code?: string; message?: string; details?: unknown }; details?: unknown };
    const e = body.error ?? body;
    if (e.code) code = e.code;
    if (e.message) message = e.message;
    details = e.details ?? body.details;
  } catch {
    // Not JSON: the status says it.
  }
  return new ApiError(response.status, code, message, details);
}

/** A request; the raw Response for streamed answers. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const init: RequestInit = { method: options.method ?? 'GET', headers: headersOf(options), credentials: 'same-origin', cache: 'no-store' };
  const body = bodyOf(options);
  if (body !== undefined) init.body = body;
  if (options.signal) init.signal = options.signal;
  const response = await fetch(path, init);
  if (response.status === 401 && !options.signingIn) {
    if (onSessionEnded) {
      onSessionEnded();
      // The page is being loaded anew: this answer goes nowhere.
      await new Promise<never>(() => {});
    }
    throw await errorOf(response);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** A request whose answer is JSON (or nothing: 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string of the defined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The rows of a listing the node answers a page at a time (`limit`, `cursor`, `next_cursor`),
 * read page after page up to `max` rows: `more` says that rows were left unread.
 */
export async function apiPages<T, K extends string>(path: string, field: K, max = 100_000): Promise<{ rows: T[]; more: boolean }> {
  const rows: T[] = [];
  let cursor: string | null = null;
  const separator = path.includes('?') ? '&' : '?';
  do {
    const page: { next_cursor?: string | null } & Record<K, T[]> = await api(`${path}${separator}${query({ limit: 1000, cursor }).slice(1)}`);
    rows.push(...page[field]);
    cursor = page.next_cursor ?? null;
  } while (cursor !== null && rows.length < max);
  return { rows, more: cursor !== null };
}
