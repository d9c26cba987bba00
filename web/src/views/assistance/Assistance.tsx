/**
 * The assistance views under one route: the board (#/assistance), the standby rosters
 * (#/assistance/roster), the request form (#/assistance/new?incident=<id>, for
 * assistance:write) and a request's page (#/assistance/<id>).
 */
import { useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { Board } from './Board.js';
import { RequestForm } from './RequestForm.js';
import { RequestPage } from './RequestPage.js';
import { Roster } from './Roster.js';
import '../views.css';
import '../incidents/incidents.css';
import './assistance.css';

export function Assistance() {
  const route = useRoute();
  const session = useSession();
  const id = route.segments[1];
  if (id === undefined) return <Board />;
  if (id === 'roster') return <Roster />;
  if (id === 'new') return session.can('assistance:write') ? <RequestForm /> : <p className="error">Your roles do not allow requesting assistance.</p>;
  return <RequestPage key={id} id={id} />;
}
