/**
 * The members directory: who is in the alliance on this node, of what kind, in which groups, and
 * whom to call (points of contact, with their e-mail and telephone as links). A filter narrows it
 * by any of these; the groups show who shares with whom.
 */
import { useMemo } from 'react';
import { setParams, useRoute } from '../router.js';
import { useMembers } from './admin/shared.js';
import { ErrorNote, Loading } from './common/widgets.js';
import './views.css';

export interface Contact {
  role: string;
  name: string;
  email: string;
  phone: string;
  available_24_7: boolean;
}

export interface Member {
  code: string;
  name: string;
  kind: 'ally' | 'partner' | 'international-organisation' | 'industry';
  country: string | null;
  identityId: string | null;
  groups: string[];
  contacts: Contact[];
}

export const KIND_NAMES: Record<string, string> = {
  ally: 'Ally',
  partner: 'Partner',
  'international-organisation': 'International organisation',
  industry: 'Industry',
};

function telHref(phone: string): string {
  return `tel:${phone.replace(/[^+0-9]/g, '')}`;
}

export function ContactList(props: { contacts: readonly Contact[] }) {
  if (props.contacts.length === 0) return <span className="muted small">No point of contact given.</span>;
  return (
    <ul className="contacts">
      {props.contacts.map((c, i) => (
        <li key={`${c.email}-${i}`}>
          <strong>{c.name}</strong>, {c.role}
          {c.available_24_7 && (
            <span className="pill pill-strong" title="Reachable round the clock">
              24/7
            </span>
          )}
          <br />
          <a href={`mailto:${encodeURIComponent(c.email)}`}>{c.email}</a> · <a href={telHref(c.phone)}>{c.phone}</a>
        </li>
      ))}
    </ul>
  );
}

function matches(m: Member, words: string[]): boolean {
  if (words.length === 0) return true;
  const text = [m.code, m.name, m.kind, KIND_NAMES[m.kind] ?? '', m.country ?? '', ...m.groups, ...m.contacts.flatMap((c) => [c.name, c.role, c.email, c.phone])].join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

export function Members() {
  const route = useRoute();
  const filter = route.params.get('q') ?? '';
  const group = route.params.get('group') ?? '';
  const { members, error } = useMembers();

  const groups = useMemo(() => {
    const by = new Map<string, string[]>();
    for (const m of members ?? []) for (const g of m.groups) by.set(g, [...(by.get(g) ?? []), m.code]);
    return [...by].sort((a, b) => a[0].localeCompare(b[0]));
  }, [members]);
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = (members ?? []).filter((m) => matches(m, words) && (!group || m.groups.includes(group)));

  return (
    <div className="view members" data-ready={members || error ? 'true' : 'false'}>
      <h1>Members</h1>
      <ErrorNote error={error} title="The directory could not be read" />
      {!members && !error && <Loading what="the members" />}
      {members && (
        <>
          <div className="toolbar" role="search">
            <div className="field">
              <label htmlFor="members-filter">Filter</label>
              <input id="members-filter" type="search" value={filter} onChange={(e) => setParams({ q: e.target.value })} placeholder="code, name, kind, group, contact" size={30} />
            </div>
            <div className="field">
              <label htmlFor="members-group">Group</label>
              <select id="members-group" value={group} onChange={(e) => setParams({ group: e.target.value })}>
                <option value="">every group</option>
                {groups.map(([g]) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </select>
            </div>
            <p className="muted small" role="status">
              {shown.length} of {members.length} members
            </p>
          </div>
          <section className="panel" aria-labelledby="members-h">
            <h2 id="members-h">Directory</h2>
            {shown.length === 0 ? (
              <p className="empty">No member matches this filter.</p>
            ) : (
              <div className="table-scroll">
                <table className="members-table">
                  <caption className="sr-only">Members of this node</caption>
                  <thead>
                    <tr>
                      <th scope="col">Code</th>
                      <th scope="col">Name</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Groups</th>
                      <th scope="col">Points of contact</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((m) => (
                      <tr key={m.code} id={`member-${m.code}`}>
                        <th scope="row">
                          <code>{m.code}</code>
                        </th>
                        <td>
                          {m.name}
                          {m.country && <div className="muted small">country {m.country}</div>}
                        </td>
                        <td>{KIND_NAMES[m.kind] ?? m.kind}</td>
                        <td>
                          {m.groups.length === 0 ? (
                            <span className="muted small">none</span>
                          ) : (
                            <ul className="inline-list">
                              {m.groups.map((g) => (
                                <li key={g}>
                                  <button type="button" className="linklike" onClick={() => setParams({ group: g })} aria-label={`Show the members of group ${g}`}>
                                    {g}
                                  </button>
                                </li>
                              ))}
                            </ul>
                          )}
                        </td>
                        <td>
                          <ContactList contacts={m.contacts} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section className="panel" aria-labelledby="groups-h">
            <h2 id="groups-h">Groups</h2>
            {groups.length === 0 ? (
              <p className="empty">No groups.</p>
            ) : (
              <dl className="groups">
                {groups.map(([g, codes]) => (
                  <div key={g}>
                    <dt>
                      {g} <span className="muted small">({codes.length})</span>
                    </dt>
                    <dd>{codes.join(', ')}</dd>
                  </div>
                ))}
              </dl>
            )}
          </section>
        </>
      )}
    </div>
  );
}
