/**
 * The intel explorer: full-text search over names, descriptions and pattern values, filters by
 * type, marking, originating member and date, newest first, in a virtualised list that reads
 * the next page as the reader scrolls. The filters live in the URL: a search can be bookmarked
 * and shared with a colleague (who sees what they may read of it).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, query } from '../api.js';
import { useFeed, type FeedItem } from '../feed.js';
import { VirtualList } from '../components/VirtualList.js';
import { Badges, CLASSIFICATIONS, type Handling } from '../handling.js';
import { hrefOf, setParams, useRoute } from '../router.js';
import { useSession } from '../session.js';
import { labelOf, typeName, when, type ObjectPage, type StixObject } from '../stix.js';

const PAGE = 200;
const ROW = 40;
const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'];

interface Row {
  object: StixObject;
  handling: Handling | undefined;
}

/** yyyy-mm-dd of a date input → a STIX timestamp at the start (or end) of that day, UTC. */
function dayBound(day: string | null, end: boolean): string | undefined {
  if (!day) return undefined;
  return `${day}T${end ? '23:59:59.999' : '00:00:00.000'}Z`;
}

export function Explorer() {
  const session = useSession();
  const route = useRoute();
  const p = route.params;
  const filters = {
    q: p.get('q') ?? '',
    type: p.get('type') ?? '',
    tlp: p.get('tlp') ?? '',
    classification: p.get('classification') ?? '',
    origin: p.get('origin') ?? '',
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    modified_after: p.get('modified_after') ?? '',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
  };
  const key = JSON.stringify(filters);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [members, setMembers] = useState<Array<{ code: string; name: string }>>([]);
  const generation = useRef(0);
  // What the live feed brought since this listing was read: offered as a refresh, not pushed into the list.
  const [arrived, setArrived] = useState(0);
  const onFeed = useCallback((item: FeedItem) => {
    if (item.event === 'intel') setArrived((n) => n + 1);
  }, []);
  useFeed(onFeed);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api<{ byType: Array<{ type: string }> }>('/api/v1/stats')
      .then((s) => setTypes(s.byType.map((t) => t.type).sort()))
      .catch(() => setTypes([]));
    if (session.can('directory:read')) {
      api<{ members: Array<{ code: string; name: string }> }>('/api/v1/members')
        .then((m) => setMembers(m.members.map((x) => ({ code: x.code, name: x.name })).sort((a, b) => a.code.localeCompare(b.code))))
        .catch(() => setMembers([]));
    }
  }, [session]);

  const load = useCallback(
    async (cursor: string | undefined, gen: number) => {
      setLoading(true);
      try {
        const f = JSON.parse(key) as typeof filters;
        const page = await api<ObjectPage>(
          `/api/v1/objects${query({
            q: f.q,
            type: f.type,
            tlp: f.tlp,
            classification: f.classification,
            origin: f.origin,
            modified_after: f.modified_after || dayBound(f.from, false),
            modified_before: dayBound(f.to, true),
            order: f.order,
            limit: PAGE,
            cursor,
          })}`,
        );
        if (gen !== generation.current) return;
        setRows((old) => [...(cursor ? old : []), ...page.objects.map((o) => ({ object: o, handling: page.handling?.[o.id] }))]);
        setNext(page.next);
        setDone(!page.next);
        setError('');
      } catch (e) {
        if (gen === generation.current) {
          setError((e as Error).message);
          setDone(true);
        }
      } finally {
        if (gen === generation.current) setLoading(false);
      }
    },
    [key],
  );

  useEffect(() => {
    const gen = ++generation.current;
    setRows([]);
    setNext(undefined);
    setDone(false);
    setArrived(0);
    void load(undefined, gen);
  }, [load, reload]);

  const onEnd = useCallback(() => {
    if (!loading && !done && next) void load(next, generation.current);
  }, [loading, done, next, load]);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setParams({ q: value('q'), type: value('type'), tlp: value('tlp'), classification: value('classification'), origin: value('origin'), from: value('from'), to: value('to'), order: value('order') === 'asc' ? 'asc' : undefined, modified_after: undefined });
  };

  const height = Math.max(320, Math.min(900, window.innerHeight - 330));
  return (
    <div data-ready={rows.length > 0 || done ? 'true' : 'false'}>
      <h1>Intel</h1>
      <form className="toolbar" role="search" aria-label="Search intel" onSubmit={submit} key={key}>
        <div className="field">
          <label htmlFor="q">Search</label>
          <input id="q" name="q" type="search" defaultValue={filters.q} placeholder="name, description, pattern value" maxLength={200} size={30} />
        </div>
        <div className="field">
          <label htmlFor="type">Type</label>
          <select id="type" name="type" defaultValue={filters.type}>
            <option value="">any</option>
            {[...new Set([...types, ...(filters.type ? [filters.type] : [])])].map((t) => (
              <option key={t} value={t}>
                {typeName(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tlp">TLP</label>
          <select id="tlp" name="tlp" defaultValue={filters.tlp}>
            <option value="">any</option>
            {TLPS.map((t) => (
              <option key={t} value={t}>
                {t.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="classification">Classification</label>
          <select id="classification" name="classification" defaultValue={filters.classification}>
            <option value="">any</option>
            {CLASSIFICATIONS.slice(0, session.me.clearance + 1).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="origin">Originator</label>
          <select id="origin" name="origin" defaultValue={filters.origin}>
            <option value="">any</option>
            {[...members, ...(filters.origin && !members.some((m) => m.code === filters.origin) ? [{ code: filters.origin, name: filters.origin }] : [])].map((m) => (
              <option key={m.code} value={m.code}>
                {m.code} · {m.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">Modified from</label>
          <input id="from" name="from" type="date" defaultValue={filters.from} />
        </div>
        <div className="field">
          <label htmlFor="to">to</label>
          <input id="to" name="to" type="date" defaultValue={filters.to} />
        </div>
        <div className="field">
          <label htmlFor="order">Order</label>
          <select id="order" name="order" defaultValue={filters.order}>
            <option value="desc">newest first</option>
            <option value="asc">oldest first</option>
          </select>
        </div>
        <button type="submit">Search</button>
        <a className="button secondary" href="#/intel">
          Clear
        </a>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p className="muted" aria-live="polite">
        {rows.length.toLocaleString('en')} shown{done ? '' : ', more as you scroll'}
        {loading ? ' · loading…' : ''}
        {filters.modified_after ? ` · modified after ${when(filters.modified_after)}` : ''}
      </p>
      {arrived > 0 && (
        <p>
          <button type="button" className="secondary" onClick={() => setReload((n) => n + 1)}>
            {arrived} new or updated object{arrived === 1 ? '' : 's'} arrived: search again
          </button>
        </p>
      )}
      {rows.length === 0 && done && !error ? (
        <p className="empty">Nothing you may read matches.</p>
      ) : (
        <VirtualList
          label="Objects"
          items={rows}
          rowHeight={ROW}
          height={height}
          keyOf={(r) => r.object.id}
          onEnd={onEnd}
          render={(r) => (
            <div className="row-inner" data-object-id={r.object.id}>
              <span className="type">{typeName(r.object.type)}</span>
              <a className="label" href={hrefOf('object', r.object.id)} title={labelOf(r.object)}>
                {labelOf(r.object)}
                {r.object.revoked ? ' (revoked)' : ''}
              </a>
              <Badges handling={r.handling} compact />
              <span className="origin">{r.handling?.origin ?? ''}</span>
              <span className="date">{when(r.object.modified ?? r.object.created)}</span>
            </div>
          )}
        />
      )}
    </div>
  );
}
