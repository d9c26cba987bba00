import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MEMBER_KINDS, ROLES } from '../../policy/principal.js';
import { literalUnion, nullable } from '../../core/schema.js';
import { PAGE_DEFAULT, PAGE_MAX } from './directory.pages.js';


export const ContactSchema = Type.Object(
  {
    role: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. national CERT duty officer, cyber defence authority' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    // No '?', '&', '%', '=' or '#': a mailto: link made of it cannot carry extra fields (a hidden bcc, a body).
    email: Type.String({ format: 'email', maxLength: 254, pattern: '^[^\\s?&%=#@]+@[^\\s?&%=#@/]+$' }),
    phone: Type.String({ pattern: '^\\+?[0-9 ()./-]{5,30}$', description: 'international format, e.g. +49 228 99 9582 0' }),
    available_24_7: Type.Boolean({ description: 'reachable round the clock' }),
  },
  { additionalProperties: false },
);
export type Contact = Static<typeof ContactSchema>;

export const MemberSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  kind: literalUnion(MEMBER_KINDS),
  country: Type.Union([Type.String(), Type.Null()]),
  identityId: Type.Union([Type.String(), Type.Null()]),
  groups: Type.Array(Type.String()),
  contacts: Type.Array(ContactSchema),
});

export const MemberCodeParams = Type.Object({ code: Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' }) });

export const MemberBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: literalUnion(MEMBER_KINDS),
    country: Type.Optional(nullable(Type.String({ pattern: '^[A-Z]{2}$' }))),
    identity_id: Type.Optional(nullable(Type.String({ pattern: '^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }))),
    contacts: Type.Optional(Type.Array(ContactSchema, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type MemberBody = Static<typeof MemberBody>;

/** A new member: POST /api/v1/members (a code that exists is refused). */
export const MemberCreateBody = Type.Composite([Type.Object({ code: MemberCodeParams.properties.code }), MemberBody], { additionalProperties: false });
export type MemberCreateBody = Static<typeof MemberCreateBody>;

/** The fields of a member to change, and only those: PATCH /api/v1/members/{code}. */
export const MemberPatchBody = Type.Partial(MemberBody, { additionalProperties: false, minProperties: 1 });
export type MemberPatchBody = Static<typeof MemberPatchBody>;

export const GroupBody = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500, description: 'kept as it is when omitted' })),
    members: Type.Array(Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' }), { maxItems: 500 }),
  },
  { additionalProperties: false },
);

export const UserSchema = Type.Object({
  name: Type.String(),
  member: Type.Union([Type.String(), Type.Null()]),
  clearance: Type.Integer(),
  roles: Type.Array(literalUnion(ROLES)),
});

export const UserBody = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._@-]{0,63}$' }),
    member: nullable(Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$', description: "the member's code; null for a user of the node itself" })),
    clearance: Type.Integer({ minimum: 0, maximum: 50 }),
    roles: Type.Array(literalUnion(ROLES), { minItems: 1, uniqueItems: true }),
    password: Type.Optional(Type.String({ minLength: 12, maxLength: 1024, description: 'for dashboard sign-in; at least 12 characters' })),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;

export const TokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    user: Type.String({ pattern: '^[a-z0-9][a-z0-9._@-]{0,63}$', description: "the user's name" }),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339 time to come, e.g. 2027-06-30T00:00:00Z; none: the token does not expire' })),
  },
  { additionalProperties: false },
);

export const PasswordBody = Type.Object(
  { password: Type.String({ minLength: 12, maxLength: 1024, description: 'for dashboard sign-in; at least 12 characters' }) },
  { additionalProperties: false },
);

export const CredentialRequestSchema = Type.Object({
  id: Type.Integer(),
  kind: literalUnion(['token', 'password'] as const),
  user: Type.String(),
  requestedBy: Type.String(),
  reason: Type.String(),
  tokenId: Type.Union([Type.Integer(), Type.Null()]),
  tokenName: Type.Union([Type.String(), Type.Null()]),
  tokenExpiresAt: Type.Union([Type.String(), Type.Null()]),
  status: literalUnion(['pending', 'approved', 'declined', 'lapsed'] as const),
  createdAt: Type.String(),
  lapsesAt: Type.String(),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
});

/** What a request that needs a second person answers (202). */
export const PendingCredentialSchema = Type.Object({
  status: Type.Literal('pending'),
  request: CredentialRequestSchema,
  message: Type.String(),
});

export const CreatedTokenSchema = Type.Object({
  status: literalUnion(['issued', 'pending'] as const),
  id: Type.Integer(),
  name: Type.String(),
  user: Type.String(),
  token: Type.String({ description: 'shown once; with status pending it works once the request is approved' }),
});

/** The page of a directory listing to answer: GET /api/v1/users, /tokens, /credential-requests. */
export const PageQuerystring = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX, description: `rows a page holds, at most ${PAGE_MAX} (default ${PAGE_DEFAULT})` })),
  cursor: Type.Optional(Type.String({ maxLength: 400, description: 'next_cursor of the previous page' })),
};

const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null on the last one' });

export const UserListAnswer = Type.Object({ users: Type.Array(UserSchema), next_cursor: NextCursor });

export const TokenInfoSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  user: Type.Union([Type.String(), Type.Null()]),
  memberCode: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  awaitingRequest: Type.Union([Type.Integer(), Type.Null()], { description: 'the credential request it waits for; it works only once that is approved' }),
});

export const TokenListAnswer = Type.Object({ tokens: Type.Array(TokenInfoSchema), next_cursor: NextCursor });

export const CredentialRequestListAnswer = Type.Object({ requests: Type.Array(CredentialRequestSchema), next_cursor: NextCursor });

export const CredentialRequestParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** A token that works once a second person approves its request (202). */
export const PendingTokenSchema = Type.Composite([Type.Omit(CreatedTokenSchema, ['status']), PendingCredentialSchema]);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** GET /api/v1/me: who the credentials act as, what they may do, and when they were here before. */
export const MeSchema = Type.Object({
  user: Nullable(Type.String()),
  kind: literalUnion(['user', 'token', 'peer', 'system'] as const),
  member: Nullable(
    Type.Object({
      code: Type.String(),
      kind: literalUnion(MEMBER_KINDS),
      identityId: Nullable(Type.String()),
      groups: Type.Array(Type.String()),
    }),
  ),
  member_name: Nullable(Type.String({ description: "the member's display name" })),
  clearance: Type.Integer(),
  clearance_name: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String(), { description: "every permission the caller's roles hold, sorted" }),
  previous_visit: Nullable(
    Type.String({
      format: 'date-time',
      description: "when the caller was here before: a session's previous sign-in of the user, a token's last use before its current run of use (uses less than 30 minutes apart are one run); null if never",
    }),
  ),
});
export type Me = Static<typeof MeSchema>;
