/**
 * Reporting an incident: what happened (title, summary, sectors, affected systems, when it
 * started and was detected), who handles it, whom it is suspected of, an optional first severity,
 * and its handling: the TLP, a classification up to the reporter's clearance and the
 * releasability. The node decides: what it refuses is shown beside the field it names, and a
 * report it accepts opens on its own page.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { hrefOf, navigate } from '../../router.js';
import { useSession } from '../../session.js';
import { classificationsUpTo, HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { ActorFields, actorOfValue, explainEntries, FieldError, invalidProps, NO_ACTOR, RefusalSummary, refusalOf, SectorsField, SelectionFields, useRefusal, type ActorValue } from './fields.js';
import { INCIDENTS_API, isoOfLocal, linesOf, listOf, STIX_ID, type Incident } from './model.js';
import { useScoring } from './parts.js';

const LABELS: Record<string, string> = {
  title: 'Title',
  summary: 'Summary',
  sectors: 'Sectors affected',
  systems: 'Affected systems',
  started_at: 'Started',
  detected_at: 'Detected',
  handler: 'Handler',
  actor: 'Suspected actor',
  'actor.ref': 'Suspected actor STIX id',
  'actor.name': 'Suspected actor name',
  'actor.confidence': 'Confidence',
  selections: 'Initial severity',
  tlp: 'TLP',
  classification: 'Classification',
  releasability: 'Releasable to',
  body: 'Report',
};

interface Draft extends HandlingDraft {
  title: string;
  summary: string;
  sectors: string[];
  systems: string;
  started: string;
  detected: string;
  handler: string;
  actor: ActorValue;
  selections: Record<string, string>;
}

/** What the form can tell before asking the node: the same words the node would use, sooner. */
function checkDraft(d: Draft): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!d.title.trim()) fields.title = 'is required: say in a few words what happened';
  if (d.actor.ref.trim() && !STIX_ID.test(d.actor.ref.trim())) fields['actor.ref'] = "must be a STIX id such as threat-actor--<uuid> (or leave it empty and give a name)";
  const confidence = Number(d.actor.confidence);
  if ((d.actor.ref.trim() || d.actor.name.trim()) && (d.actor.confidence.trim() === '' || !Number.isInteger(confidence) || confidence < 0 || confidence > 100)) fields['actor.confidence'] = 'must be a whole number from 0 to 100';
  const started = isoOfLocal(d.started);
  const detected = isoOfLocal(d.detected);
  if (started && detected && detected < started) fields.detected_at = 'is before the start: an incident is detected once it has started';
  return fields;
}

export function ReportForm() {
  const session = useSession();
  const { scoring, error: scoringError } = useScoring();
  const [draft, setDraft] = useState<Draft>({
    title: '',
    summary: '',
    sectors: [],
    systems: '',
    started: '',
    detected: '',
    handler: '',
    actor: NO_ACTOR,
    selections: {},
    ...NEW_HANDLING,
  });
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!passes(checkDraft(draft))) return;
    setBusy(true);
    const actor = actorOfValue(draft.actor);
    const releasability = listOf(draft.releasability);
    const body = {
      title: draft.title.trim(),
      ...(draft.summary.trim() ? { summary: draft.summary.trim() } : {}),
      ...(draft.sectors.length > 0 ? { sectors: draft.sectors } : {}),
      ...(linesOf(draft.systems).length > 0 ? { systems: linesOf(draft.systems) } : {}),
      ...(isoOfLocal(draft.started) ? { started_at: isoOfLocal(draft.started) } : {}),
      ...(isoOfLocal(draft.detected) ? { detected_at: isoOfLocal(draft.detected) } : {}),
      ...(draft.handler.trim() ? { handler: draft.handler.trim() } : {}),
      ...(actor ? { actor } : {}),
      ...(Object.keys(draft.selections).length > 0 ? { selections: draft.selections } : {}),
      tlp: draft.tlp,
      classification: draft.classification,
      ...(releasability.length > 0 ? { releasability } : {}),
    };
    try {
      const incident = await api<Incident>(INCIDENTS_API, { method: 'POST', body });
      navigate(hrefOf('incidents', incident.id));
    } catch (error) {
      refuse(explainEntries(refusalOf(error), 'releasability', releasability, 'a member code, a group name, @user or * (letters, digits, dot, underscore and hyphen)'));
      setBusy(false);
    }
  };

  if (!session.can('incidents:write')) return <p className="error">Your roles do not allow reporting incidents.</p>;
  const classifications = classificationsUpTo(session.me.clearance);
  return (
    <div className="view incidents incident-form" data-ready={scoring || scoringError ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/incidents">Incidents</a>
      </p>
      <h1>Report an incident</h1>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Report an incident">
        <div ref={top} tabIndex={-1} className="refusal-anchor">
          <RefusalSummary refusal={refusal} title="The incident was not reported" labels={LABELS} />
        </div>
        <section className="panel" aria-labelledby="report-what">
          <h2 id="report-what">What happened</h2>
          <div className="field block">
            <label htmlFor="report-title">Title (required)</label>
            <input id="report-title" value={draft.title} onChange={(e) => set({ title: e.target.value })} maxLength={300} required autoComplete="off" {...invalidProps('report-title', err('title'))} />
            <FieldError id="report-title-error" text={err('title')} />
          </div>
          <div className="field block">
            <label htmlFor="report-summary">Summary</label>
            <textarea id="report-summary" rows={4} value={draft.summary} onChange={(e) => set({ summary: e.target.value })} maxLength={20000} {...invalidProps('report-summary', err('summary'))} />
            <FieldError id="report-summary-error" text={err('summary')} />
          </div>
          <SectorsField id="report-sectors" value={draft.sectors} onChange={(sectors) => set({ sectors })} error={err('sectors')} />
          <div className="field block">
            <label htmlFor="report-systems">Affected systems (one a line)</label>
            <textarea id="report-systems" rows={3} value={draft.systems} onChange={(e) => set({ systems: e.target.value })} {...invalidProps('report-systems', err('systems'))} />
            <FieldError id="report-systems-error" text={err('systems')} />
          </div>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="report-started">Started (your local time)</label>
              <input id="report-started" type="datetime-local" value={draft.started} onChange={(e) => set({ started: e.target.value })} {...invalidProps('report-started', err('started_at'))} />
              <FieldError id="report-started-error" text={err('started_at')} />
            </div>
            <div className="field">
              <label htmlFor="report-detected">Detected (your local time)</label>
              <input id="report-detected" type="datetime-local" value={draft.detected} onChange={(e) => set({ detected: e.target.value })} {...invalidProps('report-detected', err('detected_at'))} />
              <FieldError id="report-detected-error" text={err('detected_at')} />
            </div>
            <div className="field grow">
              <label htmlFor="report-handler">Handler</label>
              <input id="report-handler" value={draft.handler} onChange={(e) => set({ handler: e.target.value })} maxLength={300} placeholder="who handles it" {...invalidProps('report-handler', err('handler'))} />
              <FieldError id="report-handler-error" text={err('handler')} />
            </div>
          </div>
          <ActorFields prefix="report" value={draft.actor} onChange={(actor) => set({ actor })} refusal={refusal} />
        </section>
        <section className="panel" aria-labelledby="report-severity">
          <h2 id="report-severity">Initial severity (optional)</h2>
          {scoringError && <p className="error">The scoring could not be read: {scoringError}</p>}
          {scoring ? (
            <>
              <p className="muted small">Score it now or later on the incident&apos;s page; a category left unchosen counts as 0.</p>
              <SelectionFields prefix="report-score" scoring={scoring} value={draft.selections} onChange={(selections) => set({ selections })} none="not chosen" />
            </>
          ) : (
            !scoringError && <p className="muted">Loading the scoring…</p>
          )}
          <FieldError id="report-selections-error" text={err('selections')} />
        </section>
        <section className="panel" aria-labelledby="report-handling">
          <h2 id="report-handling">Handling</h2>
          <HandlingFields prefix="report" value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="e.g. ALLIANCE, DEU, @alice" hints={{ classification: 'report-classification-hint', releasability: 'report-releasability-hint' }} />
          <p id="report-classification-hint" className="muted small">
            Up to your clearance ({classifications.at(-1)}).
          </p>
          <p id="report-releasability-hint" className="muted small">
            Member codes, groups and @user entries, separated by commas; empty: the node&apos;s default releasability.
          </p>
        </section>
        <p className="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Reporting…' : 'Report the incident'}
          </button>{' '}
          <a className="button secondary" href="#/incidents">
            Cancel
          </a>
        </p>
      </form>
    </div>
  );
}
