/**
 * The assessors' inputs on the Schmitt factors of an actor (those the reader may read: each is a
 * marked record of its assessor's member), and, with assessment:assess, the form to rate a
 * factor with its rationale and the rating's handling. The ratings are the assessors' judgement
 * beside the score; they do not change it.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { DecisionBadges } from '../decisions/parts.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import { assessmentPath, RATINGS, ratingName, SCHMITT_FACTORS, type Assessment, type SchmittInput } from './model.js';

const LABELS: Record<string, string> = { factor: 'Factor', rating: 'Rating', rationale: 'Rationale', tlp: 'TLP', classification: 'Classification', releasability: 'Releasable to', body: 'Rating' };

function factorName(key: string): string {
  return SCHMITT_FACTORS.find((f) => f.key === key)?.name ?? key;
}

interface Draft extends HandlingDraft {
  factor: string;
  rating: string;
  rationale: string;
}

function RateForm(props: { actor: string; onRated: () => void }) {
  const [draft, setDraft] = useState<Draft>({ factor: SCHMITT_FACTORS[0]?.key ?? 'severity', rating: 'moderate', rationale: '', ...NEW_HANDLING, releasability: 'ALLIANCE' });
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState('');
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));
  const factor = SCHMITT_FACTORS.find((f) => f.key === draft.factor);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved('');
    if (!passes(draft.rationale.trim() ? {} : { rationale: 'is required: say why you rate it so' })) return;
    setBusy(true);
    const releasability = draft.releasability.split(/[\s,]+/).filter(Boolean);
    try {
      const input = await api<SchmittInput>(assessmentPath('actors', props.actor, 'inputs'), {
        method: 'POST',
        body: { factor: draft.factor, rating: draft.rating, rationale: draft.rationale.trim(), tlp: draft.tlp, classification: draft.classification, ...(releasability.length > 0 ? { releasability } : {}) },
      });
      setSaved(`Rated ${factorName(input.factor)} ${ratingName(input.rating)}.`);
      set({ rationale: '' });
      props.onRated();
    } catch (error) {
      refuse(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="as-rate-h" className="dec-actions">
      <h3 id="as-rate-h">Rate a factor</h3>
      <div ref={top} tabIndex={-1} className="refusal-anchor">
        <RefusalSummary refusal={refusal} title="The rating was not recorded" labels={LABELS} />
      </div>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="as-rate-factor">Factor</label>
          <select id="as-rate-factor" value={draft.factor} onChange={(e) => set({ factor: e.target.value })} aria-describedby="as-rate-question">
            {SCHMITT_FACTORS.map((f) => (
              <option key={f.key} value={f.key}>
                {f.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="as-rate-rating">Rating</label>
          <select id="as-rate-rating" value={draft.rating} onChange={(e) => set({ rating: e.target.value })}>
            {RATINGS.map((r) => (
              <option key={r} value={r}>
                {ratingName(r)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p id="as-rate-question" className="muted small">
        {factor?.question}
      </p>
      <div className="field block">
        <label htmlFor="as-rate-rationale">Rationale (required)</label>
        <textarea id="as-rate-rationale" rows={3} value={draft.rationale} onChange={(e) => set({ rationale: e.target.value })} maxLength={5000} {...invalidProps('as-rate-rationale', err('rationale'))} />
        <FieldError id="as-rate-rationale-error" text={err('rationale')} />
      </div>
      <HandlingFields prefix="as-rate" value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="e.g. ALLIANCE" />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Recording…' : 'Record the rating'}
        </button>
        <span role="status" className="muted small">
          {saved}
        </span>
      </p>
    </form>
  );
}

export function SchmittPanel(props: { assessment: Assessment; reload: () => void }) {
  const session = useSession();
  const order = (key: string) => SCHMITT_FACTORS.findIndex((f) => f.key === key);
  const inputs = [...props.assessment.schmitt].sort((a, b) => order(a.factor) - order(b.factor) || b.at.localeCompare(a.at));
  return (
    <section className="panel" aria-labelledby="as-schmitt-h">
      <h2 id="as-schmitt-h">Schmitt factors ({inputs.length} {inputs.length === 1 ? 'rating' : 'ratings'})</h2>
      <p className="muted small">What assessors weigh in judging whether cyber operations amount to a use of force (Schmitt, 1999; Tallinn Manual 2.0, rule 69). The ratings stand beside the score; they do not change it.</p>
      {inputs.length === 0 ? (
        <p className="empty">No assessor has rated a factor you may read.</p>
      ) : (
        <div className="table-scroll">
          <table className="as-schmitt">
            <caption className="sr-only">Assessors&apos; ratings of the Schmitt factors</caption>
            <thead>
              <tr>
                <th scope="col">Factor</th>
                <th scope="col">Rating</th>
                <th scope="col">Rationale</th>
                <th scope="col">Assessor</th>
                <th scope="col">Handling</th>
              </tr>
            </thead>
            <tbody>
              {inputs.map((i) => (
                <tr key={i.id} data-input-id={i.id} data-factor={i.factor} data-rating={i.rating}>
                  <td>{factorName(i.factor)}</td>
                  <td>{ratingName(i.rating)}</td>
                  <td className="small">{i.rationale}</td>
                  <td className="small">
                    {i.assessor} ({i.member ?? 'this node'}) {when(i.at)}
                  </td>
                  <td>
                    <DecisionBadges handling={i.handling} compact />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {session.can('assessment:assess') && <RateForm actor={props.assessment.actor.ref} onRated={props.reload} />}
    </section>
  );
}
