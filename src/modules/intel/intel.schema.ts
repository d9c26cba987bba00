import { Type, type Static } from '@sinclair/typebox';

export const ObjectIdParams = Type.Object({
  id: Type.String({ description: 'STIX identifier, <type>--<UUID>' }),
});

export const ObjectGetQuery = Type.Object({
  versions: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('latest')], { description: "'all' returns the stored versions, oldest first: the newest `limit` (and at most 32 Mi characters), with `next` to older ones" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'with versions=all: how many versions (default and most 1000)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'with versions=all: the `next` of the previous answer (older versions)' })),
});

export const ObjectListQuery = Type.Object({
  type: Type.Optional(
    Type.String({
      maxLength: 2000,
      pattern: '^\\s*[a-z0-9-]{1,250}\\s*(,\\s*[a-z0-9-]{1,250}\\s*){0,49}$',
      description: 'STIX type, or up to 50 separated by commas (lower-case letters, digits and hyphens, STIX 2.1 section 3.1)',
    }),
  ),
  ids: Type.Optional(
    Type.String({
      maxLength: 100 * 110,
      pattern: '^[a-z0-9-]+--[0-9a-fA-F-]{36}(,[a-z0-9-]+--[0-9a-fA-F-]{36}){0,99}$',
      description: 'Only these objects: STIX ids separated by commas, at most 100 (the ones the caller may not read are left out, as if absent)',
    }),
  ),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive text in the name, value or pattern, or in the description (as the caller sees them)' })),
  modified_after: Type.Optional(Type.String({ description: 'Only objects whose newest version was modified after this STIX timestamp' })),
  modified_before: Type.Optional(Type.String({ description: 'Only objects whose newest version was modified before this STIX timestamp' })),
  tlp: Type.Optional(Type.String({ maxLength: 100, description: 'TLP levels separated by commas: clear, green, amber, amber+strict, red, none (no TLP marking)' })),
  classification: Type.Optional(Type.String({ maxLength: 100, description: 'Classification levels separated by commas: UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET, or 0 to 4' })),
  origin: Type.Optional(Type.String({ maxLength: 32, description: 'Code of the member of this node that originated the objects' })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: "'asc' (default): in the order added; 'desc': newest added first" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'The `next` value of the previous page (asked with the same order)' })),
});
export type ObjectListQuery = Static<typeof ObjectListQuery>;

export const StatsQuery = Type.Object({
  since: Type.Optional(Type.String({ description: 'Start of a window of date_added (STIX timestamp): the answer gains `window`' })),
  until: Type.Optional(Type.String({ description: 'End of the window (STIX timestamp; default now); needs `since`' })),
});
export type StatsQuery = Static<typeof StatsQuery>;

export const BundleQuery = Type.Object({
  outcomes: Type.Optional(
    Type.Union([Type.Literal('all'), Type.Literal('rejected'), Type.Literal('none')], { description: 'Which per-object outcomes the answer lists (default all)' }),
  ),
});
