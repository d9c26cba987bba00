/**
 * Page cursors of lists ordered newest change first: a cursor names the last row of a page by
 * its (modified, id), opaque to the client (base64url). One form for every such list (incidents,
 * requests for assistance, standby teams).
 */
import { shieldwallError } from './errors.js';

export interface PageKey {
  modified: string;
  id: string;
}

export function encodeCursor(row: PageKey): string {
  return Buffer.from(`${row.modified}|${row.id}`).toString('base64url');
}

/** The key a cursor names; 400 SW_INVALID_CURSOR unless it is one this node issued for ids of `idType` (e.g. 'incident', 'team'). */
export function decodeCursor(cursor: string, idType: string): PageKey {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|([a-z][a-z0-9-]*)--([0-9a-f-]{36})$/.exec(text);
  if (!match || match[2] !== idType) throw shieldwallError('INVALID_CURSOR', `cursor '${cursor.slice(0, 80)}' was not issued by this node; list again without a cursor`);
  return { modified: match[1]!, id: `${match[2]}--${match[3]}` };
}

/** The items of a comma-separated query value (trimmed, empty ones dropped); undefined when none. */
export function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return items.length > 0 ? items : undefined;
}

/** The items of a comma-separated query value, each one of `allowed`; 400 naming the first that is not. */
export function commaListOf<T extends string>(value: string | undefined, allowed: readonly T[], path: string): T[] | undefined {
  const items = commaList(value);
  if (items === undefined) return undefined;
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw shieldwallError('BAD_REQUEST', `'${item.slice(0, 60)}' is not one of ${allowed.join(', ')}`, [{ path, message: 'unknown value' }]);
  }
  return items as T[];
}
