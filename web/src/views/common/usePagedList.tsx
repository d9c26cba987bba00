/**
 * A list read from the node page by page (by cursor, "Load more"), as the boards and the standby
 * teams show them: new filters read it again from its first page, and an answer that comes after
 * a newer read has begun is dropped, so that a slow page never lands on the wrong filters.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from './upload.js';

/** One page of a list, whatever the API names its rows. */
export interface ListPage<T> {
  rows: readonly T[];
  next: string | null;
}

export interface PagedList<T> {
  rows: T[];
  /** The cursor of the next page; null when the last page is read. */
  next: string | null;
  /** Whether the first page of the current filters has been answered (or refused). */
  loaded: boolean;
  loading: boolean;
  error: string;
  /** When the last page was read (Date.now()): clocks shown with the rows count from it. */
  readAt: number;
  more: () => void;
}

export function usePagedList<T>(
  read: (cursor: string | null) => Promise<ListPage<T>>,
  options: {
    /** The filters, as a string: a new key empties the list and reads its first page. */
    key: string;
    /** A change reads the list again; its rows stay until the answer replaces them, unless emptyOnReload. */
    reload?: number;
    emptyOnReload?: boolean;
  },
): PagedList<T> {
  const { key, reload = 0, emptyOnReload = false } = options;
  const [rows, setRows] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [readAt, setReadAt] = useState(0);
  const generation = useRef(0);
  // The reader of the latest render: it asks with the filters of the key.
  const reader = useRef(read);
  reader.current = read;
  const readKey = useRef<string | null>(null);

  const load = useCallback(async (cursor: string | null, gen: number) => {
    setLoading(true);
    try {
      const page = await reader.current(cursor);
      if (gen !== generation.current) return;
      setRows((old) => [...(cursor ? old : []), ...page.rows]);
      setReadAt(Date.now());
      setNext(page.next);
      setError('');
    } catch (e) {
      if (gen === generation.current) setError(messageOf(e));
    } finally {
      if (gen === generation.current) {
        setLoading(false);
        setLoaded(true);
      }
    }
  }, []);

  useEffect(() => {
    const gen = ++generation.current;
    if (emptyOnReload || readKey.current !== key) {
      setRows([]);
      setNext(null);
      setLoaded(false);
    }
    readKey.current = key;
    void load(null, gen);
  }, [key, reload, emptyOnReload, load]);

  const more = useCallback(() => {
    if (next) void load(next, generation.current);
  }, [next, load]);

  return { rows, next, loaded, loading, error, readAt, more };
}

/** The "Load more" button of a paged list, shown while there is a next page. */
export function LoadMore(props: { list: PagedList<unknown> }) {
  if (!props.list.next) return null;
  return (
    <p>
      <button type="button" className="secondary" disabled={props.list.loading} onClick={props.list.more}>
        {props.list.loading ? 'Loading…' : 'Load more'}
      </button>
    </p>
  );
}
