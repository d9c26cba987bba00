/** Request and response schemas of the assistance API (requests, offers, deployments, clocks), and so of its OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { literalUnion, nullable } from '../../core/schema.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS } from '../../policy/markings.js';
import { CAPABILITY_KEYS, DEPLOYMENT_STATUSES, MILESTONES, MODES, OFFER_STATUSES, REQUEST_MODES, REQUEST_STATUSES, URGENCIES } from './assistance.model.js';
import { ASSISTANCE_LIMITS, CYCLE_KINDS } from './assistance.service.js';

const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339 time, e.g. 2026-11-30T08:15:00Z' });
const Uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const RequestId = Type.String({ pattern: `^assistance-request--${Uuid}$`, maxLength: 100 });
export const OfferId = Type.String({ pattern: `^assistance-offer--${Uuid}$`, maxLength: 100 });
export const DeploymentId = Type.String({ pattern: `^assistance-deployment--${Uuid}$`, maxLength: 100 });
const IncidentId = Type.String({ pattern: `^incident--${Uuid}$`, maxLength: 100 });
const TeamId = Type.String({ pattern: `^team--${Uuid}$`, maxLength: 100 });
const Entry = Type.String({ pattern: '^(\\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$', maxLength: 65 });
const Capability = literalUnion(CAPABILITY_KEYS as readonly string[]);
const Capabilities = Type.Array(Capability, { minItems: 1, maxItems: CAPABILITY_KEYS.length, uniqueItems: true, description: 'Keys of the capability catalogue (GET /api/v1/assistance/catalogue)' });
const Classification = Type.String({ maxLength: 40, description: `One of ${DEFAULT_CLASSIFICATIONS.join(', ')}` });
const Language = Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 code, e.g. en' });
const Reason = Type.String({ maxLength: 5000 });

export const RequestBody = Type.Object(
  {
    incident_id: IncidentId,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    description: Type.Optional(nullable(Type.String({ maxLength: ASSISTANCE_LIMITS.text }))),
    capabilities: Capabilities,
    urgency: literalUnion(URGENCIES),
    mode: literalUnion(REQUEST_MODES),
    constraints: Type.Optional(
      Type.Object(
        {
          clearance: Type.Optional(nullable(Classification)),
          languages: Type.Optional(Type.Array(Language, { maxItems: ASSISTANCE_LIMITS.languages, uniqueItems: true })),
          duration_days: Type.Optional(nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
          other: Type.Optional(nullable(Type.String({ maxLength: 5000 }))),
        },
        { additionalProperties: false },
      ),
    ),
    tlp: Type.Optional(nullable(literalUnion(TLP_LEVELS))),
    classification: Type.Optional(Classification),
    releasability: Type.Optional(Type.Array(Entry, { maxItems: ASSISTANCE_LIMITS.entries, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const RequestStatusBody = Type.Object(
  {
    status: literalUnion(REQUEST_STATUSES),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version you changed (409 SW_STALE_VERSION if it is not the current one)' })),
    conditions: Type.Optional(nullable(Type.String({ maxLength: 5000, description: 'Conditions of an approval' }))),
    reason: Type.Optional(nullable(Reason)),
  },
  { additionalProperties: false },
);

export const OfferBody = Type.Object(
  {
    team_id: Type.Optional(nullable(TeamId)),
    capabilities: Capabilities,
    size: Type.Integer({ minimum: 1, maximum: 500 }),
    clearance: Classification,
    mode: literalUnion(MODES),
    available_from: Timestamp,
    available_until: Type.Optional(nullable(Timestamp)),
    conditions: Type.Optional(nullable(Type.String({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);

export const OfferStatusBody = Type.Object(
  { status: literalUnion(OFFER_STATUSES), version: Type.Optional(Type.Integer({ minimum: 1 })), reason: Type.Optional(nullable(Reason)) },
  { additionalProperties: false },
);

export const DeploymentStatusBody = Type.Object(
  {
    status: literalUnion(DEPLOYMENT_STATUSES),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    lessons_learned: Type.Optional(nullable(Type.String({ maxLength: ASSISTANCE_LIMITS.text }))),
    share_with_incident: Type.Optional(Type.Boolean({ description: "At closure: copy the lessons learned into the incident's timeline (the requesting member's decision)" })),
  },
  { additionalProperties: false },
);

export const SitrepBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });

export const RequestParams = Type.Object({ id: RequestId });
export const OfferParams = Type.Object({ id: OfferId });
export const DeploymentParams = Type.Object({ id: DeploymentId });

export const ListQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 200, description: `Comma-separated: ${REQUEST_STATUSES.join(', ')}` })),
  urgency: Type.Optional(Type.String({ maxLength: 100, description: `Comma-separated: ${URGENCIES.join(', ')}` })),
  incident: Type.Optional(IncidentId),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
});

export const DeploymentsQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 200, description: `Comma-separated: ${DEPLOYMENT_STATUSES.join(', ')}` })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const ClocksQuery = Type.Object({
  cycle: Type.Optional(literalUnion(CYCLE_KINDS)),
  cycles: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, description: 'How many cycles back from the current one (default 4)' })),
});

const Handling = Type.Object({ tlp: nullable(Type.String()), classification: Type.String(), releasability: Type.Array(Type.String()) });
const Clock = Type.Object({
  milestone: literalUnion(MILESTONES),
  reached_at: nullable(Type.String()),
  elapsed_ms: Type.Number(),
  target_ms: Type.Number(),
  overdue: Type.Boolean(),
  running: Type.Boolean(),
});
const History = Type.Object({ at: Type.String(), by: Type.String(), member: nullable(Type.String()), action: Type.String(), text: nullable(Type.String()) });

export const OfferSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  request_id: Type.String(),
  member: nullable(Type.String()),
  owner: nullable(Type.String()),
  team_id: nullable(Type.String()),
  team_name: nullable(Type.String()),
  capabilities: Type.Array(Type.String()),
  size: Type.Integer(),
  clearance: Type.String(),
  mode: Type.String(),
  available_from: Type.String(),
  available_until: nullable(Type.String()),
  conditions: nullable(Type.String()),
  status: Type.String(),
  allowed_transitions: Type.Array(Type.String()),
  reason: nullable(Type.String()),
  deployment_id: nullable(Type.String()),
  created: Type.String(),
  modified: Type.String(),
  may_decide: Type.Boolean(),
  may_withdraw: Type.Boolean(),
});

export const DeploymentSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  request_id: Type.String(),
  offer_id: Type.String(),
  incident_id: Type.String(),
  assisting_member: nullable(Type.String()),
  requesting_member: nullable(Type.String()),
  team_name: nullable(Type.String()),
  capabilities: Type.Array(Type.String()),
  mode: Type.String(),
  status: Type.String(),
  allowed_transitions: Type.Array(Type.String()),
  sitreps: Type.Array(Type.Object({ id: Type.String(), at: Type.String(), author: Type.String(), member: nullable(Type.String()), text: Type.String() })),
  lessons_learned: nullable(Type.String()),
  activated_at: nullable(Type.String()),
  demobilised_at: nullable(Type.String()),
  closed_at: nullable(Type.String()),
  created: Type.String(),
  modified: Type.String(),
  may_edit: Type.Boolean(),
});

export const RequestSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  incident_id: Type.String(),
  incident_title: nullable(Type.String()),
  title: Type.String(),
  description: nullable(Type.String()),
  capabilities: Type.Array(Type.String()),
  urgency: Type.String(),
  mode: Type.String(),
  constraints: Type.Object({ clearance: nullable(Type.String()), languages: Type.Array(Type.String()), duration_days: nullable(Type.Integer()), other: nullable(Type.String()) }),
  status: Type.String(),
  allowed_transitions: Type.Array(Type.String()),
  member: nullable(Type.String()),
  owner: nullable(Type.String()),
  approvals: Type.Array(Type.Object({ by: Type.String(), member: nullable(Type.String()), at: Type.String(), conditions: nullable(Type.String()) })),
  approvals_required: Type.Integer(),
  rejection: nullable(Type.Object({ by: Type.String(), at: Type.String(), reason: Type.String() })),
  released_to: nullable(Type.Array(Type.String())),
  clocks: Type.Array(Clock),
  handling: Handling,
  created: Type.String(),
  modified: Type.String(),
  actions: Type.Array(Type.String()),
  offers: Type.Array(OfferSchema),
  deployments: Type.Array(DeploymentSchema),
  history: Type.Array(History),
});

export const RequestSummarySchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  incident_id: Type.String(),
  title: Type.String(),
  capabilities: Type.Array(Type.String()),
  urgency: Type.String(),
  mode: Type.String(),
  status: Type.String(),
  member: nullable(Type.String()),
  offers: Type.Integer(),
  deployments: Type.Integer(),
  clocks: Type.Array(Clock),
  handling: Handling,
  created: Type.String(),
  modified: Type.String(),
});

export const ListAnswer = Type.Object({ requests: Type.Array(RequestSummarySchema), next_cursor: nullable(Type.String()) });
export const DeploymentsAnswer = Type.Object({ deployments: Type.Array(DeploymentSchema) });

const Aggregate = Type.Object({
  count: Type.Integer(),
  reached: Type.Integer(),
  median_ms: nullable(Type.Number()),
  p90_ms: nullable(Type.Number()),
  max_ms: nullable(Type.Number()),
  over_target: Type.Integer(),
});
export const ClocksAnswer = Type.Object({
  cycle_kind: Type.String(),
  cycles: Type.Array(
    Type.Object({
      cycle: Type.String(),
      from: Type.String(),
      to: Type.String(),
      requests: Type.Integer(),
      approval: Aggregate,
      first_offer: Aggregate,
      deployment: Aggregate,
      truncated: Type.Boolean(),
    }),
  ),
});
