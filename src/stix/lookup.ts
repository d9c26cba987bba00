/**
 * Lookup tables keyed by strings that come from outside (a type name, an extension name, a hash
 * algorithm, a file extension). A table written as an object literal inherits Object.prototype,
 * so `table['constructor']` or `table['valueOf']` answers a function instead of undefined: a
 * valid STIX type name such as "constructor" would then reach code that expects an entry. These
 * tables have no prototype: a key answers only what the table itself holds.
 */
export function lookupTable<T>(entries: Readonly<Record<string, T>>): Readonly<Record<string, T | undefined>> {
  const table = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(entries)) table[key] = entries[key]!;
  return Object.freeze(table);
}

/** `record[key]` when the record holds key itself; never what it inherits. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
