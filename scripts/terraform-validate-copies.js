// The two rewrites `npm run test:terraform` validates besides the synthesized JSON itself
// (scripts/terraform-validate.mjs; why each, with the provider source read: docs/terraform-validate.md).
//
// to52(json): the build that runs is azurerm 5.2-dev (the Go module proxy serves no 4.55.0), and
//   5.0 removed six argument names our 4.55 output must use (no name is valid in both). Each is
//   rewritten to its 5.x form with the same meaning; everything else is left as synthesized.
//
// concretize(json, index): the provider skips every validation of a block, or of an attribute,
//   whose value holds a reference (plugin-sdk v2 treats the whole block as unknown), so the
//   autoscale profiles, the scale sets' network interfaces, every `*_id` and every name in a
//   reference went unchecked. This copy puts a value of the right shape in place of each
//   reference (the referenced resource's literal name; an Azure resource ID of its type built
//   from its name, resource group and parents, as Azure would return it; a GUID for principal
//   IDs), so the provider's validators see every block.

'use strict';
const { createHash } = require('node:crypto');

const clone = (v) => JSON.parse(JSON.stringify(v));
const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Rewrites the 4.55 names 5.x removed to their 5.x form; returns [json, what was rewritten]. */
function to52(input) {
  const json = clone(input);
  const done = [];
  const sub = asList(json.provider?.azurerm)[0]?.subscription_id ?? '00000000-0000-0000-0000-000000000000';
  for (const [name, r] of Object.entries(json.resource?.azurerm_storage_blob ?? {})) {
    if (r.storage_account_name === undefined && r.storage_container_name === undefined) continue;
    // 4.55's two names become the container's resource ID (5.2 storage_blob_resource.go: storage_container_id, Required)
    const account = findByName(json, 'azurerm_storage_account', r.storage_account_name);
    const rg = account?.resource_group_name ?? 'rg';
    r.storage_container_id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${r.storage_account_name}/blobServices/default/containers/${r.storage_container_name}`;
    delete r.storage_account_name;
    delete r.storage_container_name;
    done.push(`azurerm_storage_blob.${name}: storage_account_name + storage_container_name -> storage_container_id`);
  }
  // a zone's name and group become its ID, for a VNet link and for an A record alike
  // (5.2 private_dns_zone_virtual_network_link_resource.go, private_dns_a_record_resource.go: private_dns_zone_id, Required)
  for (const [type, zoneField] of [['azurerm_private_dns_zone_virtual_network_link', 'private_dns_zone_name'], ['azurerm_private_dns_a_record', 'zone_name']]) {
    for (const [name, r] of Object.entries(json.resource?.[type] ?? {})) {
      if (r[zoneField] === undefined) continue;
      r.private_dns_zone_id = `/subscriptions/${sub}/resourceGroups/${r.resource_group_name}/providers/Microsoft.Network/privateDnsZones/${r[zoneField]}`;
      delete r[zoneField];
      delete r.resource_group_name;
      done.push(`${type}.${name}: ${zoneField} + resource_group_name -> private_dns_zone_id`);
    }
  }
  for (const type of ['azurerm_linux_virtual_machine_scale_set']) {
    for (const [name, r] of Object.entries(json.resource?.[type] ?? {})) {
      for (const p of asList(r.automatic_os_upgrade_policy)) {
        if ('enable_automatic_os_upgrade' in p) {
          p.automatic_os_upgrade_enabled = p.enable_automatic_os_upgrade;
          delete p.enable_automatic_os_upgrade;
          done.push(`${type}.${name}: automatic_os_upgrade_policy.enable_automatic_os_upgrade -> automatic_os_upgrade_enabled`);
        }
        if ('disable_automatic_rollback' in p) {
          // the 5.x name says the opposite: disable=false is enabled=true
          p.automatic_rollback_enabled = typeof p.disable_automatic_rollback === 'boolean' ? !p.disable_automatic_rollback : p.disable_automatic_rollback;
          delete p.disable_automatic_rollback;
          done.push(`${type}.${name}: automatic_os_upgrade_policy.disable_automatic_rollback -> automatic_rollback_enabled (inverted)`);
        }
      }
    }
  }
  for (const [name, r] of Object.entries(json.resource?.azurerm_subnet ?? {})) {
    if (r.service_endpoints === undefined) continue;
    r.service_endpoint = asList(r.service_endpoints).map((service) => ({ service }));
    delete r.service_endpoints;
    done.push(`azurerm_subnet.${name}: service_endpoints -> service_endpoint blocks`);
  }
  return [json, done];
}

function findByName(json, type, name) {
  return Object.values(json.resource?.[type] ?? {}).find((r) => r.name === name);
}

// Azure resource IDs by type: RG-scoped types by provider namespace, children under their parent's ID
const RG_SCOPED = {
  azurerm_lb: 'Microsoft.Network/loadBalancers',
  azurerm_linux_virtual_machine_scale_set: 'Microsoft.Compute/virtualMachineScaleSets',
  azurerm_orchestrated_virtual_machine_scale_set: 'Microsoft.Compute/virtualMachineScaleSets',
  azurerm_network_security_group: 'Microsoft.Network/networkSecurityGroups',
  azurerm_nat_gateway: 'Microsoft.Network/natGateways',
  azurerm_public_ip: 'Microsoft.Network/publicIPAddresses',
  azurerm_key_vault: 'Microsoft.KeyVault/vaults',
  azurerm_storage_account: 'Microsoft.Storage/storageAccounts',
  azurerm_private_dns_zone: 'Microsoft.Network/privateDnsZones',
  azurerm_user_assigned_identity: 'Microsoft.ManagedIdentity/userAssignedIdentities',
  azurerm_virtual_network: 'Microsoft.Network/virtualNetworks',
  azurerm_log_analytics_workspace: 'Microsoft.OperationalInsights/workspaces',
  azurerm_private_endpoint: 'Microsoft.Network/privateEndpoints',
  azurerm_monitor_autoscale_setting: 'Microsoft.Insights/autoscaleSettings',
  azurerm_monitor_action_group: 'Microsoft.Insights/actionGroups',
};
const CHILDREN = {
  azurerm_lb_backend_address_pool: ['loadbalancer_id', 'backendAddressPools'],
  azurerm_lb_probe: ['loadbalancer_id', 'probes'],
  azurerm_lb_rule: ['loadbalancer_id', 'loadBalancingRules'],
  azurerm_lb_nat_rule: ['loadbalancer_id', 'inboundNatRules'],
  azurerm_storage_container: ['storage_account_id', 'blobServices/default/containers'],
};
const GUID_ATTRIBUTES = new Set(['principal_id', 'client_id', 'tenant_id', 'object_id']);

const guid = (seed) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const REF = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+(?:\[0\])?(?:\.[a-z0-9_]+)*)\}$/;

/** A marketplace image version of the shape Canonical publishes (`22.04.YYYYMMDDN`). */
const IMAGE_VERSION = '22.04.202611200';

/**
 * Replaces every whole-string reference with a value of its shape; returns
 * [json, resolved count, unresolved references]. A reference of a type or attribute the tables
 * above do not know is left as it is and listed, so the report says what stayed unchecked.
 */
function concretize(input) {
  const json = clone(input);
  const sub = asList(json.provider?.azurerm)[0]?.subscription_id ?? '00000000-0000-0000-0000-000000000000';
  const unresolved = new Set();
  let resolved = 0;
  const seen = new Set();

  function resourceOf(isData, type, name) {
    return (isData ? json.data : json.resource)?.[type]?.[name];
  }

  function value(str, depth = 0) {
    const m = REF.exec(str);
    if (!m || depth > 8) return undefined;
    const [, isData, type, name, attr] = m;
    const body = resourceOf(isData, type, name);
    if (!body) return undefined;
    const lit = (v) => (typeof v === 'string' && v.includes('${') ? value(v, depth + 1) : v);
    // a GUID attribute, of the resource or of its one identity block (`identity[0].principal_id`)
    if (GUID_ATTRIBUTES.has(attr.replace(/^identity\[0\]\./, ''))) return guid(`${type}.${name}.${attr}`);
    // the image version a slot pins (lib/compute/scale-set.ts): the data source's, kept in terraform_data's input
    if (type === 'azurerm_platform_image' && attr === 'version') return IMAGE_VERSION;
    if (type === 'terraform_data' && attr.startsWith('input.')) {
      const held = attr.split('.').slice(1).reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), body.input);
      return lit(held);
    }
    if (attr === 'name') return typeof lit(body.name) === 'string' ? lit(body.name) : undefined;
    if (attr !== 'id') return undefined;
    if (type === 'azurerm_resource_group') return `/subscriptions/${sub}/resourceGroups/${lit(body.name)}`;
    if (RG_SCOPED[type]) {
      const rg = lit(body.resource_group_name);
      const n = lit(body.name);
      return typeof rg === 'string' && typeof n === 'string' ? `/subscriptions/${sub}/resourceGroups/${rg}/providers/${RG_SCOPED[type]}/${n}` : undefined;
    }
    if (CHILDREN[type]) {
      const [parentAttr, segment] = CHILDREN[type];
      const parent = lit(body[parentAttr]);
      return typeof parent === 'string' ? `${parent}/${segment}/${lit(body.name)}` : undefined;
    }
    if (type === 'azurerm_subnet') {
      const rg = lit(body.resource_group_name);
      const vnet = lit(body.virtual_network_name);
      return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${lit(body.name)}`;
    }
    if (type === 'azurerm_resource_group_policy_assignment') {
      const rg = lit(body.resource_group_id);
      return typeof rg === 'string' ? `${rg}/providers/Microsoft.Authorization/policyAssignments/${lit(body.name)}` : undefined;
    }
    if (type === 'azurerm_role_assignment') {
      const scope = lit(body.scope);
      return typeof scope === 'string' ? `${scope}/providers/Microsoft.Authorization/roleAssignments/${guid(`${type}.${name}`)}` : undefined;
    }
    return undefined;
  }

  function walk(node) {
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      if (seen.has(node)) return node;
      seen.add(node);
      for (const k of Object.keys(node)) {
        if (k === '//' || k === 'depends_on' || k === 'lifecycle') continue;
        node[k] = walk(node[k]);
      }
      return node;
    }
    if (typeof node === 'string' && node.includes('${')) {
      // a whole-string reference, or references inside a string (the 5.x IDs to52 composes)
      const v = value(node);
      if (v !== undefined) {
        resolved++;
        return v;
      }
      const out = node.replace(/\$\{[^{}]+\}/g, (ref) => {
        const inner = value(ref);
        if (inner === undefined || typeof inner !== 'string') {
          unresolved.add(ref.replace(/\.[A-Za-z0-9_-]+\.([a-z0-9_]+)\}$/, '.<name>.$1}'));
          return ref;
        }
        resolved++;
        return inner;
      });
      return out;
    }
    return node;
  }

  for (const section of ['resource', 'data', 'output', 'locals']) if (json[section]) json[section] = walk(json[section]);
  return [json, resolved, [...unresolved].sort()];
}

module.exports = { to52, concretize };
