/**
 * Where a webhook may be sent. A subscriber chooses its webhook's URL, and the node makes the
 * request from inside its own network: left open, any member could have the node reach its own
 * machine, the networks behind it or a cloud's metadata service, and learn from the delivery
 * log what answers there (server-side request forgery). So the node refuses, unless its
 * operator allows them (SHIELDWALL_WEBHOOK_ALLOW), every address that is not a public one:
 * loopback, private, link-local, shared (CGNAT), multicast, unspecified and reserved.
 *
 * A name is checked on what it resolves to, at every attempt, and the connection goes to the
 * addresses checked (never to a second answer of DNS, which an attacker's name server could make
 * point inside: DNS rebinding). Pure, but for resolveDestination, which asks the resolver given.
 */
import { lookup as systemLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** The node setting that allows internal receivers. */
export const WEBHOOK_ALLOW_SETTING = 'SHIELDWALL_WEBHOOK_ALLOW';
/** What the delivery log says of a refused destination: no more (which rule, which address would tell of the node's network). */
export const DESTINATION_REFUSED = 'refused: destination not allowed';

/** A group of addresses a webhook does not reach unless allowed. */
interface DisallowedRule {
  readonly rule: string;
  readonly ranges: readonly string[];
}

/** In the order they are tried: the first that holds an address names why it is refused. */
export const DISALLOWED: readonly DisallowedRule[] = [
  // RFC 1122 "this network", and the IPv6 unspecified address: both reach the node itself.
  { rule: 'unspecified', ranges: ['0.0.0.0/8', '::/128'] },
  { rule: 'loopback', ranges: ['127.0.0.0/8', '::1/128'] },
  // RFC 1918; RFC 4193 unique local; RFC 3879 site-local (deprecated, still routed by some).
  { rule: 'private', ranges: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10'] },
  // RFC 3927 and RFC 4291: cloud metadata services answer at 169.254.169.254.
  { rule: 'link-local', ranges: ['169.254.0.0/16', 'fe80::/10'] },
  // RFC 6598: the carrier's side of a NAT, often a provider's internal services.
  { rule: 'shared (CGNAT)', ranges: ['100.64.0.0/10'] },
  { rule: 'multicast', ranges: ['224.0.0.0/4', 'ff00::/8'] },
  // RFC 6890: IETF protocol assignments, benchmarking, future use and broadcast; IPv4-compatible
  // IPv6 (deprecated, RFC 4291), the discard prefix (RFC 6666) and the local-use IPv4/IPv6
  // translation prefix (RFC 8215), which a network's own translator maps to any IPv4 address.
  { rule: 'reserved', ranges: ['192.0.0.0/24', '198.18.0.0/15', '240.0.0.0/4', '::/96', '100::/64', '64:ff9b:1::/48'] },
];

/** Each rule's ranges, each as a list of its own (to name the range that holds an address). */
const RULES = DISALLOWED.map(({ rule, ranges }) => ({ rule, ranges: ranges.map((range) => ({ range, list: blockListOf([range]) })) }));

/** Why a destination is refused. */
export interface Refusal {
  /** The rule (DISALLOWED) the address falls under, or 'localhost' for a name of the node's own machine. */
  readonly rule: string;
  /** The range of the rule that holds the address; undefined for a name. */
  readonly range?: string;
  /** The address refused (the one the URL gives, or one its name resolved to). */
  readonly address: string;
}

/** The setting as the node holds it: host names allowed whatever they resolve to, and ranges of addresses allowed. */
export interface WebhookAllow {
  readonly names: ReadonlySet<string>;
  readonly ranges: BlockList;
}

// --- the setting -----------------------------------------------------------------------------------

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** An address without brackets nor zone (fe80::1%eth0), in lower case. */
function bareAddress(text: string): string {
  return text.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
}

/** 'a.b.c.d/n' or 'x::/n' as address, prefix and family; a bare address is a range of one. */
function parseRange(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const slash = entry.indexOf('/');
  const address = bareAddress(slash < 0 ? entry : entry.slice(0, slash));
  const version = isIP(address);
  if (version === 0) throw new Error(`'${entry}' is not an address or a CIDR range`);
  const max = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new Error(`'${entry}': the prefix length of an IPv${version} range is 0 to ${max}`);
  return { address, prefix: Number(prefixText), family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const { address, prefix, family } = parseRange(range);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/** A host name as compared: lower case, without the root's dot. */
function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Reads SHIELDWALL_WEBHOOK_ALLOW: comma-separated CIDR ranges (10.20.0.0/16, fd00:20::/32), single
 * addresses, and host names (hooks.cert.example, exact). Answers the entries as written for the
 * node's configuration (ranges with their prefix, names in lower case), or what is wrong.
 */
export function parseWebhookAllow(raw: string): { value: string[] } | { error: string } {
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return { error: 'expected CIDR ranges and host names separated by commas, e.g. 10.20.0.0/16,hooks.cert.example' };
  const value: string[] = [];
  for (const entry of entries) {
    if (entry.includes('/') || isIP(bareAddress(entry)) !== 0) {
      try {
        const { address, prefix } = parseRange(entry);
        value.push(`${address}/${prefix}`);
      } catch (error) {
        return { error: `${(error as Error).message} (e.g. 10.20.0.0/16 or fd00:20::/32)` };
      }
    } else if (HOST_NAME.test(normalName(entry))) {
      value.push(normalName(entry));
    } else {
      return { error: `'${entry}' is neither a CIDR range (10.20.0.0/16, fd00:20::/32) nor a host name (hooks.cert.example)` };
    }
  }
  return { value: [...new Set(value)] };
}

/** The setting's entries (Config.webhookAllow) as the checks use them (none: public addresses only); an entry that is not valid throws. */
export function webhookAllowOf(entries: readonly string[]): WebhookAllow {
  if (entries.length === 0) return { names: new Set(), ranges: new BlockList() };
  const parsed = parseWebhookAllow(entries.join(','));
  if ('error' in parsed) throw new Error(`${WEBHOOK_ALLOW_SETTING}: ${parsed.error}`);
  const names = new Set(parsed.value.filter((entry) => isIP(bareAddress(entry.split('/')[0]!)) === 0));
  return { names, ranges: blockListOf(parsed.value.filter((entry) => !names.has(entry))) };
}

// --- addresses -------------------------------------------------------------------------------------

/** The eight 16-bit words of an IPv6 address (isIP says it is one). */
function ipv6Words(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  if (tail === undefined) return words(head);
  const front = words(head);
  const back = words(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The IPv4 address an IPv6 one carries to an IPv4 host: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-translated (::ffff:0:a.b.c.d, RFC 2765, which a stateless translator maps), NAT64
 * (64:ff9b::a.b.c.d, RFC 6052) and 6to4 (2002:AABB:CCDD::, RFC 3056). Such an address reaches
 * what its IPv4 address does, and is judged as that address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const w = ipv6Words(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) return v4(w[6]!, w[7]!);
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0xffff && w[5] === 0) return v4(w[6]!, w[7]!);
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0) return v4(w[6]!, w[7]!);
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  return undefined;
}

/** The rule an address falls under (undefined: a public address), whatever the setting allows. */
export function disallowedRule(address: string): Omit<Refusal, 'address'> | undefined {
  const bare = bareAddress(address);
  const family = isIP(bare) === 4 ? 'ipv4' : 'ipv6';
  for (const { rule, ranges } of RULES) {
    const held = ranges.find(({ list }) => list.check(bare, family));
    if (held) return { rule, range: held.range };
  }
  const inner = family === 'ipv6' ? embeddedIpv4(bare) : undefined;
  return inner === undefined ? undefined : disallowedRule(inner);
}

/** Why a webhook may not be sent to this address under the setting; undefined when it may. */
export function addressRefusal(address: string, allow: WebhookAllow): Refusal | undefined {
  const bare = bareAddress(address);
  const version = isIP(bare);
  if (version === 0) return { rule: 'not an address', address: bare };
  if (allow.ranges.check(bare, version === 4 ? 'ipv4' : 'ipv6')) return undefined;
  const inner = version === 6 ? embeddedIpv4(bare) : undefined;
  if (inner !== undefined && allow.ranges.check(inner, 'ipv4')) return undefined;
  const rule = disallowedRule(bare);
  return rule ? { ...rule, address: bare } : undefined;
}

/** Names that are the node's own machine whatever DNS says (RFC 6761 section 6.3). */
function nameRefusal(name: string): Refusal | undefined {
  return name === 'localhost' || name.endsWith('.localhost') ? { rule: 'localhost', address: name } : undefined;
}

// --- destinations ----------------------------------------------------------------------------------

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (as getaddrinfo answers, in its order). */
export type HostLookup = (name: string) => Promise<ResolvedAddress[]>;

export const systemHostLookup: HostLookup = async (name) => (await systemLookup(name, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** The host of a URL: an address (IPv6 without its brackets) or a host name. */
export function hostOf(url: URL): { address: string } | { name: string } {
  const bare = bareAddress(url.hostname);
  return isIP(bare) !== 0 ? { address: bare } : { name: normalName(url.hostname) };
}

export type Destination = { allowed: true; addresses: ResolvedAddress[] } | { allowed: false; refusal: Refusal; literal: boolean };

/** Waits for a promise, or throws the signal's reason when it is aborted first. */
async function within<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * Where a webhook URL would connect: its address, or every address its name resolves to, each
 * allowed by the setting, or why not. A name the setting lists is allowed whatever it resolves
 * to; any other is refused when one of its addresses is (an attacker's name server answering a
 * public and an internal address would otherwise choose). A lookup that fails throws.
 */
export async function resolveDestination(url: URL, allow: WebhookAllow, lookup: HostLookup, signal?: AbortSignal): Promise<Destination> {
  const host = hostOf(url);
  if ('address' in host) {
    const refusal = addressRefusal(host.address, allow);
    return refusal ? { allowed: false, refusal, literal: true } : { allowed: true, addresses: [{ address: host.address, family: isIP(host.address) === 6 ? 6 : 4 }] };
  }
  const listed = allow.names.has(host.name);
  const named = listed ? undefined : nameRefusal(host.name);
  if (named) return { allowed: false, refusal: named, literal: true };
  const addresses = await within(lookup(host.name), signal);
  if (addresses.length === 0) throw new Error(`${host.name} resolves to no address`);
  if (!listed) {
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, allow);
      if (refusal) return { allowed: false, refusal, literal: false };
    }
  }
  return { allowed: true, addresses };
}
