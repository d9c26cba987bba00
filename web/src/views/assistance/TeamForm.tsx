/**
 * Registering (or changing) a standby team of one's member: its capabilities, the modes it works
 * in, its size and clearance, languages, its time zone and when it is on call (24/7, or weekly
 * windows in its own time zone), the hours from a call to the team at work (remote, on site), its
 * on-call contacts and its handling. The node decides; what it refuses is named beside the field.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api.js';
import { CLASSIFICATIONS } from '../../handling.js';
import { useSession } from '../../session.js';
import { HandlingFields, NEW_HANDLING, type HandlingDraft } from '../common/HandlingFields.js';
import { FieldError, invalidProps, RefusalSummary, refusalOf, useRefusal } from '../incidents/fields.js';
import { assistancePath, listOf, modeName, MODES, WEEKDAYS, type Catalogue, type CoverageWindow, type Mode, type OnCallContact, type StandbyTeam, type Weekday } from './model.js';

const LABELS: Record<string, string> = {
  name: 'Name',
  capabilities: 'Capabilities',
  modes: 'Modes',
  size: 'Size',
  clearance: 'Clearance',
  languages: 'Languages',
  time_zone: 'Time zone',
  always: '24/7',
  coverage: 'Coverage windows',
  response_hours: 'Response hours',
  contacts: 'On-call contacts',
  tlp: 'TLP',
  classification: 'Classification',
  releasability: 'Releasable to',
  version: 'Version',
  body: 'Team',
};

const DAY_NAMES: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

interface ContactDraft {
  name: string;
  role: string;
  phone: string;
  email: string;
}

interface Draft extends HandlingDraft {
  name: string;
  capabilities: string[];
  modes: Mode[];
  size: string;
  clearance: string;
  languages: string;
  time_zone: string;
  always: boolean;
  coverage: CoverageWindow[];
  remoteHours: string;
  onSiteHours: string;
  contacts: ContactDraft[];
}

/** The time zones the browser knows (IANA names), the reader's own first. */
function timeZones(): string[] {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  let all: string[];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    all = ['UTC'];
  }
  return [...new Set([own, 'UTC', ...all])].filter(Boolean);
}

function draftOf(team: StandbyTeam | undefined): Draft {
  if (!team) {
    return {
      name: '',
      capabilities: [],
      modes: ['remote'],
      size: '4',
      clearance: 'RESTRICTED',
      languages: 'en',
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      always: true,
      coverage: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
      remoteHours: '2',
      onSiteHours: '',
      contacts: [{ name: '', role: 'duty officer', phone: '', email: '' }],
      ...NEW_HANDLING,
    };
  }
  return {
    name: team.name,
    capabilities: team.capabilities,
    modes: team.modes,
    size: String(team.size),
    clearance: team.clearance,
    languages: team.languages.join(', '),
    time_zone: team.time_zone,
    always: team.always,
    coverage: team.coverage.length > 0 ? team.coverage : [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
    remoteHours: team.response_hours.remote === null ? '' : String(team.response_hours.remote),
    onSiteHours: team.response_hours['on-site'] === null ? '' : String(team.response_hours['on-site']),
    contacts: team.contacts.map((c) => ({ name: c.name, role: c.role ?? '', phone: c.phone ?? '', email: c.email ?? '' })),
    tlp: team.handling.tlp ?? 'amber',
    classification: team.handling.classification.toUpperCase(),
    releasability: team.handling.releasability.join(', '),
  };
}

function checkDraft(d: Draft): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!d.name.trim()) fields.name = 'is required';
  if (d.capabilities.length === 0) fields.capabilities = 'choose at least one capability';
  if (d.modes.length === 0) fields.modes = 'choose remote, on site or both';
  const size = Number(d.size);
  if (!Number.isInteger(size) || size < 1 || size > 500) fields.size = 'must be a whole number from 1 to 500';
  for (const [field, value, mode] of [['response_hours.remote', d.remoteHours, 'remote'], ['response_hours.on-site', d.onSiteHours, 'on-site']] as const) {
    if (!d.modes.includes(mode)) continue;
    const hours = Number(value);
    if (value.trim() === '' || !Number.isFinite(hours) || hours < 0 || hours > 720) fields[field] = `hours from a call to the team at work ${modeName(mode)}: a number from 0 to 720`;
  }
  if (!d.always) {
    if (d.coverage.length === 0) fields.coverage = 'add a window, or choose 24/7';
    d.coverage.forEach((w, i) => {
      if (w.days.length === 0) fields[`coverage.${i}`] = `window ${i + 1}: choose its days`;
      else if (!w.from || !w.to) fields[`coverage.${i}`] = `window ${i + 1}: give its start and end`;
    });
  }
  const contacts = d.contacts.filter((c) => c.name.trim() || c.phone.trim() || c.email.trim());
  if (contacts.length === 0) fields.contacts = 'name at least one on-call contact';
  contacts.forEach((c, i) => {
    if (!c.name.trim()) fields[`contacts.${i}`] = `contact ${i + 1}: give a name`;
    else if (!c.phone.trim() && !c.email.trim()) fields[`contacts.${i}`] = `contact ${i + 1}: give a phone or an e-mail address`;
  });
  return fields;
}

export function TeamForm(props: { catalogue: Catalogue | null; team?: StandbyTeam; onSaved: (team: StandbyTeam) => void; onCancel: () => void }) {
  const session = useSession();
  const [draft, setDraft] = useState<Draft>(() => draftOf(props.team));
  const { refusal, refuse, passes, err, top } = useRefusal();
  const [busy, setBusy] = useState(false);
  const zones = useMemo(timeZones, []);
  const set = (part: Partial<Draft>) => setDraft((d) => ({ ...d, ...part }));
  const p = props.team ? 'team-edit' : 'team';

  const setWindow = (i: number, part: Partial<CoverageWindow>) => set({ coverage: draft.coverage.map((w, j) => (j === i ? { ...w, ...part } : w)) });
  const setContact = (i: number, part: Partial<ContactDraft>) => set({ contacts: draft.contacts.map((c, j) => (j === i ? { ...c, ...part } : c)) });
  const toggle = <T extends string>(list: readonly T[], key: T, on: boolean): T[] => (on ? [...list, key] : list.filter((k) => k !== key));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!passes(checkDraft(draft))) return;
    setBusy(true);
    const text = (s: string) => (s.trim() ? s.trim() : null);
    const contacts: OnCallContact[] = draft.contacts.filter((c) => c.name.trim()).map((c) => ({ name: c.name.trim(), role: text(c.role), phone: text(c.phone), email: text(c.email) }));
    const releasability = listOf(draft.releasability);
    const body = {
      ...(props.team ? { version: props.team.version } : {}),
      name: draft.name.trim(),
      capabilities: draft.capabilities,
      modes: draft.modes,
      size: Number(draft.size),
      clearance: draft.clearance,
      languages: listOf(draft.languages).map((l) => l.toLowerCase()),
      time_zone: draft.time_zone,
      always: draft.always,
      // An end at 00:00 is midnight at the end of the day (00:00 to 00:00: the whole day).
      coverage: draft.always ? [] : draft.coverage.map((w) => ({ days: w.days, from: w.from, to: w.to === '00:00' ? '24:00' : w.to })),
      response_hours: { remote: draft.modes.includes('remote') ? Number(draft.remoteHours) : null, 'on-site': draft.modes.includes('on-site') ? Number(draft.onSiteHours) : null },
      contacts,
      tlp: draft.tlp,
      classification: draft.classification,
      ...(releasability.length > 0 || props.team ? { releasability } : {}),
    };
    try {
      const team = props.team
        ? await api<StandbyTeam>(assistancePath('teams', props.team.id), { method: 'PATCH', body })
        : await api<StandbyTeam>(assistancePath('teams'), { method: 'POST', body });
      props.onSaved(team);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) refuse({ message: `${error.message} (${error.code}). The team changed meanwhile: close this form and open it again.`, fields: {} });
      else refuse(refusalOf(error));
      setBusy(false);
    }
  };

  return (
    <form className="panel aid-team-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${p}-h`}>
      <h2 id={`${p}-h`}>{props.team ? `Change the team ${props.team.name}` : `Register a standby team of ${session.memberCode ?? 'your member'}`}</h2>
      <div ref={top} tabIndex={-1} className="refusal-anchor">
        <RefusalSummary refusal={refusal} title={props.team ? 'The team was not changed' : 'The team was not registered'} labels={LABELS} />
      </div>
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor={`${p}-name`}>Name (required)</label>
          <input id={`${p}-name`} value={draft.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} autoComplete="off" {...invalidProps(`${p}-name`, err('name'))} />
          <FieldError id={`${p}-name-error`} text={err('name')} />
        </div>
        <div className="field">
          <label htmlFor={`${p}-size`}>Size (people)</label>
          <input id={`${p}-size`} type="number" min={1} max={500} step={1} value={draft.size} onChange={(e) => set({ size: e.target.value })} {...invalidProps(`${p}-size`, err('size'))} />
          <FieldError id={`${p}-size-error`} text={err('size')} />
        </div>
        <div className="field">
          <label htmlFor={`${p}-clearance`}>Clearance held</label>
          <select id={`${p}-clearance`} value={draft.clearance} onChange={(e) => set({ clearance: e.target.value })} {...invalidProps(`${p}-clearance`, err('clearance'))}>
            {CLASSIFICATIONS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <FieldError id={`${p}-clearance-error`} text={err('clearance')} />
        </div>
        <div className="field">
          <label htmlFor={`${p}-languages`}>Languages</label>
          <input id={`${p}-languages`} value={draft.languages} onChange={(e) => set({ languages: e.target.value })} placeholder="en, de" maxLength={100} size={12} {...invalidProps(`${p}-languages`, err('languages'))} />
          <FieldError id={`${p}-languages-error`} text={err('languages')} />
        </div>
      </div>
      <fieldset id={`${p}-capabilities`} {...invalidProps(`${p}-capabilities`, err('capabilities'))}>
        <legend>Capabilities (at least one)</legend>
        <div className="aid-check-grid">
          {(props.catalogue?.capabilities ?? []).map((c) => (
            <label key={c.key} className="check">
              <input type="checkbox" name={`${p}-capabilities`} value={c.key} checked={draft.capabilities.includes(c.key)} onChange={(e) => set({ capabilities: toggle(draft.capabilities, c.key, e.currentTarget.checked) })} /> {c.name}
            </label>
          ))}
        </div>
        <FieldError id={`${p}-capabilities-error`} text={err('capabilities')} />
      </fieldset>
      <div className="toolbar">
        <fieldset id={`${p}-modes`} className="checks" {...invalidProps(`${p}-modes`, err('modes'))}>
          <legend>Works</legend>
          {MODES.map((m) => (
            <label key={m}>
              <input type="checkbox" name={`${p}-modes`} value={m} checked={draft.modes.includes(m)} onChange={(e) => set({ modes: toggle(draft.modes, m, e.currentTarget.checked) })} /> {modeName(m)}
            </label>
          ))}
          <FieldError id={`${p}-modes-error`} text={err('modes')} />
        </fieldset>
        <div className="field">
          <label htmlFor={`${p}-remote-hours`}>Response hours, remote</label>
          <input id={`${p}-remote-hours`} type="number" min={0} max={720} step={0.5} value={draft.remoteHours} disabled={!draft.modes.includes('remote')} onChange={(e) => set({ remoteHours: e.target.value })} {...invalidProps(`${p}-remote-hours`, err('response_hours.remote'))} />
          <FieldError id={`${p}-remote-hours-error`} text={err('response_hours.remote')} />
        </div>
        <div className="field">
          <label htmlFor={`${p}-onsite-hours`}>Response hours, on site</label>
          <input id={`${p}-onsite-hours`} type="number" min={0} max={720} step={0.5} value={draft.onSiteHours} disabled={!draft.modes.includes('on-site')} onChange={(e) => set({ onSiteHours: e.target.value })} {...invalidProps(`${p}-onsite-hours`, err('response_hours.on-site'))} />
          <FieldError id={`${p}-onsite-hours-error`} text={err('response_hours.on-site')} />
        </div>
      </div>
      <fieldset id={`${p}-coverage`} {...invalidProps(`${p}-coverage`, err('coverage') || err('time_zone') || err('always'))}>
        <legend>On call</legend>
        <div className="toolbar">
          <div className="field">
            <label htmlFor={`${p}-zone`}>Time zone of the windows</label>
            <select id={`${p}-zone`} value={draft.time_zone} onChange={(e) => set({ time_zone: e.target.value })}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </div>
          <label className="check" htmlFor={`${p}-always`}>
            <input id={`${p}-always`} type="checkbox" checked={draft.always} onChange={(e) => set({ always: e.currentTarget.checked })} /> 24/7
          </label>
        </div>
        {!draft.always && (
          <ol className="aid-windows">
            {draft.coverage.map((w, i) => (
              <li key={i} data-window={i}>
                <fieldset className="checks">
                  <legend>Window {i + 1}: starts on</legend>
                  {WEEKDAYS.map((day) => (
                    <label key={day}>
                      <input type="checkbox" checked={w.days.includes(day)} onChange={(e) => setWindow(i, { days: toggle(w.days, day, e.currentTarget.checked) })} /> {DAY_NAMES[day]}
                    </label>
                  ))}
                </fieldset>
                <div className="field">
                  <label htmlFor={`${p}-window-${i}-from`}>From</label>
                  <input id={`${p}-window-${i}-from`} type="time" value={w.from} onChange={(e) => setWindow(i, { from: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`${p}-window-${i}-to`}>To</label>
                  <input id={`${p}-window-${i}-to`} type="time" value={w.to === '24:00' ? '00:00' : w.to} onChange={(e) => setWindow(i, { to: e.target.value })} />
                </div>
                <button type="button" className="secondary" onClick={() => set({ coverage: draft.coverage.filter((_, j) => j !== i) })} aria-label={`Remove window ${i + 1}`}>
                  Remove
                </button>
                <FieldError id={`${p}-window-${i}-error`} text={err(`coverage.${i}`)} />
              </li>
            ))}
          </ol>
        )}
        {!draft.always && (
          <p>
            <button type="button" className="secondary" disabled={draft.coverage.length >= 14} onClick={() => set({ coverage: [...draft.coverage, { days: ['sat', 'sun'], from: '09:00', to: '17:00' }] })}>
              Add a window
            </button>
          </p>
        )}
        <p className="muted small">A window that ends before it starts runs past midnight into the next day; one that ends at 00:00 runs to midnight (00:00 to 00:00: the whole day).</p>
        <FieldError id={`${p}-coverage-error`} text={err('coverage') || err('time_zone') || err('always')} />
      </fieldset>
      <fieldset id={`${p}-contacts`} {...invalidProps(`${p}-contacts`, err('contacts'))}>
        <legend>On-call contacts</legend>
        {draft.contacts.map((c, i) => (
          <div key={i} className="toolbar" data-contact={i}>
            <div className="field grow">
              <label htmlFor={`${p}-contact-${i}-name`}>Name</label>
              <input id={`${p}-contact-${i}-name`} value={c.name} onChange={(e) => setContact(i, { name: e.target.value })} maxLength={200} />
            </div>
            <div className="field">
              <label htmlFor={`${p}-contact-${i}-role`}>Role</label>
              <input id={`${p}-contact-${i}-role`} value={c.role} onChange={(e) => setContact(i, { role: e.target.value })} maxLength={200} size={14} />
            </div>
            <div className="field">
              <label htmlFor={`${p}-contact-${i}-phone`}>Phone</label>
              <input id={`${p}-contact-${i}-phone`} type="tel" value={c.phone} onChange={(e) => setContact(i, { phone: e.target.value })} maxLength={50} size={16} />
            </div>
            <div className="field">
              <label htmlFor={`${p}-contact-${i}-email`}>E-mail</label>
              <input id={`${p}-contact-${i}-email`} type="email" value={c.email} onChange={(e) => setContact(i, { email: e.target.value })} maxLength={254} size={20} />
            </div>
            {draft.contacts.length > 1 && (
              <button type="button" className="secondary" onClick={() => set({ contacts: draft.contacts.filter((_, j) => j !== i) })} aria-label={`Remove contact ${i + 1}`}>
                Remove
              </button>
            )}
            <FieldError id={`${p}-contact-${i}-error`} text={err(`contacts.${i}`)} />
          </div>
        ))}
        <p>
          <button type="button" className="secondary" disabled={draft.contacts.length >= 10} onClick={() => set({ contacts: [...draft.contacts, { name: '', role: '', phone: '', email: '' }] })}>
            Add a contact
          </button>
        </p>
        <FieldError id={`${p}-contacts-error`} text={err('contacts')} />
      </fieldset>
      <HandlingFields prefix={p} value={draft} onChange={set} refusal={refusal} releasabilityPlaceholder="empty: the node's default" />
      <p className="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : props.team ? 'Save the team' : 'Register the team'}
        </button>{' '}
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </p>
      {!props.team && <p className="muted small">A registered team stands by until it is stood down.</p>}
    </form>
  );
}
