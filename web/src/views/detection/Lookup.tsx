/**
 * Is this value known? One value or many (one per line, or found in pasted text) looked up
 * against the indicators the user may read (POST /api/v1/lookup): each value's verdict, the
 * indicators that name it with their handling, what they relate to, who sighted them, and the
 * warning-list entry that covers the value (bulk matching then reports its matches as suppressed).
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { when } from '../../stix.js';
import { handlingOfMarkings, ObjectRef } from '../common/objects.js';
import { countText, messageOf } from '../common/upload.js';
import { ErrorNote, MoreButton, useShown } from '../common/widgets.js';
import { LOOKUP_MAX_VALUES, valuesInText, valuesOfLines } from './extract.js';

interface Related {
  id: string;
  type: string;
  name?: string;
  relationship: string;
  via?: string;
}

interface Sighted {
  members: number;
  sightings: number;
  count: number;
  first_seen?: string;
  last_seen?: string;
  sighted_by: string[];
  truncated?: boolean;
}

interface Hit {
  id: string;
  match: 'full' | 'partial';
  confidence?: number;
  valid_from?: string;
  valid_until?: string;
  markings?: { tlp: string | null; classification: string; releasable_to: string[] };
  created_by_ref?: string;
  related?: Related[];
  sighted?: Sighted;
}

interface Suppression {
  list: string;
  name: string;
  entry: string;
}

export interface LookupAnswer {
  value: string;
  kind: string | null;
  normalised?: string;
  indicators: Hit[];
  suppressed?: Suppression;
  error?: string;
}

type Verdict = 'known' | 'listed' | 'unknown' | 'error';

function verdictOf(a: LookupAnswer): Verdict {
  if (a.error) return 'error';
  if (a.suppressed) return 'listed';
  return a.indicators.length > 0 ? 'known' : 'unknown';
}

const VERDICTS: Record<Verdict, string> = {
  known: 'Known',
  listed: 'On a warning list',
  unknown: 'Not known',
  error: 'Not looked up',
};

/** Member codes by STIX identity, so that an indicator's creator is named as its member. */
export type Identities = ReadonlyMap<string, { code: string; name: string }>;

function Creator(props: { id: string | undefined; identities: Identities }) {
  if (!props.id) return null;
  const member = props.identities.get(props.id);
  if (member) {
    return (
      <span title={member.name}>
        by <strong>{member.code}</strong>
      </span>
    );
  }
  // An identity that is no member of this node: named by its id (the reader may not read it).
  return (
    <span>
      by <code title="STIX identity of the creator">{props.id}</code>
    </span>
  );
}

/** The object a related one was reached through, by the name the answer gives it. */
function viaName(hit: Hit, id: string): string {
  const step = hit.related?.find((r) => r.id === id);
  return step ? `${step.type} ${step.name ?? ''}`.trim() : (id.split('--')[0] ?? id);
}

function HitView(props: { hit: Hit; identities: Identities }) {
  const h = props.hit;
  return (
    <li className="hit">
      <div className="hit-head">
        <ObjectRef id={h.id} handling={handlingOfMarkings(h.markings)} />
        <span className={`pill ${h.match === 'full' ? 'pill-strong' : ''}`} title={h.match === 'full' ? 'The value alone satisfies the pattern' : 'The pattern names the value but needs more (another value, several events)'}>
          {h.match === 'full' ? 'full match' : 'partial match'}
        </span>
        {h.confidence !== undefined && <span>confidence {h.confidence}</span>}
        <Creator id={h.created_by_ref} identities={props.identities} />
        {(h.valid_from || h.valid_until) && (
          <span className="muted small">
            valid {h.valid_from ? `from ${when(h.valid_from)}` : ''} {h.valid_until ? `until ${when(h.valid_until)}` : ''}
          </span>
        )}
      </div>
      {h.related && h.related.length > 0 && (
        <div className="hit-related">
          <span className="muted small">Related:</span>
          <ul className="inline-list">
            {h.related.map((r) => (
              <li key={`${r.id}-${r.relationship}-${r.via ?? ''}`}>
                <span className="muted small">{r.relationship}</span>{' '}
                <ObjectRef id={r.id} label={`${r.type}: ${r.name ?? r.id}`} handling={undefined} compact />
                {r.via && <span className="muted small"> (via {viaName(h, r.via)})</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
      {h.sighted && h.sighted.sightings > 0 && (
        <p className="small hit-sighted">
          Sighted by {countText(h.sighted.members)} organisation{h.sighted.members === 1 ? '' : 's'} ({countText(h.sighted.sightings)} sighting{h.sighted.sightings === 1 ? '' : 's'}, seen {countText(h.sighted.count)} times)
          {h.sighted.first_seen ? `, first ${when(h.sighted.first_seen)}` : ''}
          {h.sighted.last_seen ? `, last ${when(h.sighted.last_seen)}` : ''}
        </p>
      )}
    </li>
  );
}

function AnswerView(props: { answer: LookupAnswer; identities: Identities }) {
  const a = props.answer;
  const verdict = verdictOf(a);
  return (
    <li className={`answer verdict-${verdict}`}>
      <div className="answer-head">
        <code className="value">{a.value}</code>
        <span className="kind">{a.kind ?? 'kind not recognised'}</span>
        {a.normalised && (
          <span className="muted small">
            looked up as <code>{a.normalised}</code>
          </span>
        )}
        <span className={`verdict verdict-label-${verdict}`}>
          {VERDICTS[verdict]}
          {a.indicators.length > 0 ? `: ${a.indicators.length} indicator${a.indicators.length === 1 ? '' : 's'}` : ''}
        </span>
      </div>
      {a.error && <p className="error small">{a.error}</p>}
      {a.suppressed && (
        <p className="listed small">
          Covered by the warning list <strong>{a.suppressed.name}</strong> (entry <code>{a.suppressed.entry}</code>): bulk matching reports matches on this value as suppressed.
        </p>
      )}
      {verdict === 'unknown' && <p className="muted small">No indicator you may read names this value.</p>}
      {a.indicators.length > 0 && (
        <ul className="hits">
          {a.indicators.map((h) => (
            <HitView key={h.id} hit={h} identities={props.identities} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function Lookup(props: { identities: Identities }) {
  const [text, setText] = useState('');
  const [mode, setMode] = useState<'lines' | 'text'>('lines');
  const [warningLists, setWarningLists] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [answers, setAnswers] = useState<LookupAnswer[] | null>(null);
  const [filter, setFilter] = useState<'all' | Verdict>('all');
  const [shown, more, resetShown] = useShown(100);

  const values = useMemo(() => (mode === 'lines' ? valuesOfLines(text) : valuesInText(text)), [text, mode]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    if (values.length === 0) {
      setError(mode === 'lines' ? 'Enter at least one value, one per line.' : 'No address, domain, URL, e-mail address or hash was found in the text.');
      return;
    }
    if (values.length > LOOKUP_MAX_VALUES) {
      setError(`${countText(values.length)} values: at most ${countText(LOOKUP_MAX_VALUES)} can be looked up at once. Split them, or match them as a log below.`);
      return;
    }
    setBusy(true);
    try {
      const answer = await api<{ answers: LookupAnswer[] }>('/api/v1/lookup', { method: 'POST', body: { values, warning_lists: warningLists } });
      setAnswers(answer.answers);
      setFilter('all');
      resetShown();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const counts = useMemo(() => {
    const c: Record<Verdict, number> = { known: 0, listed: 0, unknown: 0, error: 0 };
    for (const a of answers ?? []) c[verdictOf(a)]++;
    return c;
  }, [answers]);
  const filtered = useMemo(() => (answers ?? []).filter((a) => filter === 'all' || verdictOf(a) === filter), [answers, filter]);

  return (
    <>
      <form onSubmit={(e) => void submit(e)} className="lookup-form" aria-label="Look up values">
        <label htmlFor="lookup-values">Values to look up</label>
        <textarea
          id="lookup-values"
          rows={6}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={mode === 'lines' ? '192.0.2.75\nsecure-pylon3.example.net\n44d88612fea8a8f36de82e1278abb02f' : 'Paste a report, an e-mail or a chat message: addresses, domains, URLs, e-mail addresses and hashes are found in it (defanged ones too).'}
          aria-describedby="lookup-hint"
          spellCheck={false}
        />
        <p id="lookup-hint" className="muted small">
          {countText(values.length)} value{values.length === 1 ? '' : 's'} to look up (at most {countText(LOOKUP_MAX_VALUES)}).
          {mode === 'text' && values.length > 0 && values.length <= 12 ? ` Found: ${values.join(', ')}` : ''}
        </p>
        <div className="toolbar">
          <fieldset className="radios">
            <legend>Read the text as</legend>
            <label>
              <input type="radio" name="lookup-mode" checked={mode === 'lines'} onChange={() => setMode('lines')} /> one value per line
            </label>
            <label>
              <input type="radio" name="lookup-mode" checked={mode === 'text'} onChange={() => setMode('text')} /> free text (find the values in it)
            </label>
          </fieldset>
          <label className="check">
            <input type="checkbox" checked={warningLists} onChange={(e) => setWarningLists(e.target.checked)} /> Apply the warning lists
          </label>
          <button type="submit" disabled={busy}>
            {busy ? 'Looking up…' : 'Look up'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} title="Lookup failed" />
      {busy && (
        <p role="status" className="muted" data-ready="false">
          Looking up {countText(values.length)} value{values.length === 1 ? '' : 's'}…
        </p>
      )}
      {answers && (
        <section aria-labelledby="lookup-results-h" className="lookup-results">
          <h3 id="lookup-results-h">
            Results for {countText(answers.length)} value{answers.length === 1 ? '' : 's'}
          </h3>
          <p className="counts" role="status">
            <span className="verdict-label-known">{countText(counts.known)} known</span> · <span className="verdict-label-listed">{countText(counts.listed)} on a warning list</span> · {countText(counts.unknown)} not known
            {counts.error > 0 ? <> · <span className="error">{countText(counts.error)} not looked up</span></> : null}
          </p>
          <div className="toolbar">
            <div className="field">
              <label htmlFor="lookup-filter">Show</label>
              <select
                id="lookup-filter"
                value={filter}
                onChange={(e) => {
                  setFilter(e.target.value as typeof filter);
                  resetShown();
                }}
              >
                <option value="all">every value</option>
                <option value="known">known values</option>
                <option value="listed">values on a warning list</option>
                <option value="unknown">values not known</option>
                <option value="error">values not looked up</option>
              </select>
            </div>
          </div>
          {filtered.length === 0 ? (
            <p className="empty">No value in this selection.</p>
          ) : (
            <ul className="answers">
              {filtered.slice(0, shown).map((a, i) => (
                <AnswerView key={`${i}-${a.value}`} answer={a} identities={props.identities} />
              ))}
            </ul>
          )}
          <MoreButton shown={shown} total={filtered.length} onMore={more} what="values" />
        </section>
      )}
    </>
  );
}
