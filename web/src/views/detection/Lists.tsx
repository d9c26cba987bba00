/**
 * What shapes detection besides the indicators: the warning lists that apply to the user (values
 * whose matches are reported as suppressed), and, for those who may read the node's state, what
 * the detection index holds.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api.js';
import { when } from '../../stix.js';
import { countText, messageOf } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';

interface WarningList {
  id: string;
  name: string;
  description: string;
  scope: 'member' | 'alliance';
  member: string | null;
  entries: number;
  updated_at: string;
}

export function WarningLists() {
  const [lists, setLists] = useState<WarningList[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api<{ warning_lists: WarningList[] }>('/api/v1/warning-lists')
      .then((a) => live && setLists(a.warning_lists))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, []);
  if (error) return <ErrorNote error={error} title="The warning lists could not be read" />;
  if (!lists) return <Loading what="the warning lists" />;
  if (lists.length === 0) return <p className="empty">No warning list applies to you.</p>;
  const total = lists.reduce((n, l) => n + l.entries, 0);
  return (
    <>
      <p className="muted small">
        Matches on values these lists cover are reported as suppressed, never dropped. {lists.length} list{lists.length === 1 ? '' : 's'}, {countText(total)} entries.
      </p>
      <div className="table-scroll">
        <table>
          <caption className="sr-only">Warning lists that apply to you</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Applies to</th>
              <th scope="col" className="num">
                Entries
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {lists.map((l) => (
              <tr key={l.id}>
                <td>
                  <strong>{l.name}</strong>
                  {l.description && <div className="muted small">{l.description}</div>}
                </td>
                <td>{l.scope === 'alliance' ? 'everyone on the node' : `members of ${l.member ?? 'the node'}`}</td>
                <td className="num">{countText(l.entries)}</td>
                <td className="small">{when(l.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface IndexStatus {
  ready: boolean;
  indicators: number;
  keys: number;
  compiled_patterns: number;
  unanchored_patterns: number;
  dead_slots: number;
  not_indexed: number;
  rebuilt_at: string | null;
  rebuild_ms: number | null;
  following_store: boolean;
  context_ready: boolean;
}

export function IndexState() {
  const [status, setStatus] = useState<IndexStatus | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const load = () => {
    setLoading(true);
    setError('');
    api<IndexStatus>('/api/v1/detect/status')
      .then(setStatus)
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setLoading(false));
  };
  useEffect(load, []);
  const rows: Array<[string, string]> = status
    ? [
        ['State', status.ready ? 'ready' : 'building'],
        ['Indicators held', countText(status.indicators)],
        ['Values (keys)', countText(status.keys)],
        ['Patterns for the evaluator', countText(status.compiled_patterns)],
        ['Patterns no value anchors', countText(status.unanchored_patterns)],
        ['Indicators not indexed', countText(status.not_indexed)],
        ['Replaced slots', countText(status.dead_slots)],
        ['Last built', status.rebuilt_at ? `${when(status.rebuilt_at)}${status.rebuild_ms !== null ? ` in ${countText(status.rebuild_ms)} ms` : ''}` : 'not yet'],
        ['Following the store', status.following_store ? 'yes' : 'no'],
        ['Context filter', status.context_ready ? 'ready' : 'filling'],
      ]
    : [];
  return (
    <>
      <ErrorNote error={error} title="The index status could not be read" />
      {loading && !status && <Loading what="the index status" />}
      {status && (
        <table className="props">
          <caption className="sr-only">Detection index</caption>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td className={k === 'State' ? (status.ready ? 'status-ok' : 'status-bad') : undefined}>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <button type="button" className="secondary" onClick={load} disabled={loading}>
          {loading ? 'Reading…' : 'Refresh'}
        </button>
      </p>
    </>
  );
}
