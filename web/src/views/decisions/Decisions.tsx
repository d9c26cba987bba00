/**
 * The decisions views under one route: the overview (#/decisions, where political delegates
 * land), the consultations (#/decisions/consultations), the form to request one
 * (#/decisions/new?kind=actor&subject=<ref>), the attribution statements
 * (#/decisions/statements, #/decisions/statements/new), and a record's page by its id
 * (#/decisions/consultation--…, proposal--…, attribution-statement--…).
 */
import { useRoute } from '../../router.js';
import { ConsultationList, ConsultationForm } from './Consultations.js';
import { ConsultationPage } from './ConsultationPage.js';
import { Overview } from './Overview.js';
import { ProposalPage } from './ProposalPage.js';
import { StatementForm, StatementList, StatementPage } from './Statements.js';
import { NotFound } from './parts.js';
import '../views.css';
import './decisions.css';

export function Decisions() {
  const route = useRoute();
  const [, first, second] = route.segments;
  if (first === undefined) return <Overview />;
  if (first === 'consultations') return <ConsultationList />;
  if (first === 'new') return <ConsultationForm key={route.params.toString()} />;
  if (first === 'statements') return second === 'new' ? <StatementForm key={route.params.toString()} /> : <StatementList />;
  if (first.startsWith('consultation--')) return <ConsultationPage key={first} id={first} />;
  if (first.startsWith('proposal--')) return <ProposalPage key={first} id={first} />;
  if (first.startsWith('attribution-statement--')) return <StatementPage key={first} id={first} />;
  return <NotFound what="record" back="#/decisions" backTitle="Decisions" />;
}
