/** Detection's request and response schemas (TypeBox: JSON Schema for Fastify and OpenAPI) and their types. */
import { Type, type Static } from '@sinclair/typebox';
import { LOG_FORMATS } from '../logformats/logformats.js';
import { CORRELATED_LIMIT } from './detect.context.js';
import { HITS_PER_VALUE, LOOKUP_MAX_NAMED, LOOKUP_MAX_VALUES } from './detect.lookup.js';
import { OBSERVABLE_KINDS } from '../../stix/observable.js';
import { DEFAULT_SIGHTING_MARKING } from './sighting-markings.js';

export const Kind = Type.Union(OBSERVABLE_KINDS.map((k) => Type.Literal(k)));

export const LookupGet = Type.Object({
  value: Type.String({ minLength: 1, maxLength: 8192, description: 'The value to look up: an address, domain, URL, hash, e-mail address, ...' }),
  kind: Type.Optional(Kind),
  context: Type.Optional(Type.Boolean({ description: 'Add markings, related objects and sightings to each indicator (default true)' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
});
export type LookupGetQuery = Static<typeof LookupGet>;

export const LookupPost = Type.Object({
  values: Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 8192 }), Type.Object({ value: Type.String({ minLength: 1, maxLength: 8192 }), kind: Type.Optional(Kind) })]), {
    maxItems: LOOKUP_MAX_VALUES,
    description: `Up to ${LOOKUP_MAX_VALUES} values, each a string (its kind detected) or {value, kind}`,
  }),
  context: Type.Optional(Type.Boolean({ description: 'Add markings, related objects and sightings to each indicator (default true)' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
});
export type LookupPostBody = Static<typeof LookupPost>;

export const Related = Type.Object({
  id: Type.String(),
  type: Type.String(),
  name: Type.Optional(Type.String()),
  relationship: Type.String({ description: 'relationship_type of the relationship leading to it' }),
  via: Type.Optional(Type.String({ description: 'The related object it was reached through (attribution), when not the indicator itself' })),
});

export const Sighted = Type.Object({
  members: Type.Integer({ description: 'Distinct organisations that sighted it (where_sighted_refs), among the sightings the caller may read' }),
  sightings: Type.Integer(),
  count: Type.Integer({ description: 'Times seen: the sum of the sightings\' count' }),
  first_seen: Type.Optional(Type.String()),
  last_seen: Type.Optional(Type.String()),
  sighted_by: Type.Array(Type.String(), { description: 'Identities of the sighting organisations (at most 50)' }),
  truncated: Type.Optional(Type.Boolean({ description: 'More sightings of it are stored than one read takes: the figures are a lower bound' })),
});

export const Hit = Type.Object({
  id: Type.String(),
  match: Type.Union([Type.Literal('full'), Type.Literal('partial')]),
  confidence: Type.Optional(Type.Integer()),
  valid_from: Type.Optional(Type.String()),
  valid_until: Type.Optional(Type.String()),
  markings: Type.Optional(Type.Object({ tlp: Type.Union([Type.String(), Type.Null()]), classification: Type.String(), releasable_to: Type.Array(Type.String()) })),
  created_by_ref: Type.Optional(Type.String()),
  related: Type.Optional(Type.Array(Related)),
  related_truncated: Type.Optional(Type.Boolean({ description: 'More relationships of the indicator are stored than a lookup reads: related names a part of them' })),
  sighted: Type.Optional(Sighted),
});

export const Answer = Type.Object({
  value: Type.String(),
  kind: Type.Union([Kind, Type.Null()]),
  normalised: Type.Optional(Type.String({ description: 'The key the value was looked up by (see docs/DETECT-FORMATS.md), when it differs from the value as given' })),
  indicators: Type.Array(Hit),
  indicators_truncated: Type.Optional(Type.Boolean({ description: `More indicators the caller may read name the value than an answer gives (${HITS_PER_VALUE}): the newest are given` })),
  indicators_total: Type.Optional(
    Type.Integer({
      description: `With indicators_truncated: how many indicators name the value, among those the caller may read (of those with granular markings, only those given count). At most ${HITS_PER_VALUE} past those given are counted: a total ${HITS_PER_VALUE} above the indicators given means at least that many`,
    }),
  ),
  suppressed: Type.Optional(Type.Object({ list: Type.String(), name: Type.String(), entry: Type.String() }, { description: 'The warning-list entry that covers the value: bulk matching reports its matches as suppressed' })),
  error: Type.Optional(Type.String({ description: `Why the value was not looked up: its kind not recognised, not a valid value of its kind, or the lookup's answers already name ${LOOKUP_MAX_NAMED} indicators, related objects and sighting organisations (ask for it in another request)` })),
});

export const LookupAnswers = Type.Object({ answers: Type.Array(Answer) });

export const IndicatorParams = Type.Object({ id: Type.String({ maxLength: 300 }) });

export const AwarenessAnswer = Type.Object({
  id: Type.String(),
  created_by_ref: Type.Union([Type.String(), Type.Null()]),
  correlated: Type.Array(Type.Object({ id: Type.String(), created_by_ref: Type.Union([Type.String(), Type.Null()]), shared: Type.Array(Type.Object({ kind: Kind, value: Type.String() })) })),
  correlated_truncated: Type.Optional(Type.Boolean({ description: `More indicators are correlated than an answer gives (${CORRELATED_LIMIT}): the newest are given` })),
  correlated_total: Type.Optional(Type.Integer({ description: 'With correlated_truncated: how many are correlated (of those with granular markings, only those given count)' })),
  sighted: Type.Optional(Sighted),
});

export const SightedQuery = Type.Object({
  min_members: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only sightings last seen at or after this instant' })),
});
export type SightedQuery = Static<typeof SightedQuery>;

export const SightedAnswer = Type.Object({ indicators: Type.Array(Type.Intersect([Type.Object({ id: Type.String() }), Sighted])), sightings_read: Type.Integer(), truncated: Type.Boolean() });

export const CorrelationsQuery = Type.Object({
  min_originators: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, default: 2 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  kind: Type.Optional(Kind),
});
export type CorrelationsQuery = Static<typeof CorrelationsQuery>;

export const CorrelationsAnswer = Type.Object({
  values: Type.Array(
    Type.Object({
      kind: Kind,
      value: Type.String(),
      originators: Type.Integer(),
      indicators: Type.Array(Type.Object({ id: Type.String(), created_by_ref: Type.Union([Type.String(), Type.Null()]) })),
      indicators_truncated: Type.Optional(Type.Boolean({ description: `More indicators name the value than a value lists (${CORRELATED_LIMIT}): the newest are listed` })),
      indicators_total: Type.Optional(Type.Integer({ description: 'With indicators_truncated: how many name it (of those with granular markings, only those listed count)' })),
    }),
  ),
});

export const MatchQuery = Type.Object({
  format: Type.Optional(Type.Union(LOG_FORMATS.map((f) => Type.Literal(f)), { description: 'Input format; detected from the first lines when absent' })),
  columns: Type.Optional(Type.String({ maxLength: 4096, description: "CSV or NDJSON field mapping: 'field:kind,...', e.g. 'dst:ipv4,3:domain'" })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  header: Type.Optional(Type.Boolean({ description: 'CSV: the first line names the columns (default true)' })),
  report_sightings: Type.Optional(Type.Boolean({ description: 'Store what matched as STIX sightings (one per indicator, with the matched values as observed data) under your organisation\'s identity; needs intel:write' })),
  warning_lists: Type.Optional(Type.Boolean({ description: 'Apply the warning lists of your member and of the alliance (default true)' })),
  sighting_markings: Type.Optional(Type.String({ maxLength: 1024, description: `Markings of the reported sightings: TLP levels or marking-definition ids, comma-separated (default ${DEFAULT_SIGHTING_MARKING})` })),
});
export type MatchQuery = Static<typeof MatchQuery>;
