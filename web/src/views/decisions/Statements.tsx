/**
 * Coordinated attribution statements: the list one may read (#/decisions/statements), the form to
 * draft one and invite members to join it (#/decisions/statements/new?actor=<ref>&consultation=<id>),
 * and a statement's page (#/decisions/attribution-statement--…) with the members invited, joined
 * and declined (with their reasons), the responses the node lists in `actions` (join, decline with
 * a reason, cancel for the drafter), and its exports as a STIX 2.1 bundle and as text. At its
 * publication time the node publishes it with the members that joined.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { navigate, setParams, useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { ErrorNote } from '../common/widgets.js';
import { actorHref } from '../assessment/model.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import { decisionsPath, isoOfLocal, localIn, pageOf, STATEMENT_STATUSES, type Statement } from './model.js';
import { ChangeError, DecisionBadges, DecisionStatus, MemberChecks, NotFound, useChange, useMembers, useRecord } from './parts.js';

export function StatementList() {
  const route = useRoute();
  const session = useSession();
  const status = route.params.get('status') ?? '';
  const valid = (STATEMENT_STATUSES as readonly string[]).includes(status) ? status : '';
  const { record, error } = useRecord<{ statements: Statement[] }>(`${decisionsPath('statements')}${valid ? `?status=${valid}` : ''}`);
  const rows = record?.statements ?? [];
  return (
    <div className="view decisions" data-ready={record || error ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/decisions">Decisions</a>
      </p>
      <div className="dec-head">
        <h1>Attribution statements</h1>
        {session.can('decisions:participate') && (
          <a className="button" href="#/decisions/statements/new">
            Draft a statement
          </a>
        )}
      </div>
      <form className="toolbar" aria-label="Filter statements" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="dec-statement-status">Status</label>
          <select id="dec-statement-status" value={valid} onChange={(e) => setParams({ status: e.target.value || undefined })}>
            <option value="">any</option>
            {STATEMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNote error={error} title="The statements could not be read" />
      {record && rows.length === 0 ? (
        <p className="empty">No attribution statement you may read{valid ? ` is ${valid}` : ''}.</p>
      ) : (
        <div className="table-scroll">
          <table className="dec-statements">
            <caption className="sr-only">Attribution statements</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Actor</th>
                <th scope="col">Publication</th>
                <th scope="col">Joined</th>
                <th scope="col">Declined</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id} data-statement-id={s.id} data-status={s.status}>
                  <td>
                    <a href={pageOf(s.id)}>{s.title}</a> <DecisionBadges handling={s.handling} compact />
                  </td>
                  <td>
                    <DecisionStatus status={s.status} kind="statement" />
                  </td>
                  <td>
                    <a href={actorHref(s.actor.ref)}>{s.actor.name ?? s.actor.ref}</a>
                  </td>
                  <td className="small nowrap">{when(s.publish_at)}</td>
                  <td className="small">{s.joined.map((r) => r.member).join(', ') || <span className="muted">none</span>}</td>
                  <td className="small">{s.declined.map((r) => r.member).join(', ') || <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const LABELS: Record<string, string> = {
  title: 'Title',
  text: 'Text',
  actor_ref: 'Actor',
  attributed_to_ref: 'Attributed to',
  confidence: 'Confidence',
  publish_at: 'Publication time',
  invited: 'Members invited',
  consultation_id: 'Consultation',
  tlp: 'TLP',
  classification: 'Classification',
  releasability: 'Releasable to',
  body: 'Statement',
};

interface Draft extends HandlingDraft {
  title: string;
  text: string;
  actor: string;
  attributedTo: string;
  confidence: string;
  publishAt: string;
  invited: string[];
}

export function StatementForm() {
  const route = useRoute();
  const session = useSession();
  const { members, error: membersError } = useMembers();
  const consultation = route.params.get('consultation') ?? '';
  const [draft, setDraft] = useState<Draft>({
    title: '',
    text: '',
    actor: route.params.get('actor') ?? '',
    attributedTo: '',
    confidence: '75',
    publishAt: localIn(48 * 3600_000),
    invited: [],
    ...NEW_HANDLING,
    releasability: 'ALLIANCE',
  });
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));
  if (!session.can('decisions:participate')) return <p className="error">Your roles do not allow drafting an attribution statement.</p>;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    if (!draft.title.trim()) fields.title = 'is required';
    if (!draft.text.trim()) fields.text = 'is required: the statement as it will be published';
    if (!draft.actor.trim()) fields.actor_ref = 'is required: the id of the threat actor, intrusion set or campaign';
    const publishAt = isoOfLocal(draft.publishAt);
    if (!publishAt) fields.publish_at = 'is required: when the statement is published';
    const confidence = Number(draft.confidence);
    if (!Number.isInteger(confidence) || confidence < 0 || confidence > 100) fields.confidence = 'is a whole number from 0 to 100';
    if (!passes(fields)) return;
    setBusy(true);
    const releasability = draft.releasability.split(/[\s,]+/).filter(Boolean);
    const body = {
      title: draft.title.trim(),
      text: draft.text.trim(),
      actor_ref: draft.actor.trim(),
      ...(draft.attributedTo.trim() ? { attributed_to_ref: draft.attributedTo.trim() } : {}),
      confidence,
      publish_at: publishAt,
      invited: draft.invited,
      ...(consultation ? { consultation_id: consultation } : {}),
      tlp: draft.tlp,
      classification: draft.classification,
      ...(releasability.length > 0 ? { releasability } : {}),
    };
    try {
      const created = await api<Statement>(decisionsPath('statements'), { method: 'POST', body });
      navigate(pageOf(created.id));
    } catch (error) {
      refuse(refusalOf(error));
      setBusy(false);
    }
  };
  const others = (members ?? []).filter((m) => m.code !== session.memberCode);
  return (
    <div className="view decisions" data-ready={members ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/decisions">Decisions</a> · <a href="#/decisions/statements">Attribution statements</a>
        {consultation && (
          <>
            {' · '}
            <a href={pageOf(consultation)}>its consultation</a>
          </>
        )}
      </p>
      <h1>Draft an attribution statement</h1>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Draft an attribution statement">
        <div ref={top} tabIndex={-1} className="refusal-anchor">
          <RefusalSummary refusal={refusal} title="The statement was not drafted" labels={LABELS} />
        </div>
        <section className="panel" aria-labelledby="dec-st-what">
          <h2 id="dec-st-what">The statement</h2>
          <div className="field block">
            <label htmlFor="dec-st-title">Title (required)</label>
            <input id="dec-st-title" value={draft.title} onChange={(e) => set({ title: e.target.value })} maxLength={300} autoComplete="off" {...invalidProps('dec-st-title', err('title'))} />
            <FieldError id="dec-st-title-error" text={err('title')} />
          </div>
          <div className="field block">
            <label htmlFor="dec-st-text">Text (required)</label>
            <textarea id="dec-st-text" rows={6} value={draft.text} onChange={(e) => set({ text: e.target.value })} maxLength={20000} {...invalidProps('dec-st-text', err('text'))} />
            <FieldError id="dec-st-text-error" text={err('text')} />
          </div>
          <div className="toolbar">
            <div className="field grow">
              <label htmlFor="dec-st-actor">Actor (threat actor, intrusion set or campaign id)</label>
              <input id="dec-st-actor" value={draft.actor} onChange={(e) => set({ actor: e.target.value })} placeholder="intrusion-set--…" maxLength={100} {...invalidProps('dec-st-actor', err('actor_ref'))} />
              <FieldError id="dec-st-actor-error" text={err('actor_ref')} />
            </div>
            <div className="field grow">
              <label htmlFor="dec-st-attributed">Attributed to (optional id)</label>
              <input id="dec-st-attributed" value={draft.attributedTo} onChange={(e) => set({ attributedTo: e.target.value })} placeholder="threat-actor--… or identity--…" maxLength={100} {...invalidProps('dec-st-attributed', err('attributed_to_ref'))} />
              <FieldError id="dec-st-attributed-error" text={err('attributed_to_ref')} />
            </div>
            <div className="field">
              <label htmlFor="dec-st-confidence">Confidence (0–100)</label>
              <input id="dec-st-confidence" type="number" min={0} max={100} step={1} value={draft.confidence} onChange={(e) => set({ confidence: e.target.value })} {...invalidProps('dec-st-confidence', err('confidence'))} />
              <FieldError id="dec-st-confidence-error" text={err('confidence')} />
            </div>
            <div className="field">
              <label htmlFor="dec-st-publish">Published at (your local time)</label>
              <input id="dec-st-publish" type="datetime-local" value={draft.publishAt} onChange={(e) => set({ publishAt: e.target.value })} {...invalidProps('dec-st-publish', err('publish_at'))} />
              <FieldError id="dec-st-publish-error" text={err('publish_at')} />
            </div>
          </div>
        </section>
        <section className="panel" aria-labelledby="dec-st-who">
          <h2 id="dec-st-who">Members invited to join</h2>
          <ErrorNote error={membersError} title="The members could not be read" />
          <p id="dec-st-who-hint" className="muted small">
            Your member ({session.memberCode ?? 'none'}) joins as the drafter. Each member invited joins or declines before the publication time.
          </p>
          <MemberChecks id="dec-st-invited" legend="Members" name="invited" members={others} value={draft.invited} onChange={(invited) => set({ invited })} describedBy="dec-st-who-hint" invalid={err('invited') !== ''} />
          <FieldError id="dec-st-invited-error" text={err('invited')} />
        </section>
        <section className="panel" aria-labelledby="dec-st-handling">
          <h2 id="dec-st-handling">Handling of the draft</h2>
          <HandlingFields prefix="dec-st" value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="e.g. ALLIANCE" hints={{ releasability: 'dec-st-handling-hint' }} />
          <p id="dec-st-handling-hint" className="muted small">
            The draft is addressed to the members invited; once published, the statement is TLP:CLEAR.
          </p>
        </section>
        <p className="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Drafting…' : 'Draft and invite'}
          </button>{' '}
          <a className="button secondary" href="#/decisions/statements">
            Cancel
          </a>
        </p>
      </form>
    </div>
  );
}

function Responses(props: { statement: Statement; reload: () => void }) {
  const s = props.statement;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  if (s.actions.length === 0) return null;
  const respond = (response: 'join' | 'decline' | 'cancel') => {
    if (response === 'decline' && !reason.trim()) return;
    void change.run(() => api<Statement>(decisionsPath('statements', s.id, 'respond'), { method: 'POST', body: { response, version: s.version, ...(reason.trim() ? { reason: reason.trim() } : {}) } }));
  };
  return (
    <section className="panel" aria-labelledby="dec-respond-h">
      <h2 id="dec-respond-h">Your member’s answer</h2>
      <div className="field block">
        <label htmlFor="dec-respond-reason">Reason {s.actions.includes('decline') ? '(required to decline)' : '(optional)'}</label>
        <textarea id="dec-respond-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} />
      </div>
      <p className="actions">
        {s.actions.includes('join') && (
          <button type="button" data-response="join" disabled={change.busy} onClick={() => respond('join')}>
            Join
          </button>
        )}
        {s.actions.includes('decline') && (
          <button type="button" className="secondary" data-response="decline" disabled={change.busy || !reason.trim()} onClick={() => respond('decline')}>
            Decline
          </button>
        )}
        {s.actions.includes('cancel') && (
          <button type="button" className="danger" data-response="cancel" disabled={change.busy} onClick={() => respond('cancel')}>
            Cancel the statement
          </button>
        )}
      </p>
      <ChangeError error={change.error} stale={change.stale} title="Your answer was not recorded" />
    </section>
  );
}

export function StatementPage(props: { id: string }) {
  const { record: s, missing, error, reload } = useRecord<Statement>(decisionsPath('statements', props.id));
  if (missing) return <NotFound what="attribution statement" back="#/decisions/statements" backTitle="The attribution statements" />;
  if (!s) {
    if (error) return <ErrorNote error={error} title="The statement could not be read" />;
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the statement…
      </p>
    );
  }
  const answered = new Set([...s.joined, ...s.declined].map((r) => r.member));
  const waiting = s.invited.filter((m) => !answered.has(m));
  return (
    <article className="view decisions" data-ready="true" data-statement-id={s.id} data-status={s.status} data-version={s.version}>
      <p className="muted">
        <a href="#/decisions">Decisions</a> · <a href="#/decisions/statements">Attribution statements</a>
      </p>
      <h1>{s.title}</h1>
      <p className="dec-summary-line">
        <DecisionBadges handling={s.handling} /> <DecisionStatus status={s.status} kind="statement" />
      </p>
      <ErrorNote error={error} title="The statement could not be read again" />
      <div className="dec-grid">
        <section className="panel" aria-labelledby="dec-st-text-h">
          <h2 id="dec-st-text-h">Statement</h2>
          <div className="dec-proposal-text">{s.text}</div>
          <DetailsTable
            className="dec-details"
            caption="Statement details"
            rows={[
              ['Actor', <a key="a" href={actorHref(s.actor.ref)}>{s.actor.name ?? s.actor.ref}</a>],
              ['Attributed to', s.attributed_to ? (s.attributed_to.name ?? s.attributed_to.ref) : <span className="muted">not named</span>],
              ['Confidence', `${s.confidence} of 100`],
              ['Publication', s.published ? `published ${when(s.published.at)}` : `${s.status === 'cancelled' ? 'was due' : 'due'} ${when(s.publish_at)}`],
              ['Drafted by', s.drafted_by ?? 'this node'],
              ['Consultation', s.consultation_id ? <a key="c" href={pageOf(s.consultation_id)}>its consultation</a> : <span className="muted">none</span>],
              ['Modified', `${when(s.modified)} · version ${s.version}`],
            ]}
          />
          <p className="actions">
            <a className="button secondary" href={decisionsPath('statements', s.id, 'stix')} download={`${s.id}.json`}>
              STIX 2.1 bundle
            </a>
            <a className="button secondary" href={decisionsPath('statements', s.id, 'text')} download={`${s.id}.txt`}>
              Text
            </a>
          </p>
        </section>
        <div>
          <section className="panel" aria-labelledby="dec-st-members-h">
            <h2 id="dec-st-members-h">Members</h2>
            <DetailsTable
              className="dec-details"
              caption="Members invited, joined and declined"
              rows={[
                ['Invited', <InlineList key="i" items={s.invited} empty="none" />],
                ['Joined', <span key="j" data-field="joined"><InlineList items={s.joined.map((r) => r.member)} empty="none yet" /></span>],
                ['Declined', <span key="d" data-field="declined"><InlineList items={s.declined.map((r) => r.member)} empty="none" /></span>],
                ['Not answered', <InlineList key="w" items={waiting} empty="none" />],
              ]}
            />
            {s.declined.some((r) => r.reason) && (
              <ul className="dec-entries">
                {s.declined.map((r) => (
                  <li key={r.member}>
                    <strong>{r.member}</strong> declined {when(r.at)}
                    {r.reason && <p className="dec-text">{r.reason}</p>}
                  </li>
                ))}
              </ul>
            )}
            {s.published && <p>Published with {s.published.members.join(', ')} as STIX report <code>{s.published.report_id}</code>.</p>}
          </section>
          <Responses statement={s} reload={reload} />
        </div>
      </div>
    </article>
  );
}
