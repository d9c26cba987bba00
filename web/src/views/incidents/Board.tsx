/**
 * The incidents board: the incidents the reader may read, newest change first, filtered by
 * status, severity level, reporting member, sector, significance and text, the filters in the URL
 * (a board can be bookmarked and shared; each colleague sees what they may read of it). Pages
 * come by cursor ("Load more"). Incidents reported or changed while the board is open are offered
 * as a refresh, not pushed into the rows under the reader's eyes.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../../api.js';
import { useFeed, type FeedItem } from '../../feed.js';
import { hrefOf, setParams, useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { LoadMore, usePagedList } from '../common/usePagedList.js';
import { ErrorNote } from '../common/widgets.js';
import { INCIDENT_STATUSES, INCIDENTS_API, LEVEL_NAMES, SECTORS, sectorName, statusName, type IncidentPage, type IncidentSummary } from './model.js';
import { IncidentBadges, LevelBadge, StatusBadge, useMemberOptions } from './parts.js';

const PAGE = 50;

/** Whether a feed event tells of an incident (its own event, or an incident object among the intel). */
export function isIncidentEvent(item: FeedItem): boolean {
  return item.event === 'incident' || item.object?.type === 'incident';
}

function filtersOf(params: URLSearchParams) {
  return {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    level: params.get('level') ?? '',
    member: params.get('member') ?? '',
    sector: params.get('sector') ?? '',
    significant: params.get('significant') === 'true',
  };
}

function Row(props: { incident: IncidentSummary }) {
  const i = props.incident;
  return (
    <tr data-incident-id={i.id}>
      <td className="incident-title">
        <a href={hrefOf('incidents', i.id)}>{i.title}</a>
        {i.source === 'peer' && <span className="pill"> from a peer node</span>}
        {i.significant && <span className="pill pill-strong">significant</span>}
      </td>
      <td>
        <LevelBadge level={i.level} name={i.level_name} score={i.score} />
      </td>
      <td>
        <StatusBadge status={i.status} />
      </td>
      <td>{i.member ?? 'this node'}</td>
      <td className="small">{i.sectors.length > 0 ? i.sectors.map(sectorName).join(', ') : <span className="muted">none named</span>}</td>
      <td className="small nowrap">{when(i.modified)}</td>
      <td>
        <IncidentBadges handling={i.handling} compact />
      </td>
    </tr>
  );
}

export function Board() {
  const session = useSession();
  const route = useRoute();
  const filters = filtersOf(route.params);
  const key = JSON.stringify(filters);
  const [reload, setReload] = useState(0);
  const members = useMemberOptions(session.can('directory:read'));

  // Incidents reported or changed since this page was read: counted once each, offered as a refresh.
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  const onFeed = useCallback((item: FeedItem) => {
    if (!isIncidentEvent(item)) return;
    setChanged((old) => (old.has(item.object.id) ? old : new Set([...old, item.object.id])));
  }, []);
  useFeed(onFeed);

  const incidents = usePagedList<IncidentSummary>(
    async (cursor) => {
      const page = await api<IncidentPage>(
        `${INCIDENTS_API}${query({ q: filters.q, status: filters.status, level: filters.level, member: filters.member, sector: filters.sector, significant: filters.significant ? 'true' : undefined, limit: PAGE, cursor })}`,
      );
      return { rows: page.incidents, next: page.next_cursor };
    },
    { key, reload, emptyOnReload: true },
  );
  const { rows, next, loaded, loading, error } = incidents;
  useEffect(() => setChanged(new Set()), [key, reload]);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setParams({ q: value('q'), status: value('status'), level: value('level'), member: value('member'), sector: value('sector'), significant: form.get('significant') ? 'true' : undefined });
  };

  const memberOptions = [...members, ...(filters.member && !members.some((m) => m.code === filters.member) ? [{ code: filters.member, name: filters.member }] : [])];
  const filtered = Object.entries(filters).some(([, v]) => v !== '' && v !== false);
  return (
    <div className="view incidents" data-ready={loaded ? 'true' : 'false'}>
      <div className="incidents-head">
        <h1>Incidents</h1>
        {session.can('incidents:write') && (
          <a className="button" href="#/incidents/new">
            Report an incident
          </a>
        )}
      </div>
      <form className="toolbar" role="search" aria-label="Filter incidents" onSubmit={submit} key={key}>
        <div className="field">
          <label htmlFor="incidents-q">Search</label>
          <input id="incidents-q" name="q" type="search" defaultValue={filters.q} placeholder="words of the title" maxLength={200} size={24} />
        </div>
        <div className="field">
          <label htmlFor="incidents-status">Status</label>
          <select id="incidents-status" name="status" defaultValue={filters.status}>
            <option value="">any</option>
            {INCIDENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusName(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="incidents-level">Severity level</label>
          <select id="incidents-level" name="level" defaultValue={filters.level}>
            <option value="">any</option>
            {LEVEL_NAMES.map((name, level) => (
              <option key={level} value={String(level)}>
                {level} · {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="incidents-member">Reporting member</label>
          <select id="incidents-member" name="member" defaultValue={filters.member}>
            <option value="">any</option>
            {memberOptions.map((m) => (
              <option key={m.code} value={m.code}>
                {m.code} · {m.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="incidents-sector">Sector</label>
          <select id="incidents-sector" name="sector" defaultValue={filters.sector}>
            <option value="">any</option>
            {SECTORS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <label className="check" htmlFor="incidents-significant">
          <input id="incidents-significant" name="significant" type="checkbox" value="true" defaultChecked={filters.significant} /> Significant only (High and above)
        </label>
        <button type="submit">Filter</button>
        <a className="button secondary" href="#/incidents">
          Clear
        </a>
      </form>
      {changed.size > 0 && (
        <p className="incidents-changed" role="status">
          <button type="button" className="secondary" onClick={() => setReload((n) => n + 1)}>
            {changed.size} changed: refresh
          </button>
        </p>
      )}
      <ErrorNote error={error} title="The incidents could not be read" />
      <p className="muted" aria-live="polite">
        {rows.length.toLocaleString('en')} shown{next ? ', more to load' : ''}
        {loading ? ' · loading…' : ''}
      </p>
      {loaded && rows.length === 0 && !error ? (
        <p className="empty">{filtered ? 'No incident you may read matches these filters.' : 'No incident you may read has been reported.'}</p>
      ) : (
        rows.length > 0 && (
          <div className="table-scroll">
            <table className="incidents-board">
              <caption className="sr-only">Incidents, newest change first</caption>
              <thead>
                <tr>
                  <th scope="col">Incident</th>
                  <th scope="col">Level</th>
                  <th scope="col">Status</th>
                  <th scope="col">Member</th>
                  <th scope="col">Sectors</th>
                  <th scope="col">Modified</th>
                  <th scope="col">Handling</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((i) => (
                  <Row key={i.id} incident={i} />
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <LoadMore list={incidents} />
    </div>
  );
}
