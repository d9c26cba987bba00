/** Request and response schemas of subscriptions and their delivery log (TypeBox: JSON Schema and types). */
import { Type } from '@sinclair/typebox';
import { literalUnion, nullable } from '../../core/schema.js';
import { INCIDENT_STATUSES, SECTOR_KEYS } from '../incidents/incidents.model.js';
import { ASSISTANCE_LEVELS, CHANGE_KINDS, FILTER_LIST_MAX, MAX_LEVEL } from './notify.filter.js';
import { EVENTS } from './notify.message.js';
import { CHANNELS, DELIVERIES_PAGE_MAX, DELIVERY_STATUSES, EMAIL_MAX, NAME_MAX, SECRET_MAX, URL_MAX } from './notify.service.js';

export const Filter = Type.Object(
  {
    significant_only: Type.Optional(Type.Boolean({ description: 'Only incidents of level 3 (High) or above' })),
    min_level: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LEVEL, description: 'Only incidents scored at this level or above (0 Baseline .. 5 Emergency); unscored incidents do not match' })),
    sectors: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: FILTER_LIST_MAX, description: `Only incidents affecting one of these sectors: ${SECTOR_KEYS.join(', ')}` })),
    members: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: FILTER_LIST_MAX, description: 'Only incidents reported by one of these members (codes), and only assistance requested by one of them' })),
    statuses: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: FILTER_LIST_MAX, description: `Only incidents in one of these statuses: ${INCIDENT_STATUSES.join(', ')}` })),
    linked_to_my_sightings: Type.Optional(Type.Boolean({ description: "Only incidents linking an indicator that a sighting of your member (created_by_ref: its identity) is of" })),
    changes: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: CHANGE_KINDS.length * 2, description: `Only these changes: ${CHANGE_KINDS.join(', ')}` })),
    incidents: Type.Optional(Type.Boolean({ description: 'false: no incident changes at all (a subscription to mutual assistance only, with assistance given); default true' })),
    assistance: Type.Optional(
      Type.String({ maxLength: 20, description: `Which changes of mutual assistance (requests, offers, deployments) you hear of: ${ASSISTANCE_LEVELS.join(', ')} (only response clocks gone overdue, or every change); default none. Needs assistance:read` }),
    ),
  },
  { additionalProperties: false },
);

const Url = Type.String({ minLength: 1, maxLength: URL_MAX, description: 'http:// or https:// URL that receives a POST per notification' });
const Secret = Type.String({ minLength: 1, maxLength: SECRET_MAX, description: 'Key of the HMAC-SHA256 signature of each delivery (16 characters or more); generated and shown once when left out' });
const Email = Type.Object({ address: Type.String({ minLength: 3, maxLength: EMAIL_MAX }) }, { additionalProperties: false });

export const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: NAME_MAX }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    filter: Type.Optional(Filter),
    channels: Type.Object(
      {
        webhook: Type.Optional(Type.Object({ url: Url, secret: Type.Optional(Secret) }, { additionalProperties: false })),
        email: Type.Optional(Email),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: NAME_MAX })),
    enabled: Type.Optional(Type.Boolean()),
    filter: Type.Optional(Filter),
    channels: Type.Optional(
      Type.Object(
        {
          webhook: Type.Optional(
            nullable(Type.Object({ url: Url, secret: Type.Optional(Secret), new_secret: Type.Optional(Type.Boolean({ description: 'Generate a new secret (shown once in the answer)' })) }, { additionalProperties: false })),
          ),
          email: Type.Optional(nullable(Email)),
        },
        { additionalProperties: false, description: 'A channel given replaces it, null removes it, absent leaves it as it is' },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  filter: Filter,
  channels: Type.Object({
    webhook: Type.Optional(Type.Object({ url: Type.String(), secret: Type.Optional(Type.String({ description: 'Only in the answer that generated it' })) })),
    email: Type.Optional(Type.Object({ address: Type.String() })),
  }),
  created: Type.String(),
  modified: Type.String(),
});

export const DeliverySchema = Type.Object({
  id: Type.String({ description: 'Sent as x-shieldwall-delivery' }),
  channel: literalUnion(CHANNELS),
  event: literalUnion(EVENTS),
  incident: Type.Union([Type.Object({ id: Type.String(), version: Type.Integer() }), Type.Null()], { description: 'Null for a test, for assistance, and where you may no longer read the incident' }),
  assistance: Type.Union(
    [
      Type.Object({
        record: Type.String({ description: 'request, offer or deployment' }),
        id: Type.String(),
        request_id: Type.String(),
        change: Type.String(),
        milestone: Type.Union([Type.String(), Type.Null()], { description: "The response clock's milestone, on 'overdue'" }),
      }),
      Type.Null(),
    ],
    { description: 'The assistance change it tells of; null for incidents and tests, and where you may no longer read the record' },
  ),
  status: literalUnion(DELIVERY_STATUSES),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      at: Type.String(),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
      duration_ms: Type.Integer(),
    }),
  ),
  created: Type.String(),
  modified: Type.String(),
});

export const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DELIVERIES_PAGE_MAX, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const TestQuery = Type.Object({
  channel: Type.Optional(literalUnion(CHANNELS)),
});
