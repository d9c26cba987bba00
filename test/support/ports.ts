/** Ports for test nodes that must listen on a port chosen before they start. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The lowest port the kernel hands out by itself (to `listen(0)` and to outgoing connections):
 * a port below it, once found free, stays free until a test binds it. A port the kernel chose
 * could be taken, between the check and the node's listen, by any outgoing connection of the
 * tests running beside this one, and the node would fail to start (EADDRINUSE).
 */
function kernelPortsFrom(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // Not Linux: the range IANA gives to ephemeral ports.
  }
  return 49152;
}

const handedOut = new Set<number>();

/** A free TCP port on loopback that the kernel does not hand out by itself (see kernelPortsFrom). */
export async function freePort(): Promise<number> {
  const high = kernelPortsFrom();
  const low = Math.max(1024, high - 12_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
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
  throw new Error(`no free port found between ${low} and ${high}`);
}
