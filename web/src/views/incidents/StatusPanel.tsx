/**
 * An incident's status and the moves it may make from there: one button for each of the node's
 * `allowed_transitions`, nothing else. A move the node refuses (the incident moved meanwhile)
 * is answered 409; its message is shown and the incident read again.
 */
import { useState } from 'react';
import { api } from '../../api.js';
import { ErrorNote } from '../common/widgets.js';
import { incidentPath, statusName, type Incident, type IncidentStatus } from './model.js';
import { StatusBadge, useChange } from './parts.js';

/** The words of a move on its button. */
function moveLabel(from: IncidentStatus, to: IncidentStatus): string {
  if (to === 'closed') return 'Close';
  if (from === 'closed' && to === 'triaged') return 'Reopen (triaged)';
  return `Mark ${to}`;
}

export function StatusPanel(props: { incident: Incident; editable: boolean; onChanged: (incident: Incident) => void; reload: () => void }) {
  const i = props.incident;
  const [note, setNote] = useState('');
  const change = useChange(props.onChanged, props.reload);
  const move = async (to: IncidentStatus) => {
    const done = await change.run(() => api<Incident>(incidentPath(i.id, 'status'), { method: 'POST', body: { status: to, ...(note.trim() ? { note: note.trim() } : {}) } }));
    if (done) setNote('');
  };
  return (
    <section className="panel" aria-labelledby="incident-status-h">
      <h2 id="incident-status-h">Status</h2>
      <p>
        Now: <StatusBadge status={i.status} />
      </p>
      {props.editable && i.allowed_transitions.length > 0 && (
        <>
          <div className="field block">
            <label htmlFor="status-note">Note with the move (optional)</label>
            <input id="status-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
          </div>
          <p className="actions" role="group" aria-label="Move the incident to">
            {i.allowed_transitions.map((to) => (
              <button key={to} type="button" data-transition={to} className={to === 'closed' ? 'secondary' : undefined} disabled={change.busy} onClick={() => void move(to)} aria-label={`${moveLabel(i.status, to)}: move from ${statusName(i.status)} to ${statusName(to)}`}>
                {moveLabel(i.status, to)}
              </button>
            ))}
          </p>
        </>
      )}
      {props.editable && i.allowed_transitions.length === 0 && <p className="muted">No move is possible from here.</p>}
      <ErrorNote error={change.error} title="The status was not changed" />
    </section>
  );
}
