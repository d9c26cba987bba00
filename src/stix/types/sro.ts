/** STIX Relationship Objects (section 5). */
import type { SroBase } from './common.js';

// ---------------------------------------------------------------------------------------------
// STIX Relationship Objects (section 5)
// ---------------------------------------------------------------------------------------------

export interface Relationship extends SroBase {
  type: 'relationship';
  relationship_type: string;
  description?: string;
  source_ref: string;
  target_ref: string;
  start_time?: string;
  stop_time?: string;
}

export interface Sighting extends SroBase {
  type: 'sighting';
  description?: string;
  first_seen?: string;
  last_seen?: string;
  count?: number;
  sighting_of_ref: string;
  observed_data_refs?: string[];
  where_sighted_refs?: string[];
  summary?: boolean;
}
