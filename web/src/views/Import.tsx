/**
 * Import: a STIX file (a bundle, a JSON array of objects, or NDJSON) sent to POST
 * /api/v1/bundles with the upload's progress, then what became of each object: accepted,
 * duplicate (held already), or rejected with the JSON path and the rule it broke. A file over the
 * node's body limit is refused (413) with what was accepted before the limit; the rest goes with
 * `shieldwall ingest`, which splits large files.
 */
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api.js';
import { download } from '../stix.js';
import { ObjectRef } from './common/objects.js';
import { bytesText, countText, isCancelled, messageOf, send } from './common/upload.js';
import { ErrorNote, FileDrop, MoreButton, useShown } from './common/widgets.js';
import './views.css';

interface Issue {
  id?: string;
  path: string;
  rule: string;
  message: string;
}

interface Outcome {
  index: number;
  status: 'accepted' | 'duplicate' | 'rejected';
  id?: string;
  type?: string;
  offset?: number;
  line?: number;
  errors?: Issue[];
  warnings?: Issue[];
  upgraded?: string[];
  version?: string;
}

interface Summary {
  objects: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  bytes: number;
  format?: string;
  specVersion?: string;
  upgraded?: number;
  seconds?: number;
  objectsPerSecond?: number;
  streamErrors?: string[];
}

interface Result {
  file: string;
  summary: Summary | null;
  outcomes: Outcome[];
  /** Set when the node refused the request part way: its message (the outcomes are those it committed). */
  refusal?: string;
}

type Status = Outcome['status'];

/** NDJSON by the file's name or type; anything else is sent as JSON (the node also detects NDJSON in it). */
function contentTypeOf(file: File): string {
  if (/\.(ndjson|jsonl)$/i.test(file.name) || /ndjson|jsonlines/i.test(file.type)) return 'application/x-ndjson';
  return 'application/json';
}

function countsOf(outcomes: readonly Outcome[]): Record<Status, number> {
  const c: Record<Status, number> = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const o of outcomes) c[o.status]++;
  return c;
}

function Where(props: { o: Outcome }) {
  const o = props.o;
  return (
    <>
      {o.index + 1}
      {o.line !== undefined ? <div className="muted small">line {o.line}</div> : o.offset !== undefined ? <div className="muted small">byte {o.offset}</div> : null}
    </>
  );
}

function Issues(props: { issues: Issue[] | undefined; kind: 'error' | 'warning' }) {
  if (!props.issues || props.issues.length === 0) return null;
  return (
    <ul className={`issues issues-${props.kind}`}>
      {props.issues.map((i, n) => (
        <li key={n}>
          <code>{i.path}</code> <span className="pill">{i.rule}</span> {i.message}
        </li>
      ))}
    </ul>
  );
}

function OutcomeRow(props: { o: Outcome }) {
  const o = props.o;
  return (
    <tr className={`outcome-${o.status}`}>
      <td className="num">
        <Where o={o} />
      </td>
      <td>
        <span className={`status status-${o.status}`}>{o.status}</span>
      </td>
      <td>{o.type ?? <span className="muted">unknown</span>}</td>
      <td className="wrap">
        {/* Only what the node holds is an object to open: a rejected object was not stored. */}
        {o.id && o.status !== 'rejected' ? <ObjectRef id={o.id} handling={undefined} compact /> : o.id ? <code>{o.id}</code> : <span className="muted">no id</span>}
      </td>
      <td className="wrap">
        <Issues issues={o.errors} kind="error" />
        <Issues issues={o.warnings} kind="warning" />
        {o.upgraded && o.upgraded.length > 0 && <p className="small muted">Upgraded to STIX 2.1: {o.upgraded.join('; ')}</p>}
      </td>
    </tr>
  );
}

export function Import() {
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<'idle' | 'sending' | 'ingesting' | 'done' | 'failed'>('idle');
  const [sent, setSent] = useState({ sent: 0, total: 0 });
  const [error, setError] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const [filter, setFilter] = useState<'all' | Status>('all');
  const [shown, more, resetShown] = useShown(200);
  const abort = useRef<AbortController | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) {
      setError('Choose a STIX file first.');
      return;
    }
    setError('');
    setResult(null);
    setFilter('all');
    resetShown();
    setSent({ sent: 0, total: file.size });
    setPhase('sending');
    const controller = new AbortController();
    abort.current = controller;
    try {
      const answer = await send('/api/v1/bundles', {
        method: 'POST',
        body: file,
        contentType: contentTypeOf(file),
        signal: controller.signal,
        onUpload: (done, total) => {
          setSent({ sent: done, total });
          if (done >= total) setPhase((p) => (p === 'sending' ? 'ingesting' : p));
        },
      });
      const body = JSON.parse(answer.text) as { summary: Summary; objects?: Outcome[] };
      setResult({ file: file.name, summary: body.summary, outcomes: body.objects ?? [] });
      setPhase('done');
    } catch (err) {
      setPhase('failed');
      if (isCancelled(err)) {
        setError('Cancelled. Objects the node committed before the request ended stay accepted; sending the file again reports them as duplicates.');
        return;
      }
      setError(messageOf(err));
      // A refusal part way (413 over the limit, 507 storage full) lists what was committed before it.
      if (err instanceof ApiError) {
        const details = err.details as { objects?: Outcome[]; summary?: Summary } | undefined;
        if (details?.objects || details?.summary) setResult({ file: file.name, summary: details.summary ?? null, outcomes: details.objects ?? [], refusal: err.message });
      }
    } finally {
      abort.current = null;
    }
  };

  const outcomes = useMemo(() => result?.outcomes ?? [], [result]);
  const counts = useMemo(() => countsOf(outcomes), [outcomes]);
  const filtered = useMemo(() => (filter === 'all' ? outcomes : outcomes.filter((o) => o.status === filter)), [outcomes, filter]);
  const busy = phase === 'sending' || phase === 'ingesting';
  const percent = sent.total > 0 ? Math.floor((sent.sent / sent.total) * 100) : 0;
  const s = result?.summary;

  return (
    <div className="view import" data-ready={busy ? 'false' : 'true'}>
      <h1>Import STIX</h1>
      <section className="panel" aria-labelledby="import-file-h">
        <h2 id="import-file-h">File</h2>
        <form onSubmit={(e) => void submit(e)} aria-label="Import a STIX file">
          <FileDrop
            label="STIX file"
            hint="A STIX 2.1 (or 2.0) bundle, a JSON array of objects, or NDJSON (one object per line, .ndjson or .jsonl). Each object is validated; those that pass are stored under your member."
            accept=".json,.ndjson,.jsonl,.stix,application/json,application/stix+json,application/x-ndjson"
            disabled={busy}
            file={file}
            onFile={(f) => {
              setFile(f);
              setError('');
            }}
          />
          <div className="toolbar">
            <button type="submit" disabled={busy || !file}>
              {busy ? 'Importing…' : 'Import'}
            </button>
            {busy && (
              <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
                Cancel
              </button>
            )}
          </div>
        </form>
        {phase !== 'idle' && (
          <div className="match-progress">
            <label htmlFor="import-upload">File sent to the node</label>
            <progress id="import-upload" max={Math.max(1, sent.total)} value={sent.sent} aria-valuetext={`${percent}% sent`} />
            <p className="small" role="status">
              {bytesText(sent.sent)} of {bytesText(sent.total)} sent ({percent}%)
              {phase === 'ingesting' && ' · the node is validating and storing the last objects…'}
              {phase === 'done' && ' · done'}
            </p>
          </div>
        )}
        <ErrorNote error={error} title="The node refused the import" />
      </section>
      {result && (
        <section className="panel" aria-labelledby="import-result-h">
          <h2 id="import-result-h">Outcomes of {result.file}</h2>
          {result.refusal && (
            <p className="listed">
              The request was refused part way; the {countText(counts.accepted)} object{counts.accepted === 1 ? '' : 's'} accepted before stay accepted.
            </p>
          )}
          <dl className="stats" aria-label="Counts">
            <div>
              <dt>Objects</dt>
              <dd>{countText(s?.objects ?? outcomes.length)}</dd>
            </div>
            <div>
              <dt>Accepted</dt>
              <dd className="status-ok">{countText(s?.accepted ?? counts.accepted)}</dd>
            </div>
            <div>
              <dt>Duplicate</dt>
              <dd>{countText(s?.duplicate ?? counts.duplicate)}</dd>
            </div>
            <div>
              <dt>Rejected</dt>
              <dd className={(s?.rejected ?? counts.rejected) > 0 ? 'status-bad' : undefined}>{countText(s?.rejected ?? counts.rejected)}</dd>
            </div>
            {s && (
              <div>
                <dt>Read</dt>
                <dd>
                  {bytesText(s.bytes)}
                  {s.seconds !== undefined ? ` in ${s.seconds.toFixed(2)} s` : ''}
                </dd>
              </div>
            )}
            {s?.format && (
              <div>
                <dt>Format</dt>
                <dd>
                  {s.format}
                  {s.specVersion ? `, STIX ${s.specVersion}` : ''}
                  {s.upgraded ? `, ${countText(s.upgraded)} upgraded to 2.1` : ''}
                </dd>
              </div>
            )}
          </dl>
          {s?.streamErrors && s.streamErrors.length > 0 && (
            <div className="error" role="alert">
              <strong>Problems with the file itself:</strong>
              <ul>
                {s.streamErrors.map((m, i) => (
                  <li key={i}>{m}</li>
                ))}
              </ul>
            </div>
          )}
          {outcomes.length > 0 && (
            <>
              <div className="toolbar">
                <fieldset className="radios">
                  <legend>Show</legend>
                  {(['all', 'rejected', 'accepted', 'duplicate'] as const).map((f) => (
                    <label key={f}>
                      <input
                        type="radio"
                        name="import-filter"
                        checked={filter === f}
                        onChange={() => {
                          setFilter(f);
                          resetShown();
                        }}
                      />{' '}
                      {f === 'all' ? `all (${countText(outcomes.length)})` : `${f} (${countText(counts[f])})`}
                    </label>
                  ))}
                </fieldset>
                <button type="button" className="secondary" onClick={() => download(`outcomes-${result.file}.json`, JSON.stringify({ summary: result.summary, objects: outcomes }, null, 2), 'application/json')}>
                  Download the outcomes (JSON)
                </button>
              </div>
              {filtered.length === 0 ? (
                <p className="empty">No object {filter === 'all' ? '' : `was ${filter}`}.</p>
              ) : (
                <div className="table-scroll">
                  <table className="outcomes">
                    <caption className="sr-only">Outcome of each object</caption>
                    <thead>
                      <tr>
                        <th scope="col" className="num">
                          #
                        </th>
                        <th scope="col">Outcome</th>
                        <th scope="col">Type</th>
                        <th scope="col">Object</th>
                        <th scope="col">Why (JSON path, rule, message)</th>
                      </tr>
                    </thead>
                    <tbody>
                      {filtered.slice(0, shown).map((o) => (
                        <OutcomeRow key={o.index} o={o} />
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <MoreButton shown={shown} total={filtered.length} onMore={more} what="objects" />
            </>
          )}
        </section>
      )}
    </div>
  );
}
