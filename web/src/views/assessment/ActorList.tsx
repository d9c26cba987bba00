/**
 * The actors with evidence in the window (#/assessment?days=30|90|365), highest cumulative score
 * first, as the reader may see them: score, escalation, incidents, sightings, members hit.
 */
import { useRoute } from '../../router.js';
import { when } from '../../stix.js';
import { ErrorNote } from '../common/widgets.js';
import { useRecord } from '../decisions/parts.js';
import { actorHref, actorTypeName, assessmentPath, windowOf, type ActorsAnswer } from './model.js';
import { EscalationBadge, WindowChoice } from './parts.js';

export function ActorList() {
  const route = useRoute();
  const days = windowOf(route.params);
  const { record, error } = useRecord<ActorsAnswer>(`${assessmentPath('actors')}?days=${days}&limit=100`);
  const actors = record?.actors ?? [];
  return (
    <div className="view decisions assessment" data-ready={record || error ? 'true' : 'false'} data-days={days}>
      <div className="dec-head">
        <h1>Assessment</h1>
      </div>
      <p className="muted small">
        The cumulative score of each threat actor, intrusion set and campaign over the window: incidents (severity times the attribution&apos;s confidence), sightings and attributed intel, decayed
        with age and widened by the members and critical sectors hit. The system recommends when a threshold is reached; it never decides.
      </p>
      <form className="toolbar" aria-label="Choose the window" onSubmit={(e) => e.preventDefault()}>
        <WindowChoice id="as-window" days={days} />
      </form>
      <ErrorNote error={error} title="The assessments could not be read" />
      {record && (
        <p className="muted small" data-field="thresholds">
          Thresholds: consultation at {record.thresholds.consultation}, council at {record.thresholds.council}. As of {when(record.as_of)}
          {record.truncated ? '; only the most recent evidence was summed (the list is truncated)' : ''}.
        </p>
      )}
      {record && actors.length === 0 ? (
        <p className="empty">No actor has evidence you may read in the last {days} days.</p>
      ) : (
        <div className="table-scroll">
          <table className="as-actors">
            <caption className="sr-only">Actors by cumulative score, last {days} days</caption>
            <thead>
              <tr>
                <th scope="col">Actor</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col">Escalation</th>
                <th scope="col" className="num">
                  Incidents
                </th>
                <th scope="col" className="num">
                  Sightings
                </th>
                <th scope="col" className="num">
                  Members
                </th>
              </tr>
            </thead>
            <tbody>
              {actors.map((a) => (
                <tr key={a.ref} data-actor-ref={a.ref} data-escalation={a.escalation}>
                  <td>
                    <a href={actorHref(a.ref, days)}>{a.name ?? a.ref}</a>
                  </td>
                  <td className="small">{actorTypeName(a.type)}</td>
                  <td className="num" data-field="score">
                    {a.score}
                  </td>
                  <td>
                    <EscalationBadge escalation={a.escalation} />
                  </td>
                  <td className="num">{a.incidents}</td>
                  <td className="num">{a.sightings}</td>
                  <td className="num">{a.members}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
