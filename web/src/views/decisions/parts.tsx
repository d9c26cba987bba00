/**
 * Pieces the decisions and assessment views share: a record read from the node and read again
 * while it is shown (the live feed carries no decisions events, so every 15 s while the page is
 * visible, and when it is shown or focused again), the node's clock as the reader's clock plus
 * the skew the answer's Date header gave, a silence countdown ticking on it, status and handling
 * badges, the members to address, and a change sent with its version whose staleness is explained
 * and the record read again.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, ApiError, request } from '../../api.js';
import { Badges } from '../../handling.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { badgeHandling } from '../assistance/model.js';
import { remainingText, words, type Handling, type HistoryEntry } from './model.js';
import './decisions.css';

/** How often a shown record is read again (the live feed says nothing of decisions). */
export const REFRESH_MS = 15_000;
/** Focus and visibility often come together: one read for both. */
const REFRESH_GAP_MS = 2_000;

/** Calls `refresh` every REFRESH_MS while the page is visible, and when it is shown or focused again. */
export function useRefresh(refresh: () => void): void {
  const last = useRef(Date.now());
  useEffect(() => {
    const again = () => {
      if (document.visibilityState !== 'visible' || Date.now() - last.current < REFRESH_GAP_MS) return;
      last.current = Date.now();
      refresh();
    };
    const timer = setInterval(again, REFRESH_MS);
    window.addEventListener('focus', again);
    document.addEventListener('visibilitychange', again);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', again);
      document.removeEventListener('visibilitychange', again);
    };
  }, [refresh]);
}

/** The node's clock less the reader's, from an answer's Date header (whole seconds: a skew under 2 s is taken as none). */
function skewOf(response: Response): number {
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return 0;
  const skew = date + 500 - Date.now();
  return Math.abs(skew) < 2000 ? 0 : skew;
}

export interface RecordState<T> {
  record: T | null;
  /** The node's clock less the reader's (ms). */
  skew: number;
  /** Not found (or not readable: the node answers both alike). */
  missing: boolean;
  error: string;
  reload: () => void;
}

/** A record (or list) read from `path`, and read again on REFRESH_MS, focus and reload(). */
export function useRecord<T>(path: string): RecordState<T> {
  const [state, setState] = useState<{ path: string; record: T | null; skew: number; missing: boolean; error: string }>({ path, record: null, skew: 0, missing: false, error: '' });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    request(path)
      .then(async (response) => {
        const record = (await response.json()) as T;
        if (live) setState({ path, record, skew: skewOf(response), missing: false, error: '' });
      })
      .catch((e: unknown) => {
        if (!live) return;
        const missing = e instanceof ApiError && (e.status === 404 || e.status === 400);
        // A failed read again keeps what was shown, and says why it may be old.
        setState((old) => ({ path, record: old.path === path && !missing ? old.record : null, skew: old.skew, missing, error: missing ? '' : messageOf(e) }));
      });
    return () => {
      live = false;
    };
  }, [path, generation]);
  useRefresh(reload);
  const current = state.path === path;
  return { record: current ? state.record : null, skew: state.skew, missing: current && state.missing, error: current ? state.error : '', reload };
}

// --- a shared ticker: one timer for every countdown on the page ------------------------------------

let tick = Date.now();
const tickers = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribeTick(listener: () => void): () => void {
  tickers.add(listener);
  // The time read while no timer ran is old: the first subscriber reads it anew.
  if (timer === undefined) tick = Date.now();
  timer ??= setInterval(() => {
    tick = Date.now();
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

/** The reader's time, once a second while a caller is mounted. */
export function useTick(): number {
  return useSyncExternalStore(subscribeTick, () => tick);
}

/**
 * A silence deadline and the time left before it on the node's clock, ticking each second; once
 * reached it says that the node records the outcome, and calls `onReached` (to read the proposal
 * again) once.
 */
export function Countdown(props: { deadline: string; skew: number; round?: number; onReached?: () => void; compact?: boolean }) {
  const now = useTick() + props.skew;
  const left = Date.parse(props.deadline) - now;
  const reached = left <= 0;
  const called = useRef(false);
  const { onReached } = props;
  useEffect(() => {
    if (!reached) called.current = false;
    else if (!called.current) {
      called.current = true;
      onReached?.();
    }
  }, [reached, onReached]);
  return (
    <span className={`dec-countdown${reached ? ' reached' : ''}${props.compact ? ' compact' : ''}`} data-deadline={props.deadline} data-remaining-ms={Math.max(0, left)} data-reached={reached ? 'true' : 'false'}>
      {props.round !== undefined && <span className="dec-round">Round {props.round} · </span>}
      <span className="dec-deadline">deadline {when(props.deadline)}</span>
      {' · '}
      <strong className="dec-left" role="timer">
        {reached ? 'deadline reached: the node records the outcome' : `${remainingText(left)} left`}
      </strong>
    </span>
  );
}

// --- badges ---------------------------------------------------------------------------------------

/** A consultation's, proposal's or statement's status, its name written out. */
export function DecisionStatus(props: { status: string; kind: 'consultation' | 'proposal' | 'statement' }) {
  return (
    <span className={`dec-status dec-status-${props.status}`} data-status={props.status} data-kind={props.kind}>
      {props.status === 'silence' ? 'Under silence' : words(props.status)}
    </span>
  );
}

/** A record's TLP, classification and releasability; counts toward the banner while shown. */
export function DecisionBadges(props: { handling: Handling; compact?: boolean }) {
  return <Badges handling={badgeHandling(props.handling)} compact={props.compact} />;
}

export function History(props: { entries: readonly HistoryEntry[]; id: string }) {
  const entries = [...props.entries].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section className="panel" aria-labelledby={`${props.id}-h`}>
      <h2 id={`${props.id}-h`}>History ({entries.length})</h2>
      <ol className="dec-history">
        {entries.map((h, i) => (
          <li key={`${h.at}-${i}`} data-action={h.action}>
            <span className="dec-when">{when(h.at)}</span> <span className="kind">{h.action}</span>{' '}
            <span className="muted small">
              {h.by}
              {h.member ? ` (${h.member})` : ''}
            </span>
            {h.text && <p className="dec-text">{h.text}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}

// --- members ----------------------------------------------------------------------------------------

export interface MemberEntry {
  code: string;
  name: string;
}

let members: Promise<MemberEntry[]> | undefined;

/** The node's members (the directory; the same for the page's life). */
export function useMembers(): { members: MemberEntry[] | null; error: string } {
  const [answer, setAnswer] = useState<MemberEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    members ??= api<{ members: MemberEntry[] }>('/api/v1/members').then((a) => a.members.map((m) => ({ code: m.code, name: m.name })));
    members.then(
      (m) => live && setAnswer(m),
      (e: unknown) => {
        members = undefined;
        if (live) {
          setAnswer([]);
          setError(messageOf(e));
        }
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return { members: answer, error };
}

/** Members as check boxes (a multiple choice usable with the keyboard and a screen reader). */
export function MemberChecks(props: { id: string; legend: string; name: string; members: readonly MemberEntry[]; value: readonly string[]; onChange: (codes: string[]) => void; describedBy?: string; invalid?: boolean }) {
  const toggle = (code: string, on: boolean) => props.onChange(on ? [...props.value, code] : props.value.filter((c) => c !== code));
  return (
    <fieldset id={props.id} aria-describedby={props.describedBy} aria-invalid={props.invalid ? true : undefined}>
      <legend>{props.legend}</legend>
      <div className="dec-member-grid">
        {props.members.map((m) => (
          <label key={m.code} className="check">
            <input type="checkbox" name={props.name} value={m.code} checked={props.value.includes(m.code)} onChange={(e) => toggle(m.code, e.currentTarget.checked)} /> <span className="dec-code">{m.code}</span>{' '}
            <span className="muted small">{m.name}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

// --- changes -----------------------------------------------------------------------------------------

/**
 * A change of a consultation, proposal or statement: busy while it is sent, its refusal kept to be
 * shown. A stale version (someone changed it meanwhile: 409 SW_STALE_VERSION) reads the record
 * again and says so: what the reader typed stays in the form, to be sent again on what it now
 * sees. A move its state no longer allows shows the node's message, and reads it again too.
 */
export function useChange(reload: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [stale, setStale] = useState(false);
  const run = useCallback(
    async (change: () => Promise<unknown>): Promise<boolean> => {
      setBusy(true);
      setError('');
      setStale(false);
      try {
        await change();
        reload();
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409 && e.code === 'SW_STALE_VERSION') {
          setStale(true);
          setError(`${e.message} (${e.code}). Someone changed it meanwhile: it has been reloaded and is shown as it is now. Check it, then make your change again.`);
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
  return { busy, error, stale, run };
}

/** The refusal of a change, in a box that says whether the record was reloaded. */
export function ChangeError(props: { error: string; stale: boolean; title: string }) {
  if (!props.error) return null;
  return (
    <p className="error dec-refused" role="alert" data-stale={props.stale ? 'true' : 'false'}>
      <strong>{props.title}: </strong>
      {props.error}
    </p>
  );
}

/** The page of a record one may not read, said as for one that does not exist. */
export function NotFound(props: { what: string; back: string; backTitle: string }) {
  return (
    <div className="view decisions" data-ready="true">
      <h1>Not found</h1>
      <p>There is no {props.what} with this id that you may read.</p>
      <p>
        <a href={props.back}>{props.backTitle}</a>
      </p>
    </div>
  );
}
