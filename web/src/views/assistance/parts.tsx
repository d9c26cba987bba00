/**
 * Pieces the assistance board, request page, request form and roster share: the status, urgency
 * and mode badges, the response clocks (running ones tick on from what the node answered), a
 * record's handling badges, the catalogue (asked once per page), the live feed's assistance
 * events, and a change sent with its version whose conflicts read the request again.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { api, ApiError } from '../../api.js';
import { useFeed } from '../../feed.js';
import { Badges } from '../../handling.js';
import { messageOf } from '../common/upload.js';
import { assistancePath, badgeHandling, clockNow, durationText, MILESTONE_NAMES, modeName, words, type Catalogue, type Handling, type ResponseClock } from './model.js';
import './assistance.css';

// --- a shared ticker: one timer for every running clock on the page ----------------------------

let now = Date.now();
const tickers = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribeTick(listener: () => void): () => void {
  tickers.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of tickers) l();
  }, 1000);
  return () => {
    tickers.delete(listener);
    if (tickers.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The time now, once a second while a caller is mounted. */
function useNow(active: boolean): number {
  return useSyncExternalStore(active ? subscribeTick : noSubscribe, () => (active ? now : 0));
}
const noSubscribe = () => () => {};

// --- badges ------------------------------------------------------------------------------------------

/** A request's, offer's, deployment's or team's status, its name written out. */
export function StatusBadge(props: { status: string; kind?: 'request' | 'offer' | 'deployment' | 'team' }) {
  return (
    <span className={`aid-status aid-status-${props.status}`} data-status={props.status} data-kind={props.kind ?? 'request'}>
      {words(props.status)}
    </span>
  );
}

export function UrgencyBadge(props: { urgency: string }) {
  return (
    <span className={`aid-urgency aid-urgency-${props.urgency}`} data-urgency={props.urgency} title="Urgency: it sets the response-clock targets">
      {words(props.urgency)}
    </span>
  );
}

export function ModeBadge(props: { mode: string }) {
  return (
    <span className="pill" data-mode={props.mode}>
      {modeName(props.mode)}
    </span>
  );
}

/** A record's TLP, classification and releasability; counts toward the banner while shown. */
export function AssistanceBadges(props: { handling: Handling; compact?: boolean }) {
  return <Badges handling={badgeHandling(props.handling)} compact={props.compact} />;
}

export function capabilityName(catalogue: Catalogue | null, key: string): string {
  return catalogue?.capabilities.find((c) => c.key === key)?.name ?? key;
}

// --- response clocks ---------------------------------------------------------------------------------

/**
 * A request's three response clocks: elapsed against target, reached or still running (ticking
 * from the elapsed time the node answered at `readAt`), overdue said in words and marked.
 */
export function Clocks(props: { clocks: readonly ResponseClock[]; readAt: number; compact?: boolean }) {
  const running = props.clocks.some((c) => c.running);
  const at = useNow(running);
  const since = running ? at - props.readAt : 0;
  return (
    <ul className={`aid-clocks${props.compact ? ' compact' : ''}`} aria-label="Response clocks">
      {props.clocks.map((c) => {
        const { elapsed, overdue } = clockNow(c, since);
        const state = c.reached_at ? 'reached' : c.running ? 'running' : 'stopped';
        return (
          <li key={c.milestone} className={`aid-clock${overdue ? ' overdue' : ''}`} data-milestone={c.milestone} data-running={c.running ? 'true' : 'false'} data-overdue={overdue ? 'true' : 'false'} data-elapsed-ms={elapsed}>
            <span className="aid-clock-name">{props.compact ? words(c.milestone) : words(MILESTONE_NAMES[c.milestone])}</span>{' '}
            <span className="aid-clock-time">
              {durationText(elapsed)} <span className="muted">of {durationText(c.target_ms)}</span>
            </span>{' '}
            <span className="aid-clock-state">
              {state === 'reached' ? 'reached' : state === 'running' ? 'running' : 'stopped'}
              {overdue ? ', overdue' : ''}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

// --- the catalogue ----------------------------------------------------------------------------------

let catalogue: Promise<Catalogue> | undefined;

/** The node's assistance catalogue (the same for the page's life; a sign-out reloads the page). */
export function useCatalogue(): { catalogue: Catalogue | null; error: string } {
  const [answer, setAnswer] = useState<Catalogue | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    catalogue ??= api<Catalogue>(assistancePath('catalogue'));
    catalogue.then(
      (c) => live && setAnswer(c),
      (e: unknown) => {
        catalogue = undefined;
        if (live) setError(messageOf(e));
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return { catalogue: answer, error };
}

// --- the live feed ----------------------------------------------------------------------------------

/** What the live feed tells of an assistance change (window event 'shieldwall:assistance'), as far as it says. */
export interface AssistanceEventDetail {
  request_id?: string;
  id?: string;
}

/**
 * Calls `listener` for each assistance event of the live feed while the caller is mounted, and
 * with no detail when the feed says some were dropped (the caller then reads everything again).
 */
export function useAssistanceEvents(listener: (detail: AssistanceEventDetail) => void): void {
  // The page's live feed is open while someone listens to it; assistance changes come as window events.
  const keepFeedOpen = useCallback(() => {}, []);
  useFeed(keepFeedOpen);
  useEffect(() => {
    const heard = (e: Event) => {
      const detail = (e as CustomEvent<unknown>).detail;
      listener(typeof detail === 'object' && detail !== null ? (detail as AssistanceEventDetail) : {});
    };
    const gap = () => listener({});
    window.addEventListener('shieldwall:assistance', heard);
    window.addEventListener('shieldwall:assistance-gap', gap);
    return () => {
      window.removeEventListener('shieldwall:assistance', heard);
      window.removeEventListener('shieldwall:assistance-gap', gap);
    };
  }, [listener]);
}

// --- changes ------------------------------------------------------------------------------------------

/**
 * A change of a request, an offer or a deployment: busy while it is sent, its refusal kept to be
 * shown. A stale version (someone changed it meanwhile) reads the request again and says so; a
 * move its state no longer allows shows the node's message (and reads it again too, so that
 * what is offered next is what the node would accept).
 */
export function useChange(reload: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(
    async (change: () => Promise<unknown>): Promise<boolean> => {
      setBusy(true);
      setError('');
      try {
        await change();
        reload();
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409 && e.code === 'SW_STALE_VERSION') {
          setError(`${e.message} (${e.code}). Someone changed it meanwhile: it is shown again as it is now; check it, then make your change again.`);
          reload();
        } else if (e instanceof ApiError && e.status === 409) {
          setError(`${e.message} (${e.code}).`);
          reload();
        } else setError(messageOf(e));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [reload],
  );
  return { busy, error, run, clear: () => setError('') };
}
