/**
 * The live event feed (GET /api/v1/events, Server-Sent Events): one EventSource per page,
 * shared by every view that listens. The browser resumes it after a drop with Last-Event-ID by
 * itself; what arrives is what the node's policy lets this user read.
 *
 * Changes of mutual assistance come live only (no id: a resumed stream does not repeat them):
 * each is passed on as a window event 'shieldwall:assistance' (detail: the event's data), and a
 * note that some were dropped as 'shieldwall:assistance-gap', so that the assistance views
 * refresh from the API.
 */
import { useEffect, useState } from 'react';
import type { Handling } from './handling.js';
import type { StixObject } from './stix.js';

export interface FeedItem {
  id: string;
  event: 'intel' | 'sighting' | 'match' | 'incident' | string;
  object: StixObject;
  handling?: Handling;
  change?: 'new' | 'updated';
  received: number;
}

type Listener = (item: FeedItem) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let state: 'connecting' | 'open' | 'closed' = 'closed';
const stateListeners = new Set<() => void>();

function setState(next: typeof state): void {
  state = next;
  for (const l of stateListeners) l();
}

function open(): void {
  if (source) return;
  source = new EventSource('/api/v1/events');
  setState('connecting');
  source.onopen = () => setState('open');
  source.onerror = () => {
    setState(source?.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    // A stream refused or dropped may mean the session ended: the session asks the node.
    window.dispatchEvent(new Event('shieldwall:feed-error'));
  };
  for (const event of ['intel', 'sighting', 'match', 'incident']) {
    source.addEventListener(event, (e) => {
      const message = e as MessageEvent<string>;
      try {
        const data = JSON.parse(message.data) as { object: StixObject; handling?: Handling; change?: 'new' | 'updated' };
        const item: FeedItem = { id: message.lastEventId, event, object: data.object, received: Date.now(), ...(data.handling ? { handling: data.handling } : {}), ...(data.change ? { change: data.change } : {}) };
        for (const l of listeners) l(item);
      } catch {
        // A malformed event is skipped; the next one is read.
      }
    });
  }
  source.addEventListener('assistance', (e) => {
    try {
      window.dispatchEvent(new CustomEvent('shieldwall:assistance', { detail: JSON.parse((e as MessageEvent<string>).data) as unknown }));
    } catch {
      // A malformed event is skipped; the next one is read.
    }
  });
  source.addEventListener('assistance-gap', () => window.dispatchEvent(new Event('shieldwall:assistance-gap')));
}

function close(): void {
  source?.close();
  source = undefined;
  setState('closed');
}

/** Calls `listener` for each event while the caller is mounted. */
export function useFeed(listener: Listener): void {
  useEffect(() => {
    listeners.add(listener);
    open();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) close();
    };
  }, [listener]);
}

/** The feed's connection state, for a status light. */
export function useFeedState(): typeof state {
  const [, set] = useState(0);
  useEffect(() => {
    const changed = () => set((n) => n + 1);
    stateListeners.add(changed);
    return () => {
      stateListeners.delete(changed);
    };
  }, []);
  return state;
}
