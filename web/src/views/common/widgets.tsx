/**
 * Small pieces the detection, import, members and administration views share: a drop zone
 * with its file input, error and loading notes, a copy button, and tabs that follow the ARIA
 * tabs pattern (arrow keys move between them).
 */
import { useId, useRef, useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { bytesText } from './upload.js';

/** A file chosen with the input or dropped on the zone; the input keeps it keyboard-reachable. */
export function FileDrop(props: { label: string; hint?: string; accept?: string; disabled?: boolean; file: File | null; onFile: (file: File | null) => void }) {
  const id = useId();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const drop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    if (props.disabled) return;
    const file = e.dataTransfer.files[0];
    if (file) {
      if (input.current) input.current.value = '';
      props.onFile(file);
    }
  };
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        if (!props.disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <p className="dropzone-title">Drop a file here, or choose one</p>
      <label htmlFor={id}>{props.label}</label>{' '}
      <input
        ref={input}
        id={id}
        type="file"
        accept={props.accept}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onFile(e.currentTarget.files?.[0] ?? null)}
      />
      {props.hint && (
        <p id={`${id}-hint`} className="muted small">
          {props.hint}
        </p>
      )}
      {props.file && (
        <p className="dropzone-file">
          Selected: <strong>{props.file.name}</strong> ({bytesText(props.file.size)})
        </p>
      )}
    </div>
  );
}

export function ErrorNote(props: { error: string; title?: string }) {
  if (!props.error) return null;
  return (
    <p className="error" role="alert">
      {props.title ? <strong>{props.title}: </strong> : null}
      {props.error}
    </p>
  );
}

/** A loading note; data-ready="false" tells whoever waits for the view (tests, tools) that data is on its way. */
export function Loading(props: { what: string }) {
  return (
    <p className="muted" role="status" data-ready="false">
      Loading {props.what}…
    </p>
  );
}

/** Copies a text to the clipboard and says so. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('Copied.');
    } catch {
      setDone('Copying was refused by the browser: select the text and copy it.');
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={() => void copy()}>
        {props.label}
      </button>
      <span role="status" className="muted small">
        {done}
      </span>
    </>
  );
}

export interface Tab {
  id: string;
  title: string;
  render: () => ReactNode;
}

/** Tabs (WAI-ARIA tabs pattern): one tab stop, arrow keys, Home and End move between them. */
export function Tabs(props: { label: string; tabs: readonly Tab[]; selected: string; onSelect: (id: string) => void }) {
  const base = useId();
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const current = props.tabs.find((t) => t.id === props.selected) ?? props.tabs[0];
  const move = (e: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const n = props.tabs.length;
    let next = -1;
    if (e.key === 'ArrowRight') next = (index + 1) % n;
    else if (e.key === 'ArrowLeft') next = (index - 1 + n) % n;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    if (next < 0) return;
    e.preventDefault();
    const tab = props.tabs[next]!;
    props.onSelect(tab.id);
    refs.current.get(tab.id)?.focus();
  };
  if (!current) return null;
  return (
    <>
      <div className="tabs" role="tablist" aria-label={props.label}>
        {props.tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) refs.current.set(t.id, el);
              else refs.current.delete(t.id);
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${t.id}`}
            aria-selected={t.id === current.id}
            aria-controls={`${base}-panel-${t.id}`}
            tabIndex={t.id === current.id ? 0 : -1}
            onClick={() => props.onSelect(t.id)}
            onKeyDown={(e) => move(e, i)}
          >
            {t.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} tabIndex={0} className="tabpanel">
        {current.render()}
      </div>
    </>
  );
}

/** The first `shown` of many rows, and a button that shows more. */
export function useShown(step: number): [number, () => void, () => void] {
  const [shown, setShown] = useState(step);
  return [shown, () => setShown((n) => n + step), () => setShown(step)];
}

export function MoreButton(props: { shown: number; total: number; onMore: () => void; what: string }) {
  if (props.total <= props.shown) return null;
  return (
    <p>
      <button type="button" className="secondary" onClick={props.onMore}>
        Show more {props.what}
      </button>{' '}
      <span className="muted">
        (showing {props.shown.toLocaleString('en')} of {props.total.toLocaleString('en')})
      </span>
    </p>
  );
}
