/**
 * Each service stack of the example: both slots with a scale set that spreads over zones, rolls
 * in bounded batches with surge gated by health, repairs itself and leaves its count to
 * autoscale; an internal load balancer with a static frontend from the plan and a probe for
 * every rule; autoscale with CPU rules out and in in every profile.
 */
import { parse } from 'yaml';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { cloudInitFor, renderCloudInit } from '../../lib/compute/cloud-init';
import { azureIds } from '../../lib/core/azure-ids';
import { exampleSpec, planOf, resourceAt, resourcesOf, synthStacks, type Json, exampleStacks } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const plan = planOf(exampleSpec());
const stacks = exampleStacks();
const SERVICES = ['pricing', 'order-processing', 'catalog'];
const SLOTS = ['blue', 'green'] as const;
const stackOf = (svc: string) => JSON.parse(stacks[`retail-svc-${svc}`]) as Json;
const cases = SERVICES.flatMap((service) => SLOTS.map((slot) => ({ service, slot })));

describe.each(cases)('$service $slot', ({ service, slot }) => {
  const json = stackOf(service);
  const vmss = resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', `${slot}_scale-set_vmss`);
  const svc = plan.env.services.find((s) => s.name === service)!;
  const ports = plan.ports.services[service].ports;

  test('spreads over the region zones with best-effort zone balance (strict balance would refuse scale-out while a zone is down)', () => {
    expect(vmss).toMatchObject({ zones: ['1', '2', '3'], zone_balance: false });
    expect(vmss.platform_fault_domain_count).toBeUndefined();
  });

  test('rolls in batches of at most a third, with surge, gated by the health extension', () => {
    expect(vmss.upgrade_mode).toBe('Rolling');
    expect(vmss.rolling_upgrade_policy.max_batch_instance_percent).toBeLessThanOrEqual(33);
    expect(vmss.rolling_upgrade_policy.maximum_surge_instances_enabled).toBe(true);
    expect(vmss.overprovision).toBe(false); // surge needs it off
    // the health extension, and the Azure Monitor Agent (docs/monitoring.md)
    expect(vmss.extension.map((e: Json) => `${e.publisher}/${e.type}`)).toEqual(['Microsoft.ManagedServices/ApplicationHealthLinux', 'Microsoft.Azure.Monitor/AzureMonitorLinuxAgent']);
    expect(JSON.parse(vmss.extension[0].settings)).toMatchObject({ protocol: 'http', port: 9000, requestPath: '/health' });
  });

  test('repairs itself, encrypts at host, uses SSH keys only and no public IP', () => {
    expect(vmss.automatic_instance_repair).toEqual({ enabled: true, action: 'Replace', grace_period: 'PT10M' });
    expect(vmss.encryption_at_host_enabled).toBe(true);
    expect(vmss.disable_password_authentication).toBe(true);
    expect(vmss.admin_password).toBeUndefined();
    expect(vmss.admin_ssh_key).toEqual([{ username: 'azureadmin', public_key: plan.env.admin.sshPublicKeys[0] }]);
    for (const nic of vmss.network_interface) for (const ip of nic.ip_configuration) expect(ip.public_ip_address).toBeUndefined();
  });

  test('leaves the instance count to autoscale after creation', () => {
    expect(vmss.instances).toBe(svc.capacity!.default);
    expect(vmss.lifecycle).toEqual({ ignore_changes: ['instances'] });
  });

  test("joins its planned subnet and its own load balancer's pool, naming no probe", () => {
    const ipc = vmss.network_interface[0].ip_configuration[0];
    expect(ipc.subnet_id).toBe(azureIds.subnet(plan.env.subscriptionId, 'rg-retail-network', 'vnet-retail', `snet-svc-${service}`));
    expect(ipc.load_balancer_backend_address_pool_ids).toEqual([`\${azurerm_lb_backend_address_pool.${slot}_lb_pool.id}`]);
    // the health extension gates upgrades and repair; a health_probe_id would need the rules first
    expect(vmss.health_probe_id).toBeUndefined();
    expect(vmss.depends_on).toBeUndefined();
  });

  test("boots the slot's own cloud-init, with the identity it runs as (made and granted in the identities stack)", () => {
    const text = decodeCustomData(vmss.custom_data);
    const identityId = azureIds.userAssignedIdentity(plan.env.subscriptionId, 'rg-retail-identities', `id-retail-${service}-${slot}`);
    expect(text).toBe(renderCloudInit(cloudInitFor(plan, svc, slot, identityId)));
    expect(parse(text).runcmd[1]).toEqual(['systemctl', 'enable', '--now', '--no-block', 'vm-health.service', 'slotenv-release-agent.service', 'slotenv-drain.service', ...ports.map((p) => `${service}@${p}.service`)]);
    // the static identity ID names the identity the identities stack creates; this stack makes none
    expect(resourceAt(stacks['retail-identities'], 'azurerm_user_assigned_identity', `svc-${service}-${slot}_identity`)).toMatchObject({ name: `id-retail-${service}-${slot}`, resource_group_name: '${azurerm_resource_group.resource-group.name}' });
    expect(resourceAt(stacks['retail-identities'], 'azurerm_resource_group', 'resource-group').name).toBe('rg-retail-identities');
    expect(resourcesOf(json, 'azurerm_user_assigned_identity')).toEqual({});
    expect(vmss.identity).toEqual({ type: 'UserAssigned', identity_ids: [identityId] });
  });

  test('has a Standard internal load balancer on the static frontend IP from the plan', () => {
    const lb = resourceAt(json, 'azurerm_lb', `${slot}_lb_lb`);
    expect(lb).toMatchObject({ sku: 'Standard', name: `lbi-retail-${service}-${slot}` });
    expect(lb.frontend_ip_configuration).toEqual([
      {
        name: 'frontend',
        private_ip_address: plan.ips.services[service].frontendIps[slot],
        private_ip_address_allocation: 'Static',
        private_ip_address_version: 'IPv4',
        subnet_id: azureIds.subnet(plan.env.subscriptionId, 'rg-retail-network', 'vnet-retail', 'snet-lb-frontends'),
        zones: ['1', '2', '3'],
      },
    ]);
    expect(lb.public_ip_address_id).toBeUndefined();
  });

  test('has a rule per planned port, each with its own HTTP probe on the health path', () => {
    const rules = resourcesOf(json, 'azurerm_lb_rule');
    const mine = Object.keys(rules).filter((a) => a.startsWith(`${slot}_`));
    expect(mine.sort()).toEqual(ports.map((p) => `${slot}_lb_rule-${p}`).sort());
    for (const p of ports) {
      expect(resourceAt(json, 'azurerm_lb_rule', `${slot}_lb_rule-${p}`)).toMatchObject({
        frontend_port: p,
        backend_port: p,
        protocol: 'Tcp',
        probe_id: `\${azurerm_lb_probe.${slot}_lb_probe-${p}.id}`,
        tcp_reset_enabled: true,
        disable_outbound_snat: true,
      });
      expect(resourceAt(json, 'azurerm_lb_probe', `${slot}_lb_probe-${p}`)).toMatchObject({ protocol: 'Http', port: p, request_path: '/health' });
    }
  });

  test('autoscales on CPU out and in, in every profile, with a minimum of at least two', () => {
    const as = resourceAt(json, 'azurerm_monitor_autoscale_setting', `${slot}_autoscale_autoscale`);
    expect(as.target_resource_id).toBe(`\${azurerm_linux_virtual_machine_scale_set.${slot}_scale-set_vmss.id}`);
    for (const profile of as.profile) {
      expect(profile.capacity.minimum).toBeGreaterThanOrEqual(2);
      expect(profile.rule.map((r: Json) => [r.metric_trigger.metric_name, r.metric_trigger.operator, r.scale_action.direction])).toEqual([
        ['Percentage CPU', 'GreaterThan', 'Increase'],
        ['Percentage CPU', 'LessThan', 'Decrease'],
      ]);
    }
  });
});

describe('pricing autoscale schedule', () => {
  test('compiles the business-hours window into a start and a return to normal in W. Europe time', () => {
    const as = resourceAt(stackOf('pricing'), 'azurerm_monitor_autoscale_setting', 'blue_autoscale_autoscale');
    expect(as.profile.map((p: Json) => [p.name, p.capacity.minimum, p.recurrence?.hours?.[0] ?? null, p.recurrence?.timezone ?? null])).toEqual([
      ['default', 3, null, null],
      ['business-hours', 6, 8, 'W. Europe Standard Time'],
      ['business-hours-end', 3, 20, 'W. Europe Standard Time'],
    ]);
  });
});

describe('a region without zones', () => {
  test('spreads over two platform fault domains and keeps the frontend regional', () => {
    const spec = exampleSpec();
    spec.region = 'northcentralus';
    const json = JSON.parse(synthStacks(spec)['retail-svc-catalog']) as Json;
    const vmss = resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
    expect(vmss.platform_fault_domain_count).toBe(2);
    expect(vmss.zones).toBeUndefined();
    expect(vmss.zone_balance).toBeUndefined();
    expect(resourceAt(json, 'azurerm_lb', 'blue_lb_lb').frontend_ip_configuration[0].zones).toBeUndefined();
  });
});

describe('a parked slot', () => {
  test('is created at its parked count, not capacity.default (instances is left to autoscale afterwards)', () => {
    const spec = exampleSpec();
    spec.services[2].slots.green.parked = { instances: 1 };
    spec.services[2].traffic = { live: 'blue', failover: false };
    const json = JSON.parse(synthStacks(spec)['retail-svc-catalog']) as Json;
    const green = resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'green_scale-set_vmss');
    expect(green.instances).toBe(1);
    expect(green.lifecycle).toEqual({ ignore_changes: ['instances'] });
    expect(resourceAt(json, 'azurerm_monitor_autoscale_setting', 'green_autoscale_autoscale').profile).toEqual([expect.objectContaining({ name: 'parked', capacity: { minimum: 1, default: 1, maximum: 1 } })]);
    expect(resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss').instances).toBe(spec.services[2].capacity!.default);
  });
});

describe('images', () => {
  test('a slot image overrides the service image, and a gallery image is referenced by ID', () => {
    const spec = exampleSpec();
    const gallery = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/catalog/versions/1.13.0';
    spec.services[2].slots.green = { version: '1.13.0', image: { galleryImageVersionId: gallery } };
    const json = JSON.parse(synthStacks(spec)['retail-svc-catalog']) as Json;
    expect(resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'green_scale-set_vmss')).toMatchObject({ source_image_id: gallery });
    expect(resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'green_scale-set_vmss').source_image_reference).toBeUndefined();
    expect(resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss').source_image_reference).toMatchObject({ publisher: 'Canonical', sku: '22_04-lts-gen2' });
  });
});

describe('Flexible orchestration', () => {
  const spec = exampleSpec();
  spec.services[2].orchestration = 'Flexible';
  const json = JSON.parse(synthStacks(spec)['retail-svc-catalog']) as Json;
  const vmss = resourceAt(json, 'azurerm_orchestrated_virtual_machine_scale_set', 'blue_scale-set_vmss');

  test('replaces the Uniform scale set resource for that service only', () => {
    expect(resourcesOf(json, 'azurerm_linux_virtual_machine_scale_set')).toEqual({});
    expect(Object.keys(resourcesOf(json, 'azurerm_orchestrated_virtual_machine_scale_set')).sort()).toEqual(['blue_scale-set_vmss', 'green_scale-set_vmss']);
  });

  test('is zonal with one platform fault domain, rolling with surge, gated by the health extension, self-repairing', () => {
    expect(vmss).toMatchObject({ sku_name: 'Standard_E4s_v5', zones: ['1', '2', '3'], zone_balance: false, platform_fault_domain_count: 1, upgrade_mode: 'Rolling' });
    expect(vmss.rolling_upgrade_policy).toMatchObject({ maximum_surge_instances_enabled: true, max_batch_instance_percent: 20 });
    // the Azure Monitor Agent as on Uniform sets, without automatic upgrade (the orchestrated block has no such field)
    expect(vmss.extension).toEqual([
      expect.objectContaining({ type: 'ApplicationHealthLinux', auto_upgrade_minor_version_enabled: true }),
      expect.objectContaining({ type: 'AzureMonitorLinuxAgent', auto_upgrade_minor_version_enabled: true }),
    ]);
    expect(vmss.extension[1]).not.toHaveProperty('automatic_upgrade_enabled');
    expect(vmss.automatic_instance_repair).toEqual({ enabled: true, action: 'Replace', grace_period: 'PT10M' });
    expect(vmss.lifecycle).toEqual({ ignore_changes: ['instances'] });
    expect(vmss.encryption_at_host_enabled).toBe(true);
  });

  test('boots the same cloud-init and takes SSH keys only', () => {
    const identityId = azureIds.userAssignedIdentity(plan.env.subscriptionId, 'rg-retail-identities', 'id-retail-catalog-blue');
    const svc = { ...plan.env.services[2], orchestration: 'Flexible' as const };
    expect(decodeCustomData(vmss.os_profile.custom_data)).toBe(renderCloudInit(cloudInitFor(plan, svc, 'blue', identityId)));
    expect(vmss.os_profile.linux_configuration).toMatchObject({ admin_username: 'azureadmin', disable_password_authentication: true, computer_name_prefix: 'catalog-blue' });
    expect(vmss.os_profile.linux_configuration.admin_password).toBeUndefined();
  });

  test('in a region without zones it uses two fault domains', () => {
    const s = exampleSpec();
    s.region = 'northcentralus';
    s.services[2].orchestration = 'Flexible';
    const v = resourceAt(synthStacks(s)['retail-svc-catalog'], 'azurerm_orchestrated_virtual_machine_scale_set', 'green_scale-set_vmss');
    expect(v.platform_fault_domain_count).toBe(2);
    expect(v.zones).toBeUndefined();
  });
});

describe('custom metric autoscale', () => {
  test('adds queue-depth rules out and in to every profile, per instance', () => {
    const spec = exampleSpec();
    const queue = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-bus/providers/Microsoft.ServiceBus/namespaces/sb-retail';
    spec.services[1].autoscale = { customMetric: { resourceId: queue, namespace: 'microsoft.servicebus/namespaces', name: 'ActiveMessages', scaleOutAbove: 500, scaleInBelow: 50, perInstance: true } };
    const as = resourceAt(synthStacks(spec)['retail-svc-order-processing'], 'azurerm_monitor_autoscale_setting', 'green_autoscale_autoscale');
    for (const profile of as.profile) {
      expect(profile.rule.slice(2).map((r: Json) => r.metric_trigger)).toEqual([
        expect.objectContaining({ metric_name: 'ActiveMessages', metric_resource_id: queue, operator: 'GreaterThan', threshold: 500, divide_by_instance_count: true, time_aggregation: 'Average' }),
        expect.objectContaining({ metric_name: 'ActiveMessages', operator: 'LessThan', threshold: 50 }),
      ]);
    }
  });
});

describe('queue-depth autoscale on one queue', () => {
  const ns = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-bus/providers/Microsoft.ServiceBus/namespaces/sb-retail';
  const warnings = (m: Json) => {
    const spec = exampleSpec() as Json;
    spec.services[1].autoscale = { customMetric: m };
    const r = validateEnvironment(spec);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.warnings.map(formatIssue);
  };

  test("a namespace metric's dimensions select the queue (sorted by name, Equals); autoscale's per-queue metric is written without a namespace", () => {
    const spec = exampleSpec();
    spec.services[1].autoscale = { customMetric: { resourceId: ns, namespace: 'microsoft.servicebus/namespaces', name: 'ActiveMessages', dimensions: { EntityName: ['orders'], Zz: ['a', 'b'] }, scaleOutAbove: 500, scaleInBelow: 50, perInstance: true } };
    const as = resourceAt(synthStacks(spec)['retail-svc-order-processing'], 'azurerm_monitor_autoscale_setting', 'green_autoscale_autoscale');
    for (const rule of as.profile[0].rule.slice(2)) {
      expect(rule.metric_trigger.dimensions).toEqual([
        { name: 'EntityName', operator: 'Equals', values: ['orders'] },
        { name: 'Zz', operator: 'Equals', values: ['a', 'b'] },
      ]);
    }
    const perQueue = exampleSpec();
    perQueue.services[1].autoscale = { customMetric: { resourceId: `${ns}/queues/orders`, name: 'ActiveMessageCount', scaleOutAbove: 200, scaleInBelow: 20 } };
    const legacy = resourceAt(synthStacks(perQueue)['retail-svc-order-processing'], 'azurerm_monitor_autoscale_setting', 'green_autoscale_autoscale');
    const trigger = legacy.profile[0].rule[2].metric_trigger;
    expect(trigger).toMatchObject({ metric_name: 'ActiveMessageCount', metric_resource_id: `${ns}/queues/orders`, threshold: 200 });
    // the provider refuses '' and sends '' for an absent namespace: absent it is
    expect('metric_namespace' in trigger).toBe(false);
    expect('dimensions' in trigger).toBe(false);
  });

  test("a namespace's message count without EntityName, and a storage account's hourly QueueMessageCount, are warnings at their field", () => {
    expect(warnings({ resourceId: ns, namespace: 'Microsoft.ServiceBus/namespaces', name: 'ActiveMessages', scaleOutAbove: 500, scaleInBelow: 50 })).toEqual([
      "services[1].autoscale.customMetric.dimensions: 'ActiveMessages' on a Service Bus namespace counts the messages of every queue and topic in it, so another entity's backlog scales this service (select the queue: dimensions: { EntityName: ['<queue>'] })",
    ]);
    expect(warnings({ resourceId: ns, namespace: 'microsoft.servicebus/namespaces', name: 'ActiveMessages', dimensions: { EntityName: ['orders'] }, scaleOutAbove: 500, scaleInBelow: 50 })).toEqual([]);
    expect(warnings({ resourceId: ns, namespace: 'microsoft.servicebus/namespaces', name: 'IncomingRequests', scaleOutAbove: 500, scaleInBelow: 50 })).toEqual([]);
    const account = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-bus/providers/Microsoft.Storage/storageAccounts/stretailq/queueServices/default';
    expect(warnings({ resourceId: account, namespace: 'microsoft.storage/storageaccounts/queueservices', name: 'QueueMessageCount', scaleOutAbove: 500, scaleInBelow: 50 })).toEqual([
      expect.stringMatching(/^services\[1\]\.autoscale\.customMetric\.name: 'QueueMessageCount' counts every queue of the storage account .* emits it hourly \(time grain PT1H\)/),
    ]);
  });
});

describe('instance input endpoints', () => {
  const spec = exampleSpec();
  spec.services[1].endpoints = { ...spec.services[1].endpoints, instanceInput: [{ name: 'debug', port: 10016, frontendPortStart: 20000 }] };
  const stacks = synthStacks(spec);

  test('forward one frontend port per instance (max plus surge) to the port on each VM, via the backend pool', () => {
    // order processing: max 10 + surge 2 = 12 instances → 20000-20011
    expect(resourceAt(stacks['retail-svc-order-processing'], 'azurerm_lb_nat_rule', 'blue_lb_nat-debug')).toMatchObject({
      protocol: 'Tcp',
      frontend_ip_configuration_name: 'frontend',
      frontend_port_start: 20000,
      frontend_port_end: 20011,
      backend_port: 10016,
      backend_address_pool_id: '${azurerm_lb_backend_address_pool.blue_lb_pool.id}',
      tcp_reset_enabled: true,
    });
  });

  test('are admitted from the VNet only', () => {
    expect(resourceAt(stacks['retail-network'], 'azurerm_network_security_rule', 'network_svc-order-processing-allow-instance-input-from-vnet')).toMatchObject({
      source_address_prefix: '10.20.0.0/16',
      destination_port_range: '10016',
      priority: 130,
      access: 'Allow',
    });
  });

  test('refuse a frontend range that overlaps the load-balancing rules or another range', () => {
    const bad = exampleSpec() as Json;
    bad.services[1].endpoints = { instanceInput: [{ name: 'a', port: 22, frontendPortStart: 10010 }, { name: 'b', port: 23, frontendPortStart: 10020 }] };
    const r = validateEnvironment(bad);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      'services[1].endpoints.instanceInput[0].frontendPortStart: frontend ports 10010-10021 overlap the load-balancing rules\' ports 10016-10017 (start at 10018 or later)',
      "services[1].endpoints.instanceInput[1].frontendPortStart: frontend ports 10020-10031 overlap instanceInput[0] ('a') 10010-10021",
    ]);
  });
});

describe('artifact store', () => {
  test("each slot's identity may read the artifact store, granted one apply before its VMs, and nothing else is granted", () => {
    const ids = stacks['retail-identities'];
    const store = plan.env.artifactStore!.storageAccountId;
    for (const service of SERVICES) {
      for (const slot of SLOTS) {
        expect(resourceAt(ids, 'azurerm_role_assignment', `svc-${service}-${slot}_artifact-reader`)).toMatchObject({
          scope: store,
          role_definition_name: 'Storage Blob Data Reader',
          principal_id: `\${azurerm_user_assigned_identity.svc-${service}-${slot}_identity.principal_id}`,
          principal_type: 'ServicePrincipal',
        });
      }
      expect(resourcesOf(stackOf(service), 'azurerm_role_assignment')).toEqual({});
    }
    // six artifact readers, pricing's two secret readers, and the front's TLS reader
    expect(Object.keys(resourcesOf(ids, 'azurerm_role_assignment')).filter((k) => !k.includes('_secret-') && k !== 'front_tls-reader')).toHaveLength(6);
  });

  test('refuses an artifact outside Blob Storage, outside the store, or without a store', () => {
    const spec = exampleSpec() as Json;
    spec.services[0].slots.blue.artifact.url = 'https://example.invalid/pricing.tar.gz';
    spec.services[0].slots.green.artifact.url = 'https://otheraccount.blob.core.windows.net/r/pricing.tar.gz';
    const bad = validateEnvironment(spec);
    expect(bad.ok ? [] : bad.issues.map(formatIssue)).toEqual([
      "services[0].slots.blue.artifact.url: 'https://example.invalid/pricing.tar.gz' is not in Azure Blob Storage (the VM fetches releases with its managed identity: https://ACCOUNT.blob.core.windows.net/…)",
      "services[0].slots.green.artifact.url: is in storage account 'otheraccount', not the artifactStore 'stretailreleases' (the slots can read only the artifact store)",
    ]);
    const none = exampleSpec() as Json;
    delete none.artifactStore;
    const r = validateEnvironment(none);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toContain(
      "services[0].slots.blue.artifact.url: needs artifactStore, the storage account the VMs may read (stretailreleases) (declare artifactStore: { storageAccountId: '/subscriptions/…/storageAccounts/stretailreleases' })",
    );
  });
});

describe('Entra ID login (seed 002)', () => {
  test('adds the login extension and a system identity, and grants the groups login on each scale set only', () => {
    const spec = exampleSpec();
    const admins = '11111111-2222-3333-4444-555555555555';
    const users = '66666666-7777-8888-9999-000000000000';
    spec.admin.entraIdLogin = { adminGroupObjectId: admins, userGroupObjectId: users };
    const json = JSON.parse(synthStacks(spec)['retail-svc-catalog']) as Json;
    const vmss = resourceAt(json, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
    expect(vmss.identity.type).toBe('SystemAssigned, UserAssigned');
    expect(vmss.extension.map((e: Json) => e.type)).toEqual(['ApplicationHealthLinux', 'AADSSHLoginForLinux', 'AzureMonitorLinuxAgent']);
    expect(vmss.disable_password_authentication).toBe(true);
    expect(resourceAt(json, 'azurerm_role_assignment', 'blue_admin-login')).toMatchObject({
      scope: '${azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss.id}',
      role_definition_name: 'Virtual Machine Administrator Login',
      principal_id: admins,
      principal_type: 'Group',
    });
    expect(resourceAt(json, 'azurerm_role_assignment', 'green_user-login')).toMatchObject({ role_definition_name: 'Virtual Machine User Login', principal_id: users });
  });

  test('is off by default', () => {
    const vmss = resourceAt(stackOf('catalog'), 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
    expect(vmss.identity.type).toBe('UserAssigned');
    expect(vmss.extension.map((e: Json) => e.type)).toEqual(['ApplicationHealthLinux', 'AzureMonitorLinuxAgent']);
  });
});
