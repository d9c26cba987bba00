/**
 * The assistance board: the requests for assistance the reader may know of, grouped by where they
 * stand (submitted and awaiting approval, approved and awaiting offers, assisting; or ended),
 * each with its handling, urgency, mode, capabilities, requesting member, its three response
 * clocks against their targets and its counts of offers and deployments; then the deployments,
 * and the clocks per quarter (median, 90th percentile, how many over target).
 * The filters are in the URL. An assistance event of the live feed reads the board again.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../../api.js';
import { hrefOf, setParams, useRoute } from '../../router.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { LoadMore, usePagedList } from '../common/usePagedList.js';
import { ErrorNote } from '../common/widgets.js';
import { assistancePath, BOARD_GROUPS, DEPLOYMENT_STATUSES, durationText, MILESTONE_NAMES, MILESTONES, URGENCIES, words, type BoardGroup, type Catalogue, type Deployment, type DeploymentList, type RequestPage, type RequestSummary } from './model.js';
import { AssistanceBadges, capabilityName, Clocks, ModeBadge, StatusBadge, UrgencyBadge, useAssistanceEvents, useCatalogue } from './parts.js';

const PAGE = 100;
const SHOWS = ['open', 'ended', 'all'] as const;
type Show = (typeof SHOWS)[number];
const SHOW_NAMES: Record<Show, string> = { open: 'open requests', ended: 'ended requests', all: 'all requests' };

function filtersOf(params: URLSearchParams) {
  const show = params.get('show');
  return {
    show: (SHOWS as readonly string[]).includes(show ?? '') ? (show as Show) : 'open',
    urgency: params.get('urgency') ?? '',
    incident: params.get('incident') ?? '',
    deployments: params.get('deployments') ?? '',
  };
}

function groupsOf(show: Show) {
  return BOARD_GROUPS.filter((g) => (show === 'all' ? true : show === 'ended' ? g.key === 'ended' : g.key !== 'ended'));
}

function RequestCard(props: { request: RequestSummary; readAt: number; catalogue: Catalogue | null }) {
  const r = props.request;
  return (
    <li className="aid-card" data-request-id={r.id} data-status={r.status}>
      <div className="aid-card-head">
        <a className="aid-card-title" href={hrefOf('assistance', r.id)}>
          {r.title}
        </a>
        <StatusBadge status={r.status} />
      </div>
      <p className="aid-card-line">
        <UrgencyBadge urgency={r.urgency} /> <ModeBadge mode={r.mode} /> <AssistanceBadges handling={r.handling} compact />
      </p>
      <p className="aid-card-line small">
        <span className="muted">Requested by</span> <span data-field="member">{r.member ?? 'this node'}</span> · <span className="muted">for</span> <a href={hrefOf('incidents', r.incident_id)}>its incident</a>
      </p>
      <p className="aid-card-line small" data-field="capabilities">
        {r.capabilities.map((c) => capabilityName(props.catalogue, c)).join(', ')}
      </p>
      <Clocks clocks={r.clocks} readAt={props.readAt} compact />
      <p className="aid-card-line small muted">
        <span data-field="offers">
          {r.offers} {r.offers === 1 ? 'offer' : 'offers'}
        </span>{' '}
        ·{' '}
        <span data-field="deployments">
          {r.deployments} {r.deployments === 1 ? 'deployment' : 'deployments'}
        </span>{' '}
        · changed {when(r.modified)}
      </p>
    </li>
  );
}

function Deployments(props: { status: string; reload: number }) {
  const [rows, setRows] = useState<Deployment[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api<DeploymentList>(`${assistancePath('deployments')}${query({ status: props.status })}`)
      .then((a) => {
        if (!live) return;
        setRows(a.deployments);
        setError('');
      })
      .catch((e: unknown) => live && setError(messageOf(e)))
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
    };
  }, [props.status, props.reload]);
  return (
    <section className="panel" aria-labelledby="aid-deployments-h" data-ready={loaded ? 'true' : 'false'}>
      <h2 id="aid-deployments-h">Deployments ({rows.length})</h2>
      <form className="toolbar" aria-label="Filter deployments" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="aid-deployments-status">Status</label>
          <select id="aid-deployments-status" value={props.status} onChange={(e) => setParams({ deployments: e.target.value || undefined })}>
            <option value="">any</option>
            {DEPLOYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNote error={error} title="The deployments could not be read" />
      {loaded && rows.length === 0 && !error ? (
        <p className="empty">No deployment you may know of{props.status ? ` is ${props.status}` : ''}.</p>
      ) : (
        rows.length > 0 && (
          <div className="table-scroll">
            <table className="aid-deployments">
              <caption className="sr-only">Deployments</caption>
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Status</th>
                  <th scope="col">Assisting member</th>
                  <th scope="col">Requesting member</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.id} data-deployment-id={d.id} data-status={d.status}>
                    <td>
                      <a href={`${hrefOf('assistance', d.request_id)}`}>{d.team_name ?? 'a team'}</a>
                    </td>
                    <td>
                      <StatusBadge status={d.status} kind="deployment" />
                    </td>
                    <td data-field="assisting">{d.assisting_member ?? 'this node'}</td>
                    <td data-field="requesting">{d.requesting_member ?? 'this node'}</td>
                    <td>
                      <ModeBadge mode={d.mode} />
                    </td>
                    <td className="small nowrap">{when(d.modified)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </section>
  );
}

interface CycleAggregate {
  count: number;
  reached?: number;
  median_ms: number | null;
  p90_ms: number | null;
  max_ms: number | null;
  over_target: number;
}
interface ClocksAnswer {
  cycles: Array<{ cycle: string; requests: number; approval: CycleAggregate; first_offer: CycleAggregate; deployment: CycleAggregate; truncated?: boolean }>;
}

/** The response clocks per quarter over the requests the reader may know of: how fast the alliance answers. */
function CycleClocks(props: { reload: number }) {
  const [answer, setAnswer] = useState<ClocksAnswer | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api<ClocksAnswer>(`${assistancePath('clocks')}${query({ cycle: 'quarter' })}`)
      .then((a) => {
        if (!live) return;
        setAnswer(a);
        setError('');
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [props.reload]);
  const cell = (a: CycleAggregate) => (a.count === 0 ? <span className="muted">none</span> : <>{a.median_ms === null ? '–' : durationText(a.median_ms)} / {a.p90_ms === null ? '–' : durationText(a.p90_ms)}{a.over_target > 0 ? <span className="aid-over"> · {a.over_target} over target</span> : null}</>);
  return (
    <section className="panel" aria-labelledby="aid-cycles-h" data-ready={answer || error ? 'true' : 'false'}>
      <h2 id="aid-cycles-h">Response clocks per quarter</h2>
      <ErrorNote error={error} title="The clocks could not be read" />
      {answer && (
        <div className="table-scroll">
          <table className="aid-cycles">
            <caption className="sr-only">Median and 90th percentile of each clock, per quarter</caption>
            <thead>
              <tr>
                <th scope="col">Quarter</th>
                <th scope="col" className="num">Requests</th>
                {MILESTONES.map((m) => (
                  <th key={m} scope="col">
                    {words(MILESTONE_NAMES[m])} (median / p90)
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {answer.cycles.map((c) => (
                <tr key={c.cycle} data-cycle={c.cycle}>
                  <th scope="row">{c.cycle}</th>
                  <td className="num">{c.requests}</td>
                  {MILESTONES.map((m) => (
                    <td key={m}>{cell(c[m])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Board() {
  const route = useRoute();
  const filters = filtersOf(route.params);
  const key = JSON.stringify({ show: filters.show, urgency: filters.urgency, incident: filters.incident });
  const { catalogue } = useCatalogue();
  const [reload, setReload] = useState(0);
  const requests = usePagedList<RequestSummary>(
    async (cursor) => {
      const statuses = groupsOf(filters.show).flatMap((g) => g.statuses);
      const page = await api<RequestPage>(`${assistancePath('requests')}${query({ status: statuses.join(','), urgency: filters.urgency, incident: filters.incident, limit: PAGE, cursor })}`);
      return { rows: page.requests, next: page.next_cursor };
    },
    { key, reload },
  );
  const { rows, next, loaded, loading, error, readAt } = requests;

  const heard = useCallback(() => setReload((n) => n + 1), []);
  useAssistanceEvents(heard);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setParams({ show: value('show') === 'open' ? undefined : value('show'), urgency: value('urgency'), incident: value('incident') });
  };

  const groups = groupsOf(filters.show);
  return (
    <div className="view assistance" data-ready={loaded ? 'true' : 'false'}>
      <div className="aid-head">
        <h1>Assistance</h1>
        <a className="button secondary" href="#/assistance/roster">
          Standby rosters: who can help
        </a>
      </div>
      <p className="muted small">A member asks for assistance from its incident&apos;s page (&ldquo;Request assistance&rdquo;).</p>
      <form className="toolbar" role="search" aria-label="Filter requests for assistance" onSubmit={submit} key={key}>
        <div className="field">
          <label htmlFor="aid-show">Show</label>
          <select id="aid-show" name="show" defaultValue={filters.show}>
            {SHOWS.map((s) => (
              <option key={s} value={s}>
                {SHOW_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="aid-urgency">Urgency</label>
          <select id="aid-urgency" name="urgency" defaultValue={filters.urgency}>
            <option value="">any</option>
            {URGENCIES.map((u) => (
              <option key={u} value={u}>
                {words(u)}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="aid-incident">Incident id</label>
          <input id="aid-incident" name="incident" defaultValue={filters.incident} placeholder="incident--…" maxLength={200} />
        </div>
        <button type="submit">Filter</button>
        <a className="button secondary" href="#/assistance">
          Clear
        </a>
      </form>
      <ErrorNote error={error} title="The requests could not be read" />
      <p className="muted" aria-live="polite">
        {rows.length.toLocaleString('en')} {rows.length === 1 ? 'request' : 'requests'} shown{next ? ', more to load' : ''}
        {loading ? ' · loading…' : ''}
      </p>
      <div className={`aid-columns aid-columns-${groups.length}`}>
        {groups.map((g) => {
          const inGroup = rows.filter((r) => (g.statuses as readonly string[]).includes(r.status));
          return (
            <section key={g.key} className="aid-column" aria-labelledby={`aid-group-${g.key}`} data-group={g.key satisfies BoardGroup}>
              <h2 id={`aid-group-${g.key}`}>
                {g.title} <span className="aid-count">({inGroup.length})</span>
              </h2>
              {loaded && inGroup.length === 0 ? (
                <p className="empty">None{filters.urgency || filters.incident ? ' matches these filters' : ''}.</p>
              ) : (
                <ul className="aid-cards">
                  {inGroup.map((r) => (
                    <RequestCard key={r.id} request={r} readAt={readAt} catalogue={catalogue} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
      <LoadMore list={requests} />
      <Deployments status={filters.deployments} reload={reload} />
      <CycleClocks reload={reload} />
    </div>
  );
}
