/** The directory over HTTP: members and their points of contact, groups, users, tokens. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { DEFAULT_CLASSIFICATIONS } from '../../policy/markings.js';
import {
  CreatedTokenSchema,
  CredentialRequestListAnswer,
  CredentialRequestParams,
  CredentialRequestSchema,
  GroupBody,
  MemberBody,
  MemberCodeParams,
  MemberCreateBody,
  MemberPatchBody,
  MemberSchema,
  MeSchema,
  PageQuerystring,
  PasswordBody,
  PendingCredentialSchema,
  PendingTokenSchema,
  TokenBody,
  TokenListAnswer,
  UserBody,
  UserListAnswer,
  UserSchema,
} from './directory.schema.js';
import * as service from './directory.service.js';
import * as sessions from './directory.sessions.js';
import * as visits from './directory.visits.js';

/**
 * 204, no body, on a route whose response schema lists only the answers that have one (the
 * OpenAPI document stays as it is): the type provider allows only the codes the schema lists.
 */
function noContent(reply: FastifyReply): FastifyReply {
  return reply.status(204).send();
}

/** The page a listing's query asks for: only the fields given. */
function pageOf(query: { limit?: number; cursor?: string }): service.PageQuery {
  return { ...(query.limit !== undefined ? { limit: query.limit } : {}), ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) };
}

export function directoryRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/members',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'List the members of this node, their groups and points of contact', response: { 200: Type.Object({ members: Type.Array(MemberSchema) }) } },
      },
      async (request) => ({ members: await service.listMembers(ctx, request.actor) }),
    );

    app.post(
      '/api/v1/members',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Add a member (node administrators); 409 when its code exists (change it with PATCH)', body: MemberCreateBody, response: { 201: MemberSchema } },
      },
      async (request, reply) => {
        const b = request.body;
        const member = await service.createMember(ctx, request.actor, {
          code: b.code,
          name: b.name,
          kind: b.kind,
          country: b.country ?? null,
          identityId: b.identity_id ?? null,
          ...(b.contacts ? { contacts: b.contacts } : {}),
        });
        return reply.status(201).send(member);
      },
    );

    app.patch(
      '/api/v1/members/:code',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Change the named fields of a member and keep the rest (node administrators); its points of contact (its member administrators)', params: MemberCodeParams, body: MemberPatchBody, response: { 200: MemberSchema } },
      },
      async (request) => {
        const b = request.body;
        return service.updateMember(ctx, request.actor, request.params.code, {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.kind !== undefined ? { kind: b.kind } : {}),
          ...(b.country !== undefined ? { country: b.country } : {}),
          ...(b.identity_id !== undefined ? { identityId: b.identity_id } : {}),
          ...(b.contacts !== undefined ? { contacts: b.contacts } : {}),
        });
      },
    );

    app.put(
      '/api/v1/members/:code',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Replace an existing member (node administrators; 404 for a new code: add it with POST); its points of contact (its member administrators)', params: MemberCodeParams, body: MemberBody, response: { 200: MemberSchema } },
      },
      async (request) => {
        const b = request.body;
        return service.saveMember(ctx, request.actor, request.params.code, {
          name: b.name,
          kind: b.kind,
          ...(b.country !== undefined ? { country: b.country } : {}),
          ...(b.identity_id !== undefined ? { identityId: b.identity_id } : {}),
          ...(b.contacts ? { contacts: b.contacts } : {}),
        });
      },
    );

    app.put(
      '/api/v1/groups/:name',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Add members to a named group, made if new (node administrators); its description changes only when given', params: Type.Object({ name: Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' }) }), body: GroupBody },
      },
      async (request, reply) => {
        await service.addToGroup(ctx, request.actor, request.params.name, request.body.description, request.body.members);
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/v1/session',
      {
        config: { permission: 'public' },
        schema: {
          summary: 'Sign in with a user name and password: sets an httpOnly session cookie and returns the CSRF token writes must carry',
          body: Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        try {
          const session = await sessions.signIn(ctx, { user: request.body.user, password: request.body.password, ip: request.ip });
          // A new sign-in ends the session the browser held before, whoever it was.
          const previous = request.cookies[sessions.SESSION_COOKIE];
          if (previous) await sessions.signOut(ctx, request.principal, previous);
          reply.setCookie(sessions.SESSION_COOKIE, session.id, {
            httpOnly: true,
            sameSite: 'strict',
            secure: request.protocol === 'https',
            path: '/',
            expires: new Date(session.expiresAt),
          });
          return { user: session.user, csrf_token: session.csrfToken, expires_at: session.expiresAt };
        } catch (error) {
          const retry = (error as { details?: { retry_after_seconds?: number } }).details?.retry_after_seconds;
          if (retry !== undefined) reply.header('retry-after', String(retry));
          throw error;
        }
      },
    );

    // The web application's first question: answered 200 whether or not a session is open, so that
    // a signed-out page neither logs an error nor learns anything but that it is signed out.
    app.get(
      '/api/v1/session',
      {
        config: { permission: 'public' },
        schema: {
          summary: 'Whether the sign-in cookie sent names an open session (200 either way), and whose',
          response: { 200: Type.Object({ signed_in: Type.Boolean(), user: Type.Optional(Type.String()) }) },
        },
      },
      async (request) => {
        const p = request.principal;
        return request.credential?.via === 'session' && p?.userName ? { signed_in: true, user: p.userName } : { signed_in: false };
      },
    );

    app.delete(
      '/api/v1/session',
      { config: { permission: 'public' }, schema: { summary: 'Sign out: ends the session of the cookie sent' } },
      async (request, reply) => {
        const id = request.cookies[sessions.SESSION_COOKIE];
        if (id) await sessions.signOut(ctx, request.principal, id);
        reply.clearCookie(sessions.SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/me',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'Who the credentials act as: user, member, groups, clearance, roles, permissions, and when they were here before', response: { 200: MeSchema } },
      },
      async (request) => {
        const p = request.actor;
        const details = await visits.callerDetails(ctx, p, request.credential);
        return {
          user: p.userName,
          kind: p.kind,
          member: p.member ? { code: p.member.code, kind: p.member.kind, identityId: p.member.identityId, groups: [...p.member.groups] } : null,
          member_name: details.member_name,
          clearance: p.clearance,
          clearance_name: DEFAULT_CLASSIFICATIONS[p.clearance] ?? null,
          roles: [...p.roles],
          permissions: details.permissions,
          previous_visit: details.previous_visit,
        };
      },
    );

    app.get(
      '/api/v1/users',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'Users the caller administers (and the caller), by name, a page at a time', querystring: Type.Object(PageQuerystring), response: { 200: UserListAnswer } },
      },
      async (request) => service.listUsers(ctx, request.actor, pageOf(request.query)),
    );

    app.post(
      '/api/v1/users',
      { config: { permission: 'directory:write' }, schema: { summary: 'Create a user of a member the caller administers', body: UserBody, response: { 201: UserSchema } } },
      async (request, reply) => {
        const b = request.body;
        const user = await service.createUser(ctx, request.actor, { name: b.name, member: b.member, clearance: b.clearance, roles: b.roles, ...(b.password !== undefined ? { password: b.password } : {}) });
        return reply.status(201).send(user);
      },
    );

    app.put(
      '/api/v1/users/:name/password',
      {
        config: { permission: 'directory:write' },
        schema: {
          summary: "Set a user's dashboard password: 204 when set; 202 when a second node administrator or the user must approve it first (two-person rule)",
          params: Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9._@-]{0,63}$' }) }),
          body: PasswordBody,
          response: { 202: PendingCredentialSchema },
        },
      },
      async (request, reply) => {
        const outcome = await service.setUserPassword(ctx, request.actor, request.params.name, request.body.password);
        return outcome.status === 'set' ? noContent(reply) : reply.status(202).send(outcome);
      },
    );

    app.get(
      '/api/v1/credential-requests',
      {
        config: { permission: 'directory:read' },
        schema: {
          summary: 'Credential requests waiting for a second person (two-person rule), and those decided, newest first, a page at a time: all for node administrators, else those the caller made or that name it',
          querystring: Type.Object({ status: Type.Optional(Type.Union(service.CREDENTIAL_REQUEST_STATUSES.map((s) => Type.Literal(s)))), ...PageQuerystring }, { additionalProperties: false }),
          response: { 200: CredentialRequestListAnswer },
        },
      },
      async (request) => service.listCredentialRequests(ctx, request.actor, { ...(request.query.status !== undefined ? { status: request.query.status } : {}), ...pageOf(request.query) }),
    );

    app.post(
      '/api/v1/credential-requests/:id/approve',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'Approve a credential request: a node administrator other than the one who asked, or the user it names (consent)', params: CredentialRequestParams, response: { 200: CredentialRequestSchema } },
      },
      async (request) => service.approveCredentialRequest(ctx, request.actor, request.params.id),
    );

    app.post(
      '/api/v1/credential-requests/:id/decline',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'Decline a credential request (any node administrator, or the user it names); its token never works', params: CredentialRequestParams, response: { 200: CredentialRequestSchema } },
      },
      async (request) => service.declineCredentialRequest(ctx, request.actor, request.params.id),
    );

    app.get(
      '/api/v1/tokens',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Tokens of the users the caller administers (never their values), by id, a page at a time', querystring: Type.Object(PageQuerystring), response: { 200: TokenListAnswer } },
      },
      async (request) => service.listTokens(ctx, request.actor, pageOf(request.query)),
    );

    app.post(
      '/api/v1/tokens',
      {
        config: { permission: 'directory:write' },
        schema: {
          summary: 'Create an API token for a user; its value is in this answer only. 201: it works now; 202: it works once a second node administrator or the user approves its request (two-person rule)',
          body: TokenBody,
          response: { 201: CreatedTokenSchema, 202: PendingTokenSchema },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const created = await service.createToken(ctx, request.actor, { name: b.name, user: b.user, ...(b.expires_at ? { expiresAt: new Date(b.expires_at).toISOString() } : {}) });
        return reply.status(created.status === 'pending' ? 202 : 201).send(created);
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      { config: { permission: 'directory:write' }, schema: { summary: 'Revoke a token', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) } },
      async (request, reply) => {
        await service.revokeToken(ctx, request.actor, request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
