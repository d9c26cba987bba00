/**
 * Histories kept inside records' documents (incidents' siblings: assistance requests, offers,
 * deployments; consultations, proposals, statements): bounded in entries and in characters as
 * stored, so that no writer grows a document, read and parsed whole, without end.
 */

/** Characters a history holds as stored (JSON); the oldest entries go beyond (the first stays). */
export const HISTORY_CHARS = 256 * 1024;

/**
 * The history with `entry` added: the first entry (the record's making) stays, and the oldest
 * others go while more than `max` entries, or more than `maxChars` characters as stored, remain.
 */
export function pushBounded<T>(list: readonly T[], entry: T, max: number, maxChars: number = HISTORY_CHARS): T[] {
  const next = [...list, entry];
  let from = Math.max(1, next.length - max + 1);
  let chars = 0;
  for (let i = from; i < next.length; i++) chars += JSON.stringify(next[i]).length;
  while (chars > maxChars && from < next.length - 1) chars -= JSON.stringify(next[from++]).length;
  return from > 1 ? [next[0]!, ...next.slice(from)] : next;
}
