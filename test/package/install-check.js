#!/usr/bin/env node
/**
 * The package as a user gets it: `npm pack` (its prepack runs `npm run build`, both variants),
 * then the tarball installed into a fresh app outside the repository for each runtime: a cdktf
 * app beside cdktf, constructs and @cdktf/provider-azurerm, and a CDK Terrain app beside cdktn,
 * constructs and @cdktn/provider-azurerm, each at the versions this repository pins (from the
 * registry, cache first), importing the variant's entry (`azure-slot-environments`,
 * `azure-slot-environments/cdktn`). `--only cdktf|cdktn` checks one. The app uses
 * ScaleSet and InternalLoadBalancer directly with its own provider and stack, no environment
 * spec; it is compiled with this repository's TypeScript against the installed .d.ts (with a
 * deliberate type error that must be caught, so the types cannot have decayed to `any`), run to
 * synthesize, and its cdk.tf.json checked. The `ase` bin runs from the app too, rendering the
 * front of a JSON environment in the app's own stacks/environments/. The tarball must hold every
 * program the VMs run (lib/compute/vm/, lib/front/vm/, lib/front/lua/ under dist/), and the
 * installed package must render them into a service VM's custom data byte for byte from there.
 *
 * Run by .ci/run (`npm run test:package`), kept out of the jest suite.
 * Prints each step's time; exit 1 with the reason on any failure. Temp folders are removed.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ase-package-'));
const t0 = Date.now();
let last = t0;
const step = (what) => {
  const now = Date.now();
  process.stdout.write(`${what}: ${((now - last) / 1000).toFixed(1)} s\n`);
  last = now;
};
const fail = (why) => {
  throw new Error(why);
};
const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_update_notifier: 'false' } });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The programs the VMs run (lib/compute/vm/, lib/front/vm/, the router's entry): each must be in the tarball. */
const VM_PROGRAMS = [
  'lib/compute/vm/retry.sh',
  'lib/compute/vm/fetch-release.sh',
  'lib/compute/vm/publish-certs.sh',
  'lib/compute/vm/fetch-secrets.py',
  'lib/compute/vm/release-agent.py',
  'lib/compute/vm/vm-health.py',
  'lib/front/vm/front-agent.sh',
  'lib/front/vm/conf-guard.py',
  'lib/front/lua/router.lua',
];
const walk = (dir, files = []) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, files);
    else files.push(p);
  }
  return files;
};

/** Run in the app: the installed package renders a service VM's custom data from its own dist/ files, byte for byte. */
const RENDER_CHECK = (entry) => `const fs = require('node:fs');
const path = require('node:path');
const { renderCloudInit } = require('${entry}');
const { parse } = require('yaml');
const dist = path.dirname(require.resolve('${entry}'));
const doc = parse(renderCloudInit({
  slot: 'blue',
  identityResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-orders',
  services: [{ service: 'orders', version: '1.0.0', ports: [8080], healthPath: '/health', settings: {}, secrets: { DB: 'db' }, vaultName: 'kv-orders', certificates: ['tls'] }],
}));
const written = Object.fromEntries(doc.write_files.map((f) => [path.basename(f.path), f.content]));
const programs = { 'retry': 'retry.sh', 'fetch-release': 'fetch-release.sh', 'publish-certs': 'publish-certs.sh', 'fetch-secrets': 'fetch-secrets.py', 'release-agent': 'release-agent.py', 'vm-health.py': 'vm-health.py' };
for (const [onVm, file] of Object.entries(programs)) {
  const want = fs.readFileSync(path.join(dist, 'compute', 'vm', file), 'utf8');
  if (written[onVm] !== want) { console.error(onVm + ' in custom data is not ' + file + ' from ' + dist); process.exit(1); }
}
// the drain agent travels gzip-packed (encoding gz+b64): unpacked, it is drain.py byte for byte
const drain = require('node:zlib').gunzipSync(Buffer.from(written['drain'] ?? '', 'base64')).toString('utf8');
if (drain !== fs.readFileSync(path.join(dist, 'compute', 'vm', 'drain.py'), 'utf8')) { console.error('drain in custom data is not drain.py from ' + dist); process.exit(1); }
console.log((Object.keys(programs).length + 1) + ' programs from ' + path.relative(process.cwd(), dist));
`;

const APP = (v) => `import { AzurermProvider } from '${v.provider}/lib/provider';
import { App, TerraformStack } from '${v.runtime}';
import type { Construct } from 'constructs';
import { InternalLoadBalancer, ScaleSet, type ScaleSetProps } from '${v.entry}';

const sub = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers';

class OrdersStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AzurermProvider(this, 'azurerm', { features: [{}], subscriptionId: '00000000-0000-0000-0000-000000000000' });
    const lb = new InternalLoadBalancer(this, 'lb', {
      name: 'lb-orders',
      resourceGroupName: 'rg-orders',
      location: 'westeurope',
      frontendSubnetId: \`\${sub}/Microsoft.Network/virtualNetworks/vnet/subnets/frontends\`,
      frontends: [{ name: 'frontend', ip: '10.0.1.5', ports: [8080, 8081], healthPath: '/health' }],
      zones: ['1', '2', '3'],
    });
    const props: ScaleSetProps = {
      name: 'vmss-orders',
      resourceGroupName: 'rg-orders',
      location: 'westeurope',
      subnetId: \`\${sub}/Microsoft.Network/virtualNetworks/vnet/subnets/orders\`,
      vmSize: 'Standard_D2s_v5',
      initialInstances: 3,
      zones: ['1', '2', '3'],
      adminUsername: 'azureuser',
      sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDNeDN+vn83rx9szpy8qdfK21JN/IBTFMfPsqxJP+FW0 ops@example'],
      identityId: \`\${sub}/Microsoft.ManagedIdentity/userAssignedIdentities/id-orders\`,
      cloudInit: '#cloud-config\\npackages: [nginx]\\n',
      loadBalancerBackendPoolIds: [lb.backendPoolId],
    };
    new ScaleSet(this, 'vmss', props);
    // @ts-expect-error vmSize is a string: if the installed types had decayed to any, tsc would fail here
    new ScaleSet(this, 'wrong', { ...props, vmSize: 4 });
  }
}

const app = new App();
new OrdersStack(app, 'orders');
app.synth();
`;

/**
 * The two variants (docs/runtimes.md): each installed into a fresh app of its runtime, with its
 * runtime's packages only. CDK Terrain's azurerm bindings 16.1.0 declare a peer cdktn ^0.23.0,
 * and the registry has cdktn 0.24.0 only: the app's package.json overrides that peer, as
 * docs/getting-started.md tells a user to.
 */
const VARIANTS = [
  { name: 'cdktf', runtime: 'cdktf', provider: '@cdktf/provider-azurerm', entry: 'azure-slot-environments', dist: 'dist/lib', peers: ['cdktf', 'constructs', '@cdktf/provider-azurerm'] },
  { name: 'cdktn', runtime: 'cdktn', provider: '@cdktn/provider-azurerm', entry: 'azure-slot-environments/cdktn', dist: 'dist/cdktn/lib', peers: ['cdktn', 'constructs', '@cdktn/provider-azurerm'], overrides: { '@cdktn/provider-azurerm': { cdktn: '$cdktn' } } },
];
const onlyVariant = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

try {
  // 1. pack (prepack: npm run build)
  const packDir = path.join(tmp, 'pack');
  fs.mkdirSync(packDir);
  run('npm', ['pack', '--silent', '--pack-destination', packDir], root);
  const tarballs = fs.readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) fail(`npm pack wrote ${tarballs.join(', ') || 'nothing'}`);
  const tarball = path.join(packDir, tarballs[0]);
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  // the programs the VMs run ship as files of their own language, beside the modules that read them
  const unexpected = listed.filter((f) => !/^(dist\/(cdktn\/)?lib\/.+\.(js|d\.ts)|dist\/(cdktn\/)?lib\/front\/lua\/[a-z-]+\.lua|dist\/(cdktn\/)?lib\/(compute|front)\/vm\/[a-z-]+\.(sh|py)|bin\/ase\.js|schema\/environment\.schema\.json|README\.md|package\.json|LICENSE)$/.test(f));
  if (unexpected.length > 0) fail(`the tarball holds files it should not: ${unexpected.join(', ')}`);
  for (const v of VARIANTS) {
    for (const f of [`${v.dist}/index.js`, `${v.dist}/index.d.ts`, `${v.dist}/cli/main.js`, 'bin/ase.js', ...VM_PROGRAMS.map((p) => `${v.dist.replace(/lib$/, '')}${p}`)]) if (!listed.includes(f)) fail(`the tarball lacks ${f}`);
    // and every VM-side file in the source, so a new program cannot be left out of the build
    const sourceVmFiles = walk(path.join(root, 'lib')).filter((f) => /\.(lua|py|sh)$/.test(f)).map((f) => `${v.dist.replace(/lib$/, '')}${path.relative(root, f)}`);
    const lacking = sourceVmFiles.filter((f) => !listed.includes(f));
    if (lacking.length > 0) fail(`the tarball lacks the VM-side files ${lacking.join(', ')}`);
  }
  const built = fs.readdirSync(path.join(root, 'dist')).sort();
  if (built.join() !== 'cdktn,lib' || fs.readdirSync(path.join(root, 'dist', 'cdktn')).join() !== 'lib') fail(`npm run build wrote ${built.join(', ')} in dist/ (want cdktn/lib and lib): something in lib/ imports from outside lib/ (stacks/synthesize: import lib/environment/synthesize instead)`);
  step(`pack (build included): ${listed.length} files`);

  for (const v of VARIANTS.filter((x) => onlyVariant === undefined || x.name === onlyVariant)) {
    // 2. a fresh app of the variant's runtime, outside the repository
    const app = path.join(tmp, `app-${v.name}`);
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: 'install-check-app', version: '0.0.0', private: true, ...(v.overrides ? { overrides: v.overrides } : {}) }, null, 2)}\n`);
    const peers = v.peers.map((p) => `${p}@${pkg.devDependencies[p]}`);
    // `cdktf init` installs typescript@latest, which is 7 now (no JavaScript compiler API): the
    // package must install beside it (it brings its own typescript 5) and ase must work
    run('npm', ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', 'typescript@7.0.2'], app);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...peers], app);
    const nested = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json', { paths: [path.join(app, 'node_modules', 'azure-slot-environments')] }), 'utf8')).version;
    const top = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
    if (!nested.startsWith('5.') || !top.startsWith('7.')) fail(`typescript: the app has ${top}, the package resolves ${nested} (expected 7 and 5)`);
    for (const other of VARIANTS.filter((o) => o !== v)) if (fs.existsSync(path.join(app, 'node_modules', other.runtime))) fail(`the ${v.name} app has ${other.runtime} installed too`);
    step(`${v.name}: install (beside typescript ${top}; the package's own ${nested})`);

    // 3. type-check and compile against the installed .d.ts (module node16: resolution through "exports")
    fs.writeFileSync(path.join(app, 'main.ts'), APP(v));
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true, types: [], outDir: 'out' }, files: ['main.ts'] }),
    );
    run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', app], app);
    step(`${v.name}: tsc`);

    // 4. synthesize and check the output
    run(process.execPath, ['out/main.js'], app);
    const stack = JSON.parse(fs.readFileSync(path.join(app, 'cdktf.out', 'stacks', 'orders', 'cdk.tf.json'), 'utf8'));
    const only = (type) => {
      const all = Object.values(stack.resource?.[type] ?? {});
      if (all.length !== 1) fail(`expected one ${type}, got ${all.length}`);
      return all[0];
    };
    const expect = (what, got, want) => {
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    };
    const vmss = Object.values(stack.resource.azurerm_linux_virtual_machine_scale_set ?? {}).find((r) => r.name === 'vmss-orders') ?? fail('no scale set vmss-orders');
    expect('scale set sku', vmss.sku, 'Standard_D2s_v5');
    expect('scale set instances', vmss.instances, 3);
    expect('scale set zones', vmss.zones, ['1', '2', '3']);
    expect('scale set password login', vmss.disable_password_authentication, true);
    expect('scale set upgrade mode', vmss.upgrade_mode, 'Rolling');
    expect('scale set encryption at host', vmss.encryption_at_host_enabled, true);
    expect('scale set ignores instance count changes', vmss.lifecycle?.ignore_changes, ['instances']);
    expect('scale set health extension', vmss.extension?.map((e) => e.type), ['ApplicationHealthLinux']);
    expect('scale set custom data', Buffer.from(vmss.custom_data, 'base64').toString(), '#cloud-config\npackages: [nginx]\n');
    if (!/azurerm_lb_backend_address_pool\..+\.id/.test(JSON.stringify(vmss.network_interface))) fail('the scale set is not in the load balancer backend pool');
    const lb = only('azurerm_lb');
    expect('load balancer sku', lb.sku, 'Standard');
    expect('load balancer frontend', lb.frontend_ip_configuration.map((f) => [f.name, f.private_ip_address, f.private_ip_address_allocation]), [['frontend', '10.0.1.5', 'Static']]);
    const rules = Object.values(stack.resource.azurerm_lb_rule ?? {});
    expect('load balancer rule ports', rules.map((r) => r.frontend_port).sort(), [8080, 8081]);
    const probes = Object.values(stack.resource.azurerm_lb_probe ?? {});
    expect('load balancer probes', probes.map((p) => [p.port, p.protocol, p.request_path]).sort(), [[8080, 'Http', '/health'], [8081, 'Http', '/health']]);
    expect('provider', Object.keys(stack.provider ?? {}), ['azurerm']);
    // the stack says which runtime wrote it, and pins the provider that runtime's bindings are for
    expect('the runtime that synthesized', stack['//']?.metadata?.version, JSON.parse(fs.readFileSync(path.join(app, 'node_modules', v.runtime, 'package.json'), 'utf8')).version);
    step(`${v.name}: synth and checks (azurerm ${stack.terraform.required_providers.azurerm.version})`);

    // 5. the bin
    const help = run(path.join(app, 'node_modules', '.bin', 'ase'), ['--help'], app);
    if (!/^ {2}front {2,}/m.test(help.stdout)) fail(`ase --help lists no front command:\n${help.stdout}`);
    const unknown = spawnSync(path.join(app, 'node_modules', '.bin', 'ase'), ['nope'], { cwd: app, encoding: 'utf8' });
    expect('ase nope exit code', unknown.status, 2);
    // a JSON environment in the app's own stacks/environments/, read from the working directory
    const releases = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-releases/providers/Microsoft.Storage/storageAccounts/stshopreleases';
    const artifact = (v, c) => ({ url: `https://stshopreleases.blob.core.windows.net/releases/catalog/${v}.tar.gz`, sha256: c.repeat(64) });
    const shop = {
      name: 'shop',
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      tenantId: '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a',
      region: 'westeurope',
      network: { addressSpace: '10.30.0.0/16' },
      admin: { sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP6fWOJrA2isGVoPEnlyhKo43rFH7HrIxHQkt/YJmQ3z ops@example'] },
      deployer: { principalId: '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', ipRanges: ['203.0.113.0/28'] },
      artifactStore: { storageAccountId: releases },
      services: [{ name: 'catalog', block: 1, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 8 }, slots: { blue: { version: '7.1.0', artifact: artifact('7.1.0', 'a') }, green: { version: '7.2.0', artifact: artifact('7.2.0', 'b') } }, traffic: { live: 'blue' } }],
    };
    fs.mkdirSync(path.join(app, 'stacks', 'environments'), { recursive: true });
    fs.writeFileSync(path.join(app, 'stacks', 'environments', 'shop.json'), JSON.stringify(shop));
    run(path.join(app, 'node_modules', '.bin', 'ase'), ['front', 'render', 'shop', 'front-out'], app);
    const table = JSON.parse(fs.readFileSync(path.join(app, 'front-out', 'routing.json'), 'utf8'));
    expect('ase front render: routing table', Object.keys(table.services), ['catalog']);
    if (!fs.readFileSync(path.join(app, 'front-out', 'nginx.conf'), 'utf8').includes('catalog.shop.internal')) fail('ase front render: nginx.conf does not serve catalog.shop.internal');
    // ase synth, the app's synth as this repository's: all or nothing, problems located
    const synthOk = run(path.join(app, 'node_modules', '.bin', 'ase'), ['synth', '--out', 'ase.out'], app);
    if (!/^Synthesized \d+ stacks into ase\.out\/: .*shop-svc-catalog/.test(synthOk.stdout)) fail(`ase synth: ${synthOk.stdout}${synthOk.stderr}`);
    if (!fs.existsSync(path.join(app, 'stacks', 'environments', 'shop.lock.json'))) fail('ase synth wrote no lock file beside the environment file');
    const bad = { ...shop, services: [{ ...shop.services[0], capacity: { min: 1, default: 2, max: 8 } }] };
    fs.writeFileSync(path.join(app, 'stacks', 'environments', 'shop.json'), JSON.stringify(bad, null, 2));
    const refused = spawnSync(path.join(app, 'node_modules', '.bin', 'ase'), ['synth', '--out', 'ase.bad'], { cwd: app, encoding: 'utf8' });
    expect('ase synth of a bad spec: exit code', refused.status, 1);
    if (!/stacks\/environments\/shop\.json:\d+:\d+: services\[0\] \(catalog\)\.capacity\.min: got 1/.test(refused.stderr)) fail(`ase synth of a bad spec: ${refused.stderr}`);
    if (fs.existsSync(path.join(app, 'ase.bad'))) fail('ase synth of a bad spec wrote its output folder');
    fs.writeFileSync(path.join(app, 'stacks', 'environments', 'shop.json'), JSON.stringify(shop));
    step(`${v.name}: bin`);

    // 6. the VM-side programs: read by the installed modules beside themselves (dist/), rendered unchanged
    fs.writeFileSync(path.join(app, 'render-check.js'), RENDER_CHECK(v.entry));
    const rendered = run(process.execPath, ['render-check.js'], app);
    if (!new RegExp(`^7 programs from node_modules/azure-slot-environments/${v.dist}$`, 'm').test(rendered.stdout)) fail(`render check: ${rendered.stdout}`);
    step(`${v.name}: VM programs rendered from the installed package`);
  }
  process.stdout.write(`package install check: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`package install check failed: ${e.message}\n`);
  process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
