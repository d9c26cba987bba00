/**
 * An incident's timeline, oldest first: the notes its handlers wrote and what the node wrote
 * itself (status moves, scoring, links, tasks); a note can be added, dated now or when it
 * happened.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { when } from '../../stix.js';
import { ErrorNote } from '../common/widgets.js';
import { incidentPath, isoOfLocal, type Incident } from './model.js';
import { useChange } from './parts.js';

const KIND_NAMES: Record<string, string> = { note: 'Note', status: 'Status', scoring: 'Severity', link: 'Link', task: 'Task' };

export function TimelinePanel(props: { incident: Incident; editable: boolean; onChanged: (incident: Incident) => void; reload: () => void }) {
  const i = props.incident;
  const [text, setText] = useState('');
  const [at, setAt] = useState('');
  const change = useChange(props.onChanged, props.reload);
  const entries = [...i.timeline].sort((a, b) => a.at.localeCompare(b.at));
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    const iso = isoOfLocal(at);
    const done = await change.run(() => api<Incident>(incidentPath(i.id, 'timeline'), { method: 'POST', body: { text: text.trim(), ...(iso ? { at: iso } : {}) } }));
    if (done) {
      setText('');
      setAt('');
    }
  };
  return (
    <section className="panel" aria-labelledby="incident-timeline-h">
      <h2 id="incident-timeline-h">Timeline ({entries.length})</h2>
      {entries.length === 0 ? (
        <p className="empty">Nothing in the timeline yet.</p>
      ) : (
        <ol className="timeline">
          {entries.map((t) => (
            <li key={t.id} className={`timeline-${t.kind}`} data-timeline-kind={t.kind}>
              <span className="timeline-when">{when(t.at)}</span> <span className="kind">{KIND_NAMES[t.kind] ?? t.kind}</span> <span className="muted small">{t.author ?? 'the node'}</span>
              <p className="timeline-text">{t.text}</p>
            </li>
          ))}
        </ol>
      )}
      {props.editable && (
        <form onSubmit={(e) => void add(e)} aria-label="Add a note to the timeline">
          <div className="field block">
            <label htmlFor="timeline-text">Note</label>
            <textarea id="timeline-text" rows={2} value={text} onChange={(e) => setText(e.target.value)} maxLength={20000} required />
          </div>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="timeline-at">When it happened (optional, your local time)</label>
              <input id="timeline-at" type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
            </div>
            <button type="submit" disabled={change.busy || !text.trim()}>
              {change.busy ? 'Adding…' : 'Add note'}
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={change.error} title="The note was not added" />
    </section>
  );
}
