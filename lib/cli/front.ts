/**
 * `ase front` (in this repository `npm run front -- …`): the front's config, run locally.
 *   render <env> <dir>     write the environment's nginx.conf (as the VMs run it) and routing.json;
 *                          with regions, each other region's in <dir>/<region>/
 *   preview <env>          run that config with real nginx on loopback against stub backends on
 *                          each slot's planned ports (ILB addresses mapped to 127.x.y.z), print
 *                          where requests go, and keep serving until Ctrl-C; with regions, one
 *                          front per region on consecutive ports, forwarding to each other
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
import { linkRegions, planEnvironment, type EnvironmentPlan } from '../spec/plan';
import { regionalEnvironments } from '../spec/regional';
import type { Environment } from '../spec/schema';
import { commandHelp, intFlag, parseCommandArgs, printable, usageError, usageText, type CommandArgs } from './args';
import { CommandError } from './command';
import { suggest } from '../spec/issues';
import { DEFAULT_ENVIRONMENTS, loadEnvironment } from './environments';


/** Each region's plan, linked (one plan when the environment has one region). */
function regionPlans(env: Environment): EnvironmentPlan[] {
  const regional = regionalEnvironments(env);
  return linkRegions(regional.map((r) => planEnvironment(r.env)), regional.map((r) => r.code));
}

/** The first region's config and table in `dir`; another region's in `dir/<region>/`. */
function render(plans: readonly EnvironmentPlan[], dir: string): number {
  for (const [i, plan] of plans.entries()) {
    const into = i === 0 ? dir : join(dir, plan.regions!.self.name);
    mkdirSync(into, { recursive: true });
    writeFileSync(join(into, 'nginx.conf'), renderFrontConf(plan));
    writeFileSync(join(into, 'routing.json'), routingTableJson(frontRoutingTable(plan)));
    process.stdout.write(`wrote ${join(into, 'nginx.conf')} and ${join(into, 'routing.json')}${plans.length > 1 ? ` (${plan.regions!.self.name})` : ''}\n`);
  }
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
        // '<service> <slot> <port>', and with regions ' <region>': the slot, in its region
        res.on('end', () => {
          const [, slot, , region] = body.trim().split(' ');
          resolveGet(res.statusCode === 200 ? (region ? `${region} ${slot}` : slot) : `HTTP ${res.statusCode}`);
        });
      })
      .on('error', (e) => resolveGet(`error ${e.message}`));
  });
}

interface PreviewFront {
  readonly plan: EnvironmentPlan;
  readonly region?: string;
  readonly services: FrontServiceConfig[];
  readonly port: number;
  readonly statusPort: number;
  readonly dir: string;
  readonly pidFile: string;
  readonly nginx: (...args: string[]) => ReturnType<typeof spawnSync>;
}

/** Each region's stub addresses: the plan's with the first octet 127; another region whose addresses would collide moves to 127.(200 + its index). */
function loopbackPlans(plans: readonly EnvironmentPlan[]): Array<{ plan: EnvironmentPlan; services: FrontServiceConfig[] }> {
  const taken = new Set<string>();
  return plans.map((plan, i) => {
    const keyed = (svcs: FrontServiceConfig[]) => svcs.flatMap((svc) => (['blue', 'green'] as const).flatMap((slot) => svc.slots[slot].ports.map((p) => `${svc.slots[slot].address}:${p}`)));
    let services = onLoopback(frontServices(plan));
    if (keyed(services).some((k) => taken.has(k))) {
      const move = (address: string) => address.replace(/^127\.\d+\./, `127.${200 + i}.`);
      services = services.map((svc) => ({ ...svc, slots: { blue: { ...svc.slots.blue, address: move(svc.slots.blue.address) }, green: { ...svc.slots.green, address: move(svc.slots.green.address) } } }));
      const clash = keyed(services).find((k) => taken.has(k));
      if (clash) throw new CommandError(`front preview: the stub address ${clash} of ${plan.env.name} is taken by another region's stub; preview the regions one by one`);
    }
    for (const k of keyed(services)) taken.add(k);
    return { plan, services };
  });
}

/** One region's front: its config and table in a temp folder, its stubs, nginx started. */
async function startPreviewFront(plan: EnvironmentPlan, services: FrontServiceConfig[], port: number, peers: ReadonlyArray<{ name: string; port: number }>, stubs: http.Server[]): Promise<PreviewFront> {
  const dir = mkdtempSync(join(tmpdir(), `front-${plan.env.name}-`));
  const paths = localFrontPaths(dir);
  const conf = join(dir, 'nginx.conf');
  const nginx = (...args: string[]) => spawnSync('nginx', [...args, '-c', conf, '-p', `${dir}/`], { encoding: 'utf8' });
  const region = plan.regions?.self.name;
  try {
    mkdirSync(paths.temp, { recursive: true });
    // the guard's state, written by the workers (nobody, when nginx runs as root)
    mkdirSync(dirname(paths.guardState), { recursive: true, mode: 0o777 });
    chmodSync(dirname(paths.guardState), 0o777);
    chmodSync(dir, 0o711);
    writeFileSync(paths.table, routingTableJson(frontRoutingTable(plan)));
    // the status and admin ports: free ones, so nothing else on this machine collides
    const statusPort = await freePort();
    const adminPort = await freePort();
    // with regions, the other regions' fronts on their preview ports; they forward from 127.0.0.1
    const regionInput = region ? { region: { name: region, peers: peers.map((p) => ({ name: p.name, address: '127.0.0.1', port: p.port, cidrs: ['127.0.0.1/32'] })) } } : {};
    writeFileSync(conf, renderNginxConf({ environment: plan.env.name, services, listenAddress: '127.0.0.1', ports: { http: port }, statusPort, adminPort, paths, workerProcesses: 1, ...regionInput }));
    for (const svc of services) {
      for (const slot of ['blue', 'green'] as const) {
        for (const p of svc.slots[slot].ports) {
          const s = http.createServer((_, res) => res.end(`${svc.name} ${slot} ${p}${region ? ` ${region}` : ''}\n`));
          await new Promise<void>((ok, bad) => s.once('error', bad).listen(p, svc.slots[slot].address, ok)).catch((e: Error) => {
            throw new CommandError(`cannot start the stub for ${svc.name}/${slot} on ${svc.slots[slot].address}:${p}: ${e.message}`);
          });
          stubs.push(s);
        }
      }
    }
    const test = nginx('-t');
    if (test.status !== 0) throw new CommandError(`nginx -t refused the rendered config of ${plan.env.name}:\n${test.stderr}`);
    const started = nginx();
    if (started.status !== 0) throw new CommandError(`nginx did not start for ${plan.env.name}:\n${started.stderr}`);
    return { plan, ...(region ? { region } : {}), services, port, statusPort, dir, pidFile: paths.pid, nginx };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Starts nginx and the stubs (one front per region, the first region's on `port`, the next on
 * port + 1 ...), prints the tables, and returns; the process serves until a signal.
 */
async function preview(plans: readonly EnvironmentPlan[], port: number, requests: number): Promise<number> {
  if (spawnSync('nginx', ['-v']).status !== 0) throw new CommandError('front preview needs nginx with its Lua module: npm test installs them (Debian: nginx libnginx-mod-http-lua lua-cjson)');
  if (port + plans.length - 1 > 65535) throw new CommandError(`front preview: ${plans.length} regions need ports ${port}-${port + plans.length - 1}; pick a lower --port`);
  const regions = plans.map((p, i) => ({ name: p.regions?.self.name ?? p.env.region, port: port + i }));
  const stubs: http.Server[] = [];
  const fronts: PreviewFront[] = [];
  const cleanUp = () => {
    for (const s of stubs) s.close();
    for (const f of fronts) rmSync(f.dir, { recursive: true, force: true });
  };
  try {
    for (const [i, { plan, services }] of loopbackPlans(plans).entries()) {
      fronts.push(await startPreviewFront(plan, services, port + i, regions.filter((_, j) => j !== i), stubs));
    }
  } catch (e) {
    for (const f of fronts) f.nginx('-s', 'stop');
    cleanUp();
    throw e;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const pids = fronts.map((f) => {
      try {
        return Number(readFileSync(f.pidFile, 'utf8'));
      } catch {
        return 0; // not started
      }
    });
    for (const f of fronts) f.nginx('-s', 'quit');
    const until = Date.now() + 10_000;
    const wait = () => {
      const alive = pids.some((pid) => {
        try {
          if (pid) process.kill(pid, 0);
          return pid > 0;
        } catch {
          return false;
        }
      });
      if (alive && Date.now() < until) return void setTimeout(wait, 50);
      cleanUp();
      process.stdout.write('front preview stopped\n');
      process.exit(0);
    };
    wait();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise((r) => setTimeout(r, 300));

  const several = fronts.length > 1;
  for (const f of fronts) {
    process.stdout.write(`front of ${f.plan.env.name}${several ? ` (${f.region})` : ''} on http://127.0.0.1:${f.port} (status: http://127.0.0.1:${f.statusPort}/status), stub backends on loopback\n`);
  }
  for (const f of fronts) {
    process.stdout.write(`\n${several ? `requests to the ${f.region} front\n` : ''}`);
    process.stdout.write(`${'service'.padEnd(20)} ${'host or prefix'.padEnd(36)} ${'traffic'.padEnd(34)} answered (${requests} requests)\n`);
    for (const svc of f.services) {
      const t = f.plan.env.services.find((s) => s.name === svc.name)!.traffic;
      const host = svc.pathPrefix ?? svc.hosts[0];
      const counts: Record<string, number> = {};
      for (let i = 0; i < requests; i++) {
        const slot = svc.pathPrefix ? await get(f.port, `${f.plan.env.name}.preview`, svc.pathPrefix) : await get(f.port, host);
        counts[slot] = (counts[slot] ?? 0) + 1;
      }
      const shares = t.regions ? `, ${Object.entries(t.regions.shares).map(([r, v]) => `${r} ${v}%`).join(' ')}` : '';
      const traffic = `live ${t.live}${t.weight > 0 ? `, ${t.weight}% to the other` : ''}${t.rules.length ? `, ${t.rules.length} rule(s)` : ''}${t.mirror ? `, mirror ${t.mirror}%` : ''}${t.guard ? ', guarded' : ''}${shares}`;
      const answered = Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(`${svc.name.padEnd(20)} ${host.padEnd(36)} ${traffic.padEnd(34)} ${answered}\n`);
    }
  }
  process.stdout.write(`\ntry: curl -H 'Host: ${fronts[0].services[0]?.hosts[0] ?? ''}' http://127.0.0.1:${port}/   (Ctrl-C stops)\n`);
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
    port: { type: 'string', value: 'N', description: "preview: the front's HTTP port on 127.0.0.1 (1024-65535); with regions the first region's, the next on N+1 and so on", default: '8080' },
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
    return render(regionPlans(loadEnvironment(envName, folder)), resolve(dir));
  }
  if (command === 'preview') {
    if (positionals.length !== 2) throw usageError(FRONT_ARGS, `preview takes <env>, got ${positionals.length - 1} argument(s)`);
    const port = intFlag(FRONT_ARGS, 'port', values.port as string, 1024, 65535);
    const requests = intFlag(FRONT_ARGS, 'requests', values.requests as string, 1, 100_000);
    return preview(regionPlans(loadEnvironment(envName, folder)), port, requests);
  }
  if (command === undefined) throw usageError(FRONT_ARGS, 'say render or preview');
  const near = suggest(command, ['render', 'preview']);
  throw usageError(FRONT_ARGS, `unknown mode '${printable(command)}'${near ? ` (${near})` : ''}: render or preview`);
}
