/** Schema helpers shared by the modules' TypeBox schemas. */
import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';

/**
 * One of a fixed list of strings, as a union of literals: typed as the list's members (so the
 * type provider hands routes `'ally' | 'partner' | ...`, not string).
 */
export function literalUnion<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<T[number]>[]>;
}
