/**
 * Sending a file to the node while showing how much of it has gone. fetch() cannot tell how much
 * of a request body was sent, and a streamed request body (a counting ReadableStream) needs
 * HTTP/2 in Chromium, which a node serving HTTP/1.1 does not offer ("Failed to fetch"). So files
 * go by XMLHttpRequest, which reports the upload (upload.onprogress) and the answer as it arrives
 * (onprogress, while responseText grows): bulk matching shows its matches while the log is still
 * being sent. The rules are those of api.ts: the session cookie, the CSRF token on writes, the
 * node's error envelope as an ApiError, and a 401 ends the session.
 */
import { ApiError, csrfToken, errorOf, request } from '../../api.js';

export interface SendOptions {
  method?: 'GET' | 'POST' | 'PUT';
  body?: Blob | string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Bytes of the body sent so far, of the total. */
  onUpload?: (sent: number, total: number) => void;
  /** The answer's text as it arrives, piece by piece (2xx answers only). */
  onText?: (piece: string) => void;
}

export interface Sent {
  status: number;
  /** The whole answer (what onText was given, joined). */
  text: string;
}

/** Whether an error is the caller's own cancellation. */
export function isCancelled(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** An error's message for a person: the node's message, or what went wrong on the way. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.status === 0 ? error.message : `${error.message} (${error.status} ${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** The TAXII server's error message (TAXII 2.1 section 3.6.1: title, description), which is not the node's envelope. */
function taxiiError(status: number, text: string): ApiError | undefined {
  try {
    const body = JSON.parse(text) as { title?: unknown; description?: unknown; http_status?: unknown };
    if (typeof body.title === 'string' && typeof body.description === 'string' && body.http_status !== undefined) return new ApiError(status, body.title, body.description);
  } catch {
    // Not JSON: the node's envelope or nothing, read by errorOf.
  }
  return undefined;
}

export function send(path: string, options: SendOptions = {}): Promise<Sent> {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  return new Promise<Sent>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new DOMException('cancelled', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('accept', options.accept ?? 'application/json');
    if (method !== 'GET' && csrfToken()) xhr.setRequestHeader('x-csrf-token', csrfToken());
    if (options.body !== undefined) xhr.setRequestHeader('content-type', options.contentType ?? 'application/octet-stream');
    const ok = () => xhr.status >= 200 && xhr.status < 300;
    let seen = 0;
    const flush = () => {
      if (!options.onText || !ok()) return;
      const text = xhr.responseText;
      if (text.length > seen) {
        const piece = text.slice(seen);
        seen = text.length;
        options.onText(piece);
      }
    };
    xhr.onprogress = flush;
    const onUpload = options.onUpload;
    if (onUpload) {
      const size = options.body instanceof Blob ? options.body.size : (options.body?.length ?? 0);
      xhr.upload.onprogress = (e) => onUpload(e.loaded, e.lengthComputable ? e.total : size);
      xhr.upload.onload = () => onUpload(size, size);
    }
    const onAbort = () => xhr.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => options.signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      settle();
      flush();
      if (ok()) {
        resolve({ status: xhr.status, text: xhr.responseText });
        return;
      }
      if (xhr.status === 401) {
        // The session ended: api.ts's request() notices it on its own 401 and reloads signed out.
        request('/api/v1/me').catch(() => undefined);
      }
      const taxii = taxiiError(xhr.status, xhr.responseText);
      if (taxii) {
        reject(taxii);
        return;
      }
      const status = xhr.status >= 200 && xhr.status <= 599 ? xhr.status : 500;
      const answer = new Response(xhr.responseText || null, { status, statusText: xhr.statusText, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? 'text/plain' } });
      errorOf(answer).then(reject, reject);
    };
    xhr.onerror = () => {
      settle();
      reject(new ApiError(0, 'NETWORK', 'the connection to the node was lost before it answered (the node may have refused the file part way, or be unreachable): try again'));
    };
    xhr.onabort = () => {
      settle();
      reject(new DOMException('cancelled', 'AbortError'));
    };
    xhr.send(options.body ?? null);
  });
}

/** Cuts text arriving in pieces into whole lines (NDJSON), keeping a partial last line for the next piece. */
export class LineSplitter {
  #rest = '';

  push(piece: string): string[] {
    const text = this.#rest + piece;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '');
  }

  /** The last line, when the answer did not end with a newline. */
  end(): string[] {
    const rest = this.#rest;
    this.#rest = '';
    return rest.trim() === '' ? [] : [rest];
  }
}

/** 1536 → '1.5 KiB'. */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** 12345 → '12,345'. */
export function countText(n: number): string {
  return n.toLocaleString('en');
}
