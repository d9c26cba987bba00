/**
 * A STIX object named in a view: a link to its page, inside an element that carries its id
 * (data-object-id), with its handling badges (or 'handling unknown' when the answer did not
 * carry its handling).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Badges, CLASSIFICATIONS, knownObject, type Handling, type Known } from '../../handling.js';
import { hrefOf } from '../../router.js';

/** The markings of a lookup answer ({tlp, classification: 'RESTRICTED', releasable_to}) as a Handling. */
export function handlingOfMarkings(m: { tlp: string | null; classification: string; releasable_to: string[] } | undefined): Handling | undefined {
  if (!m) return undefined;
  const level = (CLASSIFICATIONS as readonly string[]).indexOf(m.classification.toUpperCase());
  return { tlp: m.tlp, classification: level < 0 ? 0 : level, classification_name: m.classification, releasable_to: m.releasable_to };
}

export function ObjectRef(props: { id: string; label?: ReactNode; handling: Handling | undefined; compact?: boolean; as?: 'span' | 'li' | 'div' }) {
  const Tag = props.as ?? 'span';
  // An answer without the object's handling: asked of the node (batched with the page's others).
  const [found, setFound] = useState<Known | null | undefined>(undefined);
  useEffect(() => {
    if (props.handling) return;
    let live = true;
    void knownObject(props.id).then((k) => live && setFound(k));
    return () => {
      live = false;
    };
  }, [props.id, props.handling]);
  const handling = props.handling ?? found?.handling;
  return (
    <Tag className="objref" data-object-id={props.id}>
      <a href={hrefOf('object', props.id)} className="objref-link">
        {props.label ?? (found ? found.label : <code>{props.id}</code>)}
      </a>{' '}
      {handling || found === undefined ? <Badges handling={handling} compact={props.compact} /> : <span className="muted">(not readable to you)</span>}
    </Tag>
  );
}
