/**
 * The front's commands (`npm run front -- …`):
 *   render <env> <dir>     write the environment's nginx.conf (as the VMs run it) and routing.json
 *   preview <env>          run that config with real nginx on loopback against stub backends on
 *                          each slot's planned ports (ILB addresses mapped to 127.x.y.z), print
 *                          where requests go, and keep serving until Ctrl-C
 * Options: --environments DIR (default stacks/environments), --port N (preview: the front's
 * HTTP port, default 8080), --requests N (preview: requests per service, default 200).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { frontServices, onLoopback, renderFrontConf } from '../lib/front/model';
import { localFrontPaths, renderNginxConf, type FrontServiceConfig } from '../lib/front/nginx-conf';
import { routingTable, routingTableJson } from '../lib/slots/traffic';
import { environmentFiles, loadSpecFile } from '../lib/spec/load';
import { planEnvironment, type EnvironmentPlan } from '../lib/spec/plan';
import { formatProblems, validateAll } from '../stacks/synthesize';

const USAGE = 'usage: front render <env> <dir> | front preview <env> [--port 8080] [--requests 200] [--environments DIR]';

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function loadPlan(envName: string, environments?: string): EnvironmentPlan {
  // run through scripts/app.js, this file and the environment files are transpiled side by side in .build/
  const dir = environments ? resolve(environments) : resolve(__dirname, '..', 'stacks', 'environments');
  const specs = environmentFiles(dir).map((f) => loadSpecFile(dir, f));
  const { environments: envs, problems } = validateAll(specs);
  const env = envs.find((e) => e.name === envName);
  if (!env) {
    if (problems.length > 0) fail(`${formatProblems(problems, environments ?? 'stacks/environments')}`);
    fail(`no environment named '${envName}' in ${environments ?? 'stacks/environments'} (there: ${envs.map((e) => e.name).join(', ') || 'none'})`);
  }
  return planEnvironment(env);
}

function render(plan: EnvironmentPlan, dir: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), renderFrontConf(plan));
  writeFileSync(join(dir, 'routing.json'), routingTableJson(routingTable(plan.env)));
  process.stdout.write(`wrote ${join(dir, 'nginx.conf')} and ${join(dir, 'routing.json')}\n`);
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

async function preview(plan: EnvironmentPlan, port: number, requests: number) {
  if (spawnSync('nginx', ['-v']).status !== 0) fail('front preview needs nginx with its Lua module: npm test installs them (Debian: nginx libnginx-mod-http-lua lua-cjson)');
  const services: FrontServiceConfig[] = onLoopback(frontServices(plan));
  const dir = mkdtempSync(join(tmpdir(), `front-${plan.env.name}-`));
  const paths = localFrontPaths(dir);
  mkdirSync(paths.temp, { recursive: true });
  writeFileSync(paths.table, routingTableJson(routingTable(plan.env)));
  const conf = join(dir, 'nginx.conf');
  // the status and admin ports: free ones, so nothing else on this machine collides
  const [statusPort, adminPort] = [await freePort(), await freePort()];
  writeFileSync(conf, renderNginxConf({ environment: plan.env.name, services, listenAddress: '127.0.0.1', ports: { http: port }, statusPort, adminPort, paths, workerProcesses: 1 }));
  const stubs: http.Server[] = [];
  for (const svc of services) {
    for (const slot of ['blue', 'green'] as const) {
      for (const p of svc.slots[slot].ports) {
        const s = http.createServer((_, res) => res.end(`${svc.name} ${slot} ${p}\n`));
        await new Promise<void>((ok, bad) => s.once('error', bad).listen(p, svc.slots[slot].address, ok)).catch((e: Error) => fail(`cannot start the stub for ${svc.name}/${slot} on ${svc.slots[slot].address}:${p}: ${e.message}`));
        stubs.push(s);
      }
    }
  }
  const nginx = (...args: string[]) => spawnSync('nginx', [...args, '-c', conf, '-p', `${dir}/`], { encoding: 'utf8' });
  const test = nginx('-t');
  if (test.status !== 0) fail(`nginx -t refused the rendered config:\n${test.stderr}`);
  const started = nginx();
  if (started.status !== 0) fail(`nginx did not start:\n${started.stderr}`);
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
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { environments: { type: 'string' }, port: { type: 'string', default: '8080' }, requests: { type: 'string', default: '200' } },
  });
  const [command, envName, dir] = positionals;
  if (command === 'render' && envName && dir && positionals.length === 3) return render(loadPlan(envName, values.environments), resolve(dir));
  if (command === 'preview' && envName && positionals.length === 2) {
    const port = Number(values.port);
    const requests = Number(values.requests);
    if (!Number.isInteger(port) || port < 1024 || port > 65535) fail(`--port: expected 1024-65535, got ${values.port}`, 2);
    if (!Number.isInteger(requests) || requests < 1 || requests > 100_000) fail(`--requests: expected 1-100000, got ${values.requests}`, 2);
    return preview(loadPlan(envName, values.environments), port, requests);
  }
  fail(USAGE, 2);
}

main().catch((e: Error) => fail(`front: ${e.message}`));
