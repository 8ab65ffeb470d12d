/**
 * The network the example synthesizes: NSG rules from endpoint declarations, the three kinds of
 * rule each proved (endpoint allows, load-balancer probes admitted, the rest of the VNet denied),
 * no public IP but the NAT gateway's, every subnet with an NSG and no default outbound access.
 */
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { planNetworkSecurity, PRIORITY } from '../../lib/network/security-plan';
import { forcesReplacement } from '../../lib/review/replacement';
import { ServiceNetwork } from '../../lib/network/service-network';
import { StableAddressStack } from '../../lib/core/stable-address-stack';
import { exampleSpec, planOf, resourceAt, resourcesOf, type Json, exampleStacks } from '../helpers';

const stacks = exampleStacks();
const network = JSON.parse(stacks['retail-network']) as Json;
const rule = (subnetKey: string, name: string) => resourceAt(network, 'azurerm_network_security_rule', `network_${subnetKey}-${name}`);
const SUBNETS = ['front', 'lb-frontends', 'endpoints', 'svc-pricing', 'svc-order-processing', 'svc-catalog'];

describe('network stack of the example', () => {
  test('pricing admits the front subnet on its planned ports only', () => {
    expect(rule('svc-pricing', 'allow-input-from-front')).toMatchObject({
      access: 'Allow',
      direction: 'Inbound',
      priority: 100,
      protocol: 'Tcp',
      source_address_prefix: '10.20.0.0/24',
      destination_address_prefix: '10.20.3.0/24',
      destination_port_range: '10000-10003',
    });
    expect(() => rule('svc-pricing', 'allow-input-from-vnet')).toThrow(/no azurerm_network_security_rule/);
  });

  test('catalog also admits the declared peer ranges; order processing admits its own subnet on its internal port', () => {
    expect(rule('svc-catalog', 'allow-input-from-peers')).toMatchObject({ source_address_prefix: '10.50.0.0/16', destination_port_range: '10032' });
    expect(rule('svc-order-processing', 'allow-internal-tcp')).toMatchObject({
      source_address_prefix: '10.20.4.0/24',
      destination_address_prefix: '10.20.4.0/24',
      destination_port_range: '7946',
    });
  });

  test('management (SSH) is admitted only from the admin range', () => {
    expect(rule('svc-pricing', 'allow-management-tcp')).toMatchObject({ source_address_prefix: '10.99.0.0/24', destination_port_range: '22', priority: 300 });
    const sshRules = Object.values(resourcesOf(network, 'azurerm_network_security_rule')).filter(
      (r) => r.access === 'Allow' && (r.destination_port_range === '22' || r.destination_port_ranges?.includes('22')),
    );
    expect(sshRules).toHaveLength(1);
  });

  test.each(SUBNETS)('subnet %s admits load-balancer probes, then denies the rest of the VNet', (key) => {
    expect(rule(key, 'allow-azure-load-balancer')).toMatchObject({ access: 'Allow', source_address_prefix: 'AzureLoadBalancer', priority: PRIORITY.azureLoadBalancer, destination_port_range: '*' });
    expect(rule(key, 'deny-virtual-network')).toMatchObject({ access: 'Deny', source_address_prefix: 'VirtualNetwork', priority: PRIORITY.denyVirtualNetwork, destination_port_range: '*' });
    // probes are admitted before the deny: a lower number wins in Azure
    expect(PRIORITY.azureLoadBalancer).toBeLessThan(PRIORITY.denyVirtualNetwork);
  });

  test('every endpoint allow comes before the deny, and no rule admits the internet', () => {
    for (const [address, r] of Object.entries(resourcesOf(network, 'azurerm_network_security_rule'))) {
      const sources: string[] = r.source_address_prefixes ?? [r.source_address_prefix];
      if (r.access === 'Allow') {
        expect({ address, priority: r.priority < PRIORITY.denyVirtualNetwork }).toEqual({ address, priority: true });
        for (const s of sources) expect({ address, source: s }).not.toEqual({ address, source: expect.stringMatching(/^(\*|Internet|0\.0\.0\.0\/0|Any)$/i) });
      }
    }
  });

  test('every subnet has an NSG, no default outbound access, and only VM subnets egress through the NAT gateway', () => {
    const subnets = resourcesOf(network, 'azurerm_subnet');
    expect(Object.keys(subnets).sort()).toEqual(SUBNETS.map((k) => `network_${k}-subnet`).sort());
    for (const key of SUBNETS) {
      expect(resourceAt(network, 'azurerm_subnet', `network_${key}-subnet`).default_outbound_access_enabled).toBe(false);
      expect(resourceAt(network, 'azurerm_subnet_network_security_group_association', `network_${key}-nsg-link`)).toMatchObject({
        subnet_id: `\${azurerm_subnet.network_${key}-subnet.id}`,
        network_security_group_id: `\${azurerm_network_security_group.network_${key}-nsg.id}`,
      });
    }
    expect(Object.keys(resourcesOf(network, 'azurerm_subnet_nat_gateway_association')).sort()).toEqual(
      ['front', 'svc-catalog', 'svc-order-processing', 'svc-pricing'].map((k) => `network_${k}-nat-link`),
    );
  });

  test('the NAT gateway egress address is the only public IP in the environment, zonal, Standard and static', () => {
    const publicIps = Object.entries(stacks).flatMap(([stack, json]) => Object.keys(resourcesOf(json, 'azurerm_public_ip')).map((a) => `${stack}:${a}`));
    expect(publicIps).toEqual(['retail-network:network_nat-ip']);
    expect(resourceAt(network, 'azurerm_public_ip', 'network_nat-ip')).toMatchObject({ sku: 'Standard', allocation_method: 'Static', zones: ['1'] });
    expect(resourceAt(network, 'azurerm_nat_gateway', 'network_nat')).toMatchObject({ sku_name: 'Standard', zones: ['1'] });
    expect(resourceAt(network, 'azurerm_nat_gateway_public_ip_association', 'network_nat-ip-link')).toMatchObject({
      nat_gateway_id: '${azurerm_nat_gateway.network_nat.id}',
      public_ip_address_id: '${azurerm_public_ip.network_nat-ip.id}',
    });
  });

  test('the VNet spans the address space and its subnets come from the IP plan', () => {
    expect(resourceAt(network, 'azurerm_virtual_network', 'network_vnet')).toMatchObject({ name: 'vnet-retail', address_space: ['10.20.0.0/16'], location: 'westeurope' });
    expect(resourceAt(network, 'azurerm_subnet', 'network_svc-catalog-subnet')).toMatchObject({ name: 'snet-svc-catalog', address_prefixes: ['10.20.5.0/24'] });
  });

  test('every VM subnet has the Microsoft.Storage service endpoint (Azure Storage ignores IP rules from its own region); the others have none', () => {
    for (const key of SUBNETS) {
      const s = resourceAt(network, 'azurerm_subnet', `network_${key}-subnet`);
      const vm = key === 'front' || key.startsWith('svc-');
      expect({ key, endpoints: s.service_endpoints }).toEqual({ key, endpoints: vm ? ['Microsoft.Storage'] : undefined });
    }
  });

  test('adding a service endpoint to an existing subnet is an in-place update, not a replacement (azurerm v4.55.0)', () => {
    expect(forcesReplacement('azurerm_subnet', ['service_endpoints'])).toBe(false);
    expect(forcesReplacement('azurerm_subnet', ['private_endpoint_network_policies'])).toBe(false);
    expect(forcesReplacement('azurerm_subnet', ['name'])).toBe(true);
  });

  test('an output lists the service subnets the external artifact store must admit by VNet rule, sorted by name, not the front', () => {
    expect(network.output.artifact_store_subnet_ids.value).toEqual([
      '${azurerm_subnet.network_svc-catalog-subnet.id}',
      '${azurerm_subnet.network_svc-order-processing-subnet.id}',
      '${azurerm_subnet.network_svc-pricing-subnet.id}',
    ]);
    expect(network.output.artifact_store_subnet_ids.description).toMatch(/VNet rule/);
  });

  test('matches the snapshot', () => {
    expect(network).toMatchSnapshot();
  });
});

describe('ServiceNetwork on its own', () => {
  test('in a region without zones the NAT gateway and its IP are regional', () => {
    const spec = exampleSpec();
    spec.region = 'westus';
    const plan = planOf(spec);
    const synth = Testing.synthScope((scope) => {
      new ServiceNetwork(scope, 'net', {
        resourceGroupName: 'rg',
        location: plan.env.region,
        name: 'vnet',
        addressSpace: plan.ips.addressSpace,
        subnets: planNetworkSecurity(plan),
        natGateway: { name: 'ng', publicIpName: 'pip', zone: plan.zones[0] },
      });
    });
    expect(synth).toHaveResourceWithProperties({ tfResourceType: 'azurerm_nat_gateway' }, { name: 'ng', sku_name: 'Standard' });
    const json = JSON.parse(synth) as Json;
    for (const r of Object.values(resourcesOf(json, 'azurerm_nat_gateway'))) expect(r.zones).toBeUndefined();
    for (const r of Object.values(resourcesOf(json, 'azurerm_public_ip'))) expect(r.zones).toBeUndefined();
  });

  test('a stack refuses two elements that would share one address', () => {
    const stack = new StableAddressStack(Testing.app(), 's');
    const vnet = { resourceGroupName: 'rg', location: 'westeurope', addressSpace: ['10.1.0.0/16'] };
    // paths x_y/vnet and x/y_vnet both read x_y_vnet
    new VirtualNetwork(new Construct(stack, 'x_y'), 'vnet', { ...vnet, name: 'a' });
    new VirtualNetwork(new Construct(stack, 'x'), 'y_vnet', { ...vnet, name: 'b' });
    expect(() => Testing.synth(stack)).toThrow(/Two elements would share the Terraform address 'x_y_vnet'/);
  });
});
