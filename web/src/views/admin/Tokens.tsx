/**
 * API tokens of the users the caller administers: the list (never their values), a new token
 * (its value shown once, to copy now), and revocation. A token a node administrator asks for a
 * member's user works only once its credential request is approved (two-person rule).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, apiPages, request } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { CopyButton, ErrorNote, Loading } from '../common/widgets.js';
import { ConfirmButton, PendingNote, type PendingCredential } from './shared.js';
import { useUsers } from './Users.js';

interface Token {
  id: number;
  name: string;
  user: string;
  memberCode: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  awaitingRequest: number | null;
}

interface Created {
  status: 'issued' | 'pending';
  id: number;
  name: string;
  user: string;
  token: string;
}

type CreatedAnswer = Created | (Omit<Created, 'status'> & PendingCredential);

function stateOf(t: Token, now: number): { text: string; className: string } {
  if (t.revokedAt) return { text: `revoked ${when(t.revokedAt)}`, className: 'muted' };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { text: `expired ${when(t.expiresAt)}`, className: 'muted' };
  if (t.awaitingRequest !== null) return { text: `awaiting approval (request #${t.awaitingRequest})`, className: 'listed' };
  return { text: 'active', className: 'status-ok' };
}

function Secret(props: { created: CreatedAnswer; onDismiss: () => void }) {
  const c = props.created;
  const input = useRef<HTMLInputElement>(null);
  // The value is selected at once, ready to copy, and scrolled into view below a long list.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const pending = c.status === 'pending' && 'request' in c ? (c as PendingCredential) : null;
  return (
    <div className="secret-box" role="region" aria-labelledby="token-secret-h">
      <h3 id="token-secret-h">Token {c.name} for {c.user}</h3>
      <p className="warning">
        <strong>Copy it now: this is the only time the node shows it.</strong> It is stored only as a hash; whoever holds it acts as {c.user}. Keep it in a secret store, never in a ticket or an e-mail.
      </p>
      <p>
        <label htmlFor="token-secret">Token value</label>
        <br />
        <input ref={input} id="token-secret" className="secret" readOnly value={c.token} size={Math.min(60, c.token.length + 2)} onFocus={(e) => e.currentTarget.select()} /> <CopyButton text={c.token} label="Copy the token" />
      </p>
      {pending && <PendingNote pending={pending} what="token" />}
      <button type="button" onClick={props.onDismiss}>
        I have stored it
      </button>
    </div>
  );
}

function CreateToken(props: { onCreated: () => void }) {
  const { users } = useUsers();
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState<CreatedAnswer | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const body = { name, user, ...(expires ? { expires_at: new Date(`${expires}T23:59:59.999Z`).toISOString() } : {}) };
      const response = await request('/api/v1/tokens', { method: 'POST', body });
      setCreated((await response.json()) as CreatedAnswer);
      setName('');
      props.onCreated();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (created) return <Secret created={created} onDismiss={() => setCreated(null)} />;
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="token-new-h" className="admin-form">
      <h3 id="token-new-h">New token</h3>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="token-name">Name (what it is for)</label>
          <input id="token-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="SIEM feed" />
        </div>
        <div className="field">
          <label htmlFor="token-user">User</label>
          <select id="token-user" required value={user} onChange={(e) => setUser(e.target.value)}>
            <option value="">choose a user</option>
            {(users ?? []).map((u) => (
              <option key={u.name} value={u.name}>
                {u.name}
                {u.member ? ` (${u.member})` : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-expires">Expires (optional)</label>
          <input id="token-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
      <ErrorNote error={error} title="The token was not created" />
    </form>
  );
}

export function Tokens() {
  const session = useSession();
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [error, setError] = useState('');
  const [actionError, setActionError] = useState('');
  const [notice, setNotice] = useState('');
  const [showAll, setShowAll] = useState(false);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    apiPages<Token, 'tokens'>('/api/v1/tokens', 'tokens')
      .then((a) => live && setTokens(a.rows))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [generation]);
  const revoke = async (t: Token) => {
    setActionError('');
    setNotice('');
    try {
      await api(`/api/v1/tokens/${t.id}`, { method: 'DELETE' });
      setNotice(`Token ${t.name} of ${t.user} revoked.`);
      reload();
    } catch (err) {
      setActionError(messageOf(err));
    }
  };
  const now = Date.now();
  const shown = (tokens ?? []).filter((t) => showAll || (!t.revokedAt && !(t.expiresAt && Date.parse(t.expiresAt) <= now)));
  const mayWrite = session.can('directory:write');
  return (
    <section aria-labelledby="tokens-h">
      <h2 id="tokens-h">API tokens</h2>
      <ErrorNote error={error} title="The tokens could not be read" />
      {!tokens && !error && <Loading what="the tokens" />}
      {tokens && (
        <>
          <label className="check">
            <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> Show revoked and expired tokens
          </label>
          {shown.length === 0 ? (
            <p className="empty">No token.</p>
          ) : (
            <div className="table-scroll">
              <table>
                <caption className="sr-only">API tokens of the users you administer</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">User</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">State</th>
                    {mayWrite && <th scope="col">Revoke</th>}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((t) => {
                    const state = stateOf(t, now);
                    return (
                      <tr key={t.id}>
                        <th scope="row">
                          {t.name} <span className="muted small">#{t.id}</span>
                        </th>
                        <td>
                          {t.user}
                          {t.memberCode ? <span className="muted small"> ({t.memberCode})</span> : null}
                        </td>
                        <td className="small">{when(t.createdAt)}</td>
                        <td className="small">{t.expiresAt ? when(t.expiresAt) : 'never'}</td>
                        <td className="small">{t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
                        <td className={state.className}>{state.text}</td>
                        {mayWrite && <td>{!t.revokedAt && <ConfirmButton label="Revoke" ariaLabel={`Revoke token ${t.name} of ${t.user}`} confirm={`Revoke ${t.name}`} onConfirm={() => void revoke(t)} />}</td>}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {notice && (
        <p className="status-ok" role="status">
          {notice}
        </p>
      )}
      <ErrorNote error={actionError} title="Not revoked" />
      {mayWrite && <CreateToken onCreated={reload} />}
    </section>
  );
}
