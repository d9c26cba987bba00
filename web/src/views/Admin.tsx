/**
 * Administration, in tabs: users, tokens and credential requests for member and node
 * administrators (directory:write); a member administrator's own points of contact; members,
 * peer nodes and TAXII collections for node administrators. A tab, and an action within it, is
 * offered only to those whose permissions allow it; the node still decides and its refusal is
 * shown as it says it.
 */
import { setParams, useRoute } from '../router.js';
import { useSession } from '../session.js';
import { Collections } from './admin/Collections.js';
import { MembersAdmin, OwnContacts } from './admin/MembersAdmin.js';
import { Peers } from './admin/Peers.js';
import { Requests } from './admin/Requests.js';
import { Tokens } from './admin/Tokens.js';
import { Users } from './admin/Users.js';
import { Tabs, type Tab } from './common/widgets.js';
import './views.css';

export function Admin() {
  const session = useSession();
  const route = useRoute();
  const directoryWrite = session.can('directory:write');
  const nodeAdmin = session.hasRole('node-admin') && session.can('node:read');
  const tabs: Tab[] = [];
  if (directoryWrite) {
    tabs.push({ id: 'users', title: 'Users', render: () => <Users /> });
    tabs.push({ id: 'tokens', title: 'API tokens', render: () => <Tokens /> });
  }
  if (session.can('directory:read') && (directoryWrite || nodeAdmin)) tabs.push({ id: 'requests', title: 'Credential requests', render: () => <Requests /> });
  if (directoryWrite && !nodeAdmin && session.memberCode) tabs.push({ id: 'contacts', title: 'Points of contact', render: () => <OwnContacts /> });
  if (nodeAdmin) {
    tabs.push({ id: 'members', title: 'Members', render: () => <MembersAdmin /> });
    tabs.push({ id: 'peers', title: 'Peer nodes', render: () => <Peers /> });
    if (session.can('intel:read')) tabs.push({ id: 'collections', title: 'TAXII collections', render: () => <Collections /> });
  }
  const selected = route.params.get('tab') ?? tabs[0]?.id ?? '';
  return (
    <div className="view admin" data-ready="true">
      <h1>Administration</h1>
      {tabs.length === 0 ? <p className="empty">Your roles give you nothing to administer here.</p> : <Tabs label="Administration" tabs={tabs} selected={selected} onSelect={(tab) => setParams({ tab })} />}
    </div>
  );
}
