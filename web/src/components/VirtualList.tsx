/**
 * A list that renders only the rows in view (plus a margin), so that a listing of many thousand
 * objects scrolls as smoothly as one of ten. Rows have one fixed height. Reaching the end asks
 * for more (the next page of a cursor).
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';

export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  height: number;
  render: (item: T, index: number) => ReactNode;
  keyOf: (item: T) => string;
  onEnd?: () => void;
  label: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const { items, rowHeight, height } = props;
  const overscan = 8;
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + overscan);
  const onEnd = props.onEnd;
  useEffect(() => {
    if (onEnd && last >= items.length - overscan) onEnd();
  }, [last, items.length, onEnd]);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div role="listitem" key={props.keyOf(item)} className="vrow" style={{ position: 'absolute', top: i * rowHeight, height: rowHeight, left: 0, right: 0 }}>
        {props.render(item, i)}
      </div>,
    );
  }
  return (
    <div ref={ref} className="vlist" style={{ height, overflowY: 'auto', position: 'relative' }} onScroll={(e) => setTop(e.currentTarget.scrollTop)} tabIndex={0} role="list" aria-label={props.label}>
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}
