/**
 * Node's runner counts skipped tests in its summary ("# skipped N"), but not the tests of a
 * skipped suite (describe with skip). Where a whole suite is skipped for want of a service, one
 * skipped test per file and cause carries the reason into that count.
 */
import { test } from 'node:test';

const counted = new Set<string>();

export function countSkip(what: string, reason: string): void {
  if (counted.has(what)) return;
  counted.add(what);
  test(what, { skip: reason }, () => undefined);
}
