/**
 * An actor's score over time as an inline SVG line chart: one point per step of the window, each
 * the score of the window that ends there, with a dashed horizontal line at each threshold
 * (consultation, council), so that one sees when and how far the score crossed them. The series
 * is also a table, for screen readers and for reading exact values.
 */
import { when } from '../../stix.js';
import type { Assessment } from './model.js';

const W = 640;
const H = 230;
const PAD = { left: 46, right: 14, top: 14, bottom: 30 };

export function ScoreChart(props: { assessment: Assessment }) {
  const a = props.assessment;
  const series = a.series;
  const top = Math.max(1, ...series.map((p) => p.score), a.thresholds.council) * 1.1;
  const n = Math.max(1, series.length - 1);
  const x = (i: number) => PAD.left + (i * (W - PAD.left - PAD.right)) / n;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / top);
  const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p.score).toFixed(1)}`).join(' ');
  const first = series[0];
  const last = series.at(-1);
  const middle = series[Math.floor(series.length / 2)];
  const lines = [
    { key: 'consultation', value: a.thresholds.consultation, label: `consultation ${a.thresholds.consultation}` },
    { key: 'council', value: a.thresholds.council, label: `council ${a.thresholds.council}` },
  ];
  return (
    <figure className="as-chart" data-points={series.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="as-chart-title as-chart-desc" data-consultation={a.thresholds.consultation} data-council={a.thresholds.council}>
        <title id="as-chart-title">Cumulative score over time</title>
        <desc id="as-chart-desc">
          {first && last ? `From ${first.score} on ${first.day} to ${last.score} on ${last.day}; the consultation threshold is ${a.thresholds.consultation}, the council threshold ${a.thresholds.council}.` : 'No points.'}
        </desc>
        <line className="as-axis" x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} />
        <text className="as-tick" x={PAD.left - 6} y={y(0) + 4} textAnchor="end">
          0
        </text>
        {lines.map((l) => (
          <g key={l.key} className={`as-threshold as-threshold-${l.key}`} data-threshold={l.key} data-value={l.value}>
            <line x1={PAD.left} y1={y(l.value)} x2={W - PAD.right} y2={y(l.value)} />
            <text x={PAD.left - 6} y={y(l.value) + 4} textAnchor="end">
              {l.value}
            </text>
            <text x={W - PAD.right} y={y(l.value) - 5} textAnchor="end">
              {l.label}
            </text>
          </g>
        ))}
        {series.length > 1 && <polyline className="as-line" points={points} />}
        {series.map((p, i) => (
          <circle key={p.day + i} className="as-point" cx={x(i)} cy={y(p.score)} r={2.6} />
        ))}
        {[first, middle, last].map((p, i) =>
          p ? (
            <text key={i} className="as-tick" x={x(series.indexOf(p))} y={H - 10} textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
              {p.day}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption className="muted small">
        Each point: the score of the {a.window.days} days ending that day, as you may see it. Dashed: the thresholds.
      </figcaption>
      <details>
        <summary>The series as a table</summary>
        <div className="table-scroll">
          <table className="as-series">
            <caption className="sr-only">Score by day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Score
                </th>
              </tr>
            </thead>
            <tbody>
              {series.map((p, i) => (
                <tr key={p.day + i}>
                  <td>{p.day}</td>
                  <td className="num">{p.score}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="muted small">As of {when(a.basis.as_of)}.</p>
      </details>
    </figure>
  );
}
