/**
 * One proposal (#/decisions/proposal--…): under silence, its deadline, round and the time left
 * ticking on the node's clock; its text and text version, the response options (national
 * decisions flagged) and proportionality; the amendments, the breaks of silence with their
 * reasons; once adopted, the immutable decision record (text hash, version, when); and the moves
 * the node lists in `actions`: circulate (until a time, or for some hours), break silence (a reason
 * is required), amend (under silence, silence restarts), withdraw. Every move carries the version
 * the page read: a stale one is explained and the proposal read again.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { ErrorNote } from '../common/widgets.js';
import { decisionsPath, isNationalDecision, isoOfLocal, localIn, optionName, pageOf, remainingText, type DecisionRecord, type Proposal } from './model.js';
import { OptionChecks } from './ConsultationPage.js';
import { ChangeError, Countdown, DecisionBadges, DecisionStatus, History, NotFound, useChange, useRecord } from './parts.js';

const post = (id: string, move: string, body: object) => api<Proposal>(decisionsPath('proposals', id, move), { method: 'POST', body });

/** The length of a silence as the form holds it: some hours from now, or until a time. */
interface SilenceDraft {
  by: 'hours' | 'until';
  hours: string;
  until: string;
}

function silenceBody(d: SilenceDraft): { silence_hours: number } | { deadline: string } | null {
  if (d.by === 'hours') {
    const hours = Number(d.hours);
    return d.hours.trim() && Number.isFinite(hours) && hours > 0 ? { silence_hours: hours } : null;
  }
  const deadline = isoOfLocal(d.until);
  return deadline ? { deadline } : null;
}

function SilenceFields(props: { prefix: string; value: SilenceDraft; onChange: (d: SilenceDraft) => void; optional?: boolean }) {
  const p = props.prefix;
  const v = props.value;
  return (
    <fieldset>
      <legend>Silence {props.optional ? '(leave empty: as long as the last)' : ''}</legend>
      <div className="toolbar">
        <label className="check">
          <input type="radio" name={`${p}-by`} checked={v.by === 'hours'} onChange={() => props.onChange({ ...v, by: 'hours' })} /> for
        </label>
        <div className="field">
          <label htmlFor={`${p}-hours`}>Hours</label>
          <input id={`${p}-hours`} type="number" min={0.02} max={2160} step="any" value={v.hours} disabled={v.by !== 'hours'} onChange={(e) => props.onChange({ ...v, hours: e.target.value })} size={6} />
        </div>
        <label className="check">
          <input type="radio" name={`${p}-by`} checked={v.by === 'until'} onChange={() => props.onChange({ ...v, by: 'until' })} /> until
        </label>
        <div className="field">
          <label htmlFor={`${p}-until`}>Deadline (your local time)</label>
          <input id={`${p}-until`} type="datetime-local" value={v.until} disabled={v.by !== 'until'} onChange={(e) => props.onChange({ ...v, until: e.target.value })} />
        </div>
      </div>
    </fieldset>
  );
}

function CirculateForm(props: { proposal: Proposal; reload: () => void }) {
  const p = props.proposal;
  const [silence, setSilence] = useState<SilenceDraft>({ by: 'hours', hours: '24', until: localIn(24 * 3600_000) });
  const change = useChange(props.reload);
  const body = silenceBody(silence);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body) void change.run(() => post(p.id, 'circulate', { ...body, version: p.version }));
  };
  return (
    <form onSubmit={submit} aria-labelledby="dec-circulate-h" className="dec-actions" data-action="circulate">
      <h3 id="dec-circulate-h">Circulate under silence</h3>
      <p className="muted small">Adopted at the deadline unless a member consulted breaks silence before it.</p>
      <SilenceFields prefix="dec-circulate" value={silence} onChange={setSilence} />
      <p className="actions">
        <button type="submit" disabled={change.busy || !body}>
          Circulate
        </button>
      </p>
      <ChangeError error={change.error} stale={change.stale} title="The proposal was not circulated" />
    </form>
  );
}

function BreakForm(props: { proposal: Proposal; reload: () => void }) {
  const p = props.proposal;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    if (await change.run(() => post(p.id, 'break', { reason: reason.trim(), version: p.version }))) setReason('');
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="dec-break-h" className="dec-actions" data-action="break">
      <h3 id="dec-break-h">Break silence</h3>
      <div className="field block">
        <label htmlFor="dec-break-reason">Your member’s reason (required)</label>
        <textarea id="dec-break-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} required aria-describedby="dec-break-hint" />
      </div>
      <p id="dec-break-hint" className="muted small">
        The proposal returns to consultation; every member consulted sees the reason.
      </p>
      <p className="actions">
        <button type="submit" className="danger" disabled={change.busy || !reason.trim()}>
          Break silence
        </button>
      </p>
      <ChangeError error={change.error} stale={change.stale} title="Silence was not broken" />
    </form>
  );
}

function AmendForm(props: { proposal: Proposal; reload: () => void }) {
  const p = props.proposal;
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(p.text);
  const [options, setOptions] = useState<string[]>(p.options);
  const [reason, setReason] = useState('');
  const [silence, setSilence] = useState<SilenceDraft>({ by: 'hours', hours: '', until: '' });
  const change = useChange(props.reload);
  const restarts = p.status === 'silence';
  if (!open) {
    return (
      <p className="dec-actions">
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          Amend…
        </button>
      </p>
    );
  }
  const newSilence = restarts ? silenceBody(silence) : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim() || options.length === 0) return;
    const body = { text, version: p.version, ...(options.join() !== p.options.join() ? { options } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}), ...(newSilence ?? {}) };
    if (await change.run(() => post(p.id, 'amend', body))) {
      setOpen(false);
      setReason('');
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="dec-amend-h" className="dec-actions" data-action="amend">
      <h3 id="dec-amend-h">Amend (text version {p.text_version + 1})</h3>
      {restarts && <p className="muted small">It is under silence: the amendment restarts silence (round {(p.silence?.round ?? 0) + 1}).</p>}
      <div className="field block">
        <label htmlFor="dec-amend-text">Text (required)</label>
        <textarea id="dec-amend-text" rows={6} value={text} onChange={(e) => setText(e.target.value)} maxLength={20000} required />
      </div>
      <OptionChecks id="dec-amend-options" value={options} onChange={setOptions} error={options.length === 0 ? 'choose at least one response option' : ''} />
      <div className="field block">
        <label htmlFor="dec-amend-reason">Why (optional)</label>
        <input id="dec-amend-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} />
      </div>
      {restarts && <SilenceFields prefix="dec-amend" value={silence} onChange={setSilence} optional />}
      <p className="actions">
        <button type="submit" disabled={change.busy || !text.trim() || options.length === 0}>
          Amend
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
      <ChangeError error={change.error} stale={change.stale} title="The proposal was not amended" />
    </form>
  );
}

function WithdrawForm(props: { proposal: Proposal; reload: () => void }) {
  const p = props.proposal;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void change.run(() => post(p.id, 'withdraw', { version: p.version, ...(reason.trim() ? { reason: reason.trim() } : {}) }));
  };
  return (
    <form onSubmit={submit} aria-labelledby="dec-withdraw-h" className="dec-actions" data-action="withdraw">
      <h3 id="dec-withdraw-h">Withdraw</h3>
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor="dec-withdraw-reason">Why (optional)</label>
          <input id="dec-withdraw-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} />
        </div>
        <button type="submit" className="secondary" disabled={change.busy}>
          Withdraw the proposal
        </button>
      </div>
      <ChangeError error={change.error} stale={change.stale} title="The proposal was not withdrawn" />
    </form>
  );
}

function SilencePanel(props: { proposal: Proposal; skew: number; reload: () => void }) {
  const p = props.proposal;
  const lastBreak = p.breaks.at(-1);
  return (
    <section className="panel" aria-labelledby="dec-silence-h" data-field="silence" data-round={p.silence?.round ?? ''}>
      <h2 id="dec-silence-h">Silence procedure</h2>
      {p.status === 'silence' && p.silence ? (
        <>
          <p>
            <Countdown deadline={p.silence.deadline} skew={props.skew} round={p.silence.round} onReached={props.reload} />
          </p>
          <p className="muted small">
            Circulated {when(p.silence.started_at)} (text version {p.silence.version}). Adopted at the deadline unless a member consulted breaks silence before it;
            silence runs {remainingText(Date.parse(p.silence.deadline) - Date.parse(p.silence.started_at))} in all.
          </p>
        </>
      ) : p.status === 'draft' ? (
        <p>Not circulated yet.</p>
      ) : p.status === 'returned' ? (
        <p>
          Returned to consultation{lastBreak ? `: ${lastBreak.member} broke silence on round ${lastBreak.round}` : ''}. Amend it or circulate it again.
        </p>
      ) : p.status === 'adopted' ? (
        <p>Adopted: silence passed without a break.</p>
      ) : (
        <p>Withdrawn.</p>
      )}
      {p.actions.includes('circulate') && <CirculateForm proposal={p} reload={props.reload} />}
      {p.actions.includes('break') && <BreakForm proposal={p} reload={props.reload} />}
      {p.actions.includes('amend') && <AmendForm key={p.text_version} proposal={p} reload={props.reload} />}
      {p.actions.includes('withdraw') && <WithdrawForm proposal={p} reload={props.reload} />}
    </section>
  );
}

function Record(props: { record: DecisionRecord }) {
  const d = props.record;
  return (
    <section className="panel dec-record" aria-labelledby="dec-record-h" data-decision-id={d.id}>
      <h2 id="dec-record-h">Decision record</h2>
      <DetailsTable
        className="dec-details"
        caption="The decision record"
        rows={[
          ['Adopted at', <span key="a" data-field="adopted-at">{when(d.adopted_at)}</span>],
          ['Text version', <span key="v" data-field="record-version">{d.version}</span>],
          ['Silence round', `${d.round}, circulated ${when(d.circulated_at)}, deadline ${when(d.deadline)}`],
          ['Text (SHA-256)', <span key="h" className="dec-hash" data-field="text-sha256">{d.text_sha256}</span>],
          ['Options', <InlineList key="o" items={d.options.map(optionName)} empty="none" />],
          ['Members', <InlineList key="m" items={d.participants} empty="none" />],
          ['Record', <code key="r">{d.id}</code>],
        ]}
      />
      <p className="muted small">The record is immutable: check a copy of the text against its hash.</p>
    </section>
  );
}

export function ProposalPage(props: { id: string }) {
  const { record: p, skew, missing, error, reload } = useRecord<Proposal>(decisionsPath('proposals', props.id));
  if (missing) return <NotFound what="proposal" back="#/decisions" backTitle="Decisions" />;
  if (!p) {
    if (error) return <ErrorNote error={error} title="The proposal could not be read" />;
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the proposal…
      </p>
    );
  }
  return (
    <article className="view decisions" data-ready="true" data-proposal-id={p.id} data-status={p.status} data-version={p.version} data-text-version={p.text_version}>
      <p className="muted">
        <a href="#/decisions">Decisions</a> · <a href={pageOf(p.consultation_id)}>Its consultation</a>
      </p>
      <h1>{p.title}</h1>
      <p className="dec-summary-line">
        <DecisionBadges handling={p.handling} /> <DecisionStatus status={p.status} kind="proposal" />
      </p>
      <ErrorNote error={error} title="The proposal could not be read again" />
      <div className="dec-grid">
        <section className="panel" aria-labelledby="dec-text-h">
          <h2 id="dec-text-h">
            Text <span className="muted small">(version {p.text_version})</span>
          </h2>
          <div className="dec-proposal-text" data-field="text">
            {p.text}
          </div>
          <h3>Response options</h3>
          <ul className="dec-entries" data-field="options">
            {p.options.map((o) => (
              <li key={o}>
                {optionName(o)} {isNationalDecision(o) && <span className="dec-national">national decision</span>}
              </li>
            ))}
          </ul>
          {p.proportionality && (
            <>
              <h3>Proportionality</h3>
              <p className="dec-text">{p.proportionality}</p>
            </>
          )}
        </section>
        <SilencePanel proposal={p} skew={skew} reload={reload} />
      </div>
      {p.decision && <Record record={p.decision} />}
      <section className="panel" aria-labelledby="dec-breaks-h">
        <h2 id="dec-breaks-h">Breaks of silence ({p.breaks.length})</h2>
        {p.breaks.length === 0 ? (
          <p className="empty">No member has broken silence.</p>
        ) : (
          <ul className="dec-entries">
            {p.breaks.map((b) => (
              <li key={`${b.round}-${b.member}-${b.at}`} className="dec-break" data-break-member={b.member} data-round={b.round}>
                <strong>{b.member}</strong> broke silence on round {b.round} (text version {b.version}) <span className="muted small">· {b.by} · {when(b.at)}</span>
                <p className="dec-text">{b.reason}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="dec-amendments-h">
        <h2 id="dec-amendments-h">Amendments ({p.amendments.length})</h2>
        {p.amendments.length === 0 ? (
          <p className="empty">The text is as drafted.</p>
        ) : (
          <ul className="dec-entries">
            {p.amendments.map((a) => (
              <li key={a.version} data-amendment-version={a.version}>
                Text version <strong>{a.version}</strong> by {a.by} ({a.member ?? 'this node'}) {when(a.at)}
                {a.reason && <p className="dec-text">{a.reason}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <History entries={p.history} id="dec-proposal-history" />
    </article>
  );
}
