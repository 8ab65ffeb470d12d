/**
 * Node pools (seed 002): several services share a pool's VMs, each on its own planned ports. A VM
 * joins the backend pools of one internal load balancer only, so each pool slot has one load
 * balancer with a frontend per service. The pool is one placement: one subnet, one NSG, one
 * stack, one lock entry per slot.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatIssue } from '../../lib/spec/issues';
import type { EnvironmentSpec } from '../../lib/spec/schema';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../stacks/synthesize';
import { changedResources, exampleSpec, FRONT_BLOB_ADDRESSES, resourceAt, resourcesOf, synthStacks, tempDir, type Json, exampleStacks } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const ART = (svc: string) => ({ url: `https://stretailreleases.blob.core.windows.net/releases/${svc}/1.0.0.tar.gz`, sha256: 'c'.repeat(64) });

function withPool(): EnvironmentSpec {
  const spec = exampleSpec();
  spec.pools = [{ name: 'highcpu', block: 10, vmSize: 'Standard_F8s_v2', capacity: { min: 3, default: 3, max: 12 } }];
  spec.services.push(
    { name: 'search', block: 4, pool: 'highcpu', instancesPerVm: 2, healthPath: '/ready', slots: { blue: { version: '1.0.0', artifact: ART('search') }, green: { version: '1.0.0', artifact: ART('search') } }, traffic: { live: 'blue' } },
    { name: 'recommend', block: 5, pool: 'highcpu', slots: { blue: { version: '1.0.0', artifact: ART('recommend') }, green: { version: '1.0.0', artifact: ART('recommend') } }, traffic: { live: 'green' } },
  );
  return spec;
}

const problems = (spec: unknown) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map(formatIssue);
};

describe('a pool shared by two services', () => {
  const baseline = exampleStacks();
  const stacks = synthStacks(withPool());
  const pool = JSON.parse(stacks['retail-pool-highcpu']) as Json;

  test('is one stack; its services get no stacks of their own, and no other compute stack changes', () => {
    expect(Object.keys(stacks)).toEqual(['retail-front', 'retail-identities', 'retail-monitor', 'retail-network', 'retail-pool-highcpu', 'retail-svc-catalog', 'retail-svc-order-processing', 'retail-svc-pricing', 'retail-vault']);
    for (const s of ['retail-svc-catalog', 'retail-svc-order-processing', 'retail-svc-pricing']) expect({ s, json: stacks[s] }).toEqual({ s, json: baseline[s] });
    // the front serves the two new services: its config and table change, nothing else of it
    expect(changedResources(baseline['retail-front'], stacks['retail-front'])).toEqual(FRONT_BLOB_ADDRESSES);
  });

  test('each slot has one load balancer with a frontend per service on its planned IP, and rules on the right frontend', () => {
    const lb = resourceAt(pool, 'azurerm_lb', 'green_lb_lb');
    expect(lb.name).toBe('lbi-retail-pool-highcpu-green');
    expect(lb.frontend_ip_configuration.map((f: Json) => [f.name, f.private_ip_address])).toEqual([
      ['recommend', '10.20.1.14'],
      ['search', '10.20.1.12'],
    ]);
    expect(resourceAt(pool, 'azurerm_lb_rule', 'green_lb_rule-10048')).toMatchObject({ frontend_ip_configuration_name: 'search', frontend_port: 10048 });
    expect(resourceAt(pool, 'azurerm_lb_rule', 'green_lb_rule-10064')).toMatchObject({ frontend_ip_configuration_name: 'recommend', frontend_port: 10064 });
    expect(resourceAt(pool, 'azurerm_lb_probe', 'green_lb_probe-10049')).toMatchObject({ request_path: '/ready' });
    expect(resourceAt(pool, 'azurerm_lb_probe', 'green_lb_probe-10064')).toMatchObject({ request_path: '/health' });
    expect(Object.keys(resourcesOf(pool, 'azurerm_lb'))).toEqual(['blue_lb_lb', 'green_lb_lb']);
  });

  test("each slot's VMs run every service of the pool on its planned ports, with that slot's versions", () => {
    const vmss = resourceAt(pool, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
    expect(vmss).toMatchObject({ name: 'vmss-retail-pool-highcpu-blue', sku: 'Standard_F8s_v2', instances: 3, computer_name_prefix: 'pool-highcpu-blue' });
    const text = decodeCustomData(vmss.custom_data);
    // the slot's versions travel in the user data, one entry per service of the pool
    const release = JSON.parse(Buffer.from(vmss.user_data, 'base64').toString('utf8'));
    expect(release.slot).toBe('blue');
    expect(Object.keys(release.services)).toEqual(['recommend', 'search']);
    expect(parse(text).runcmd[1]).toEqual(['systemctl', 'enable', '--now', '--no-block', 'vm-health.service', 'slotenv-release-agent.service', 'slotenv-drain.service', 'recommend@10064.service', 'search@10048.service', 'search@10049.service']);
    const file = join(tempDir(), 'user-data');
    writeFileSync(file, text);
    const r = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });

  test('the pool has one subnet and one NSG admitting the front on both services\u2019 ports', () => {
    const network = JSON.parse(stacks['retail-network']) as Json;
    expect(resourceAt(network, 'azurerm_subnet', 'network_pool-highcpu-subnet')).toMatchObject({ name: 'snet-pool-highcpu', address_prefixes: ['10.20.12.0/24'] });
    expect(resourceAt(network, 'azurerm_network_security_rule', 'network_pool-highcpu-allow-input-from-front')).toMatchObject({
      source_address_prefix: '10.20.0.0/24',
      destination_address_prefix: '10.20.12.0/24',
      destination_port_ranges: ['10064', '10048-10049'],
    });
    // pooled services have no subnet of their own
    expect(Object.keys(resourcesOf(network, 'azurerm_subnet')).filter((a) => /search|recommend/.test(a))).toEqual([]);
  });

  test('matches the snapshot', () => {
    expect(pool).toMatchSnapshot();
  });

  test('the lock records the pool slots', () => {
    const dir = tempDir();
    expect(synthesize([{ file: 'retail.ts', spec: withPool(), issues: [] }], join(dir, 'out'), { lockDir: dir }).ok).toBe(true);
    const lock = JSON.parse(require('node:fs').readFileSync(join(dir, 'retail.lock.json'), 'utf8')) as Json; // eslint-disable-line @typescript-eslint/no-require-imports
    expect(Object.keys(lock.scaleSets)).toEqual(expect.arrayContaining(['pool-highcpu/blue', 'pool-highcpu/green']));
    expect(Object.keys(lock.scaleSets).filter((k) => /search|recommend/.test(k))).toEqual([]);
  });

  test('moving a service onto a pool changes only its own stack, the pool stack and the network', () => {
    const more = withPool();
    const catalog = more.services[2];
    more.services[2] = { ...catalog, pool: 'highcpu', vmSize: undefined, capacity: undefined };
    const after = synthStacks(more);
    expect(after['retail-svc-catalog']).toBeUndefined();
    for (const s of ['retail-svc-order-processing', 'retail-svc-pricing', 'retail-front']) expect({ s, json: after[s] }).toEqual({ s, json: stacks[s] });
  });
});

describe('pool validation', () => {
  test('a service on a pool may not set what the pool owns; one without needs vmSize and capacity', () => {
    const spec = withPool();
    spec.services[3].vmSize = 'Standard_D2s_v5';
    delete spec.services[1].vmSize;
    expect(problems(spec)).toEqual([
      'services[1].vmSize: required field is missing (without a pool, a service needs its own vmSize)',
      "services[3].vmSize: comes from pool 'highcpu'; a service on a pool cannot set it (set it on the pool, or remove pool)",
    ]);
  });

  test('refuses an unknown pool with a suggestion, an unused pool, and a block a service already has', () => {
    const spec = withPool();
    spec.services[4].pool = 'highcpus';
    spec.pools!.push({ name: 'spare', block: 2, vmSize: 'Standard_F4s_v2', capacity: { min: 2, default: 2, max: 4 } });
    expect(problems(spec)).toEqual([
      "pools[1].name: no service runs on pool 'spare' (remove the pool, or give a service pool: 'spare')",
      "services[1].block: block 2 is already pools[1]'s (each pool and service needs its own block)",
      "services[4].pool: names no declared pool: 'highcpus' (did you mean 'highcpu'?)",
    ]);
  });

  test("counts the pool's VMs against the quota of its family", () => {
    const spec = withPool();
    spec.quotas = { standardFSv2Family: 100 };
    expect(problems(spec)).toEqual([
      'quotas.standardFSv2Family: 240 vCPUs at peak (pool highcpu 30 × 8) exceed the quota of 100 (request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge)',
    ]);
  });
});
