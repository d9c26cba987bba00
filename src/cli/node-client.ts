/**
 * The command line's HTTP calls to a running node (--url/--token): what the URL must look like,
 * and what each way of failing means for the user. Network errors ("fetch failed", OpenSSL's
 * text) and answers of servers that are not Shieldwall become one line with the cause and the
 * fix, and an exit status of their own (failures.ts).
 */
import { CliError, EXIT, type ExitStatus } from './failures.js';
import { send, type Answer, type SendInit } from './http.js';

export interface NodeTarget {
  /** scheme://host[:port][/path], without a trailing slash. */
  url: string;
  token: string;
}

/**
 * A node's URL as given with --url or SHIELDWALL_URL, checked before anything is sent: it needs
 * a scheme, since whether the node speaks TLS cannot be guessed.
 */
export function nodeUrl(raw: string, option = '--url'): string {
  const text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new CliError(EXIT.usage, `${option} '${raw}' has no scheme: write http://${text.replace(/^\/+/, '')} (or https:// for a node that serves TLS)`);
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new CliError(EXIT.usage, `${option} '${raw}' is not a URL: write e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(EXIT.usage, `${option} '${raw}' uses ${parsed.protocol.slice(0, -1)}: a node is reached over http:// or https://`);
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new CliError(EXIT.usage, `${option} '${raw}': give the node's address only, without ?query or #fragment (e.g. http://127.0.0.1:8080)`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * The node named by --url/--token (or SHIELDWALL_URL/SHIELDWALL_TOKEN), or undefined when none
 * is: the command then works on the store directly. `tokenName` names the token in the hint.
 */
export function nodeTarget(options: { url?: string; token?: string }, tokenName: string): NodeTarget | undefined {
  const url = options.url ?? process.env.SHIELDWALL_URL;
  if (url === undefined || url === '') return undefined;
  const checked = nodeUrl(url, options.url !== undefined ? '--url' : 'SHIELDWALL_URL');
  const token = options.token ?? process.env.SHIELDWALL_TOKEN;
  if (!token) throw new CliError(EXIT.usage, `--url needs --token (or SHIELDWALL_TOKEN): create one on the node with "shieldwall tokens create --name ${tokenName} --user USER"`);
  return { url: checked, token };
}

interface Coded {
  code?: string;
  message?: string;
  reason?: string;
  host?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
  cause?: unknown;
  errors?: unknown[];
}

/** Every error in an error's cause chain and aggregates, outermost first. */
function chain(error: unknown): Coded[] {
  const out: Coded[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object') continue;
    const coded = next as Coded;
    out.push(coded);
    if (coded.cause !== undefined) queue.push(coded.cause);
    if (Array.isArray(coded.errors)) queue.push(...coded.errors);
  }
  return out;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const SOCKET_CLOSED = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** Whether the host answers a TLS handshake: a plain-HTTP request to it was closed for that reason. */
async function speaksTls(url: URL): Promise<boolean> {
  // Loaded on this failure only: a command that reaches its node never needs it.
  const { connect: tlsConnect } = await import('node:tls');
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(5000, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * What a network failure of a call to `base` means, as one line with the fix. `what` says what
 * was being done when the connection failed after it was made ("the node closed the connection
 * while ...").
 */
export async function networkFailure(error: unknown, base: string): Promise<CliError> {
  const url = new URL(base);
  const errors = chain(error);
  const codes = errors.map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const text = errors.map((e) => `${e.message ?? ''} ${e.reason ?? ''}`).join(' ');
  const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
  const where = `the node at ${base}`;
  const host = url.hostname;

  if (has('ECONNREFUSED')) return new CliError(EXIT.unreachable, `cannot reach ${where}: connection refused (is the node running, and on port ${url.port || (url.protocol === 'https:' ? 443 : 80)}? start one with "shieldwall serve" or correct --url)`, { cause: error });
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) return new CliError(EXIT.unreachable, `cannot reach ${where}: the host name '${host}' does not resolve (check the spelling in --url, or use the node's IP address)`, { cause: error });
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH')) return new CliError(EXIT.unreachable, `cannot reach ${where}: no answer to the connection (check the address and port in --url, and any firewall between)`, { cause: error });
  if (has('UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT')) return new CliError(EXIT.unreachable, `${where} accepted the connection but stopped answering (is it overloaded or hung? check its log, then try again)`, { cause: error });

  if (has('ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST') || /wrong version number|packet length too long|http request/i.test(text)) {
    return new CliError(EXIT.tls, `${where} does not speak TLS (it answers plain HTTP): use http://${url.host}${url.pathname === '/' ? '' : url.pathname}`, { cause: error });
  }
  if (has('ERR_TLS_CERT_ALTNAME_INVALID')) {
    const holder = errors.find((e) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const names = holder?.cert?.subjectaltname?.replace(/DNS:|IP Address:/g, '') ?? holder?.cert?.subject?.CN;
    return new CliError(
      EXIT.tls,
      `the certificate of ${where} is not for '${host}'${names ? ` but for ${names}` : ''}: use a URL with a name the certificate holds${names ? ` (e.g. https://${names.split(',')[0]!.trim()}:${url.port || 443})` : ''}, or give the node a certificate for '${host}'`,
      { cause: error },
    );
  }
  const untrusted = codes.find((c) => UNTRUSTED.has(c));
  if (untrusted) {
    return new CliError(EXIT.tls, `the certificate of ${where} is not trusted (${untrusted === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'self-signed' : 'signed by a CA this machine does not know'}): run with NODE_EXTRA_CA_CERTS=CA_FILE naming the CA that signed it (for "shieldwall pki": data/pki/ca.crt)`, { cause: error });
  }
  if (has('CERT_HAS_EXPIRED')) return new CliError(EXIT.tls, `the certificate of ${where} has expired: the node's operator must renew it (SHIELDWALL_TLS_CERT)`, { cause: error });
  if (has('CERT_NOT_YET_VALID')) return new CliError(EXIT.tls, `the certificate of ${where} is not valid yet: check this machine's clock, or the node's certificate dates`, { cause: error });
  if (has('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') || /certificate required/i.test(text)) {
    return new CliError(EXIT.tls, `${where} accepts only client certificates (mutual TLS), which this command does not send: ask its operator for an API token on a node that accepts them`, { cause: error });
  }
  const ssl = codes.find((c) => c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'));
  if (ssl) return new CliError(EXIT.tls, `the TLS handshake with ${where} failed (${ssl.replace(/^ERR_(SSL|TLS)_/, '').toLowerCase().replace(/_/g, ' ')}): check that --url names a Shieldwall node and its scheme`, { cause: error });

  if (has(...SOCKET_CLOSED)) {
    if (url.protocol === 'http:' && (await speaksTls(url))) {
      return new CliError(EXIT.tls, `${where} serves HTTPS and closes plain HTTP connections: use https://${url.host}${url.pathname === '/' ? '' : url.pathname}`, { cause: error });
    }
    return new CliError(EXIT.unreachable, `${where} closed the connection without an answer (did it stop or restart? check its log, then try again)`, { cause: error });
  }
  const first = errors.find((e) => e.code !== undefined) ?? errors[errors.length - 1];
  return new CliError(EXIT.unreachable, `cannot reach ${where}: ${first?.code ? `${first.code} ` : ''}${(first?.message ?? String(error)).replace(/^fetch failed$/, 'the connection failed')}`, { cause: error });
}

/** The message of a Shieldwall error answer, or undefined when the body is not one (another server). */
export function shieldwallMessage(body: string): { code: string; message: string; retryAfter?: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const envelope = (parsed as { error?: { code?: unknown; message?: unknown; details?: { retry_after_seconds?: unknown } } }).error;
  if (envelope && typeof envelope.code === 'string' && envelope.code.startsWith('SW_') && typeof envelope.message === 'string') {
    const retry = envelope.details?.retry_after_seconds;
    return { code: envelope.code, message: envelope.message, ...(typeof retry === 'number' ? { retryAfter: retry } : {}) };
  }
  // The TAXII error message (TAXII 2.1 section 3.6.1) carries the same code as its title.
  const taxii = parsed as { title?: unknown; description?: unknown; http_status?: unknown };
  if (typeof taxii.title === 'string' && taxii.title.startsWith('SW_') && typeof taxii.http_status === 'string') {
    return { code: taxii.title, message: typeof taxii.description === 'string' ? taxii.description : taxii.title };
  }
  return undefined;
}

function statusFor(httpStatus: number, code: string): ExitStatus {
  if (httpStatus === 401) return EXIT.tokenRefused;
  if (httpStatus === 403) return EXIT.forbidden;
  if (httpStatus === 404 && code === 'SW_NOT_FOUND') return EXIT.notFound;
  if (httpStatus >= 500 || httpStatus === 429) return EXIT.nodeFailed;
  return EXIT.failed;
}

/**
 * What a non-2xx answer means. A Shieldwall node always answers errors in its envelope; any other
 * answer (an HTML page, another program's 404) means --url names something else.
 */
export function answerFailure(httpStatus: number, body: string, base: string, retryAfterHeader?: string | null): CliError {
  const known = shieldwallMessage(body);
  if (!known) return notShieldwall(base, `it answered ${httpStatus}${describeBody(body)}`);
  if (httpStatus === 401) {
    return new CliError(EXIT.tokenRefused, `token refused by the node at ${base}: it is unknown, expired or revoked (check --token or SHIELDWALL_TOKEN; "shieldwall tokens list" on the node shows its tokens, "shieldwall tokens create" makes one)`);
  }
  if (httpStatus === 404 && known.code === 'SW_NOT_FOUND' && known.message.startsWith('no route')) {
    const url = new URL(base);
    if (url.pathname !== '/' && url.pathname !== '') return new CliError(EXIT.usage, `the node at ${url.origin} has no route under ${url.pathname}: give --url as the node's address, without a path (${url.origin})`);
    return new CliError(EXIT.failed, `the node at ${base} does not offer this (${known.message.split(';')[0]}): is it an older version of Shieldwall?`);
  }
  if (httpStatus === 403) return new CliError(EXIT.forbidden, `the node answered 403 ${known.code}: ${known.message} (use a token of a user whose role allows it)`);
  const retry = known.retryAfter ?? (retryAfterHeader ? Number(retryAfterHeader) : undefined);
  const advice = httpStatus >= 500 || httpStatus === 429 ? (retry !== undefined && Number.isFinite(retry) ? `; try again in ${retry} s` : '; try again later, or ask its operator') : '';
  return new CliError(statusFor(httpStatus, known.code), `the node answered ${httpStatus} ${known.code}: ${known.message}${advice}`);
}

function describeBody(body: string): string {
  const trimmed = body.trimStart();
  if (trimmed === '') return ' with an empty body';
  if (/^<(!doctype|html|\?xml)/i.test(trimmed)) {
    const title = /<title>([^<]{0,80})<\/title>/i.exec(trimmed)?.[1]?.trim();
    return ` with an HTML page${title ? ` ('${title}')` : ''}`;
  }
  return ` with '${trimmed.slice(0, 60).replace(/\s+/g, ' ')}${trimmed.length > 60 ? '…' : ''}'`;
}

export function notShieldwall(base: string, what: string): CliError {
  return new CliError(EXIT.notShieldwall, `${base} is not a Shieldwall node: ${what} (check --url: a node's address is like http://HOST:8080, without /api/v1)`);
}

/**
 * How long a connection to a node may stay silent: generous, since a node may think about a
 * lookup of 10,000 values or a large match before it answers, but a hung node is not waited on
 * forever (undici's own default for an answer, used by remote ingest, is the same).
 */
const IDLE_LIMIT_MS = 300_000;

/**
 * One request to a node, with every failure translated: the answer is returned only when it is
 * a 2xx whose media type is `expect` (JSON unless said otherwise).
 */
export async function callNode(target: NodeTarget, pathAndQuery: string, init: SendInit = {}, expect: RegExp = /^application\/(json|taxii\+json)/i): Promise<Answer> {
  let response: Answer;
  try {
    response = await send(`${target.url}${pathAndQuery}`, { idleTimeoutMs: IDLE_LIMIT_MS, ...init, headers: { authorization: `Bearer ${target.token}`, ...init.headers } });
  } catch (error) {
    throw await networkFailure(error, target.url);
  }
  if (!response.ok) {
    let body = '';
    try {
      body = await response.text();
    } catch {
      // the answer was cut: judged on its status alone
    }
    throw answerFailure(response.status, body, target.url, response.headers.get('retry-after'));
  }
  const type = response.headers.get('content-type') ?? '';
  if (!expect.test(type)) {
    const body = await response.text().catch(() => '');
    throw notShieldwall(target.url, `it answered ${response.status} ${type === '' ? 'without a media type' : type}${describeBody(body)}`);
  }
  return response;
}

/** callNode for a JSON answer, parsed. */
export async function nodeJson<T>(target: NodeTarget, pathAndQuery: string, init: SendInit = {}): Promise<T> {
  const response = await callNode(target, pathAndQuery, init);
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw await networkFailure(error, target.url);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notShieldwall(target.url, `its answer to ${pathAndQuery.split('?')[0]} is not JSON${describeBody(text)}`);
  }
}
