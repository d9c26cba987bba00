/** Schema helpers shared by the modules' TypeBox schemas. */
import { Type, type TLiteral, type TNull, type TSchema, type TUnion } from '@sinclair/typebox';

/**
 * One of a fixed list of strings, as a union of literals: typed as the list's members (so the
 * type provider hands routes `'ally' | 'partner' | ...`, not string).
 */
export function literalUnion<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<T[number]>[]>;
}

/**
 * A value or null, for request schemas. Null is tried first: the node's validator coerces types
 * (Fastify's default), and a string branch tried first would turn null into '' and accept it,
 * so that `"member": null` became the member ''. (The same coercion reads '' as null when the
 * value branch refuses it.)
 */
export function nullable<T extends TSchema>(schema: T): TUnion<[TNull, T]> {
  return Type.Union([Type.Null(), schema]);
}
