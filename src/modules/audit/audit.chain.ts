/**
 * The arithmetic of the chain, with no I/O: canonical content, each entry's hash over the hash
 * before it, and its MAC under the node's audit key over the MAC before it. The hash makes any
 * change visible to anyone; the MAC makes a chain made again from scratch (a rewrite, a reorder)
 * impossible without the key.
 */
import { createHash, createHmac } from 'node:crypto';

/** The hash (and MAC) before the first entry. */
export const GENESIS = '0'.repeat(64);

/** JSON with keys in sorted order at every level: the same content always hashes the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface ChainedContent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail?: Record<string, unknown>;
  prevHash: string;
}

export function entryHash(entry: ChainedContent): string {
  const content = canonical({ seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail ?? {} });
  return createHash('sha256').update(entry.prevHash).update('\n').update(content).digest('hex');
}

/**
 * The entry's MAC: over the MAC before it (GENESIS when the entry before has none) and its own
 * hash, which covers its content and the hash before it.
 */
export function entryMac(macKey: Buffer, prevMac: string | null, hash: string): string {
  return createHmac('sha256', macKey).update(prevMac ?? GENESIS).update('\n').update(hash).digest('hex');
}
