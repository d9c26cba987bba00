/**
 * The consultations one may read (#/decisions/consultations?show=open|closed|all&subject=<ref>),
 * newest change first, and the form to request one (#/decisions/new?kind=actor&subject=<ref>,
 * opened pre-filled by "Request consultation" on an actor's assessment): its title and
 * description, its subject (an actor or an incident), the members to consult, and its handling.
 * What the node refuses is said beside the field it names; an accepted request opens on its page.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { navigate, setParams, useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { ErrorNote } from '../common/widgets.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import { decisionsPath, pageOf, type Consultation, type ConsultationSummary } from './model.js';
import { SubjectLink } from './Overview.js';
import { DecisionBadges, DecisionStatus, MemberChecks, useMembers, useRecord } from './parts.js';

const SHOWS = { open: 'open', closed: 'closed', all: 'open,closed' } as const;
type Show = keyof typeof SHOWS;

export function ConsultationList() {
  const route = useRoute();
  const session = useSession();
  const shown = route.params.get('show');
  const show: Show = shown === 'closed' || shown === 'all' ? shown : 'open';
  const subject = route.params.get('subject') ?? '';
  const { record, error } = useRecord<{ consultations: ConsultationSummary[] }>(`${decisionsPath('consultations')}?status=${SHOWS[show]}${subject ? `&subject=${encodeURIComponent(subject)}` : ''}`);
  const rows = record?.consultations ?? [];
  return (
    <div className="view decisions" data-ready={record || error ? 'true' : 'false'}>
      <p className="muted">
        <a href="#/decisions">Decisions</a>
      </p>
      <div className="dec-head">
        <h1>Consultations</h1>
        {session.can('decisions:participate') && (
          <a className="button" href="#/decisions/new">
            Request a consultation
          </a>
        )}
      </div>
      <form className="toolbar" aria-label="Filter consultations" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="dec-show">Show</label>
          <select id="dec-show" value={show} onChange={(e) => setParams({ show: e.target.value === 'open' ? undefined : e.target.value })}>
            <option value="open">open consultations</option>
            <option value="closed">closed consultations</option>
            <option value="all">all consultations</option>
          </select>
        </div>
        {subject && (
          <p>
            On <code>{subject}</code>{' '}
            <button type="button" className="secondary" onClick={() => setParams({ subject: undefined })}>
              Any subject
            </button>
          </p>
        )}
      </form>
      <ErrorNote error={error} title="The consultations could not be read" />
      {record && rows.length === 0 ? (
        <p className="empty">No {show === 'all' ? '' : `${show} `}consultation you may read.</p>
      ) : (
        <div className="table-scroll">
          <table className="dec-consultations">
            <caption className="sr-only">Consultations</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Subject</th>
                <th scope="col">Members</th>
                <th scope="col" className="num">
                  Proposals
                </th>
                <th scope="col">Silence until</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id} data-consultation-id={c.id} data-status={c.status}>
                  <td>
                    <a href={pageOf(c.id)}>{c.title}</a> <DecisionBadges handling={c.handling} compact />
                  </td>
                  <td>
                    <DecisionStatus status={c.status} kind="consultation" />
                  </td>
                  <td>
                    <SubjectLink subject={c.subject} />
                  </td>
                  <td className="small">
                    {c.requested_by ?? 'this node'} with {c.participants.join(', ')}
                  </td>
                  <td className="num">{c.proposals}</td>
                  <td className="small nowrap">{c.silence_deadline ? when(c.silence_deadline) : <span className="muted">none</span>}</td>
                  <td className="small nowrap">{when(c.modified)}</td>
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
  description: 'Description',
  subject: 'Subject',
  'subject.kind': 'Subject kind',
  'subject.ref': 'Subject id',
  participants: 'Members to consult',
  tlp: 'TLP',
  classification: 'Classification',
  releasability: 'Releasable to',
  body: 'Consultation',
};

interface Draft extends HandlingDraft {
  title: string;
  description: string;
  kind: 'actor' | 'incident';
  ref: string;
  participants: string[];
}

export function ConsultationForm() {
  const route = useRoute();
  const session = useSession();
  const { members, error: membersError } = useMembers();
  const kind = route.params.get('kind') === 'incident' ? 'incident' : 'actor';
  const [draft, setDraft] = useState<Draft>({
    title: route.params.get('title') ?? '',
    description: '',
    kind,
    ref: route.params.get('subject') ?? '',
    participants: [],
    ...NEW_HANDLING,
    releasability: 'ALLIANCE',
  });
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));
  if (!session.can('decisions:participate')) return <p className="error">Your roles do not allow requesting a consultation.</p>;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    if (!draft.title.trim()) fields.title = 'is required: say in a few words what the members are consulted on';
    if (!draft.ref.trim()) fields['subject.ref'] = `is required: the id of the ${draft.kind === 'actor' ? 'threat actor, intrusion set or campaign' : 'incident'}`;
    if (draft.participants.length === 0) fields.participants = 'choose at least one member to consult';
    if (!passes(fields)) return;
    setBusy(true);
    const releasability = draft.releasability.split(/[\s,]+/).filter(Boolean);
    const body = {
      title: draft.title.trim(),
      ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
      subject: { kind: draft.kind, ref: draft.ref.trim() },
      participants: draft.participants,
      tlp: draft.tlp,
      classification: draft.classification,
      ...(releasability.length > 0 ? { releasability } : {}),
    };
    try {
      const created = await api<Consultation>(decisionsPath('consultations'), { method: 'POST', body });
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
        <a href="#/decisions">Decisions</a> · <a href="#/decisions/consultations">Consultations</a>
      </p>
      <h1>Request a consultation</h1>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Request a consultation">
        <div ref={top} tabIndex={-1} className="refusal-anchor">
          <RefusalSummary refusal={refusal} title="The consultation was not requested" labels={LABELS} />
        </div>
        <section className="panel" aria-labelledby="dec-new-what">
          <h2 id="dec-new-what">On what</h2>
          <div className="field block">
            <label htmlFor="dec-new-title">Title (required)</label>
            <input id="dec-new-title" value={draft.title} onChange={(e) => set({ title: e.target.value })} maxLength={300} autoComplete="off" {...invalidProps('dec-new-title', err('title'))} />
            <FieldError id="dec-new-title-error" text={err('title')} />
          </div>
          <div className="field block">
            <label htmlFor="dec-new-description">Description</label>
            <textarea id="dec-new-description" rows={3} value={draft.description} onChange={(e) => set({ description: e.target.value })} maxLength={20000} {...invalidProps('dec-new-description', err('description'))} />
            <FieldError id="dec-new-description-error" text={err('description')} />
          </div>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="dec-new-kind">Subject</label>
              <select id="dec-new-kind" value={draft.kind} onChange={(e) => set({ kind: e.target.value === 'incident' ? 'incident' : 'actor' })}>
                <option value="actor">an actor (threat actor, intrusion set, campaign)</option>
                <option value="incident">an incident</option>
              </select>
            </div>
            <div className="field grow">
              <label htmlFor="dec-new-ref">Its id</label>
              <input id="dec-new-ref" value={draft.ref} onChange={(e) => set({ ref: e.target.value })} placeholder={draft.kind === 'actor' ? 'intrusion-set--…' : 'incident--…'} maxLength={100} {...invalidProps('dec-new-ref', err('subject'))} />
              <FieldError id="dec-new-ref-error" text={err('subject')} />
            </div>
          </div>
        </section>
        <section className="panel" aria-labelledby="dec-new-who">
          <h2 id="dec-new-who">Members to consult</h2>
          <ErrorNote error={membersError} title="The members could not be read" />
          <p id="dec-new-who-hint" className="muted small">
            Your member ({session.memberCode ?? 'none'}) takes part as the requester. The consultation, its proposals and their decision records are addressed to these members.
          </p>
          <MemberChecks id="dec-new-participants" legend="Members (at least one)" name="participants" members={others} value={draft.participants} onChange={(participants) => set({ participants })} describedBy={['dec-new-who-hint', err('participants') ? 'dec-new-participants-error' : ''].filter(Boolean).join(' ')} invalid={err('participants') !== ''} />
          <FieldError id="dec-new-participants-error" text={err('participants')} />
        </section>
        <section className="panel" aria-labelledby="dec-new-handling">
          <h2 id="dec-new-handling">Handling</h2>
          <HandlingFields prefix="dec-new" value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="e.g. ALLIANCE" hints={{ releasability: 'dec-new-handling-hint' }} />
          <p id="dec-new-handling-hint" className="muted small">
            Release it so that every member consulted may read it (e.g. ALLIANCE); the node refuses a marking that keeps one of them out.
          </p>
        </section>
        <p className="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Requesting…' : 'Request the consultation'}
          </button>{' '}
          <a className="button secondary" href="#/decisions/consultations">
            Cancel
          </a>
        </p>
      </form>
    </div>
  );
}
