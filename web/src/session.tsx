/**
 * Who is signed in, and what they may do. The server decides every request; the application
 * only hides what the user's permissions would refuse.
 *
 * Signing out, or a session that ends while the page is open (401), reloads the page: nothing
 * fetched while signed in survives, not in the DOM, not in storage, not in the JavaScript heap.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, CSRF_KEY, forgetSession, rememberCsrf, request, sessionHadEnded, whenSessionEnds } from './api.js';

export interface Me {
  user: string | null;
  kind: string;
  member: { code: string; name?: string } | string | null;
  member_name?: string | null;
  clearance: number;
  clearance_name: string | null;
  roles: string[];
  permissions?: string[];
  previous_visit?: string | null;
}

export interface Session {
  readonly me: Me;
  /** The member code the user acts for. */
  readonly memberCode: string | null;
  can(permission: string): boolean;
  hasRole(...roles: string[]): boolean;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Set once the page is on its way out: answers that arrive meanwhile change nothing. */
let leaving = false;

/**
 * Forgets the session and loads the page anew at '/': a navigation, not a change of the route,
 * so no view fetches again (and is answered 401) on the way out.
 */
function reloadSignedOut(ended: boolean): void {
  if (leaving) return;
  leaving = true;
  forgetSession(ended);
  window.location.replace('/');
}

/** How often an open page asks whether its session is still open (ms): a page left alone forgets within this. */
const SESSION_CHECK_MS = 30_000;

export function memberCodeOf(me: Me): string | null {
  if (me.member === null) return null;
  return typeof me.member === 'string' ? me.member : me.member.code;
}

type State = { status: 'loading' } | { status: 'signed-out'; notice: string } | { status: 'signed-in'; me: Me };

export function SessionProvider(props: { signIn: (done: (me: Me) => void, notice: string) => ReactNode; children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  useEffect(() => {
    const ended = sessionHadEnded();
    const signedOut = (notice: string) => setState({ status: 'signed-out', notice: ended ? 'Your session has ended (it expired, was revoked or was signed out elsewhere). Sign in again.' : notice });
    // Asked first, answered 200 either way: a signed-out page logs no failed request.
    api<{ signed_in: boolean }>('/api/v1/session', { signingIn: true })
      .then(async (state) => {
        if (!state.signed_in) return signedOut('');
        setState({ status: 'signed-in', me: await api<Me>('/api/v1/me', { signingIn: true }) });
      })
      .catch((error: unknown) => signedOut(error instanceof ApiError && error.status !== 401 ? `The node answered: ${error.message}` : ''));
  }, []);
  useEffect(() => {
    if (state.status !== 'signed-in') return;
    whenSessionEnds(() => reloadSignedOut(true));
    // A session can end while nobody touches the page (expired, revoked, signed out in another
    // tab): the page asks now and then, when it is shown again, and when the live feed drops.
    const check = () => {
      if (leaving) return;
      api<{ signed_in: boolean; user?: string }>('/api/v1/session', { signingIn: true })
        .then((answer) => {
          // Ended, or another user signed in with this browser (another tab): the page's data is not theirs.
          if (!answer.signed_in || answer.user !== state.me.user) reloadSignedOut(true);
        })
        .catch(() => {
          // The node is unreachable: the page stays as it is; the next check asks again.
        });
    };
    const timer = setInterval(check, SESSION_CHECK_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') check();
    };
    // Signing out (or in as someone else) in another tab changes the CSRF token in the storage all tabs share.
    const onStorage = (e: StorageEvent) => {
      if (e.key === null || (e.key === CSRF_KEY && e.newValue !== e.oldValue)) reloadSignedOut(true);
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('storage', onStorage);
    window.addEventListener('shieldwall:feed-error', check);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('storage', onStorage);
      window.removeEventListener('shieldwall:feed-error', check);
    };
  }, [state]);
  const signOut = useCallback(async () => {
    leaving = true;
    try {
      await request('/api/v1/session', { method: 'DELETE', signingIn: true });
    } finally {
      leaving = false;
      reloadSignedOut(false);
    }
  }, []);
  const session = useMemo<Session | null>(() => {
    if (state.status !== 'signed-in') return null;
    const me = state.me;
    const permissions = new Set(me.permissions ?? []);
    return {
      me,
      memberCode: memberCodeOf(me),
      can: (permission) => permissions.has(permission),
      hasRole: (...roles) => roles.some((r) => me.roles.includes(r)),
      signOut,
    };
  }, [state, signOut]);
  if (state.status === 'loading') return <p className="loading" role="status">Loading…</p>;
  if (state.status === 'signed-out' || !session) {
    return <>{props.signIn((me) => setState({ status: 'signed-in', me }), state.status === 'signed-out' ? state.notice : '')}</>;
  }
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

/** Signs in with a user name and password; the answer's CSRF token is kept for writes. */
export async function signIn(user: string, password: string): Promise<Me> {
  const session = await api<{ csrf_token: string }>('/api/v1/session', { method: 'POST', body: { user, password }, signingIn: true });
  rememberCsrf(session.csrf_token);
  return api<Me>('/api/v1/me');
}
