/**
 * `ase front` (in this repository `npm run front -- …`): the front's config, run locally.
 *   render <env> <dir>     write the environment's nginx.conf (as the VMs run it) and routing.json
 *   preview <env>          run that config with real nginx on loopback against stub backends on
 *                          each slot's planned ports (ILB addresses mapped to 127.x.y.z), print
 *                          where requests go, and keep serving until Ctrl-C
 * Options: --environments DIR (default stacks/environments, from the working directory),
 * --port N (preview: the front's HTTP port, default 8080), --requests N (preview: requests per
 * service, default 200).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { frontRoutingTable, frontServices, onLoopback, renderFrontConf } from '../front/model';
import { localFrontPaths, renderNginxConf, type FrontServiceConfig } from '../front/nginx-conf';
import { routingTableJson } from '../slots/traffic';
import { planEnvironment, type EnvironmentPlan } from '../spec/plan';
import { commandHelp, intFlag, parseCommandArgs, printable, usageError, usageText, type CommandArgs } from './args';
import { CommandError } from './command';
import { suggest } from '../spec/issues';
import { DEFAULT_ENVIRONMENTS, loadEnvironment } from './environments';


function render(plan: EnvironmentPlan, dir: string): number {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), renderFrontConf(plan));
  writeFileSync(join(dir, 'routing.json'), routingTableJson(frontRoutingTable(plan)));
  process.stdout.write(`wrote ${join(dir, 'nginx.conf')} and ${join(dir, 'routing.json')}\n`);
  return 0;
}

function freePort(): Promise<number> {
  return new Promise((resolveFree, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolveFree(port));
    });
  });
}

function get(port: number, host: string, path = '/'): Promise<string> {
  return new Promise((resolveGet) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolveGet(res.statusCode === 200 ? body.split(' ')[1] : `HTTP ${res.statusCode}`));
      })
      .on('error', (e) => resolveGet(`error ${e.message}`));
  });
}

/** Starts nginx and the stubs, prints the table, and returns; the process serves until a signal. */
async function preview(plan: EnvironmentPlan, port: number, requests: number): Promise<number> {
  if (spawnSync('nginx', ['-v']).status !== 0) throw new CommandError('front preview needs nginx with its Lua module: npm test installs them (Debian: nginx libnginx-mod-http-lua lua-cjson)');
  const services: FrontServiceConfig[] = onLoopback(frontServices(plan));
  const dir = mkdtempSync(join(tmpdir(), `front-${plan.env.name}-`));
  const paths = localFrontPaths(dir);
  const stubs: http.Server[] = [];
  const conf = join(dir, 'nginx.conf');
  const nginx = (...args: string[]) => spawnSync('nginx', [...args, '-c', conf, '-p', `${dir}/`], { encoding: 'utf8' });
  let statusPort: number;
  try {
    mkdirSync(paths.temp, { recursive: true });
    // the guard's state, written by the workers (nobody, when nginx runs as root)
    mkdirSync(dirname(paths.guardState), { recursive: true, mode: 0o777 });
    chmodSync(dirname(paths.guardState), 0o777);
    chmodSync(dir, 0o711);
    writeFileSync(paths.table, routingTableJson(frontRoutingTable(plan)));
    // the status and admin ports: free ones, so nothing else on this machine collides
    statusPort = await freePort();
    const adminPort = await freePort();
    writeFileSync(conf, renderNginxConf({ environment: plan.env.name, services, listenAddress: '127.0.0.1', ports: { http: port }, statusPort, adminPort, paths, workerProcesses: 1 }));
    for (const svc of services) {
      for (const slot of ['blue', 'green'] as const) {
        for (const p of svc.slots[slot].ports) {
          const s = http.createServer((_, res) => res.end(`${svc.name} ${slot} ${p}\n`));
          await new Promise<void>((ok, bad) => s.once('error', bad).listen(p, svc.slots[slot].address, ok)).catch((e: Error) => {
            throw new CommandError(`cannot start the stub for ${svc.name}/${slot} on ${svc.slots[slot].address}:${p}: ${e.message}`);
          });
          stubs.push(s);
        }
      }
    }
    const test = nginx('-t');
    if (test.status !== 0) throw new CommandError(`nginx -t refused the rendered config:\n${test.stderr}`);
    const started = nginx();
    if (started.status !== 0) throw new CommandError(`nginx did not start:\n${started.stderr}`);
  } catch (e) {
    for (const s of stubs) s.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    let pid = 0;
    try {
      pid = Number(readFileSync(paths.pid, 'utf8'));
    } catch {
      /* not started */
    }
    nginx('-s', 'quit');
    const until = Date.now() + 10_000;
    const wait = () => {
      let alive = false;
      try {
        if (pid) process.kill(pid, 0);
        alive = pid > 0;
      } catch {
        alive = false;
      }
      if (alive && Date.now() < until) return void setTimeout(wait, 50);
      for (const s of stubs) s.close();
      rmSync(dir, { recursive: true, force: true });
      process.stdout.write('front preview stopped\n');
      process.exit(0);
    };
    wait();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise((r) => setTimeout(r, 300));

  process.stdout.write(`front of ${plan.env.name} on http://127.0.0.1:${port} (status: http://127.0.0.1:${statusPort}/status), stub backends on loopback\n\n`);
  process.stdout.write(`${'service'.padEnd(20)} ${'host or prefix'.padEnd(36)} ${'traffic'.padEnd(34)} answered (${requests} requests)\n`);
  for (const svc of services) {
    const t = plan.env.services.find((s) => s.name === svc.name)!.traffic;
    const host = svc.pathPrefix ?? svc.hosts[0];
    const counts: Record<string, number> = {};
    for (let i = 0; i < requests; i++) {
      const slot = svc.pathPrefix ? await get(port, `${plan.env.name}.preview`, svc.pathPrefix) : await get(port, host);
      counts[slot] = (counts[slot] ?? 0) + 1;
    }
    const traffic = `live ${t.live}${t.weight > 0 ? `, ${t.weight}% to the other` : ''}${t.rules.length ? `, ${t.rules.length} rule(s)` : ''}${t.mirror ? `, mirror ${t.mirror}%` : ''}`;
    const answered = Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(`${svc.name.padEnd(20)} ${host.padEnd(36)} ${traffic.padEnd(34)} ${answered}\n`);
  }
  process.stdout.write(`\ntry: curl -H 'Host: ${services[0]?.hosts[0] ?? ''}' http://127.0.0.1:${port}/   (Ctrl-C stops)\n`);
  return 0;
}

/** What `ase front` accepts. */
export const FRONT_ARGS: CommandArgs = {
  command: 'ase front',
  summary: "render an environment's nginx front config, or preview it with real nginx on loopback",
  usage: ['ase front render <env> <dir> [--environments DIR]', 'ase front preview <env> [--port N] [--requests N] [--environments DIR]'],
  positionals: [
    { name: 'env', description: 'the environment, by its name' },
    { name: 'dir', description: 'render: the folder to write nginx.conf and routing.json into' },
  ],
  flags: {
    environments: { type: 'string', value: 'DIR', description: 'the folder of environment files', default: DEFAULT_ENVIRONMENTS },
    port: { type: 'string', value: 'N', description: "preview: the front's HTTP port on 127.0.0.1 (1024-65535)", default: '8080' },
    requests: { type: 'string', value: 'N', description: 'preview: requests sent per service to show where they go (1-100000)', default: '200' },
  },
};

/** The usage line, printed on bad usage (exit 2). */
export const FRONT_USAGE = usageText(FRONT_ARGS);

/** `ase front …`: the arguments after `front`; the exit code back (preview keeps serving). */
export async function main(argv: string[]): Promise<number> {
  const { help, values, positionals } = parseCommandArgs(FRONT_ARGS, argv);
  if (help) {
    process.stdout.write(`${commandHelp(FRONT_ARGS)}\n`);
    return 0;
  }
  const folder = values.environments as string;
  const [command, envName, dir] = positionals;
  if (command === 'render') {
    if (positionals.length !== 3) throw usageError(FRONT_ARGS, `render takes <env> <dir>, got ${positionals.length - 1} argument(s)`);
    return render(planEnvironment(loadEnvironment(envName, folder)), resolve(dir));
  }
  if (command === 'preview') {
    if (positionals.length !== 2) throw usageError(FRONT_ARGS, `preview takes <env>, got ${positionals.length - 1} argument(s)`);
    const port = intFlag(FRONT_ARGS, 'port', values.port as string, 1024, 65535);
    const requests = intFlag(FRONT_ARGS, 'requests', values.requests as string, 1, 100_000);
    return preview(planEnvironment(loadEnvironment(envName, folder)), port, requests);
  }
  if (command === undefined) throw usageError(FRONT_ARGS, 'say render or preview');
  const near = suggest(command, ['render', 'preview']);
  throw usageError(FRONT_ARGS, `unknown mode '${printable(command)}'${near ? ` (${near})` : ''}: render or preview`);
}
