/**
 * The policy pack's rules (pure): each reads one synthesized Terraform resource (with its stack,
 * for rules that need a neighbour) and says what is wrong, or nothing. Stable IDs, a severity, a
 * one-line rationale and a fix; the checkov check a rule matches, where one does.
 */

import { isAtOrUnder, resolveAzureId } from './azure-scope';
import { MAX_BATCH_PERCENT_WITHOUT_SURGE } from '../spec/constants';
import { DIAGNOSTICS_BY_TYPE } from '../monitor/diagnostic-types';

/** A resource's synthesized Terraform JSON. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a rule sees beside the resource it checks. */
export interface RuleContext {
  /** The whole stack's resources, by type then address. */
  readonly resources: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  /** Tag names every taggable resource must carry (the spec's `requiredTags`). */
  readonly requiredTags: readonly string[];
  /** The stack being checked, by name. @default - unnamed: rules see only `resources` */
  readonly stack?: string;
  /**
   * Every stack of the same synth (its whole Terraform JSON), by name, for rules that compare
   * across stacks. @default - only this stack
   */
  readonly synth?: Readonly<Record<string, Json>>;
}

/** The synth's stacks as a rule sees them: `ctx.synth`, or only this stack. */
const stacksOf = (ctx: RuleContext): Readonly<Record<string, Json>> => ctx.synth ?? { [ctx.stack ?? '']: { resource: ctx.resources } };
const one = (x: unknown): Json | undefined => (Array.isArray(x) ? x[0] : (x as Json | undefined));

type DeleteLock = { stack: string; address: string; scope: string; id: string | undefined };
const locksBySynth = new WeakMap<object, DeleteLock[]>();

/** Every CanNotDelete lock of the synth, with its scope as an Azure ID where it resolves (once per synth). */
function deleteLocks(ctx: RuleContext): DeleteLock[] {
  const synth = stacksOf(ctx);
  const known = ctx.synth ? locksBySynth.get(ctx.synth) : undefined;
  if (known) return known;
  const found = Object.entries(synth).flatMap(([stack, json]) =>
    Object.entries((json.resource?.azurerm_management_lock ?? {}) as Record<string, Json>)
      .filter(([, l]) => l.lock_level === 'CanNotDelete' && typeof l.scope === 'string')
      .map(([address, l]) => ({ stack, address, scope: l.scope as string, id: resolveAzureId(l.scope, json) })),
  );
  if (ctx.synth) locksBySynth.set(ctx.synth, found);
  return found;
}

/** One rule of the policy pack. */
export interface PolicyRule {
  /** Stable ID, never reused: 'ASE-<AREA>-<NNN>'. */
  readonly id: string;
  /** Errors fail the synth unless suppressed; warnings are printed. */
  readonly severity: 'error' | 'warning';
  /** What the rule requires, in a few words. */
  readonly title: string;
  /** Why, in one line. */
  readonly rationale: string;
  /** What to change in the spec. */
  readonly fix: string;
  /** The checkov Azure check this matches, where one does. */
  readonly checkov?: readonly string[];
  /** The Terraform resource types it checks. */
  readonly resourceTypes: readonly string[];
  /** A violation's message, or undefined. `type` is the resource's Terraform type (one of resourceTypes). */
  check(resource: Json, address: string, ctx: RuleContext, type: string): string | undefined;
}

const SCALE_SETS = ['azurerm_linux_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set'];
/** Largest rolling batch the pack accepts without surge: a third of the instances (validation refuses more at the spec's field). */
export const MAX_BATCH_PERCENT = MAX_BATCH_PERCENT_WITHOUT_SURGE;

/** Types whose azurerm schema has `tags`. */
const TAGGED = [
  'azurerm_resource_group',
  'azurerm_virtual_network',
  'azurerm_network_security_group',
  'azurerm_public_ip',
  'azurerm_nat_gateway',
  'azurerm_lb',
  'azurerm_key_vault',
  'azurerm_storage_account',
  'azurerm_user_assigned_identity',
  'azurerm_monitor_autoscale_setting',
  'azurerm_private_dns_zone',
  'azurerm_private_dns_zone_virtual_network_link',
  'azurerm_private_dns_a_record',
  ...SCALE_SETS,
];

/** The policy pack: every rule. */
export const RULES: readonly PolicyRule[] = [
  {
    id: 'ASE-NET-001',
    severity: 'error',
    title: 'No public IP but the NAT gateway egress address',
    rationale: 'Endpoints are reachable only from the VNet and declared peers; the one public address is outbound NAT.',
    fix: 'remove the public IP; reach the service through the front or a peering',
    resourceTypes: ['azurerm_public_ip'],
    check: (_r, address, ctx) => {
      const links = Object.values(ctx.resources.azurerm_nat_gateway_public_ip_association ?? {});
      const used = links.some((l) => String(l.public_ip_address_id).startsWith(`\${azurerm_public_ip.${address}.`));
      return used ? undefined : 'a public IP that is not the NAT gateway egress address';
    },
  },
  {
    id: 'ASE-NET-002',
    severity: 'error',
    title: 'Every subnet has a network security group',
    rationale: 'Without an NSG, Azure admits the whole VNet, its peers and VPN ranges.',
    fix: 'associate the subnet with an NSG (the network stack does for every planned subnet)',
    checkov: ['CKV2_AZURE_31'],
    resourceTypes: ['azurerm_subnet'],
    check: (_r, address, ctx) => {
      const links = Object.values(ctx.resources.azurerm_subnet_network_security_group_association ?? {});
      return links.some((l) => String(l.subnet_id).startsWith(`\${azurerm_subnet.${address}.`)) ? undefined : 'a subnet with no NSG';
    },
  },
  {
    id: 'ASE-NET-003',
    severity: 'error',
    title: 'No inbound rule from the internet',
    rationale: 'Inbound traffic comes from declared sources only.',
    fix: 'name the source ranges (peers, admin ranges) instead of Internet or *',
    // checkov checks RDP, SSH, HTTP and UDP one by one; this rule admits no port from the internet
    checkov: ['CKV_AZURE_9', 'CKV_AZURE_10', 'CKV_AZURE_77', 'CKV_AZURE_160'],
    // rules as their own resources (what the library emits), and inline in an NSG (as checkov reads them too)
    resourceTypes: ['azurerm_network_security_rule', 'azurerm_network_security_group'],
    check: (r, _address, _ctx, type) => {
      const rules = type === 'azurerm_network_security_group' ? ([] as Json[]).concat(r.security_rule ?? []) : [r];
      const open = rules.flatMap((x) => {
        if (x.direction !== 'Inbound' || x.access !== 'Allow') return [];
        const sources = [x.source_address_prefix, ...(x.source_address_prefixes ?? [])].filter(Boolean).map(String);
        const from = sources.find((s) => ['*', 'Internet', '0.0.0.0/0', 'Any'].includes(s));
        return from ? [type === 'azurerm_network_security_group' ? `admits inbound traffic from ${from} (rule ${x.name})` : `admits inbound traffic from ${from}`] : [];
      });
      return open.length > 0 ? open.join('; ') : undefined;
    },
  },
  {
    id: 'ASE-NET-004',
    severity: 'error',
    title: "Every NSG admits the load balancer's probes and denies the rest of the VNet",
    rationale: "Azure's default AllowVnetInBound admits the whole VNet and its peers; without an explicit deny every subnet is open to all of them, and without the probe allow the deny takes the backends out of their LB.",
    fix: 'an inbound Allow from AzureLoadBalancer, and an inbound Deny from VirtualNetwork at a higher priority number than every Allow',
    resourceTypes: ['azurerm_network_security_group'],
    check: (nsg, address, ctx) => {
      const ref = `\${azurerm_network_security_group.${address}.name}`;
      const separate = Object.values(ctx.resources.azurerm_network_security_rule ?? {}).filter((r) => r.network_security_group_name === ref);
      const inbound = [...separate, ...((nsg.security_rule ?? []) as Json[])].filter((r) => r.direction === 'Inbound');
      const from = (r: Json) => [r.source_address_prefix, ...(r.source_address_prefixes ?? [])].filter(Boolean).map(String);
      const allows = inbound.filter((r) => r.access === 'Allow');
      const deny = inbound.filter((r) => r.access === 'Deny' && from(r).some((x) => x === 'VirtualNetwork' || x === '*')).sort((a, b) => a.priority - b.priority)[0];
      const probes = allows.find((r) => from(r).includes('AzureLoadBalancer'));
      const problems: string[] = [];
      if (!deny) problems.push('no inbound Deny from VirtualNetwork: Azure\'s AllowVnetInBound admits the whole VNet and its peers');
      else {
        const shadowed = allows.filter((r) => r.priority > deny.priority).map((r) => r.name);
        if (shadowed.length > 0) problems.push(`the VNet deny (priority ${deny.priority}) comes before allow(s) ${shadowed.join(', ')}`);
      }
      if (!probes) problems.push('no inbound Allow from AzureLoadBalancer: health probes would be denied');
      return problems.length > 0 ? problems.join('; ') : undefined;
    },
  },
  {
    id: 'ASE-VM-001',
    severity: 'error',
    title: 'SSH keys only',
    rationale: 'Passwords can be guessed; keys (and Entra ID login) cannot.',
    fix: 'set disable_password_authentication and give admin SSH keys',
    checkov: ['CKV_AZURE_49', 'CKV_AZURE_149', 'CKV_AZURE_178'],
    resourceTypes: SCALE_SETS,
    check: (r) => {
      const linux = one(one(r.os_profile)?.linux_configuration) ?? r;
      if (linux.disable_password_authentication !== true || linux.admin_password) return 'allows password login';
      return ([] as Json[]).concat(linux.admin_ssh_key ?? []).some((k) => k?.public_key) ? undefined : 'no admin SSH key';
    },
  },
  {
    id: 'ASE-VM-002',
    severity: 'error',
    title: 'Encryption at host',
    rationale: 'Temp disks and caches are encrypted too, not only the managed disks.',
    fix: 'set encryption_at_host_enabled (register the EncryptionAtHost feature first)',
    checkov: ['CKV_AZURE_97'],
    resourceTypes: SCALE_SETS,
    check: (r) => (r.encryption_at_host_enabled === true ? undefined : 'no encryption at host'),
  },
  {
    id: 'ASE-VM-003',
    severity: 'error',
    title: 'Spread over zones or fault domains',
    rationale: 'One zone or rack failing must not take every instance.',
    fix: 'give zones (with zone balance), or a platform fault domain count of 2 or more',
    resourceTypes: SCALE_SETS,
    check: (r) => ((r.zones ?? []).length === 1 ? 'in one zone' : (r.zones ?? []).length === 0 && r.platform_fault_domain_count === 1 ? 'in one fault domain' : undefined),
  },
  {
    id: 'ASE-VM-004',
    severity: 'error',
    title: 'Rolling upgrades gated by health, in bounded batches, with automatic repair',
    rationale: 'A bad image must stop after one batch, and the rest must carry the load (seed 001).',
    fix: `upgrade_mode Rolling with the health extension, max_batch_instance_percent <= ${MAX_BATCH_PERCENT} (or surge) and <= max_unhealthy_instance_percent, automatic_instance_repair on`,
    resourceTypes: SCALE_SETS,
    check: (r) => {
      const problems: string[] = [];
      if (r.upgrade_mode !== 'Rolling') problems.push(`upgrade mode ${r.upgrade_mode ?? 'Manual'}`);
      const p = r.rolling_upgrade_policy ?? {};
      if (!p.maximum_surge_instances_enabled && (p.max_batch_instance_percent ?? 100) > MAX_BATCH_PERCENT) problems.push(`batches of ${p.max_batch_instance_percent ?? 100}% without surge`);
      // Azure counts instances being upgraded as unhealthy, before every batch (RollingUpgradePolicy)
      if (p.max_batch_instance_percent !== undefined && p.max_unhealthy_instance_percent !== undefined && p.max_batch_instance_percent > p.max_unhealthy_instance_percent) {
        problems.push(`batches of ${p.max_batch_instance_percent}% above the unhealthy limit of ${p.max_unhealthy_instance_percent}% (upgrading instances count as unhealthy)`);
      }
      if (!(r.extension ?? []).some((e: Json) => e.type === 'ApplicationHealthLinux') && !r.health_probe_id) problems.push('no health gate');
      if (r.automatic_instance_repair?.enabled !== true) problems.push('no automatic repair');
      return problems.length > 0 ? problems.join(', ') : undefined;
    },
  },
  {
    id: 'ASE-VM-005',
    severity: 'error',
    title: 'The VM agent is provisioned',
    rationale: 'Every extension needs the Azure VM agent: without it the Application Health extension never reports, so rolling upgrades and automatic repair have no health gate, and Key Vault and Entra ID login extensions never run.',
    fix: 'leave provision_vm_agent at its default (true); it forces a new scale set once created',
    checkov: ['CKV_AZURE_179'],
    resourceTypes: SCALE_SETS,
    check: (r, _a, _ctx, type) => {
      // azurerm 4.55: Default true, ForceNew; on the Flexible scale set inside os_profile.linux_configuration
      const agent = type === 'azurerm_orchestrated_virtual_machine_scale_set' ? one(one(r.os_profile)?.linux_configuration)?.provision_vm_agent : r.provision_vm_agent;
      return agent === false ? 'provision_vm_agent is false: no extension can run' : undefined;
    },
  },
  {
    id: 'ASE-AS-001',
    severity: 'error',
    title: 'Autoscale keeps at least 2 instances (parked idle slots aside)',
    rationale: 'One zone or fault domain failing, or one instance being upgraded, must not leave a slot with nothing.',
    fix: "raise the profile's minimum to 2; an idle slot may be parked (its profile is 'parked', and the synth proves it carries what it is sent)",
    resourceTypes: ['azurerm_monitor_autoscale_setting'],
    check: (r) => {
      const low = (r.profile ?? []).filter((p: Json) => p.name !== 'parked' && Number(p.capacity?.minimum) < 2);
      return low.length > 0 ? `profile(s) ${low.map((p: Json) => `${p.name} (minimum ${p.capacity.minimum})`).join(', ')} below 2` : undefined;
    },
  },
  {
    id: 'ASE-LB-001',
    severity: 'error',
    title: 'Standard load balancers with static private frontends',
    rationale: 'Basic load balancers are retired and have no zones; a dynamic frontend can move under its callers.',
    fix: "sku 'Standard', frontends with a static private IP from the plan",
    resourceTypes: ['azurerm_lb'],
    check: (r) => {
      if (r.sku !== 'Standard') return `sku ${r.sku ?? 'Basic'}`;
      const bad = (r.frontend_ip_configuration ?? []).find((f: Json) => f.private_ip_address_allocation !== 'Static' || !f.private_ip_address || f.public_ip_address_id);
      return bad ? `frontend ${bad.name} is not a static private address` : undefined;
    },
  },
  {
    id: 'ASE-LB-002',
    severity: 'error',
    title: 'Every load-balancer rule has a probe',
    rationale: 'Without a probe, the balancer sends traffic to instances that are down.',
    fix: 'give the rule a probe_id',
    resourceTypes: ['azurerm_lb_rule'],
    check: (r) => (r.probe_id ? undefined : 'no health probe'),
  },
  {
    id: 'ASE-KV-001',
    severity: 'error',
    title: 'Key Vault: RBAC, purge protection, soft delete, deny-by-default firewall',
    rationale: 'Certificates and secrets outlive a bad apply only if the vault does.',
    fix: 'enable_rbac_authorization, purge_protection_enabled, network_acls default_action Deny',
    checkov: ['CKV_AZURE_42', 'CKV_AZURE_109', 'CKV_AZURE_110'],
    resourceTypes: ['azurerm_key_vault'],
    check: (r) => {
      const problems: string[] = [];
      if (r.enable_rbac_authorization !== true && r.rbac_authorization_enabled !== true) problems.push('access policies instead of RBAC');
      if (r.purge_protection_enabled !== true) problems.push('no purge protection');
      if (r.network_acls?.default_action !== 'Deny') problems.push('firewall admits by default');
      return problems.length > 0 ? problems.join(', ') : undefined;
    },
  },
  {
    id: 'ASE-STATE-001',
    severity: 'error',
    title: 'Stateful resources survive a destroy: prevent_destroy, and data that outlives a delete',
    rationale:
      "A vault's keys and a storage account's blobs (Terraform state, the front's table history) cannot be re-created by an apply. A delete lock is not required: it also blocks removing the grants and diagnostic settings beneath it (ASE-STATE-002).",
    fix: 'lifecycle prevent_destroy; for a Key Vault purge protection (ASE-KV-001; soft delete is always on); for a storage account blob versioning and soft delete of blobs and containers. A CanNotDelete lock may add to this where nothing deletable lives beneath it',
    resourceTypes: ['azurerm_key_vault', 'azurerm_storage_account'],
    check: (r, _address, _ctx, type) => {
      const problems: string[] = [];
      if (r.lifecycle?.prevent_destroy !== true) problems.push('no lifecycle prevent_destroy (Terraform would destroy it)');
      if (type === 'azurerm_storage_account') {
        const blob = one(r.blob_properties);
        if (blob?.versioning_enabled !== true) problems.push('no blob versioning (an overwritten blob is gone)');
        if (!one(blob?.delete_retention_policy)) problems.push('no blob soft delete (a deleted blob is gone)');
        if (!one(blob?.container_delete_retention_policy)) problems.push('no container soft delete (a deleted container is gone)');
      }
      return problems.length > 0 ? problems.join('; ') : undefined;
    },
  },
  {
    id: 'ASE-STATE-002',
    severity: 'error',
    title: 'No role assignment or diagnostic setting at or under a CanNotDelete lock',
    rationale:
      'A CanNotDelete lock blocks deleting every role assignment and diagnostic setting at or below its scope (ScopeLocked), so removing a service, a secret setting or a certificate, or changing the deployer, fails at apply.',
    fix: 'drop the lock (protect with prevent_destroy, soft delete, purge protection or versioning: ASE-STATE-001), or grant at a scope the lock does not cover',
    resourceTypes: ['azurerm_role_assignment', 'azurerm_monitor_diagnostic_setting'],
    check: (r, _address, ctx, type) => {
      const scope = type === 'azurerm_role_assignment' ? r.scope : r.target_resource_id;
      if (typeof scope !== 'string') return undefined;
      const own = stacksOf(ctx)[ctx.stack ?? ''] ?? { resource: ctx.resources };
      const id = resolveAzureId(scope, own);
      const lock = deleteLocks(ctx).find(
        (l) => (id !== undefined && l.id !== undefined && isAtOrUnder(id, l.id)) || ((l.stack === (ctx.stack ?? '')) && (scope === l.scope || scope.startsWith(`${l.scope}/`))),
      );
      if (!lock) return undefined;
      const what = type === 'azurerm_role_assignment' ? `a ${r.role_definition_name ?? 'role'} grant` : 'a diagnostic setting';
      return `${what} at ${id ?? scope} is under the CanNotDelete lock ${lock.stack ? `${lock.stack}:` : ''}azurerm_management_lock.${lock.address} (${lock.id ?? lock.scope}): deleting it fails with ScopeLocked`;
    },
  },
  {
    id: 'ASE-MON-001',
    severity: 'warning',
    title: 'Every resource that takes a diagnostic setting has one',
    rationale:
      "Without a diagnostic setting a resource's logs (the vault's audit events, an NSG's rule events, a load balancer's health events, autoscale's decisions) and its metrics history are nowhere to query or alert on when something goes wrong.",
    fix: 'keep monitoring on (monitoring.enabled, the default): every stack adds a setting to the workspace; a resource added outside the library needs its own azurerm_monitor_diagnostic_setting. Resources under a CanNotDelete lock are exempt: their setting could not be deleted (ASE-STATE-002)',
    resourceTypes: Object.keys(DIAGNOSTICS_BY_TYPE),
    check: (_r, address, ctx, type) => {
      const own = stacksOf(ctx)[ctx.stack ?? ''] ?? { resource: ctx.resources };
      const ref = `\${${type}.${address}.id}`;
      const id = resolveAzureId(ref, own);
      // under a CanNotDelete lock a setting could never be deleted (ASE-STATE-002): the state account
      if (deleteLocks(ctx).some((l) => (id !== undefined && l.id !== undefined && isAtOrUnder(id, l.id)) || (l.stack === (ctx.stack ?? '') && l.scope === ref))) return undefined;
      const settings = Object.values(stacksOf(ctx)).flatMap((json) => Object.values((json.resource?.azurerm_monitor_diagnostic_setting ?? {}) as Record<string, Json>).map((d) => ({ d, json })));
      const covers = ({ d, json }: { d: Json; json: Json }) => {
        const target = d.target_resource_id;
        if (typeof target !== 'string') return false;
        if (json === own && target === ref) return true;
        return id !== undefined && resolveAzureId(target, json)?.toLowerCase() === id.toLowerCase();
      };
      return settings.some(covers) ? undefined : `no diagnostic setting sends its ${DIAGNOSTICS_BY_TYPE[type].logs ? 'logs and ' : ''}metrics anywhere`;
    },
  },
  {
    id: 'ASE-ST-001',
    severity: 'error',
    title: 'Storage accounts: Entra ID only, HTTPS with TLS 1.2, no anonymous access',
    rationale:
      'An account key or SAS token works from anywhere the firewall admits and outlives the identity that used it; anonymous containers need no credential at all; TLS below 1.2 is retired by Azure.',
    fix: 'shared_access_key_enabled false (grant Storage Blob Data roles instead), https_traffic_only_enabled and min_tls_version TLS1_2 (the defaults), allow_nested_items_to_be_public false, containers private',
    checkov: ['CKV_AZURE_3', 'CKV_AZURE_34', 'CKV_AZURE_44', 'CKV_AZURE_190', 'CKV2_AZURE_8', 'CKV2_AZURE_40', 'CKV2_AZURE_41', 'CKV2_AZURE_47'],
    resourceTypes: ['azurerm_storage_account', 'azurerm_storage_container'],
    check: (r, _a, _ctx, type) => {
      // azurerm 4.55 defaults: container_access_type "private", https_traffic_only_enabled true,
      // min_tls_version TLS1_2, but allow_nested_items_to_be_public and shared_access_key_enabled true
      if (type === 'azurerm_storage_container') return (r.container_access_type ?? 'private') === 'private' ? undefined : `container_access_type ${r.container_access_type}: anyone can read its blobs`;
      const problems: string[] = [];
      if (r.shared_access_key_enabled !== false) problems.push('shared access keys enabled (account keys and SAS tokens work)');
      if (r.https_traffic_only_enabled === false) problems.push('plain HTTP allowed');
      if ((r.min_tls_version ?? 'TLS1_2') !== 'TLS1_2') problems.push(`min_tls_version ${r.min_tls_version}`);
      if (r.allow_nested_items_to_be_public !== false) problems.push('containers may be made public (allow_nested_items_to_be_public)');
      return problems.length > 0 ? problems.join(', ') : undefined;
    },
  },
  {
    id: 'ASE-ST-002',
    severity: 'error',
    title: 'Storage account firewalls deny by default',
    rationale:
      'Without network rules a storage account admits every network, its Entra ID checks aside; checkov (CKV_AZURE_35) does not even report an account that has no network_rules block.',
    fix: "network_rules with default_action 'Deny', admitting the subnets (service endpoint) and deployer ranges that need it",
    checkov: ['CKV_AZURE_35'],
    resourceTypes: ['azurerm_storage_account'],
    check: (r, address, ctx) => {
      // the rules may also be a resource of their own (azurerm_storage_account_network_rules)
      const separate = Object.values(ctx.resources.azurerm_storage_account_network_rules ?? {}).find((n) => String(n.storage_account_id).startsWith(`\${azurerm_storage_account.${address}.`));
      const action = one(r.network_rules)?.default_action ?? separate?.default_action;
      if (action === 'Deny') return undefined;
      return action === undefined ? 'no network_rules: every network is admitted' : `network_rules default_action ${action}`;
    },
  },
  {
    id: 'ASE-KV-004',
    severity: 'error',
    title: 'A vault that denies by default is reachable from the VNet',
    rationale: 'VMs fetch certificates and secrets from the vault: a firewall that denies by default with no private endpoint and no subnet leaves them nothing to fetch with, and the failure shows only at boot.',
    fix: 'a private endpoint to the vault (the vault stack makes one), or the VMs\' subnets in network_acls.virtual_network_subnet_ids',
    checkov: ['CKV2_AZURE_32'],
    resourceTypes: ['azurerm_key_vault'],
    check: (r, address, ctx) => {
      const acls = one(r.network_acls);
      if (acls?.default_action !== 'Deny' || (acls.virtual_network_subnet_ids ?? []).length > 0) return undefined;
      const ref = `\${azurerm_key_vault.${address}.id}`;
      const name = String(r.name ?? '').toLowerCase();
      const endpoints = Object.entries(stacksOf(ctx)).flatMap(([stack, json]) =>
        Object.values((json.resource?.azurerm_private_endpoint ?? {}) as Record<string, Json>).map((pe) => ({ stack, target: String(one(pe.private_service_connection)?.private_connection_resource_id ?? '') })),
      );
      const reached = endpoints.some((e) => (e.stack === (ctx.stack ?? '') && e.target === ref) || (name !== '' && e.target.toLowerCase().endsWith(`/vaults/${name}`)));
      return reached ? undefined : 'denies by default, with no private endpoint and no subnet allowed: nothing in the VNet can reach it';
    },
  },
  {
    id: 'ASE-KV-002',
    severity: 'warning',
    title: 'Certificates Key Vault can renew',
    rationale: 'An imported certificate expires unless someone imports the next one.',
    fix: "issue it from the vault ('self' or an integrated CA), or keep contacts that will act on the expiry e-mail",
    resourceTypes: ['azurerm_key_vault_certificate'],
    check: (r, _a, ctx) => {
      if (!r.certificate) return undefined;
      const contacts = Object.values(ctx.resources.azurerm_key_vault_certificate_contacts ?? {}).flatMap((c) => (c.contact ?? []).map((x: Json) => x.email));
      return `imported: Key Vault cannot renew it; ${contacts.join(', ') || 'no one'} will be e-mailed before it expires, and someone must import the next one`;
    },
  },
  {
    id: 'ASE-KV-003',
    severity: 'error',
    title: 'Certificates the vault issues renew themselves',
    rationale: 'A vault-issued certificate without an AutoRenew lifetime action expires in production while everyone assumes Key Vault handles it.',
    fix: 'certificate_policy.lifetime_action with action_type AutoRenew (the library sets it, 30 days before expiry)',
    resourceTypes: ['azurerm_key_vault_certificate'],
    check: (r) => {
      const policy = Array.isArray(r.certificate_policy) ? r.certificate_policy[0] : r.certificate_policy;
      if (r.certificate || !policy) return undefined; // imported: ASE-KV-002
      const issuer = (Array.isArray(policy.issuer_parameters) ? policy.issuer_parameters[0] : policy.issuer_parameters)?.name;
      if (issuer === 'Unknown') return undefined; // a CA outside the vault's reach: nothing to renew with
      const actions = ([] as Json[]).concat(policy.lifetime_action ?? []);
      const renews = actions.some((a) => ([] as Json[]).concat(a.action ?? []).some((x) => x.action_type === 'AutoRenew'));
      return renews ? undefined : `issued by ${issuer ?? 'the vault'} but never renewed: no AutoRenew lifetime action`;
    },
  },
  {
    id: 'ASE-TAG-001',
    severity: 'error',
    title: "The environment's required tags on every taggable resource",
    rationale: 'Cost and ownership reports group by them.',
    fix: 'add the tags to the environment (tags) or the service',
    resourceTypes: TAGGED,
    check: (r, _a, ctx) => {
      const missing = ctx.requiredTags.filter((t) => !r.tags?.[t]);
      return missing.length > 0 ? `missing tag(s) ${missing.join(', ')}` : undefined;
    },
  },
];

export const ruleById = (id: string) => RULES.find((r) => r.id === id);
