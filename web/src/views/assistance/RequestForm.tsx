/**
 * Requesting assistance for one of one's member's incidents (#/assistance/new?incident=<id>,
 * reached from the incident's page): what is needed (the catalogue's capabilities), how urgently,
 * where (remote, on site, either: the approval rule of the mode is said beside it), the
 * constraints on who may come (clearance, languages, how long, anything else) and the request's
 * handling, which starts as the incident's. The node decides: what it refuses is shown beside the
 * field it names; an accepted request opens on its own page.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, query } from '../../api.js';
import { CLASSIFICATIONS } from '../../handling.js';
import { hrefOf, navigate, useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote } from '../common/widgets.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import type { Incident, IncidentSummary } from '../incidents/model.js';
import { assistancePath, durationText, listOf, modeName, words, type AssistanceRequest, type RequestMode, type Urgency } from './model.js';
import { useCatalogue } from './parts.js';

const LABELS: Record<string, string> = {
  incident_id: 'Incident',
  title: 'Title',
  description: 'Description',
  capabilities: 'Capabilities',
  urgency: 'Urgency',
  mode: 'Where',
  constraints: 'Constraints',
  'constraints.clearance': 'Clearance required',
  'constraints.languages': 'Languages',
  'constraints.duration_days': 'Duration',
  'constraints.other': 'Other constraints',
  tlp: 'TLP',
  classification: 'Classification',
  releasability: 'Releasable to',
  body: 'Request',
};

interface Draft extends HandlingDraft {
  title: string;
  description: string;
  capabilities: string[];
  urgency: Urgency;
  mode: RequestMode;
  clearance: string;
  languages: string;
  duration: string;
  other: string;
}

function checkDraft(d: Draft): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!d.title.trim()) fields.title = 'is required: say in a few words what help is needed';
  if (d.capabilities.length === 0) fields.capabilities = 'choose at least one capability';
  const days = Number(d.duration);
  if (d.duration.trim() && (!Number.isInteger(days) || days < 1 || days > 365)) fields['constraints.duration_days'] = 'must be a whole number of days from 1 to 365';
  for (const l of listOf(d.languages)) if (!/^[a-z]{2}$/i.test(l)) fields['constraints.languages'] = `'${l}' is not a two-letter language code (ISO 639-1, e.g. en, fr)`;
  return fields;
}

/** The incident chooser when the form is opened without one: the incidents of the reader's member. */
function IncidentChoice(props: { member: string | null }) {
  const [incidents, setIncidents] = useState<IncidentSummary[] | null>(null);
  const [error, setError] = useState('');
  const [chosen, setChosen] = useState('');
  useEffect(() => {
    let live = true;
    api<{ incidents: IncidentSummary[] }>(`/api/v1/incidents${query({ member: props.member, limit: 100 })}`)
      .then((a) => live && setIncidents(a.incidents.filter((i) => i.source !== 'peer')))
      .catch((e: unknown) => {
        if (!live) return;
        setIncidents([]);
        setError(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, [props.member]);
  return (
    <form
      className="panel"
      data-ready={incidents ? 'true' : 'false'}
      aria-label="Choose the incident"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) navigate(`#/assistance/new?incident=${encodeURIComponent(chosen)}`);
      }}
    >
      <p>Assistance is requested for one of your member&apos;s incidents: choose it (or use &ldquo;Request assistance&rdquo; on its page).</p>
      <ErrorNote error={error} title="The incidents could not be read" />
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor="aid-new-incident">Incident</label>
          <select id="aid-new-incident" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">choose…</option>
            {(incidents ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.title}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={!chosen}>
          Continue
        </button>
      </div>
    </form>
  );
}

export function RequestForm() {
  const session = useSession();
  const route = useRoute();
  const incidentId = route.params.get('incident') ?? '';
  const { catalogue, error: catalogueError } = useCatalogue();
  const [incident, setIncident] = useState<Incident | null>(null);
  const [incidentError, setIncidentError] = useState('');
  const [draft, setDraft] = useState<Draft>({
    title: '',
    description: '',
    capabilities: [],
    urgency: 'high',
    mode: 'remote',
    clearance: '',
    languages: '',
    duration: '',
    other: '',
    ...NEW_HANDLING,
  });
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));

  useEffect(() => {
    if (!incidentId) return;
    let live = true;
    setIncident(null);
    setIncidentError('');
    api<Incident>(`/api/v1/incidents/${encodeURIComponent(incidentId)}`)
      .then((i) => {
        if (!live) return;
        setIncident(i);
        // The request starts with its incident's handling: what it tells of the incident is as sensitive.
        setDraft((d) => ({ ...d, tlp: i.handling.tlp ?? d.tlp, classification: i.handling.classification.toUpperCase(), releasability: i.handling.releasability.join(', ') }));
      })
      .catch((e: unknown) => live && setIncidentError(e instanceof ApiError && (e.status === 404 || e.status === 400) ? 'There is no incident with this id that you may read.' : messageOf(e)));
    return () => {
      live = false;
    };
  }, [incidentId]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!passes(checkDraft(draft))) return;
    setBusy(true);
    const languages = listOf(draft.languages).map((l) => l.toLowerCase());
    const releasability = listOf(draft.releasability);
    const constraints = {
      ...(draft.clearance ? { clearance: draft.clearance } : {}),
      ...(languages.length > 0 ? { languages } : {}),
      ...(draft.duration.trim() ? { duration_days: Number(draft.duration) } : {}),
      ...(draft.other.trim() ? { other: draft.other.trim() } : {}),
    };
    const body = {
      incident_id: incidentId,
      title: draft.title.trim(),
      ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
      capabilities: draft.capabilities,
      urgency: draft.urgency,
      mode: draft.mode,
      ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
      tlp: draft.tlp,
      classification: draft.classification,
      ...(releasability.length > 0 ? { releasability } : {}),
    };
    try {
      const request = await api<AssistanceRequest>(assistancePath('requests'), { method: 'POST', body });
      navigate(hrefOf('assistance', request.id));
    } catch (error) {
      refuse(refusalOf(error));
      setBusy(false);
    }
  };

  if (!session.can('assistance:write')) return <p className="error">Your roles do not allow requesting assistance.</p>;
  if (!incidentId) {
    return (
      <div className="view assistance aid-form">
        <p className="muted">
          <a href="#/assistance">Assistance</a>
        </p>
        <h1>Request assistance</h1>
        <IncidentChoice member={session.memberCode} />
      </div>
    );
  }
  const ready = (catalogue !== null || catalogueError !== '') && (incident !== null || incidentError !== '');
  const rule = catalogue?.approval_rules[draft.mode];
  const targets = catalogue?.targets[draft.urgency];
  const toggle = (key: string, on: boolean) => set({ capabilities: on ? [...draft.capabilities, key] : draft.capabilities.filter((k) => k !== key) });
  const capabilityGroups = catalogue ? [catalogue.capabilities.filter((c) => c.technical), catalogue.capabilities.filter((c) => !c.technical)] : [];
  return (
    <div className="view assistance aid-form" data-ready={ready ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/assistance">Assistance</a>
        {incident && (
          <>
            {' · '}
            <a href={hrefOf('incidents', incident.id)}>{incident.title}</a>
          </>
        )}
      </p>
      <h1>Request assistance</h1>
      {incidentError && <p className="error" role="alert">{incidentError}</p>}
      <ErrorNote error={catalogueError} title="The assistance catalogue could not be read" />
      {incident && (
        <form onSubmit={(e) => void submit(e)} noValidate aria-label="Request assistance">
          <div ref={top} tabIndex={-1} className="refusal-anchor">
            <RefusalSummary refusal={refusal} title="The request was not made" labels={LABELS} />
          </div>
          <p>
            For the incident <strong data-field="incident">{incident.title}</strong> of {incident.member ?? 'this node'}.
          </p>
          <section className="panel" aria-labelledby="aid-new-what">
            <h2 id="aid-new-what">What help is needed</h2>
            <div className="field block">
              <label htmlFor="aid-new-title">Title (required)</label>
              <input id="aid-new-title" value={draft.title} onChange={(e) => set({ title: e.target.value })} maxLength={300} autoComplete="off" {...invalidProps('aid-new-title', err('title'))} />
              <FieldError id="aid-new-title-error" text={err('title')} />
            </div>
            <div className="field block">
              <label htmlFor="aid-new-description">Description</label>
              <textarea id="aid-new-description" rows={4} value={draft.description} onChange={(e) => set({ description: e.target.value })} maxLength={20000} {...invalidProps('aid-new-description', err('description'))} />
              <FieldError id="aid-new-description-error" text={err('description')} />
            </div>
            <fieldset id="aid-new-capabilities" {...invalidProps('aid-new-capabilities', err('capabilities'))}>
              <legend>Capabilities (at least one)</legend>
              {capabilityGroups.map((group, i) => (
                <div key={i}>
                  <p className="muted small">{i === 0 ? 'Technical' : 'Non-technical'}</p>
                  <div className="aid-check-grid">
                    {group.map((c) => (
                      <label key={c.key} className="check">
                        <input type="checkbox" name="capabilities" value={c.key} checked={draft.capabilities.includes(c.key)} onChange={(e) => toggle(c.key, e.currentTarget.checked)} /> {c.name}
                      </label>
                    ))}
                  </div>
                </div>
              ))}
              <FieldError id="aid-new-capabilities-error" text={err('capabilities')} />
            </fieldset>
            <div className="toolbar">
              <div className="field">
                <label htmlFor="aid-new-urgency">Urgency</label>
                <select id="aid-new-urgency" value={draft.urgency} onChange={(e) => set({ urgency: e.target.value as Urgency })} aria-describedby="aid-new-targets">
                  {(catalogue?.urgencies ?? ['critical', 'high', 'routine']).map((u) => (
                    <option key={u} value={u}>
                      {words(u)}
                    </option>
                  ))}
                </select>
              </div>
              <fieldset className="radios">
                <legend>Where</legend>
                {(catalogue?.request_modes ?? ['remote', 'on-site', 'either']).map((m) => (
                  <label key={m}>
                    <input type="radio" name="mode" value={m} checked={draft.mode === m} onChange={() => set({ mode: m })} aria-describedby="aid-new-rule" /> {modeName(m)}
                  </label>
                ))}
              </fieldset>
            </div>
            <p id="aid-new-rule" className="aid-rule" data-field="approval-rule" data-required={rule ?? ''}>
              {rule !== undefined ? `${modeName(draft.mode)}: ${rule} ${rule === 1 ? 'coordinator approves' : 'coordinators approve'} (of ${catalogue?.coordinating_members.join(', ') || 'the coordinating members'}).` : ''}
            </p>
            <p id="aid-new-targets" className="muted small">
              {targets ? `Targets for ${draft.urgency}: approval within ${durationText(targets.approval)}, a first offer within ${durationText(targets.first_offer)}, a team at work within ${durationText(targets.deployment)}.` : ''}
            </p>
          </section>
          <section className="panel" aria-labelledby="aid-new-constraints">
            <h2 id="aid-new-constraints">Who may come</h2>
            <div className="toolbar">
              <div className="field">
                <label htmlFor="aid-new-clearance">Clearance required</label>
                <select id="aid-new-clearance" value={draft.clearance} onChange={(e) => set({ clearance: e.target.value })} {...invalidProps('aid-new-clearance', err('constraints.clearance'))}>
                  <option value="">none</option>
                  {CLASSIFICATIONS.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
                <FieldError id="aid-new-clearance-error" text={err('constraints.clearance')} />
              </div>
              <div className="field">
                <label htmlFor="aid-new-languages">Languages</label>
                <input id="aid-new-languages" value={draft.languages} onChange={(e) => set({ languages: e.target.value })} placeholder="e.g. en, de" maxLength={100} size={14} {...invalidProps('aid-new-languages', err('constraints.languages'))} />
                <FieldError id="aid-new-languages-error" text={err('constraints.languages')} />
              </div>
              <div className="field">
                <label htmlFor="aid-new-duration">Duration (days)</label>
                <input id="aid-new-duration" type="number" min={1} max={365} step={1} value={draft.duration} onChange={(e) => set({ duration: e.target.value })} {...invalidProps('aid-new-duration', err('constraints.duration_days'))} />
                <FieldError id="aid-new-duration-error" text={err('constraints.duration_days')} />
              </div>
            </div>
            <div className="field block">
              <label htmlFor="aid-new-other">Other constraints</label>
              <textarea id="aid-new-other" rows={2} value={draft.other} onChange={(e) => set({ other: e.target.value })} maxLength={4000} {...invalidProps('aid-new-other', err('constraints.other'))} />
              <FieldError id="aid-new-other-error" text={err('constraints.other')} />
            </div>
          </section>
          <section className="panel" aria-labelledby="aid-new-handling">
            <h2 id="aid-new-handling">Handling</h2>
            <HandlingFields prefix="aid-new" value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="e.g. ALLIANCE, DEU" hints={{ classification: 'aid-new-handling-hint', releasability: 'aid-new-handling-hint' }} />
            <p id="aid-new-handling-hint" className="muted small">
              As the incident&apos;s to begin with. The request is addressed to the coordinators ({catalogue?.coordinating_members.join(', ') || 'the coordinating members'}) and, once approved, to the members whose standby teams can help: release it so that they may read it (e.g. ALLIANCE).
            </p>
          </section>
          <p className="form-actions">
            <button type="submit" disabled={busy}>
              {busy ? 'Requesting…' : 'Request assistance'}
            </button>{' '}
            <a className="button secondary" href={hrefOf('incidents', incident.id)}>
              Cancel
            </a>
          </p>
        </form>
      )}
    </div>
  );
}
