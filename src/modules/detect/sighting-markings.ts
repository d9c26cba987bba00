/**
 * The markings of reported sightings, as a user names them (--sighting-markings, the match
 * API's sighting_markings): apart from the collector so that a command line can check them
 * without loading the store.
 */
import { TLP2_MARKING_IDS, TLP_LEVELS, type Tlp } from '../../policy/markings.js';

/** The marking of reported sightings unless one is chosen: the alliance may know, each member keeps it in house. */
export const DEFAULT_SIGHTING_MARKING: Tlp = 'amber';

const MARKING_ID = /^marking-definition--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * 'amber', 'tlp:green', 'TLP:AMBER+STRICT' or a marking-definition id, comma-separated, to the
 * marking ids the sightings carry.
 */
export function parseSightingMarkings(text: string): { markings: string[] } | { error: string } {
  const markings: string[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const level = part.toLowerCase().replace(/^tlp:/, '');
    if ((TLP_LEVELS as readonly string[]).includes(level)) markings.push(TLP2_MARKING_IDS[level as Tlp]);
    else if (MARKING_ID.test(part)) markings.push(part);
    else return { error: `sighting marking '${part}' is neither a TLP level (clear, green, amber, amber+strict, red) nor a marking-definition id` };
  }
  if (markings.length === 0) return { error: 'no sighting marking given: name a TLP level (e.g. amber) or marking-definition ids' };
  return { markings };
}
