import { Type, type Static } from '@sinclair/typebox';

export const ObjectIdParams = Type.Object({
  id: Type.String({ description: 'STIX identifier, <type>--<UUID>' }),
});

export const ObjectGetQuery = Type.Object({
  versions: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('latest')], { description: "'all' returns every stored version, oldest first" })),
});

export const ObjectListQuery = Type.Object({
  type: Type.Optional(Type.String({ description: 'STIX type, or several separated by commas' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive text in the name, value or pattern' })),
  modified_after: Type.Optional(Type.String({ description: 'Only objects whose newest version was modified after this STIX timestamp' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'The `next` value of the previous page' })),
});
export type ObjectListQuery = Static<typeof ObjectListQuery>;

export const BundleQuery = Type.Object({
  outcomes: Type.Optional(
    Type.Union([Type.Literal('all'), Type.Literal('rejected'), Type.Literal('none')], { description: 'Which per-object outcomes the answer lists (default all)' }),
  ),
});
