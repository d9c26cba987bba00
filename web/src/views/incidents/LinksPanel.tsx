/**
 * The intel and observables an incident links (each a STIX object, shown with its own handling,
 * or as not readable to this reader), a link added by STIX id, and one removed. The node keeps
 * each link as a `related-to` relationship of the incident's STIX object, so it federates.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { ConfirmButton } from '../admin/shared.js';
import { ObjectRef } from '../common/objects.js';
import { ErrorNote } from '../common/widgets.js';
import { FieldError, invalidProps } from './fields.js';
import { incidentPath, STIX_ID, type Incident, type IncidentLink } from './model.js';
import { useChange } from './parts.js';

export function LinksPanel(props: { incident: Incident; editable: boolean; onChanged: (incident: Incident) => void; reload: () => void }) {
  const i = props.incident;
  const [objectId, setObjectId] = useState('');
  const [kind, setKind] = useState<IncidentLink['kind']>('intel');
  const [note, setNote] = useState('');
  const [idError, setIdError] = useState('');
  const change = useChange(props.onChanged, props.reload);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const id = objectId.trim();
    if (!STIX_ID.test(id)) {
      setIdError('must be a STIX id: type--uuid, e.g. indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f');
      return;
    }
    setIdError('');
    const done = await change.run(() => api<Incident>(incidentPath(i.id, 'links'), { method: 'POST', body: { object_id: id, kind, ...(note.trim() ? { note: note.trim() } : {}) } }));
    if (done) {
      setObjectId('');
      setNote('');
    }
  };
  const remove = (link: IncidentLink) => void change.run(() => api<Incident>(incidentPath(i.id, 'links', link.object_id), { method: 'DELETE' }));

  return (
    <section className="panel" aria-labelledby="incident-links-h">
      <h2 id="incident-links-h">Linked intel ({i.links.length})</h2>
      {i.links.length === 0 ? (
        <p className="empty">No intel or observable linked yet.</p>
      ) : (
        <ul className="links">
          {i.links.map((l) => (
            <li key={l.object_id}>
              <span className="pill">{l.kind}</span> <ObjectRef id={l.object_id} handling={undefined} compact />
              {l.note && <span className="muted small"> · {l.note}</span>}
              {props.editable && (
                <>
                  {' '}
                  <ConfirmButton label="Remove" ariaLabel={`Remove the link to ${l.object_id}`} confirm="Remove the link" onConfirm={() => remove(l)} disabled={change.busy} />
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {props.editable && (
        <form onSubmit={(e) => void add(e)} aria-label="Link intel or an observable" noValidate>
          <div className="toolbar">
            <div className="field grow">
              <label htmlFor="link-id">STIX id to link</label>
              <input id="link-id" value={objectId} onChange={(e) => setObjectId(e.target.value)} placeholder="indicator--…" maxLength={200} autoComplete="off" {...invalidProps('link-id', idError)} />
              <FieldError id="link-id-error" text={idError} />
            </div>
            <div className="field">
              <label htmlFor="link-kind">Kind</label>
              <select id="link-kind" value={kind} onChange={(e) => setKind(e.target.value === 'observable' ? 'observable' : 'intel')}>
                <option value="intel">intel (indicator, malware, …)</option>
                <option value="observable">observable (an SCO)</option>
              </select>
            </div>
            <div className="field grow">
              <label htmlFor="link-note">Note (optional)</label>
              <input id="link-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={300} />
            </div>
            <button type="submit" disabled={change.busy || !objectId.trim()}>
              Link
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={change.error} title="The link was not changed" />
    </section>
  );
}
