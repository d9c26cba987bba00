/**
 * The two ways a notification leaves the node: an HTTP POST to the subscriber's webhook, and a
 * mail through the node's SMTP relay (SHIELDWALL_SMTP_URL). Each attempt answers what happened
 * in words the delivery log can show; neither ever logs or returns a secret or a body.
 */
import { createTransport } from 'nodemailer';
import type { AppContext } from '../../core/context.js';
import { nodeState } from '../../core/state.js';
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

/**
 * POSTs a body to a webhook. Redirects are not followed (a 3xx is not a delivery): the URL the
 * subscriber gave is the one that receives. The answer's body is not read beyond its end.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, now: () => number = Date.now): Promise<AttemptOutcome> {
  const started = now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Shieldwall-Notify/1', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, error: ok ? null : `the receiver answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, durationMs: now() - started };
  } catch (error) {
    return { ok: false, statusCode: null, error: describeFailure(error), durationMs: now() - started };
  }
}

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
