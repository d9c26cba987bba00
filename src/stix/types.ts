/**
 * STIX 2.1 object model. Every object is a JSON value with at least `type` and `id`; the
 * per-type interfaces narrow what the specification requires of each type. They sit in
 * types/ by family (common, sdo, sro, sco, meta) and are all exported from here.
 */
import type { ExtensionDefinition, LanguageContent, MarkingDefinition } from './types/meta.js';
import type {
  Artifact, AutonomousSystem, Directory, DomainName, EmailAddress, EmailMessage, File, IPv4Address, IPv6Address,
  MacAddress, Mutex, NetworkTraffic, Process, Software, Url, UserAccount, WindowsRegistryKey, X509Certificate,
} from './types/sco.js';
import type {
  AttackPattern, Campaign, CourseOfAction, Grouping, Identity, Incident, Indicator, Infrastructure, IntrusionSet,
  Location, Malware, MalwareAnalysis, Note, ObservedData, Opinion, Report, ThreatActor, Tool, Vulnerability,
} from './types/sdo.js';
import type { Relationship, Sighting } from './types/sro.js';

export * from './types/common.js';
export type * from './types/sdo.js';
export type * from './types/sro.js';
export type * from './types/sco.js';
export type * from './types/meta.js';

// ---------------------------------------------------------------------------------------------
// Unions
// ---------------------------------------------------------------------------------------------

export type StixDomainObject =
  | AttackPattern
  | Campaign
  | CourseOfAction
  | Grouping
  | Identity
  | Incident
  | Indicator
  | Infrastructure
  | IntrusionSet
  | Location
  | Malware
  | MalwareAnalysis
  | Note
  | ObservedData
  | Opinion
  | Report
  | ThreatActor
  | Tool
  | Vulnerability;

export type StixRelationshipObject = Relationship | Sighting;

export type StixCyberObservableObject =
  | Artifact
  | AutonomousSystem
  | Directory
  | DomainName
  | EmailAddress
  | EmailMessage
  | File
  | IPv4Address
  | IPv6Address
  | MacAddress
  | Mutex
  | NetworkTraffic
  | Process
  | Software
  | Url
  | UserAccount
  | WindowsRegistryKey
  | X509Certificate;

export type StixMetaObject = LanguageContent | MarkingDefinition | ExtensionDefinition;

export type StixCoreObject = StixDomainObject | StixRelationshipObject | StixCyberObservableObject;

/** Any object of a type defined by the specification. */
export type KnownStixObject = StixCoreObject | StixMetaObject;
