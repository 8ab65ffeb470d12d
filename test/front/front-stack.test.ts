/**
 * The synthesized front stack: the static address callers keep, the store of its config and
 * table, the VMs' identity from the identities stack, and TLS from Key Vault.
 */
import { parse } from 'yaml';
import { FRONT_BLOBS, FRONT_VM_PATHS, frontBlobName } from '../../lib/front/agent';
import { renderFrontConf } from '../../lib/front/model';
import { FRONT_CONTAINER, POINTER_CONTENT } from '../../lib/front/nginx-front';
import { routingTable, routingTableJson } from '../../lib/slots/traffic';
import { FRONT_TLS_FILE } from '../../lib/front/model';
import { azureIds } from '../../lib/core/azure-ids';
import { parseCidr } from '../../lib/spec/cidr';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, planOf, resourceAt, resourcesOf, synthStacks, type Json, exampleStacks } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

/** The example without HTTPS; the HTTPS case is below. */
const httpOnly = () => {
  const spec = exampleSpec();
  spec.front = {};
  return spec;
};
const plan = planOf(httpOnly());
const stacks = synthStacks(httpOnly());
const front = stacks['retail-front'];

describe('the front stack', () => {
  test('its internal LB has the static frontend IP from the plan, and probes the status endpoint for every rule', () => {
    const lb = resourceAt(front, 'azurerm_lb', 'front_lb_lb');
    expect(lb.frontend_ip_configuration).toEqual([expect.objectContaining({ private_ip_address: plan.ips.frontFrontendIp, private_ip_address_allocation: 'Static' })]);
    expect(resourceAt(front, 'azurerm_lb_probe', 'front_lb_probe-9000')).toMatchObject({ port: 9000, protocol: 'Http', request_path: '/healthz' });
    expect(resourceAt(front, 'azurerm_lb_rule', 'front_lb_rule-80')).toMatchObject({ frontend_port: 80, backend_port: 80, probe_id: '${azurerm_lb_probe.front_lb_probe-9000.id}' });
    // without a TLS certificate the front serves HTTP only
    expect(Object.keys(resourcesOf(front, 'azurerm_lb_rule'))).toEqual(['front_lb_rule-80']);
  });

  test('its store is private: Entra ID only, deny by default (the front subnet and the deployer), versioned', () => {
    const store = resourceAt(front, 'azurerm_storage_account', 'front_store');
    expect(store).toMatchObject({ name: plan.names.frontStore, shared_access_key_enabled: false, allow_nested_items_to_be_public: false, min_tls_version: 'TLS1_2', blob_properties: { versioning_enabled: true } });
    expect(store.network_rules).toEqual({
      default_action: 'Deny',
      bypass: ['None'],
      virtual_network_subnet_ids: [azureIds.subnet(plan.env.subscriptionId, 'rg-retail-network', 'vnet-retail', 'snet-front')],
      ip_rules: ['203.0.113.0/28'],
    });
    expect((JSON.parse(front) as Json).provider.azurerm[0].storage_use_azuread).toBe(true);
    expect(resourceAt(front, 'azurerm_role_assignment', 'front_deployer-writes')).toMatchObject({ role_definition_name: 'Storage Blob Data Contributor', principal_id: plan.env.deployer.principalId });
  });

  test('its VMs use the identity from the identities stack, read by a data source, and may read the container only', () => {
    const id = azureIds.userAssignedIdentity(plan.env.subscriptionId, 'rg-retail-identities', 'id-retail-front');
    expect(resourceAt(front, 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss').identity).toEqual({ type: 'UserAssigned', identity_ids: [id] });
    expect((JSON.parse(front) as Json).data.azurerm_user_assigned_identity.identity).toMatchObject({ name: 'id-retail-front', resource_group_name: 'rg-retail-identities' });
    expect(resourceAt(front, 'azurerm_role_assignment', 'front_front-reads')).toMatchObject({
      scope: '${azurerm_storage_container.front_container.id}',
      role_definition_name: 'Storage Blob Data Reader',
      principal_id: '${data.azurerm_user_assigned_identity.identity.principal_id}',
    });
    expect(resourcesOf(front, 'azurerm_user_assigned_identity')).toEqual({});
  });
});

describe('its blobs: content-addressed, created before the old version is deleted, named by a pointer updated in place', () => {
  const table = resourceAt(front, 'azurerm_storage_blob', 'front_routing-table');
  const conf = resourceAt(front, 'azurerm_storage_blob', 'front_config');
  const pointer = resourceAt(front, 'azurerm_storage_blob', 'front_pointer');

  test('the config and the table are named by their SHA-256 and created before the old one is deleted', () => {
    expect(table).toMatchObject({ name: frontBlobName('table', routingTableJson(routingTable(plan.env))), storage_container_name: FRONT_CONTAINER, type: 'Block', content_type: 'application/json', lifecycle: { create_before_destroy: true } });
    expect(table.name).toMatch(/^routing\/[0-9a-f]{16}\.json$/);
    expect(conf).toMatchObject({ name: frontBlobName('config', renderFrontConf(plan)), lifecycle: { create_before_destroy: true } });
    expect(conf.name).toMatch(/^config\/[0-9a-f]{16}\.conf$/);
  });

  test('the pointer keeps its name and content; its metadata references both blobs (so Terraform updates it between their create and the old ones\' delete)', () => {
    expect(pointer).toMatchObject({ name: FRONT_BLOBS.pointer, source_content: POINTER_CONTENT, metadata: { config: '${azurerm_storage_blob.front_config.name}', table: '${azurerm_storage_blob.front_routing-table.name}' } });
    expect(pointer.lifecycle).toBeUndefined();
  });

  test('the health extension probes /health (type handler 2.0); the LB probes /healthz', () => {
    const ext = (resourceAt(front, 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss').extension as Json[]).find((e) => e.type === 'ApplicationHealthLinux')!;
    expect(ext.type_handler_version).toBe('2.0');
    expect(JSON.parse(ext.settings)).toMatchObject({ protocol: 'http', port: 9000, requestPath: '/health' });
  });
});

describe('HTTPS with a Key Vault certificate', () => {
  // the example serves HTTPS with its vault's certificate
  const tls = exampleStacks();
  const f = tls['retail-front'];
  const vmss = resourceAt(f, 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss');

  test('no Key Vault VM extension on the front (it does not list Ubuntu 24.04): the agent reads the secret itself, with the identity from the identities stack', () => {
    expect((vmss.extension as Json[]).map((e) => e.type).sort()).toEqual(['ApplicationHealthLinux', 'AzureMonitorLinuxAgent']);
    expect(JSON.stringify(vmss)).not.toMatch(/KeyVaultForLinux|Microsoft\.Azure\.KeyVault/);
    expect(vmss.identity.type).toBe('UserAssigned');
    const doc = parse(decodeCustomData(vmss.custom_data)) as { write_files: Array<{ path: string; content: string }> };
    const env = doc.write_files.find((w) => w.path === FRONT_VM_PATHS.env)!.content;
    expect(env).toContain(`VAULT_URL='https://${plan.names.keyVault}.vault.azure.net'`);
    expect(env).toContain("TLS_SECRET='front-tls'");
    expect(env).toContain("TLS_POLL_SECONDS='3600'");
    // the agent's tokens (store and vault) are for the scale set's one identity
    expect(env).toContain(`IDENTITY_RESOURCE_ID='${vmss.identity.identity_ids[0]}'`);
  });

  test("the front's certificate is issued with content type PEM: the secret's value is the key and chain nginx reads", () => {
    const vault = JSON.parse(tls['retail-vault']) as Json;
    expect(vault.resource.azurerm_key_vault_certificate['certificate-front-tls_certificate'].certificate_policy.secret_properties).toEqual({ content_type: 'application/x-pem-file' });
  });

  test("the front subnet reaches the vault's private endpoint: its NSG admits the VNet on 443", () => {
    const net = JSON.parse(tls['retail-network']) as Json;
    const rules = Object.values(net.resource.azurerm_network_security_rule ?? {}) as Json[];
    const allow = rules.find((r) => r.name === 'allow-private-endpoints-from-vnet')!;
    const tlsPlan = planOf(exampleSpec());
    expect(allow).toMatchObject({ access: 'Allow', direction: 'Inbound', protocol: 'Tcp', destination_port_range: '443', source_address_prefix: tlsPlan.env.network.addressSpace, destination_address_prefix: tlsPlan.ips.endpoints.cidr, priority: 400 });
    // the front subnet is inside that address space, and no rule anywhere denies outbound
    const [space, subnet] = [parseCidr(tlsPlan.env.network.addressSpace)!, parseCidr(tlsPlan.ips.front.cidr)!];
    expect(subnet.first >= space.first && subnet.last <= space.last).toBe(true);
    expect(rules.filter((r) => r.direction !== 'Inbound')).toEqual([]);
  });

  test('the grant is on that one secret, in the identities stack, one apply before the front', () => {
    const vaultId = azureIds.keyVault(plan.env.subscriptionId, 'rg-retail-vault', plan.names.keyVault);
    expect(resourceAt(tls['retail-identities'], 'azurerm_role_assignment', 'front_tls-reader')).toMatchObject({
      scope: `${vaultId}/secrets/front-tls`,
      role_definition_name: 'Key Vault Secrets User',
      principal_id: '${azurerm_user_assigned_identity.front_identity.principal_id}',
      principal_type: 'ServicePrincipal',
    });
    expect(resourcesOf(f, 'azurerm_role_assignment')).not.toHaveProperty('front_tls-reader');
  });

  test('nginx serves 443 from the copy the agent publishes; the LB forwards 443 too', () => {
    const conf = resourceAt(f, 'azurerm_storage_blob', 'front_config').source_content as string;
    expect(resourceAt(f, 'azurerm_storage_blob', 'front_config').name).toBe(frontBlobName('config', conf));
    expect(conf).toContain('listen 0.0.0.0:443 ssl;');
    expect(conf).toContain(`map $host $front_tls_file { default "${FRONT_TLS_FILE}"; }`);
    expect(Object.keys(resourcesOf(f, 'azurerm_lb_rule'))).toEqual(['front_lb_rule-443', 'front_lb_rule-80']);
    const doc = parse(decodeCustomData(vmss.custom_data)) as { write_files: Array<{ path: string; content: string }> };
    const env = doc.write_files.find((w) => w.path === FRONT_VM_PATHS.env)!.content;
    expect(env).toContain(`TLS_PATH='${FRONT_TLS_FILE}'`);
  });

  test('a certificate the vault does not hold is refused at its field', () => {
    const bad = exampleSpec();
    bad.front = { tlsCertificate: 'missing' };
    const r = validateEnvironment(bad);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual(["front.tlsCertificate: names no certificate in keyVault.certificates: 'missing' (declare it under keyVault.certificates)"]);
  });
});
