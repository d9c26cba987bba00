/**
 * Peer nodes and how federation with each goes: last pull and push (and the last that
 * succeeded), counts, failures in a row and the last error; a sync on demand (pull and push now;
 * the node answers 502 with the peer's failure, which the peer's status then keeps); enabling and
 * disabling a peer. A peer registered or widened beyond what one administrator may give waits,
 * disabled, for a second one (the two-person rule): the one who registered or widened it is told
 * so instead of offered the button, and the node refuses it anyway (403).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, query } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { countText, messageOf } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';
import { ConfirmButton, clearanceText } from './shared.js';

interface PeerStatus {
  name: string;
  certificate_cn: string;
  members: string[];
  clearance: number;
  roles: string[];
  url: string | null;
  pull_collection: string | null;
  push_collection: string | null;
  direction: string;
  interval_s: number;
  disabled: boolean;
  /** Who registered or widened it since it was last enabled: another node administrator enables it. */
  awaiting_approval_by: string[];
  pulled: number;
  pushed: number;
  refused: number;
  push_refused: number;
  last_pull_at: string | null;
  last_push_at: string | null;
  pull_ok_at: string | null;
  push_ok_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: number;
  errors: number;
}

interface SyncResult {
  peer: string;
  pull?: { objects: number; accepted: number; pages: number; duplicate: number; rejected: number; rejections: string[] };
  push?: { objects: number; accepted: number; refused: number; echoes: number; requests: number };
}

function syncText(r: SyncResult): string {
  const parts: string[] = [];
  if (r.pull) parts.push(`pulled ${countText(r.pull.objects)} objects in ${countText(r.pull.pages)} pages (${countText(r.pull.accepted)} accepted, ${countText(r.pull.duplicate)} duplicate, ${countText(r.pull.rejected)} rejected)`);
  if (r.push) parts.push(`pushed ${countText(r.push.objects)} objects in ${countText(r.push.requests)} requests (${countText(r.push.accepted)} accepted, ${countText(r.push.refused)} refused)`);
  return `Sync with ${r.peer}: ${parts.join('; ') || 'nothing to do'}.`;
}

function Last(props: { at: string | null; ok: string | null }) {
  if (!props.at) return <span className="muted">never</span>;
  const failed = props.ok !== props.at;
  return (
    <>
      <span className={failed ? 'status-bad' : 'status-ok'}>{when(props.at)}</span>
      {failed && <div className="small muted">{props.ok ? `last success ${when(props.ok)}` : 'never succeeded'}</div>}
    </>
  );
}

export function Peers() {
  const session = useSession();
  const [peers, setPeers] = useState<PeerStatus[] | null>(null);
  const [error, setError] = useState('');
  const [syncing, setSyncing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [syncError, setSyncError] = useState('');
  const [switching, setSwitching] = useState<string | null>(null);
  const [switchError, setSwitchError] = useState('');
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    api<{ peers: PeerStatus[] }>('/api/v1/peers')
      .then((a) => live && setPeers(a.peers))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [generation]);
  const sync = async (p: PeerStatus, direction?: 'pull' | 'push') => {
    setSyncing(p.name);
    setNotice('');
    setSyncError('');
    try {
      setNotice(syncText(await api<SyncResult>(`/api/v1/peers/${encodeURIComponent(p.name)}/sync${query({ direction })}`, { method: 'POST' })));
    } catch (err) {
      setSyncError(messageOf(err));
    } finally {
      setSyncing(null);
      reload();
    }
  };
  const switchPeer = async (p: PeerStatus, action: 'enable' | 'disable') => {
    setSwitching(p.name);
    setNotice('');
    setSwitchError('');
    try {
      const after = await api<PeerStatus>(`/api/v1/peers/${encodeURIComponent(p.name)}/${action}`, { method: 'POST' });
      setNotice(`Peer ${after.name} ${after.disabled ? 'disabled: it is not synced, and its certificate is refused' : 'enabled'}.`);
    } catch (err) {
      setSwitchError(messageOf(err));
    } finally {
      setSwitching(null);
      reload();
    }
  };
  const busy = syncing !== null || switching !== null;
  const mayWrite = session.can('directory:write');
  const me = session.me.user;
  return (
    <section aria-labelledby="peers-h">
      <h2 id="peers-h">Peer nodes</h2>
      <div className="toolbar">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setNotice('');
            reload();
          }}
        >
          Refresh
        </button>
      </div>
      {syncing && (
        <p role="status" className="muted">
          Syncing with {syncing}…
        </p>
      )}
      {notice && (
        <p className="status-ok" role="status">
          {notice}
        </p>
      )}
      <ErrorNote error={syncError} title="Sync failed" />
      <ErrorNote error={switchError} title="The node refused" />
      <ErrorNote error={error} title="The peers could not be read" />
      {!peers && !error && <Loading what="the peers" />}
      {peers && peers.length === 0 && (
        <p className="empty">
          No peer node is registered. Register one with <code>shieldwall peers add</code> or <code>POST /api/v1/peers</code> (docs/FEDERATION.md).
        </p>
      )}
      {peers && peers.length > 0 && (
        <div className="table-scroll">
          <table className="peers">
            <caption className="sr-only">Peer nodes and their sync state</caption>
            <thead>
              <tr>
                <th scope="col">Peer</th>
                <th scope="col">Last pull</th>
                <th scope="col">Last push</th>
                <th scope="col" className="num">
                  Pulled
                </th>
                <th scope="col" className="num">
                  Pushed
                </th>
                <th scope="col" className="num">
                  Refused
                </th>
                <th scope="col">Last error</th>
                {mayWrite && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {peers.map((p) => (
                <tr key={p.name}>
                  <th scope="row">
                    {p.name}
                    {p.disabled && <span className="pill"> disabled</span>}
                    {p.awaiting_approval_by.length > 0 && (
                      <div className="muted small">awaits a node administrator other than {p.awaiting_approval_by.join(', ')} to enable it (the two-person rule: what it reads, or where this node sends it, was widened)</div>
                    )}
                    <div className="muted small">
                      for {p.members.join(', ')} · {clearanceText(p.clearance)} · {p.direction}
                      {p.url ? ` every ${countText(p.interval_s)} s` : ''}
                    </div>
                    <div className="muted small wrap">{p.url ?? 'no TAXII server: the peer only connects to this node'}</div>
                  </th>
                  <td>
                    <Last at={p.last_pull_at} ok={p.pull_ok_at} />
                  </td>
                  <td>
                    <Last at={p.last_push_at} ok={p.push_ok_at} />
                  </td>
                  <td className="num">{countText(p.pulled)}</td>
                  <td className="num">{countText(p.pushed)}</td>
                  <td className="num">
                    {countText(p.refused)} in, {countText(p.push_refused)} out
                  </td>
                  <td className="small wrap">
                    {p.last_error ? (
                      <>
                        <span className="status-bad">{p.last_error}</span>
                        <div className="muted">
                          {when(p.last_error_at)}
                          {p.failures > 0 ? ` · ${p.failures} failure${p.failures === 1 ? '' : 's'} in a row` : ''}
                        </div>
                      </>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  {mayWrite && (
                    <td>
                      <span className="actions">
                        <button type="button" onClick={() => void sync(p)} disabled={busy || p.disabled || !p.url} aria-label={syncing === p.name ? undefined : `Sync now with ${p.name}`} title={!p.url ? 'This peer has no TAXII server to pull from or push to' : p.disabled ? 'This peer is disabled' : undefined}>
                          {syncing === p.name ? 'Syncing…' : 'Sync now'}
                        </button>{' '}
                        {!p.disabled ? (
                          <ConfirmButton label="Disable" ariaLabel={`Disable ${p.name}`} confirm={`Disable ${p.name}`} onConfirm={() => void switchPeer(p, 'disable')} disabled={busy} />
                        ) : me !== null && p.awaiting_approval_by.includes(me) ? (
                          <span className="muted small" data-testid="peer-own-widening">
                            You registered or widened it: another node administrator enables it.
                          </span>
                        ) : (
                          <button type="button" onClick={() => void switchPeer(p, 'enable')} disabled={busy} aria-label={`Enable ${p.name}`}>
                            Enable
                          </button>
                        )}
                      </span>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
