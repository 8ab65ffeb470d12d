#!/usr/bin/env node
// Review benchmark: a 5,000-resource Azure-shaped plan (terraform show -json format 1.2) with the
// mix a large environment's plan has: most resources unchanged, some updated (scale sets with
// cloud-init custom data and JSON settings), created, replaced and destroyed. Prints the plan's
// size, the in-process time to parse, summarize and render the comment (median of N), and the
// wall time of the whole command in a new process (`ase review --plan`), median of N.
//   node bench/review.js [--resources 5000] [--runs 7]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({ options: { resources: { type: 'string', default: '5000' }, runs: { type: 'string', default: '7' } } });
const N = Number(values.resources);
const RUNS = Number(values.runs);
const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ase-bench-review-'));

// ---- a plan document, built to Terraform's JSON plan format ----
const cloudInit = (version) =>
  Buffer.from(
    `#cloud-config\nwrite_files:\n${Array.from({ length: 60 }, (_, i) => `  - path: /etc/slotenv/file-${i}\n    content: |\n      VERSION="${version}"\n      LINE=${i}\n`).join('')}`,
  ).toString('base64');
const TYPES = ['azurerm_lb_rule', 'azurerm_lb_probe', 'azurerm_network_security_rule', 'azurerm_role_assignment', 'azurerm_linux_virtual_machine_scale_set', 'azurerm_monitor_autoscale_setting', 'azurerm_storage_blob', 'azurerm_subnet'];
function body(type, i, version) {
  const common = { name: `r${i}`, resource_group_name: `rg-${i % 50}`, tags: { environment: 'bench', owner: 'platform-team' } };
  if (type === 'azurerm_linux_virtual_machine_scale_set') {
    return { ...common, sku: 'Standard_D4s_v5', custom_data: cloudInit(version), extension: [{ name: 'health', settings: JSON.stringify({ port: 9000, requestPath: '/health', version }) }], rolling_upgrade_policy: [{ max_batch_instance_percent: 20 }] };
  }
  return { ...common, port: 10000 + (i % 500), priority: 100 + (i % 3000), description: `resource ${i} at ${version}` };
}
const resourceChanges = [];
for (let i = 0; i < N; i++) {
  const type = TYPES[i % TYPES.length];
  const address = `module.svc${Math.floor(i / 40)}.${type}.r${i}`;
  const roll = i % 100; // 80 % no-op, 10 % update, 4 % create, 4 % replace, 2 % delete
  const actions = roll < 80 ? ['no-op'] : roll < 90 ? ['update'] : roll < 94 ? ['create'] : roll < 98 ? ['delete', 'create'] : ['delete'];
  const before = actions[0] === 'create' ? null : { ...body(type, i, '1.0.0'), id: `/subscriptions/x/resourceGroups/rg/providers/${type}/r${i}` };
  const after = actions[0] === 'delete' && actions.length === 1 ? null : actions[0] === 'no-op' ? before : body(type, i, '1.0.1');
  resourceChanges.push({
    address,
    module_address: `module.svc${Math.floor(i / 40)}`,
    mode: 'managed',
    type,
    name: `r${i}`,
    provider_name: 'registry.terraform.io/hashicorp/azurerm',
    change: { actions, before, after, after_unknown: actions.includes('create') ? { id: true } : {}, before_sensitive: {}, after_sensitive: {}, ...(actions.length === 2 ? { replace_paths: [['name']] } : {}) },
    ...(actions.length === 2 ? { action_reason: 'replace_because_cannot_update' } : {}),
  });
}
const plan = JSON.stringify({ format_version: '1.2', terraform_version: '1.11.4', planned_values: { root_module: {} }, resource_changes: resourceChanges, applyable: true, complete: true, errored: false });
const file = path.join(work, 'plan.json');
fs.writeFileSync(file, plan);

// ---- cold command runs (also builds .build/ for the in-process runs) ----
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(process.execPath, [path.join(root, 'scripts/app.js'), 'lib/cli/main.ts', 'review', '--plan', file, '--out', path.join(work, 'review.md')], { cwd: root, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  cold.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (p.status !== 0 && p.status !== 1) throw new Error(`ase review failed (${p.status}):\n${p.stderr}`);
}

// ---- in-process: parse, summarize, render ----
const { parsePlanJson, summarizePlan, reviewPlan } = require(path.join(root, '.build/lib/review/plan.js'));
const warm = [];
let out;
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  const text = fs.readFileSync(file, 'utf8');
  out = reviewPlan(summarizePlan(parsePlanJson(text)));
  warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const counts = summarizePlan(parsePlanJson(plan)).counts;
console.log(`plan: ${N} resources, ${(plan.length / 1e6).toFixed(1)} MB (${counts['no-op']} unchanged, ${counts.update} update, ${counts.create} create, ${counts.replace} replace, ${counts.delete} delete)`);
console.log(`comment: ${out.markdown.length} characters (limit 65,536), exit code ${out.exitCode}`);
console.log(`read + parse + summarize + render, in process: median ${median(warm).toFixed(0)} ms (runs: ${warm.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`ase review --plan, new process each run: median ${median(cold).toFixed(0)} ms (runs: ${cold.map((x) => x.toFixed(0)).join(', ')})`);
fs.rmSync(work, { recursive: true, force: true });
