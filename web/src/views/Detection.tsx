/**
 * Detection: is a value known (lookup), which events of a log match (bulk matching), and what
 * shapes the answers (the warning lists, the detection index). Every answer is the node's, within
 * the user's need-to-know.
 */
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { useSession } from '../session.js';
import { IndexState, WarningLists } from './detection/Lists.js';
import { Lookup, type Identities } from './detection/Lookup.js';
import { Match } from './detection/Match.js';
import './views.css';

/** Members by their STIX identity, so that creators are named as members (when the directory may be read). */
function useIdentities(allowed: boolean): Identities {
  const [identities, setIdentities] = useState<Identities>(new Map());
  useEffect(() => {
    if (!allowed) return;
    let live = true;
    api<{ members: Array<{ code: string; name: string; identityId: string | null }> }>('/api/v1/members')
      .then((a) => {
        if (live) setIdentities(new Map(a.members.filter((m) => m.identityId).map((m) => [m.identityId!, { code: m.code, name: m.name }])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [allowed]);
  return identities;
}

export function Detection() {
  const session = useSession();
  const identities = useIdentities(session.can('directory:read'));
  return (
    <div className="view detection" data-ready="true">
      <h1>Detection</h1>
      <section className="panel" aria-labelledby="lookup-h">
        <h2 id="lookup-h">Look up values</h2>
        <Lookup identities={identities} />
      </section>
      <section className="panel" aria-labelledby="match-h">
        <h2 id="match-h">Match a log</h2>
        <Match />
      </section>
      <div className="grid">
        {session.can('warninglist:read') && (
          <section className="panel" aria-labelledby="lists-h">
            <h2 id="lists-h">Warning lists</h2>
            <WarningLists />
          </section>
        )}
        {session.can('node:read') && (
          <section className="panel" aria-labelledby="index-h">
            <h2 id="index-h">Detection index</h2>
            <IndexState />
          </section>
        )}
      </div>
    </div>
  );
}
