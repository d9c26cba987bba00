/**
 * Typed node configuration. Each setting has a name, a description, a default and a parser
 * that either returns the value or says what is wrong. Values come from the environment
 * (SHIELDWALL_*) and, when SHIELDWALL_CONFIG names a JSON file, from that file (environment
 * wins). The result is validated once at start and frozen.
 */
import { classificationLevel, DEFAULT_CLASSIFICATIONS } from '../policy/markings.js';
import { readFileSync } from 'node:fs';
import { parseWeights, type ScoringWeights } from '../modules/incidents/incidents.scoring.js';
import { DEFAULT_THRESHOLDS, parseThresholds, type Thresholds } from '../modules/assessment/assessment.model.js';
import { DEFAULT_APPROVAL_RULES, DEFAULT_TARGETS, parseApprovalRules, parseTargets, type ApprovalRules, type ClockTargets } from '../modules/assistance/assistance.model.js';
import { parseWebhookAllow } from '../modules/notify/notify.destination.js';
import path from 'node:path';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly demo: boolean;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  readonly objectsPerRequest: number;
  /** Largest JSON body of the routes that do not set their own (the bulk routes do). */
  readonly jsonBodyLimitBytes: number;
  readonly maxObjectBytes: number;
  /** Deepest nesting of objects and arrays accepted in one STIX object. */
  readonly maxObjectDepth: number;
  /** First and longest wait (ms) between attempts to reach a PostgreSQL store that was lost. */
  readonly storeReconnectMinMs: number;
  readonly storeReconnectMaxMs: number;
  readonly ingestBatchSize: number;
  readonly bootstrapToken: string | undefined;
  /** Releasability given to objects that carry no handling marking (TLP:CLEAR ones excepted). */
  readonly defaultReleasability: readonly string[];
  /** Reads of objects classified at or above this level (index) are audited. */
  readonly auditReadLevel: number;
  /** PEM certificate and key files: the node serves HTTPS when both are set. */
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** PEM file of the CA(s) whose client certificates authenticate users and peer nodes. */
  readonly tlsClientCa: string | undefined;
  readonly shutdownTimeoutMs: number;
  /** Sync with peer nodes that have a TAXII URL (pull on their interval, push on new intelligence). */
  readonly federation: boolean;
  /** File holding the key that seals peer credentials at rest (made on first use). */
  readonly secretKeyFile: string;
  /** How often the detection index reads indicators other processes stored (0: never). */
  readonly detectFollowMs: number;
  /** Users one member may have (the node's own users, of no member, are not counted). */
  readonly usersPerMember: number;
  /** Warning lists one member (or the node) may own, and entries in all of them. */
  readonly warningListsPerMember: number;
  readonly warningListEntriesPerMember: number;
  readonly warningListBytesPerMember: number;
  readonly warningListUploadGraceMs: number;
  readonly warningListUploadMinRate: number;
  /** Entries written per transaction by a large warning-list upload or removal. */
  readonly warningListWriteSlice: number;
  /** Rows one statement of a listing or a count examines at most (intel.listing.ts). */
  readonly scanWindowRows: number;
  /** Versions one object may have: a member's or peer's write past it is refused (intel.decide.ts). */
  readonly versionsPerObject: number;
  /** Marking-definitions one member (a peer: per member it stands for) may have defined. */
  readonly definitionsPerMember: number;
  /** Bulk matches (POST /api/v1/match) run at once, and waiting; past that, refused with 503. */
  readonly detectMatchRunning: number;
  readonly detectMatchQueued: number;
  readonly detectMatchQueuedPerMember: number;
  /** File of the node's audit key: MACs of audit entries, signatures of checkpoints (made on first use). */
  readonly auditKeyFile: string;
  /** Append-only file of signed checkpoints of the audit log's head. */
  readonly auditCheckpointFile: string;
  /** Least time between two checkpoints (ms); 0 writes one after every commit. */
  readonly auditCheckpointMs: number;
  /** Where each checkpoint is also sent: udp://host:port or tcp://host:port (syslog), file:/path, exec:command. */
  readonly auditCheckpointExport: string | undefined;
  /** Refused requests are written once per source and action per this interval (ms). */
  readonly auditRefusalIntervalMs: number;
  /** Sources whose refusals are counted apart; beyond it they share one overflow record. */
  readonly auditRefusalSources: number;
  /** Unauthenticated requests one address may make per window (0: no limit). */
  readonly rateLimitUnauthenticated: number;
  readonly rateLimitWindowMs: number;
  /** Requests the users of one member (or one peer) may have in progress at once (0: no limit). */
  readonly requestsInFlightPerMember: number;
  /** A connection that sends nothing and takes nothing of its answer for this long (ms) is closed. */
  readonly httpIdleMs: number;
  /** SMTP relay of incident notifications by e-mail: smtp://host:port or smtps://host:port (user:password@ optional); undefined: no e-mail. */
  readonly smtpUrl: string | undefined;
  /** Sender address of notification mails. */
  readonly smtpFrom: string | undefined;
  /** Internal receivers webhooks may reach: CIDR ranges and host names (SHIELDWALL_WEBHOOK_ALLOW); empty: public addresses only. */
  readonly webhookAllow: readonly string[];
  /** Highest classification (index) whose content notifications by webhook and e-mail carry; above it, a reference only. */
  readonly notifyContentLevel: number;
  /** Weights of the incident severity categories (SHIELDWALL_INCIDENT_WEIGHTS); undefined: the defaults (docs/INCIDENT-SCORING.md). */
  readonly incidentWeights: ScoringWeights | undefined;
  /** Distinct coordinators who approve a request for assistance, by mode (SHIELDWALL_ASSISTANCE_APPROVALS; docs/ASSISTANCE.md). */
  readonly assistanceApprovals: ApprovalRules;
  /** Response-clock targets per urgency and milestone, ms (SHIELDWALL_ASSISTANCE_TARGETS). */
  readonly assistanceTargets: ClockTargets;
  /** Members whose coordinators approve requests for assistance; empty: the node's international organisations (SHIELDWALL_ASSISTANCE_COORDINATION). */
  readonly assistanceCoordination: readonly string[];
  /** Cumulative-assessment scores that raise the escalations (SHIELDWALL_ASSESSMENT_THRESHOLDS; docs/ASSESSMENT.md). */
  readonly assessmentThresholds: Thresholds;
}

type Parser<T> = (raw: string) => { value: T } | { error: string };

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  description: string;
  default: (partial: Partial<Config>) => Config[K];
  parse: Parser<Config[K]>;
}

const integer = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^\d+$/.test(raw.trim())) return { error: `expected a whole number from ${min} to ${max}, got '${raw}'` };
  const value = Number(raw);
  if (value < min || value > max) return { error: `expected a whole number from ${min} to ${max}, got ${value}` };
  return { value };
};

const bytes = (min: number, max: number): Parser<number> => (raw) => {
  const match = /^\s*(\d+)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?\s*$/i.exec(raw);
  if (!match) return { error: `expected a size such as 1048576, 512kb or 64mb, got '${raw}'` };
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1;
  const value = Number(match[1]) * factor;
  if (value < min || value > max) return { error: `expected a size from ${min} to ${max} bytes, got ${value}` };
  return { value };
};

const readableFile = (what: string): Parser<string | undefined> => (raw) => {
  const file = path.resolve(raw.trim());
  try {
    const text = readFileSync(file, 'utf8');
    return text.includes('-----BEGIN') ? { value: file } : { error: `${file} is not a PEM ${what} (no -----BEGIN line)` };
  } catch (error) {
    return { error: `cannot read the ${what} file ${file}: ${(error as Error).message}` };
  }
};

const boolean: Parser<boolean> = (raw) => {
  const normalised = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return { value: true };
  if (['0', 'false', 'no', 'off'].includes(normalised)) return { value: false };
  return { error: `expected 0 or 1 (or true/false), got '${raw}'` };
};

const nonEmpty: Parser<string> = (raw) => (raw.trim() === '' ? { error: 'must not be empty' } : { value: raw.trim() });

const checkpointExport: Parser<string | undefined> = (raw) => {
  const value = raw.trim();
  if (/^(udp|tcp):\/\/[^/:]+:\d{1,5}$/.test(value) || /^(udp|tcp):\/\/\[[0-9a-f:.]+\]:\d{1,5}$/i.test(value)) return { value };
  if (/^file:.+/.test(value) || /^exec:.+/.test(value)) return { value };
  return { error: `expected udp://host:port or tcp://host:port (syslog), file:/path/to/file or exec:command, got '${value}'` };
};

const smtpUrl: Parser<string | undefined> = (raw) => {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: `expected smtp://host:port or smtps://host:port, got '${value.replace(/\/\/[^@/]*@/, '//***@')}'` };
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return { error: `expected smtp://host:port or smtps://host:port (smtps: TLS from the first byte), got the scheme '${url.protocol}'` };
  if (url.hostname === '') return { error: 'the SMTP URL names no host: smtp://host:port' };
  return { value };
};

/** A bare e-mail address, or 'Name <address>'. */
const mailAddress: Parser<string | undefined> = (raw) => {
  const value = raw.trim();
  const address = /<([^<>]+)>$/.exec(value)?.[1] ?? value;
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) && !/[\r\n]/.test(value) ? { value } : { error: `expected an e-mail address such as shieldwall@cert.example.org or 'Shieldwall <shieldwall@cert.example.org>', got '${value}'` };
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const databaseUrl: Parser<string> = (raw) => {
  const value = raw.trim();
  if (/^postgres(ql)?:\/\//.test(value) || /^sqlite:/.test(value)) return { value };
  return { error: `expected postgres://user@host:port/database or sqlite:/path/to/file.db, got '${value}'` };
};

const SETTINGS: { [K in keyof Config]: Setting<K> } = {
  host: { key: 'host', env: 'SHIELDWALL_HOST', description: 'Address the HTTP server listens on.', default: () => '127.0.0.1', parse: nonEmpty },
  port: { key: 'port', env: 'SHIELDWALL_PORT', description: 'TCP port of the HTTP server (0 picks a free port).', default: () => 8080, parse: integer(0, 65535) },
  dataDir: {
    key: 'dataDir',
    env: 'SHIELDWALL_DATA_DIR',
    description: 'Directory for the embedded SQLite store and other node files.',
    default: () => path.resolve('data'),
    parse: (raw) => (raw.trim() === '' ? { error: 'must not be empty' } : { value: path.resolve(raw.trim()) }),
  },
  databaseUrl: {
    key: 'databaseUrl',
    env: 'SHIELDWALL_DATABASE_URL',
    description: 'Store: sqlite:/path/file.db (default: sqlite file in the data directory) or postgres://... for PostgreSQL.',
    default: (partial) => `sqlite:${path.join(partial.dataDir ?? path.resolve('data'), 'shieldwall.db')}`,
    parse: databaseUrl,
  },
  demo: {
    key: 'demo',
    env: 'SHIELDWALL_DEMO',
    description: 'Seed the synthetic demo alliance when the store is empty at start (1) or never (0).',
    default: () => true,
    parse: boolean,
  },
  logLevel: {
    key: 'logLevel',
    env: 'SHIELDWALL_LOG_LEVEL',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    default: () => 'info',
    parse: (raw) => (LOG_LEVELS.includes(raw.trim()) ? { value: raw.trim() } : { error: `expected one of ${LOG_LEVELS.join(', ')}, got '${raw}'` }),
  },
  bodyLimitBytes: {
    key: 'bodyLimitBytes',
    env: 'SHIELDWALL_BODY_LIMIT',
    description: 'Largest request body accepted by POST /api/v1/bundles; larger uploads get 413 (use the CLI or TAXII).',
    default: () => 64 * 1024 * 1024,
    parse: bytes(1024, 4 * 1024 ** 3),
  },
  objectsPerRequest: {
    key: 'objectsPerRequest',
    env: 'SHIELDWALL_OBJECTS_PER_REQUEST',
    description: 'Most objects (valid or not) one POST /api/v1/bundles or TAXII Add Objects request may hold: the body limit alone lets a request hold 22 million objects of three bytes ({}), each answered with an outcome. The objects before the bound are processed and stay accepted; the request gets 413. shieldwall ingest --url sends at most --chunk-objects (100,000 by default) a request.',
    default: () => 100_000,
    parse: integer(1, 100_000_000),
  },
  jsonBodyLimitBytes: {
    key: 'jsonBodyLimitBytes',
    env: 'SHIELDWALL_JSON_BODY_LIMIT',
    description: 'Largest request body of the routes that take a JSON document (incidents, assistance, decisions, the directory...); larger ones get 413. A JSON body is read whole and parsed on the thread that answers every request: about 0.8 s for 25 MiB. The bulk routes have limits of their own (bundles and TAXII: SHIELDWALL_BODY_LIMIT; bulk lookup 8 MiB; warning-list entries 256 MiB, read a slice at a time; bulk match: none, it is read as a stream).',
    default: () => 1024 * 1024,
    parse: bytes(1024, 64 * 1024 ** 2),
  },
  maxObjectBytes: {
    key: 'maxObjectBytes',
    env: 'SHIELDWALL_MAX_OBJECT_BYTES',
    description: 'Largest single STIX object accepted; larger objects are rejected and the rest of the bundle goes on.',
    default: () => 8 * 1024 * 1024,
    parse: bytes(1024, 1024 ** 3),
  },
  maxObjectDepth: {
    key: 'maxObjectDepth',
    env: 'SHIELDWALL_MAX_OBJECT_DEPTH',
    description: 'Deepest nesting of JSON objects and arrays accepted in one STIX object (the object itself is depth 1); deeper objects are rejected with the path where the limit was passed, and the rest of the bundle goes on.',
    default: () => 64,
    parse: integer(2, 10_000),
  },
  usersPerMember: {
    key: 'usersPerMember',
    env: 'SHIELDWALL_USERS_PER_MEMBER',
    description: "Most users one member has; creating one more is refused with 409 (the node's own users, of no member, are not counted).",
    default: () => 5_000,
    parse: integer(1, 1_000_000),
  },
  warningListsPerMember: {
    key: 'warningListsPerMember',
    env: 'SHIELDWALL_WARNINGLISTS_PER_MEMBER',
    description: 'Most warning lists one member (or the node) owns; creating one more is refused with 409.',
    default: () => 100,
    parse: integer(1, 100_000),
  },
  warningListEntriesPerMember: {
    key: 'warningListEntriesPerMember',
    env: 'SHIELDWALL_WARNINGLIST_ENTRIES_PER_MEMBER',
    description: "Most entries in all the warning lists of one member (or the node): each member's lists are compiled and held in memory together; an upload past it is refused with 400 and nothing changes.",
    default: () => 4_000_000,
    parse: integer(1, 100_000_000),
  },
  warningListBytesPerMember: {
    key: 'warningListBytesPerMember',
    env: 'SHIELDWALL_WARNINGLIST_BYTES_PER_MEMBER',
    description: "Most bytes (UTF-8, of values and comments) in all the warning lists of one member (or the node), beside the count of entries: entries may be up to 8,192 characters long, so the count alone does not bound a member's compiled lists; an upload past it is refused with 400 and nothing changes.",
    default: () => 256 * 1024 ** 2,
    parse: bytes(1024, 1024 ** 4),
  },
  warningListUploadGraceMs: {
    key: 'warningListUploadGraceMs',
    env: 'SHIELDWALL_WARNINGLIST_UPLOAD_GRACE_MS',
    description: "How long a warning-list upload's body may take before it must keep SHIELDWALL_WARNINGLIST_UPLOAD_MIN_RATE on average (ms).",
    default: () => 30_000,
    parse: integer(100, 3_600_000),
  },
  warningListUploadMinRate: {
    key: 'warningListUploadMinRate',
    env: 'SHIELDWALL_WARNINGLIST_UPLOAD_MIN_RATE',
    description: "Bytes a second a warning-list upload's body must arrive at on average once its grace is over, or it is refused with 408 and its connection closed: an upload holds one of the node's two upload places while its body is read, and a sender trickling a byte now and then held one for as long as it liked.",
    default: () => 128 * 1024,
    parse: bytes(1, 1024 ** 3),
  },
  warningListWriteSlice: {
    key: 'warningListWriteSlice',
    env: 'SHIELDWALL_WARNINGLIST_WRITE_SLICE',
    description: 'Entries a large warning-list upload (or the removal of a large list) writes per transaction: other writes get their turn between slices, and the list changes at once when the last is written.',
    default: () => 20_000,
    parse: integer(100, 10_000_000),
  },
  scanWindowRows: {
    key: 'scanWindowRows',
    env: 'SHIELDWALL_SCAN_WINDOW_ROWS',
    description: 'Rows one statement of an object listing or count examines at most, in the order of the index it walks: a search that matches little reads on window after window, and other requests are answered between two (on SQLite a statement holds the node until it ends).',
    default: () => 20_000,
    parse: integer(10, 10_000_000),
  },
  versionsPerObject: {
    key: 'versionsPerObject',
    env: 'SHIELDWALL_VERSIONS_PER_OBJECT',
    description: 'Versions one object may have: a member or peer writing one more gets it refused (too-many-versions). Every write reads the stored versions of the objects it touches, and an object page or TAXII read of the versions orders them: without a bound, one object of 100,000 versions held each of its writes 1.5 s.',
    default: () => 10_000,
    parse: integer(10, 100_000_000),
  },
  definitionsPerMember: {
    key: 'definitionsPerMember',
    env: 'SHIELDWALL_DEFINITIONS_PER_MEMBER',
    description: 'Marking-definitions one member may have defined (a peer: this many per member it stands for); one more is refused (too-many-definitions). Every process holds the node\'s definitions in memory and reads them all again after a failed write (0: no bound).',
    default: () => 5_000,
    parse: integer(0, 100_000_000),
  },
  storeReconnectMinMs: {
    key: 'storeReconnectMinMs',
    env: 'SHIELDWALL_STORE_RECONNECT_MIN_MS',
    description: 'After a PostgreSQL connection is lost, wait this long (ms) before the first attempt to reach the store again; the wait doubles after each failed attempt.',
    default: () => 250,
    parse: integer(1, 600_000),
  },
  storeReconnectMaxMs: {
    key: 'storeReconnectMaxMs',
    env: 'SHIELDWALL_STORE_RECONNECT_MAX_MS',
    description: 'Longest wait (ms) between two attempts to reach a lost PostgreSQL store.',
    default: () => 30_000,
    parse: integer(1, 3_600_000),
  },
  ingestBatchSize: {
    key: 'ingestBatchSize',
    env: 'SHIELDWALL_INGEST_BATCH',
    description: 'Objects written per ingest batch (a SQLite transaction holds up to four batches handed over back to back).',
    default: () => 10000,
    parse: integer(1, 50000),
  },
  bootstrapToken: {
    key: 'bootstrapToken',
    env: 'SHIELDWALL_BOOTSTRAP_TOKEN',
    description: 'At start, create a node-admin API token with this value if none has it (at least 32 characters).',
    default: () => undefined,
    parse: (raw) => (raw.length < 32 ? { error: `must be at least 32 characters long (got ${raw.length}); generate one with: openssl rand -hex 32` } : { value: raw }),
  },
  defaultReleasability: {
    key: 'defaultReleasability',
    env: 'SHIELDWALL_DEFAULT_RELEASABILITY',
    description: 'Comma-separated member codes and groups that objects without a handling marking are releasable to (TLP:CLEAR objects go to every user).',
    default: () => ['ALLIANCE'],
    parse: (raw) => {
      const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
      const bad = entries.find((e) => !/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(e));
      if (entries.length === 0) return { error: 'expected at least one member code or group, e.g. ALLIANCE' };
      return bad ? { error: `'${bad}' is not a member code or group name (upper-case letters, digits, '-' and '_')` } : { value: entries };
    },
  },
  auditReadLevel: {
    key: 'auditReadLevel',
    env: 'SHIELDWALL_AUDIT_READ_LEVEL',
    description: `Classification from which every read of an object is written to the audit log: ${DEFAULT_CLASSIFICATIONS.join(', ')}.`,
    default: () => classificationLevel('CONFIDENTIAL')!,
    parse: (raw) => {
      const level = classificationLevel(raw);
      return level !== undefined ? { value: level } : { error: `expected one of ${DEFAULT_CLASSIFICATIONS.join(', ')}, got '${raw}'` };
    },
  },
  tlsCert: {
    key: 'tlsCert',
    env: 'SHIELDWALL_TLS_CERT',
    description: 'PEM certificate file (chain) of the node: with SHIELDWALL_TLS_KEY the node serves HTTPS. `shieldwall pki` makes one for trials.',
    default: () => undefined,
    parse: readableFile('certificate'),
  },
  tlsKey: {
    key: 'tlsKey',
    env: 'SHIELDWALL_TLS_KEY',
    description: 'PEM private key file of the node certificate.',
    default: () => undefined,
    parse: readableFile('private key'),
  },
  tlsClientCa: {
    key: 'tlsClientCa',
    env: 'SHIELDWALL_TLS_CLIENT_CA',
    description: 'PEM file of the CA(s) whose client certificates are accepted (mutual TLS): the certificate common name is the user name.',
    default: () => undefined,
    parse: readableFile('CA certificate'),
  },
  shutdownTimeoutMs: {
    key: 'shutdownTimeoutMs',
    env: 'SHIELDWALL_SHUTDOWN_TIMEOUT_MS',
    description: 'How long a graceful shutdown waits for in-flight requests before closing anyway.',
    default: () => 30000,
    parse: integer(0, 600000),
  },
  federation: {
    key: 'federation',
    env: 'SHIELDWALL_FEDERATION',
    description: 'Sync with the peer nodes that have a TAXII URL (1), or leave it to `shieldwall peers sync` (0). With several processes on one PostgreSQL, set 1 on one of them.',
    default: () => true,
    parse: boolean,
  },
  secretKeyFile: {
    key: 'secretKeyFile',
    env: 'SHIELDWALL_SECRET_KEY_FILE',
    description: 'File of the key that seals peer credentials (tokens, passwords) in the store; made with mode 0600 on first use.',
    default: (partial) => path.join(partial.dataDir ?? path.resolve('data'), 'secret.key'),
    parse: nonEmpty,
  },
  detectFollowMs: {
    key: 'detectFollowMs',
    env: 'SHIELDWALL_DETECT_FOLLOW_MS',
    description: 'How often (ms) the detection index reads indicators stored by other processes on the same store (other server processes on PostgreSQL, `shieldwall ingest` on the SQLite file); 0 follows this process only.',
    default: () => 1000,
    parse: integer(0, 3_600_000),
  },
  detectMatchRunning: {
    key: 'detectMatchRunning',
    env: 'SHIELDWALL_DETECT_MATCH_RUNNING',
    description: 'Bulk matches (POST /api/v1/match) run at once; each reads on its own threads. One member runs at most half of them (rounded up); more wait their turn, the member with the fewest running first.',
    default: () => 2,
    parse: integer(1, 64),
  },
  detectMatchQueued: {
    key: 'detectMatchQueued',
    env: 'SHIELDWALL_DETECT_MATCH_QUEUED',
    description: 'Bulk matches that may wait for their turn; past that, a new one is refused with 503 SW_MATCH_BUSY and Retry-After.',
    default: () => 8,
    parse: integer(0, 10_000),
  },
  detectMatchQueuedPerMember: {
    key: 'detectMatchQueuedPerMember',
    env: 'SHIELDWALL_DETECT_MATCH_QUEUED_PER_MEMBER',
    description: "Bulk matches one member may have waiting for their turn; past that, the member's new ones are refused with 503 SW_MATCH_BUSY, so that one member cannot fill the queue.",
    default: () => 2,
    parse: integer(0, 10_000),
  },
  auditKeyFile: {
    key: 'auditKeyFile',
    env: 'SHIELDWALL_AUDIT_KEY_FILE',
    description: 'File of the audit key: every audit entry carries a MAC under it and every checkpoint is signed with a key made from it; made with mode 0600 on first use. Keep a copy apart from the store.',
    default: (partial) => path.join(partial.dataDir ?? path.resolve('data'), 'audit.key'),
    parse: (raw) => (raw.trim() === '' ? { error: 'must not be empty' } : { value: path.resolve(raw.trim()) }),
  },
  auditCheckpointFile: {
    key: 'auditCheckpointFile',
    env: 'SHIELDWALL_AUDIT_CHECKPOINT_FILE',
    description: 'Append-only file of signed checkpoints of the audit log (its newest entry, MAC and length): `shieldwall audit verify` holds the log against the newest.',
    default: (partial) => path.join(partial.dataDir ?? path.resolve('data'), 'audit-checkpoints.log'),
    parse: (raw) => (raw.trim() === '' ? { error: 'must not be empty' } : { value: path.resolve(raw.trim()) }),
  },
  auditCheckpointMs: {
    key: 'auditCheckpointMs',
    env: 'SHIELDWALL_AUDIT_CHECKPOINT_MS',
    description: 'Least time (ms) between two audit checkpoints: one is written after a commit that added entries, at most this often (0: after every such commit). Entries newer than the last checkpoint can be removed unnoticed.',
    default: () => 1000,
    parse: integer(0, 3_600_000),
  },
  auditCheckpointExport: {
    key: 'auditCheckpointExport',
    env: 'SHIELDWALL_AUDIT_CHECKPOINT_EXPORT',
    description: 'Also send each audit checkpoint to: udp://host:port or tcp://host:port (syslog, RFC 5424), file:/path (appended), or exec:command (run with the checkpoint on standard input).',
    default: () => undefined,
    parse: checkpointExport,
  },
  auditRefusalIntervalMs: {
    key: 'auditRefusalIntervalMs',
    env: 'SHIELDWALL_AUDIT_REFUSAL_INTERVAL_MS',
    description: 'Refused requests (401, 403, reads denied) are counted per source and written as one audit entry per source and kind every this many ms, and at shutdown.',
    default: () => 10_000,
    parse: integer(0, 3_600_000),
  },
  auditRefusalSources: {
    key: 'auditRefusalSources',
    env: 'SHIELDWALL_AUDIT_REFUSAL_SOURCES',
    description: 'Sources (address, actor and kind of refusal) counted apart in one interval; refusals from further sources are counted in one overflow entry.',
    default: () => 1000,
    parse: integer(1, 1_000_000),
  },
  rateLimitUnauthenticated: {
    key: 'rateLimitUnauthenticated',
    env: 'SHIELDWALL_RATE_LIMIT_UNAUTHENTICATED',
    description: 'Requests without valid credentials that one address (an IPv6 /64) may make per window; more are answered 429 (0: no limit). Authenticated requests are not counted.',
    default: () => 300,
    parse: integer(0, 10_000_000),
  },
  rateLimitWindowMs: {
    key: 'rateLimitWindowMs',
    env: 'SHIELDWALL_RATE_LIMIT_WINDOW_MS',
    description: 'Length (ms) of the window of SHIELDWALL_RATE_LIMIT_UNAUTHENTICATED.',
    default: () => 60_000,
    parse: integer(100, 86_400_000),
  },
  httpIdleMs: {
    key: 'httpIdleMs',
    env: 'SHIELDWALL_HTTP_IDLE_MS',
    description: 'A connection over which nothing arrives and nothing of its answer is taken for this long (ms) is closed, and whatever its request held (a bulk match\'s turn, an ingest thread, a place among its member\'s requests in progress) is freed: a client that stops half way through sending a body, or stops reading an answer, cannot hold it for good. Event streams send a keep-alive well within it.',
    default: () => 120_000,
    parse: integer(1000, 86_400_000),
  },
  requestsInFlightPerMember: {
    key: 'requestsInFlightPerMember',
    env: 'SHIELDWALL_REQUESTS_IN_FLIGHT_PER_MEMBER',
    description: 'Requests the users of one member (or one peer node) may have in progress at once; more are answered 429 with Retry-After (0: no limit). Event streams are not counted.',
    default: () => 64,
    parse: integer(0, 1_000_000),
  },
  smtpUrl: {
    key: 'smtpUrl',
    env: 'SHIELDWALL_SMTP_URL',
    description: 'SMTP relay that incident notifications are mailed through: smtp://host:port (STARTTLS when the relay offers it) or smtps://host:port, with user:password@ if it asks for them. Unset: subscriptions cannot use e-mail (docs/NOTIFICATIONS.md).',
    default: () => undefined,
    parse: smtpUrl,
  },
  webhookAllow: {
    key: 'webhookAllow',
    env: 'SHIELDWALL_WEBHOOK_ALLOW',
    description: 'Internal receivers that notification webhooks may reach, comma-separated: CIDR ranges (10.20.0.0/16, fd00:20::/32) and host names (hooks.cert.example, allowed whatever they resolve to). Unset: webhooks go to public addresses only, never to loopback, private, link-local, CGNAT, multicast, unspecified or reserved ones (docs/NOTIFICATIONS.md).',
    default: () => [],
    parse: parseWebhookAllow,
  },
  notifyContentLevel: {
    key: 'notifyContentLevel',
    env: 'SHIELDWALL_NOTIFY_CONTENT_LEVEL',
    description: `Highest classification whose content notification webhooks and mails carry (the level those channels are accredited for); records classified above it, and TLP:RED or AMBER+STRICT ones, are notified by reference only: ${DEFAULT_CLASSIFICATIONS.join(', ')}.`,
    default: () => 0,
    parse: (raw) => {
      const level = classificationLevel(raw);
      return level !== undefined ? { value: level } : { error: `expected one of ${DEFAULT_CLASSIFICATIONS.join(', ')}, got '${raw}'` };
    },
  },
  incidentWeights: {
    key: 'incidentWeights',
    env: 'SHIELDWALL_INCIDENT_WEIGHTS',
    description: 'Weights of the incident severity categories, e.g. functional_impact=3,observed_activity=2 (categories not named keep their default weight; docs/INCIDENT-SCORING.md).',
    default: () => undefined,
    parse: (raw) => {
      const parsed = parseWeights(raw);
      return 'error' in parsed ? { error: parsed.error } : { value: parsed.weights };
    },
  },
  assistanceApprovals: {
    key: 'assistanceApprovals',
    env: 'SHIELDWALL_ASSISTANCE_APPROVALS',
    description: 'Distinct coordinators who must approve a request for assistance, by mode, e.g. remote=1,on-site=2,either=2 (modes not named keep these defaults; docs/ASSISTANCE.md).',
    default: () => DEFAULT_APPROVAL_RULES,
    parse: (raw) => {
      try {
        return { value: parseApprovalRules(raw) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    },
  },
  assistanceTargets: {
    key: 'assistanceTargets',
    env: 'SHIELDWALL_ASSISTANCE_TARGETS',
    description: 'Response-clock targets of requests for assistance, urgency.milestone=duration, e.g. critical.approval=30m,high.deployment=2d (milestones approval, first_offer, deployment; the others keep their defaults; docs/ASSISTANCE.md).',
    default: () => DEFAULT_TARGETS,
    parse: (raw) => {
      try {
        return { value: parseTargets(raw) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    },
  },
  assistanceCoordination: {
    key: 'assistanceCoordination',
    env: 'SHIELDWALL_ASSISTANCE_COORDINATION',
    description: "Comma-separated member codes whose coordinators approve requests for assistance and read them all (default: the node's members of kind international-organisation).",
    default: () => [],
    parse: (raw) => {
      const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
      const bad = entries.find((e) => !/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(e));
      return bad ? { error: `'${bad}' is not a member code (upper-case letters, digits, '-' and '_')` } : { value: entries };
    },
  },
  assessmentThresholds: {
    key: 'assessmentThresholds',
    env: 'SHIELDWALL_ASSESSMENT_THRESHOLDS',
    description: `Cumulative-assessment scores that raise the escalations, e.g. consultation=250,council=600 (the defaults; council above consultation; docs/ASSESSMENT.md).`,
    default: () => DEFAULT_THRESHOLDS,
    parse: (raw) => {
      try {
        return { value: parseThresholds(raw) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    },
  },
  smtpFrom: {
    key: 'smtpFrom',
    env: 'SHIELDWALL_SMTP_FROM',
    description: "Sender of notification mails: an address, or 'Name <address>'. Required with SHIELDWALL_SMTP_URL.",
    default: () => undefined,
    parse: mailAddress,
  },
};

/** Read by CLI commands that talk to a running node, not by the node itself. */
export const CLIENT_VARIABLES = ['SHIELDWALL_URL', 'SHIELDWALL_TOKEN'] as const;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function describeSettings(): Array<{ env: string; description: string }> {
  return Object.values(SETTINGS).map((s) => ({ env: s.env, description: s.description }));
}

function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`SHIELDWALL_CONFIG: cannot read ${file}: ${(error as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`SHIELDWALL_CONFIG: ${file} must hold a JSON object of SHIELDWALL_* settings`]);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) out[key] = String(value);
  return out;
}

/**
 * Loads and validates the configuration. Throws ConfigError listing every bad setting by name.
 * `overrides` (tests, CLI flags) take precedence over the environment.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const file = env.SHIELDWALL_CONFIG ? readConfigFile(env.SHIELDWALL_CONFIG) : {};
  const problems: string[] = [];
  const partial: Partial<Record<keyof Config, unknown>> = {};
  const known = new Set([...Object.values(SETTINGS).map((s) => s.env), ...CLIENT_VARIABLES]);
  for (const name of [...Object.keys(env), ...Object.keys(file)]) {
    if (name.startsWith('SHIELDWALL_') && name !== 'SHIELDWALL_CONFIG' && !known.has(name)) {
      problems.push(`${name}: unknown setting; known settings are ${[...known].join(', ')}`);
    }
  }
  for (const setting of Object.values(SETTINGS) as Array<Setting<keyof Config>>) {
    if (setting.key in overrides) {
      partial[setting.key] = overrides[setting.key];
      continue;
    }
    const raw = env[setting.env] ?? file[setting.env];
    if (raw === undefined || raw === '') {
      partial[setting.key] = setting.default(partial as Partial<Config>);
      continue;
    }
    const parsed = setting.parse(raw);
    if ('error' in parsed) problems.push(`${setting.env}: ${parsed.error} (${setting.description})`);
    else partial[setting.key] = parsed.value;
  }
  if ((partial.tlsCert === undefined) !== (partial.tlsKey === undefined)) {
    problems.push('SHIELDWALL_TLS_CERT and SHIELDWALL_TLS_KEY: set both to serve HTTPS, or neither');
  }
  if (partial.tlsClientCa !== undefined && partial.tlsCert === undefined) {
    problems.push('SHIELDWALL_TLS_CLIENT_CA: client certificates need HTTPS; set SHIELDWALL_TLS_CERT and SHIELDWALL_TLS_KEY too');
  }
  if (typeof partial.storeReconnectMinMs === 'number' && typeof partial.storeReconnectMaxMs === 'number' && partial.storeReconnectMinMs > partial.storeReconnectMaxMs) {
    problems.push(`SHIELDWALL_STORE_RECONNECT_MIN_MS (${partial.storeReconnectMinMs}) must not exceed SHIELDWALL_STORE_RECONNECT_MAX_MS (${partial.storeReconnectMaxMs})`);
  }
  if (partial.smtpUrl !== undefined && partial.smtpFrom === undefined) {
    problems.push('SHIELDWALL_SMTP_FROM: set the sender address of notification mails (e.g. shieldwall@cert.example.org) to use SHIELDWALL_SMTP_URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(partial as Config);
}
