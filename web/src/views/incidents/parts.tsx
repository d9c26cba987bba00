/**
 * Pieces the incidents board, page and form share: the severity level badge in the NCISS colours,
 * the status badge, an incident's handling badges (reported to the page banner as every object's
 * are), and the scoring vocabulary the node answers, asked once per page.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../api.js';
import { Badges } from '../../handling.js';
import { messageOf } from '../common/upload.js';
import { handlingOfIncident, INCIDENTS_API, levelName, statusName, type Incident, type IncidentHandling, type Scoring } from './model.js';
import './incidents.css';

/**
 * The severity level in the colours of the NCISS scale (Baseline white, Low green, Medium yellow,
 * High orange, Severe red, Emergency black), its name written out so that colour is never the
 * only sign.
 */
export function LevelBadge(props: { level: number | null | undefined; name?: string | null; score?: number | null }) {
  const scored = props.level !== null && props.level !== undefined;
  const name = levelName(props.level, props.name);
  return (
    <span className={`level level-${scored ? props.level : 'none'}`} data-level={scored ? props.level : ''} title={scored ? `Severity level ${props.level}: ${name}${props.score !== null && props.score !== undefined ? `, score ${props.score}` : ''}` : 'Not scored yet'}>
      {scored ? `${name} (${props.level})` : name}
    </span>
  );
}

export function StatusBadge(props: { status: string }) {
  return (
    <span className={`incident-status incident-status-${props.status}`} data-status={props.status}>
      {statusName(props.status)}
    </span>
  );
}

/** An incident's TLP, classification and releasability; counts toward the banner while shown. */
export function IncidentBadges(props: { handling: IncidentHandling; compact?: boolean }) {
  return <Badges handling={handlingOfIncident(props.handling)} compact={props.compact} />;
}

/** The node's members by code and name, for selects; none without directory:read. */
export function useMemberOptions(allowed: boolean): Array<{ code: string; name: string }> {
  const [members, setMembers] = useState<Array<{ code: string; name: string }>>([]);
  useEffect(() => {
    if (!allowed) return;
    let live = true;
    api<{ members: Array<{ code: string; name: string }> }>('/api/v1/members')
      .then((a) => live && setMembers(a.members.map((m) => ({ code: m.code, name: m.name })).sort((x, y) => x.code.localeCompare(y.code))))
      .catch(() => live && setMembers([]));
    return () => {
      live = false;
    };
  }, [allowed]);
  return members;
}

let scoring: Promise<Scoring> | undefined;

/** The scoring's categories and levels (the same for the page's life; a sign-out reloads the page). */
export function useScoring(): { scoring: Scoring | null; error: string } {
  const [answer, setAnswer] = useState<Scoring | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    scoring ??= api<Scoring>(`${INCIDENTS_API}/scoring`);
    scoring.then(
      (s) => live && setAnswer(s),
      (e: unknown) => {
        scoring = undefined;
        if (live) setError((e as Error).message);
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return { scoring: answer, error };
}

/**
 * A change of an incident: busy while it is sent, the node's answer (the incident as it is now)
 * handed on, its refusal kept to be shown. A conflict (409: the incident changed meanwhile, or a
 * move its state no longer allows) also reads the incident again, so that what is offered next
 * is what the node would accept.
 */
export function useChange(onChanged: (incident: Incident) => void, reload: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(
    async (change: () => Promise<Incident>): Promise<boolean> => {
      setBusy(true);
      setError('');
      try {
        onChanged(await change());
        return true;
      } catch (e) {
        setError(e instanceof ApiError && e.status === 409 ? `${e.message} (${e.code}). The incident is shown again as it is now.` : messageOf(e));
        if (e instanceof ApiError && e.status === 409) reload();
        return false;
      } finally {
        setBusy(false);
      }
    },
    [onChanged, reload],
  );
  return { busy, error, run, clear: () => setError('') };
}
