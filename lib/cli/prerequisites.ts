/**
 * `ase prerequisites <env>`: what the subscription and the deploying identity need before the
 * first `cdktf deploy`, derived from the environment's synthesized stacks (not from a list kept by
 * hand): the resource-provider namespaces of every resource type written (the provider block
 * registers none: `resource_provider_registrations = "none"`), the preview features the scale sets'
 * settings need, the roles the deployer needs and where, and the VNet rules the team's artifact
 * store must hold. Each line comes with the `az` command that checks it.
 *
 *   ase prerequisites <env> [--environments DIR] [--json]
 *
 * Exit codes: 0 printed, 1 the environment does not synthesize, 2 bad usage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize, formatProblems } from '../environment/synthesize';
import { commandHelp, parseCommandArgs, usageError, usageText, type CommandArgs } from './args';
import { CommandError } from './command';
import { DEFAULT_ENVIRONMENTS, loadEnvironment } from './environments';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The resource-provider namespace of every resource and data source type the library writes.
 * Microsoft.Resources and Microsoft.Authorization (resource groups, locks, role assignments) are
 * registered in every subscription; they are listed so that nothing is left out.
 */
export const NAMESPACE_OF: Readonly<Record<string, string>> = {
  azurerm_key_vault: 'Microsoft.KeyVault',
  azurerm_key_vault_certificate: 'Microsoft.KeyVault',
  azurerm_key_vault_certificate_contacts: 'Microsoft.KeyVault',
  azurerm_lb: 'Microsoft.Network',
  azurerm_lb_backend_address_pool: 'Microsoft.Network',
  azurerm_lb_nat_rule: 'Microsoft.Network',
  azurerm_lb_probe: 'Microsoft.Network',
  azurerm_lb_rule: 'Microsoft.Network',
  azurerm_linux_virtual_machine_scale_set: 'Microsoft.Compute',
  // a data source: lists an image SKU's versions (each slot pins one, docs/patching.md)
  azurerm_platform_image: 'Microsoft.Compute',
  azurerm_log_analytics_workspace: 'Microsoft.OperationalInsights',
  azurerm_log_analytics_workspace_table_custom_log: 'Microsoft.OperationalInsights',
  azurerm_orchestrated_virtual_machine_scale_set: 'Microsoft.Compute',
  azurerm_management_lock: 'Microsoft.Authorization',
  azurerm_monitor_action_group: 'Microsoft.Insights',
  azurerm_monitor_autoscale_setting: 'Microsoft.Insights',
  azurerm_monitor_data_collection_rule: 'Microsoft.Insights',
  azurerm_monitor_data_collection_rule_association: 'Microsoft.Insights',
  azurerm_monitor_diagnostic_setting: 'Microsoft.Insights',
  azurerm_monitor_metric_alert: 'Microsoft.Insights',
  azurerm_monitor_scheduled_query_rules_alert_v2: 'Microsoft.Insights',
  azurerm_nat_gateway: 'Microsoft.Network',
  azurerm_nat_gateway_public_ip_association: 'Microsoft.Network',
  azurerm_network_security_group: 'Microsoft.Network',
  azurerm_network_security_rule: 'Microsoft.Network',
  azurerm_private_dns_a_record: 'Microsoft.Network',
  azurerm_private_dns_zone: 'Microsoft.Network',
  azurerm_private_dns_zone_virtual_network_link: 'Microsoft.Network',
  azurerm_private_endpoint: 'Microsoft.Network',
  azurerm_public_ip: 'Microsoft.Network',
  azurerm_resource_group: 'Microsoft.Resources',
  azurerm_resource_group_policy_assignment: 'Microsoft.Authorization',
  azurerm_resource_group_policy_remediation: 'Microsoft.PolicyInsights',
  azurerm_role_assignment: 'Microsoft.Authorization',
  azurerm_storage_account: 'Microsoft.Storage',
  azurerm_storage_blob: 'Microsoft.Storage',
  azurerm_storage_container: 'Microsoft.Storage',
  azurerm_subnet: 'Microsoft.Network',
  azurerm_subnet_nat_gateway_association: 'Microsoft.Network',
  azurerm_subnet_network_security_group_association: 'Microsoft.Network',
  azurerm_user_assigned_identity: 'Microsoft.ManagedIdentity',
  azurerm_virtual_network: 'Microsoft.Network',
  azurerm_virtual_network_peering: 'Microsoft.Network',
};

/** Namespaces every subscription has registered (`az provider list` shows them Registered). */
export const ALWAYS_REGISTERED = ['Microsoft.Authorization', 'Microsoft.Resources'] as const;

/** A namespace the stacks use, and the types that use it. */
export interface NamespaceNeed {
  readonly namespace: string;
  readonly types: readonly string[];
}

/** A subscription feature (`az feature register`) and the setting that needs it. */
export interface FeatureNeed {
  readonly namespace: string;
  readonly name: string;
  readonly why: string;
}

/** A role the deployer needs, at which scopes, and why. */
export interface RoleNeed {
  readonly role: string;
  readonly scopes: readonly string[];
  readonly why: string;
}

/** Everything `ase prerequisites` prints. */
export interface Prerequisites {
  readonly environment: string;
  readonly subscriptionId: string;
  readonly deployer: string;
  readonly namespaces: readonly NamespaceNeed[];
  readonly unknownTypes: readonly string[];
  readonly features: readonly FeatureNeed[];
  readonly roles: readonly RoleNeed[];
  /** The roles the deployer's stacks assign (what a constrained Role Based Access Control Administrator may assign). */
  readonly rolesAssigned: readonly string[];
  /** The external artifact store, and the subnets (static IDs) it must admit by VNet rule. */
  readonly artifactStore?: { readonly storageAccountId: string; readonly subnetIds: readonly string[] };
  readonly deployerIpRanges: readonly string[];
}

const sorted = <T>(xs: Iterable<T>) => [...new Set(xs)].sort();
const ref = /^\$\{(azurerm_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.id\}$/;

/** A role assignment's or lock's scope, readable: a static ID as is, a reference by what it names. */
function describeScope(stackName: string, stack: Json, scope: string): string {
  const m = ref.exec(scope);
  if (!m) return scope;
  const target = stack.resource?.[m[1]]?.[m[2]] as Json | undefined;
  const rg = typeof target?.resource_group_name === 'string' && !target.resource_group_name.startsWith('${') ? ` in ${target.resource_group_name}` : '';
  const rgRef = typeof target?.resource_group_name === 'string' && target.resource_group_name.startsWith('${') ? stack.resource?.azurerm_resource_group?.['resource-group']?.name : undefined;
  const name = typeof target?.name === 'string' && !target.name.startsWith('${') ? ` ${target.name}` : '';
  return `${m[1].replace(/^azurerm_/, '')}${name}${rg || (rgRef ? ` in ${rgRef}` : '')} (${stackName})`;
}

/**
 * The prerequisites of one environment from its synthesized stacks (`<stack name>` → cdk.tf.json).
 * Pure: reads the JSON only.
 */
export function prerequisitesOf(
  env: { readonly name: string; readonly subscriptionId: string; readonly deployer: { readonly principalId: string; readonly ipRanges?: readonly string[] }; readonly artifactStore?: { readonly storageAccountId: string }; readonly stateBackend?: { readonly resourceGroupName: string; readonly storageAccountName: string }; readonly monitoring?: { readonly enabled: boolean; readonly workspaceId?: string } },
  stacks: Readonly<Record<string, Json>>,
): Prerequisites {
  const byNamespace = new Map<string, Set<string>>();
  const unknown = new Set<string>();
  const features = new Map<string, FeatureNeed>();
  const assignScopes = new Set<string>();
  const lockScopes = new Set<string>();
  const policyGroups = new Set<string>();
  const rolesAssigned = new Set<string>();
  const groups = new Set<string>();
  let storageAzureAd = false;
  const feature = (name: string, why: string, namespace = 'Microsoft.Compute') => features.set(name, { namespace, name, why });
  const subnetsOf = new Map<string, string[]>();

  for (const [stackName, stack] of Object.entries(stacks)) {
    if ((stack.provider?.azurerm ?? []).some((p: Json) => p.storage_use_azuread === true)) storageAzureAd = true;
    const types = [...Object.keys(stack.resource ?? {}), ...Object.keys(stack.data ?? {}).map((t) => t.replace(/^data\./, ''))];
    // only azurerm types live in an Azure namespace (time_sleep is the time provider's, local)
    for (const type of types.filter((t) => t.startsWith('azurerm_'))) {
      const ns = NAMESPACE_OF[type];
      if (!ns) unknown.add(type);
      else byNamespace.set(ns, (byNamespace.get(ns) ?? new Set()).add(type));
    }
    for (const rg of Object.values((stack.resource?.azurerm_resource_group ?? {}) as Json)) groups.add(rg.name);
    for (const type of ['azurerm_linux_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set']) {
      for (const vmss of Object.values((stack.resource?.[type] ?? {}) as Json)) {
        const flexible = type === 'azurerm_orchestrated_virtual_machine_scale_set';
        if (vmss.encryption_at_host_enabled === true) feature('EncryptionAtHost', 'scale sets set encryption_at_host_enabled');
        if (vmss.rolling_upgrade_policy?.maximum_surge_instances_enabled === true) feature('MaxSurgeRollingUpgrade', 'rolling upgrades with maximum surge (rolling_upgrade_policy.maximum_surge_instances_enabled)');
        if (flexible && vmss.upgrade_mode === 'Rolling') {
          feature('VMSSFlexRollingUpgrade', 'Flexible (orchestrated) scale sets with upgrade_mode Rolling');
          feature('ImageReferenceUpgradeForVmoVMs', 'a new image version rolled out to Flexible scale sets');
        }
      }
    }
    // every region's network stack names its subnets that read the artifact store (docs/regions.md)
    if (stack.output?.artifact_store_subnet_ids) subnetsOf.set(stackName, subnetIdsOf(env.subscriptionId, stack));
    for (const subnet of Object.values((stack.resource?.azurerm_subnet ?? {}) as Json)) {
      // Azure's provider docs still call the cross-region endpoint a preview behind this feature; Azure's own docs say it is GA since April 2023
      if ((subnet.service_endpoints ?? []).includes('Microsoft.Storage.Global')) feature('AllowGlobalTagsForStorage', "another region's subnets use the cross-region storage endpoint (Microsoft.Storage.Global); the provider's docs still name this feature for it, Azure's GA notice does not: check it, register it if Azure refuses the subnet", 'Microsoft.Network');
    }
    for (const ra of Object.values((stack.resource?.azurerm_role_assignment ?? {}) as Json)) {
      assignScopes.add(describeScope(stackName, stack, ra.scope));
      if (typeof ra.role_definition_name === 'string') rolesAssigned.add(ra.role_definition_name);
    }
    for (const lock of Object.values((stack.resource?.azurerm_management_lock ?? {}) as Json)) lockScopes.add(describeScope(stackName, stack, lock.scope));
    for (const a of Object.values((stack.resource?.azurerm_resource_group_policy_assignment ?? {}) as Json)) policyGroups.add(describeScope(stackName, stack, a.resource_group_id));
  }

  // the first region's subnets first, then the other regions' in stack order
  const first = `${env.name}-network`;
  const subnetIds = [...(subnetsOf.get(first) ?? []), ...[...subnetsOf].filter(([k]) => k !== first).flatMap(([, ids]) => ids)];
  const subscription = `/subscriptions/${env.subscriptionId}`;
  const roles: RoleNeed[] = [
    { role: 'Contributor', scopes: [subscription], why: `creates and changes every resource; the stacks create their own resource groups (${sorted(groups).join(', ')}), which needs subscription scope` },
  ];
  if (assignScopes.size > 0) {
    roles.push({
      role: 'Role Based Access Control Administrator (with a condition that it may assign only the roles below), or User Access Administrator',
      scopes: sorted(assignScopes),
      why: 'the stacks create role assignments there (Contributor may not write Microsoft.Authorization)',
    });
  }
  if (lockScopes.size > 0) {
    roles.push({
      role: 'User Access Administrator or Owner, or a custom role with Microsoft.Authorization/locks/*',
      scopes: sorted(lockScopes),
      why: 'the stacks create CanNotDelete locks there (neither Contributor nor Role Based Access Control Administrator may write locks)',
    });
  }
  if (policyGroups.size > 0) {
    roles.push({
      role: 'Resource Policy Contributor',
      scopes: sorted(policyGroups),
      why: 'the stacks of Flexible scale sets assign the built-in policy that associates each VM with its data collection rule, and start its remediation task (Contributor may not write Microsoft.Authorization)',
    });
  }
  if (storageAzureAd) {
    roles.push({ role: 'Storage Blob Data Contributor', scopes: ["the front's store (the front stack grants it to the deployer itself)"], why: 'the front stack writes its blobs with Entra ID (storage_use_azuread)' });
  }
  if (env.stateBackend) {
    const { resourceGroupName: rg, storageAccountName: account } = env.stateBackend;
    roles.push({
      role: 'Storage Blob Data Contributor',
      scopes: [`the state account ${account} (the state stack grants it to the deployer itself, on ${rg}, above the account's lock, and waits for it)`],
      why: 'every stack keeps its state there with Entra ID auth',
    });
  }
  if (env.monitoring?.enabled && env.monitoring.workspaceId) {
    roles.push({
      role: 'Log Analytics Contributor',
      scopes: [env.monitoring.workspaceId],
      why: "the monitor stack creates the FrontAccess_CL table in that workspace, and every stack's diagnostic settings and data collection rules send to it (Contributor on the environment's subscription does not reach a workspace elsewhere)",
    });
  }
  if (stacks[`${env.name}-vault`]) {
    roles.push({ role: 'Key Vault Certificates Officer and Key Vault Secrets Officer', scopes: ['the vault (the vault stack grants them to the deployer itself)'], why: 'certificates and contacts are data-plane writes, from an address in deployer.ipRanges' });
  }

  return {
    environment: env.name,
    subscriptionId: env.subscriptionId,
    deployer: env.deployer.principalId,
    namespaces: sorted(byNamespace.keys()).map((namespace) => ({ namespace, types: sorted(byNamespace.get(namespace)!) })),
    unknownTypes: sorted(unknown),
    features: sorted(features.keys()).map((k) => features.get(k)!),
    roles,
    rolesAssigned: sorted(rolesAssigned),
    ...(env.artifactStore ? { artifactStore: { storageAccountId: env.artifactStore.storageAccountId, subnetIds } } : {}),
    deployerIpRanges: [...(env.deployer.ipRanges ?? [])],
  };
}

/** The static IDs of the subnets the network stack's artifact-store output names. */
function subnetIdsOf(subscriptionId: string, network: Json): string[] {
  const value = network.output?.artifact_store_subnet_ids?.value as string[] | undefined;
  if (!value) return [];
  const rg = network.resource?.azurerm_resource_group?.['resource-group']?.name as string;
  const vnet = Object.values((network.resource?.azurerm_virtual_network ?? {}) as Json)[0]?.name as string;
  return value.map((v) => {
    const m = /^\$\{azurerm_subnet\.([A-Za-z0-9_-]+)\.id\}$/.exec(v);
    const name = m ? (network.resource.azurerm_subnet[m[1]].name as string) : v;
    return `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${name}`;
  });
}

/** The text `ase prerequisites` prints: each need with the command that checks it. */
export function renderPrerequisites(p: Prerequisites): string {
  const out: string[] = [];
  out.push(`Prerequisites of ${p.environment} (subscription ${p.subscriptionId}), from its synthesized stacks.`, '');
  out.push('Resource providers. The provider block registers none (resource_provider_registrations = "none"), so register these once:');
  const width = Math.max(...p.namespaces.map((n) => n.namespace.length));
  for (const n of p.namespaces) out.push(`  ${n.namespace.padEnd(width)}  ${(ALWAYS_REGISTERED as readonly string[]).includes(n.namespace) ? '(registered in every subscription) ' : ''}${n.types.join(', ')}`);
  out.push('  check:    az provider show --namespace <namespace> --query registrationState -o tsv   (want Registered)');
  out.push('  register: az provider register --namespace <namespace> --wait');
  if (p.unknownTypes.length > 0) out.push(`  not in the table (find their namespace): ${p.unknownTypes.join(', ')}`);
  out.push('');
  if (p.features.length > 0) {
    out.push('Features (az feature register; then register the namespace again so it takes effect):');
    for (const f of p.features) out.push(`  ${f.namespace}/${f.name}: ${f.why}`);
    for (const ns of sorted(p.features.map((f) => f.namespace))) {
      out.push(`  check:    az feature show --namespace ${ns} --name <feature> --query properties.state -o tsv   (want Registered)`);
      out.push(`  register: az feature register --namespace ${ns} --name <feature>, wait for Registered, then az provider register --namespace ${ns}`);
    }
    out.push('');
  }
  out.push(`The deployer (object ID ${p.deployer}) needs:`);
  for (const r of p.roles) {
    out.push(`  ${r.role}: ${r.why}`);
    for (const s of r.scopes) out.push(`    ${s}`);
  }
  if (p.rolesAssigned.length > 0) out.push(`  the roles it assigns: ${p.rolesAssigned.join(', ')}`);
  out.push(`  check:    az role assignment list --assignee ${p.deployer} --all --include-inherited -o table`);
  if (p.deployerIpRanges.length > 0) out.push(`  and it connects from ${p.deployerIpRanges.join(', ')} (deployer.ipRanges): the vault's and the front store's firewalls admit only these`);
  out.push('');
  if (p.artifactStore) {
    const [, , , , rg, , , , account] = p.artifactStore.storageAccountId.split('/');
    out.push(`Artifact store ${p.artifactStore.storageAccountId}: its owner admits these subnets by VNet rule`);
    out.push("(Azure Storage ignores IP rules for requests from its own region; each subnet has a storage service endpoint: Microsoft.Storage in the first region, which reaches an account in that region or its pair, Microsoft.Storage.Global in another, which reaches any region):");
    for (const id of p.artifactStore.subnetIds) out.push(`  az storage account network-rule add --resource-group ${rg} --account-name ${account} --subnet ${id}`);
    out.push(`  check:    az storage account network-rule list --resource-group ${rg} --account-name ${account} --query virtualNetworkRules[].virtualNetworkResourceId -o tsv`);
    out.push('');
  }
  out.push('Quota: vCPUs per VM family in the region (the synth checks the spec\'s quotas; check the subscription has them): az vm list-usage --location <region> -o table');
  return `${out.join('\n')}\n`;
}

/** What `ase prerequisites` accepts. */
export const PREREQUISITES_ARGS: CommandArgs = {
  command: 'ase prerequisites',
  summary: "what the subscription and the deploying identity need before the first deploy, from the environment's synth, with the az command that checks each",
  usage: ['ase prerequisites <env> [--environments DIR] [--json]'],
  positionals: [{ name: 'env', description: 'the environment, by its name' }],
  flags: {
    environments: { type: 'string', value: 'DIR', description: 'the folder of environment files', default: DEFAULT_ENVIRONMENTS },
    json: { type: 'boolean', description: 'print the list as JSON instead of text' },
  },
};

/** The usage line. */
export const PREREQUISITES_USAGE = usageText(PREREQUISITES_ARGS);

/** `ase prerequisites <env>`. */
export function main(argv: string[]): number {
  const { help, values, positionals } = parseCommandArgs(PREREQUISITES_ARGS, argv);
  if (help) {
    process.stdout.write(`${commandHelp(PREREQUISITES_ARGS)}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw usageError(PREREQUISITES_ARGS, `name one environment, not ${positionals.length}`);
  const folder = values.environments as string;
  const env = loadEnvironment(positionals[0], folder);
  const dir = mkdtempSync(join(tmpdir(), 'ase-prerequisites-'));
  try {
    const out = join(dir, 'cdktf.out');
    const r = synthesize([{ file: env.file ?? env.name, spec: stripFile(env), issues: [] }], out);
    if (!r.ok) throw new CommandError(formatProblems(r.problems, folder));
    const stacks: Record<string, Json> = {};
    for (const name of readdirSync(join(out, 'stacks')).sort()) stacks[name] = JSON.parse(readFileSync(join(out, 'stacks', name, 'cdk.tf.json'), 'utf8')) as Json;
    const p = prerequisitesOf(env, stacks);
    process.stdout.write(values.json ? `${JSON.stringify(p, null, 2)}\n` : renderPrerequisites(p));
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stripFile<T extends { file?: string }>(env: T): Omit<T, 'file'> {
  const { file: _file, ...rest } = env;
  return rest;
}
