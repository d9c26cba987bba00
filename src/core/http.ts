/**
 * HTTP plumbing shared by every module: the one error mapper (one JSON envelope, unknown errors
 * masked as 500) and the deny-by-default permission check.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission, isPermission, type Permission } from '../policy/permissions.js';
import type { Principal } from '../policy/principal.js';
import { ERRORS, ShieldwallError, shieldwallError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route requires; every route must name one. */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set when the principal came from a sign-in cookie: writes must carry this token. */
    csrfToken: string | undefined;
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; request_id: string };
}

function envelope(request: FastifyRequest, code: string, message: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, ...(details !== undefined ? { details } : {}), request_id: String(request.id) } };
}

export function errorReply(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ShieldwallError) {
    if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="shieldwall"');
    return reply.status(error.status).send(envelope(request, error.code, error.message, error.details));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'request';
    const details = fastifyError.validation.map((v) => ({ path: `${where}${v.instancePath.replace(/\//g, '.')}`, message: v.message }));
    return reply
      .status(400)
      .send(envelope(request, ERRORS.BAD_REQUEST.code, `invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details));
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.status(413).send(envelope(request, ERRORS.PAYLOAD_TOO_LARGE.code, fastifyError.message));
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.status(415).send(envelope(request, ERRORS.UNSUPPORTED_MEDIA_TYPE.code, fastifyError.message));
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send(envelope(request, ERRORS.BAD_REQUEST.code, fastifyError.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(envelope(request, ERRORS.INTERNAL.code, `internal error; quote request id ${String(request.id)} to the node operator`));
}

/**
 * Refuses to register a route that names no permission, and checks the permission on every
 * request as it arrives. Register it after the hook that authenticates (sets request.principal).
 */
export function enforcePermissions(app: FastifyInstance, onDenied?: (request: FastifyRequest, status: 401 | 403, reason: string) => Promise<void>): void {
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!isPermission(permission)) {
      throw new Error(`route ${String(route.method)} ${route.url} names no permission: add config: { permission } (see src/policy/permissions.ts)`);
    }
  });
  // Checked as the request arrives, before its body is read or validated: who may not call a
  // route learns nothing about what it accepts.
  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === 'public' || request.is404) return;
    if (!permission) throw shieldwallError('FORBIDDEN', 'this route is not open to anyone');
    if (!request.principal) {
      await onDenied?.(request, 401, request.headers.authorization ? 'unknown, expired or revoked credentials' : 'no credentials');
      throw shieldwallError('UNAUTHENTICATED', 'authentication required: send "Authorization: Bearer <token>" (create one with: shieldwall tokens create)');
    }
    if (!hasPermission(request.principal, permission)) {
      await onDenied?.(request, 403, `lacks permission '${permission}'`);
      throw shieldwallError('FORBIDDEN', `roles ${request.principal.roles.join(', ') || '(none)'} lack permission '${permission}'`);
    }
  });
}
