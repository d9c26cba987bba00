/**
 * The handling of a record being written (an incident report, a request for assistance, a
 * standby team): its TLP, a classification up to the writer's clearance and to whom it is
 * releasable, each with the node's refusal beside it. The hints that explain a field are the
 * form's own; it names them by id so that a screen reader reads them with the field.
 */
import { CLASSIFICATIONS, tlpLabel } from '../../handling.js';
import { useSession } from '../../session.js';
import { FieldError, invalidProps, messagesFor, type Refusal } from '../incidents/fields.js';
import { TLPS } from '../incidents/model.js';

/** The handling as a form holds it: the releasability as typed, entries separated by commas. */
export interface HandlingDraft {
  tlp: string;
  classification: string;
  releasability: string;
}

/** A new record's handling until the writer chooses: TLP:AMBER, unclassified, the node's default releasability. */
export const NEW_HANDLING: HandlingDraft = { tlp: 'amber', classification: 'UNCLASSIFIED', releasability: '' };

/** The classifications a user may mark with: those up to their clearance. */
export function classificationsUpTo(clearance: number): readonly string[] {
  return CLASSIFICATIONS.slice(0, clearance + 1);
}

export function HandlingFields(props: {
  /** The ids' prefix: `${prefix}-tlp`, `${prefix}-classification`, `${prefix}-releasability`. */
  prefix: string;
  value: HandlingDraft;
  onChange: (part: Partial<HandlingDraft>) => void;
  refusal: Refusal;
  releasabilityPlaceholder: string;
  /** The ids of the hints that describe the classification and the releasability. */
  hints?: { classification?: string; releasability?: string };
}) {
  const p = props.prefix;
  const classifications = classificationsUpTo(useSession().me.clearance);
  const tlpError = messagesFor(props.refusal, 'tlp');
  const classificationError = messagesFor(props.refusal, 'classification');
  const releasabilityError = messagesFor(props.refusal, 'releasability');
  return (
    <div className="toolbar">
      <div className="field">
        <label htmlFor={`${p}-tlp`}>TLP</label>
        <select id={`${p}-tlp`} value={props.value.tlp} onChange={(e) => props.onChange({ tlp: e.target.value })} {...invalidProps(`${p}-tlp`, tlpError)}>
          {TLPS.map((t) => (
            <option key={t} value={t}>
              {tlpLabel(t)}
            </option>
          ))}
        </select>
        <FieldError id={`${p}-tlp-error`} text={tlpError} />
      </div>
      <div className="field">
        <label htmlFor={`${p}-classification`}>Classification</label>
        <select id={`${p}-classification`} value={props.value.classification} onChange={(e) => props.onChange({ classification: e.target.value })} {...invalidProps(`${p}-classification`, classificationError, props.hints?.classification)}>
          {classifications.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <FieldError id={`${p}-classification-error`} text={classificationError} />
      </div>
      <div className="field grow">
        <label htmlFor={`${p}-releasability`}>Releasable to</label>
        <input id={`${p}-releasability`} value={props.value.releasability} onChange={(e) => props.onChange({ releasability: e.target.value })} placeholder={props.releasabilityPlaceholder} {...invalidProps(`${p}-releasability`, releasabilityError, props.hints?.releasability)} />
        <FieldError id={`${p}-releasability-error`} text={releasabilityError} />
      </div>
    </div>
  );
}
