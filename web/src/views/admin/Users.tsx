/**
 * Users of the members the caller administers: the list, a new user (member, clearance, roles),
 * and a password set or, under the two-person rule, asked for (202: a credential request that a
 * second node administrator or the user approves).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, apiPages, request } from '../../api.js';
import { CLASSIFICATIONS } from '../../handling.js';
import { useSession } from '../../session.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';
import { clearanceText, NODE_ONLY_ROLES, PendingNote, ROLES, useMembers, type PendingCredential } from './shared.js';

export interface User {
  name: string;
  member: string | null;
  clearance: number;
  roles: string[];
}

export function useUsers(): { users: User[] | null; error: string; reload: () => void } {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    apiPages<User, 'users'>('/api/v1/users', 'users')
      .then((a) => live && setUsers([...a.rows].sort((x, y) => (x.member ?? '').localeCompare(y.member ?? '') || x.name.localeCompare(y.name))))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [generation]);
  return { users, error, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

function PasswordForm(props: { user: string; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [outcome, setOutcome] = useState<{ set: true } | { pending: PendingCredential } | null>(null);
  const id = `pw-${props.user.replace(/[^a-z0-9]/g, '-')}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const response = await request(`/api/v1/users/${encodeURIComponent(props.user)}/password`, { method: 'PUT', body: { password } });
      setOutcome(response.status === 202 ? { pending: (await response.json()) as PendingCredential } : { set: true });
      setPassword('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="inline-form">
      {!outcome && (
        <form onSubmit={(e) => void submit(e)} aria-label={`Set the password of ${props.user}`}>
          <div className="toolbar">
            <div className="field">
              <label htmlFor={id}>New password for {props.user}</label>
              <input id={id} type="password" autoComplete="new-password" minLength={12} maxLength={1024} required value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={`${id}-hint`} />
            </div>
            <button type="submit" disabled={busy}>
              {busy ? 'Setting…' : 'Set password'}
            </button>
            <button type="button" className="secondary" onClick={props.onDone}>
              Cancel
            </button>
          </div>
          <p id={`${id}-hint`} className="muted small">
            At least 12 characters. Setting it ends the user&apos;s sessions. A node administrator setting the password of a member&apos;s user only asks for it: it is set once a second person approves.
          </p>
        </form>
      )}
      {outcome && 'set' in outcome && (
        <p className="status-ok" role="status">
          Password of {props.user} set; the user&apos;s sessions have ended.
        </p>
      )}
      {outcome && 'pending' in outcome && <PendingNote pending={outcome.pending} what="password" />}
      {outcome && (
        <button type="button" className="secondary" onClick={props.onDone}>
          Close
        </button>
      )}
      <ErrorNote error={error} title="The password was not set" />
    </div>
  );
}

function CreateUser(props: { onCreated: () => void }) {
  const session = useSession();
  const nodeAdmin = session.hasRole('node-admin');
  const { members } = useMembers();
  const [name, setName] = useState('');
  const [member, setMember] = useState(nodeAdmin ? '' : (session.memberCode ?? ''));
  const [clearance, setClearance] = useState(0);
  const [roles, setRoles] = useState<string[]>(['analyst']);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState('');
  const maxClearance = nodeAdmin ? CLASSIFICATIONS.length - 1 : session.me.clearance;
  const offered = ROLES.filter((r) => nodeAdmin || !NODE_ONLY_ROLES.includes(r));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setCreated('');
    if (roles.length === 0) {
      setError('Give the user at least one role.');
      return;
    }
    setBusy(true);
    try {
      const user = await api<User>('/api/v1/users', { method: 'POST', body: { name, member: member || null, clearance, roles, ...(password ? { password } : {}) } });
      setCreated(`User ${user.name} created${user.member ? ` for ${user.member}` : ''}.`);
      setName('');
      setPassword('');
      props.onCreated();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="user-new-h" className="admin-form">
      <h3 id="user-new-h">New user</h3>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="user-name">User name</label>
          <input id="user-name" required pattern="[a-z0-9][a-z0-9._@\-]{0,63}" maxLength={64} value={name} onChange={(e) => setName(e.target.value)} aria-describedby="user-name-hint" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="user-member">Member</label>
          {nodeAdmin ? (
            <select id="user-member" value={member} onChange={(e) => setMember(e.target.value)}>
              <option value="">none (a node user: reads TLP:CLEAR only)</option>
              {(members ?? []).map((m) => (
                <option key={m.code} value={m.code}>
                  {m.code}: {m.name}
                </option>
              ))}
            </select>
          ) : (
            <input id="user-member" value={member} readOnly aria-readonly="true" size={10} />
          )}
        </div>
        <div className="field">
          <label htmlFor="user-clearance">Clearance</label>
          <select id="user-clearance" value={clearance} onChange={(e) => setClearance(Number(e.target.value))}>
            {CLASSIFICATIONS.slice(0, maxClearance + 1).map((c, i) => (
              <option key={c} value={i}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="user-password">Password (optional)</label>
          <input id="user-password" type="password" autoComplete="new-password" minLength={12} maxLength={1024} value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
      </div>
      <fieldset className="checks">
        <legend>Roles</legend>
        {offered.map((r) => (
          <label key={r}>
            <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles((rs) => (e.target.checked ? [...rs, r] : rs.filter((x) => x !== r)))} /> {r}
          </label>
        ))}
      </fieldset>
      <p id="user-name-hint" className="muted small">
        Lower-case letters, digits and . _ @ -. {nodeAdmin ? "A member's user gets its password afterwards (two-person rule): leave the password empty." : 'At most your own clearance; never auditor or node-admin.'}
      </p>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create user'}
      </button>
      {created && (
        <p className="status-ok" role="status">
          {created}
        </p>
      )}
      <ErrorNote error={error} title="The user was not created" />
    </form>
  );
}

export function Users() {
  const session = useSession();
  const { users, error, reload } = useUsers();
  const [editing, setEditing] = useState<string | null>(null);
  const mayWrite = session.can('directory:write');
  return (
    <section aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <ErrorNote error={error} title="The users could not be read" />
      {!users && !error && <Loading what="the users" />}
      {users && (
        <div className="table-scroll">
          <table>
            <caption className="sr-only">Users you administer</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Member</th>
                <th scope="col">Clearance</th>
                <th scope="col">Roles</th>
                {mayWrite && <th scope="col">Password</th>}
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.name}>
                  <th scope="row">{u.name}</th>
                  <td>{u.member ?? <span className="muted">none (node)</span>}</td>
                  <td>{clearanceText(u.clearance)}</td>
                  <td>{u.roles.join(', ')}</td>
                  {mayWrite && (
                    <td>
                      {editing === u.name ? (
                        <PasswordForm user={u.name} onDone={() => setEditing(null)} />
                      ) : (
                        <button type="button" className="secondary" onClick={() => setEditing(u.name)} aria-label={`Set password of ${u.name}`}>
                          Set password
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mayWrite && <CreateUser onCreated={reload} />}
    </section>
  );
}
