import { Type, type Static } from '@sinclair/typebox';
import { MAX_PAGE_TIMEOUT_S, PEER_AUTH, PEER_DIRECTIONS } from '../directory/directory.service.js';
import { ROLES } from '../../policy/principal.js';
import { literalUnion, nullable } from '../../core/schema.js';

const MemberCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' });

const PageTimeout = Type.Integer({ minimum: 1, maximum: MAX_PAGE_TIMEOUT_S, description: 'seconds the peer may take to answer one page (headers, then each part of the body); default 30' });

export const PeerSchema = Type.Object({
  name: Type.String(),
  certificate_cn: Type.String(),
  members: Type.Array(Type.String()),
  clearance: Type.Integer(),
  roles: Type.Array(Type.String()),
  url: nullable(Type.String()),
  pull_collection: nullable(Type.String()),
  push_collection: nullable(Type.String()),
  direction: literalUnion(PEER_DIRECTIONS),
  interval_s: Type.Integer(),
  auth: literalUnion(PEER_AUTH),
  username: nullable(Type.String()),
  has_secret: Type.Boolean(),
  ca_file: nullable(Type.String()),
  page_timeout_s: Type.Integer(),
  disabled: Type.Boolean(),
  /** Who registered or widened it since it was last enabled: another node administrator enables it. */
  awaiting_approval_by: Type.Array(Type.String()),
});

export const PeerStatusSchema = Type.Intersect([
  PeerSchema,
  Type.Object({
    pull_cursor: nullable(Type.String()),
    push_cursor: Type.Number(),
    pulled: Type.Number(),
    pushed: Type.Number(),
    refused: Type.Number(),
    push_refused: Type.Number(),
    last_pull_at: nullable(Type.String()),
    last_push_at: nullable(Type.String()),
    pull_ok_at: nullable(Type.String()),
    push_ok_at: nullable(Type.String()),
    last_error: nullable(Type.String()),
    last_error_at: nullable(Type.String()),
    failures: Type.Integer(),
    errors: Type.Number(),
  }),
]);

export const PeerBody = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
    members: Type.Array(MemberCode, { minItems: 1, maxItems: 100, uniqueItems: true }),
    certificate_cn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    clearance: Type.Integer({ minimum: 0, maximum: 50 }),
    roles: Type.Array(literalUnion(ROLES), { minItems: 1, uniqueItems: true }),
    url: Type.Optional(Type.String({ maxLength: 2000, description: "the peer's TAXII 2.1 API root, e.g. https://deu.example:8443/taxii2/intel/" })),
    pull_collection: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    push_collection: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    direction: Type.Optional(literalUnion(PEER_DIRECTIONS)),
    interval_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
    auth: Type.Optional(literalUnion(PEER_AUTH)),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'token or password this node presents to the peer; stored sealed, never shown' })),
    ca_file: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    page_timeout_s: Type.Optional(PageTimeout),
  },
  { additionalProperties: false },
);
export type PeerBody = Static<typeof PeerBody>;

/** Changes to a peer: what is not given stays; null clears url, username, ca_file or secret. */
export const PeerPatchBody = Type.Object(
  {
    members: Type.Optional(Type.Array(MemberCode, { minItems: 1, maxItems: 100, uniqueItems: true })),
    certificate_cn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    clearance: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
    roles: Type.Optional(Type.Array(literalUnion(ROLES), { minItems: 1, uniqueItems: true })),
    url: Type.Optional(nullable(Type.String({ maxLength: 2000 }))),
    pull_collection: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    push_collection: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    direction: Type.Optional(literalUnion(PEER_DIRECTIONS)),
    interval_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
    auth: Type.Optional(literalUnion(PEER_AUTH)),
    username: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    secret: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 4096 }))),
    ca_file: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 1000 }))),
    page_timeout_s: Type.Optional(PageTimeout),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PeerPatchBody = Static<typeof PeerPatchBody>;

const Counts = { objects: Type.Number(), accepted: Type.Number() };
export const SyncResultSchema = Type.Object({
  peer: Type.String(),
  pull: Type.Optional(
    Type.Object({
      ...Counts,
      pages: Type.Number(),
      duplicate: Type.Number(),
      rejected: Type.Number(),
      rejections: Type.Array(Type.String()),
      more: Type.Boolean({ description: 'the pull stopped at its bound (100 pages, 1 GiB) with more to pull: the next pull goes on' }),
    }),
  ),
  push: Type.Optional(
    Type.Object({
      ...Counts,
      refused: Type.Number(),
      oversized: Type.Number({ description: 'of refused, objects not sent: larger alone than the peer takes in one request' }),
      echoes: Type.Number(),
      requests: Type.Number(),
    }),
  ),
});

export const ProvenanceSchema = Type.Object({
  id: Type.String(),
  receipts: Type.Array(Type.Object({ version: Type.String(), peer: Type.String(), received_at: Type.String() })),
});
