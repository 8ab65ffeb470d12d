/**
 * `ase front render` and `ase front preview` as users run them in this repository
 * (`npm run front -- …`, i.e. `node scripts/app.js lib/cli/main.ts front …`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    expect(out).toMatch(/^pricing +pricing\.retail\.internal +live blue +blue 20$/m);
    expect(out).toMatch(/^order-processing +order-processing\.retail\.internal +live green +green 20$/m);
    expect((await request({ port, host: 'catalog.retail.internal' })).body).toMatch(/^catalog blue \d+\n$/);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('front preview stopped');
  await expect(request({ port, host: 'catalog.retail.internal' })).rejects.toThrow(/ECONNREFUSED/);
});
