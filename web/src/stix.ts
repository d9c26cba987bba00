/** What the application needs to know of STIX 2.1 objects to show them. */
import type { Handling } from './handling.js';

export interface StixObject {
  id: string;
  type: string;
  spec_version?: string;
  created?: string;
  modified?: string;
  created_by_ref?: string;
  name?: string;
  value?: string;
  pattern?: string;
  description?: string;
  revoked?: boolean;
  object_marking_refs?: string[];
  x_shieldwall_redacted?: string[];
  [key: string]: unknown;
}

/** A listing page of GET /api/v1/objects. */
export interface ObjectPage {
  objects: StixObject[];
  handling?: Record<string, Handling>;
  next?: string;
}

/** What a person calls an object: its name, value, pattern or, last, its id. */
export function labelOf(o: { id: string; type?: string; name?: unknown; value?: unknown; pattern?: unknown; relationship_type?: unknown }): string {
  for (const key of ['name', 'value', 'pattern'] as const) {
    const v = o[key];
    if (typeof v === 'string' && v) return v;
  }
  if (typeof o.relationship_type === 'string') return o.relationship_type;
  return o.id;
}

/** 'attack-pattern' → 'Attack pattern'. */
export function typeName(type: string): string {
  const s = type.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The object as a STIX 2.1 bundle (section 8), for export. */
export function bundleOf(objects: StixObject[]): string {
  const id = `bundle--${crypto.randomUUID()}`;
  return JSON.stringify({ type: 'bundle', id, objects }, null, 2);
}

/** Offers a text as a file download. */
export function download(name: string, text: string, type = 'application/stix+json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A timestamp in the reader's locale, to the minute. */
export function when(timestamp: string | undefined | null): string {
  if (!timestamp) return '';
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp;
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
