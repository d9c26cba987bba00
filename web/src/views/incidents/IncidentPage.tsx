/**
 * One incident: every field, its handling badges, its status with the moves the node allows, the
 * severity calculator, the timeline, the tasks, the linked intel and the exports (STIX bundle,
 * printable HTML, PDF). Only readers who may change it (`may_edit`: its reporting member's
 * users, its owner, its delegates; never an incident received from a peer node) are offered
 * changes, and only with incidents:write. An incident the reader may not read is not found, as
 * one that does not exist.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { ObjectRef } from '../common/objects.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote } from '../common/widgets.js';
import { ActorFields, actorOfValue, FieldError, invalidProps, messagesFor, NO_REFUSAL, RefusalSummary, refusalOf, SectorsField, type ActorValue, type Refusal } from './fields.js';
import { incidentPath, isoOfLocal, linesOf, localOfIso, sectorName, type Incident } from './model.js';
import { IncidentBadges, LevelBadge, StatusBadge } from './parts.js';
import { LinksPanel } from './LinksPanel.js';
import { SeverityPanel } from './SeverityPanel.js';
import { StatusPanel } from './StatusPanel.js';
import { TasksPanel } from './TasksPanel.js';
import { TimelinePanel } from './TimelinePanel.js';

function Details(props: { incident: Incident }) {
  const i = props.incident;
  const rows: Array<[string, ReactNode]> = [
    ['Summary', i.summary ? <p className="summary-text">{i.summary}</p> : <span className="muted">none given</span>],
    ['Sectors affected', <InlineList key="s" items={i.sectors.map(sectorName)} empty="none named" />],
    ['Affected systems', <InlineList key="y" items={i.systems} empty="none named" />],
    ['Started', i.started_at ? when(i.started_at) : <span className="muted">not known</span>],
    ['Detected', i.detected_at ? when(i.detected_at) : <span className="muted">not known</span>],
    ['Handler', i.handler ?? <span className="muted">nobody yet</span>],
    [
      'Suspected actor',
      i.actor ? (
        <span>
          {i.actor.ref && <ObjectRef id={i.actor.ref} handling={undefined} label={i.actor.name ?? undefined} compact />}
          {!i.actor.ref && i.actor.name}
          <span className="muted"> · confidence {i.actor.confidence} of 100</span>
        </span>
      ) : (
        <span className="muted">none suspected</span>
      ),
    ],
    ['Reporting member', i.member ?? 'this node'],
    ['Reported by', i.owner ?? <span className="muted">a peer node</span>],
    ['Source', i.source === 'peer' ? 'received from a peer node (read only here)' : 'reported on this node'],
    ['Addressed to', <InlineList key="r" items={i.recipients} empty="not addressed: everyone it is released to" />],
    ['Delegates (may edit)', <InlineList key="d" items={i.delegates} empty="none" />],
    ['Created', when(i.created)],
    ['Modified', `${when(i.modified)} · version ${i.version}`],
  ];
  return <DetailsTable className="incident-details" caption="Incident details" rows={rows} />;
}

const EDIT_LABELS: Record<string, string> = { title: 'Title', summary: 'Summary', sectors: 'Sectors', systems: 'Affected systems', started_at: 'Started', detected_at: 'Detected', handler: 'Handler', actor: 'Suspected actor', version: 'Version' };

/** The details changed with PATCH, sent with the version they were read at: a change made meanwhile is refused (409), not overwritten. */
function EditDetails(props: { incident: Incident; onChanged: (incident: Incident) => void; onClose: () => void; reload: () => void }) {
  const i = props.incident;
  const [title, setTitle] = useState(i.title);
  const [summary, setSummary] = useState(i.summary ?? '');
  const [sectors, setSectors] = useState<string[]>(i.sectors);
  const [systems, setSystems] = useState(i.systems.join('\n'));
  const [started, setStarted] = useState(localOfIso(i.started_at));
  const [detected, setDetected] = useState(localOfIso(i.detected_at));
  const [handler, setHandler] = useState(i.handler ?? '');
  const [actor, setActor] = useState<ActorValue>({ ref: i.actor?.ref ?? '', name: i.actor?.name ?? '', confidence: String(i.actor?.confidence ?? 50) });
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [busy, setBusy] = useState(false);
  const err = (field: string) => messagesFor(refusal, field);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) {
      setRefusal({ message: '', fields: { title: 'is required' } });
      return;
    }
    setBusy(true);
    setRefusal(NO_REFUSAL);
    try {
      const body = {
        version: i.version,
        title: title.trim(),
        summary: summary.trim() || null,
        sectors,
        systems: linesOf(systems),
        started_at: isoOfLocal(started) ?? null,
        detected_at: isoOfLocal(detected) ?? null,
        handler: handler.trim() || null,
        actor: actorOfValue(actor),
      };
      props.onChanged(await api<Incident>(incidentPath(i.id), { method: 'PATCH', body }));
      props.onClose();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        setRefusal({ message: `${error.message} (${error.code}). Someone changed the incident meanwhile: read it again, then make your change.`, fields: {} });
      } else setRefusal(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="incident-edit-h" noValidate>
      <h2 id="incident-edit-h">Edit details</h2>
      <RefusalSummary refusal={refusal} title="The details were not changed" labels={EDIT_LABELS} />
      {refusal.message.includes('SW_STALE_VERSION') && (
        <p>
          <button type="button" className="secondary" onClick={props.reload}>
            Read the incident again
          </button>
        </p>
      )}
      <div className="field block">
        <label htmlFor="edit-title">Title</label>
        <input id="edit-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} {...invalidProps('edit-title', err('title'))} />
        <FieldError id="edit-title-error" text={err('title')} />
      </div>
      <div className="field block">
        <label htmlFor="edit-summary">Summary</label>
        <textarea id="edit-summary" rows={4} value={summary} onChange={(e) => setSummary(e.target.value)} {...invalidProps('edit-summary', err('summary'))} />
        <FieldError id="edit-summary-error" text={err('summary')} />
      </div>
      <SectorsField id="edit-sectors" value={sectors} onChange={setSectors} error={err('sectors')} />
      <div className="field block">
        <label htmlFor="edit-systems">Affected systems (one a line)</label>
        <textarea id="edit-systems" rows={3} value={systems} onChange={(e) => setSystems(e.target.value)} {...invalidProps('edit-systems', err('systems'))} />
        <FieldError id="edit-systems-error" text={err('systems')} />
      </div>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="edit-started">Started (your local time)</label>
          <input id="edit-started" type="datetime-local" value={started} onChange={(e) => setStarted(e.target.value)} {...invalidProps('edit-started', err('started_at'))} />
          <FieldError id="edit-started-error" text={err('started_at')} />
        </div>
        <div className="field">
          <label htmlFor="edit-detected">Detected (your local time)</label>
          <input id="edit-detected" type="datetime-local" value={detected} onChange={(e) => setDetected(e.target.value)} {...invalidProps('edit-detected', err('detected_at'))} />
          <FieldError id="edit-detected-error" text={err('detected_at')} />
        </div>
        <div className="field grow">
          <label htmlFor="edit-handler">Handler</label>
          <input id="edit-handler" value={handler} onChange={(e) => setHandler(e.target.value)} maxLength={300} {...invalidProps('edit-handler', err('handler'))} />
          <FieldError id="edit-handler-error" text={err('handler')} />
        </div>
      </div>
      <ActorFields prefix="edit" value={actor} onChange={setActor} refusal={refusal} />
      <p className="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save details'}
        </button>{' '}
        <button type="button" className="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </p>
    </form>
  );
}

function Exports(props: { id: string }) {
  const href = (format: string) => `${incidentPath(props.id, 'export')}?format=${format}`;
  return (
    <p className="actions exports" aria-label="Export">
      <a className="button secondary" href={href('stix')} download={`${props.id}.json`}>
        Export STIX bundle
      </a>
      <a className="button secondary" href={href('html')} target="_blank" rel="noopener noreferrer">
        Printable report (HTML)
      </a>
      <a className="button secondary" href={href('pdf')} download={`${props.id}.pdf`}>
        PDF report
      </a>
    </p>
  );
}

export function IncidentPage(props: { id: string }) {
  const session = useSession();
  const [incident, setIncident] = useState<Incident | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  const [editing, setEditing] = useState(false);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    setError('');
    api<Incident>(incidentPath(props.id))
      .then((i) => live && setIncident(i))
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setMissing(true);
        else setError(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, [props.id, generation]);

  if (missing) {
    return (
      <div className="view incidents" data-ready="true">
        <h1>Not found</h1>
        <p>There is no incident with this id that you may read.</p>
        <p>
          <a href="#/incidents">The incidents board</a>
        </p>
      </div>
    );
  }
  if (error && !incident) return <ErrorNote error={error} title="The incident could not be read" />;
  if (!incident || incident.id !== props.id) {
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the incident…
      </p>
    );
  }
  const i = incident;
  const editable = i.may_edit && i.source === 'local' && session.can('incidents:write');
  const panel = { incident: i, editable, onChanged: setIncident, reload };
  return (
    <article className="view incidents incident-page" data-ready="true" data-incident-id={i.id}>
      <p className="muted">
        <a href="#/incidents">Incidents</a>
      </p>
      <h1>{i.title}</h1>
      <p className="incident-summary-line">
        <IncidentBadges handling={i.handling} /> <LevelBadge level={i.severity?.level} name={i.severity?.level_name} score={i.severity?.score} /> <StatusBadge status={i.status} />
        {i.severity?.significant && <span className="pill pill-strong">significant</span>}
      </p>
      {!editable && (
        <p className="read-only-note" role="note">
          {i.source === 'peer'
            ? 'Received from a peer node: read only here; its reporting member changes it on its own node.'
            : !session.can('incidents:write')
              ? 'Read only: your roles do not allow changing incidents.'
              : 'Read only: only the reporting member’s users, the owner and its delegates change it.'}
        </p>
      )}
      <Exports id={i.id} />
      {session.can('assistance:write') && i.may_edit && i.source === 'local' && (
        <p className="actions">
          <a className="button" href={`#/assistance/new?incident=${encodeURIComponent(i.id)}`}>
            Request assistance
          </a>
        </p>
      )}
      <ErrorNote error={error} title="The incident could not be read again" />
      {editing ? (
        <EditDetails incident={i} onChanged={setIncident} onClose={() => setEditing(false)} reload={reload} />
      ) : (
        <section className="panel" aria-labelledby="incident-details-h">
          <h2 id="incident-details-h">Details</h2>
          <Details incident={i} />
          {editable && (
            <p>
              <button type="button" className="secondary" onClick={() => setEditing(true)}>
                Edit details
              </button>
            </p>
          )}
        </section>
      )}
      <div className="incident-grid">
        <StatusPanel {...panel} />
        <SeverityPanel {...panel} />
      </div>
      <TimelinePanel {...panel} />
      <TasksPanel {...panel} />
      <LinksPanel {...panel} />
    </article>
  );
}
