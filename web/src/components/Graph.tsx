/**
 * An object's relationships as a graph: the object in the middle, each object it relates to
 * around it, edges labelled with the relationship type. Nodes can be dragged to untangle the
 * picture; each readable node is a link to its page (Tab and Enter reach it too). An end the
 * reader may not read is drawn hatched, with its type only.
 */
import { useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { hrefOf } from '../router.js';

export interface GraphNode {
  id: string;
  type: string;
  label: string;
  readable: boolean;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  label: string;
}

const W = 720;
const H = 420;

function layout(center: GraphNode, nodes: readonly GraphNode[]): Map<string, { x: number; y: number }> {
  const at = new Map<string, { x: number; y: number }>();
  at.set(center.id, { x: W / 2, y: H / 2 });
  const others = nodes.filter((n) => n.id !== center.id);
  // Grouped by type so that alike objects sit together; rings of at most 16.
  others.sort((a, b) => a.type.localeCompare(b.type) || a.label.localeCompare(b.label));
  others.forEach((n, i) => {
    const ring = Math.floor(i / 16);
    const inRing = Math.min(16, others.length - ring * 16);
    const angle = ((i % 16) / inRing) * 2 * Math.PI - Math.PI / 2 + ring * 0.2;
    const r = 140 + ring * 60;
    at.set(n.id, { x: W / 2 + Math.cos(angle) * r * 1.5, y: H / 2 + Math.sin(angle) * r * 0.9 });
  });
  return at;
}

function short(text: string, max = 28): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function Graph(props: { center: GraphNode; nodes: readonly GraphNode[]; edges: readonly GraphEdge[] }) {
  const initial = useMemo(() => layout(props.center, props.nodes), [props.center, props.nodes]);
  const [moved, setMoved] = useState<Map<string, { x: number; y: number }>>(new Map());
  const [hover, setHover] = useState<string | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const dragging = useRef<{ id: string; moved: boolean } | null>(null);
  const pos = (id: string) => moved.get(id) ?? initial.get(id) ?? { x: W / 2, y: H / 2 };

  const toSvg = (e: ReactPointerEvent) => {
    const rect = svg.current!.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) / rect.width) * W, y: ((e.clientY - rect.top) / rect.height) * H };
  };

  return (
    <svg
      ref={svg}
      className="graph"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="group"
      aria-label={`Relationships of ${props.center.label}: ${props.edges.length}`}
      onPointerMove={(e) => {
        const d = dragging.current;
        if (!d) return;
        d.moved = true;
        const p = toSvg(e);
        setMoved((m) => new Map(m).set(d.id, p));
      }}
      onPointerUp={() => {
        dragging.current = null;
      }}
      onPointerLeave={() => {
        dragging.current = null;
      }}
    >
      {props.edges.map((e) => {
        const a = pos(e.from);
        const b = pos(e.to);
        const lit = hover === e.from || hover === e.to;
        return (
          <g key={e.id} className={`edge${lit ? ' lit' : ''}`}>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} markerEnd="url(#arrow)" />
            <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 3} textAnchor="middle">
              {e.label}
            </text>
          </g>
        );
      })}
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="22" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
        <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <line x1="0" y1="0" x2="0" y2="6" className="hatch" />
        </pattern>
      </defs>
      {[props.center, ...props.nodes.filter((n) => n.id !== props.center.id)].map((n) => {
        const p = pos(n.id);
        const isCenter = n.id === props.center.id;
        const body = (
          <>
            <circle r={isCenter ? 16 : 11} className={`node node-${n.type}${n.readable ? '' : ' unreadable'}${isCenter ? ' center' : ''}`} fill={n.readable ? undefined : 'url(#hatch)'} />
            <text y={isCenter ? 30 : 24} textAnchor="middle" className="node-label">
              {n.readable ? short(n.label) : `${n.type} (not readable)`}
            </text>
          </>
        );
        return (
          <g
            key={n.id}
            transform={`translate(${p.x},${p.y})`}
            className="gnode"
            onPointerDown={(e) => {
              dragging.current = { id: n.id, moved: false };
              (e.target as Element).setPointerCapture?.(e.pointerId);
            }}
            onPointerEnter={() => setHover(n.id)}
            onPointerLeave={() => setHover(null)}
          >
            {n.readable && !isCenter ? (
              <a
                href={hrefOf('object', n.id)}
                aria-label={`${short(n.label)} (${n.type}: ${n.label})`}
                onClick={(e) => {
                  if (dragging.current?.moved) e.preventDefault();
                }}
              >
                {body}
              </a>
            ) : (
              body
            )}
            <title>{n.readable ? `${n.type}: ${n.label}` : `${n.type}: you may not read this object`}</title>
          </g>
        );
      })}
    </svg>
  );
}
