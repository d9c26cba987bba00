/**
 * A request's offers: what each member offers (team, capabilities, size, clearance, mode,
 * availability, conditions), accepted or declined by the requester (`may_decide`; several can be
 * accepted and combined, each becoming a deployment) or withdrawn by who made it
 * (`may_withdraw`); and, when the node lists `offer` among the reader's actions, the form to
 * offer one of the reader's member's standby teams.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../../api.js';
import { CLASSIFICATIONS } from '../../handling.js';
import { useSession } from '../../session.js';
import { when } from '../../stix.js';
import { messageOf } from '../common/upload.js';
import { ErrorNote } from '../common/widgets.js';
import { assistancePath, isoOfLocal, localOfIso, modeName, MODES, modeServes, type AssistanceRequest, type Catalogue, type Mode, type Offer, type StandbyTeam, type TeamPage } from './model.js';
import { capabilityName, ModeBadge, StatusBadge, useChange } from './parts.js';

function OfferRow(props: { offer: Offer; catalogue: Catalogue | null; reload: () => void }) {
  const o = props.offer;
  const [reason, setReason] = useState('');
  const change = useChange(props.reload);
  const who = o.team_name ? `${o.team_name} (${o.member ?? 'this node'})` : (o.member ?? 'this node');
  const decide = o.may_decide && o.allowed_transitions.some((s) => s === 'accepted' || s === 'declined');
  const withdraw = o.may_withdraw && o.allowed_transitions.includes('withdrawn');
  const move = (status: 'accepted' | 'declined' | 'withdrawn') =>
    void change.run(() => api<Offer>(assistancePath('offers', o.id, 'status'), { method: 'POST', body: { status, version: o.version, ...(reason.trim() ? { reason: reason.trim() } : {}) } }));
  return (
    <li className="aid-offer" data-offer-id={o.id} data-status={o.status}>
      <div className="aid-card-head">
        <strong>{who}</strong> <StatusBadge status={o.status} kind="offer" />
      </div>
      <p className="small">
        {o.capabilities.map((c) => capabilityName(props.catalogue, c)).join(', ')} · <ModeBadge mode={o.mode} /> · {o.size} {o.size === 1 ? 'person' : 'people'} cleared {o.clearance}
      </p>
      <p className="small">
        Available from {when(o.available_from)}
        {o.available_until ? ` until ${when(o.available_until)}` : ''} · offered by {o.owner ?? 'a member'} {when(o.created)}
      </p>
      {o.conditions && <p className="small aid-text">Conditions: {o.conditions}</p>}
      {o.reason && <p className="small aid-text">Reason: {o.reason}</p>}
      {o.deployment_id && <p className="small">Deployed: see the deployments below.</p>}
      {(decide || withdraw) && (
        <div className="toolbar">
          <div className="field grow">
            <label htmlFor={`offer-${o.id}-reason`}>Reason (optional)</label>
            <input id={`offer-${o.id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={4000} />
          </div>
          {decide && o.allowed_transitions.includes('accepted') && (
            <button type="button" data-offer-move="accepted" disabled={change.busy} onClick={() => move('accepted')} aria-label={`Accept the offer of ${who}`}>
              Accept
            </button>
          )}
          {decide && o.allowed_transitions.includes('declined') && (
            <button type="button" className="secondary" data-offer-move="declined" disabled={change.busy} onClick={() => move('declined')} aria-label={`Decline the offer of ${who}`}>
              Decline
            </button>
          )}
          {withdraw && (
            <button type="button" className="secondary" data-offer-move="withdrawn" disabled={change.busy} onClick={() => move('withdrawn')} aria-label={`Withdraw the offer of ${who}`}>
              Withdraw
            </button>
          )}
        </div>
      )}
      <ErrorNote error={change.error} title="The offer was not changed" />
    </li>
  );
}

/** The modes a team (or any team) may offer for a request made this way. */
function modesFor(request: AssistanceRequest, team: StandbyTeam | undefined): Mode[] {
  return MODES.filter((m) => modeServes(m, request.mode) && (!team || team.modes.includes(m)));
}

function OfferForm(props: { request: AssistanceRequest; catalogue: Catalogue | null; reload: () => void }) {
  const r = props.request;
  const session = useSession();
  const [teams, setTeams] = useState<StandbyTeam[] | null>(null);
  const [teamsError, setTeamsError] = useState('');
  const [teamId, setTeamId] = useState('');
  const [capabilities, setCapabilities] = useState<string[]>(r.capabilities);
  const [size, setSize] = useState('2');
  const [clearance, setClearance] = useState(r.constraints.clearance ?? 'UNCLASSIFIED');
  const [mode, setMode] = useState<Mode>(modesFor(r, undefined)[0] ?? 'remote');
  const [from, setFrom] = useState(localOfIso());
  const [until, setUntil] = useState('');
  const [conditions, setConditions] = useState('');
  const change = useChange(props.reload);

  useEffect(() => {
    let live = true;
    if (!session.memberCode) {
      setTeams([]);
      return;
    }
    api<TeamPage>(`${assistancePath('teams')}${query({ member: session.memberCode, limit: 100 })}`)
      .then((a) => live && setTeams(a.teams.filter((t) => t.status === 'standing-by')))
      .catch((e: unknown) => {
        if (!live) return;
        setTeams([]);
        setTeamsError(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, [session.memberCode]);

  const team = teams?.find((t) => t.id === teamId);
  const chooseTeam = (id: string) => {
    setTeamId(id);
    const t = teams?.find((x) => x.id === id);
    if (!t) return;
    const matching = r.capabilities.filter((c) => t.capabilities.includes(c));
    setCapabilities(matching.length > 0 ? matching : r.capabilities);
    setSize(String(t.size));
    setClearance(t.clearance);
    setMode(modesFor(r, t)[0] ?? mode);
  };
  const toggle = (key: string, on: boolean) => setCapabilities((old) => (on ? [...old, key] : old.filter((k) => k !== key)));
  const modes = modesFor(r, team);
  const sizeNumber = Number(size);
  const valid = capabilities.length > 0 && Number.isInteger(sizeNumber) && sizeNumber >= 1 && isoOfLocal(from) !== undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    const until_ = isoOfLocal(until);
    const body = {
      ...(teamId ? { team_id: teamId } : {}),
      capabilities,
      size: sizeNumber,
      clearance,
      mode,
      available_from: isoOfLocal(from),
      ...(until_ ? { available_until: until_ } : {}),
      ...(conditions.trim() ? { conditions: conditions.trim() } : {}),
    };
    if (await change.run(() => api<Offer>(assistancePath('requests', r.id, 'offers'), { method: 'POST', body }))) setConditions('');
  };

  return (
    <form className="aid-offer-form" onSubmit={(e) => void submit(e)} aria-labelledby="aid-offer-form-h" data-ready={teams ? 'true' : 'false'}>
      <h3 id="aid-offer-form-h">Offer assistance{session.memberCode ? ` from ${session.memberCode}` : ''}</h3>
      <ErrorNote error={teamsError} title="Your member's standby teams could not be read" />
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor="offer-team">Standby team</label>
          <select id="offer-team" value={teamId} onChange={(e) => chooseTeam(e.target.value)}>
            <option value="">no registered team (people named in the conditions)</option>
            {(teams ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} · {t.size} · {t.modes.map(modeName).join(', ')}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="offer-size">People</label>
          <input id="offer-size" type="number" min={1} max={500} step={1} value={size} onChange={(e) => setSize(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="offer-clearance">Their clearance</label>
          <select id="offer-clearance" value={clearance} onChange={(e) => setClearance(e.target.value)}>
            {CLASSIFICATIONS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="offer-mode">Where</label>
          <select id="offer-mode" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
            {modes.map((m) => (
              <option key={m} value={m}>
                {modeName(m)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset>
        <legend>Capabilities offered (of those asked for)</legend>
        <div className="aid-check-grid">
          {r.capabilities.map((c) => (
            <label key={c} className="check">
              <input type="checkbox" name="offer-capabilities" value={c} checked={capabilities.includes(c)} onChange={(e) => toggle(c, e.currentTarget.checked)} /> {capabilityName(props.catalogue, c)}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="offer-from">Available from (your local time)</label>
          <input id="offer-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="offer-until">Until (optional)</label>
          <input id="offer-until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
      </div>
      <div className="field block">
        <label htmlFor="offer-conditions">Conditions (optional)</label>
        <textarea id="offer-conditions" rows={2} value={conditions} onChange={(e) => setConditions(e.target.value)} maxLength={4000} />
      </div>
      <p className="actions">
        <button type="submit" disabled={change.busy || !valid}>
          {change.busy ? 'Offering…' : 'Make the offer'}
        </button>
      </p>
      <ErrorNote error={change.error} title="The offer was not made" />
    </form>
  );
}

export function OffersPanel(props: { request: AssistanceRequest; catalogue: Catalogue | null; reload: () => void; writer: boolean }) {
  const r = props.request;
  const canOffer = props.writer && r.actions.includes('offer');
  const open = r.offers.filter((o) => o.status === 'offered').length;
  return (
    <section className="panel" aria-labelledby="aid-offers-h">
      <h2 id="aid-offers-h">
        Offers ({open} open of {r.offers.length})
      </h2>
      {r.offers.length === 0 ? (
        <p className="empty">{r.status === 'submitted' ? 'No offer: the request reaches the members able to help once approved.' : 'No offer yet.'}</p>
      ) : (
        <ul className="aid-offers">
          {r.offers.map((o) => (
            <OfferRow key={o.id} offer={o} catalogue={props.catalogue} reload={props.reload} />
          ))}
        </ul>
      )}
      {canOffer && <OfferForm request={r} catalogue={props.catalogue} reload={props.reload} />}
    </section>
  );
}
