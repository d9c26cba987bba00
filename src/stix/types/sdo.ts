/** STIX Domain Objects (section 4). */
import type { KillChainPhase, SdoBase } from './common.js';

// ---------------------------------------------------------------------------------------------
// STIX Domain Objects (section 4)
// ---------------------------------------------------------------------------------------------

export interface AttackPattern extends SdoBase {
  type: 'attack-pattern';
  name: string;
  description?: string;
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
}

export interface Campaign extends SdoBase {
  type: 'campaign';
  name: string;
  description?: string;
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  objective?: string;
}

export interface CourseOfAction extends SdoBase {
  type: 'course-of-action';
  name: string;
  description?: string;
}

export interface Grouping extends SdoBase {
  type: 'grouping';
  name?: string;
  description?: string;
  context: string;
  object_refs: string[];
}

export interface Identity extends SdoBase {
  type: 'identity';
  name: string;
  description?: string;
  roles?: string[];
  identity_class?: string;
  sectors?: string[];
  contact_information?: string;
}

export interface Incident extends SdoBase {
  type: 'incident';
  name: string;
  description?: string;
}

export interface Indicator extends SdoBase {
  type: 'indicator';
  name?: string;
  description?: string;
  indicator_types?: string[];
  pattern: string;
  pattern_type: string;
  pattern_version?: string;
  valid_from: string;
  valid_until?: string;
  kill_chain_phases?: KillChainPhase[];
}

export interface Infrastructure extends SdoBase {
  type: 'infrastructure';
  name: string;
  description?: string;
  infrastructure_types?: string[];
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  first_seen?: string;
  last_seen?: string;
}

export interface IntrusionSet extends SdoBase {
  type: 'intrusion-set';
  name: string;
  description?: string;
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  goals?: string[];
  resource_level?: string;
  primary_motivation?: string;
  secondary_motivations?: string[];
}

export interface Location extends SdoBase {
  type: 'location';
  name?: string;
  description?: string;
  latitude?: number;
  longitude?: number;
  precision?: number;
  region?: string;
  country?: string;
  administrative_area?: string;
  city?: string;
  street_address?: string;
  postal_code?: string;
}

export interface Malware extends SdoBase {
  type: 'malware';
  name?: string;
  description?: string;
  malware_types?: string[];
  is_family: boolean;
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  first_seen?: string;
  last_seen?: string;
  operating_system_refs?: string[];
  architecture_execution_envs?: string[];
  implementation_languages?: string[];
  capabilities?: string[];
  sample_refs?: string[];
}

export interface MalwareAnalysis extends SdoBase {
  type: 'malware-analysis';
  product: string;
  version?: string;
  host_vm_ref?: string;
  operating_system_ref?: string;
  installed_software_refs?: string[];
  configuration_version?: string;
  modules?: string[];
  analysis_engine_version?: string;
  analysis_definition_version?: string;
  submitted?: string;
  analysis_started?: string;
  analysis_ended?: string;
  result_name?: string;
  result?: string;
  analysis_sco_refs?: string[];
  sample_ref?: string;
}

export interface Note extends SdoBase {
  type: 'note';
  abstract?: string;
  content: string;
  authors?: string[];
  object_refs: string[];
}

/** Deprecated observable container: local keys ('0', '1', ...) to SCOs without ids. */
export type ObservableContainer = Record<string, { type: string; [property: string]: unknown }>;

export interface ObservedData extends SdoBase {
  type: 'observed-data';
  first_observed: string;
  last_observed: string;
  number_observed: number;
  objects?: ObservableContainer;
  object_refs?: string[];
}

export interface Opinion extends SdoBase {
  type: 'opinion';
  explanation?: string;
  authors?: string[];
  opinion: 'strongly-disagree' | 'disagree' | 'neutral' | 'agree' | 'strongly-agree';
  object_refs: string[];
}

export interface Report extends SdoBase {
  type: 'report';
  name: string;
  description?: string;
  report_types?: string[];
  published: string;
  object_refs: string[];
}

export interface ThreatActor extends SdoBase {
  type: 'threat-actor';
  name: string;
  description?: string;
  threat_actor_types?: string[];
  aliases?: string[];
  first_seen?: string;
  last_seen?: string;
  roles?: string[];
  goals?: string[];
  sophistication?: string;
  resource_level?: string;
  primary_motivation?: string;
  secondary_motivations?: string[];
  personal_motivations?: string[];
}

export interface Tool extends SdoBase {
  type: 'tool';
  name: string;
  description?: string;
  tool_types?: string[];
  aliases?: string[];
  kill_chain_phases?: KillChainPhase[];
  tool_version?: string;
}

export interface Vulnerability extends SdoBase {
  type: 'vulnerability';
  name: string;
  description?: string;
}
