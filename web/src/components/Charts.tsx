/** Small charts drawn as SVG: horizontal bars of counts, and columns over days. */

export interface Bar {
  label: string;
  count: number;
  /** A CSS class for the bar (e.g. the TLP colour). */
  className?: string;
  href?: string;
}

export function BarChart(props: { title: string; bars: readonly Bar[]; empty?: string }) {
  const max = Math.max(1, ...props.bars.map((b) => b.count));
  if (props.bars.length === 0) return <p className="empty">{props.empty ?? 'Nothing in this window.'}</p>;
  return (
    <table className="bars" aria-label={props.title}>
      <tbody>
        {props.bars.map((b) => (
          <tr key={b.label}>
            <th scope="row">{b.href ? <a href={b.href}>{b.label}</a> : b.label}</th>
            <td className="bar-cell">
              <svg width="100%" height="14" role="presentation" aria-hidden="true" preserveAspectRatio="none" viewBox="0 0 100 14">
                <rect className={`bar ${b.className ?? ''}`} x="0" y="1" height="12" width={Math.max(0.5, (b.count / max) * 100)} />
              </svg>
            </td>
            <td className="num">{b.count.toLocaleString('en')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DayChart(props: { title: string; days: ReadonlyArray<{ day: string; count: number }> }) {
  const days = props.days;
  if (days.length === 0) return <p className="empty">Nothing added in this window.</p>;
  const max = Math.max(1, ...days.map((d) => d.count));
  const w = 600;
  const h = 120;
  const step = w / days.length;
  return (
    <figure className="daychart">
      <svg viewBox={`0 0 ${w} ${h + 16}`} width="100%" role="img" aria-label={`${props.title}: ${days.map((d) => `${d.day} ${d.count}`).join(', ')}`}>
        {days.map((d, i) => {
          const bh = (d.count / max) * h;
          return (
            <g key={d.day}>
              <rect className="bar" x={i * step + 1} y={h - bh} width={Math.max(1, step - 2)} height={bh}>
                <title>{`${d.day}: ${d.count}`}</title>
              </rect>
            </g>
          );
        })}
        <text x="0" y={h + 14} className="axis">
          {days[0]!.day}
        </text>
        <text x={w} y={h + 14} className="axis" textAnchor="end">
          {days[days.length - 1]!.day}
        </text>
      </svg>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}
