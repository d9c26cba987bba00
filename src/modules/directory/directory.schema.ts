import { Type, type Static } from '@sinclair/typebox';
import { MEMBER_KINDS, ROLES } from '../../policy/principal.js';

const literalUnion = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const ContactSchema = Type.Object(
  {
    role: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. national CERT duty officer, cyber defence authority' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ format: 'email', maxLength: 254 }),
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
    country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()])),
    identity_id: Type.Optional(Type.Union([Type.String({ pattern: '^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }), Type.Null()])),
    contacts: Type.Optional(Type.Array(ContactSchema, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type MemberBody = Static<typeof MemberBody>;

export const GroupBody = Type.Object(
  { description: Type.String({ maxLength: 500 }), members: Type.Array(Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' }), { maxItems: 500 }) },
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
    member: Type.Union([Type.String(), Type.Null()]),
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
    user: Type.String(),
    expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
