/** Request and response schemas of the assessment API, and so of its OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { literalUnion, nullable } from '../../core/schema.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS } from '../../policy/markings.js';
import { ESCALATIONS, RATINGS, SCHMITT_FACTOR_KEYS, WINDOW_MAX_DAYS } from './assessment.model.js';
import { ASSESSMENT_LIMITS } from './assessment.service.js';

const Uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const ActorParams = Type.Object({ ref: Type.String({ pattern: `^(threat-actor|intrusion-set|campaign)--${Uuid}$`, maxLength: 100, description: 'The id of a threat-actor, intrusion-set or campaign' }) });
const Open = { additionalProperties: true } as const;

export const AssessmentQuery = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: WINDOW_MAX_DAYS, description: 'The window in days: 30, 90 (default), 365 or any other' })),
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'The end of the window (default now)' })),
  },
  { additionalProperties: false },
);
export const ActorsQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: WINDOW_MAX_DAYS })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ASSESSMENT_LIMITS.actors })) },
  { additionalProperties: false },
);

export const InputBody = Type.Object(
  {
    factor: literalUnion(SCHMITT_FACTOR_KEYS as readonly string[]),
    rating: literalUnion(RATINGS),
    rationale: Type.String({ minLength: 1, maxLength: ASSESSMENT_LIMITS.rationale }),
    tlp: Type.Optional(nullable(literalUnion(TLP_LEVELS))),
    classification: Type.Optional(Type.String({ maxLength: 40, description: `One of ${DEFAULT_CLASSIFICATIONS.join(', ')}` })),
    releasability: Type.Optional(Type.Array(Type.String({ pattern: '^(\\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$', maxLength: 65 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const InputSchema = Type.Object(
  { id: Type.String(), factor: Type.String(), rating: Type.String(), rationale: Type.String(), assessor: Type.String(), member: nullable(Type.String()), at: Type.String(), handling: Type.Object({}, Open) },
  Open,
);

export const AssessmentSchema = Type.Object(
  {
    actor: Type.Object({ ref: Type.String(), type: Type.String(), name: nullable(Type.String()) }),
    includes: Type.Array(Type.Object({}, Open)),
    window: Type.Object({ days: Type.Integer(), from: Type.String(), to: Type.String() }),
    score: Type.Number(),
    parts: Type.Object({}, Open),
    trend: Type.Object({}, Open),
    escalation: literalUnion(ESCALATIONS),
    escalation_text: Type.String(),
    thresholds: Type.Object({ consultation: Type.Number(), council: Type.Number() }),
    crossed: Type.Object({ consultation: nullable(Type.String()), council: nullable(Type.String()) }),
    series: Type.Array(Type.Object({ day: Type.String(), score: Type.Number() })),
    contributions: Type.Array(Type.Object({}, Open)),
    by_member: Type.Array(Type.Object({}, Open)),
    schmitt: Type.Array(InputSchema),
    basis: Type.Object({ readable_buckets: Type.Integer(), withheld_buckets: Type.Integer(), as_of: Type.String(), note: Type.String() }),
    recommendation: Type.String(),
  },
  Open,
);

export const ActorsAnswer = Type.Object(
  {
    actors: Type.Array(
      Type.Object({
        ref: Type.String(), type: Type.String(), name: nullable(Type.String()), score: Type.Number(), escalation: literalUnion(ESCALATIONS), incidents: Type.Integer(), sightings: Type.Integer(), members: Type.Integer(),
      }),
    ),
    thresholds: Type.Object({ consultation: Type.Number(), council: Type.Number() }),
    as_of: Type.String(),
    truncated: Type.Boolean(),
  },
);
