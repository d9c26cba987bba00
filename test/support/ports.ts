/** Ports for test nodes that must listen on a port chosen before they start. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The ports the kernel hands out by itself (to `listen(0)` and to outgoing connections). A port
 * it chose could be taken, between the check and the node's listen, by any outgoing connection
 * of the tests running beside this one, and the node would fail to start (EADDRINUSE); a port
 * outside that range, once found free, stays free until a test binds it.
 */
function kernelPorts(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low!, high: high! };
  } catch {
    // Not Linux: the range IANA gives to ephemeral ports.
  }
  return { low: 49152, high: 65535 };
}

/** Ports tried: 12,000 below the kernel's range, or above it when there is no room below. */
function candidateRange(): { from: number; to: number } {
  const { low, high } = kernelPorts();
  if (low - 1024 >= 4000) return { from: Math.max(1024, low - 12_000), to: low };
  if (65_535 - high >= 4000) return { from: high + 1, to: Math.min(65_536, high + 12_001) };
  throw new Error(`the kernel hands out ports ${low}-${high} by itself, which leaves no room for test nodes' ports: narrow /proc/sys/net/ipv4/ip_local_port_range`);
}

const handedOut = new Set<number>();

/**
 * A free TCP port on loopback that the kernel does not hand out by itself (see kernelPorts).
 * Two test files (two processes) could still draw the same port and both find it free: one in
 * 12,000 for each pair of draws at the same moment.
 */
export async function freePort(): Promise<number> {
  const { from, to } = candidateRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (handedOut.has(port)) continue;
    // Marked before the check: two calls running at once never hand out the same port.
    handedOut.add(port);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port found between ${from} and ${to - 1}`);
}
