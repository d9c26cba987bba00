/**
 * A limit on requests without valid credentials, per source address (an IPv6 /64 counts as one
 * address: one host holds many of its addresses). Fixed windows: each address may make `limit`
 * such requests per window; the counters are dropped as each window ends, so memory holds the
 * addresses of one window at most (and at most MAX_SOURCES of them: beyond, new addresses share
 * one counter until the window ends). Authenticated requests are never counted.
 */
import { isIPv6 } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from './clock.js';

const MAX_SOURCES = 100_000;
const OTHERS = '*';

/** The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64. */
export function sourceKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const address = ip.split('%')[0]!;
  const [head = '', tail] = address.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  // An IPv4 tail (::ffff:1.2.3.4 forms) holds two groups.
  const backGroups = back.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - backGroups)).fill('0'), ...back];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class UnauthenticatedLimit {
  private window = -1;
  private counts = new Map<string, number>();
  private readonly limited: Counter;

  constructor(
    private readonly options: { limit: number; windowMs: number; clock: Clock; registry: Registry },
  ) {
    this.limited = new Counter({
      name: 'shieldwall_http_rate_limited_total',
      help: 'Requests without valid credentials answered 429 because their address made too many in the window.',
      registers: [options.registry],
    });
  }

  /** Counts one request from the address: 0 when it may go on, else the seconds until its window ends. */
  take(ip: string): number {
    const { limit, windowMs, clock } = this.options;
    if (limit === 0) return 0;
    const now = clock.now().getTime();
    const window = Math.floor(now / windowMs);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    let key = sourceKey(ip);
    if (!this.counts.has(key) && this.counts.size >= MAX_SOURCES) key = OTHERS;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= limit) return 0;
    this.limited.inc();
    return Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
  }
}
