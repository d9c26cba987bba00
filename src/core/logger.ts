import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type LoggerOptions } from 'pino';

/** The logger every module receives (pino underneath). */
export type Logger = FastifyBaseLogger;

/** Paths never written to logs: credentials travel in these. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'token',
  'password',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'shieldwall' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(loggerOptions(level), pino.destination(destination));
}

/**
 * The server's logger: JSON lines to standard output, written asynchronously. A line no longer
 * costs the request a write system call; lines logged while a write is under way go out with the
 * next one, and whatever is pending is flushed as the process exits (pino's own exit handler).
 * A process killed outright can lose its last lines.
 */
export function serverLogger(level: string): Logger {
  return pino(loggerOptions(level), pino.destination({ dest: 1, sync: false }));
}

/**
 * One access log line per request, as it completes: method, URL, status, time taken and request
 * id together. Fastify's default writes a second line as each request arrives, which doubled the
 * cost of logging a request; that line is kept at debug level.
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
