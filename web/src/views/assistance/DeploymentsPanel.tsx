/**
 * A request's deployments, one per accepted offer: the team and the two members, the status with
 * one button per move the node allows (`allowed_transitions`, to those who may edit it: mobilising
 * → active or demobilised, active → demobilised, demobilised → closed with the lessons learned),
 * and the situation reports, newest last, with a form to add one.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { ErrorNote } from '../common/widgets.js';
import { assistancePath, words, type AssistanceRequest, type Catalogue, type Deployment, type DeploymentStatus } from './model.js';
import { capabilityName, ModeBadge, StatusBadge, useChange } from './parts.js';

const MOVE_NAMES: Record<DeploymentStatus, string> = { mobilising: 'Mobilising', active: 'Mark active (the team is at work)', demobilised: 'Demobilise', closed: 'Close with lessons learned' };

function DeploymentCard(props: { deployment: Deployment; index: number; catalogue: Catalogue | null; reload: () => void; requester: boolean }) {
  const d = props.deployment;
  const p = `dep-${props.index}`;
  const [lessons, setLessons] = useState('');
  const [share, setShare] = useState(false);
  const [sitrep, setSitrep] = useState('');
  const moves = useChange(props.reload);
  const reports = useChange(props.reload);
  const move = (to: DeploymentStatus) => {
    if (to === 'closed' && !lessons.trim()) return;
    void moves.run(() => api<Deployment>(assistancePath('deployments', d.id, 'status'), { method: 'POST', body: { status: to, version: d.version, ...(to === 'closed' ? { lessons_learned: lessons.trim(), ...(share ? { share_with_incident: true } : {}) } : {}) } }));
  };
  const report = async (e: FormEvent) => {
    e.preventDefault();
    if (!sitrep.trim()) return;
    if (await reports.run(() => api<Deployment>(assistancePath('deployments', d.id, 'sitreps'), { method: 'POST', body: { text: sitrep.trim() } }))) setSitrep('');
  };
  const sitreps = [...d.sitreps].sort((a, b) => a.at.localeCompare(b.at));
  const closing = d.may_edit && d.allowed_transitions.includes('closed');
  return (
    <li className="aid-deployment" data-deployment-id={d.id} data-status={d.status}>
      <div className="aid-card-head">
        <h3 id={`${p}-h`}>{d.team_name ?? 'A team'}</h3> <StatusBadge status={d.status} kind="deployment" /> <ModeBadge mode={d.mode} />
      </div>
      <p className="small">
        <span data-field="assisting">{d.assisting_member ?? 'this node'}</span> assists <span data-field="requesting">{d.requesting_member ?? 'this node'}</span> with {d.capabilities.map((c) => capabilityName(props.catalogue, c)).join(', ')}
      </p>
      <p className="small muted">
        Since {when(d.created)}
        {d.activated_at ? ` · active ${when(d.activated_at)}` : ''}
        {d.demobilised_at ? ` · demobilised ${when(d.demobilised_at)}` : ''}
        {d.closed_at ? ` · closed ${when(d.closed_at)}` : ''}
      </p>
      {d.lessons_learned && (
        <div className="aid-lessons">
          <h4>Lessons learned</h4>
          <p className="aid-text">{d.lessons_learned}</p>
        </div>
      )}
      {d.may_edit && d.allowed_transitions.length > 0 && (
        <>
          {closing && (
            <div className="field block">
              <label htmlFor={`${p}-lessons`}>Lessons learned (required to close)</label>
              <textarea id={`${p}-lessons`} rows={3} value={lessons} onChange={(e) => setLessons(e.target.value)} maxLength={20000} />
              {props.requester && (
                <label className="check" htmlFor={`${p}-share`}>
                  <input id={`${p}-share`} type="checkbox" checked={share} onChange={(e) => setShare(e.currentTarget.checked)} /> Also add them to the incident&apos;s timeline
                </label>
              )}
            </div>
          )}
          <p className="actions" role="group" aria-labelledby={`${p}-h`}>
            {d.allowed_transitions.map((to) => (
              <button key={to} type="button" data-transition={to} className={to === 'active' ? undefined : 'secondary'} disabled={moves.busy || (to === 'closed' && !lessons.trim())} onClick={() => move(to)} aria-label={`${MOVE_NAMES[to]}: move from ${words(d.status)} to ${words(to)}`}>
                {MOVE_NAMES[to]}
              </button>
            ))}
          </p>
        </>
      )}
      <ErrorNote error={moves.error} title="The deployment was not moved" />
      <h4>Situation reports ({sitreps.length})</h4>
      {sitreps.length === 0 ? (
        <p className="empty small">None yet.</p>
      ) : (
        <ol className="aid-history">
          {sitreps.map((s) => (
            <li key={s.id} data-sitrep-id={s.id}>
              <span className="aid-when">{when(s.at)}</span>{' '}
              <span className="muted small">
                {s.author}
                {s.member ? ` (${s.member})` : ''}
              </span>
              <p className="aid-text">{s.text}</p>
            </li>
          ))}
        </ol>
      )}
      {d.may_edit && d.status !== 'closed' && (
        <form onSubmit={(e) => void report(e)} aria-label={`Add a situation report on ${d.team_name ?? 'the deployment'}`}>
          <div className="field block">
            <label htmlFor={`${p}-sitrep`}>Situation report</label>
            <textarea id={`${p}-sitrep`} rows={2} value={sitrep} onChange={(e) => setSitrep(e.target.value)} maxLength={20000} />
          </div>
          <button type="submit" disabled={reports.busy || !sitrep.trim()}>
            Add the report
          </button>
        </form>
      )}
      <ErrorNote error={reports.error} title="The report was not added" />
    </li>
  );
}

export function DeploymentsPanel(props: { request: AssistanceRequest; catalogue: Catalogue | null; reload: () => void }) {
  const session = useSession();
  const r = props.request;
  return (
    <section className="panel" aria-labelledby="aid-request-deployments-h">
      <h2 id="aid-request-deployments-h">Deployments ({r.deployments.length})</h2>
      {r.deployments.length === 0 ? (
        <p className="empty">No deployment: an accepted offer becomes one.</p>
      ) : (
        <ul className="aid-deployment-list">
          {r.deployments.map((d, i) => (
            <DeploymentCard key={d.id} deployment={d} index={i} catalogue={props.catalogue} reload={props.reload} requester={session.memberCode !== null && session.memberCode === d.requesting_member} />
          ))}
        </ul>
      )}
    </section>
  );
}
