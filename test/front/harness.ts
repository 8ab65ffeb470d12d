/**
 * Real nginx and stub backends on loopback, for the front's tests. Each slot's ILB address is a
 * loopback address of its own (see `onLoopback`), each planned port a stub that answers with its
 * slot, so a response says where the front sent the request. Mirrored copies are counted apart
 * (nginx marks nothing, so the stub counts per slot and the test compares with what clients saw).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { localFrontPaths, renderNginxConf, type FrontConfigInput, type FrontServiceConfig } from '../../lib/front/nginx-conf';
import type { SlotName } from '../../lib/spec/schema';

import { freePorts } from '../support/ports';

export { freePorts };

export interface Backends {
  /** Requests each slot of each service received: `${service}/${slot}`. */
  readonly hits: Map<string, number>;
  stop(service: string, slot: SlotName): Promise<void>;
  start(service: string, slot: SlotName): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** A stub per planned port of every slot; answers `<service> <slot> <port>` after `delayMs`. */
export async function startBackends(services: readonly FrontServiceConfig[], delayMs = 0): Promise<Backends> {
  const hits = new Map<string, number>();
  const servers = new Map<string, http.Server[]>();
  const listen = async (svc: FrontServiceConfig, slot: SlotName) => {
    const list: http.Server[] = [];
    for (const port of svc.slots[slot].ports) {
      const server = http.createServer((req, res) => {
        const key = `${svc.name}/${slot}`;
        hits.set(key, (hits.get(key) ?? 0) + 1);
        req.resume();
        const answer = () => res.end(`${svc.name} ${slot} ${port}\n`);
        if (delayMs > 0) setTimeout(answer, delayMs);
        else answer();
      });
      server.keepAliveTimeout = 10_000;
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, svc.slots[slot].address, resolve));
      list.push(server);
    }
    servers.set(`${svc.name}/${slot}`, list);
  };
  for (const svc of services) for (const slot of ['blue', 'green'] as const) await listen(svc, slot);
  const closeAll = (list: http.Server[]) =>
    Promise.all(list.map((s) => new Promise((r) => { s.close(r); s.closeAllConnections(); })));
  return {
    hits,
    async stop(service, slot) {
      await closeAll(servers.get(`${service}/${slot}`) ?? []);
      servers.delete(`${service}/${slot}`);
    },
    async start(service, slot) {
      await listen(services.find((s) => s.name === service)!, slot);
    },
    reset: () => hits.clear(),
    close: async () => {
      await Promise.all([...servers.values()].map(closeAll));
    },
  };
}

export interface RunningFront {
  readonly dir: string;
  readonly confPath: string;
  readonly httpPort: number;
  readonly statusPort: number;
  readonly adminPort: number;
  /** PUT a routing table to the admin endpoint, as the agent does. */
  putTable(table: unknown): Promise<{ status: number; body: string }>;
  errorLog(): string;
  accessLog(): string;
  nginx(...args: string[]): { status: number | null; output: string };
  stop(): Promise<void>;
}

/**
 * The open-file limit a systemd service gets unless its unit says otherwise (systemd 240 and later:
 * soft 1,024, hard 524,288): what nginx on a front VM starts with. The soft limit is the one that
 * bites; the hard limit stays this machine's (raising it needs CAP_SYS_RESOURCE, which a test
 * container may lack), as `prlimit --nofile=1024:` leaves it.
 */
export const VM_SERVICE_NOFILE = '1024:';

export async function startFront(dir: string, input: Omit<FrontConfigInput, 'ports' | 'statusPort' | 'adminPort' | 'paths' | 'listenAddress'> & { https?: boolean; /** run nginx under `prlimit --nofile=<soft:hard>` */ nofile?: string; /** the HTTP port, when another front must know it first (regions) */ httpPort?: number }, initialTable?: unknown): Promise<RunningFront> {
  const [freeHttp, statusPort, adminPort, httpsPort] = await freePorts(4);
  const httpPort = input.httpPort ?? freeHttp;
  const paths = localFrontPaths(dir);
  mkdirSync(paths.temp, { recursive: true });
  // the guard's folder, writable by the workers (nobody: nginx started as root with no user)
  mkdirSync(dirname(paths.guardState), { recursive: true });
  chmodSync(dirname(paths.guardState), 0o777);
  chmodSync(dir, 0o711);
  const { nofile, httpPort: _port, ...rest } = input;
  const conf = renderNginxConf({ ...rest, listenAddress: '127.0.0.1', ports: { http: httpPort, ...(input.https ? { https: httpsPort } : {}) }, statusPort, adminPort, paths, workerProcesses: input.workerProcesses ?? 2 });
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  if (initialTable !== undefined) writeFileSync(paths.table, JSON.stringify(initialTable));
  const nginx = (...args: string[]) => {
    const r = spawnSync('nginx', [...args, '-c', confPath, '-p', `${dir}/`], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  const t = nginx('-t');
  if (t.status !== 0) throw new Error(`nginx -t failed:\n${t.output}`);
  const started = nofile
    ? (() => {
        const r = spawnSync('prlimit', [`--nofile=${nofile}`, 'nginx', '-c', confPath, '-p', `${dir}/`], { encoding: 'utf8' });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
      })()
    : nginx();
  if (started.status !== 0) throw new Error(`nginx did not start:\n${started.output}`);
  await waitFor(async () => (await request({ port: statusPort, path: '/healthz' }).catch(() => undefined)) !== undefined);
  return {
    dir,
    confPath,
    httpPort,
    statusPort,
    adminPort,
    async putTable(table) {
      const body = typeof table === 'string' ? table : JSON.stringify(table);
      return request({ port: adminPort, path: '/table', method: 'PUT', body });
    },
    errorLog: () => readFileSync(paths.errorLog, 'utf8'),
    accessLog: () => readFileSync(paths.accessLog, 'utf8'),
    nginx,
    async stop() {
      const pid = Number(readFileSync(paths.pid, 'utf8'));
      // fast shutdown (tests need no graceful drain); wait for the master so ports are free again
      nginx('-s', 'stop');
      await waitFor(async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10_000);
    },
  };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Reply {
  status: number;
  body: string;
  headers?: http.IncomingHttpHeaders;
}

export function request(opts: { port: number; path?: string; method?: string; body?: string; headers?: Record<string, string>; agent?: http.Agent; host?: string; /** the client's own address (a loopback one) */ localAddress?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: opts.port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers: { ...(opts.host ? { Host: opts.host } : {}), ...opts.headers }, agent: opts.agent ?? false, timeout: 5000, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

/** `n` requests, `concurrency` at a time; the slots that answered, counted. */
export async function sendMany(n: number, concurrency: number, send: (i: number) => Promise<Reply>): Promise<{ bySlot: Record<string, number>; statuses: Record<number, number>; replies: Reply[] }> {
  const replies: Reply[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        replies[i] = await send(i);
      }
    }),
  );
  const bySlot: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  for (const r of replies) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const slot = r.status === 200 ? r.body.split(' ')[1] : 'none';
    bySlot[slot] = (bySlot[slot] ?? 0) + 1;
  }
  return { bySlot, statuses, replies };
}

