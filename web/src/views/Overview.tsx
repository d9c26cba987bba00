/**
 * The overview: what is new since the user's last visit, counts by type and by marking over a
 * chosen window, the most sighted indicators, and the live feed. Every count is of what the
 * user may read (the node counts through the policy).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, query } from '../api.js';
import { BarChart, DayChart, type Bar } from '../components/Charts.js';
import { useFeed, type FeedItem } from '../feed.js';
import { Badges, classificationName, tlpLabel, type Handling } from '../handling.js';
import { hrefOf, setParams, useRoute } from '../router.js';
import { useSession } from '../session.js';
import { labelOf, typeName, when, type StixObject } from '../stix.js';

interface Window {
  since: string;
  until: string;
  added: number;
  by_type: Array<{ type: string; count: number }>;
  by_tlp: Array<{ tlp: string | null; count: number }>;
  by_classification: Array<{ level: number; name?: string; count: number }>;
  by_day: Array<{ day: string; count: number }>;
}

interface Stats {
  byType: Array<{ type: string; count: number }>;
  versions: number;
  window?: Window;
}

interface Context {
  object: StixObject;
  handling: Handling;
}

interface SightedIndicator {
  id: string;
  members: number;
  sightings: number;
  count: number;
  last_seen?: string;
}

const WINDOWS: Array<{ key: string; label: string; days: number }> = [
  { key: '1d', label: 'Last 24 hours', days: 1 },
  { key: '7d', label: 'Last 7 days', days: 7 },
  { key: '30d', label: 'Last 30 days', days: 30 },
  { key: '90d', label: 'Last 90 days', days: 90 },
  { key: '365d', label: 'Last 365 days', days: 365 },
];

/** The most frequent types, the rest summed as one bar. */
function topTypes(types: ReadonlyArray<{ type: string; count: number }>, shown = 12): Bar[] {
  const sorted = [...types].sort((a, b) => b.count - a.count);
  const bars: Bar[] = sorted.slice(0, shown).map((t) => ({ label: typeName(t.type), count: t.count, href: `#/intel${query({ type: t.type })}` }));
  const rest = sorted.slice(shown);
  if (rest.length > 0) bars.push({ label: `${rest.length} other types`, count: rest.reduce((n, t) => n + t.count, 0) });
  return bars;
}

function sinceOf(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString();
}

/** One readable object with its handling, by id (through the node's policy: absent when not readable). */
async function contextOf(id: string): Promise<Context | undefined> {
  try {
    return await api<Context>(`/api/v1/objects/${encodeURIComponent(id)}/context`);
  } catch {
    return undefined;
  }
}

function SinceLastVisit(props: { previous: string | null | undefined }) {
  const [stats, setStats] = useState<Window | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!props.previous) return;
    // The node counts windows of a year at most: a visit longer ago counts the last year.
    const since = new Date(Math.max(Date.parse(props.previous), Date.now() - 365 * 86_400_000)).toISOString();
    api<Stats>(`/api/v1/stats${query({ since })}`)
      .then((s) => setStats(s.window ?? null))
      .catch((e: Error) => setError(e.message));
  }, [props.previous]);
  if (!props.previous) return <p>This is your first visit: everything below is new to you.</p>;
  if (error) return <p className="error">{error}</p>;
  if (!stats) return <p className="muted">Counting what is new…</p>;
  return (
    <p>
      Since your last visit ({when(props.previous)}): <strong>{stats.added.toLocaleString('en')}</strong> new or updated objects you may read
      {stats.by_type.length > 0 && (
        <>
          {' '}
          (
          {stats.by_type.slice(0, 4).map((t, i) => (
            <span key={t.type}>
              {i > 0 ? ', ' : ''}
              <a href={`#/intel${query({ type: t.type, modified_after: props.previous ?? undefined })}`}>
                {t.count.toLocaleString('en')} {typeName(t.type).toLowerCase()}
              </a>
            </span>
          ))}
          )
        </>
      )}
      .
    </p>
  );
}

function MostSighted() {
  const [rows, setRows] = useState<Array<SightedIndicator & { context?: Context }> | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api<{ indicators: SightedIndicator[] }>('/api/v1/detect/sighted?limit=10')
      .then(async (answer) => {
        if (!live) return;
        setRows(answer.indicators);
        const contexts = await Promise.all(answer.indicators.map((i) => contextOf(i.id)));
        if (live) setRows(answer.indicators.map((i, n) => ({ ...i, ...(contexts[n] ? { context: contexts[n] } : {}) })));
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      live = false;
    };
  }, []);
  if (error) return <p className="error">{error}</p>;
  if (!rows) return <p className="muted">Loading…</p>;
  if (rows.length === 0) return <p className="empty">No sightings you may read yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Indicator</th>
          <th scope="col" className="num">
            Members
          </th>
          <th scope="col" className="num">
            Seen
          </th>
        </tr>
      </thead>
      <tbody>
        {rows
          .filter((r) => r.context)
          .map((r) => (
            <tr key={r.id} data-object-id={r.id}>
              <td>
                <a href={hrefOf('object', r.id)}>{labelOf(r.context!.object)}</a> <Badges handling={r.context!.handling} compact />
              </td>
              <td className="num">{r.members}</td>
              <td className="num">{r.count.toLocaleString('en')}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

const FEED_KEEP = 50;

function LiveFeed() {
  const [items, setItems] = useState<FeedItem[]>([]);
  const listener = useCallback((item: FeedItem) => setItems((list) => [item, ...list.filter((i) => i.object.id !== item.object.id)].slice(0, FEED_KEEP)), []);
  useFeed(listener);
  if (items.length === 0) return <p className="empty">Waiting for new intel, sightings and matches… (they appear here as they arrive)</p>;
  return (
    <ul className="feedlist" aria-live="polite" aria-label="Live feed">
      {items.map((item) => (
        <li key={`${item.id}-${item.object.id}`} data-object-id={item.object.id}>
          <span className="kind">{item.event === 'intel' ? (item.change === 'updated' ? 'updated' : 'new') : item.event}</span>
          <a href={hrefOf('object', item.object.id)}>{labelOf(item.object)}</a>
          <span className="muted">{typeName(item.object.type)}</span>
          <Badges handling={item.handling} compact />
        </li>
      ))}
    </ul>
  );
}

export function Overview() {
  const session = useSession();
  const route = useRoute();
  const windowKey = route.params.get('window') ?? '30d';
  const chosen = WINDOWS.find((w) => w.key === windowKey) ?? WINDOWS[2]!;
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    setError('');
    api<Stats>(`/api/v1/stats${query({ since: sinceOf(chosen.days) })}`)
      .then((s) => live && setStats(s))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [chosen.days]);
  const w = stats?.window;
  const total = stats?.byType.reduce((n, t) => n + t.count, 0) ?? 0;
  return (
    <div data-ready={stats ? 'true' : 'false'}>
      <h1>Overview</h1>
      <section className="panel" aria-labelledby="new-heading">
        <h2 id="new-heading">What is new</h2>
        <SinceLastVisit previous={session.me.previous_visit} />
        {stats && (
          <p className="muted">
            {total.toLocaleString('en')} current objects you may read ({stats.versions.toLocaleString('en')} versions in all).
          </p>
        )}
      </section>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="window">Window</label>
          <select id="window" value={chosen.key} onChange={(e) => setParams({ window: e.target.value })}>
            {WINDOWS.map((o) => (
              <option key={o.key} value={o.key}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && <p className="error">{error}</p>}
      {w && (
        <div className="grid">
          <section className="panel" aria-labelledby="days-heading">
            <h2 id="days-heading">Added per day ({w.added.toLocaleString('en')} in all)</h2>
            <DayChart title={`Objects added per day, ${chosen.label.toLowerCase()}`} days={w.by_day} />
          </section>
          <section className="panel" aria-labelledby="type-heading">
            <h2 id="type-heading">By type</h2>
            <BarChart title="Objects added by type" bars={topTypes(w.by_type)} />
          </section>
          <section className="panel" aria-labelledby="tlp-heading">
            <h2 id="tlp-heading">By TLP</h2>
            <BarChart title="Objects added by TLP" bars={w.by_tlp.map((t) => ({ label: tlpLabel(t.tlp), count: t.count, className: `tlp-${(t.tlp ?? 'none').replace('+', '-')}`, href: `#/intel${query({ tlp: t.tlp ?? undefined })}` }))} />
          </section>
          <section className="panel" aria-labelledby="cls-heading">
            <h2 id="cls-heading">By classification</h2>
            <BarChart title="Objects added by classification" bars={w.by_classification.map((c) => ({ label: c.name ?? classificationName(c.level), count: c.count, href: `#/intel${query({ classification: c.name ?? classificationName(c.level) })}` }))} />
          </section>
        </div>
      )}
      <div className="grid" style={{ marginTop: '1rem' }}>
        <section className="panel" aria-labelledby="sighted-heading">
          <h2 id="sighted-heading">Most sighted indicators</h2>
          <MostSighted />
        </section>
        <section className="panel" aria-labelledby="feed-heading">
          <h2 id="feed-heading">Live feed</h2>
          <LiveFeed />
        </section>
      </div>
    </div>
  );
}
