/**
 * The application's frame: the classification banners, the navigation (only the views the
 * user's permissions open), and the view the route names. Each role lands where its work is.
 */
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Banner } from './handling.js';
import { navigate, useRoute } from './router.js';
import { SessionProvider, useSession, type Session } from './session.js';
import { useFeedState } from './feed.js';
import { SignIn } from './views/SignIn.js';
import { Overview } from './views/Overview.js';
import { Explorer } from './views/Explorer.js';
import { ObjectPage } from './views/ObjectPage.js';
import { Detection } from './views/Detection.js';
import { Members } from './views/Members.js';
import { Admin } from './views/Admin.js';
import { Import } from './views/Import.js';
import { Incidents } from './views/incidents/Incidents.js';
import { Assistance } from './views/assistance/Assistance.js';

// Loaded when first opened: the application's first load stays as it was for those who never open them.
const Assessment = lazy(async () => ({ default: (await import('./views/assessment/Assessment.js')).Assessment }));
const Decisions = lazy(async () => ({ default: (await import('./views/decisions/Decisions.js')).Decisions }));

/** A view loaded when first opened; meanwhile the page says so (data-ready="false"). */
function Later(props: { what: string; view: ReactNode }) {
  return (
    <Suspense
      fallback={
        <p className="muted" role="status" data-ready="false">
          Loading {props.what}…
        </p>
      }
    >
      {props.view}
    </Suspense>
  );
}

interface View {
  path: string;
  title: string;
  /** Shown in the navigation only to users holding this permission (the server still decides). */
  permission: string;
  nav: boolean;
  render: () => ReactNode;
}

const VIEWS: View[] = [
  { path: 'overview', title: 'Overview', permission: 'intel:read', nav: true, render: () => <Overview /> },
  { path: 'intel', title: 'Intel', permission: 'intel:read', nav: true, render: () => <Explorer /> },
  { path: 'object', title: 'Object', permission: 'intel:read', nav: false, render: () => <ObjectPage /> },
  { path: 'incidents', title: 'Incidents', permission: 'incidents:read', nav: true, render: () => <Incidents /> },
  { path: 'assistance', title: 'Assistance', permission: 'assistance:read', nav: true, render: () => <Assistance /> },
  { path: 'assessment', title: 'Assessment', permission: 'assessment:read', nav: true, render: () => <Later what="the assessment" view={<Assessment />} /> },
  { path: 'decisions', title: 'Decisions', permission: 'decisions:read', nav: true, render: () => <Later what="the decisions" view={<Decisions />} /> },
  { path: 'detect', title: 'Detection', permission: 'intel:read', nav: true, render: () => <Detection /> },
  { path: 'import', title: 'Import', permission: 'intel:write', nav: true, render: () => <Import /> },
  { path: 'members', title: 'Members', permission: 'directory:read', nav: true, render: () => <Members /> },
  { path: 'admin', title: 'Administration', permission: 'directory:write', nav: true, render: () => <Admin /> },
];

/**
 * Where a role starts: political delegates on the decisions (what is under silence now),
 * technical users on intel, coordinators and auditors on the overview, administrators on
 * administration.
 */
export function landingOf(session: Pick<Session, 'hasRole' | 'can'>): string {
  if (session.hasRole('political-delegate') && session.can('decisions:read')) return 'decisions';
  if (session.hasRole('coordinator', 'political-delegate', 'auditor')) return 'overview';
  if (session.hasRole('analyst', 'incident-handler')) return 'intel';
  if (session.can('directory:write')) return 'admin';
  if (session.can('intel:read')) return 'overview';
  return 'members';
}

function FeedLight() {
  const state = useFeedState();
  return (
    <span className={`feed-light feed-${state}`} title={`Live feed: ${state}`} role="img" aria-label={`Live feed ${state}`}>
      ●
    </span>
  );
}

function Frame() {
  const session = useSession();
  const route = useRoute();
  const name = route.segments[0] ?? '';
  const view = VIEWS.find((v) => v.path === name);
  useEffect(() => {
    if (!view) navigate(`#/${landingOf(session)}`, true);
  }, [view, session]);
  useEffect(() => {
    document.title = view ? `${view.title} · Shieldwall` : 'Shieldwall';
  }, [view]);
  const me = session.me;
  const allowed = view ? session.can(view.permission) : false;
  return (
    <div className="frame">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <Banner position="top" />
      <header className="top">
        <a className="brand" href={`#/${landingOf(session)}`}>
          Shieldwall
        </a>
        <nav aria-label="Views">
          <ul>
            {VIEWS.filter((v) => v.nav && session.can(v.permission)).map((v) => (
              <li key={v.path}>
                <a href={`#/${v.path}`} aria-current={v.path === name ? 'page' : undefined}>
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <FeedLight />
          <span id="who" title={`Roles: ${me.roles.join(', ')}`}>
            {me.user ?? me.kind} · {session.memberCode ?? 'no member'} · cleared {me.clearance_name ?? me.clearance}
          </span>
          <button id="signout" type="button" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {view && allowed ? view.render() : view ? <p className="error">Your roles do not allow this view.</p> : null}
      </main>
      <footer>
        <Banner position="bottom" />
      </footer>
    </div>
  );
}

export function App() {
  return (
    <SessionProvider signIn={(done, notice) => <SignIn done={done} notice={notice} />}>
      <Frame />
    </SessionProvider>
  );
}
