/**
 * Which events of this log match? A log file (NDJSON, CSV, Zeek, Suricata EVE, plain values) is
 * sent to POST /api/v1/match while the bar shows how much has gone; the node answers NDJSON as it
 * reads (a match, a suppressed match, an unreadable record per line, the summary last), and each
 * line is shown as it arrives. Cancelling ends the request: what arrived stays on screen.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { query } from '../../api.js';
import { useSession } from '../../session.js';
import { download, when } from '../../stix.js';
import { ObjectRef } from '../common/objects.js';
import { bytesText, countText, isCancelled, LineSplitter, messageOf, send } from '../common/upload.js';
import { ErrorNote, FileDrop } from '../common/widgets.js';

interface Match {
  line: number;
  time?: string;
  value?: string;
  kind?: string;
  field?: string;
  indicator: string;
  match: 'value' | 'pattern';
  confidence?: number;
  first_time?: string;
  observed?: Array<Record<string, unknown>>;
}

interface Suppressed extends Match {
  warning_list: { list: string; name: string; entry: string };
}

interface LogError {
  line: number;
  offset: number;
  message: string;
}

interface Summary {
  events: number;
  values: number;
  matches: number;
  errors: number;
  bytes: number;
  seconds: number;
  indicators: number;
  suppressed: number;
  reported?: { sightings: number; observed_data: number; rejected: number; ids?: string[] };
  /** Values matched against the newest 1,000 indicators naming them only. */
  values_truncated?: number;
  /** The listing stopped at the node's bound: the lines after truncated_at_line were read, not matched. */
  truncated?: true;
  truncated_at_line?: number;
}

type Line = { match: Match } | { suppressed: Suppressed } | { error: LogError } | { summary: Summary };

/** Rows kept on screen per kind; the counts, the per-indicator table and the download hold everything. */
const SHOWN = 1000;
/** Answer lines kept for the download. */
const KEPT = 200_000;
const FORMATS = [
  ['', 'detect from the first lines'],
  ['ndjson', 'NDJSON (one JSON record per line)'],
  ['csv', 'CSV'],
  ['zeek', 'Zeek (TSV or JSON)'],
  ['eve', 'Suricata EVE JSON'],
  ['lines', 'plain values, one per line'],
] as const;
const TLPS = ['amber', 'amber+strict', 'green', 'clear', 'red'];

interface Results {
  matches: Match[];
  suppressed: Suppressed[];
  errors: LogError[];
  counts: { matches: number; suppressed: number; errors: number; lines: number };
  byIndicator: Array<[string, number]>;
  summary: Summary | null;
}

const EMPTY: Results = { matches: [], suppressed: [], errors: [], counts: { matches: 0, suppressed: 0, errors: 0, lines: 0 }, byIndicator: [], summary: null };

type Phase = 'idle' | 'sending' | 'reading' | 'done' | 'cancelled' | 'failed';

function observedText(o: Record<string, unknown>): string {
  const value = o.value ?? o.name ?? (o.hashes ? Object.values(o.hashes as Record<string, string>)[0] : undefined);
  return `${String(o.type)}${value !== undefined ? `: ${String(value)}` : ''}`;
}

function MatchRow(props: { m: Match; suppressed?: Suppressed['warning_list'] }) {
  const m = props.m;
  return (
    <tr>
      <td className="num">{m.line}</td>
      <td className="small">{m.match === 'pattern' && m.first_time ? `${when(m.first_time)} – ${when(m.time)}` : when(m.time)}</td>
      <td className="wrap">
        {m.value !== undefined ? <code>{m.value}</code> : null}
        {m.kind || m.field ? (
          <span className="muted small">
            {' '}
            {m.kind}
            {m.field ? ` in ${m.field}` : ''}
          </span>
        ) : null}
        {m.observed && m.observed.length > 0 && (
          <ul className="inline-list small">
            {m.observed.slice(0, 5).map((o, i) => (
              <li key={i}>
                <code>{observedText(o)}</code>
              </li>
            ))}
            {m.observed.length > 5 && <li className="muted">and {m.observed.length - 5} more</li>}
          </ul>
        )}
      </td>
      <td>
        <ObjectRef id={m.indicator} handling={undefined} compact />
      </td>
      <td>
        {m.match === 'value' ? 'value' : 'pattern'}
        {m.confidence !== undefined ? <span className="muted small"> · confidence {m.confidence}</span> : null}
      </td>
      {props.suppressed && (
        <td className="small">
          {props.suppressed.name} (<code>{props.suppressed.entry}</code>)
        </td>
      )}
    </tr>
  );
}

function MatchTable(props: { caption: string; rows: Match[]; suppressed?: boolean }) {
  return (
    <div className="table-scroll">
      <table className="matches">
        <caption className="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Line
            </th>
            <th scope="col">Time</th>
            <th scope="col">Value</th>
            <th scope="col">Indicator</th>
            <th scope="col">Match</th>
            {props.suppressed && <th scope="col">Warning list</th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((m, i) => (
            <MatchRow key={`${m.line}-${m.indicator}-${i}`} m={m} {...(props.suppressed ? { suppressed: (m as Suppressed).warning_list } : {})} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Match() {
  const session = useSession();
  const mayReport = session.can('intel:write');
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState('');
  const [columns, setColumns] = useState('');
  const [delimiter, setDelimiter] = useState('');
  const [header, setHeader] = useState(true);
  const [warningLists, setWarningLists] = useState(true);
  const [report, setReport] = useState(false);
  const [marking, setMarking] = useState('amber');
  const [phase, setPhase] = useState<Phase>('idle');
  const [sent, setSent] = useState({ sent: 0, total: 0 });
  const [error, setError] = useState('');
  const [results, setResults] = useState<Results>(EMPTY);
  const abort = useRef<AbortController | null>(null);
  // What arrived since the last render, and everything kept for the download.
  const pending = useRef<Results>(EMPTY);
  const byIndicator = useRef(new Map<string, number>());
  const kept = useRef<string[]>([]);
  const timer = useRef<number | undefined>(undefined);

  const flush = useCallback(() => {
    timer.current = undefined;
    const p = pending.current;
    setResults({ ...p, matches: p.matches.slice(), suppressed: p.suppressed.slice(), errors: p.errors.slice(), counts: { ...p.counts }, byIndicator: [...byIndicator.current].sort((a, b) => b[1] - a[1]).slice(0, 50) });
  }, []);
  const later = useCallback(() => {
    if (timer.current === undefined) timer.current = window.setTimeout(flush, 150);
  }, [flush]);
  useEffect(
    () => () => {
      abort.current?.abort();
      window.clearTimeout(timer.current);
    },
    [],
  );

  const take = (text: string) => {
    const p = pending.current;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      if (p.errors.length < SHOWN) p.errors.push({ line: 0, offset: 0, message: `an answer line was not JSON: ${text.slice(0, 200)}` });
      p.counts.errors++;
      return;
    }
    p.counts.lines++;
    if (kept.current.length < KEPT) kept.current.push(text);
    if ('match' in line) {
      p.counts.matches++;
      if (p.matches.length < SHOWN) p.matches.push(line.match);
      byIndicator.current.set(line.match.indicator, (byIndicator.current.get(line.match.indicator) ?? 0) + 1);
    } else if ('suppressed' in line) {
      p.counts.suppressed++;
      if (p.suppressed.length < SHOWN) p.suppressed.push(line.suppressed);
    } else if ('error' in line) {
      p.counts.errors++;
      if (p.errors.length < SHOWN) p.errors.push(line.error);
    } else if ('summary' in line) {
      p.summary = line.summary;
      // The node lists the log's first 1,000 unreadable records and counts the others.
      p.counts.errors = Math.max(p.counts.errors, line.summary.errors);
    }
  };

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) {
      setError('Choose a log file first.');
      return;
    }
    setError('');
    pending.current = { ...EMPTY, matches: [], suppressed: [], errors: [], counts: { matches: 0, suppressed: 0, errors: 0, lines: 0 } };
    byIndicator.current = new Map();
    kept.current = [];
    setResults(EMPTY);
    setSent({ sent: 0, total: file.size });
    setPhase('sending');
    const controller = new AbortController();
    abort.current = controller;
    const lines = new LineSplitter();
    const q = query({
      format,
      columns: columns.trim(),
      delimiter: format === 'csv' || format === '' ? delimiter : '',
      header: (format === 'csv' || format === '') && !header ? false : undefined,
      warning_lists: warningLists ? undefined : false,
      report_sightings: mayReport && report ? true : undefined,
      sighting_markings: mayReport && report ? marking : undefined,
    });
    try {
      await send(`/api/v1/match${q}`, {
        method: 'POST',
        body: file,
        contentType: file.type || 'text/plain',
        accept: 'application/x-ndjson, application/json',
        signal: controller.signal,
        onUpload: (done, total) => {
          setSent({ sent: done, total });
          if (done >= total) setPhase((ph) => (ph === 'sending' ? 'reading' : ph));
        },
        onText: (piece) => {
          for (const l of lines.push(piece)) take(l);
          later();
        },
      });
      for (const l of lines.end()) take(l);
      setPhase('done');
    } catch (err) {
      if (isCancelled(err)) setPhase('cancelled');
      else {
        setPhase('failed');
        setError(messageOf(err));
      }
    } finally {
      abort.current = null;
      window.clearTimeout(timer.current);
      flush();
    }
  };

  const busy = phase === 'sending' || phase === 'reading';
  const r = results;
  const percent = sent.total > 0 ? Math.floor((sent.sent / sent.total) * 100) : 0;
  const isCsv = format === 'csv' || format === '';

  return (
    <>
      <form onSubmit={(e) => void start(e)} aria-label="Match a log">
        <FileDrop
          label="Log file"
          hint="NDJSON, CSV, Zeek, Suricata EVE or plain values; any size: it is read as it is sent."
          accept=".log,.json,.ndjson,.jsonl,.csv,.tsv,.txt,text/*,application/json,application/x-ndjson"
          disabled={busy}
          file={file}
          onFile={(f) => {
            setFile(f);
            setError('');
          }}
        />
        <div className="toolbar">
          <div className="field">
            <label htmlFor="match-format">Format</label>
            <select id="match-format" value={format} onChange={(e) => setFormat(e.target.value)} disabled={busy}>
              {FORMATS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="match-columns">Columns (optional)</label>
            <input id="match-columns" value={columns} onChange={(e) => setColumns(e.target.value)} placeholder="dst:ipv4,3:domain" disabled={busy} size={18} aria-describedby="match-columns-hint" />
          </div>
          {isCsv && (
            <>
              <div className="field">
                <label htmlFor="match-delimiter">CSV delimiter</label>
                <input id="match-delimiter" value={delimiter} onChange={(e) => setDelimiter(e.target.value.slice(0, 1))} placeholder="," maxLength={1} size={3} disabled={busy} />
              </div>
              <label className="check">
                <input type="checkbox" checked={header} onChange={(e) => setHeader(e.target.checked)} disabled={busy} /> CSV has a header line
              </label>
            </>
          )}
          <label className="check">
            <input type="checkbox" checked={warningLists} onChange={(e) => setWarningLists(e.target.checked)} disabled={busy} /> Apply the warning lists
          </label>
          {mayReport && (
            <label className="check">
              <input type="checkbox" checked={report} onChange={(e) => setReport(e.target.checked)} disabled={busy} /> Report what matched as sightings
            </label>
          )}
          {mayReport && report && (
            <div className="field">
              <label htmlFor="match-marking">Sightings marked</label>
              <select id="match-marking" value={marking} onChange={(e) => setMarking(e.target.value)} disabled={busy}>
                {TLPS.map((t) => (
                  <option key={t} value={t}>
                    TLP:{t.toUpperCase()}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
        <p id="match-columns-hint" className="muted small">
          Columns map CSV or NDJSON fields to kinds of value, by header name or 1-based number; without them the fields are recognised by name and content.
        </p>
        <div className="toolbar">
          <button type="submit" disabled={busy || !file}>
            {busy ? 'Matching…' : 'Match the log'}
          </button>
          {busy && (
            <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
      </form>
      {phase !== 'idle' && (
        <div className="match-progress" data-ready={busy ? 'false' : 'true'}>
          <label htmlFor="match-upload">Log sent to the node</label>
          <progress id="match-upload" max={Math.max(1, sent.total)} value={sent.sent} aria-valuetext={`${percent}% sent`} />
          <p className="small" role="status">
            {bytesText(sent.sent)} of {bytesText(sent.total)} sent ({percent}%)
            {phase === 'reading' && ' · the node is reading the rest of the log…'}
            {phase === 'done' && ' · done'}
            {phase === 'cancelled' && ' · cancelled: the results below are those that arrived before'}
            {' · '}
            <strong>{countText(r.counts.matches)}</strong> match{r.counts.matches === 1 ? '' : 'es'}, {countText(r.counts.suppressed)} suppressed, {countText(r.counts.errors)} unreadable record{r.counts.errors === 1 ? '' : 's'}
          </p>
        </div>
      )}
      <ErrorNote error={error} title="Matching failed" />
      {r.summary?.truncated && (
        <p className="status-bad" role="status" data-testid="match-truncated">
          The listing stopped at line {countText(r.summary.truncated_at_line ?? 0)}: the node lists at most {countText(r.summary.matches + r.summary.suppressed)} matches
          and suppressed matches a log. The lines after it were read but not matched: match them in a log of their own.
        </p>
      )}
      {r.summary && (r.summary.values_truncated ?? 0) > 0 && (
        <p className="muted small">
          {countText(r.summary.values_truncated ?? 0)} value{r.summary.values_truncated === 1 ? ' was' : 's were'} matched against the newest 1,000 indicators naming {r.summary.values_truncated === 1 ? 'it' : 'them'} only.
        </p>
      )}
      {r.summary && (
        <div className="summary-box" aria-label="Summary of the match">
          <h3>Summary</h3>
          <dl className="stats">
            <div>
              <dt>Events read</dt>
              <dd>{countText(r.summary.events)}</dd>
            </div>
            <div>
              <dt>Values</dt>
              <dd>{countText(r.summary.values)}</dd>
            </div>
            <div>
              <dt>Matches</dt>
              <dd className={r.summary.matches > 0 ? 'status-bad' : 'status-ok'}>{countText(r.summary.matches)}</dd>
            </div>
            <div>
              <dt>Suppressed</dt>
              <dd>{countText(r.summary.suppressed)}</dd>
            </div>
            <div>
              <dt>Unreadable records</dt>
              <dd>{countText(r.summary.errors)}</dd>
            </div>
            <div>
              <dt>Read</dt>
              <dd>
                {bytesText(r.summary.bytes)} in {r.summary.seconds.toFixed(2)} s
              </dd>
            </div>
            <div>
              <dt>Indicators evaluated</dt>
              <dd>{countText(r.summary.indicators)}</dd>
            </div>
            {r.summary.reported && (
              <div>
                <dt>Reported</dt>
                <dd>
                  {countText(r.summary.reported.sightings)} sightings, {countText(r.summary.reported.observed_data)} observed data
                  {r.summary.reported.rejected > 0 ? `, ${countText(r.summary.reported.rejected)} rejected` : ''}
                </dd>
              </div>
            )}
          </dl>
        </div>
      )}
      {r.counts.lines > 0 && !busy && (
        <p>
          <button type="button" className="secondary" onClick={() => download(`matches-${file?.name ?? 'log'}.ndjson`, `${kept.current.join('\n')}\n`, 'application/x-ndjson')}>
            Download the answer (NDJSON)
          </button>
          {r.counts.lines > KEPT && <span className="muted small"> (its first {countText(KEPT)} lines)</span>}
        </p>
      )}
      {r.byIndicator.length > 0 && (
        <section aria-labelledby="match-ind-h">
          <h3 id="match-ind-h">Indicators matched</h3>
          <ul className="indicator-counts">
            {r.byIndicator.map(([id, n]) => (
              <li key={id}>
                <ObjectRef id={id} handling={undefined} compact /> <span className="num">{countText(n)}</span> match{n === 1 ? '' : 'es'}
              </li>
            ))}
          </ul>
        </section>
      )}
      {r.matches.length > 0 && (
        <section aria-labelledby="match-m-h">
          <h3 id="match-m-h">
            Matches{r.counts.matches > r.matches.length ? ` (the first ${countText(r.matches.length)} of ${countText(r.counts.matches)})` : ''}
          </h3>
          <MatchTable caption="Matches" rows={r.matches} />
        </section>
      )}
      {r.suppressed.length > 0 && (
        <section aria-labelledby="match-s-h">
          <h3 id="match-s-h">
            Suppressed by a warning list{r.counts.suppressed > r.suppressed.length ? ` (the first ${countText(r.suppressed.length)} of ${countText(r.counts.suppressed)})` : ''}
          </h3>
          <MatchTable caption="Matches suppressed by a warning list" rows={r.suppressed} suppressed />
        </section>
      )}
      {r.errors.length > 0 && (
        <section aria-labelledby="match-e-h">
          <h3 id="match-e-h">Unreadable records{r.counts.errors > r.errors.length ? ` (the first ${countText(r.errors.length)} of ${countText(r.counts.errors)})` : ''}</h3>
          <ul className="log-errors">
            {r.errors.map((e, i) => (
              <li key={i}>
                {e.line > 0 ? `Line ${e.line} (byte ${e.offset}): ` : ''}
                {e.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {phase === 'done' && r.counts.matches === 0 && r.counts.suppressed === 0 && <p className="status-ok">No event of this log matches an indicator you may read.</p>}
    </>
  );
}
