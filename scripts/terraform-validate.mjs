#!/usr/bin/env node
// `npm run test:terraform`: `terraform validate` with the real providers on every stack the
// environments synthesize, so the provider's own validation (allowed values, ConflictsWith,
// ExactlyOneOf, identity types per resource, time zones...) runs on our output, not only the typed
// bindings' attribute names and types.
//
//   node scripts/terraform-validate.mjs [SYNTH_DIR ...]
//
// With no argument it synthesizes the example (stacks/environments) and every fixture environment
// (scripts/synth-fixtures.mjs, when present) into a temporary folder, the fixtures also on CDK
// Terrain (with the example's StandardV2 NAT gateway, which only cdktn's azurerm 4.73 accepts). Each SYNTH_DIR is a cdktf
// output folder (holding stacks/<name>/cdk.tf.json).
//
// The providers come from scripts/install-providers.sh (built from their Go modules, cached) and
// are given to terraform through `dev_overrides` in a CLI config this script writes: no init, no
// download, nothing written into the stack folders. Then it proves the check can fail: one stack
// is copied with a value the provider refuses, and that copy must be reported at its address.
//
// Exit 0 only when every stack validates with 0 errors and no warning other than the one
// `dev_overrides` always prints (explained in docs/terraform-validate.md).
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import copies from './terraform-validate-copies.js';

const { concretize, to52 } = copies;

const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'ase-tfvalidate-'));
const keep = process.env.ASE_KEEP_TMP === '1';

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// 1. the providers
const install = spawnSync('bash', [join(root, 'scripts/install-providers.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (install.status !== 0) fail('terraform validate: the providers could not be built (see above)');
const cache = install.stdout.trim().split('\n').pop();
const cli = join(work, 'cli.tfrc');
writeFileSync(cli, `provider_installation {\n  dev_overrides {\n    "hashicorp/azurerm" = "${cache}/azurerm"\n    "hashicorp/time" = "${cache}/time"\n  }\n  direct {}\n}\n`);
const env = { ...process.env, TF_CLI_CONFIG_FILE: cli, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
const azurermVersion = readFileSync(join(cache, 'azurerm/.version'), 'utf8').trim();
const timeVersion = readFileSync(join(cache, 'time/.version'), 'utf8').trim();
const terraformVersion = JSON.parse(execFileSync('terraform', ['version', '-json'], { env, encoding: 'utf8' })).terraform_version;
process.stdout.write(`terraform ${terraformVersion}; azurerm ${azurermVersion} (module pseudo-version: the proxy serves no 4.55.0), time ${timeVersion}; from ${cache}\n`);

// 2. the synth folders
let dirs = process.argv.slice(2).map((d) => resolve(d));
if (dirs.length === 0) {
  const example = join(work, 'example');
  const r = spawnSync(process.execPath, [join(root, 'scripts/app.js'), '--frozen-lock'], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: example }, stdio: 'inherit' });
  if (r.status !== 0) fail('terraform validate: the example did not synthesize');
  dirs.push(example);
  // the fixtures that exercise every option of the spec, and random valid environments
  const fixtures = join(root, 'scripts/synth-fixtures.mjs');
  const out = join(work, 'fixtures');
  const f = spawnSync(process.execPath, [fixtures, out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (f.status !== 0) fail('terraform validate: the fixture environments did not synthesize');
  dirs.push(out);
  // the same fixtures on CDK Terrain (its 4.73 bindings' output), with the example's StandardV2 NAT that only cdktn accepts
  const onCdktn = join(work, 'fixtures-cdktn');
  const c = spawnSync(process.execPath, [fixtures, '--runtime', 'cdktn', onCdktn], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (c.status !== 0) fail('terraform validate: the fixture environments did not synthesize on CDK Terrain');
  dirs.push(onCdktn);
  const random = join(work, 'random');
  const count = process.env.ASE_RANDOM_ENVIRONMENTS ?? '24';
  const g = spawnSync(process.execPath, [fixtures, '--random', count, random], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (g.status !== 0) fail('terraform validate: the random environments did not synthesize');
  for (const d of readdirSync(random, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) if (d.isDirectory()) dirs.push(join(random, d.name));
}

const DEV_OVERRIDES = 'Provider development overrides are in effect';
function validate(stackDir) {
  const r = spawnSync('terraform', ['validate', '-json', '-no-color'], { cwd: stackDir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let out;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    return { errors: [{ summary: `terraform validate exited ${r.status} without JSON`, detail: r.stderr }], warnings: [] };
  }
  const diags = out.diagnostics ?? [];
  return {
    errors: diags.filter((d) => d.severity === 'error'),
    warnings: diags.filter((d) => d.severity === 'warning' && d.summary !== DEV_OVERRIDES),
  };
}
const show = (d) => `    ${d.severity ?? 'error'}: ${d.address ? `${d.address}: ` : ''}${d.summary}${d.detail ? `: ${d.detail.replace(/\s+/g, ' ').slice(0, 400)}` : ''}`;

// 3. every stack, twice: as synthesized (with 5.0's renames), and with every reference resolved
function variant(stackDir, label, json) {
  const dir = join(work, 'variants', label);
  cpSync(stackDir, dir, { recursive: true });
  writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
  return validate(dir);
}
let bad = 0;
let count = 0;
const renames = new Map();
const left = new Set();
let resolvedTotal = 0;
for (const dir of dirs) {
  const stacks = join(dir, 'stacks');
  if (!existsSync(stacks)) fail(`${dir}: no stacks/ folder (not a cdktf output folder)`);
  for (const name of readdirSync(stacks).sort()) {
    const t = Date.now();
    const label = `${dir.split('/').pop()}/${name}`;
    const original = JSON.parse(readFileSync(join(stacks, name, 'cdk.tf.json'), 'utf8'));
    const [as52, done] = to52(original);
    for (const d of done) renames.set(d.replace(/\.[^.:]+:/, ':'), (renames.get(d.replace(/\.[^.:]+:/, ':')) ?? 0) + 1);
    const [concrete, resolved, unresolved] = concretize(as52);
    resolvedTotal += resolved;
    for (const u of unresolved) left.add(u);
    const a = variant(join(stacks, name), `${label}/as-synthesized`, as52);
    const b = variant(join(stacks, name), `${label}/resolved`, concrete);
    count++;
    const errors = [...a.errors, ...b.errors.filter((e) => !a.errors.some((x) => x.summary === e.summary && x.address === e.address))];
    const warnings = [...a.warnings, ...b.warnings.filter((w) => !a.warnings.some((x) => x.summary === w.summary && x.address === w.address))];
    const ok = errors.length === 0 && warnings.length === 0;
    if (!ok) bad++;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${label} (${errors.length} errors, ${warnings.length} warnings; ${resolved} references resolved${unresolved.length ? `, ${unresolved.length} not` : ''}; ${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    for (const d of [...errors, ...warnings]) process.stdout.write(`${show(d)}\n`);
  }
}
process.stdout.write(`5.0 renames applied (docs/terraform-validate.md): ${[...renames].map(([k, n]) => `${k} x${n}`).join('; ') || 'none'}\n`);
process.stdout.write(`${resolvedTotal} references resolved to values of their shape; left as references (their blocks unchecked): ${[...left].join(', ') || 'none'}\n`);

// 4. the check can fail: copies with a value the provider refuses must be reported at that address
const proofs = [];
const exampleStacks = join(dirs[0], 'stacks');
function proof(what, type, mutate) {
  for (const name of readdirSync(exampleStacks).sort()) {
    const [as52] = to52(JSON.parse(readFileSync(join(exampleStacks, name, 'cdk.tf.json'), 'utf8')));
    const [json] = concretize(as52);
    const found = Object.entries(json.resource?.[type] ?? {}).find(([, r]) => mutate(r, true));
    if (!found) continue;
    mutate(found[1], false);
    const { errors } = variant(join(exampleStacks, name), `proof/${type}/${name}`, json);
    const caught = errors.some((e) => e.address === `${type}.${found[0]}`);
    proofs.push({ what: `${name}: ${what}`, caught, errors });
    return;
  }
  proofs.push({ what: `${what}: no ${type} in the example to try it on`, caught: false, errors: [] });
}
proof('autoscale recurrence timezone "Mars Standard Time"', 'azurerm_monitor_autoscale_setting', (r, probe) => {
  const recurring = asList(r.profile).filter((p) => p.recurrence);
  if (probe) return recurring.length > 0;
  for (const p of recurring) for (const x of asList(p.recurrence)) x.timezone = 'Mars Standard Time';
  return true;
});
proof('scale-set identity type "SystemAssigned, Flexible"', 'azurerm_linux_virtual_machine_scale_set', (r, probe) => {
  if (probe) return true;
  r.identity = { ...asList(r.identity)[0], type: 'SystemAssigned, Flexible' };
  return true;
});
proof('load-balancer probe port 70000', 'azurerm_lb_probe', (r, probe) => {
  if (!probe) r.port = 70000;
  return true;
});
for (const p of proofs) {
  process.stdout.write(`${p.caught ? 'ok  ' : 'FAIL'} proof: ${p.what}: ${p.caught ? 'refused by the provider' : 'NOT refused'}\n`);
  if (p.caught) process.stdout.write(`${show(p.errors[0])}\n`);
  else { bad++; for (const d of p.errors) process.stdout.write(`${show(d)}\n`); }
}

if (!keep) rmSync(work, { recursive: true, force: true });
process.stdout.write(`${count} stacks in ${dirs.length} synth folders validated in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bad === 0 ? 'all valid' : `${bad} failed`}\n`);
process.exit(bad === 0 ? 0 : 1);
