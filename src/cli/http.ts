/**
 * The command line's HTTP requests to a node, on node:http and node:https. Not fetch(): on
 * Node.js 20 its first call loads and compiles the bundled undici, about 150 ms of CPU at every
 * start of the command, more than all the rest of `shieldwall lookup --url` (docs/BENCHMARKS.md,
 * "Command line"). The answer has the few members of a fetch Response the CLI uses.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as it is read when it is a stream (chunked, unless a content-length header is given). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string>;
  /** Fail with code ESOCKETTIMEDOUT when the connection stays idle this long (no limit if unset). */
  idleTimeoutMs?: number;
}

export interface Answer {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body as it arrives. */
  readonly body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

function answerOf(response: IncomingMessage): Answer {
  const status = response.statusCode ?? 0;
  const text = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: {
      get: (name) => {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: response,
    text,
    json: async () => JSON.parse(await text()) as unknown,
  };
}

/**
 * Sends one request; resolves with the answer once its status and headers are in. Fails as
 * node:http does (errors with code ECONNREFUSED, ENOTFOUND, ECONNRESET, the TLS codes, ...).
 */
export async function send(url: string, init: SendInit = {}): Promise<Answer> {
  const target = new URL(url);
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const outgoing = request(target, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (response) => {
      answered = true;
      resolve(answerOf(response));
    });
    outgoing.on('error', reject);
    if (init.idleTimeoutMs !== undefined) {
      outgoing.setTimeout(init.idleTimeoutMs, () => outgoing.destroy(Object.assign(new Error(`no data for ${init.idleTimeoutMs} ms`), { code: 'ESOCKETTIMEDOUT' })));
    }
    const body = init.body;
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
      outgoing.end(body);
      return;
    }
    // Piped, not pipeline(): a node may answer (a refusal) before it has read the whole body, and
    // that answer must stay readable when the rest of the body then cannot be sent.
    const source = Readable.from(body);
    source.on('error', (error) => {
      if (answered) return;
      outgoing.destroy(error);
      reject(error);
    });
    source.pipe(outgoing);
  });
}
