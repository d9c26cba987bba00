/**
 * Form pieces of the report form and the incident page's edit forms: the node's refusal of a
 * field shown beside that field (and named in a summary at the top), the sectors as a group of
 * check boxes, the suspected actor, and the severity selections.
 */
import { useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { messageOf } from '../common/upload.js';
import { fieldErrorsOf, SECTORS, type Scoring } from './model.js';

/** What the node said was wrong: a message for the whole form and one per field ('title', 'actor.confidence'). */
export interface Refusal {
  message: string;
  fields: Record<string, string>;
}

export const NO_REFUSAL: Refusal = { message: '', fields: {} };

/**
 * A refusal of the node read for a form: each field path of a 400's details beside its field; a
 * missing required property ('must have required property 'title'') beside the property named.
 */
export function refusalOf(error: unknown): Refusal {
  if (!(error instanceof ApiError)) return { message: messageOf(error), fields: {} };
  const fields = fieldErrorsOf(error.details);
  for (const [field, text] of Object.entries(fields)) {
    const required = /required property '([^']+)'/.exec(text);
    if (required && (field === 'body' || !field.includes(required[1]!))) {
      const named = field === 'body' ? required[1]! : `${field}.${required[1]}`;
      fields[named] = 'is required';
      delete fields[field];
    }
  }
  return { message: messageOf(error), fields };
}

/**
 * A list field's refusals in the words of the form: the node names an entry by its index and the
 * rule by its pattern ('releasability.1 must match pattern …'); the reader needs the entry as
 * typed and what is allowed.
 */
export function explainEntries(refusal: Refusal, field: string, entries: readonly string[], allowed: string): Refusal {
  const fields: Record<string, string> = {};
  for (const [f, message] of Object.entries(refusal.fields)) {
    const index = new RegExp(`^${field}\\.(\\d+)$`).exec(f);
    const entry = index ? entries[Number(index[1])] : undefined;
    if (entry !== undefined && /pattern|format|length|characters/.test(message)) fields[field] = [fields[field], `'${entry}' is not ${allowed}`].filter(Boolean).join('; ');
    else fields[f] = message;
  }
  return { ...refusal, fields };
}

/** The messages of a refusal for a field and its parts ('actor' takes 'actor.ref' too). */
export function messagesFor(refusal: Refusal, field: string): string {
  return Object.entries(refusal.fields)
    .filter(([f]) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`))
    .map(([f, m]) => (f === field ? m : `${f.slice(field.length + 1)}: ${m}`))
    .join('; ');
}

/**
 * A form's refusal, and the anchor at its top (`top`, around the RefusalSummary) that takes the
 * focus when one is shown: the summary is read out (role=alert), and the keyboard follows it.
 */
export function useRefusal() {
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const top = useRef<HTMLDivElement>(null);
  const refuse = (r: Refusal) => {
    setRefusal(r);
    requestAnimationFrame(() => top.current?.focus());
  };
  /** The form's own check before it asks the node: true when it found nothing; else the fields it found are refused. */
  const passes = (fields: Record<string, string>): boolean => {
    if (Object.keys(fields).length > 0) {
      refuse({ message: 'Some fields need attention.', fields });
      return false;
    }
    setRefusal(NO_REFUSAL);
    return true;
  };
  /** The refusal's messages for a field and its parts. */
  const err = (field: string) => messagesFor(refusal, field);
  return { refusal, refuse, passes, err, top };
}

/** The refusal of one field, read by screen readers with the field (aria-describedby = its id). */
export function FieldError(props: { id: string; text: string }) {
  if (!props.text) return null;
  return (
    <p id={props.id} className="field-error">
      {props.text}
    </p>
  );
}

/** Props that tie an input to its refusal. */
export function invalidProps(id: string, text: string, hint?: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  const described = [text ? `${id}-error` : '', hint ?? ''].filter(Boolean).join(' ');
  return { ...(text ? { 'aria-invalid': true as const } : {}), ...(described ? { 'aria-describedby': described } : {}) };
}

/** The whole form's refusal, with each field's message, at the top of the form. */
export function RefusalSummary(props: { refusal: Refusal; title: string; labels: Record<string, string> }) {
  const r = props.refusal;
  if (!r.message && Object.keys(r.fields).length === 0) return null;
  const entries = Object.entries(r.fields);
  return (
    <div className="refusal" role="alert">
      <p>
        <strong>{props.title}:</strong> {entries.length > 0 ? 'check these fields.' : r.message}
      </p>
      {entries.length > 0 && (
        <ul>
          {entries.map(([field, message]) => (
            <li key={field}>
              <strong>{props.labels[field] ?? props.labels[field.split(/[.[]/)[0]!] ?? field}</strong>: {message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The sectors as check boxes (a multiple choice that is usable with the keyboard and a screen reader). */
export function SectorsField(props: { id: string; value: readonly string[]; onChange: (sectors: string[]) => void; error: string; disabled?: boolean }) {
  const toggle = (key: string, on: boolean) => props.onChange(on ? [...props.value, key] : props.value.filter((k) => k !== key));
  return (
    <fieldset className="sectors" {...invalidProps(props.id, props.error)} id={props.id}>
      <legend>Sectors affected</legend>
      <div className="sector-grid">
        {SECTORS.map((s) => (
          <label key={s.key} className="check">
            <input type="checkbox" name="sectors" value={s.key} checked={props.value.includes(s.key)} disabled={props.disabled} onChange={(e) => toggle(s.key, e.currentTarget.checked)} /> {s.name}
            {s.critical ? <span className="sr-only"> (critical infrastructure)</span> : null}
          </label>
        ))}
      </div>
      <p className="muted small">Critical infrastructure sectors (NIS 2 Annex I, PPD-21) come first.</p>
      <FieldError id={`${props.id}-error`} text={props.error} />
    </fieldset>
  );
}

export interface ActorValue {
  ref: string;
  name: string;
  confidence: string;
}

export const NO_ACTOR: ActorValue = { ref: '', name: '', confidence: '50' };

/** The suspected actor of a form as the API takes it; null when neither a STIX id nor a name is given. */
export function actorOfValue(a: ActorValue): { ref?: string; name?: string; confidence: number } | null {
  const ref = a.ref.trim();
  const name = a.name.trim();
  if (!ref && !name) return null;
  return { ...(ref ? { ref } : {}), ...(name ? { name } : {}), confidence: Number(a.confidence) };
}

export function ActorFields(props: { prefix: string; value: ActorValue; onChange: (actor: ActorValue) => void; refusal: Refusal }) {
  const p = props.prefix;
  const set = (part: Partial<ActorValue>) => props.onChange({ ...props.value, ...part });
  const refError = messagesFor(props.refusal, 'actor.ref');
  const nameError = messagesFor(props.refusal, 'actor.name');
  const confidenceError = messagesFor(props.refusal, 'actor.confidence');
  const actorError = props.refusal.fields.actor ?? '';
  return (
    <fieldset>
      <legend>Suspected actor (optional)</legend>
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor={`${p}-actor-ref`}>STIX id (threat actor, intrusion set, campaign)</label>
          <input id={`${p}-actor-ref`} value={props.value.ref} onChange={(e) => set({ ref: e.target.value })} placeholder="threat-actor--…" maxLength={200} {...invalidProps(`${p}-actor-ref`, refError)} />
          <FieldError id={`${p}-actor-ref-error`} text={refError} />
        </div>
        <div className="field grow">
          <label htmlFor={`${p}-actor-name`}>or name</label>
          <input id={`${p}-actor-name`} value={props.value.name} onChange={(e) => set({ name: e.target.value })} maxLength={300} {...invalidProps(`${p}-actor-name`, nameError)} />
          <FieldError id={`${p}-actor-name-error`} text={nameError} />
        </div>
        <div className="field">
          <label htmlFor={`${p}-actor-confidence`}>Confidence (0–100)</label>
          <input id={`${p}-actor-confidence`} type="number" min={0} max={100} step={1} value={props.value.confidence} onChange={(e) => set({ confidence: e.target.value })} {...invalidProps(`${p}-actor-confidence`, confidenceError, `${p}-actor-hint`)} />
          <FieldError id={`${p}-actor-confidence-error`} text={confidenceError} />
        </div>
      </div>
      <p id={`${p}-actor-hint`} className="muted small">
        How sure the attribution is, on the STIX 2.1 confidence scale (section 3.2): 0 none, 100 certain.
      </p>
      <FieldError id={`${p}-actor-error`} text={actorError} />
    </fieldset>
  );
}

/** A select per scoring category; `none` is the label of the empty choice. */
export function SelectionFields(props: { prefix: string; scoring: Scoring; value: Record<string, string>; onChange: (selections: Record<string, string>) => void; none: string; disabled?: boolean; children?: ReactNode }) {
  return (
    <div className="selections">
      {props.scoring.categories.map((c) => {
        const id = `${props.prefix}-${c.key}`;
        const chosen = c.options.find((o) => o.key === props.value[c.key]);
        return (
          <div className="field selection" key={c.key}>
            <label htmlFor={id}>{c.name}</label>
            <select
              id={id}
              value={props.value[c.key] ?? ''}
              disabled={props.disabled}
              aria-describedby={`${id}-hint`}
              onChange={(e) => {
                const next = { ...props.value };
                if (e.target.value) next[c.key] = e.target.value;
                else delete next[c.key];
                props.onChange(next);
              }}
            >
              <option value="">{props.none}</option>
              {c.options.map((o) => (
                <option key={o.key} value={o.key}>
                  {o.label}
                </option>
              ))}
            </select>
            <p id={`${id}-hint`} className="muted small">
              {chosen?.description || c.description}
            </p>
          </div>
        );
      })}
      {props.children}
    </div>
  );
}
