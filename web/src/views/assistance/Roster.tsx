/**
 * The standby rosters (#/assistance/roster): "who can help" (a capability, a mode, within how
 * many hours, at a time: now unless said), answered by the node with each matching team's
 * on-call state, its response hours, its member and on-call contacts; the list of teams the
 * reader may know of, filtered; and, for assistance:roster, the form to register a team of one's
 * member (and to change or stand down one's own).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, query } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { LoadMore, usePagedList } from '../common/usePagedList.js';
import { ErrorNote } from '../common/widgets.js';
import { useMemberOptions } from '../incidents/parts.js';
import { assistancePath, isoOfLocal, modeName, MODES, TEAM_STATUSES, words, type Catalogue, type OnCallContact, type StandbyAnswer, type StandbyTeam, type TeamPage } from './model.js';
import { AssistanceBadges, capabilityName, StatusBadge, useCatalogue, useChange } from './parts.js';
import { TeamForm } from './TeamForm.js';

const PAGE = 50;

function Contacts(props: { contacts: readonly OnCallContact[] }) {
  if (props.contacts.length === 0) return <span className="muted">none given</span>;
  return (
    <ul className="plain aid-contacts">
      {props.contacts.map((c, i) => (
        <li key={i}>
          <strong>{c.name}</strong>
          {c.role ? <span className="muted"> ({c.role})</span> : null}
          {c.phone ? (
            <>
              {' '}
              <a href={`tel:${c.phone.replace(/[^\d+]/g, '')}`}>{c.phone}</a>
            </>
          ) : null}
          {c.email ? (
            <>
              {' '}
              <a href={`mailto:${c.email}`}>{c.email}</a>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** When a team is on call, in words: '24/7' or 'mon, tue 08:00–18:00 (Europe/Berlin)'. */
function coverageText(team: StandbyTeam): string {
  if (team.always) return `24/7 (${team.time_zone})`;
  if (team.coverage.length === 0) return `no window (${team.time_zone})`;
  return `${team.coverage.map((w) => `${w.days.join(', ')} ${w.from}–${w.to}`).join('; ')} (${team.time_zone})`;
}

function responseText(team: StandbyTeam): string {
  return MODES.filter((m) => team.modes.includes(m))
    .map((m) => `${modeName(m)} ${team.response_hours[m] ?? '?'} h`)
    .join(', ');
}

/** The choices of a capability filter: any, or one of the catalogue's. */
function CapabilityOptions(props: { catalogue: Catalogue | null }) {
  return (
    <>
      <option value="">any</option>
      {(props.catalogue?.capabilities ?? []).map((c) => (
        <option key={c.key} value={c.key}>
          {c.name}
        </option>
      ))}
    </>
  );
}

/** The choices of a mode filter: either, remote or on site. */
function ModeOptions() {
  return (
    <>
      <option value="">remote or on site</option>
      {MODES.map((m) => (
        <option key={m} value={m}>
          {modeName(m)}
        </option>
      ))}
    </>
  );
}

// --- who can help -------------------------------------------------------------------------------------

function WhoCanHelp(props: { catalogue: Catalogue | null; generation: number }) {
  const [capability, setCapability] = useState('');
  const [mode, setMode] = useState('');
  const [within, setWithin] = useState('');
  const [at, setAt] = useState('');
  const [offCall, setOffCall] = useState(false);
  const [answer, setAnswer] = useState<StandbyAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const asked = useRef<string | null>(null);

  const ask = useCallback(async (q: string) => {
    asked.current = q;
    setBusy(true);
    try {
      setAnswer(await api<StandbyAnswer>(`${assistancePath('standby')}${q}`));
      setError('');
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  }, []);
  // A team registered or changed meanwhile: the last question is asked again.
  useEffect(() => {
    if (asked.current !== null) void ask(asked.current);
  }, [props.generation, ask]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void ask(query({ capability, mode, within_hours: within, at: isoOfLocal(at), include_off_call: offCall ? 'true' : undefined }));
  };
  return (
    <section className="panel" aria-labelledby="aid-who-h" data-ready={busy ? 'false' : 'true'}>
      <h2 id="aid-who-h">Who can help</h2>
      <form className="toolbar" role="search" aria-label="Who can help" onSubmit={submit}>
        <div className="field">
          <label htmlFor="who-capability">Capability</label>
          <select id="who-capability" value={capability} onChange={(e) => setCapability(e.target.value)}>
            <CapabilityOptions catalogue={props.catalogue} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="who-mode">Where</label>
          <select id="who-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
            <ModeOptions />
          </select>
        </div>
        <div className="field">
          <label htmlFor="who-within">At work within (hours)</label>
          <input id="who-within" type="number" min={0} max={720} step={0.5} value={within} onChange={(e) => setWithin(e.target.value)} size={6} />
        </div>
        <div className="field">
          <label htmlFor="who-at">At (empty: now; your local time)</label>
          <input id="who-at" type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
        </div>
        <label className="check" htmlFor="who-off-call">
          <input id="who-off-call" type="checkbox" checked={offCall} onChange={(e) => setOffCall(e.currentTarget.checked)} /> Include teams off call
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Asking…' : 'Find teams'}
        </button>
      </form>
      <ErrorNote error={error} title="The rosters could not be searched" />
      {answer && (
        <div className="aid-who-answer" data-at={answer.at}>
          <p className="muted" aria-live="polite">
            {answer.teams.length} {answer.teams.length === 1 ? 'team' : 'teams'} at {when(answer.at)}
            {answer.teams.length > 0 ? `, ${answer.teams.filter((t) => t.on_call).length} on call` : ''}
            {answer.truncated ? ' (the first of more: narrow the search)' : ''}.
          </p>
          {answer.teams.length > 0 && (
            <div className="table-scroll">
              <table className="aid-standby">
                <caption className="sr-only">Teams that can help</caption>
                <thead>
                  <tr>
                    <th scope="col">Team</th>
                    <th scope="col">Member</th>
                    <th scope="col">On call</th>
                    <th scope="col">At work within</th>
                    <th scope="col">Capabilities</th>
                    <th scope="col">Contacts</th>
                  </tr>
                </thead>
                <tbody>
                  {answer.teams.map((t) => (
                    <tr key={t.team.id} data-team-id={t.team.id} data-on-call={t.on_call ? 'true' : 'false'}>
                      <td>
                        <strong>{t.team.name}</strong>
                        <div className="small muted">
                          {t.team.size} · cleared {t.team.clearance} · {t.team.languages.join(', ') || 'languages not said'}
                        </div>
                      </td>
                      <td data-field="member">{t.team.member ?? 'this node'}</td>
                      <td data-field="on-call">
                        {t.on_call ? <span className="aid-on-call">On call now</span> : <span className="aid-off-call">Off call</span>}
                        {!t.on_call && t.next_on_call && <div className="small">next on call {when(t.next_on_call)}</div>}
                        <div className="small muted">{coverageText(t.team)}</div>
                      </td>
                      <td data-field="response-hours">
                        {t.response_hours === null ? <span className="muted">not said</span> : `${t.response_hours} h`}
                        {t.mode ? <span className="muted"> {modeName(t.mode)}</span> : null}
                        {!t.on_call && t.ready_in_hours !== undefined && t.ready_in_hours !== null && <div className="small">at work in {Math.round(t.ready_in_hours * 10) / 10} h from then</div>}
                      </td>
                      <td className="small">{t.team.capabilities.map((c) => capabilityName(props.catalogue, c)).join(', ')}</td>
                      <td className="small">
                        <Contacts contacts={t.team.contacts} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

// --- the teams -------------------------------------------------------------------------------------------

function TeamRow(props: { team: StandbyTeam; catalogue: Catalogue | null; roster: boolean; onEdit: (team: StandbyTeam) => void; reload: () => void }) {
  const t = props.team;
  const change = useChange(props.reload);
  const next = t.status === 'standing-by' ? 'stood-down' : 'standing-by';
  return (
    <tr data-team-id={t.id} data-status={t.status}>
      <td>
        <strong>{t.name}</strong>
        <div className="small muted">
          {t.size} · cleared {t.clearance} · {t.languages.join(', ') || 'languages not said'}
        </div>
        <AssistanceBadges handling={t.handling} compact />
      </td>
      <td data-field="member">{t.member ?? 'this node'}</td>
      <td>
        <StatusBadge status={t.status} kind="team" />
      </td>
      <td className="small">{t.capabilities.map((c) => capabilityName(props.catalogue, c)).join(', ')}</td>
      <td className="small">
        {coverageText(t)}
        <div>{responseText(t)}</div>
      </td>
      <td className="small">
        <Contacts contacts={t.contacts} />
      </td>
      <td>
        {props.roster && t.may_edit && (
          <div className="aid-row-actions">
            <button type="button" className="secondary" onClick={() => props.onEdit(t)} aria-label={`Change the team ${t.name}`}>
              Change
            </button>
            <button
              type="button"
              className="secondary"
              disabled={change.busy}
              onClick={() => void change.run(() => api<StandbyTeam>(assistancePath('teams', t.id), { method: 'PATCH', body: { version: t.version, status: next } }))}
              aria-label={`${next === 'stood-down' ? 'Stand down' : 'Stand by again'}: the team ${t.name}`}
            >
              {next === 'stood-down' ? 'Stand down' : 'Stand by again'}
            </button>
          </div>
        )}
        <ErrorNote error={change.error} title="The team was not changed" />
      </td>
    </tr>
  );
}

function Teams(props: { catalogue: Catalogue | null; generation: number; roster: boolean; onEdit: (team: StandbyTeam) => void; reload: () => void }) {
  const session = useSession();
  const members = useMemberOptions(session.can('directory:read'));
  const [filters, setFilters] = useState({ member: '', capability: '', mode: '', status: 'standing-by' });
  const teams = usePagedList<StandbyTeam>(
    async (cursor) => {
      const page = await api<TeamPage>(`${assistancePath('teams')}${query({ ...filters, limit: PAGE, cursor })}`);
      return { rows: page.teams, next: page.next_cursor };
    },
    { key: JSON.stringify(filters), reload: props.generation },
  );
  const { rows, next, loaded, loading, error } = teams;

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '').trim();
    setFilters({ member: value('member'), capability: value('capability'), mode: value('mode'), status: value('status') });
  };
  return (
    <section className="panel" aria-labelledby="aid-teams-h" data-ready={loaded ? 'true' : 'false'}>
      <h2 id="aid-teams-h">Standby teams</h2>
      <form className="toolbar" aria-label="Filter standby teams" onSubmit={submit}>
        <div className="field">
          <label htmlFor="teams-member">Member</label>
          {members.length > 0 ? (
            <select id="teams-member" name="member" defaultValue={filters.member}>
              <option value="">any</option>
              {members.map((m) => (
                <option key={m.code} value={m.code}>
                  {m.code} · {m.name}
                </option>
              ))}
            </select>
          ) : (
            <input id="teams-member" name="member" defaultValue={filters.member} placeholder="member code" maxLength={64} size={10} />
          )}
        </div>
        <div className="field">
          <label htmlFor="teams-capability">Capability</label>
          <select id="teams-capability" name="capability" defaultValue={filters.capability}>
            <CapabilityOptions catalogue={props.catalogue} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="teams-mode">Works</label>
          <select id="teams-mode" name="mode" defaultValue={filters.mode}>
            <ModeOptions />
          </select>
        </div>
        <div className="field">
          <label htmlFor="teams-status">Status</label>
          <select id="teams-status" name="status" defaultValue={filters.status}>
            <option value="">any</option>
            {TEAM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} title="The teams could not be read" />
      <p className="muted" aria-live="polite">
        {rows.length} {rows.length === 1 ? 'team' : 'teams'} shown{next ? ', more to load' : ''}
        {loading ? ' · loading…' : ''}
      </p>
      {loaded && rows.length === 0 && !error ? (
        <p className="empty">No standby team you may know of matches.</p>
      ) : (
        rows.length > 0 && (
          <div className="table-scroll">
            <table className="aid-teams">
              <caption className="sr-only">Standby teams</caption>
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Member</th>
                  <th scope="col">Status</th>
                  <th scope="col">Capabilities</th>
                  <th scope="col">On call, at work within</th>
                  <th scope="col">Contacts</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <TeamRow key={t.id} team={t} catalogue={props.catalogue} roster={props.roster} onEdit={props.onEdit} reload={props.reload} />
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <LoadMore list={teams} />
    </section>
  );
}

export function Roster() {
  const session = useSession();
  const { catalogue, error } = useCatalogue();
  const [generation, setGeneration] = useState(0);
  const [form, setForm] = useState<{ team?: StandbyTeam } | null>(null);
  const [saved, setSaved] = useState('');
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const roster = session.can('assistance:roster');
  return (
    <div className="view assistance aid-roster" data-ready={catalogue || error ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/assistance">Assistance</a>
      </p>
      <div className="aid-head">
        <h1>Standby rosters</h1>
        {roster && !form && (
          <button
            type="button"
            onClick={() => {
              setSaved('');
              setForm({});
            }}
          >
            Register a team
          </button>
        )}
      </div>
      <ErrorNote error={error} title="The assistance catalogue could not be read" />
      <p role="status" className="aid-saved">
        {saved}
      </p>
      {roster && form && (
        <TeamForm
          key={form.team?.id ?? 'new'}
          catalogue={catalogue}
          {...(form.team ? { team: form.team } : {})}
          onCancel={() => setForm(null)}
          onSaved={(team) => {
            setForm(null);
            setSaved(`${form.team ? 'Changed' : 'Registered'}: ${team.name}.`);
            reload();
          }}
        />
      )}
      <WhoCanHelp catalogue={catalogue} generation={generation} />
      <Teams
        catalogue={catalogue}
        generation={generation}
        roster={roster}
        reload={reload}
        onEdit={(team) => {
          setSaved('');
          setForm({ team });
          window.scrollTo({ top: 0 });
        }}
      />
    </div>
  );
}
