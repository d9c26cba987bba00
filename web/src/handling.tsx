/**
 * Handling rules, visible everywhere: each object's TLP, classification and releasability as
 * badges, and a banner at the top and bottom of every page with the highest classification of
 * what is on screen (the convention of classified systems: whoever glances at the screen knows
 * how to treat it). Every Badges rendered reports its classification while it is mounted; the
 * banner shows the highest reported.
 */
import { useEffect, useId, useSyncExternalStore } from 'react';
import { api } from './api.js';

/** The effective handling of an object, as the node computed it (most restrictive markings). */
export interface Handling {
  tlp: string | null;
  classification: number;
  classification_name?: string | null;
  releasable_to?: string[] | null;
  origin?: string | null;
}

export const CLASSIFICATIONS = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'] as const;

export function classificationName(level: number): string {
  return CLASSIFICATIONS[level] ?? `LEVEL ${level}`;
}

// The levels reported by what is mounted now, by reporter.
const levels = new Map<string, number>();
const listeners = new Set<() => void>();
let highest = 0;

function recompute(): void {
  let top = 0;
  for (const level of levels.values()) if (level > top) top = level;
  if (top !== highest) {
    highest = top;
    for (const listener of listeners) listener();
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reports a classification as on screen while the calling component is mounted. */
export function useOnScreen(level: number | undefined): void {
  const id = useId();
  useEffect(() => {
    if (level === undefined) return;
    levels.set(id, level);
    recompute();
    return () => {
      levels.delete(id);
      recompute();
    };
  }, [id, level]);
}

/** The highest classification on screen now. */
export function useHighestOnScreen(): number {
  return useSyncExternalStore(subscribe, () => highest);
}

export function Banner(props: { position: 'top' | 'bottom' }) {
  const level = useHighestOnScreen();
  const name = classificationName(level);
  return (
    <div className={`banner banner-${level}`} data-classification={name} role={props.position === 'top' ? 'status' : undefined} aria-label={props.position === 'top' ? `Highest classification on this page: ${name}` : undefined} aria-hidden={props.position === 'bottom' ? true : undefined}>
      {name}
    </div>
  );
}

const TLP_LABELS: Record<string, string> = {
  clear: 'TLP:CLEAR',
  white: 'TLP:CLEAR',
  green: 'TLP:GREEN',
  amber: 'TLP:AMBER',
  'amber+strict': 'TLP:AMBER+STRICT',
  red: 'TLP:RED',
};

export function tlpLabel(tlp: string | null | undefined): string {
  if (!tlp) return 'TLP: none';
  return TLP_LABELS[tlp.toLowerCase()] ?? `TLP:${tlp.toUpperCase()}`;
}

export function releasabilityLabel(to: readonly string[] | null | undefined): string {
  if (!to || to.length === 0) return 'REL: none';
  if (to.includes('*')) return 'REL: everyone';
  return `REL TO ${to.join(', ')}`;
}

/** Releasability in a few characters, for lists: 'REL ALLIANCE +2'. */
export function shortReleasability(to: readonly string[] | null | undefined): string {
  if (!to || to.length === 0) return 'REL none';
  if (to.includes('*')) return 'REL all';
  return to.length === 1 ? `REL ${to[0]}` : `REL ${to[0]} +${to.length - 1}`;
}

/** TLP, classification and releasability of one object; counts toward the banner while shown. */
export function Badges(props: { handling: Handling | undefined; compact?: boolean }) {
  const h = props.handling;
  useOnScreen(h?.classification);
  if (!h) return <span className="badges badge-unknown">handling unknown</span>;
  const tlp = (h.tlp ?? 'none').toLowerCase();
  const cls = h.classification_name ?? classificationName(h.classification);
  return (
    <span className="badges">
      <span className={`badge tlp tlp-${tlp.replace('+', '-')}`} title="Traffic Light Protocol 2.0">
        {tlpLabel(h.tlp)}
      </span>
      <span className={`badge cls cls-${h.classification}`} title="Classification">
        {cls}
      </span>
      <span className="badge rel" title={`Releasable to: ${releasabilityLabel(h.releasable_to)}`}>
        {props.compact ? shortReleasability(h.releasable_to) : releasabilityLabel(h.releasable_to)}
      </span>
    </span>
  );
}

/** A part of an object the reader may not see (granular markings): shown as redacted. */
export function Redacted(props: { what?: string }) {
  return (
    <span className="redacted" title="Redacted: a granular marking restricts this part beyond your clearance or releasability">
      ▇▇▇ REDACTED{props.what ? ` (${props.what})` : ''}
    </span>
  );
}

/** What the node tells of one object by id: its handling and label; null when the reader may not read it. */
export interface Known {
  handling: Handling;
  label: string;
  type: string;
}

const known = new Map<string, Promise<Known | null>>();
let pending = new Map<string, (k: Known | null) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;
/** Ids per request (the listing's ids filter takes at most this many). */
const IDS_PER_REQUEST = 100;

async function flush(): Promise<void> {
  const batch = pending;
  pending = new Map();
  timer = undefined;
  const ids = [...batch.keys()];
  for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
    const part = ids.slice(i, i + IDS_PER_REQUEST);
    try {
      type Page = { objects: Array<{ id: string; type: string; name?: string; value?: string; pattern?: string }>; handling?: Record<string, Handling>; next?: string };
      const byId = new Map<string, Page['objects'][number]>();
      const handling: Record<string, Handling> = {};
      // A page of large objects ends before its limit (at 32 Mi characters): follow next until the ids are all answered.
      let cursor: string | undefined;
      do {
        const page: Page = await api<Page>(`/api/v1/objects?ids=${encodeURIComponent(part.join(','))}&limit=${IDS_PER_REQUEST}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        for (const o of page.objects) byId.set(o.id, o);
        Object.assign(handling, page.handling ?? {});
        cursor = page.next;
      } while (cursor !== undefined);
      for (const id of part) {
        const o = byId.get(id);
        const h = handling[id];
        batch.get(id)!(o && h ? { handling: h, label: o.name ?? o.value ?? o.pattern ?? o.id, type: o.type } : null);
      }
    } catch {
      for (const id of part) {
        batch.get(id)!(null);
        known.delete(id);
      }
    }
  }
}

/** The handling and label of an object by id, asked of the node in batches (one request for the ids of a page). */
export function knownObject(id: string): Promise<Known | null> {
  let found = known.get(id);
  if (!found) {
    // Kept for the page's life (a sign-out reloads it), within a bound.
    if (known.size >= 5000) known.clear();
    found = new Promise<Known | null>((resolve) => pending.set(id, resolve));
    known.set(id, found);
    timer ??= setTimeout(() => void flush(), 10);
  }
  return found;
}
