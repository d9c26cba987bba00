/**
 * A record's details as its page shows them (an incident, a request for assistance): a table of
 * named values, and lists of short entries (sectors, members, languages) shown inline.
 */
import type { ReactNode } from 'react';

/** Short entries inline; `empty` (muted) when there is none. */
export function InlineList(props: { items: readonly string[]; empty: string }) {
  if (props.items.length === 0) return <span className="muted">{props.empty}</span>;
  return (
    <ul className="inline-list">
      {props.items.map((s) => (
        <li key={s}>{s}</li>
      ))}
    </ul>
  );
}

/** Named values, a row each; the caption is for screen readers. */
export function DetailsTable(props: { className: string; caption: string; rows: ReadonlyArray<readonly [string, ReactNode]> }) {
  return (
    <table className={`props ${props.className}`}>
      <caption className="sr-only">{props.caption}</caption>
      <tbody>
        {props.rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
