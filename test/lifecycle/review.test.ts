/**
 * What `ase review` tells a reviewer about Azure's traps on three changes: a service retirement
 * (the traps it avoids), a deployer change and a certificate removal (the traps it blocks). The
 * comment's "Azure apply-time checks" section is asserted line by line, and the exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/review/cli';
import { reviewOutputs } from '../../lib/review/compare';
import type { SynthOutput } from '../../lib/review/config-diff';
import { exampleSpec } from '../helpers';
import { CATALOG_CERT, History, changed } from './harness';

/** The lines of the comment's Azure section. */
function azureSection(md: string): string[] {
  const start = md.indexOf('### Azure apply-time checks\n');
  if (start < 0) return [];
  const end = md.indexOf('\n### ', start + 1);
  return md.slice(start, end < 0 ? undefined : end).trim().split('\n').slice(2);
}
const blocking = (md: string) => md.split('\n').filter((l) => l.startsWith('- **blocking**: '));

let history: History;
afterEach(() => history.cleanUp());

test('a service retirement: the review names the traps the two-step retirement avoids, and nothing blocks', () => {
  history = new History();
  const before = history.ok(exampleSpec());
  const after = history.ok(changed((s) => (s.services[2].retired = true)));
  const r = reviewOutputs(before, after);
  expect(r.exitCode).toBe(0);
  expect(blocking(r.markdown)).toEqual([]);
  expect(azureSection(r.markdown)).toEqual([
    '- avoided (stack left the synth): retail-svc-catalog stays in the synth with no resources, so cdktf deploy destroys its 23 resources (retired); the subnets its scale sets and load balancers used (snet-lb-frontends, snet-svc-catalog) stay until a later change removes the entry. Source: Terraform deletes only what a configuration it runs names; a stack left out of the synth is never applied again (docs/lifecycle.md).',
    "- avoided (lock): 23 resources deleted or replaced, and no CanNotDelete or ReadOnly lock in the synth stands above them (the vault and the front's store carry none by design: prevent_destroy, soft delete and purge protection protect them, docs/apply-order.md). Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.",
    '- avoided (state loss): retail-svc-catalog:azurerm_resource_group.resource-group, the resource group of a stack a retirement empties, is deleted: the provider refuses to delete a group that still holds resources it does not manage, so nothing outside the stack is lost. Source: azurerm 4.55 internal/services/resource/resource_group_resource.go: features.resource_group.prevent_deletion_if_contains_resources, true by default (internal/features/defaults.go).',
  ]);
  // the front stops routing to it in the same change
  expect(r.markdown).toContain('| retail/catalog | blue → **retired: not routed** |');
  expect(r.markdown).toContain('| retail/svc-catalog |');
  expect(r.markdown).toContain('| retired: its VMs go |');

  // the second change: the entry removed, the subnet deleted with nothing left in it
  const removed = history.ok(changed((s) => s.services.splice(2, 1)));
  const second = reviewOutputs(after, removed);
  expect(second.exitCode).toBe(0);
  expect(azureSection(second.markdown)).toEqual([
    '- avoided (stack left the synth): retail-svc-catalog leaves the synth empty (retired in an earlier change): nothing is orphaned; its state file can be deleted. Source: Terraform deletes only what a configuration it runs names; a stack left out of the synth is never applied again (docs/lifecycle.md).',
    "- avoided (lock): 13 resources deleted or replaced, and no CanNotDelete or ReadOnly lock in the synth stands above them (the vault and the front's store carry none by design: prevent_destroy, soft delete and purge protection protect them, docs/apply-order.md). Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.",
    '- avoided (subnet in use): retail-network:azurerm_subnet.network_svc-catalog-subnet is deleted with no NIC, scale set or load-balancer frontend left in it. Source: Azure: InUseSubnetCannotBeDeleted (aka.ms/deletesubnet); provider issues #4784, #400.',
  ]);
});

test('removing a service in one step: the review blocks the stack that leaves the synth and the subnet its NICs still use', () => {
  history = new History('none');
  const before = history.ok(exampleSpec());
  const r = reviewOutputs(before, history.ok(changed((s) => s.services.splice(2, 1))));
  expect(r.exitCode).toBe(1);
  expect(blocking(r.markdown)).toEqual([
    '- **blocking**: `retail-network:azurerm_subnet.network_svc-catalog-subnet` deletes a subnet that retail-svc-catalog:azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss (in a stack that left the synth), retail-svc-catalog:azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss (in a stack that left the synth) still use: Azure refuses with InUseSubnetCannotBeDeleted. Retire what runs in it first (retired: true, deployed), then remove the entry',
    '- **blocking**: `retail-svc-catalog` leaves the synth with 25 resources in it (azurerm_lb, azurerm_lb_backend_address_pool, azurerm_lb_probe, azurerm_lb_rule, azurerm_linux_virtual_machine_scale_set, azurerm_monitor_autoscale_setting, azurerm_monitor_data_collection_rule_association, azurerm_monitor_diagnostic_setting, azurerm_monitor_metric_alert, azurerm_resource_group, terraform_data): cdktf can no longer destroy them, and a subnet their NICs use can no longer be deleted. Retire first: set retired: true on its entry and deploy (the stack stays, emptied), then remove the entry in a later change',
    '- **blocking**: `retail-svc-catalog:azurerm_resource_group.resource-group` destroys azurerm_resource_group: loses everything in the resource group, including resources Terraform does not manage',
  ]);
  expect(r.markdown).toContain('#### retail-svc-catalog (stack removed from the synth: its resources stay in Azure unless it was retired and deployed first)');
});

test("a deployer change: nothing blocks; the review says no lock stands above the replaced grants and each grant's wait is made again", () => {
  history = new History();
  const before = history.ok(exampleSpec());
  const r = reviewOutputs(before, history.ok(changed((s) => (s.deployer.principalId = '7d1f0c2e-5b3a-4c8d-9e6f-1a2b3c4d5e6f'))));
  expect(r.exitCode).toBe(0);
  expect(blocking(r.markdown)).toEqual([]);
  const lockSource = 'Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.';
  const grantSource = 'Source: Azure RBAC: a role assignment can take minutes to take effect; the provider does not retry the 403 (provider issue #23927).';
  const wait = (stack: string, grant: string) =>
    `- avoided (grant propagation): ${stack}:azurerm_role_assignment.${grant} is replaced: its wait time_sleep.${grant}-propagated (5m) is made again with it, so everything that depends on the grant waits for it to propagate. ${grantSource}`;
  expect(azureSection(r.markdown)).toEqual([
    `- avoided (lock): 3 resources deleted or replaced, and no CanNotDelete or ReadOnly lock in the synth stands above them (the vault and the front's store carry none by design: prevent_destroy, soft delete and purge protection protect them, docs/apply-order.md). ${lockSource}`,
    wait('retail-front', 'front_deployer-writes'),
    wait('retail-vault', 'key-vault_deployer-certificates'),
    wait('retail-vault', 'key-vault_deployer-secrets'),
  ]);
});

test('a certificate removal: the review blocks losing the certificate, and says no lock stands above the grants it deletes', () => {
  history = new History();
  const before = history.ok(changed((s) => (s.keyVault.certificates.push(CATALOG_CERT), (s.services[2].certificates = ['catalog-mtls']))));
  const r = reviewOutputs(before, history.ok(exampleSpec()));
  expect(r.exitCode).toBe(1);
  expect(blocking(r.markdown)).toEqual([
    '- **blocking**: `retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate` destroys azurerm_key_vault_certificate: loses the certificate and its private key; a new one is issued with a new thumbprint',
  ]);
  expect(azureSection(r.markdown)).toEqual([
    '- **blocks** (state loss): `retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate`, as above. Source: docs/lifecycle.md; docs/operating.md (tear down an environment).',
    "- avoided (lock): 2 resources deleted or replaced, and no CanNotDelete or ReadOnly lock in the synth stands above them (the vault and the front's store carry none by design: prevent_destroy, soft delete and purge protection protect them, docs/apply-order.md). Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.",
  ]);
});

test('the CLI in compare mode exits 1 on a certificate removal and prints each blocker on stderr, and 0 on a deployer change', () => {
  history = new History();
  const write = (name: string, o: SynthOutput) => {
    const dir = join(history.dir, name);
    mkdirSync(join(dir, 'stacks'), { recursive: true });
    const stacks: Record<string, { synthesizedStackPath: string }> = {};
    for (const [stack, json] of Object.entries(o.stacks)) {
      mkdirSync(join(dir, 'stacks', stack));
      writeFileSync(join(dir, 'stacks', stack, 'cdk.tf.json'), JSON.stringify(json));
      stacks[stack] = { synthesizedStackPath: `stacks/${stack}/cdk.tf.json` };
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ stacks }));
  };
  write('a', history.ok(changed((s) => (s.keyVault.certificates.push(CATALOG_CERT), (s.services[2].certificates = ['catalog-mtls'])))));
  write('b', history.ok(exampleSpec()));
  write('c', history.ok(changed((s) => (s.deployer.principalId = '7d1f0c2e-5b3a-4c8d-9e6f-1a2b3c4d5e6f'))));
  let out = '';
  let err = '';
  const code = main(['a', 'b'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: history.dir });
  expect(code).toBe(1);
  expect(out).toContain('### Azure apply-time checks');
  expect(err.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['blocking: retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate']);
  out = '';
  err = '';
  expect(main(['b', 'c'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: history.dir })).toBe(0);
  expect(out).toContain('- avoided (grant propagation): retail-vault:azurerm_role_assignment.key-vault_deployer-secrets is replaced');
  expect(err).toBe('');
});
