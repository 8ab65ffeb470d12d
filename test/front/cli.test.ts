/**
 * `ase front render` and `ase front preview` as users run them in this repository
 * (`npm run front -- …`, i.e. `node scripts/app.js lib/cli/main.ts front …`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { renderFrontConf } from '../../lib/front/model';
import { routingTable, routingTableJson } from '../../lib/slots/traffic';
import { exampleSpec, planOf, tempDir } from '../helpers';
import { freePorts, request, waitFor } from './harness';

const root = resolve(__dirname, '..', '..');
const front = (...args: string[]) => spawnSync(process.execPath, ['scripts/app.js', 'lib/cli/main.ts', 'front', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

test('render writes the config the VMs run and the table the front stack writes', () => {
  const dir = tempDir('front-render-');
  const r = front('render', 'retail', dir);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const plan = planOf(exampleSpec());
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(renderFrontConf(plan));
  expect(readFileSync(join(dir, 'routing.json'), 'utf8')).toBe(routingTableJson(routingTable(plan.env)));
});

test('bad usage exits 2 with the usage; an unknown environment exits 1 naming the ones there', () => {
  const usage = front('render', 'retail');
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/^ase front: render takes <env> <dir>, got 1 argument\(s\)\nusage: ase front render <env> <dir>/);
  const unknown = front('render', 'retial', tempDir());
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toBe("no environment named 'retial' in stacks/environments (there: retail)\n");
});

test('preview serves the example on loopback, prints where requests go, and stops cleanly on Ctrl-C', async () => {
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, ['scripts/app.js', 'lib/cli/main.ts', 'front', 'preview', 'retail', '--port', String(port), '--requests', '20'], { cwd: root });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(() => out.includes('Ctrl-C stops'), 20_000);
    expect(out).toMatch(/^pricing +pricing\.retail\.internal +live blue, guarded +blue 20$/m);
    expect(out).toMatch(/^order-processing +order-processing\.retail\.internal +live green +green 20$/m);
    expect((await request({ port, host: 'catalog.retail.internal' })).body).toMatch(/^catalog blue \d+\n$/);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('front preview stopped');
  await expect(request({ port, host: 'catalog.retail.internal' })).rejects.toThrow(/ECONNREFUSED/);
});

/** A free port whose next port is free too (the second region's front takes port + 1). */
async function consecutiveFreePorts(): Promise<number> {
  for (;;) {
    const [port] = await freePorts(1);
    const next = await new Promise<boolean>((ok) => {
      const s = net.createServer();
      s.once('error', () => ok(false));
      s.listen(port + 1, '127.0.0.1', () => s.close(() => ok(true)));
    });
    if (next && port < 65535) return port;
  }
}

test('preview of an environment in two regions: a front per region on consecutive ports, each forwarding its planned share to the other', async () => {
  const folder = tempDir('front-regions-');
  const s = exampleSpec() as ReturnType<typeof exampleSpec> & Record<string, any>;
  s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  s.services[0].regions = ['westeurope', 'northeurope'];
  s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
  writeFileSync(join(folder, 'retail.json'), JSON.stringify(s));
  const port = await consecutiveFreePorts();
  const child = spawn(process.execPath, ['scripts/app.js', 'lib/cli/main.ts', 'front', 'preview', 'retail', '--port', String(port), '--requests', '200', '--environments', folder], { cwd: root });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(() => out.includes('Ctrl-C stops'), 40_000);
    expect(out).toContain(`front of retail (westeurope) on http://127.0.0.1:${port} `);
    expect(out).toContain(`front of retail-ne (northeurope) on http://127.0.0.1:${port + 1} `);
    // each front's pricing requests: about 10 % (west) and 90 % (north) served by the other region's blue slot
    const rows = [...out.matchAll(/^pricing +pricing\.retail\.internal +live blue, guarded, westeurope 90% northeurope 10% +northeurope blue (\d+), westeurope blue (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(rows).toHaveLength(2);
    const [west, north] = rows;
    expect(west[0] + west[1]).toBe(200);
    expect(west[0]).toBeGreaterThan(3); // 10 % of 200: 20, σ 4.2
    expect(west[0]).toBeLessThan(45);
    expect(north[1]).toBeGreaterThan(155);
    // catalog runs in the first region only: its front serves it, the second region's front does not know it
    expect(out).toMatch(/^catalog +catalog\.retail\.internal +live blue +westeurope blue 200$/m);
    expect((await request({ port: port + 1, host: 'catalog.retail.internal' })).status).toBe(404);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('front preview stopped');
  await expect(request({ port: port + 1, host: 'pricing.retail.internal' })).rejects.toThrow(/ECONNREFUSED/);
}, 60_000);
