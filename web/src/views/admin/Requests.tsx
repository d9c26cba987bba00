/**
 * Credential requests (two-person rule): tokens and passwords a node administrator asked for,
 * waiting for a second node administrator or the user it names. The asker cannot approve its own
 * request (the node refuses it, so the button is not offered); anyone who may decide can decline.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, apiPages, query } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';
import { ConfirmButton, type CredentialRequest } from './shared.js';

const STATUSES = ['pending', 'approved', 'declined', 'lapsed', ''] as const;

export function Requests() {
  const session = useSession();
  const me = session.me.user;
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('pending');
  const [requests, setRequests] = useState<CredentialRequest[] | null>(null);
  const [error, setError] = useState('');
  const [actionError, setActionError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState<number | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    setRequests(null);
    setError('');
    apiPages<CredentialRequest, 'requests'>(`/api/v1/credential-requests${query({ status })}`, 'requests')
      .then((a) => live && setRequests(a.rows))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [status, generation]);

  const decide = async (r: CredentialRequest, decision: 'approve' | 'decline') => {
    setBusy(r.id);
    setActionError('');
    setNotice('');
    try {
      const after = await api<CredentialRequest>(`/api/v1/credential-requests/${r.id}/${decision}`, { method: 'POST' });
      setNotice(`Request #${after.id} ${after.status}: ${after.kind === 'token' ? `token ${after.tokenName ?? ''} ${after.status === 'approved' ? 'now works' : 'never works'}` : `password ${after.status === 'approved' ? 'set' : 'not set'}`} for ${after.user}.`);
      reload();
    } catch (err) {
      setActionError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="requests-h">
      <h2 id="requests-h">Credential requests</h2>
      <p className="muted small">
        Under the two-person rule, a token or password a node administrator asks for a member&apos;s user (or one cleared above it) takes effect only when a second node administrator, or the user,
        approves it within 24 hours.
      </p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="requests-status">Show</label>
          <select id="requests-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'all requests' : `${s} requests`}
              </option>
            ))}
          </select>
        </div>
      </div>
      {notice && (
        <p className="status-ok" role="status">
          {notice}
        </p>
      )}
      <ErrorNote error={actionError} title="The node refused" />
      <ErrorNote error={error} title="The requests could not be read" />
      {!requests && !error && <Loading what="the requests" />}
      {requests && requests.length === 0 && <p className="empty">No {status} request.</p>}
      {requests && requests.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="sr-only">Credential requests</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">For</th>
                <th scope="col">Asked by</th>
                <th scope="col">Why a second person</th>
                <th scope="col">State</th>
                <th scope="col">Decide</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => {
                const own = r.requestedBy === me;
                return (
                  <tr key={r.id}>
                    <th scope="row">
                      #{r.id} {r.kind === 'token' ? `token ${r.tokenName ?? ''}` : 'password'}
                      <div className="muted small">asked {when(r.createdAt)}</div>
                    </th>
                    <td>{r.user}</td>
                    <td>{r.requestedBy}</td>
                    <td className="small">{r.reason}</td>
                    <td>
                      <span className={r.status === 'pending' ? 'listed' : r.status === 'approved' ? 'status-ok' : 'muted'}>{r.status}</span>
                      <div className="muted small">{r.status === 'pending' ? `lapses ${when(r.lapsesAt)}` : r.decidedBy ? `by ${r.decidedBy} ${when(r.decidedAt)}` : ''}</div>
                    </td>
                    <td>
                      {r.status === 'pending' && (
                        <span className="actions">
                          {own ? (
                            <span className="muted small">You asked: another node administrator or {r.user} approves. </span>
                          ) : (
                            <button type="button" onClick={() => void decide(r, 'approve')} disabled={busy === r.id} aria-label={`Approve request ${r.id} for ${r.user}`}>
                              Approve
                            </button>
                          )}{' '}
                          <ConfirmButton label="Decline" ariaLabel={`Decline request ${r.id} for ${r.user}`} confirm={`Decline #${r.id}`} onConfirm={() => void decide(r, 'decline')} disabled={busy === r.id} />
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
