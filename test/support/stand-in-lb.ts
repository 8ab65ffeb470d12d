/**
 * A stand-in for an Azure load balancer on loopback, for the drain tests: round-robin over the
 * backends in rotation, a probe every 50 ms per backend, out of rotation after two failed probes
 * and back on one good one (the library's probe threshold is 2). Connections are piped as TCP, so
 * a backend's keep-alive behaviour reaches the client unchanged, as through Azure's balancer.
 */
import net from 'node:net';

export interface StandInLb {
  /** Connections open to each backend (by index), and when the last one to it closed (ms). */
  open(i: number): number;
  lastClosedAt(i: number): number;
  inRotation(i: number): boolean;
  close(): Promise<void>;
}

export async function startStandInLb(opts: {
  /** Where the balancer listens. */
  readonly host: string;
  readonly port: number;
  /** Each backend's port on 127.0.0.1. */
  readonly backends: readonly number[];
  /** One probe of backend i: healthy or not. */
  readonly probe: (i: number) => Promise<boolean>;
}): Promise<StandInLb> {
  const n = opts.backends.length;
  const up = Array.from({ length: n }, () => true);
  const fails = Array.from({ length: n }, () => 0);
  const open = Array.from({ length: n }, () => 0);
  const lastClosed = Array.from({ length: n }, () => 0);
  let next = 0;
  const probe = setInterval(() => {
    for (let i = 0; i < n; i++) {
      opts
        .probe(i)
        .catch(() => false)
        .then((ok) => {
          fails[i] = ok ? 0 : fails[i] + 1;
          if (fails[i] >= 2) up[i] = false;
          else if (ok) up[i] = true;
        });
    }
  }, 50);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const healthy = opts.backends.map((_, i) => i).filter((i) => up[i]);
    const i = healthy[next++ % healthy.length];
    const upstream = net.connect(opts.backends[i], '127.0.0.1');
    open[i]++;
    sockets.add(client).add(upstream);
    upstream.on('close', () => {
      open[i]--;
      lastClosed[i] = Date.now();
      sockets.delete(upstream);
      client.end();
    });
    client.on('close', () => {
      sockets.delete(client);
      upstream.end();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(opts.port, opts.host, r));
  return {
    open: (i) => open[i],
    lastClosedAt: (i) => lastClosed[i],
    inRotation: (i) => up[i],
    close: async () => {
      clearInterval(probe);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
