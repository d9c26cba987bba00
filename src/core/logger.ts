import type { FastifyBaseLogger } from 'fastify';
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
