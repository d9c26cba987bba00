/**
 * The severity calculator: an option chosen in each of the scoring's categories (the node's
 * GET /incidents/scoring; a category left unchosen counts as 0), the score,
 * level and each category's contribution previewed by the node as the choices change
 * (POST /incidents/scoring/preview: the node's arithmetic, never a copy of it here), saved on the
 * incident with PUT /incidents/:id/severity and the version it was read at (a change made
 * meanwhile is refused, 409, and the incident read again). Readers who may not change the
 * incident see the choices it was scored with.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote } from '../common/widgets.js';
import { SelectionFields } from './fields.js';
import { INCIDENTS_API, incidentPath, type Incident, type ScorePreview, type Scoring } from './model.js';
import { LevelBadge, useChange, useScoring } from './parts.js';

function Contributions(props: { scoring: Scoring; preview: ScorePreview }) {
  const category = (key: string) => props.scoring.categories.find((c) => c.key === key);
  return (
    <table className="contributions">
      <caption>How the score is made</caption>
      <thead>
        <tr>
          <th scope="col">Category</th>
          <th scope="col">Option</th>
          <th scope="col" className="num">
            Value
          </th>
          <th scope="col" className="num">
            Weight
          </th>
          <th scope="col" className="num">
            Points
          </th>
        </tr>
      </thead>
      <tbody>
        {props.preview.contributions.map((c) => (
          <tr key={c.category}>
            <th scope="row">{category(c.category)?.name ?? c.category}</th>
            <td>{c.option === null ? <span className="muted">not chosen (counts as 0)</span> : (category(c.category)?.options.find((o) => o.key === c.option)?.label ?? c.option)}</td>
            <td className="num">{c.value}</td>
            <td className="num">{c.weight}</td>
            <td className="num">{Math.round(c.points * 10) / 10}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The saved choices, as words (for readers who may not change the incident). */
function SavedSelections(props: { scoring: Scoring; selections: Record<string, string> }) {
  const entries = props.scoring.categories.filter((c) => props.selections[c.key]);
  if (entries.length === 0) return null;
  return (
    <dl className="saved-selections">
      {entries.map((c) => (
        <div key={c.key}>
          <dt>{c.name}</dt>
          <dd>{c.options.find((o) => o.key === props.selections[c.key])?.label ?? props.selections[c.key]}</dd>
        </div>
      ))}
    </dl>
  );
}

export function SeverityPanel(props: { incident: Incident; editable: boolean; onChanged: (incident: Incident) => void; reload: () => void }) {
  const i = props.incident;
  const { scoring, error: scoringError } = useScoring();
  const [selections, setSelections] = useState<Record<string, string>>(i.severity?.selections ?? {});
  const [preview, setPreview] = useState<ScorePreview | null>(null);
  const [previewError, setPreviewError] = useState('');
  const [saved, setSaved] = useState('');
  const asked = useRef(0);
  const change = useChange(props.onChanged, props.reload);
  const chosen = Object.keys(selections).length;
  const complete = scoring !== null && scoring.categories.every((c) => selections[c.key]);
  const key = JSON.stringify(selections);

  // The incident as saved changes (a save here, or a reload): the choices follow it.
  const savedKey = JSON.stringify(i.severity?.selections ?? {});
  useEffect(() => {
    setSelections(JSON.parse(savedKey) as Record<string, string>);
  }, [savedKey]);

  useEffect(() => {
    const n = ++asked.current;
    if (!props.editable || chosen === 0) {
      setPreview(null);
      return;
    }
    api<ScorePreview>(`${INCIDENTS_API}/scoring/preview`, { method: 'POST', body: { selections: JSON.parse(key) as Record<string, string> } })
      .then((p) => {
        if (n !== asked.current) return;
        setPreview(p);
        setPreviewError('');
      })
      .catch((e: unknown) => n === asked.current && setPreviewError(messageOf(e)));
  }, [key, chosen, props.editable]);

  const save = async () => {
    setSaved('');
    const done = await change.run(() => api<Incident>(incidentPath(i.id, 'severity'), { method: 'PUT', body: { selections, version: i.version } }));
    if (done) setSaved('Severity saved.');
  };

  const changedFromSaved = key !== savedKey;
  return (
    <section className="panel" aria-labelledby="incident-severity-h" data-ready={scoring || scoringError ? 'true' : 'false'}>
      <h2 id="incident-severity-h">Severity</h2>
      <p className="severity-now">
        Saved: <LevelBadge level={i.severity?.level} name={i.severity?.level_name} score={i.severity?.score} />
        {i.severity ? <span className="score"> score {i.severity.score} of 100</span> : null}
      </p>
      {scoringError && <p className="error">The scoring could not be read: {scoringError}</p>}
      {scoring && !props.editable && i.severity && <SavedSelections scoring={scoring} selections={i.severity.selections} />}
      {scoring && props.editable && (
        <>
          <SelectionFields prefix="score" scoring={scoring} value={selections} onChange={setSelections} none="choose…" disabled={change.busy} />
          <div className="preview" aria-live="polite" aria-atomic="true">
            {preview ? (
              <p className="preview-result">
                {changedFromSaved ? 'With these choices' : 'As saved'}: <LevelBadge level={preview.level} name={preview.level_name} score={preview.score} /> <span className="score" data-score={preview.score}>score {preview.score} of 100</span>
                {preview.significant ? <strong> · significant</strong> : null}
              </p>
            ) : (
              <p className="muted">{chosen === 0 ? 'Choose an option in each category to see the score.' : 'Scoring…'}</p>
            )}
            {!complete && chosen > 0 && <p className="muted small">{`${scoring.categories.length - chosen} of ${scoring.categories.length} categories not chosen: each counts as 0.`}</p>}
          </div>
          {preview && <Contributions scoring={scoring} preview={preview} />}
          <ErrorNote error={previewError} title="No preview" />
          <p>
            <button type="button" disabled={chosen === 0 || !changedFromSaved || change.busy} onClick={() => void save()}>
              {change.busy ? 'Saving…' : 'Save severity'}
            </button>{' '}
            <span role="status" className="status-ok">
              {saved}
            </span>
          </p>
        </>
      )}
      <ErrorNote error={change.error} title="The severity was not saved" />
    </section>
  );
}
