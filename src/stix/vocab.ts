/**
 * STIX 2.1 vocabularies (spec section 10). Names ending in `-ov` are open: values outside the
 * suggested list are allowed (a validator warns). Names ending in `-enum` are closed: only the
 * listed values are valid.
 */

export interface Vocabulary {
  /** The spec's name, e.g. 'indicator-type-ov'. */
  readonly name: string;
  /** The spec section that defines it, for messages. */
  readonly section: string;
  /** true for enumerations (closed), false for open vocabularies. */
  readonly closed: boolean;
  readonly values: ReadonlySet<string>;
}

function vocab(name: string, section: string, values: readonly string[]): Vocabulary {
  return Object.freeze({ name, section, closed: name.endsWith('-enum'), values: new Set(values) });
}

export const ACCOUNT_TYPE_OV = vocab('account-type-ov', '10.1', [
  'facebook', 'ldap', 'nis', 'openid', 'radius', 'skype', 'tacacs', 'twitter', 'unix', 'windows-local', 'windows-domain',
]);

export const ATTACK_MOTIVATION_OV = vocab('attack-motivation-ov', '10.2', [
  'accidental', 'coercion', 'dominance', 'ideology', 'notoriety', 'organizational-gain', 'personal-gain',
  'personal-satisfaction', 'revenge', 'unpredictable',
]);

export const ATTACK_RESOURCE_LEVEL_OV = vocab('attack-resource-level-ov', '10.3', [
  'individual', 'club', 'contest', 'team', 'organization', 'government',
]);

export const ENCRYPTION_ALGORITHM_ENUM = vocab('encryption-algorithm-enum', '10.4', [
  'AES-256-GCM', 'ChaCha20-Poly1305', 'mime-type-indicated',
]);

export const EXTENSION_TYPE_ENUM = vocab('extension-type-enum', '10.5', [
  'new-sdo', 'new-sco', 'new-sro', 'property-extension', 'toplevel-property-extension',
]);

export const GROUPING_CONTEXT_OV = vocab('grouping-context-ov', '10.6', [
  'suspicious-activity', 'malware-analysis', 'unspecified',
]);

export const HASH_ALGORITHM_OV = vocab('hash-algorithm-ov', '10.7', [
  'MD5', 'SHA-1', 'SHA-256', 'SHA-512', 'SHA3-256', 'SHA3-512', 'SSDEEP', 'TLSH',
]);

export const IDENTITY_CLASS_OV = vocab('identity-class-ov', '10.8', [
  'individual', 'group', 'system', 'organization', 'class', 'unknown',
]);

export const IMPLEMENTATION_LANGUAGE_OV = vocab('implementation-language-ov', '10.9', [
  'applescript', 'bash', 'c', 'c++', 'c#', 'go', 'java', 'javascript', 'lua', 'objective-c', 'perl', 'php',
  'powershell', 'python', 'ruby', 'rust', 'scala', 'swift', 'typescript', 'visual-basic', 'x86-32', 'x86-64',
]);

export const INDICATOR_TYPE_OV = vocab('indicator-type-ov', '10.10', [
  'anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown',
]);

export const INDUSTRY_SECTOR_OV = vocab('industry-sector-ov', '10.11', [
  'agriculture', 'aerospace', 'automotive', 'chemical', 'commercial', 'communications', 'construction', 'defense',
  'education', 'energy', 'entertainment', 'financial-services', 'government', 'emergency-services',
  'government-local', 'government-national', 'government-public-services', 'government-regional', 'healthcare',
  'hospitality-leisure', 'infrastructure', 'dams', 'nuclear', 'water', 'insurance', 'legal', 'manufacturing',
  'mining', 'non-profit', 'pharmaceuticals', 'retail', 'technology', 'telecommunications', 'transportation',
  'utilities',
]);

export const INFRASTRUCTURE_TYPE_OV = vocab('infrastructure-type-ov', '10.12', [
  'amplification', 'anonymization', 'botnet', 'command-and-control', 'control-system', 'exfiltration', 'firewall',
  'hosting-malware', 'hosting-target-lists', 'phishing', 'reconnaissance', 'routers-switches', 'staging',
  'workstation', 'unknown',
]);

export const MALWARE_CAPABILITIES_OV = vocab('malware-capabilities-ov', '10.13', [
  'accesses-remote-machines', 'anti-debugging', 'anti-disassembly', 'anti-emulation', 'anti-memory-forensics',
  'anti-sandbox', 'anti-vm', 'captures-input-peripherals', 'captures-output-peripherals',
  'captures-system-state-data', 'cleans-traces-of-infection', 'commits-fraud', 'communicates-with-c2',
  'compromises-data-availability', 'compromises-data-integrity', 'compromises-system-availability',
  'controls-local-machine', 'degrades-security-software', 'degrades-system-updates', 'determines-c2-server',
  'emails-spam', 'escalates-privileges', 'evades-av', 'exfiltrates-data', 'fingerprints-host', 'hides-artifacts',
  'hides-executing-code', 'infects-files', 'infects-remote-machines', 'installs-other-components',
  'persists-after-system-reboot', 'prevents-artifact-access', 'prevents-artifact-deletion',
  'probes-network-environment', 'self-modifies', 'steals-authentication-credentials',
  'violates-system-operational-integrity',
]);

export const MALWARE_RESULT_OV = vocab('malware-result-ov', '10.14', ['malicious', 'suspicious', 'benign', 'unknown']);

export const MALWARE_TYPE_OV = vocab('malware-type-ov', '10.15', [
  'adware', 'backdoor', 'bot', 'bootkit', 'ddos', 'downloader', 'dropper', 'exploit-kit', 'keylogger', 'ransomware',
  'remote-access-trojan', 'resource-exploitation', 'rogue-security-software', 'rootkit', 'screen-capture',
  'spyware', 'trojan', 'unknown', 'virus', 'webshell', 'wiper', 'worm',
]);

export const NETWORK_SOCKET_ADDRESS_FAMILY_ENUM = vocab('network-socket-address-family-enum', '10.16', [
  'AF_UNSPEC', 'AF_INET', 'AF_IPX', 'AF_APPLETALK', 'AF_NETBIOS', 'AF_INET6', 'AF_IRDA', 'AF_BTH',
]);

// The summary row of 10.17 misprints SOCK_DGRAM; the value table lists it correctly.
export const NETWORK_SOCKET_TYPE_ENUM = vocab('network-socket-type-enum', '10.17', [
  'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET',
]);

export const OPINION_ENUM = vocab('opinion-enum', '10.18', [
  'strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree',
]);

export const PATTERN_TYPE_OV = vocab('pattern-type-ov', '10.19', ['stix', 'pcre', 'sigma', 'snort', 'suricata', 'yara']);

export const PROCESSOR_ARCHITECTURE_OV = vocab('processor-architecture-ov', '10.20', [
  'alpha', 'arm', 'ia-64', 'mips', 'powerpc', 'sparc', 'x86', 'x86-64',
]);

export const REGION_OV = vocab('region-ov', '10.21', [
  'africa', 'eastern-africa', 'middle-africa', 'northern-africa', 'southern-africa', 'western-africa',
  'americas', 'caribbean', 'central-america', 'latin-america-caribbean', 'northern-america', 'south-america',
  'asia', 'central-asia', 'eastern-asia', 'southern-asia', 'south-eastern-asia', 'western-asia',
  'europe', 'eastern-europe', 'northern-europe', 'southern-europe', 'western-europe',
  'oceania', 'antarctica', 'australia-new-zealand', 'melanesia', 'micronesia', 'polynesia',
]);

export const REPORT_TYPE_OV = vocab('report-type-ov', '10.22', [
  'attack-pattern', 'campaign', 'identity', 'incident', 'indicator', 'intrusion-set', 'malware', 'observed-data',
  'threat-actor', 'threat-report', 'tool', 'vulnerability',
]);

export const THREAT_ACTOR_TYPE_OV = vocab('threat-actor-type-ov', '10.23', [
  'activist', 'competitor', 'crime-syndicate', 'criminal', 'hacker', 'insider-accidental', 'insider-disgruntled',
  'nation-state', 'private-sector', 'sensationalist', 'spy', 'terrorist', 'unknown',
]);

export const THREAT_ACTOR_ROLE_OV = vocab('threat-actor-role-ov', '10.24', [
  'agent', 'director', 'independent', 'infrastructure-architect', 'infrastructure-operator', 'malware-author',
  'sponsor',
]);

export const THREAT_ACTOR_SOPHISTICATION_OV = vocab('threat-actor-sophistication-ov', '10.25', [
  'none', 'minimal', 'intermediate', 'advanced', 'expert', 'innovator', 'strategic',
]);

export const TOOL_TYPE_OV = vocab('tool-type-ov', '10.26', [
  'denial-of-service', 'exploitation', 'information-gathering', 'network-capture', 'credential-exploitation',
  'remote-access', 'vulnerability-scanning', 'unknown',
]);

export const WINDOWS_INTEGRITY_LEVEL_ENUM = vocab('windows-integrity-level-enum', '10.27', [
  'low', 'medium', 'high', 'system',
]);

export const WINDOWS_PEBINARY_TYPE_OV = vocab('windows-pebinary-type-ov', '10.28', ['dll', 'exe', 'sys']);

export const WINDOWS_REGISTRY_DATATYPE_ENUM = vocab('windows-registry-datatype-enum', '10.29', [
  'REG_NONE', 'REG_SZ', 'REG_EXPAND_SZ', 'REG_BINARY', 'REG_DWORD', 'REG_DWORD_BIG_ENDIAN', 'REG_DWORD_LITTLE_ENDIAN',
  'REG_LINK', 'REG_MULTI_SZ', 'REG_RESOURCE_LIST', 'REG_FULL_RESOURCE_DESCRIPTION', 'REG_RESOURCE_REQUIREMENTS_LIST',
  'REG_QWORD', 'REG_INVALID_TYPE',
]);

export const WINDOWS_SERVICE_START_TYPE_ENUM = vocab('windows-service-start-type-enum', '10.30', [
  'SERVICE_AUTO_START', 'SERVICE_BOOT_START', 'SERVICE_DEMAND_START', 'SERVICE_DISABLED', 'SERVICE_SYSTEM_ALERT',
]);

export const WINDOWS_SERVICE_TYPE_ENUM = vocab('windows-service-type-enum', '10.31', [
  'SERVICE_KERNEL_DRIVER', 'SERVICE_FILE_SYSTEM_DRIVER', 'SERVICE_WIN32_OWN_PROCESS', 'SERVICE_WIN32_SHARE_PROCESS',
]);

export const WINDOWS_SERVICE_STATUS_ENUM = vocab('windows-service-status-enum', '10.32', [
  'SERVICE_CONTINUE_PENDING', 'SERVICE_PAUSE_PENDING', 'SERVICE_PAUSED', 'SERVICE_RUNNING', 'SERVICE_START_PENDING',
  'SERVICE_STOP_PENDING', 'SERVICE_STOPPED',
]);

/** Every vocabulary and enumeration of section 10, by name. */
export const VOCABULARIES: ReadonlyMap<string, Vocabulary> = new Map(
  [
    ACCOUNT_TYPE_OV, ATTACK_MOTIVATION_OV, ATTACK_RESOURCE_LEVEL_OV, ENCRYPTION_ALGORITHM_ENUM, EXTENSION_TYPE_ENUM,
    GROUPING_CONTEXT_OV, HASH_ALGORITHM_OV, IDENTITY_CLASS_OV, IMPLEMENTATION_LANGUAGE_OV, INDICATOR_TYPE_OV,
    INDUSTRY_SECTOR_OV, INFRASTRUCTURE_TYPE_OV, MALWARE_CAPABILITIES_OV, MALWARE_RESULT_OV, MALWARE_TYPE_OV,
    NETWORK_SOCKET_ADDRESS_FAMILY_ENUM, NETWORK_SOCKET_TYPE_ENUM, OPINION_ENUM, PATTERN_TYPE_OV,
    PROCESSOR_ARCHITECTURE_OV, REGION_OV, REPORT_TYPE_OV, THREAT_ACTOR_TYPE_OV, THREAT_ACTOR_ROLE_OV,
    THREAT_ACTOR_SOPHISTICATION_OV, TOOL_TYPE_OV, WINDOWS_INTEGRITY_LEVEL_ENUM, WINDOWS_PEBINARY_TYPE_OV,
    WINDOWS_REGISTRY_DATATYPE_ENUM, WINDOWS_SERVICE_START_TYPE_ENUM, WINDOWS_SERVICE_TYPE_ENUM,
    WINDOWS_SERVICE_STATUS_ENUM,
  ].map((v) => [v.name, v] as const),
);

// ---------------------------------------------------------------------------------------------
// Hash value formats (10.7: "The corresponding hash string for this value MUST be a valid ...").
// ---------------------------------------------------------------------------------------------

export const HASH_VALUE_FORMATS: ReadonlyMap<string, { readonly pattern: RegExp; readonly describe: string }> = new Map([
  ['MD5', { pattern: /^[0-9a-fA-F]{32}$/, describe: '32 hexadecimal digits' }],
  ['SHA-1', { pattern: /^[0-9a-fA-F]{40}$/, describe: '40 hexadecimal digits' }],
  ['SHA-256', { pattern: /^[0-9a-fA-F]{64}$/, describe: '64 hexadecimal digits' }],
  ['SHA-512', { pattern: /^[0-9a-fA-F]{128}$/, describe: '128 hexadecimal digits' }],
  ['SHA3-256', { pattern: /^[0-9a-fA-F]{64}$/, describe: '64 hexadecimal digits' }],
  ['SHA3-512', { pattern: /^[0-9a-fA-F]{128}$/, describe: '128 hexadecimal digits' }],
  ['SSDEEP', { pattern: /^[0-9]+:[A-Za-z0-9+/]+:[A-Za-z0-9+/]+(?:,.*)?$/, describe: 'a piecewise hash blocksize:hash:hash' }],
  ['TLSH', { pattern: /^(?:T1)?[0-9a-fA-F]{70}$/, describe: 'a 35-byte TLSH digest (70 hexadecimal digits, optionally prefixed T1)' }],
]);

/**
 * Spellings seen in the wild for the vocabulary's hash names, keyed by the name upper-cased with
 * '-' and '_' removed ('sha256' -> 'SHA-256'), to suggest the exact vocabulary name.
 */
export const HASH_NAME_BY_NORMALISED: ReadonlyMap<string, string> = new Map([
  ['MD5', 'MD5'],
  ['SHA1', 'SHA-1'],
  ['SHA256', 'SHA-256'],
  ['SHA512', 'SHA-512'],
  ['SHA3256', 'SHA3-256'],
  ['SHA3512', 'SHA3-512'],
  ['SSDEEP', 'SSDEEP'],
  ['TLSH', 'TLSH'],
]);

/** Order of preference for the single hash that contributes to a deterministic SCO id. */
export const ID_HASH_PREFERENCE = ['MD5', 'SHA-1', 'SHA-256', 'SHA-512'] as const;

// ---------------------------------------------------------------------------------------------
// Marking definitions
// ---------------------------------------------------------------------------------------------

/** The only TLP 1.0 marking definitions permitted by 7.2.1.4, id to TLP level. */
export const TLP_V1_MARKING_IDS: ReadonlyMap<string, string> = new Map([
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'white'],
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
]);

/** The OASIS common-objects TLP 2.0 extension (not part of the 2.1 text) and its markings. */
export const TLP_V2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

export const TLP_V2_MARKING_IDS: ReadonlyMap<string, string> = new Map([
  ['marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', 'clear'],
  ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'green'],
  ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'amber'],
  ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 'amber+strict'],
  ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', 'red'],
]);

export const TLP_V2_LEVELS: ReadonlySet<string> = new Set(['clear', 'green', 'amber', 'amber+strict', 'red']);

/** Property names reserved across all STIX Objects (3.8). */
export const RESERVED_PROPERTY_NAMES: ReadonlySet<string> = new Set(['severity', 'username', 'phone_number', 'action']);
