/**
 * One consultation (#/decisions/consultation--…): its subject, requester and participants, its
 * handling; the statements and documents of the members consulted and the chairs' minutes; its
 * proposals (those under silence with their countdowns); and, as the node lists in `actions`,
 * the forms to add a statement, a document or minutes, to draft a proposal from the
 * response-options catalogue (grouped by family, the options that stay national decisions
 * flagged), and to close or reopen it. A consultation one may not read is not found, as one that
 * does not exist.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { navigate } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { ErrorNote } from '../common/widgets.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import { decisionsPath, FAMILY_NAMES, OPTION_FAMILIES, optionName, pageOf, RESPONSE_OPTIONS, type Consultation, type ConsultationEntry, type Proposal } from './model.js';
import { SubjectLink } from './Overview.js';
import { ChangeError, Countdown, DecisionBadges, DecisionStatus, History, NotFound, useChange, useRecord } from './parts.js';

function Entries(props: { title: string; id: string; entries: readonly ConsultationEntry[]; empty: string }) {
  return (
    <section className="panel" aria-labelledby={`${props.id}-h`} data-entries={props.id}>
      <h2 id={`${props.id}-h`}>
        {props.title} ({props.entries.length})
      </h2>
      {props.entries.length === 0 ? (
        <p className="empty">{props.empty}</p>
      ) : (
        <ul className="dec-entries">
          {props.entries.map((e) => (
            <li key={e.id} data-entry-id={e.id}>
              {e.title && <strong className="dec-entry-title">{e.title} </strong>}
              <span className="muted small">
                {e.member ?? 'this node'} · {e.by} · {when(e.at)}
              </span>
              <p className="dec-text">{e.text}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const ENTRY_NAMES: Record<'statement' | 'document' | 'minutes', string> = { statement: 'a statement', document: 'a document', minutes: 'minutes' };

function EntryForm(props: { consultation: Consultation; reload: () => void }) {
  const c = props.consultation;
  const kinds = (['statement', 'document', 'minutes'] as const).filter((k) => c.actions.includes(k));
  const [kind, setKind] = useState<(typeof kinds)[number]>(kinds[0] ?? 'statement');
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const change = useChange(props.reload);
  if (kinds.length === 0) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim() || (kind === 'document' && !title.trim())) return;
    const body = { kind, text: text.trim(), version: c.version, ...(kind === 'document' ? { title: title.trim() } : {}) };
    if (await change.run(() => api<Consultation>(decisionsPath('consultations', c.id, 'entries'), { method: 'POST', body }))) {
      setText('');
      setTitle('');
    }
  };
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="dec-entry-h">
      <h2 id="dec-entry-h">Add to the consultation</h2>
      <fieldset className="radios">
        <legend>What</legend>
        {kinds.map((k) => (
          <label key={k}>
            <input type="radio" name="entry-kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {ENTRY_NAMES[k]}
          </label>
        ))}
      </fieldset>
      {kind === 'document' && (
        <div className="field block">
          <label htmlFor="dec-entry-title">Document title (required)</label>
          <input id="dec-entry-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} required />
        </div>
      )}
      <div className="field block">
        <label htmlFor="dec-entry-text">{kind === 'minutes' ? 'Minutes' : kind === 'document' ? 'Document text' : 'Your member’s statement'} (required)</label>
        <textarea id="dec-entry-text" rows={4} value={text} onChange={(e) => setText(e.target.value)} maxLength={20000} required />
      </div>
      <p className="actions">
        <button type="submit" disabled={change.busy || !text.trim() || (kind === 'document' && !title.trim())}>
          Add {ENTRY_NAMES[kind]}
        </button>
      </p>
      <ChangeError error={change.error} stale={change.stale} title="It was not added" />
    </form>
  );
}

const PROPOSAL_LABELS: Record<string, string> = { title: 'Title', text: 'Text', options: 'Response options', proportionality: 'Proportionality', body: 'Proposal' };

/** The response options of the catalogue as check boxes, by family; those that stay national decisions flagged. */
export function OptionChecks(props: { id: string; value: readonly string[]; onChange: (options: string[]) => void; error: string }) {
  const toggle = (key: string, on: boolean) => props.onChange(on ? [...props.value, key] : props.value.filter((k) => k !== key));
  return (
    <fieldset id={props.id} {...invalidProps(props.id, props.error, `${props.id}-hint`)}>
      <legend>Response options (at least one)</legend>
      <p id={`${props.id}-hint`} className="muted small">
        Options marked <span className="dec-national">national decision</span> are consulted on here; each member decides on them under its own law.
      </p>
      <div className="dec-options">
        {OPTION_FAMILIES.map((family) => (
          <div key={family} data-family={family}>
            <p className="small">
              <strong>{FAMILY_NAMES[family]}</strong>
            </p>
            {RESPONSE_OPTIONS.filter((o) => o.family === family).map((o) => (
              <label key={o.key} className="dec-option">
                <input type="checkbox" name="options" value={o.key} checked={props.value.includes(o.key)} onChange={(e) => toggle(o.key, e.currentTarget.checked)} /> <span className="name">{o.name}</span>
                {o.national_decision && (
                  <>
                    {' '}
                    <span className="dec-national">national decision</span>
                  </>
                )}
                <br />
                <span className="muted small">{o.description}</span>
              </label>
            ))}
          </div>
        ))}
      </div>
      <FieldError id={`${props.id}-error`} text={props.error} />
    </fieldset>
  );
}

function ProposalForm(props: { consultation: Consultation }) {
  const c = props.consultation;
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [options, setOptions] = useState<string[]>([]);
  const [proportionality, setProportionality] = useState('');
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  if (!c.actions.includes('propose')) return null;
  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          Draft a proposal
        </button>
      </p>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    if (!title.trim()) fields.title = 'is required';
    if (!text.trim()) fields.text = 'is required: the text the members are to agree on';
    if (options.length === 0) fields.options = 'choose at least one response option';
    if (!passes(fields)) return;
    setBusy(true);
    try {
      const created = await api<Proposal>(decisionsPath('consultations', c.id, 'proposals'), {
        method: 'POST',
        body: { title: title.trim(), text: text.trim(), options, ...(proportionality.trim() ? { proportionality: proportionality.trim() } : {}) },
      });
      navigate(pageOf(created.id));
    } catch (error) {
      refuse(refusalOf(error));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="dec-propose-h" className="dec-actions">
      <h3 id="dec-propose-h">Draft a proposal</h3>
      <div ref={top} tabIndex={-1} className="refusal-anchor">
        <RefusalSummary refusal={refusal} title="The proposal was not drafted" labels={PROPOSAL_LABELS} />
      </div>
      <div className="field block">
        <label htmlFor="dec-propose-title">Title (required)</label>
        <input id="dec-propose-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} autoComplete="off" {...invalidProps('dec-propose-title', err('title'))} />
        <FieldError id="dec-propose-title-error" text={err('title')} />
      </div>
      <div className="field block">
        <label htmlFor="dec-propose-text">Text (required)</label>
        <textarea id="dec-propose-text" rows={6} value={text} onChange={(e) => setText(e.target.value)} maxLength={20000} {...invalidProps('dec-propose-text', err('text'))} />
        <FieldError id="dec-propose-text-error" text={err('text')} />
      </div>
      <OptionChecks id="dec-propose-options" value={options} onChange={setOptions} error={err('options')} />
      <div className="field block">
        <label htmlFor="dec-propose-proportionality">Proportionality: why the response fits what was done (optional)</label>
        <textarea id="dec-propose-proportionality" rows={3} value={proportionality} onChange={(e) => setProportionality(e.target.value)} maxLength={20000} {...invalidProps('dec-propose-proportionality', err('proportionality'))} />
        <FieldError id="dec-propose-proportionality-error" text={err('proportionality')} />
      </div>
      <p className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Drafting…' : 'Draft the proposal'}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
    </form>
  );
}

function Proposals(props: { consultation: Consultation; skew: number; reload: () => void }) {
  const list = props.consultation.proposal_list;
  return (
    <section className="panel" aria-labelledby="dec-proposals-h">
      <h2 id="dec-proposals-h">Proposals ({list.length})</h2>
      {list.length === 0 ? (
        <p className="empty">No proposal yet.</p>
      ) : (
        <ul className="dec-list">
          {list.map((p) => (
            <li key={p.id} className="dec-card" data-proposal-id={p.id} data-status={p.status}>
              <div className="dec-card-head">
                <a className="dec-card-title" href={pageOf(p.id)}>
                  {p.title}
                </a>
                <DecisionStatus status={p.status} kind="proposal" />
              </div>
              {p.silence && <Countdown deadline={p.silence.deadline} skew={props.skew} round={p.silence.round} onReached={props.reload} compact />}
              <p className="small">
                Text version {p.text_version} · {p.options.map(optionName).join(', ')}
              </p>
            </li>
          ))}
        </ul>
      )}
      <ProposalForm consultation={props.consultation} />
    </section>
  );
}

function StatusActions(props: { consultation: Consultation; reload: () => void }) {
  const c = props.consultation;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  const moves = (['close', 'reopen'] as const).filter((a) => c.actions.includes(a));
  if (moves.length === 0) return null;
  const move = (status: 'open' | 'closed') =>
    void change.run(() => api<Consultation>(decisionsPath('consultations', c.id, 'status'), { method: 'POST', body: { status, version: c.version, ...(reason.trim() ? { reason: reason.trim() } : {}) } }));
  return (
    <section className="panel" aria-labelledby="dec-chair-h">
      <h2 id="dec-chair-h">Chair</h2>
      <div className="field block">
        <label htmlFor="dec-status-reason">Why (optional)</label>
        <input id="dec-status-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} />
      </div>
      <p className="actions">
        {moves.includes('close') && (
          <button type="button" className="secondary" disabled={change.busy} onClick={() => move('closed')}>
            Close the consultation
          </button>
        )}
        {moves.includes('reopen') && (
          <button type="button" disabled={change.busy} onClick={() => move('open')}>
            Reopen the consultation
          </button>
        )}
      </p>
      <p className="muted small">Proposals under silence keep running when it is closed.</p>
      <ChangeError error={change.error} stale={change.stale} title="The consultation was not changed" />
    </section>
  );
}

export function ConsultationPage(props: { id: string }) {
  const session = useSession();
  const { record: c, skew, missing, error, reload } = useRecord<Consultation>(decisionsPath('consultations', props.id));
  if (missing) return <NotFound what="consultation" back="#/decisions/consultations" backTitle="The consultations" />;
  if (!c) {
    if (error) return <ErrorNote error={error} title="The consultation could not be read" />;
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the consultation…
      </p>
    );
  }
  const statementHref = `#/decisions/statements/new?actor=${encodeURIComponent(c.subject.ref)}&consultation=${encodeURIComponent(c.id)}`;
  return (
    <article className="view decisions" data-ready="true" data-consultation-id={c.id} data-status={c.status} data-version={c.version}>
      <p className="muted">
        <a href="#/decisions">Decisions</a> · <a href="#/decisions/consultations">Consultations</a>
      </p>
      <h1>{c.title}</h1>
      <p className="dec-summary-line">
        <DecisionBadges handling={c.handling} /> <DecisionStatus status={c.status} kind="consultation" />
      </p>
      <ErrorNote error={error} title="The consultation could not be read again" />
      <div className="dec-grid">
        <section className="panel" aria-labelledby="dec-details-h">
          <h2 id="dec-details-h">Details</h2>
          <DetailsTable
            className="dec-details"
            caption="Consultation details"
            rows={[
              ['Subject', <SubjectLink key="s" subject={c.subject} />],
              ['Requested by', c.requested_by ?? 'this node'],
              ['Members consulted', <InlineList key="p" items={c.participants} empty="none" />],
              ['Description', c.description ? <p className="dec-text">{c.description}</p> : <span className="muted">none given</span>],
              ['Created', when(c.created)],
              ['Modified', `${when(c.modified)} · version ${c.version}`],
            ]}
          />
          {c.subject.kind === 'actor' && session.can('decisions:participate') && c.status === 'open' && (
            <p>
              <a href={statementHref}>Draft a coordinated attribution statement on this actor</a>
            </p>
          )}
        </section>
        <Proposals consultation={c} skew={skew} reload={reload} />
      </div>
      <Entries title="Statements" id="dec-statements" entries={c.statements} empty="No member has made a statement yet." />
      <Entries title="Documents" id="dec-documents" entries={c.documents} empty="No document yet." />
      <Entries title="Minutes" id="dec-minutes" entries={c.minutes} empty="No minutes yet." />
      <EntryForm key={c.status} consultation={c} reload={reload} />
      <StatusActions consultation={c} reload={reload} />
      <History entries={c.history} id="dec-consultation-history" />
    </article>
  );
}
