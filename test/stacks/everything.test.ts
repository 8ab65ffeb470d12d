/**
 * The option-coverage fixtures (test/fixtures/environments/) synthesize with no problem and no
 * unsuppressed policy finding, and their stacks hold every option the spec has: if a fixture
 * loses an option (or the synth stops emitting it), the option's check here fails, so the
 * `terraform validate` run over these stacks cannot silently cover less.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { environmentFiles } from '../../lib/spec/load';
import { validateEnvironment } from '../../lib/spec/validate';
import { AUTOSCALE_TIME_ZONES } from '../../lib/spec/autoscale-time-zones';
import { FIXTURE_ENVIRONMENTS_DIR, loadFixtureSpecs, synthesizeFixtures } from '../support/fixture-environments';
import { readStacks, tempDir, type Json } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const dir = tempDir('ase-everything-');
const out = join(dir, 'nested', 'cdktf.out');
const result = synthesizeFixtures(out);
const stacks: Record<string, Json> = result.ok ? Object.fromEntries(Object.entries(readStacks(out)).map(([k, v]) => [k, JSON.parse(v)])) : {};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every resource (or data source) body of a type, over the stacks whose name starts with `prefix`. */
function all(type: string, prefix = '', kind: 'resource' | 'data' = 'resource'): Json[] {
  return Object.entries(stacks)
    .filter(([name]) => name.startsWith(prefix))
    .flatMap(([, json]) => Object.values((json[kind]?.[type] ?? {}) as Record<string, Json>));
}
const profiles = (prefix = '') => all('azurerm_monitor_autoscale_setting', prefix).flatMap((a) => a.profile as Json[]);
const rules = (prefix = '') => profiles(prefix).flatMap((p) => (p.rule ?? []) as Json[]);
const frontConfig = (env: string): string => stacks[`${env}-front`].resource.azurerm_storage_blob.front_config.source_content;
const routingTable = (env: string): Json => JSON.parse(stacks[`${env}-front`].resource.azurerm_storage_blob['front_routing-table'].source_content);
const customData = (stack: string): string[] =>
  Object.values({ ...(stacks[stack].resource.azurerm_linux_virtual_machine_scale_set ?? {}), ...(stacks[stack].resource.azurerm_orchestrated_virtual_machine_scale_set ?? {}) } as Record<string, Json>).map((v) =>
    decodeCustomData((v.custom_data ?? v.user_data_base64) as string),
  );

describe('the option-coverage fixtures', () => {
  test('are three environment files the synth loads, each valid with no warning', () => {
    expect(environmentFiles(FIXTURE_ENVIRONMENTS_DIR)).toEqual(['everything-entra.ts', 'everything-http.ts', 'everything.ts']);
    for (const loaded of loadFixtureSpecs()) {
      const r = validateEnvironment(loaded.spec);
      expect({ file: loaded.file, issues: r.ok ? [] : r.issues, warnings: r.ok ? r.warnings : [] }).toEqual({ file: loaded.file, issues: [], warnings: [] });
    }
  });

  test('synthesize into a folder of their own (parents created) with no unsuppressed policy finding', () => {
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    // what the synth prints: the imported PKCS#12 file's unset password, and the two suppressed findings with their reasons
    const findings = (result.warnings ?? []).filter((w) => /^ASE-/.test(w.message) || / ASE-[A-Z]+-\d{3} /.test(w.message));
    expect(findings.map((w) => w.message.split(' ').slice(0, 2).join(' ')).sort()).toEqual(['suppressed ASE-KV-002', 'suppressed ASE-KV-002']);
    expect(result.stacks).toHaveLength(36);
  });

  // each option: where in the synthesized JSON it shows
  const options: Array<[string, () => unknown]> = [
    ['Uniform scale sets (azurerm_linux_virtual_machine_scale_set), own and pooled', () => all('azurerm_linux_virtual_machine_scale_set', 'everything-svc-').length > 0 && all('azurerm_linux_virtual_machine_scale_set', 'everything-pool-shared').length === 2],
    ['Flexible scale sets (azurerm_orchestrated_virtual_machine_scale_set), own and pooled', () => all('azurerm_orchestrated_virtual_machine_scale_set', 'everything-svc-orders').length === 2 && all('azurerm_orchestrated_virtual_machine_scale_set', 'everything-pool-flexpool').length === 2],
    ['Flexible without zones: fault domains', () => all('azurerm_orchestrated_virtual_machine_scale_set', 'everyhttp-').every((v) => v.zones === undefined && v.platform_fault_domain_count === 2)],
    ['zonal scale sets', () => all('azurerm_linux_virtual_machine_scale_set', 'everything-svc-pricing').every((v) => JSON.stringify(v.zones) === '["1","2","3"]')],
    ['pools: one stack per pool, retired pool and retired service emptied', () => Object.keys(stacks).filter((s) => s.includes('-pool-')).length === 4 && Object.keys(stacks['everything-pool-oldpool'].resource ?? {}).length === 0 && Object.keys(stacks['everything-svc-legacy'].resource ?? {}).length === 0],
    ['instance input endpoints (NAT rules with frontend port ranges) on Uniform, Flexible and a pool', () => ['everything-svc-pricing', 'everything-svc-orders', 'everything-pool-shared', 'everyhttp-svc-api'].every((s) => all('azurerm_lb_nat_rule', s).some((r) => typeof r.frontend_port_start === 'number' && r.frontend_port_end > r.frontend_port_start))],
    ['predictive autoscale, Enabled and ForecastOnly', () => ['Enabled', 'ForecastOnly'].every((m) => all('azurerm_monitor_autoscale_setting').some((a) => a.predictive?.scale_mode === m))],
    ['custom-metric rules (another resource, per instance or not)', () => rules().some((r) => r.metric_trigger.metric_name === 'ActiveMessages' && r.metric_trigger.divide_by_instance_count === false) && rules().some((r) => r.metric_trigger.metric_name === 'IncomingRequests' && r.metric_trigger.divide_by_instance_count === true && r.metric_trigger.time_aggregation === 'Total')],
    ['custom-metric aggregations: all four', () => ['Average', 'Total', 'Maximum', 'Minimum'].every((a) => rules().some((r) => r.metric_trigger.metric_name !== 'Percentage CPU' && r.metric_trigger.time_aggregation === a))],
    ['CPU rules with custom thresholds, step, window and cooldowns', () => rules('everything-svc-pricing').some((r) => r.metric_trigger.metric_name === 'Percentage CPU' && r.metric_trigger.threshold === 75 && r.scale_action.value === 3 && r.scale_action.cooldown === 'PT7M' && r.metric_trigger.time_window === 'PT10M')],
    ['autoscale notifications', () => all('azurerm_monitor_autoscale_setting').some((a) => a.notification?.email?.custom_emails?.includes('pricing-oncall@everything.invalid'))],
    ['parked slots: an idle slot at 0, parked slots carrying traffic', () => profiles('everything-svc-orders').some((p) => p.name === 'parked' && p.capacity.maximum === 0) && profiles('everything-svc-search').some((p) => p.name === 'parked' && p.capacity.minimum === 3) && profiles('everything-svc-reports').some((p) => p.name === 'parked')],
    ['state backend (azurerm, Entra ID auth) and local state', () => stacks['everything-network'].terraform.backend.azurerm?.use_azuread_auth === true && stacks['everything-network'].terraform.backend.azurerm.container_name === 'states' && stacks['everything-state'].terraform.backend.local !== undefined && stacks['everyhttp-network'].terraform.backend.local !== undefined],
    ['state storage bootstrap with its lock', () => all('azurerm_storage_account', 'everything-state').length === 1 && all('azurerm_management_lock', 'everything-state').length === 1],
    ['Log Analytics diagnostics on the vault', () => all('azurerm_monitor_diagnostic_setting', 'everything-vault').some((d) => /workspaces\/law-everything$/.test(d.log_analytics_workspace_id))],
    ['monitoring: a workspace of its own with retention and a daily cap, the front access table, two rules, an action group emailing two contacts, five log alerts (certificate expiry every 6 hours over a day; the vCPU quota at 90 % as a created reader with Reader on the subscription)', () => {
      const w = all('azurerm_log_analytics_workspace', 'everything-monitor');
      const ag = all('azurerm_monitor_action_group', 'everything-monitor');
      return w.length === 1 && w[0].retention_in_days === 90 && w[0].daily_quota_gb === 20 && all('azurerm_log_analytics_workspace_table_custom_log', 'everything-monitor').length === 1 && all('azurerm_monitor_data_collection_rule', 'everything-monitor').length === 2 && ag.length === 1 && ag[0].email_receiver.length === 2 && all('azurerm_monitor_scheduled_query_rules_alert_v2', 'everything-monitor').length === 5 &&
        all('azurerm_monitor_scheduled_query_rules_alert_v2', 'everything-monitor').some((a) => a.name === 'everything-vcpu-quota' && a.criteria[0].query.includes('Limit * 90') && a.identity.identity_ids[0] === '${azurerm_user_assigned_identity.quota-reader.id}') &&
        all('azurerm_role_assignment', 'everything-monitor').some((g) => g.role_definition_name === 'Reader' && /^\/subscriptions\/[0-9a-f-]+$/.test(g.scope)) && all('azurerm_monitor_scheduled_query_rules_alert_v2', 'everything-monitor').some((a) => a.name === 'everything-certificate-expiry' && a.evaluation_frequency === 'PT6H' && a.window_duration === 'P1D');
    }],
    ['monitoring: the alert thresholds reach the alerts (2.5 %, 800 ms, 50 requests; 60 and 5 minutes)', () =>
      all('azurerm_monitor_scheduled_query_rules_alert_v2', 'everything-monitor').some((a) => a.criteria[0].query.includes('Errors * 100.0 / Requests > 2.5') && a.criteria[0].query.includes('Requests >= 50')) &&
      all('azurerm_monitor_metric_alert', 'everything-svc-pricing').some((a) => a.window_size === 'PT1H' && a.criteria[0].metric_name === 'ObservedCapacity') &&
      all('azurerm_monitor_metric_alert', 'everything-svc-pricing').some((a) => a.window_size === 'PT5M' && a.frequency === 'PT1M' && a.criteria[0].metric_name === 'DipAvailability')],
    ['monitoring: an existing workspace (no workspace created; the rules and settings send to it)', () =>
      all('azurerm_log_analytics_workspace', 'everyentra-monitor').length === 0 && all('azurerm_monitor_data_collection_rule', 'everyentra-monitor').every((r) => /workspaces\/law-shared$/.test(r.destinations.log_analytics[0].workspace_resource_id))],
    ['monitoring: the quota alert as a named reader (alerts.vcpuQuotaReaderId): no identity or grant created', () =>
      all('azurerm_monitor_scheduled_query_rules_alert_v2', 'everyentra-monitor').some((a) => a.name.endsWith('-vcpu-quota') && /userAssignedIdentities\/id-quota-reader$/.test(a.identity.identity_ids[0])) &&
      all('azurerm_user_assigned_identity', 'everyentra-monitor').length === 0 && all('azurerm_role_assignment', 'everyentra-monitor').length === 0],
    ['monitoring: the agent on every scale set; a rule association on every Uniform one; on each Flexible placement the association policy, its three grants waited for, and a remediation after both scale sets', () => {
      const flexibleStacks = Object.keys(stacks).filter((name) => all('azurerm_orchestrated_virtual_machine_scale_set', name).length > 0);
      const flexibleCovered = flexibleStacks.every((name) => {
        const [assignment] = all('azurerm_resource_group_policy_assignment', name);
        const [remediation] = all('azurerm_resource_group_policy_remediation', name);
        const grants = all('azurerm_role_assignment', name).filter((r) => String(r.principal_id).startsWith('${azurerm_resource_group_policy_assignment.'));
        const waits = all('time_sleep', name).filter((w) => String(w.triggers.role_assignment_id).startsWith('${azurerm_role_assignment.vm-monitoring_'));
        return (
          assignment?.policy_definition_id.endsWith('/2ea82cdd-f2e8-4500-af75-67a2e084ca74') &&
          JSON.parse(assignment.parameters).dcrResourceId.value.endsWith('/dataCollectionRules/dcr-' + name.split('-')[0] + '-vms') &&
          grants.map((g) => g.role_definition_name).sort().join() === 'Log Analytics Contributor,Monitoring Contributor,Monitoring Reader' &&
          waits.length === 3 &&
          remediation?.resource_discovery_mode === 'ReEvaluateCompliance' &&
          remediation.depends_on.filter((d: string) => d.startsWith('time_sleep.')).length === 3 &&
          remediation.depends_on.filter((d: string) => d.startsWith('azurerm_orchestrated_virtual_machine_scale_set.')).length === 2 &&
          all('azurerm_monitor_data_collection_rule_association', name).length === 0
        );
      });
      return (
        [...flexibleStacks].sort().join() === 'everyhttp-svc-api,everything-pool-flexpool,everything-svc-orders,everything-svc-reports' &&
        flexibleCovered &&
        [...all('azurerm_linux_virtual_machine_scale_set', 'every'), ...all('azurerm_orchestrated_virtual_machine_scale_set', 'every')].every((v) => v.extension.some((e: Json) => e.type === 'AzureMonitorLinuxAgent')) &&
        all('azurerm_resource_group_policy_assignment', 'everything-svc-pricing').length === 0 &&
        all('azurerm_monitor_data_collection_rule_association', 'everything-svc-pricing').length === 2
      );
    }],
    ['issued certificates: self-signed RSA and EC, integrated CA', () => {
      const policies = all('azurerm_key_vault_certificate').map((c) => c.certificate_policy).filter(Boolean);
      return policies.some((p) => p.issuer_parameters.name === 'Self' && p.key_properties.key_type === 'EC') && policies.some((p) => p.issuer_parameters.name === 'Self' && p.key_properties.key_size === 4096) && policies.some((p) => p.issuer_parameters.name === 'DigiCert' && p.key_properties.key_size === 3072);
    }],
    ['imported certificates: PEM and password-protected PKCS#12', () => {
      const imported = all('azurerm_key_vault_certificate', 'everything-vault').filter((c) => c.certificate);
      return imported.some((c) => /^\$\{file\(".*\.pem"\)\}$/.test(c.certificate.contents)) && imported.some((c) => /^\$\{filebase64\(".*\.pfx"\)\}$/.test(c.certificate.contents) && c.certificate.password === '${var.legacy_billing_pfx_password}') && stacks['everything-vault'].variable?.legacy_billing_pfx_password?.sensitive === true;
    }],
    ['external certificates (read only)', () => all('azurerm_key_vault_certificate', 'everything-vault', 'data').some((d) => d.name === 'external-tls')],
    ['service secrets: granted per secret, fetched at start', () => all('azurerm_role_assignment', 'everything-identities').some((r) => r.role_definition_name === 'Key Vault Secrets User' && r.scope.endsWith('/secrets/pricing-db-password')) && customData('everything-svc-pricing').every((c) => c.includes('/etc/pricing/secrets.list'))],
    ['service certificates delivered to the VMs', () => all('azurerm_role_assignment', 'everything-identities').some((r) => r.scope.endsWith('/secrets/legacy-billing'))],
    ['host routing (custom hosts and default <service>.<domain>)', () => frontConfig('everything').includes('server_name pricing.everything.internal prices.apps.everything.internal;') && frontConfig('everything').includes('server_name billing.apps.everything.internal;')],
    ['path routing', () => ['/orders/', '/search/', '/tax/'].every((p) => frontConfig('everything').includes(`location ${p} {`)) && frontConfig('everyhttp').includes('location /api/ {')],
    ['HTTPS front (and HTTP beside it)', () => frontConfig('everything').includes('listen 0.0.0.0:443 ssl default_server;') && frontConfig('everything').includes('listen 0.0.0.0:80 default_server;')],
    ['HTTP-only front on custom ports', () => frontConfig('everyhttp').includes('listen 0.0.0.0:8080 default_server;') && !/\bssl\b/.test(frontConfig('everyhttp').replace(/^#.*$/gm, ''))],
    ['traffic: ramp weight, pin rules by header and cookie, cookie affinity, mirror', () => {
      const t = routingTable('everything').services.pricing;
      return t.weight === 12.5 && t.mirror === 5 && t.affinity.name === 'pricing_bucket' && t.rules.some((r: Json) => r.header) && t.rules.some((r: Json) => r.cookie);
    }],
    ['affinity by header, address and none; failover off', () => {
      const s = routingTable('everything').services;
      return s.orders.affinity.by === 'header' && s.orders.failover === false && s.search.affinity.by === 'address' && s.reports.affinity.by === 'none';
    }],
    ['a service not behind the front', () => routingTable('everyhttp').services.worker === undefined && routingTable('everyhttp').services.web !== undefined],
    ['Entra ID login: extension, system identity, login roles', () =>
      [...all('azurerm_linux_virtual_machine_scale_set', 'everyentra-svc-'), ...all('azurerm_linux_virtual_machine_scale_set', 'everyentra-pool-')].every((v) => v.identity.type === 'SystemAssigned, UserAssigned' && v.extension.some((e: Json) => e.type === 'AADSSHLoginForLinux')) &&
      all('azurerm_role_assignment', 'everyentra-svc-').some((r) => r.role_definition_name === 'Virtual Machine User Login')],
    ['images: marketplace (pinned and latest), gallery per service and per slot', () =>
      all('azurerm_linux_virtual_machine_scale_set', 'everything-pool-shared').every((v) => v.source_image_reference.version === '22.04.202411190') &&
      all('azurerm_linux_virtual_machine_scale_set', 'everything-svc-pricing').every((v) => v.source_image_reference.offer === 'ubuntu-24_04-lts') &&
      new Set(all('azurerm_orchestrated_virtual_machine_scale_set', 'everything-svc-reports').map((v) => v.source_image_id)).size === 2],
    ['rolling upgrades with and without surge', () => all('azurerm_linux_virtual_machine_scale_set', 'everything-svc-pricing').every((v) => v.rolling_upgrade_policy.maximum_surge_instances_enabled === false && v.rolling_upgrade_policy.max_batch_instance_percent === 25) && all('azurerm_linux_virtual_machine_scale_set', 'everything-pool-shared').every((v) => v.rolling_upgrade_policy.maximum_surge_instances_enabled === true)],
    ['internal (TCP and UDP), management and peer endpoints in the NSGs', () => {
      const nsg = all('azurerm_network_security_rule', 'everything-network');
      return nsg.some((r) => r.protocol === 'Udp' && r.destination_port_range === '7946') && nsg.some((r) => (r.destination_port_ranges ?? []).includes('22') && r.name.includes('management')) && nsg.some((r) => JSON.stringify(r.source_address_prefixes ?? r.source_address_prefix).includes('172.20.0.0/20'));
    }],
    ['custom resource group names', () => all('azurerm_resource_group', 'everything-network').some((g) => g.name === 'rg-network-everything')],
    ['ssh-ed25519 and ssh-rsa admin keys, custom admin user', () => all('azurerm_linux_virtual_machine_scale_set', 'everything-svc-pricing').every((v) => v.admin_username === 'opsadmin' && v.admin_ssh_key.length === 2)],
    ['a second region: its stacks, the peering both ways, each front forwarding its share (66.67 / 33.33, no failover)', () =>
      ['monitor', 'network', 'identities', 'svc-web', 'front'].every((p) => stacks[`everyhttp-sc-${p}`] !== undefined) &&
      all('azurerm_virtual_network_peering', 'everyhttp-sc-network').length === 2 &&
      JSON.stringify(routingTable('everyhttp').services.web.regions) === JSON.stringify({ shares: { southcentralus: 33.33 }, failover: false }) &&
      JSON.stringify(routingTable('everyhttp-sc').services.web.regions) === JSON.stringify({ shares: { northcentralus: 66.67 }, failover: false })],
    ['policy suppressions with reasons', () => (result.warnings ?? []).filter((w) => w.message.startsWith('suppressed ASE-KV-002')).length === 2],
  ];
  test.each(options)('cover %s', (_what, check) => {
    expect(check()).toBe(true);
  });

  test('schedules run in many time zones, each one azurerm accepts', () => {
    const zones = new Set(profiles().flatMap((p) => (p.recurrence ? [p.recurrence.timezone as string] : [])));
    // one IANA zone per service (its windows share one), so many services give many zones
    expect([...zones].sort()).toEqual(
      [
        'AUS Eastern Standard Time', 'Central Standard Time', 'E. South America Standard Time', 'Eastern Standard Time', 'GMT Standard Time', 'India Standard Time', 'Nepal Standard Time',
        'New Zealand Standard Time', 'Newfoundland Standard Time', 'Pacific Standard Time', 'Tokyo Standard Time', 'UTC', 'W. Europe Standard Time',
      ].sort(),
    );
    for (const z of zones) expect(AUTOSCALE_TIME_ZONES).toContain(z);
  });
});
