/**
 * The decisions overview (#/decisions), where political delegates land: first the proposals under
 * silence now, each with its deadline and the time left ticking; then the open consultations;
 * then the actors whose cumulative score reaches a threshold (the system recommends, it never
 * decides); then the decisions adopted lately. Read again every 15 s and when shown again.
 */
import { hrefOf } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { ErrorNote } from '../common/widgets.js';
import { actorHref, assessmentPath, type ActorsAnswer } from '../assessment/model.js';
import { EscalationBadge } from '../assessment/parts.js';
import { decisionsPath, optionName, pageOf, type ConsultationSummary, type DecisionRecord, type ProposalSummary } from './model.js';
import { Countdown, DecisionBadges, DecisionStatus, useRecord } from './parts.js';

export function SubjectLink(props: { subject: ConsultationSummary['subject'] }) {
  const s = props.subject;
  const name = s.name ?? s.ref;
  if (s.kind === 'incident') return <a href={hrefOf('incidents', s.ref)}>{name}</a>;
  return <a href={actorHref(s.ref)}>{name}</a>;
}

function UnderSilence() {
  const { record, skew, error, reload } = useRecord<{ proposals: ProposalSummary[] }>(`${decisionsPath('proposals')}?status=silence`);
  const proposals = [...(record?.proposals ?? [])].sort((a, b) => (a.silence?.deadline ?? '').localeCompare(b.silence?.deadline ?? ''));
  return (
    <section className="panel" aria-labelledby="dec-silence-h" data-ready={record || error ? 'true' : 'false'} data-section="silence">
      <h2 id="dec-silence-h">Under silence now ({proposals.length})</h2>
      <ErrorNote error={error} title="The proposals could not be read" />
      {record && proposals.length === 0 && <p className="empty">No proposal you may read is under silence.</p>}
      <ul className="dec-list">
        {proposals.map((p) => (
          <li key={p.id} className="dec-card" data-proposal-id={p.id}>
            <div className="dec-card-head">
              <a className="dec-card-title" href={pageOf(p.id)}>
                {p.title}
              </a>
              <DecisionStatus status={p.status} kind="proposal" />
            </div>
            {p.silence && <Countdown deadline={p.silence.deadline} skew={skew} round={p.silence.round} onReached={reload} />}
            <p className="small">
              Text version {p.text_version} · {p.options.map(optionName).join(', ')} · <a href={pageOf(p.consultation_id)}>its consultation</a>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function OpenConsultations() {
  const { record, error } = useRecord<{ consultations: ConsultationSummary[] }>(`${decisionsPath('consultations')}?status=open`);
  const consultations = record?.consultations ?? [];
  return (
    <section className="panel" aria-labelledby="dec-open-h" data-ready={record || error ? 'true' : 'false'} data-section="consultations">
      <h2 id="dec-open-h">Open consultations ({consultations.length})</h2>
      <ErrorNote error={error} title="The consultations could not be read" />
      {record && consultations.length === 0 && <p className="empty">No open consultation you may read.</p>}
      <ul className="dec-list">
        {consultations.map((c) => (
          <li key={c.id} className="dec-card" data-consultation-id={c.id}>
            <div className="dec-card-head">
              <a className="dec-card-title" href={pageOf(c.id)}>
                {c.title}
              </a>
              <DecisionBadges handling={c.handling} compact />
            </div>
            <p className="small">
              On <SubjectLink subject={c.subject} /> · requested by {c.requested_by ?? 'this node'} · with {c.participants.join(', ')} · {c.proposals} {c.proposals === 1 ? 'proposal' : 'proposals'}
              {c.silence_deadline ? ` · silence until ${when(c.silence_deadline)}` : ''}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ActorsOverThreshold() {
  const { record, error } = useRecord<ActorsAnswer>(`${assessmentPath('actors')}?days=90&limit=100`);
  const actors = (record?.actors ?? []).filter((a) => a.escalation !== 'none');
  return (
    <section className="panel" aria-labelledby="dec-actors-h" data-ready={record || error ? 'true' : 'false'} data-section="actors">
      <h2 id="dec-actors-h">Actors at or above a threshold ({actors.length})</h2>
      <ErrorNote error={error} title="The assessments could not be read" />
      {record && (
        <p className="muted small">
          Over the last 90 days, on the evidence you may read: consultation at {record.thresholds.consultation}, council at {record.thresholds.council}. The system recommends; members decide.
        </p>
      )}
      {record && actors.length === 0 && <p className="empty">No actor reaches a threshold.</p>}
      {actors.length > 0 && (
        <ul className="dec-list">
          {actors.map((a) => (
            <li key={a.ref} className="dec-card" data-actor-ref={a.ref}>
              <div className="dec-card-head">
                <a className="dec-card-title" href={actorHref(a.ref)}>
                  {a.name ?? a.ref}
                </a>
                <EscalationBadge escalation={a.escalation} />
              </div>
              <p className="small">
                Score <strong>{a.score}</strong> · {a.incidents} incidents · {a.sightings} sightings · {a.members} members
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Adopted() {
  const { record, error } = useRecord<{ decisions: DecisionRecord[] }>(`${decisionsPath('records')}?limit=10`);
  const decisions = record?.decisions ?? [];
  if (record && decisions.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="dec-adopted-h" data-ready={record || error ? 'true' : 'false'}>
      <h2 id="dec-adopted-h">Adopted lately</h2>
      <ErrorNote error={error} title="The decision records could not be read" />
      <ul className="dec-list">
        {decisions.map((d) => (
          <li key={d.id} className="dec-card" data-decision-id={d.id}>
            <a className="dec-card-title" href={pageOf(d.proposal_id)}>
              {d.title}
            </a>{' '}
            <span className="small muted">
              adopted {when(d.adopted_at)} (text version {d.version})
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Overview() {
  const session = useSession();
  return (
    <div className="view decisions" data-view="decisions-overview">
      <div className="dec-head">
        <h1>Decisions</h1>
        <a className="button secondary" href="#/decisions/consultations">
          Consultations
        </a>
        <a className="button secondary" href="#/decisions/statements">
          Attribution statements
        </a>
      </div>
      <UnderSilence />
      <OpenConsultations />
      {session.can('assessment:read') && <ActorsOverThreshold />}
      <Adopted />
    </div>
  );
}
