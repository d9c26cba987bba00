/**
 * Routes live in the URL's fragment (#/intel?q=…), so the node serves one page at / and every
 * view can be bookmarked, reloaded and reached with back and forward.
 */
import { useEffect, useState } from 'react';

export interface Route {
  /** The path after '#', e.g. '/object/indicator--…'. */
  readonly path: string;
  /** The path's segments: ['object', 'indicator--…']. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

function current(): Route {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = hash.split('?', 2) as [string, string?];
  return { path, segments: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const changed = () => setRoute(current());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** The href of a view: hrefOf('object', id) → '#/object/<id>'. */
export function hrefOf(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

export function navigate(href: string, replace = false): void {
  if (replace) window.location.replace(href);
  else window.location.hash = href.replace(/^#/, '');
}

/** The current route's parameters replaced by these (empty values removed), without a new history entry. */
export function setParams(updates: Record<string, string | undefined>): void {
  const route = current();
  const params = new URLSearchParams(route.params);
  for (const [key, value] of Object.entries(updates)) {
    if (value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const search = params.toString();
  window.history.replaceState(null, '', `#${route.path}${search ? `?${search}` : ''}`);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
