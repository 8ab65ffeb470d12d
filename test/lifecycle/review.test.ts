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
    '- avoided (stack left the synth): retail-svc-catalog stays in the synth with no resources, so cdktf deploy destroys its 13 resources (retired); the subnets its scale sets and load balancers used (snet-lb-frontends, snet-svc-catalog) stay until a later change removes the entry. Source: Terraform deletes only what a configuration it runs names; a stack left out of the synth is never applied again (docs/lifecycle.md).',
    '- avoided (lock): 13 resources deleted or replaced, none at or under the locks retail-front:azurerm_management_lock.front_store-lock (CanNotDelete), retail-vault:azurerm_management_lock.key-vault_lock (CanNotDelete). Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.',
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
    '- avoided (lock): 12 resources deleted or replaced, none at or under the locks retail-front:azurerm_management_lock.front_store-lock (CanNotDelete), retail-vault:azurerm_management_lock.key-vault_lock (CanNotDelete). Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.',
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
    '- **blocking**: `retail-svc-catalog` leaves the synth with 13 resources in it (azurerm_lb, azurerm_lb_backend_address_pool, azurerm_lb_probe, azurerm_lb_rule, azurerm_linux_virtual_machine_scale_set, azurerm_monitor_autoscale_setting, azurerm_resource_group): cdktf can no longer destroy them, and a subnet their NICs use can no longer be deleted. Retire first: set retired: true on its entry and deploy (the stack stays, emptied), then remove the entry in a later change',
    '- **blocking**: `retail-svc-catalog:azurerm_resource_group.resource-group` destroys azurerm_resource_group: loses everything in the resource group, including resources Terraform does not manage',
  ]);
  expect(r.markdown).toContain('#### retail-svc-catalog (stack removed from the synth: its resources stay in Azure unless it was retired and deployed first)');
});

test("a deployer change: the review blocks the role assignments it would replace under the vault's and the front store's locks", () => {
  history = new History();
  const before = history.ok(exampleSpec());
  const r = reviewOutputs(before, history.ok(changed((s) => (s.deployer.principalId = '7d1f0c2e-5b3a-4c8d-9e6f-1a2b3c4d5e6f'))));
  expect(r.exitCode).toBe(1);
  const lockReason = (lock: string) =>
    `replaces (deletes, then creates) a resource at or under the scope of the CanNotDelete lock ${lock} (a role assignment on the locked scope): Azure refuses it with ScopeLocked, so the apply fails. Keep it, or lift the lock for that one apply`;
  expect(blocking(r.markdown)).toEqual([
    `- **blocking**: \`retail-front:azurerm_role_assignment.front_deployer-writes\` ${lockReason('retail-front:azurerm_management_lock.front_store-lock')}`,
    `- **blocking**: \`retail-vault:azurerm_role_assignment.key-vault_deployer-certificates\` ${lockReason('retail-vault:azurerm_management_lock.key-vault_lock')}`,
    `- **blocking**: \`retail-vault:azurerm_role_assignment.key-vault_deployer-secrets\` ${lockReason('retail-vault:azurerm_management_lock.key-vault_lock')}`,
  ]);
  const source = 'Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.';
  expect(azureSection(r.markdown)).toEqual([
    `- **blocks** (lock): \`retail-front:azurerm_role_assignment.front_deployer-writes\`, as above. ${source}`,
    `- **blocks** (lock): \`retail-vault:azurerm_role_assignment.key-vault_deployer-certificates\`, as above. ${source}`,
    `- **blocks** (lock): \`retail-vault:azurerm_role_assignment.key-vault_deployer-secrets\`, as above. ${source}`,
  ]);
});

test('a certificate removal: the review blocks losing the certificate and deleting its grants under the vault lock, and says the lock does not protect the certificate itself', () => {
  history = new History();
  const before = history.ok(changed((s) => (s.keyVault.certificates.push(CATALOG_CERT), (s.services[2].certificates = ['catalog-mtls']))));
  const r = reviewOutputs(before, history.ok(exampleSpec()));
  expect(r.exitCode).toBe(1);
  const grant = (slot: string) =>
    `- **blocking**: \`retail-identities:azurerm_role_assignment.svc-catalog-${slot}_secret-catalog-mtls\` deletes a resource at or under the scope of the CanNotDelete lock retail-vault:azurerm_management_lock.key-vault_lock (a role assignment on the locked scope): Azure refuses it with ScopeLocked, so the apply fails. Keep it, or lift the lock for that one apply`;
  expect(blocking(r.markdown)).toEqual([
    grant('blue'),
    grant('green'),
    '- **blocking**: `retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate` destroys azurerm_key_vault_certificate: loses the certificate and its private key; a new one is issued with a new thumbprint',
  ]);
  expect(azureSection(r.markdown)).toEqual([
    '- **blocks** (lock): `retail-identities:azurerm_role_assignment.svc-catalog-blue_secret-catalog-mtls`, as above. Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.',
    '- **blocks** (lock): `retail-identities:azurerm_role_assignment.svc-catalog-green_secret-catalog-mtls`, as above. Source: Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668.',
    '- **blocks** (state loss): `retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate`, as above. Source: docs/lifecycle.md; README "Teardown".',
    '- avoided (lock): retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate is deleted through the data plane, which the CanNotDelete lock retail-vault:azurerm_management_lock.key-vault_lock does not stop (it protects only the resource it is on and control-plane children). Source: Azure Storage docs (lock-account-resource): a lock on an account does not protect its containers or blobs; locks are control-plane only.',
  ]);
});

test('the CLI in compare mode exits 1 on the deployer change and prints each blocker on stderr', () => {
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
  write('a', history.ok(exampleSpec()));
  write('b', history.ok(changed((s) => (s.deployer.principalId = '7d1f0c2e-5b3a-4c8d-9e6f-1a2b3c4d5e6f'))));
  let out = '';
  let err = '';
  const code = main(['a', 'b'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: history.dir });
  expect(code).toBe(1);
  expect(out).toContain('### Azure apply-time checks');
  expect(err.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
    'blocking: retail-front:azurerm_role_assignment.front_deployer-writes',
    'blocking: retail-vault:azurerm_role_assignment.key-vault_deployer-certificates',
    'blocking: retail-vault:azurerm_role_assignment.key-vault_deployer-secrets',
  ]);
});
