/**
 * One request for assistance: its details and handling, its approvals (how many of how many
 * required, who, with what conditions) or rejection, its response clocks, the actions the node
 * says the reader may take now (`actions`: approve with conditions, reject with a reason,
 * withdraw, close, offer), its offers (accepted or declined by the requester, withdrawn by who
 * made them), its deployments (their moves, situation reports, closure with lessons learned) and
 * its history. Every change carries the version the page read; a request the reader may not know
 * of is not found, as one that does not exist.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../../api.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote } from '../common/widgets.js';
import { assistancePath, modeName, words, type AssistanceRequest, type Catalogue, type RequestStatus } from './model.js';
import { DeploymentsPanel } from './DeploymentsPanel.js';
import { OffersPanel } from './OffersPanel.js';
import { AssistanceBadges, capabilityName, Clocks, ModeBadge, StatusBadge, UrgencyBadge, useAssistanceEvents, useCatalogue, useChange } from './parts.js';

function Details(props: { request: AssistanceRequest; catalogue: Catalogue | null }) {
  const r = props.request;
  const c = r.constraints;
  const rows: Array<[string, ReactNode]> = [
    ['Description', r.description ? <p className="aid-text">{r.description}</p> : <span className="muted">none given</span>],
    ['Incident', <a key="i" href={`#/incidents/${encodeURIComponent(r.incident_id)}`}>{r.incident_title ?? r.incident_id}</a>],
    ['Capabilities asked for', <InlineList key="c" items={r.capabilities.map((k) => capabilityName(props.catalogue, k))} empty="none" />],
    ['Where', modeName(r.mode)],
    ['Clearance required', c.clearance ?? <span className="muted">none</span>],
    ['Languages', <InlineList key="l" items={c.languages} empty="any" />],
    ['Duration', c.duration_days !== null ? `${c.duration_days} ${c.duration_days === 1 ? 'day' : 'days'}` : <span className="muted">not known</span>],
    ['Other constraints', c.other ? <p className="aid-text">{c.other}</p> : <span className="muted">none</span>],
    ['Requesting member', r.member ?? 'this node'],
    ['Requested by', r.owner ?? <span className="muted">not known</span>],
    ...(r.released_to !== null ? [['Reached members (matching standby teams)', <InlineList key="r" items={r.released_to} empty="none yet" />] as [string, ReactNode]] : []),
    ['Created', when(r.created)],
    ['Modified', `${when(r.modified)} · version ${r.version}`],
  ];
  return <DetailsTable className="aid-details" caption="Request details" rows={rows} />;
}

/** The status changes the reader may make, by the `actions` the node lists. */
function statusBody(status: RequestStatus, version: number, text: string, field: 'conditions' | 'reason') {
  return { status, version, ...(text.trim() ? { [field]: text.trim() } : {}) };
}

function ApprovalsPanel(props: { request: AssistanceRequest; reload: () => void }) {
  const r = props.request;
  const [conditions, setConditions] = useState('');
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const change = useChange(props.reload);
  const mayApprove = r.actions.includes('approve');
  const mayReject = r.actions.includes('reject');
  const post = (body: object) => api<AssistanceRequest>(assistancePath('requests', r.id, 'status'), { method: 'POST', body });
  const approve = async (e: FormEvent) => {
    e.preventDefault();
    if (await change.run(() => post(statusBody('approved', r.version, conditions, 'conditions')))) setConditions('');
  };
  const reject = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    if (await change.run(() => post(statusBody('rejected', r.version, reason, 'reason')))) {
      setReason('');
      setRejecting(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="aid-approvals-h">
      <h2 id="aid-approvals-h">Approval</h2>
      <p data-field="approvals" data-approvals={r.approvals.length} data-required={r.approvals_required}>
        <strong>
          {r.approvals.length} of {r.approvals_required}
        </strong>{' '}
        {r.approvals_required === 1 ? 'coordinator approval' : 'coordinator approvals'} required
        {r.status === 'submitted' ? '' : r.status === 'rejected' ? ' (rejected)' : ' (done)'}.
      </p>
      {r.approvals.length > 0 && (
        <ul className="aid-approvals">
          {r.approvals.map((a) => (
            <li key={`${a.by}-${a.at}`} data-approval-by={a.by}>
              <strong>{a.by}</strong> <span className="muted">({a.member ?? 'this node'})</span> approved {when(a.at)}
              {a.conditions ? (
                <>
                  {' '}
                  with conditions: <span className="aid-text">{a.conditions}</span>
                </>
              ) : (
                ' without conditions'
              )}
            </li>
          ))}
        </ul>
      )}
      {r.rejection && (
        <p className="aid-rejection" data-field="rejection">
          Rejected by <strong>{r.rejection.by}</strong> {when(r.rejection.at)}: <span className="aid-text">{r.rejection.reason}</span>
        </p>
      )}
      {mayApprove && (
        <form onSubmit={(e) => void approve(e)} aria-label="Approve the request">
          <div className="field block">
            <label htmlFor="aid-approve-conditions">Conditions of your approval (optional)</label>
            <textarea id="aid-approve-conditions" rows={2} value={conditions} onChange={(e) => setConditions(e.target.value)} maxLength={4000} />
          </div>
          <p className="actions">
            <button type="submit" disabled={change.busy}>
              Approve
            </button>{' '}
            {mayReject && !rejecting && (
              <button type="button" className="secondary" onClick={() => setRejecting(true)}>
                Reject…
              </button>
            )}
          </p>
        </form>
      )}
      {mayReject && (rejecting || !mayApprove) && (
        <form onSubmit={(e) => void reject(e)} aria-label="Reject the request">
          <div className="field block">
            <label htmlFor="aid-reject-reason">Reason for rejecting (required)</label>
            <textarea id="aid-reject-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={4000} required />
          </div>
          <p className="actions">
            <button type="submit" className="danger" disabled={change.busy || !reason.trim()}>
              Reject the request
            </button>{' '}
            {mayApprove && (
              <button type="button" className="secondary" onClick={() => setRejecting(false)}>
                Cancel
              </button>
            )}
          </p>
        </form>
      )}
      <ErrorNote error={change.error} title="The request was not changed" />
    </section>
  );
}

/** Withdraw (before anyone assists) and close (when help ended), for the requester. */
function RequesterActions(props: { request: AssistanceRequest; reload: () => void }) {
  const r = props.request;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  const moves = (['withdraw', 'close'] as const).filter((a) => r.actions.includes(a));
  if (moves.length === 0) return null;
  const move = (to: 'withdrawn' | 'closed') => void change.run(() => api<AssistanceRequest>(assistancePath('requests', r.id, 'status'), { method: 'POST', body: statusBody(to, r.version, reason, 'reason') }));
  return (
    <section className="panel" aria-labelledby="aid-requester-h">
      <h2 id="aid-requester-h">End the request</h2>
      <div className="field block">
        <label htmlFor="aid-end-reason">Why (optional)</label>
        <input id="aid-end-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={4000} />
      </div>
      <p className="actions" role="group" aria-label="End the request">
        {moves.includes('withdraw') && (
          <button type="button" className="secondary" data-action="withdraw" disabled={change.busy} onClick={() => move('withdrawn')}>
            Withdraw the request
          </button>
        )}{' '}
        {moves.includes('close') && (
          <button type="button" data-action="close" disabled={change.busy} onClick={() => move('closed')}>
            Close the request
          </button>
        )}
      </p>
      <ErrorNote error={change.error} title="The request was not changed" />
    </section>
  );
}

function History(props: { request: AssistanceRequest }) {
  const entries = [...props.request.history].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section className="panel" aria-labelledby="aid-history-h">
      <h2 id="aid-history-h">History ({entries.length})</h2>
      {entries.length === 0 ? (
        <p className="empty">Nothing yet.</p>
      ) : (
        <ol className="aid-history">
          {entries.map((h, i) => (
            <li key={`${h.at}-${i}`} data-action={h.action}>
              <span className="aid-when">{when(h.at)}</span> <span className="kind">{words(h.action)}</span>{' '}
              <span className="muted small">
                {h.by}
                {h.member ? ` (${h.member})` : ''}
              </span>
              {h.text && <p className="aid-text">{h.text}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function RequestPage(props: { id: string }) {
  const session = useSession();
  const { catalogue } = useCatalogue();
  const [request, setRequest] = useState<{ request: AssistanceRequest; readAt: number } | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let live = true;
    api<AssistanceRequest>(assistancePath('requests', props.id))
      .then((r) => {
        if (!live) return;
        setRequest({ request: r, readAt: Date.now() });
        setError('');
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setMissing(true);
        else setError(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, [props.id, generation]);
  const heard = useCallback(
    (detail: { request_id?: string; id?: string }) => {
      if (detail.request_id === undefined || detail.request_id === props.id || detail.id === props.id) reload();
    },
    [props.id, reload],
  );
  useAssistanceEvents(heard);

  if (missing) {
    return (
      <div className="view assistance" data-ready="true">
        <h1>Not found</h1>
        <p>There is no request for assistance with this id that you may read.</p>
        <p>
          <a href="#/assistance">The assistance board</a>
        </p>
      </div>
    );
  }
  if (error && !request) return <ErrorNote error={error} title="The request could not be read" />;
  if (!request || request.request.id !== props.id) {
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the request…
      </p>
    );
  }
  const r = request.request;
  const writer = session.can('assistance:write');
  return (
    <article className="view assistance aid-request" data-ready="true" data-request-id={r.id} data-status={r.status} data-version={r.version}>
      <p className="muted">
        <a href="#/assistance">Assistance</a>
      </p>
      <h1>{r.title}</h1>
      <p className="aid-summary-line">
        <AssistanceBadges handling={r.handling} /> <StatusBadge status={r.status} /> <UrgencyBadge urgency={r.urgency} /> <ModeBadge mode={r.mode} />
      </p>
      <ErrorNote error={error} title="The request could not be read again" />
      <div className="aid-grid">
        <section className="panel" aria-labelledby="aid-details-h">
          <h2 id="aid-details-h">Details</h2>
          <Details request={r} catalogue={catalogue} />
        </section>
        <div>
          <section className="panel" aria-labelledby="aid-clocks-h">
            <h2 id="aid-clocks-h">Response clocks</h2>
            <Clocks clocks={r.clocks} readAt={request.readAt} />
            <p className="muted small">Each from the request&apos;s submission, against the target of its urgency ({r.urgency}).</p>
          </section>
          <ApprovalsPanel request={r} reload={reload} />
          <RequesterActions request={r} reload={reload} />
        </div>
      </div>
      <OffersPanel request={r} catalogue={catalogue} reload={reload} writer={writer} />
      <DeploymentsPanel request={r} catalogue={catalogue} reload={reload} />
      <History request={r} />
    </article>
  );
}
