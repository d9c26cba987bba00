/**
 * An incident's tasks: what is to be done, by whom, by when; a task is added, marked done or
 * opened again, or removed (one added by mistake; an incident holds at most 500).
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { when } from '../../stix.js';
import { ConfirmButton } from '../admin/shared.js';
import { ErrorNote } from '../common/widgets.js';
import { incidentPath, isoOfLocal, type Incident, type IncidentTask } from './model.js';
import { useChange } from './parts.js';

export function TasksPanel(props: { incident: Incident; editable: boolean; onChanged: (incident: Incident) => void; reload: () => void }) {
  const i = props.incident;
  const [title, setTitle] = useState('');
  const [assignee, setAssignee] = useState('');
  const [due, setDue] = useState('');
  const change = useChange(props.onChanged, props.reload);
  const open = i.tasks.filter((t) => t.status === 'open').length;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    const iso = isoOfLocal(due);
    const done = await change.run(() =>
      api<Incident>(incidentPath(i.id, 'tasks'), { method: 'POST', body: { title: title.trim(), ...(assignee.trim() ? { assignee: assignee.trim() } : {}), ...(iso ? { due: iso } : {}) } }),
    );
    if (done) {
      setTitle('');
      setAssignee('');
      setDue('');
    }
  };
  const mark = (task: IncidentTask, status: IncidentTask['status']) => void change.run(() => api<Incident>(incidentPath(i.id, 'tasks', task.id), { method: 'PATCH', body: { status } }));
  const remove = (task: IncidentTask) => void change.run(() => api<Incident>(incidentPath(i.id, 'tasks', task.id), { method: 'DELETE' }));

  return (
    <section className="panel" aria-labelledby="incident-tasks-h">
      <h2 id="incident-tasks-h">
        Tasks ({open} open of {i.tasks.length})
      </h2>
      {i.tasks.length === 0 ? (
        <p className="empty">No tasks yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="tasks">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Assignee</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                {props.editable && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {i.tasks.map((t) => (
                <tr key={t.id} data-task-id={t.id} data-task-status={t.status} className={`task-${t.status}`}>
                  <td>{t.title}</td>
                  <td>{t.assignee ?? <span className="muted">nobody yet</span>}</td>
                  <td>{t.due ? when(t.due) : <span className="muted">none</span>}</td>
                  <td>{t.status === 'done' ? 'Done' : 'Open'}</td>
                  {props.editable && (
                    <td>
                      <button type="button" className="secondary" disabled={change.busy} onClick={() => mark(t, t.status === 'done' ? 'open' : 'done')} aria-label={t.status === 'done' ? `Reopen task: ${t.title}` : `Mark done: ${t.title}`}>
                        {t.status === 'done' ? 'Reopen' : 'Mark done'}
                      </button>{' '}
                      <ConfirmButton label="Remove" ariaLabel={`Remove task: ${t.title}`} confirm="Remove the task" onConfirm={() => remove(t)} disabled={change.busy} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.editable && (
        <form onSubmit={(e) => void add(e)} aria-label="Add a task">
          <div className="toolbar">
            <div className="field grow">
              <label htmlFor="task-title">New task</label>
              <input id="task-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} required />
            </div>
            <div className="field">
              <label htmlFor="task-assignee">Assignee</label>
              <input id="task-assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} maxLength={300} size={14} />
            </div>
            <div className="field">
              <label htmlFor="task-due">Due (your local time)</label>
              <input id="task-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
            </div>
            <button type="submit" disabled={change.busy || !title.trim()}>
              Add task
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={change.error} title="The task was not changed" />
    </section>
  );
}
