/**
 * The node's TAXII 2.1 collections (what other nodes and TAXII clients pull and push), as the
 * TAXII server lists them for the caller. TAXII answers only its own media type, so the request
 * asks for it.
 */
import { useEffect, useState } from 'react';
import { messageOf, send } from '../common/upload.js';
import { ErrorNote, Loading } from '../common/widgets.js';

const TAXII = 'application/taxii+json;version=2.1';
const API_ROOT = '/taxii2/intel/';

interface Collection {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  can_read: boolean;
  can_write: boolean;
  media_types?: string[];
}

export function Collections() {
  const [collections, setCollections] = useState<Collection[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    send(`${API_ROOT}collections/`, { accept: TAXII })
      .then((a) => {
        const body = JSON.parse(a.text) as { collections?: Collection[] };
        if (live) setCollections(body.collections ?? []);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, []);
  return (
    <section aria-labelledby="collections-h">
      <h2 id="collections-h">TAXII collections</h2>
      <p className="muted small">
        API root <code>{API_ROOT}</code>. Node administrators add collections (views of what is released to an audience) with <code>shieldwall collections</code>.
      </p>
      <ErrorNote error={error} title="The collections could not be read" />
      {!collections && !error && <Loading what="the collections" />}
      {collections && collections.length === 0 && <p className="empty">No collection.</p>}
      {collections && collections.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="sr-only">TAXII collections</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Alias</th>
                <th scope="col">Id</th>
                <th scope="col">You may</th>
                <th scope="col">Media types</th>
              </tr>
            </thead>
            <tbody>
              {collections.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    {c.title}
                    {c.description && <div className="muted small">{c.description}</div>}
                  </th>
                  <td>{c.alias ? <code>{c.alias}</code> : <span className="muted">none</span>}</td>
                  <td className="wrap">
                    <code>{c.id}</code>
                  </td>
                  <td>{[c.can_read ? 'read' : '', c.can_write ? 'write' : ''].filter(Boolean).join(', ') || 'nothing'}</td>
                  <td className="small">{(c.media_types ?? []).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
