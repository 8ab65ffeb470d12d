/**
 * Loopback ports for the tests' listeners, taken outside the kernel's ephemeral range.
 *
 * A port the kernel hands out for `listen(0)` comes from the ephemeral range
 * (`net.ipv4.ip_local_port_range`, 32768–60999 on this machine), the same range every outgoing
 * connection takes its local port from. A test that probes a port, releases it and later starts
 * nginx or a stub on it races every client socket on the machine: under a load test in a
 * parallel worker, a client connection took the port in between and nginx failed to bind (CI,
 * stop 32). Outgoing connections never take a port below the ephemeral range, so the ports here
 * come from below it: each jest worker has its own slice (no two workers hand out the same
 * port), the start within the slice is random (a file after another in the same worker does not
 * reuse its ports first), and each port is probed by a bind before it is handed out.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const POOL_START = 10_000;
const SLICE = 1_500;

function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > POOL_START + SLICE ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const slices = Math.floor((ephemeralStart() - POOL_START) / SLICE);
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const sliceStart = POOL_START + (((Number.isInteger(worker) && worker > 0 ? worker : 1) - 1) % slices) * SLICE;
let next = randomInt(SLICE);

/** This worker's slice, first and last port. */
export const portSlice = (): { first: number; last: number } => ({ first: sliceStart, last: sliceStart + SLICE - 1 });

/** True when nothing listens on `port` at 127.0.0.1 (a bind succeeds, as nginx's would). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `n` distinct ports on 127.0.0.1 that nothing listens on, from this worker's slice. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < n; tried++) {
    if (tried >= SLICE) throw new Error(`freePorts: no ${n} bindable ports in ${sliceStart}-${sliceStart + SLICE - 1}`);
    const port = sliceStart + (next++ % SLICE);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}
