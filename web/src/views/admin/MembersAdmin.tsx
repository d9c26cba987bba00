/**
 * Members of the node for node administrators: the list, a new member, changes to one (only the
 * fields changed are sent: PATCH keeps the rest), and named groups. A member administrator edits
 * its own member's points of contact (OwnContacts).
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useSession } from '../../session.js';
import { ContactList, KIND_NAMES, type Contact, type Member } from '../Members.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';
import { useMembers } from './shared.js';

const KINDS = ['ally', 'partner', 'international-organisation', 'industry'] as const;
const CODE_PATTERN = '[A-Z0-9][A-Z0-9_\\-]{0,31}';
const IDENTITY_PATTERN = 'identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const NO_CONTACT: Contact = { role: '', name: '', email: '', phone: '', available_24_7: false };

/** Points of contact as a list of small forms: add, change, remove. */
export function ContactsEditor(props: { idBase: string; contacts: Contact[]; onChange: (contacts: Contact[]) => void }) {
  const set = (i: number, change: Partial<Contact>) => props.onChange(props.contacts.map((c, n) => (n === i ? { ...c, ...change } : c)));
  return (
    <div className="contacts-editor">
      {props.contacts.map((c, i) => {
        const id = `${props.idBase}-c${i}`;
        return (
          <fieldset key={i} className="contact-fields">
            <legend>Point of contact {i + 1}</legend>
            <div className="toolbar">
              <div className="field">
                <label htmlFor={`${id}-name`}>Name</label>
                <input id={`${id}-name`} required maxLength={200} value={c.name} onChange={(e) => set(i, { name: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor={`${id}-role`}>Role</label>
                <input id={`${id}-role`} required maxLength={100} value={c.role} onChange={(e) => set(i, { role: e.target.value })} placeholder="CERT duty officer" />
              </div>
              <div className="field">
                <label htmlFor={`${id}-email`}>E-mail</label>
                <input id={`${id}-email`} type="email" required maxLength={254} value={c.email} onChange={(e) => set(i, { email: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor={`${id}-phone`}>Telephone</label>
                <input id={`${id}-phone`} type="tel" required pattern="\+?[0-9 \(\)\.\/\-]{5,30}" value={c.phone} onChange={(e) => set(i, { phone: e.target.value })} placeholder="+49 228 99 9582 0" />
              </div>
              <label className="check">
                <input type="checkbox" checked={c.available_24_7} onChange={(e) => set(i, { available_24_7: e.target.checked })} /> 24/7
              </label>
              <button type="button" className="secondary" onClick={() => props.onChange(props.contacts.filter((_, n) => n !== i))} aria-label={`Remove point of contact ${i + 1}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" className="secondary" onClick={() => props.onChange([...props.contacts, { ...NO_CONTACT }])}>
        Add a point of contact
      </button>
    </div>
  );
}

interface Draft {
  code: string;
  name: string;
  kind: Member['kind'];
  country: string;
  identity: string;
  contacts: Contact[];
}

function draftOf(m: Member | null): Draft {
  return { code: m?.code ?? '', name: m?.name ?? '', kind: m?.kind ?? 'ally', country: m?.country ?? '', identity: m?.identityId ?? '', contacts: m?.contacts.map((c) => ({ ...c })) ?? [] };
}

/** A new member (POST) or the changed fields of one (PATCH). */
function MemberForm(props: { member: Member | null; onSaved: (message: string) => void; onCancel?: () => void }) {
  const original = props.member;
  const [d, setD] = useState<Draft>(() => draftOf(original));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const base = original ? `edit-${original.code}` : 'new-member';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      if (!original) {
        await api('/api/v1/members', {
          method: 'POST',
          body: { code: d.code, name: d.name, kind: d.kind, ...(d.country ? { country: d.country } : {}), ...(d.identity ? { identity_id: d.identity } : {}), contacts: d.contacts },
        });
        props.onSaved(`Member ${d.code} added.`);
        setD(draftOf(null));
      } else {
        const changes: Record<string, unknown> = {};
        if (d.name !== original.name) changes.name = d.name;
        if (d.kind !== original.kind) changes.kind = d.kind;
        if (d.country !== (original.country ?? '')) changes.country = d.country || null;
        if (d.identity !== (original.identityId ?? '')) changes.identity_id = d.identity || null;
        if (JSON.stringify(d.contacts) !== JSON.stringify(original.contacts)) changes.contacts = d.contacts;
        if (Object.keys(changes).length === 0) {
          setError('Nothing was changed.');
          return;
        }
        await api(`/api/v1/members/${encodeURIComponent(original.code)}`, { method: 'PATCH', body: changes });
        props.onSaved(`Member ${original.code} changed (${Object.keys(changes).join(', ')}).`);
      }
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="admin-form" aria-label={original ? `Change member ${original.code}` : 'New member'}>
      <div className="toolbar">
        <div className="field">
          <label htmlFor={`${base}-code`}>Code</label>
          <input id={`${base}-code`} required pattern={CODE_PATTERN} maxLength={32} size={10} value={d.code} readOnly={!!original} onChange={(e) => setD({ ...d, code: e.target.value.toUpperCase() })} />
        </div>
        <div className="field grow">
          <label htmlFor={`${base}-name`}>Name</label>
          <input id={`${base}-name`} required maxLength={200} value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${base}-kind`}>Kind</label>
          <select id={`${base}-kind`} value={d.kind} onChange={(e) => setD({ ...d, kind: e.target.value as Member['kind'] })}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_NAMES[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${base}-country`}>Country (ISO 3166 alpha-2)</label>
          <input id={`${base}-country`} size={4} maxLength={3} value={d.country} onChange={(e) => setD({ ...d, country: e.target.value.toUpperCase() })} placeholder="DE" />
        </div>
        <div className="field grow">
          <label htmlFor={`${base}-identity`}>STIX identity</label>
          <input id={`${base}-identity`} pattern={IDENTITY_PATTERN} value={d.identity} onChange={(e) => setD({ ...d, identity: e.target.value.trim() })} placeholder="identity--…" size={44} />
        </div>
      </div>
      <ContactsEditor idBase={base} contacts={d.contacts} onChange={(contacts) => setD({ ...d, contacts })} />
      <div className="toolbar form-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : original ? 'Save changes' : 'Add member'}
        </button>
        {props.onCancel && (
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
      <ErrorNote error={error} title={original ? 'Not changed' : 'Not added'} />
    </form>
  );
}

function GroupForm(props: { members: Member[]; onSaved: (message: string) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [codes, setCodes] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      await api(`/api/v1/groups/${encodeURIComponent(name)}`, { method: 'PUT', body: { members: codes, ...(description ? { description } : {}) } });
      props.onSaved(`Group ${name}: ${codes.length} member${codes.length === 1 ? '' : 's'} added.`);
      setCodes([]);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="admin-form" aria-labelledby="group-h">
      <h3 id="group-h">Add members to a group</h3>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="group-name">Group (made if new)</label>
          <input id="group-name" required pattern={CODE_PATTERN} maxLength={32} value={name} onChange={(e) => setName(e.target.value.toUpperCase())} placeholder="NORDIC" />
        </div>
        <div className="field grow">
          <label htmlFor="group-description">Description (kept when empty)</label>
          <input id="group-description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
      </div>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="group-members">Members</label>
          <select id="group-members" multiple size={6} value={codes} onChange={(e) => setCodes([...e.currentTarget.selectedOptions].map((o) => o.value))}>
            {props.members.map((m) => (
              <option key={m.code} value={m.code}>
                {m.code}: {m.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy || codes.length === 0}>
          {busy ? 'Saving…' : 'Add to group'}
        </button>
      </div>
      <ErrorNote error={error} title="The group was not changed" />
    </form>
  );
}

export function MembersAdmin() {
  const session = useSession();
  const { members, error, reload } = useMembers();
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const mayWrite = session.can('directory:write');
  const saved = (message: string) => {
    setNotice(message);
    setEditing(null);
    reload();
  };
  return (
    <section aria-labelledby="members-admin-h">
      <h2 id="members-admin-h">Members</h2>
      {notice && (
        <p className="status-ok" role="status">
          {notice}
        </p>
      )}
      <ErrorNote error={error} title="The members could not be read" />
      {!members && !error && <Loading what="the members" />}
      {members && (
        <div className="table-scroll">
          <table>
            <caption className="sr-only">Members of this node</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Groups</th>
                <th scope="col">Points of contact</th>
                {mayWrite && <th scope="col">Change</th>}
              </tr>
            </thead>
            <tbody>
              {members.map((m) =>
                editing === m.code ? (
                  <tr key={m.code}>
                    <td colSpan={mayWrite ? 6 : 5}>
                      <MemberForm member={m} onSaved={saved} onCancel={() => setEditing(null)} />
                    </td>
                  </tr>
                ) : (
                  <tr key={m.code}>
                    <th scope="row">
                      <code>{m.code}</code>
                    </th>
                    <td>
                      {m.name}
                      <div className="muted small">
                        {m.country ? `country ${m.country}` : 'no country'} · {m.identityId ? <code>{m.identityId}</code> : 'no STIX identity'}
                      </div>
                    </td>
                    <td>{KIND_NAMES[m.kind] ?? m.kind}</td>
                    <td>{m.groups.join(', ') || <span className="muted">none</span>}</td>
                    <td>
                      <ContactList contacts={m.contacts} />
                    </td>
                    {mayWrite && (
                      <td>
                        <button type="button" className="secondary" onClick={() => setEditing(m.code)} aria-label={`Change member ${m.code}`}>
                          Change
                        </button>
                      </td>
                    )}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      {mayWrite && (
        <>
          <h3>New member</h3>
          <MemberForm member={null} onSaved={saved} />
          {members && <GroupForm members={members} onSaved={saved} />}
        </>
      )}
    </section>
  );
}

/** A member administrator's own member: its points of contact. */
export function OwnContacts() {
  const session = useSession();
  const { members, error, reload } = useMembers();
  const own = members?.find((m) => m.code === session.memberCode) ?? null;
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState('');
  const [notice, setNotice] = useState('');
  const current = contacts ?? own?.contacts ?? [];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!own) return;
    setBusy(true);
    setSaveError('');
    setNotice('');
    try {
      await api(`/api/v1/members/${encodeURIComponent(own.code)}`, { method: 'PATCH', body: { contacts: current } });
      setNotice('Points of contact saved.');
      setContacts(null);
      reload();
    } catch (err) {
      setSaveError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="own-contacts-h">
      <h2 id="own-contacts-h">Points of contact of {session.memberCode}</h2>
      <ErrorNote error={error} title="The directory could not be read" />
      {!members && !error && <Loading what="your member" />}
      {members && !own && <p className="empty">Your member is not in the directory.</p>}
      {own && (
        <form onSubmit={(e) => void submit(e)} className="admin-form" aria-label="Points of contact">
          <ContactsEditor idBase="own" contacts={current} onChange={setContacts} />
          <div className="toolbar form-actions">
            <button type="submit" disabled={busy || contacts === null}>
              {busy ? 'Saving…' : 'Save points of contact'}
            </button>
          </div>
          {notice && (
            <p className="status-ok" role="status">
              {notice}
            </p>
          )}
          <ErrorNote error={saveError} title="Not saved" />
        </form>
      )}
    </section>
  );
}
