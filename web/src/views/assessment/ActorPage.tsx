/**
 * One actor's cumulative assessment (#/assessment/<ref>?days=30|90|365): the score and its
 * thresholds, the score over time, the working (each part of the formula, the breadth from the
 * members and critical sectors hit, the trend, the actors whose evidence counts here), the
 * incidents that weigh most (each linking to its page), the escalation and the recommendation
 * (the system recommends, it never decides), what the answer is based on, the assessors' Schmitt
 * ratings, and "Request consultation", which opens the consultation form on this actor. An actor
 * one may read neither as an object nor through any evidence is not found.
 */
import { hrefOf, navigate, useRoute } from '../../router.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { DetailsTable, InlineList } from '../common/details.js';
import { ErrorNote } from '../common/widgets.js';
import { NotFound, useRecord } from '../decisions/parts.js';
import { actorHref, actorTypeName, assessmentPath, FORMULA, windowOf, type Assessment } from './model.js';
import { EscalationBadge, WindowChoice } from './parts.js';
import { SchmittPanel } from './SchmittPanel.js';
import { ScoreChart } from './ScoreChart.js';

function Working(props: { assessment: Assessment }) {
  const a = props.assessment;
  const p = a.parts;
  return (
    <section className="panel" aria-labelledby="as-working-h">
      <h2 id="as-working-h">The working</h2>
      <p className="as-formula">score = (incidents + sightings + intel) × breadth = ({p.incidents} + {p.sightings} + {p.intel}) × {p.breadth} = {p.score}</p>
      <table className="as-working">
        <caption className="sr-only">The parts of the score</caption>
        <tbody>
          <tr data-part="incidents">
            <th scope="row">Incidents ({p.counts.incidents})</th>
            <td className="num">{p.incidents}</td>
            <td className="small muted">each its severity score (unscored: {FORMULA.unscoredIncident}) × the attribution&apos;s confidence, halved every {FORMULA.halfLifeDays} days of age</td>
          </tr>
          <tr data-part="sightings">
            <th scope="row">Sightings ({p.counts.sightings})</th>
            <td className="num">{p.sightings}</td>
            <td className="small muted">
              {FORMULA.sightingFactor} × log₂(1 + sightings weighted by confidence and age)
            </td>
          </tr>
          <tr data-part="intel">
            <th scope="row">Attributed intel ({p.counts.intel})</th>
            <td className="num">{p.intel}</td>
            <td className="small muted">
              {FORMULA.intelFactor} × log₂(1 + pieces weighted by confidence and age)
            </td>
          </tr>
          <tr data-part="base">
            <th scope="row">Base</th>
            <td className="num">{p.base}</td>
            <td className="small muted">their sum</td>
          </tr>
          <tr data-part="breadth">
            <th scope="row">Breadth</th>
            <td className="num">× {p.breadth}</td>
            <td className="small muted">
              1 + {FORMULA.memberStep} per member beyond the first ({p.members.length} members) + {FORMULA.sectorStep} per critical sector ({p.sectors.length}), at most {FORMULA.breadthMax}
            </td>
          </tr>
        </tbody>
      </table>
      <DetailsTable
        className="as-breadth"
        caption="Members, sectors and trend"
        rows={[
          ['Members hit', <InlineList key="m" items={p.members} empty="none" />],
          ['Critical sectors', <InlineList key="s" items={p.sectors} empty="none" />],
          [
            'Trend',
            <span key="t" data-field="trend" data-direction={a.trend.direction}>
              <span className={`as-trend-${a.trend.direction}`}>{a.trend.direction}</span>: {a.trend.recent} in the second half of the window against {a.trend.earlier} in the first
            </span>,
          ],
          ...(a.includes.length > 0
            ? [
                [
                  'Counted with it',
                  <ul key="i" className="inline-list">
                    {a.includes.map((i) => (
                      <li key={i.ref}>
                        <a href={actorHref(i.ref, a.window.days)}>{i.name ?? i.ref}</a> <span className="muted small">({i.confidence}% attributed)</span>
                      </li>
                    ))}
                  </ul>,
                ] as const,
              ]
            : []),
          ['Window', `${when(a.window.from)} to ${when(a.window.to)} (${a.window.days} days)`],
        ]}
      />
    </section>
  );
}

function Contributions(props: { assessment: Assessment }) {
  const a = props.assessment;
  return (
    <section className="panel" aria-labelledby="as-contributions-h">
      <h2 id="as-contributions-h">Incidents that weigh most ({a.contributions.length})</h2>
      {a.contributions.length === 0 ? (
        <p className="empty">No incident you may read is attributed to it in the window.</p>
      ) : (
        <div className="table-scroll">
          <table className="as-contributions">
            <caption className="sr-only">The incidents that weigh most in the score</caption>
            <thead>
              <tr>
                <th scope="col">Incident</th>
                <th scope="col">Member</th>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Severity
                </th>
                <th scope="col" className="num">
                  Confidence
                </th>
                <th scope="col" className="num">
                  Points
                </th>
              </tr>
            </thead>
            <tbody>
              {a.contributions.map((c) => (
                <tr key={c.incident_id} data-incident-id={c.incident_id}>
                  <td>
                    <a href={hrefOf('incidents', c.incident_id)}>{c.title}</a>
                    {c.via !== a.actor.ref && <span className="muted small"> (through {a.includes.find((i) => i.ref === c.via)?.name ?? c.via})</span>}
                  </td>
                  <td>{c.member}</td>
                  <td className="nowrap">{c.day}</td>
                  <td className="num">{c.severity_score === null ? <span className="muted">not scored</span> : `${c.severity_score} (level ${c.level ?? '–'})`}</td>
                  <td className="num">{c.confidence}</td>
                  <td className="num" data-field="points">
                    {c.points}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {a.by_member.length > 0 && (
        <>
          <h3>By member</h3>
          <ul className="inline-list" data-field="by-member">
            {a.by_member.map((m) => (
              <li key={m.member}>
                <strong>{m.member}</strong>: {m.incidents} incidents, {m.sightings} sightings
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function ActorPage(props: { actor: string }) {
  const route = useRoute();
  const session = useSession();
  const days = windowOf(route.params);
  const { record: a, missing, error, reload } = useRecord<Assessment>(`${assessmentPath('actors', props.actor)}?days=${days}`);
  if (missing) return <NotFound what="actor (or evidence about one)" back="#/assessment" backTitle="The assessment" />;
  if (!a) {
    if (error) return <ErrorNote error={error} title="The assessment could not be read" />;
    return (
      <p className="muted" role="status" data-ready="false">
        Loading the assessment…
      </p>
    );
  }
  const name = a.actor.name ?? a.actor.ref;
  const requestConsultation = () => navigate(`#/decisions/new?kind=actor&subject=${encodeURIComponent(a.actor.ref)}&title=${encodeURIComponent(`Consultation on ${name}`)}`);
  return (
    <article className="view decisions assessment" data-ready="true" data-actor-ref={a.actor.ref} data-escalation={a.escalation} data-days={a.window.days}>
      <p className="muted">
        <a href={`#/assessment${days !== 90 ? `?days=${days}` : ''}`}>Assessment</a>
      </p>
      <div className="dec-head">
        <h1>{name}</h1>
        {session.can('decisions:participate') && (
          <button type="button" onClick={requestConsultation}>
            Request consultation
          </button>
        )}
      </div>
      <p className="dec-summary-line">
        <span className="pill">{actorTypeName(a.actor.type)}</span> <code className="small">{a.actor.ref}</code> <EscalationBadge escalation={a.escalation} />{' '}
        <a className="small" href={hrefOf('object', a.actor.ref)}>
          its intel
        </a>
      </p>
      <form className="toolbar" aria-label="Choose the window" onSubmit={(e) => e.preventDefault()}>
        <WindowChoice id="as-page-window" days={days} />
      </form>
      <ErrorNote error={error} title="The assessment could not be read again" />
      <div className="dec-grid">
        <section className="panel" aria-labelledby="as-score-h">
          <h2 id="as-score-h">Cumulative score, last {a.window.days} days</h2>
          <p className="as-score" data-field="score">
            {a.score}
          </p>
          <p className="small" data-field="thresholds">
            Thresholds: <strong>consultation at {a.thresholds.consultation}</strong>
            {a.crossed.consultation ? ` (reached ${a.crossed.consultation})` : ''} · <strong>council at {a.thresholds.council}</strong>
            {a.crossed.council ? ` (reached ${a.crossed.council})` : ''}
          </p>
          <ScoreChart assessment={a} />
        </section>
        <div>
          <section className="panel" aria-labelledby="as-escalation-h">
            <h2 id="as-escalation-h">Escalation and recommendation</h2>
            <p data-field="escalation-text">
              <EscalationBadge escalation={a.escalation} /> {a.escalation_text}
            </p>
            <p className="dec-recommends" data-field="recommendation">
              {a.recommendation}
            </p>
            <p className="small">
              <strong>The system recommends; it never decides.</strong> Whether to consult, and on what response, is for the members to decide.
            </p>
          </section>
          <section className="panel dec-basis" aria-labelledby="as-basis-h">
            <h2 id="as-basis-h">What this is based on</h2>
            <p data-field="basis">{a.basis.note}.</p>
            <p className="muted small">
              {a.basis.readable_buckets} daily buckets of evidence you may read{a.basis.withheld_buckets > 0 ? `, ${a.basis.withheld_buckets} withheld from you` : ''}; as of {when(a.basis.as_of)}.
            </p>
          </section>
        </div>
      </div>
      <Working assessment={a} />
      <Contributions assessment={a} />
      <SchmittPanel assessment={a} reload={reload} />
    </article>
  );
}
