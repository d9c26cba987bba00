/** Request and response schemas of the decisions API (consultations, proposals, decision records, statements), and so of its OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { literalUnion, nullable } from '../../core/schema.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS } from '../../policy/markings.js';
import { CONSULTATION_STATUSES, PROPOSAL_STATUSES, RESPONSE_OPTION_KEYS, STATEMENT_STATUSES, SUBJECT_KINDS } from './decisions.model.js';
import { DECISIONS_LIMITS, ENTRY_KINDS } from './decisions.service.js';
import { RESPONSES } from './statements.service.js';

const Uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339 time, e.g. 2026-12-04T12:00:00Z' });
const StixRef = Type.String({ pattern: `^[a-z][a-z0-9-]{1,60}--${Uuid}$`, maxLength: 100 });
const Member = Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$', maxLength: 32 });
const Entry = Type.String({ pattern: '^(\\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$', maxLength: 65 });
const Version = Type.Optional(Type.Integer({ minimum: 1, description: 'The version you read: a change made on an older one is refused (409 SW_STALE_VERSION)' }));
const Text = Type.String({ minLength: 1, maxLength: DECISIONS_LIMITS.text });
const Title = Type.String({ minLength: 1, maxLength: DECISIONS_LIMITS.title });
const Reason = Type.String({ maxLength: DECISIONS_LIMITS.reason });
const Marking = {
  tlp: Type.Optional(nullable(literalUnion(TLP_LEVELS))),
  classification: Type.Optional(Type.String({ maxLength: 40, description: `One of ${DEFAULT_CLASSIFICATIONS.join(', ')}` })),
  releasability: Type.Optional(Type.Array(Entry, { maxItems: DECISIONS_LIMITS.entries })),
};
const Options = Type.Array(literalUnion(RESPONSE_OPTION_KEYS as readonly string[]), { minItems: 1, maxItems: RESPONSE_OPTION_KEYS.length, uniqueItems: true, description: 'Keys of the response-options catalogue (GET /api/v1/decisions/catalogue)' });
const Open = { additionalProperties: true } as const;

export const ConsultationParams = Type.Object({ id: Type.String({ pattern: `^consultation--${Uuid}$`, maxLength: 100 }) });
export const ProposalParams = Type.Object({ id: Type.String({ pattern: `^proposal--${Uuid}$`, maxLength: 100 }) });
export const DecisionParams = Type.Object({ id: Type.String({ pattern: `^decision--${Uuid}$`, maxLength: 100 }) });
export const StatementParams = Type.Object({ id: Type.String({ pattern: `^attribution-statement--${Uuid}$`, maxLength: 100 }) });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 200, description: 'Comma-separated statuses' })),
    subject: Type.Optional(StixRef),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DECISIONS_LIMITS.list })),
  },
  { additionalProperties: false },
);

export const ConsultationBody = Type.Object(
  {
    title: Title,
    description: Type.Optional(nullable(Type.String({ maxLength: DECISIONS_LIMITS.text }))),
    subject: Type.Object({ kind: literalUnion(SUBJECT_KINDS), ref: StixRef }, { additionalProperties: false }),
    participants: Type.Array(Member, { minItems: 1, maxItems: DECISIONS_LIMITS.participants, uniqueItems: true }),
    ...Marking,
  },
  { additionalProperties: false },
);

export const EntryBody = Type.Object(
  { kind: literalUnion(ENTRY_KINDS), title: Type.Optional(nullable(Title)), text: Text, version: Version },
  { additionalProperties: false },
);

export const ConsultationStatusBody = Type.Object({ status: literalUnion(CONSULTATION_STATUSES), reason: Type.Optional(nullable(Reason)), version: Version }, { additionalProperties: false });

export const ProposalBody = Type.Object(
  { title: Title, text: Text, options: Options, proportionality: Type.Optional(nullable(Type.String({ maxLength: DECISIONS_LIMITS.text }))) },
  { additionalProperties: false },
);

const Deadline = {
  deadline: Type.Optional(nullable(Timestamp)),
  silence_hours: Type.Optional(nullable(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90, description: 'Length of the silence, from now' }))),
};

export const CirculateBody = Type.Object({ ...Deadline, version: Version }, { additionalProperties: false });
export const BreakBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: DECISIONS_LIMITS.reason }), version: Version }, { additionalProperties: false });
export const AmendBody = Type.Object(
  {
    text: Text,
    title: Type.Optional(Title),
    options: Type.Optional(Options),
    proportionality: Type.Optional(nullable(Type.String({ maxLength: DECISIONS_LIMITS.text }))),
    reason: Type.Optional(nullable(Reason)),
    ...Deadline,
    version: Version,
  },
  { additionalProperties: false },
);
export const WithdrawBody = Type.Object({ reason: Type.Optional(nullable(Reason)), version: Version }, { additionalProperties: false });

export const StatementBody = Type.Object(
  {
    title: Title,
    text: Text,
    actor_ref: StixRef,
    attributed_to_ref: Type.Optional(nullable(StixRef)),
    confidence: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    publish_at: Timestamp,
    invited: Type.Array(Member, { maxItems: DECISIONS_LIMITS.participants, uniqueItems: true }),
    consultation_id: Type.Optional(nullable(Type.String({ pattern: `^consultation--${Uuid}$`, maxLength: 100 }))),
    ...Marking,
  },
  { additionalProperties: false },
);
export const StatementResponseBody = Type.Object({ response: literalUnion(RESPONSES), reason: Type.Optional(nullable(Reason)), version: Version }, { additionalProperties: false });

const HandlingSchema = Type.Object({ tlp: nullable(Type.String()), classification: Type.String(), releasability: Type.Array(Type.String()) });
const SilenceSchema = nullable(Type.Object({ round: Type.Integer(), version: Type.Integer(), started_at: Type.String(), deadline: Type.String() }));

export const ProposalSummarySchema = Type.Object(
  {
    id: Type.String(), consultation_id: Type.String(), title: Type.String(), status: literalUnion(PROPOSAL_STATUSES), options: Type.Array(Type.String()), text_version: Type.Integer(),
    silence: SilenceSchema, version: Type.Integer(), modified: Type.String(), handling: HandlingSchema,
  },
  Open,
);
export const ProposalSchema = Type.Object(
  {
    id: Type.String(), consultation_id: Type.String(), title: Type.String(), status: literalUnion(PROPOSAL_STATUSES), options: Type.Array(Type.String()), text_version: Type.Integer(),
    silence: SilenceSchema, version: Type.Integer(), modified: Type.String(), created: Type.String(), text: Type.String(), proportionality: nullable(Type.String()),
    breaks: Type.Array(Type.Object({}, Open)), amendments: Type.Array(Type.Object({}, Open)), decision: nullable(Type.Object({}, Open)), history: Type.Array(Type.Object({}, Open)),
    actions: Type.Array(Type.String()), handling: HandlingSchema, now: Type.String({ description: "The node's clock when it answered" }),
  },
  Open,
);
export const ConsultationSummarySchema = Type.Object(
  {
    id: Type.String(), title: Type.String(), status: literalUnion(CONSULTATION_STATUSES), subject: Type.Object({}, Open), requested_by: nullable(Type.String()),
    participants: Type.Array(Type.String()), proposals: Type.Integer(), silence_deadline: nullable(Type.String()), version: Type.Integer(), handling: HandlingSchema,
    created: Type.String(), modified: Type.String(),
  },
  Open,
);
export const ConsultationSchema = Type.Object(
  {
    id: Type.String(), title: Type.String(), status: literalUnion(CONSULTATION_STATUSES), subject: Type.Object({}, Open), requested_by: nullable(Type.String()),
    participants: Type.Array(Type.String()), proposals: Type.Integer(), silence_deadline: nullable(Type.String()), version: Type.Integer(), handling: HandlingSchema,
    created: Type.String(), modified: Type.String(), description: nullable(Type.String()), statements: Type.Array(Type.Object({}, Open)), documents: Type.Array(Type.Object({}, Open)),
    minutes: Type.Array(Type.Object({}, Open)), history: Type.Array(Type.Object({}, Open)), actions: Type.Array(Type.String()), proposal_list: Type.Array(ProposalSummarySchema),
  },
  Open,
);
export const DecisionRecordSchema = Type.Object(
  {
    id: Type.String(), proposal_id: Type.String(), consultation_id: Type.String(), title: Type.String(), text: Type.String(), text_sha256: Type.String(), options: Type.Array(Type.String()),
    version: Type.Integer(), round: Type.Integer(), circulated_at: Type.String(), deadline: Type.String(), adopted_at: Type.String(), participants: Type.Array(Type.String()), handling: HandlingSchema,
  },
  Open,
);
export const StatementSchema = Type.Object(
  {
    id: Type.String(), title: Type.String(), text: Type.String(), consultation_id: nullable(Type.String()), actor: Type.Object({}, Open), attributed_to: nullable(Type.Object({}, Open)),
    confidence: Type.Integer(), status: literalUnion(STATEMENT_STATUSES), publish_at: Type.String(), drafted_by: nullable(Type.String()), invited: Type.Array(Type.String()),
    joined: Type.Array(Type.Object({}, Open)), declined: Type.Array(Type.Object({}, Open)), published: nullable(Type.Object({}, Open)), actions: Type.Array(Type.String()),
    version: Type.Integer(), handling: HandlingSchema, created: Type.String(), modified: Type.String(),
  },
  Open,
);
