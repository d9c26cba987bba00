/**
 * The incidents views under one route: the board (#/incidents), the report form
 * (#/incidents/new, for incidents:write) and an incident's page (#/incidents/<id>).
 */
import { useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { Board } from './Board.js';
import { IncidentPage } from './IncidentPage.js';
import { ReportForm } from './ReportForm.js';
import '../views.css';
import './incidents.css';

export function Incidents() {
  const route = useRoute();
  const session = useSession();
  const id = route.segments[1];
  if (id === undefined) return <Board />;
  if (id === 'new') return session.can('incidents:write') ? <ReportForm /> : <p className="error">Your roles do not allow reporting incidents.</p>;
  return <IncidentPage key={id} id={id} />;
}
