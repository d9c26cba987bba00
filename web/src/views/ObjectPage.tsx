/**
 * One object: every property (redacted parts shown as redacted), its handling, its versions
 * with a diff between any two, its relationships as an interactive graph and as a list with
 * names, its sightings ("sighted by N members"), where it came from (provenance), and export as
 * a STIX bundle. An object the user may not read is answered as one that does not exist.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, apiPages, ApiError } from '../api.js';
import { Graph, type GraphEdge, type GraphNode } from '../components/Graph.js';
import { Badges, Redacted, type Handling } from '../handling.js';
import { hrefOf, setParams, useRoute } from '../router.js';
import { bundleOf, download, labelOf, typeName, when, type StixObject } from '../stix.js';

interface Other {
  id: string;
  type: string;
  name?: string;
  readable: boolean;
  handling?: Handling;
}

interface Context {
  object: StixObject;
  handling: Handling;
  /** The newest versions (up to 100), oldest first. */
  versions: Array<{ object: StixObject; handling: Handling }>;
  /** Older versions are not shown. */
  versions_more?: boolean;
  relationships: Array<{ relationship: StixObject; handling: Handling; direction: 'out' | 'in'; other: Other }>;
  relationships_truncated?: boolean;
  sightings: { count: number; sighted_by: number; members: string[]; recent: StixObject[]; truncated?: boolean };
}

interface Provenance {
  receipts: Array<{ version: string; peer: string; received_at: string }>;
}

const TABS = ['properties', 'relationships', 'sightings', 'versions', 'provenance'] as const;
type Tab = (typeof TABS)[number];

function Value(props: { value: unknown }) {
  const v = props.value;
  if (typeof v === 'string') {
    if (/^[a-z0-9-]+--[0-9a-f-]{36}$/.test(v)) return <a href={hrefOf('object', v)}>{v}</a>;
    return <span>{v}</span>;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return <span>{String(v)}</span>;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return (
      <ul className="plain">
        {v.map((x, i) => (
          <li key={i}>
            <Value value={x} />
          </li>
        ))}
      </ul>
    );
  }
  return <pre>{JSON.stringify(v, null, 2)}</pre>;
}

function Properties(props: { object: StixObject }) {
  const o = props.object;
  const redacted = o.x_shieldwall_redacted ?? [];
  const keys = Object.keys(o).filter((k) => k !== 'x_shieldwall_redacted');
  return (
    <table className="props">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>
              <Value value={o[k]} />
            </td>
          </tr>
        ))}
        {redacted.map((selector) => (
          <tr key={`redacted-${selector}`} className="redacted-row">
            <th scope="row">{selector}</th>
            <td>
              <Redacted />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Relationships(props: { context: Context }) {
  const c = props.context;
  const center: GraphNode = { id: c.object.id, type: c.object.type, label: labelOf(c.object), readable: true };
  const { nodes, edges } = useMemo(() => {
    const nodes = new Map<string, GraphNode>();
    const edges: GraphEdge[] = [];
    for (const r of c.relationships) {
      nodes.set(r.other.id, { id: r.other.id, type: r.other.type, label: r.other.name ?? r.other.id, readable: r.other.readable });
      const type = String(r.relationship.relationship_type ?? 'related-to');
      edges.push(r.direction === 'out' ? { id: r.relationship.id, from: c.object.id, to: r.other.id, label: type } : { id: r.relationship.id, from: r.other.id, to: c.object.id, label: type });
    }
    return { nodes: [...nodes.values()], edges };
  }, [c]);
  if (c.relationships.length === 0) return <p className="empty">No relationships you may read.</p>;
  return (
    <>
      <Graph center={center} nodes={nodes} edges={edges} />
      {c.relationships_truncated && <p className="muted">Only the first {c.relationships.length} relationships are shown.</p>}
      <table>
        <caption className="muted">Relationships ({c.relationships.length})</caption>
        <thead>
          <tr>
            <th scope="col">Relationship</th>
            <th scope="col">Object</th>
            <th scope="col">Handling</th>
          </tr>
        </thead>
        <tbody>
          {c.relationships.map((r) => (
            <tr key={r.relationship.id} data-object-id={r.relationship.id}>
              <td>
                <a href={hrefOf('object', r.relationship.id)}>
                  {r.direction === 'out' ? `this ${String(r.relationship.relationship_type)} →` : `← ${String(r.relationship.relationship_type)} this`}
                </a>{' '}
                <Badges handling={r.handling} compact />
              </td>
              <td {...(r.other.readable ? { 'data-object-id': r.other.id } : {})}>
                {r.other.readable ? (
                  <a href={hrefOf('object', r.other.id)}>
                    {typeName(r.other.type)}: {r.other.name ?? r.other.id}
                  </a>
                ) : (
                  <span className="muted">
                    {typeName(r.other.type)} you may not read
                  </span>
                )}
              </td>
              <td>{r.other.readable && r.other.handling ? <Badges handling={r.other.handling} compact /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Sightings(props: { context: Context }) {
  const s = props.context.sightings;
  return (
    <>
      <p>
        <strong>
          Sighted by {s.truncated ? 'at least ' : ''}
          {s.sighted_by} member{s.sighted_by === 1 ? '' : 's'}
        </strong>{' '}
        ({s.truncated ? 'at least ' : ''}
        {s.count} sighting{s.count === 1 ? '' : 's'} you may read){s.members.length > 0 ? `: ${s.members.join(', ')}` : ''}.
        {s.truncated ? ' Only the newest 5,000 were examined.' : ''}
      </p>
      {s.recent.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Sighting</th>
              <th scope="col">Last seen</th>
              <th scope="col" className="num">
                Count
              </th>
            </tr>
          </thead>
          <tbody>
            {s.recent.map((o) => (
              <tr key={o.id} data-object-id={o.id}>
                <td>
                  <a href={hrefOf('object', o.id)}>{o.id}</a>
                </td>
                <td>{when((o.last_seen as string | undefined) ?? o.modified)}</td>
                <td className="num">{String(o.count ?? 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Property-level differences between two versions. */
function Diff(props: { a: StixObject; b: StixObject }) {
  const keys = [...new Set([...Object.keys(props.a), ...Object.keys(props.b)])].sort();
  const changed = keys.filter((k) => JSON.stringify(props.a[k]) !== JSON.stringify(props.b[k]));
  if (changed.length === 0) return <p className="empty">The two versions are the same.</p>;
  return (
    <table className="diff">
      <thead>
        <tr>
          <th scope="col">Property</th>
          <th scope="col">{when(props.a.modified)}</th>
          <th scope="col">{when(props.b.modified)}</th>
        </tr>
      </thead>
      <tbody>
        {changed.map((k) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td className={k in props.a ? 'removed' : ''}>{k in props.a ? <pre>{JSON.stringify(props.a[k], null, 2)}</pre> : <span className="muted">absent</span>}</td>
            <td className={k in props.b ? 'added' : ''}>{k in props.b ? <pre>{JSON.stringify(props.b[k], null, 2)}</pre> : <span className="muted">absent</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VersionSelect(props: { id: string; label: string; versions: Context['versions']; value: number; onChange: (index: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))}>
        {props.versions.map((v, i) => (
          <option key={i} value={i}>
            {when(v.object.modified)}
          </option>
        ))}
      </select>
    </div>
  );
}

function Versions(props: { context: Context }) {
  const versions = props.context.versions;
  const [a, setA] = useState(Math.max(0, versions.length - 2));
  const [b, setB] = useState(versions.length - 1);
  if (versions.length <= 1) return <p className="empty">One version only (modified {when(props.context.object.modified)}).</p>;
  return (
    <>
      <div className="toolbar">
        <VersionSelect id="va" label="Compare" versions={versions} value={a} onChange={setA} />
        <VersionSelect id="vb" label="with" versions={versions} value={b} onChange={setB} />
      </div>
      <Diff a={versions[a]!.object} b={versions[b]!.object} />
      <h2>{props.context.versions_more ? `The newest ${versions.length} versions` : `All versions (${versions.length})`}</h2>
      {props.context.versions_more && (
        <p className="muted">
          Older versions are not shown: <code>GET /api/v1/objects/{props.context.object.id}?versions=all</code> pages through them all.
        </p>
      )}
      <ol>
        {versions.map((v, i) => (
          <li key={i}>
            {when(v.object.modified)} <Badges handling={v.handling} compact />
          </li>
        ))}
      </ol>
    </>
  );
}

/** Receipts shown at most: an object versioned many times has one per version and peer. */
const RECEIPTS_SHOWN = 5000;

function ProvenanceView(props: { id: string }) {
  const [answer, setAnswer] = useState<{ receipts: Provenance['receipts']; more: boolean } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    apiPages<Provenance['receipts'][number], 'receipts'>(`/api/v1/objects/${encodeURIComponent(props.id)}/provenance`, 'receipts', RECEIPTS_SHOWN)
      .then((a) => setAnswer({ receipts: a.rows, more: a.more }))
      .catch((e: Error) => setError(e.message));
  }, [props.id]);
  if (error) return <p className="error">{error}</p>;
  if (!answer) return <p className="muted">Loading…</p>;
  if (answer.receipts.length === 0) return <p>Submitted to this node directly (no peer node delivered it).</p>;
  return (
    <>
      {answer.more && <p className="muted">The first {answer.receipts.length} receipts, oldest versions first; the API has the rest.</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">From peer</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {answer.receipts.map((r, i) => (
            <tr key={i}>
              <td>{when(r.version)}</td>
              <td>{r.peer}</td>
              <td>{when(r.received_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function ObjectPage() {
  const route = useRoute();
  const id = route.segments[1] ?? '';
  const tab: Tab = (TABS as readonly string[]).includes(route.params.get('tab') ?? '') ? (route.params.get('tab') as Tab) : 'properties';
  const [context, setContext] = useState<Context | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    setContext(null);
    setMissing(false);
    setError('');
    api<Context>(`/api/v1/objects/${encodeURIComponent(id)}/context`)
      .then((c) => live && setContext(c))
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setMissing(true);
        else setError((e as Error).message);
      });
    return () => {
      live = false;
    };
  }, [id]);
  if (missing) {
    return (
      <div data-ready="true">
        <h1>Not found</h1>
        <p>There is no object with this id that you may read.</p>
        <p>
          <a href="#/intel">Search the intel</a>
        </p>
      </div>
    );
  }
  if (error) return <p className="error">{error}</p>;
  if (!context) return <p className="muted">Loading…</p>;
  const o = context.object;
  const counts: Record<Tab, string> = {
    properties: '',
    relationships: ` (${context.relationships.length})`,
    sightings: ` (${context.sightings.count})`,
    versions: ` (${context.versions.length}${context.versions_more ? '+' : ''})`,
    provenance: '',
  };
  return (
    <article data-ready="true" data-object-id={o.id}>
      <p className="muted">
        <a href={`#/intel?type=${encodeURIComponent(o.type)}`}>{typeName(o.type)}</a>
        {o.revoked ? ' · revoked' : ''}
      </p>
      <h1>{labelOf(o)}</h1>
      <p>
        <Badges handling={context.handling} />
      </p>
      {typeof o.description === 'string' && <p>{o.description}</p>}
      <p className="muted">
        Created {when(o.created)} · modified {when(o.modified)} · originator {context.handling.origin ?? 'unknown'}
      </p>
      <p>
        <button type="button" onClick={() => download(`${o.id}.json`, bundleOf([o]))}>
          Export as STIX
        </button>{' '}
        <button type="button" className="secondary" onClick={() => download(`${o.id}-versions.json`, bundleOf(context.versions.map((v) => v.object)))}>
          {context.versions_more ? `Export the newest ${context.versions.length} versions` : 'Export every version'}
        </button>
      </p>
      <div className="tabs" role="tablist" aria-label="Object details">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={t === tab} aria-controls="tabpanel" onClick={() => setParams({ tab: t === 'properties' ? undefined : t })}>
            {t.charAt(0).toUpperCase() + t.slice(1)}
            {counts[t]}
          </button>
        ))}
      </div>
      <section id="tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="panel">
        {tab === 'properties' && <Properties object={o} />}
        {tab === 'relationships' && <Relationships context={context} />}
        {tab === 'sightings' && <Sightings context={context} />}
        {tab === 'versions' && <Versions context={context} />}
        {tab === 'provenance' && <ProvenanceView id={o.id} />}
      </section>
    </article>
  );
}
