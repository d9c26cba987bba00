/** Request and response schemas of the standby rosters API (and so of its OpenAPI document). */
import { Type, type Static } from '@sinclair/typebox';
import { nullable } from '../../core/schema.js';
import { DEFAULT_CLASSIFICATIONS, TLP_LEVELS } from '../../policy/markings.js';
import { CAPABILITY_KEYS, MODES, TEAM_STATUSES, WEEKDAYS } from './assistance.model.js';
import { PAGE_MAX, TEAM_LIMITS } from './roster.service.js';

/**
 * One of a fixed list of strings as a JSON Schema enum: a wrong value is answered with the one
 * field it is in ("must be equal to one of the allowed values"), and OpenAPI lists the values.
 */
function oneOf<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

const Capability = oneOf(CAPABILITY_KEYS, 'A capability of the catalogue (GET /api/v1/assistance/catalogue lists them with their names)');
const Mode = oneOf(MODES);
const Status = oneOf(TEAM_STATUSES, "'standing-by': the team may be called; 'stood-down': it may not (kept on the roster)");
const Tlp = oneOf(TLP_LEVELS);
/** A member code, a group name, '*' or '@user', as releasability lists hold them. */
const Entry = Type.String({ pattern: '^(\\*|@?[A-Za-z0-9][A-Za-z0-9._-]{0,63})$', maxLength: 65 });
const TeamId = Type.String({ pattern: '^team--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', maxLength: 50 });
const Hours = Type.Number({ minimum: 0, maximum: TEAM_LIMITS.hours });

const CoverageWindowInput = Type.Object(
  {
    days: Type.Array(oneOf(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true, description: 'The days the window starts on' }),
    from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time HH:MM in the team\'s time zone, included' }),
    to: Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'Local time HH:MM, excluded; at or before from: the next day; 24:00: midnight' }),
  },
  { additionalProperties: false },
);

const ContactInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: TEAM_LIMITS.contactName }),
    role: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: TEAM_LIMITS.contactRole }))),
    phone: Type.Optional(nullable(Type.String({ minLength: 3, maxLength: TEAM_LIMITS.phone, description: 'Digits with an optional leading +, e.g. +49 30 1234567' }))),
    email: Type.Optional(nullable(Type.String({ minLength: 3, maxLength: TEAM_LIMITS.email }))),
  },
  { additionalProperties: false },
);

const teamFields = {
  name: Type.String({ minLength: 1, maxLength: TEAM_LIMITS.name }),
  capabilities: Type.Array(Capability, { minItems: 1, maxItems: TEAM_LIMITS.capabilities, uniqueItems: true }),
  modes: Type.Array(Mode, { minItems: 1, maxItems: MODES.length, uniqueItems: true, description: 'How the team helps: remote, on-site, or both' }),
  size: Type.Integer({ minimum: 1, maximum: TEAM_LIMITS.size, description: 'People in the team' }),
  clearance: Type.Optional(Type.String({ maxLength: 40, description: `The clearance its members hold: one of ${DEFAULT_CLASSIFICATIONS.join(', ')} (UNCLASSIFIED when not given)` })),
  languages: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]{2}$' }), { maxItems: TEAM_LIMITS.languages, uniqueItems: true, description: 'ISO 639-1 codes of the languages it works in, e.g. en, fr' })),
  time_zone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of its coverage windows, e.g. Europe/Berlin' }),
  always: Type.Optional(Type.Boolean({ description: 'On call 24/7 (then no coverage windows)' })),
  coverage: Type.Optional(Type.Array(CoverageWindowInput, { maxItems: TEAM_LIMITS.windows, description: 'Weekly windows it is on call, in its time zone' })),
  response_hours: Type.Object(
    { remote: Type.Optional(nullable(Hours)), 'on-site': Type.Optional(nullable(Hours)) },
    { additionalProperties: false, description: 'Hours from a call to the team at work, per mode it works in (null for a mode it does not)' },
  ),
  contacts: Type.Optional(Type.Array(ContactInput, { maxItems: TEAM_LIMITS.contacts, description: 'Whom to call: each with a phone number or an e-mail address' })),
  status: Type.Optional(Status),
};

const markingFields = {
  tlp: Type.Optional(nullable(Tlp)),
  classification: Type.Optional(Type.String({ maxLength: 40, description: `One of ${DEFAULT_CLASSIFICATIONS.join(', ')}, at or below your clearance` })),
  releasability: Type.Optional(Type.Array(Entry, { maxItems: TEAM_LIMITS.releasability, uniqueItems: true, description: 'Members and groups that may know of the team' })),
};

export const TeamBody = Type.Object({ ...teamFields, ...markingFields }, { additionalProperties: false });
export type TeamBody = Static<typeof TeamBody>;

export const TeamPatchBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1, description: 'The version you changed (409 SW_STALE_VERSION if it is not the current one)' }),
    ...Type.Partial(Type.Object(teamFields)).properties,
    ...markingFields,
  },
  { additionalProperties: false, minProperties: 2 },
);
export type TeamPatchBody = Static<typeof TeamPatchBody>;

export const TeamParams = Type.Object({ id: TeamId });

export const TeamListQuery = Type.Object(
  {
    member: Type.Optional(Type.String({ maxLength: 400, description: 'Comma-separated codes of the members whose teams to list' })),
    capability: Type.Optional(Capability),
    mode: Type.Optional(Mode),
    status: Type.Optional(Status),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);
export type TeamListQuery = Static<typeof TeamListQuery>;

export const StandbyQueryString = Type.Object(
  {
    capability: Type.Optional(Type.String({ maxLength: 400, description: 'A capability, or several comma-separated: the team has every one' })),
    mode: Type.Optional(Mode),
    within_hours: Type.Optional(Type.Number({ minimum: 0, maximum: TEAM_LIMITS.hours, description: 'At work within this many hours' })),
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339 time to ask about (default: now)' })),
    include_off_call: Type.Optional(Type.Boolean({ description: 'Also teams off call then, flagged, with when they next are on call' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX })),
  },
  { additionalProperties: false },
);
export type StandbyQueryString = Static<typeof StandbyQueryString>;

// --- answers ------------------------------------------------------------------------------------

const Handling = Type.Object({ tlp: nullable(Type.String()), classification: Type.String(), releasability: Type.Array(Type.String()) });

export const TeamSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  member: nullable(Type.String()),
  name: Type.String(),
  capabilities: Type.Array(Type.String()),
  modes: Type.Array(Type.String()),
  size: Type.Integer(),
  clearance: Type.String(),
  languages: Type.Array(Type.String()),
  time_zone: Type.String(),
  always: Type.Boolean(),
  coverage: Type.Array(Type.Object({ days: Type.Array(Type.String()), from: Type.String(), to: Type.String() })),
  response_hours: Type.Object({ remote: nullable(Type.Number()), 'on-site': nullable(Type.Number()) }),
  contacts: Type.Array(Type.Object({ name: Type.String(), role: nullable(Type.String()), phone: nullable(Type.String()), email: nullable(Type.String()) })),
  status: Type.String(),
  handling: Handling,
  created: Type.String(),
  modified: Type.String(),
  may_edit: Type.Boolean(),
});

export const TeamListAnswer = Type.Object({ teams: Type.Array(TeamSchema), next_cursor: nullable(Type.String()) });

export const StandbyAnswerSchema = Type.Object({
  at: Type.String(),
  capabilities: Type.Array(Type.String()),
  mode: nullable(Type.String()),
  within_hours: nullable(Type.Number()),
  include_off_call: Type.Boolean(),
  teams: Type.Array(
    Type.Object({
      team: TeamSchema,
      mode: Type.String({ description: 'The way it would help: the mode asked, or its faster one' }),
      response_hours: Type.Number(),
      on_call: Type.Boolean(),
      next_on_call: nullable(Type.String()),
      ready_in_hours: nullable(Type.Number({ description: 'Hours from `at` to the team at work, waiting for it to be on call' })),
    }),
  ),
  truncated: Type.Boolean({ description: 'More teams matched than answered' }),
});
