/**
 * The two ways a notification leaves the node: an HTTP POST to the subscriber's webhook, and a
 * mail through the node's SMTP relay (SHIELDWALL_SMTP_URL). Each attempt answers what happened
 * in words the delivery log can show; neither ever logs or returns a secret or a body.
 */
import { STATUS_CODES } from 'node:http';
import type { LookupFunction } from 'node:net';
import { createTransport } from 'nodemailer';
import { Agent, request } from 'undici';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
import { DESTINATION_REFUSED, resolveDestination, systemHostLookup, webhookAllowOf, type HostLookup, type Refusal, type ResolvedAddress, type WebhookAllow } from './notify.destination.js';
import type { MailMessage } from './notify.message.js';

/** How long one webhook attempt may take, connection to answer (ms). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long the relay may take to connect, to greet, and between two steps of one mail (ms). */
const SMTP_TIMEOUT_MS = 15_000;

export interface AttemptOutcome {
  /** The receiver took it (a 2xx answer, or the relay accepted the mail). */
  ok: boolean;
  /** The HTTP status, or the SMTP reply code of a refusal; null when there was no answer. */
  statusCode: number | null;
  /** What went wrong, for the delivery log; null when ok. */
  error: string | null;
  /** Why the destination is one the node does not send to (trying again would not change it): for the node's log, never the subscriber's. */
  refused?: Refusal;
  durationMs: number;
}

/** An error as the delivery log shows it: its message and system code, never more than a line. */
export function describeFailure(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  const cause = e?.cause && typeof e.cause.message === 'string' ? e.cause : undefined;
  const message = cause ? String(cause.message) : typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof cause?.code === 'string' ? cause.code : typeof e?.code === 'string' ? e.code : undefined;
  const text = `${message}${code && !message.includes(code) ? ` (${code})` : ''}`;
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

/** Most bytes of a webhook's answer read (and discarded) before the connection is closed: its status is what counts. */
export const WEBHOOK_ANSWER_READ_MAX = 4096;
/** Largest header block of a webhook's answer. */
const WEBHOOK_HEADERS_MAX = 16 * 1024;

export interface WebhookTarget {
  /** What the node's setting allows beyond public addresses. */
  allow: WebhookAllow;
  /** How names are resolved (the system's resolver; tests give their own). */
  lookup: HostLookup;
  now?: () => number;
}

/** A lookup for the connection that answers the addresses already resolved and checked: no second question to DNS. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = addresses.filter((a) => !options.family || a.family === options.family);
    const answer = wanted.length > 0 ? wanted : addresses;
    if (options.all) callback(null, answer.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, answer[0]!.address, answer[0]!.family);
  };
}

/**
 * POSTs a body to a webhook, if its destination is allowed (notify.destination.ts): a name is
 * resolved once, every address it resolves to checked, and the connection made to those
 * addresses, with the name as Host header and TLS server name. Redirects are not followed (a
 * 3xx is not a delivery): the URL the subscriber gave is the one that receives. Of the answer,
 * its status counts; at most WEBHOOK_ANSWER_READ_MAX bytes of its body are read and discarded.
 * The whole attempt, lookup included, has WEBHOOK_TIMEOUT_MS.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, target: WebhookTarget): Promise<AttemptOutcome> {
  const now = target.now ?? Date.now;
  const started = now();
  const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  let agent: Agent | undefined;
  try {
    const destination = await resolveDestination(new URL(url), target.allow, target.lookup, signal);
    if (!destination.allowed) return { ok: false, statusCode: null, error: DESTINATION_REFUSED, refused: destination.refusal, durationMs: now() - started };
    agent = new Agent({ connect: { lookup: pinnedLookup(destination.addresses), timeout: WEBHOOK_TIMEOUT_MS }, maxHeaderSize: WEBHOOK_HEADERS_MAX, pipelining: 0 });
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Shieldwall-Notify/1', ...headers },
      body,
      dispatcher: agent,
      signal,
    });
    await response.body.dump({ limit: WEBHOOK_ANSWER_READ_MAX, signal }).catch(() => undefined);
    const status = response.statusCode;
    const ok = status >= 200 && status < 300;
    return { ok, statusCode: status, error: ok ? null : `the receiver answered ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`, durationMs: now() - started };
  } catch (error) {
    return { ok: false, statusCode: null, error: describeFailure(error), durationMs: now() - started };
  } finally {
    await agent?.destroy().catch(() => undefined);
  }
}

/**
 * The node's webhook destinations: what its setting allows (read once) and how it resolves
 * names. `lookup` is the system's resolver; a test puts its own in its place.
 */
export const WEBHOOK_DESTINATIONS = nodeState<{ allow: WebhookAllow; lookup: HostLookup }>('notify.destinations', (ctx) => ({ allow: webhookAllowOf(ctx.config.webhookAllow), lookup: systemHostLookup }));

type Mailer = ReturnType<typeof createTransport>;

/** The node's SMTP transport: made on first use, closed with the node. */
const MAILER = nodeState<{ mailer: Mailer | undefined }>(
  'notify.mailer',
  () => ({ mailer: undefined }),
  (held) => held.mailer?.close(),
);

/** Is an SMTP relay configured? Subscriptions by e-mail are refused without one. */
export function mailConfigured(ctx: AppContext): boolean {
  return ctx.config.smtpUrl !== undefined && ctx.config.smtpFrom !== undefined;
}

function mailerOf(ctx: AppContext): Mailer {
  const held = ctx.state.get(MAILER);
  if (!ctx.config.smtpUrl) throw new Error('no SMTP relay is configured: set SHIELDWALL_SMTP_URL and SHIELDWALL_SMTP_FROM');
  held.mailer ??= createTransport({ url: ctx.config.smtpUrl, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS, logger: false, debug: false });
  return held.mailer;
}

/** Sends one mail through the relay; headers name the delivery and event, as the webhook's do. */
export async function sendMail(ctx: AppContext, to: string, message: MailMessage, headers: Record<string, string>, now: () => number = Date.now): Promise<AttemptOutcome> {
  const started = now();
  try {
    const info = await mailerOf(ctx).sendMail({ from: ctx.config.smtpFrom, to, subject: message.subject, text: message.text, headers });
    if (info.rejected.length > 0) return { ok: false, statusCode: null, error: 'the relay refused the recipient', durationMs: now() - started };
    return { ok: true, statusCode: null, error: null, durationMs: now() - started };
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    return { ok: false, statusCode: typeof code === 'number' ? code : null, error: describeFailure(error), durationMs: now() - started };
  }
}
