/**
 * The example's Key Vault: RBAC, purge protection, soft delete, a firewall that denies by default
 * and admits only the VM subnets (service endpoints) and the deployer, destroy protection, and
 * data-plane roles for the deployer only.
 */
import { azureIds } from '../../lib/core/azure-ids';
import { globalSuffix } from '../../lib/spec/names';
import { exampleSpec, resourceAt, resourcesOf, synthStacks, type Json } from '../helpers';

const stacks = synthStacks(exampleSpec());
const vaultStack = JSON.parse(stacks['retail-vault']) as Json;
const vault = resourceAt(vaultStack, 'azurerm_key_vault', 'key-vault_vault');
const subnet = (name: string) => azureIds.subnet('6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10', 'rg-retail-network', 'vnet-retail', name);

describe('Key Vault', () => {
  test('uses RBAC, purge protection and the declared soft-delete retention', () => {
    expect(vault).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true, soft_delete_retention_days: 90, sku_name: 'standard' });
    expect(vault.access_policy).toBeUndefined();
    expect(vault.enable_rbac_authorization).toBeUndefined(); // the deprecated spelling is not used
  });

  test('has a stable, globally unique name derived from the subscription and environment', () => {
    expect(vault.name).toBe(`kv-retail-${globalSuffix('6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10', 'retail')}`);
    expect(vault.name).toMatch(/^kv-retail-[0-9a-f]{6}$/);
  });

  test('denies by default, with no trusted-services bypass, and admits only the VM subnets and the deployer', () => {
    expect(vault.network_acls).toEqual({
      default_action: 'Deny',
      bypass: 'None',
      ip_rules: ['203.0.113.0/28'],
      virtual_network_subnet_ids: ['snet-front', 'snet-svc-catalog', 'snet-svc-order-processing', 'snet-svc-pricing'].map(subnet),
    });
  });

  test('every admitted subnet has the Microsoft.KeyVault service endpoint; the others have none', () => {
    const network = JSON.parse(stacks['retail-network']) as Json;
    for (const [address, s] of Object.entries(resourcesOf(network, 'azurerm_subnet'))) {
      const vm = !/lb-frontends|endpoints/.test(address);
      expect({ address, endpoints: s.service_endpoints }).toEqual({ address, endpoints: vm ? ['Microsoft.KeyVault'] : undefined });
    }
  });

  test('is protected from destroy by prevent_destroy and a CanNotDelete lock', () => {
    expect(vault.lifecycle).toEqual({ prevent_destroy: true });
    expect(resourceAt(vaultStack, 'azurerm_management_lock', 'key-vault_lock')).toMatchObject({ lock_level: 'CanNotDelete', scope: '${azurerm_key_vault.key-vault_vault.id}' });
  });

  test('grants the deployer the certificate and secret officer roles at vault scope, and nothing else', () => {
    const roles = resourcesOf(vaultStack, 'azurerm_role_assignment');
    expect(Object.values(roles).map((r) => [r.role_definition_name, r.principal_id, r.principal_type, r.scope])).toEqual([
      ['Key Vault Certificates Officer', '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', 'ServicePrincipal', '${azurerm_key_vault.key-vault_vault.id}'],
      ['Key Vault Secrets Officer', '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', 'ServicePrincipal', '${azurerm_key_vault.key-vault_vault.id}'],
    ]);
  });

  test('sends audit logs to Log Analytics when a workspace is named, and has no diagnostics otherwise', () => {
    expect(resourcesOf(vaultStack, 'azurerm_monitor_diagnostic_setting')).toEqual({});
    const spec = exampleSpec();
    const workspace = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-retail';
    spec.keyVault!.logAnalyticsWorkspaceId = workspace;
    const withLogs = JSON.parse(synthStacks(spec)['retail-vault']) as Json;
    expect(resourceAt(withLogs, 'azurerm_monitor_diagnostic_setting', 'key-vault_diagnostics')).toMatchObject({
      target_resource_id: '${azurerm_key_vault.key-vault_vault.id}',
      log_analytics_workspace_id: workspace,
      enabled_log: [{ category_group: 'audit' }],
    });
  });

  test('an environment without keyVault has no vault stack and no service endpoints', () => {
    const spec = exampleSpec();
    delete spec.keyVault;
    const without = synthStacks(spec);
    expect(without['retail-vault']).toBeUndefined();
    for (const s of Object.values(resourcesOf(without['retail-network'], 'azurerm_subnet'))) expect(s.service_endpoints).toBeUndefined();
  });
});
