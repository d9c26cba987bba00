/** Request and response schemas of the incidents API (and so of its OpenAPI document). */
import { Type, type Static } from '@sinclair/typebox';
import { literalUnion, nullable } from '../../core/schema.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS } from '../../policy/markings.js';
import { INCIDENT_STATUSES, SECTOR_KEYS, TASK_STATUSES } from './incidents.model.js';
import { INCIDENT_LIMITS } from './incidents.service.js';

const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339 time, e.g. 2026-11-30T08:15:00Z' });
const StixId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,60}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', maxLength: 100 });
const IncidentId = Type.String({ pattern: '^incident--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', maxLength: 100 });
/** A member code, a group name, '*' or '@user', as releasability lists hold them. */
const Entry = Type.String({ pattern: '^(\\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$', maxLength: 65 });
const Entries = Type.Array(Entry, { maxItems: INCIDENT_LIMITS.entries, uniqueItems: true });
const Status = literalUnion(INCIDENT_STATUSES);
const Sector = literalUnion(SECTOR_KEYS as readonly string[]);
const Tlp = literalUnion(TLP_LEVELS);
const ShortText = Type.String({ minLength: 1, maxLength: 300 });
const LongText = Type.String({ maxLength: 20_000 });
const Selections = Type.Record(Type.String({ maxLength: 60 }), Type.String({ maxLength: 60 }), { maxProperties: 20, description: 'The option chosen in each scoring category, by category key (GET /api/v1/incidents/scoring)' });

const ActorInput = Type.Object(
  {
    ref: Type.Optional(nullable(StixId)),
    name: Type.Optional(nullable(ShortText)),
    confidence: Type.Integer({ minimum: 0, maximum: 100, description: 'Confidence in the attribution, 0-100 (STIX 2.1 section 3.2)' }),
  },
  { additionalProperties: false },
);

const LinkInput = Type.Object(
  { object_id: StixId, kind: literalUnion(['intel', 'observable'] as const), note: Type.Optional(nullable(Type.String({ maxLength: 300 }))) },
  { additionalProperties: false },
);

const markingFields = {
  tlp: Type.Optional(nullable(Tlp)),
  classification: Type.Optional(Type.String({ maxLength: 40, description: `One of ${DEFAULT_CLASSIFICATIONS.join(', ')}, at or below your clearance` })),
  releasability: Type.Optional(Entries),
  recipients: Type.Optional(Entries),
  delegates: Type.Optional(Type.Array(Entry, { maxItems: 50, uniqueItems: true, description: "Member codes and '@user' entries that may change the incident besides the reporting member's users" })),
};

const contentFields = {
  summary: Type.Optional(nullable(LongText)),
  sectors: Type.Optional(Type.Array(Sector, { maxItems: INCIDENT_LIMITS.sectors, uniqueItems: true })),
  systems: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: INCIDENT_LIMITS.systems })),
  started_at: Type.Optional(nullable(Timestamp)),
  detected_at: Type.Optional(nullable(Timestamp)),
  handler: Type.Optional(nullable(ShortText)),
  actor: Type.Optional(nullable(ActorInput)),
};

export const ReportBody = Type.Object(
  {
    title: ShortText,
    ...contentFields,
    links: Type.Optional(Type.Array(LinkInput, { maxItems: INCIDENT_LIMITS.links })),
    selections: Type.Optional(Selections),
    ...markingFields,
  },
  { additionalProperties: false },
);
export type ReportBody = Static<typeof ReportBody>;

export const PatchBody = Type.Object(
  { version: Type.Integer({ minimum: 1, description: 'The version you changed (409 SW_STALE_VERSION if it is not the current one)' }), title: Type.Optional(ShortText), ...contentFields, ...markingFields },
  { additionalProperties: false, minProperties: 2 },
);
export type PatchBody = Static<typeof PatchBody>;

export const StatusBody = Type.Object(
  { status: Status, note: Type.Optional(Type.String({ maxLength: 2000 })), version: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export const SeverityBody = Type.Object({ selections: Selections, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });
export const PreviewBody = Type.Object({ selections: Selections }, { additionalProperties: false });
export const TimelineBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000 }), at: Type.Optional(Timestamp) }, { additionalProperties: false });
export const TaskBody = Type.Object(
  { title: ShortText, assignee: Type.Optional(nullable(ShortText)), due: Type.Optional(nullable(Timestamp)) },
  { additionalProperties: false },
);
export const TaskPatchBody = Type.Object(
  { title: Type.Optional(ShortText), assignee: Type.Optional(nullable(ShortText)), due: Type.Optional(nullable(Timestamp)), status: Type.Optional(literalUnion(TASK_STATUSES)) },
  { additionalProperties: false, minProperties: 1 },
);
export const LinkBody = LinkInput;

export const IdParams = Type.Object({ id: IncidentId });
export const TaskParams = Type.Object({ id: IncidentId, task: Type.String({ minLength: 1, maxLength: 100 }) });
export const LinkParams = Type.Object({ id: IncidentId, object: StixId });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 200, description: `Comma-separated statuses: ${INCIDENT_STATUSES.join(', ')}` })),
    level: Type.Optional(Type.String({ maxLength: 40, description: 'Comma-separated severity levels, 0-5' })),
    member: Type.Optional(Type.String({ maxLength: 400, description: 'Comma-separated codes of reporting members' })),
    sector: Type.Optional(Sector),
    significant: Type.Optional(Type.Boolean({ description: 'Only incidents at level 3 (High) or above' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Text in the title (case-insensitive)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const ExportQuery = Type.Object({ format: Type.Optional(literalUnion(['stix', 'html', 'pdf'] as const)) }, { additionalProperties: false });

// --- answers ------------------------------------------------------------------------------------

const Handling = Type.Object({ tlp: nullable(Type.String()), classification: Type.String(), releasability: Type.Array(Type.String()) });
const Severity = Type.Object({ score: Type.Number(), level: Type.Integer(), level_name: Type.String(), significant: Type.Boolean(), selections: Type.Record(Type.String(), Type.String()) });

export const IncidentSummarySchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  status: Type.String(),
  sectors: Type.Array(Type.String()),
  member: nullable(Type.String()),
  source: Type.String({ description: "local: reported on this node; peer: received as STIX from another node (read only)" }),
  created: Type.String(),
  modified: Type.String(),
  handling: Handling,
  level: nullable(Type.Integer()),
  level_name: nullable(Type.String()),
  score: nullable(Type.Number()),
  significant: Type.Boolean(),
});

export const IncidentSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  summary: nullable(Type.String()),
  status: Type.String(),
  allowed_transitions: Type.Array(Type.String()),
  handler: nullable(Type.String()),
  sectors: Type.Array(Type.String()),
  systems: Type.Array(Type.String()),
  started_at: nullable(Type.String()),
  detected_at: nullable(Type.String()),
  created: Type.String(),
  modified: Type.String(),
  member: nullable(Type.String()),
  owner: nullable(Type.String()),
  source: Type.String(),
  actor: nullable(Type.Object({ ref: nullable(Type.String()), name: nullable(Type.String()), confidence: Type.Integer() })),
  severity: nullable(Severity),
  timeline: Type.Array(Type.Object({ id: Type.String(), at: Type.String(), author: nullable(Type.String()), kind: Type.String(), text: Type.String() })),
  tasks: Type.Array(
    Type.Object({ id: Type.String(), title: Type.String(), assignee: nullable(Type.String()), status: Type.String(), due: nullable(Type.String()), created: Type.String(), modified: Type.String() }),
  ),
  links: Type.Array(Type.Object({ object_id: Type.String(), kind: Type.String(), note: nullable(Type.String()), linked_at: Type.Optional(Type.String({ description: 'When it was linked' })) })),
  handling: Handling,
  delegates: Type.Array(Type.String()),
  recipients: Type.Array(Type.String()),
  may_edit: Type.Boolean(),
});

export const ListAnswer = Type.Object({ incidents: Type.Array(IncidentSummarySchema), next_cursor: nullable(Type.String()) });

export const ScoreAnswer = Type.Object({
  score: Type.Number(),
  level: Type.Integer(),
  level_name: Type.String(),
  significant: Type.Boolean(),
  contributions: Type.Array(Type.Object({ category: Type.String(), option: nullable(Type.String()), value: Type.Number(), weight: Type.Number(), points: Type.Number() })),
});
