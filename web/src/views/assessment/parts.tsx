/** Pieces the assessment and decisions views share: the escalation badge and the window chooser. */
import { setParams } from '../../router.js';
import { WINDOWS, type Escalation } from './model.js';
import '../decisions/decisions.css';

const ESCALATION_NAMES: Record<Escalation, string> = { none: 'Below thresholds', consultation: 'Consultation threshold', council: 'Council threshold' };

/** An actor's escalation, its name written out: the thresholds its score reaches. */
export function EscalationBadge(props: { escalation: Escalation }) {
  return (
    <span className={`escalation escalation-${props.escalation}`} data-escalation={props.escalation}>
      {ESCALATION_NAMES[props.escalation]}
    </span>
  );
}

/** The window the score is summed over (30, 90 or 365 days), kept in the URL. */
export function WindowChoice(props: { id: string; days: number }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>Window</label>
      <select id={props.id} value={props.days} onChange={(e) => setParams({ days: e.target.value === '90' ? undefined : e.target.value })}>
        {WINDOWS.map((w) => (
          <option key={w} value={w}>
            last {w} days
          </option>
        ))}
      </select>
    </div>
  );
}
