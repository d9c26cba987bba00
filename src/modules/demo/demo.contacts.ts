/**
 * Points of contact of the demo members, so that the members directory shows what a real one
 * would. Deterministic (a function of the member's code and kind) and plainly fictional: desks,
 * not people; addresses under example.org (reserved, RFC 2606); telephone numbers in the range
 * the UK regulator keeps for drama (+44 20 7946 0000 to 0999), which reaches no one.
 */
import type { MemberKind } from '../../policy/principal.js';
import type { Contact } from '../directory/directory.schema.js';

const ROLES: Readonly<Record<MemberKind, readonly [roundTheClock: string, officeHours: string]>> = {
  ally: ['national CERT duty officer', 'cyber defence liaison officer'],
  partner: ['national CERT duty officer', 'cyber defence liaison officer'],
  'international-organisation': ['incident response duty officer', 'liaison officer'],
  industry: ['security operations centre', 'partnership manager'],
};

/** A number 0-499 from the code, the same on every run. */
function slot(code: string): number {
  let h = 0;
  for (const c of code) h = (h * 31 + c.charCodeAt(0)) % 500;
  return h;
}

function dramaNumber(n: number): string {
  return `+44 20 7946 0${String(n).padStart(3, '0')}`;
}

/** Two points of contact of a demo member: a round-the-clock desk and an office-hours liaison. */
export function demoContacts(member: { code: string; kind: MemberKind }): Contact[] {
  const domain = `${member.code.toLowerCase().replace(/[^a-z0-9-]/g, '-')}.example.org`;
  const [duty, liaison] = ROLES[member.kind];
  const n = slot(member.code) * 2;
  return [
    { role: duty, name: `Duty desk ${member.code} (demo)`, email: `duty@${domain}`, phone: dramaNumber(n), available_24_7: true },
    { role: liaison, name: `Liaison office ${member.code} (demo)`, email: `liaison@${domain}`, phone: dramaNumber(n + 1), available_24_7: false },
  ];
}
