/**
 * InternalLoadBalancer: a Standard internal load balancer with one static private frontend IP
 * (from the IP plan), one backend pool, and per planned port an HTTP probe on the health path and
 * a TCP rule with reset on idle. Outbound SNAT is off (egress goes through the NAT gateway).
 */
import { Lb } from '@cdktf/provider-azurerm/lib/lb';
import { LbBackendAddressPool } from '@cdktf/provider-azurerm/lib/lb-backend-address-pool';
import { LbNatRule } from '@cdktf/provider-azurerm/lib/lb-nat-rule';
import { LbProbe } from '@cdktf/provider-azurerm/lib/lb-probe';
import { LbRule } from '@cdktf/provider-azurerm/lib/lb-rule';
import { Construct } from 'constructs';

export interface InternalLoadBalancerProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The subnet the frontend IP lives in (the plan's load-balancer frontend subnet). */
  readonly frontendSubnetId: string;
  /** The static frontend IP, from the IP plan. */
  readonly frontendIp: string;
  /** Zones of the frontend; several make it zone-redundant. @default - none (regional) */
  readonly zones?: readonly string[];
  /** Planned ports: one probe and one rule each, frontend port = backend port. */
  readonly ports: readonly number[];
  /** Path the probes request on every port. */
  readonly healthPath: string;
  /** @default 5 */
  readonly probeIntervalSeconds?: number;
  /** Consecutive failures before a backend leaves rotation. @default 2 */
  readonly probeThreshold?: number;
  /** @default 4 */
  readonly idleTimeoutMinutes?: number;
  /**
   * Instance input endpoints: frontend ports `frontendPortStart` … `frontendPortEnd` forward to
   * `port` on each VM of the pool, one frontend port per VM (NAT rules on the backend pool; not
   * NAT pools, which Azure retires). @default - none
   */
  readonly instanceInput?: ReadonlyArray<{ readonly name: string; readonly port: number; readonly frontendPortStart: number; readonly frontendPortEnd: number }>;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

export const FRONTEND_NAME = 'frontend';

export class InternalLoadBalancer extends Construct {
  public readonly loadBalancerId: string;
  public readonly backendPoolId: string;
  public readonly frontendIp: string;
  /** The rules, so a scale set can depend on them (Azure refuses a probe no rule uses). */
  public readonly rules: readonly LbRule[];

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);
    const lb = new Lb(this, 'lb', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'Standard',
      frontendIpConfiguration: [
        {
          name: FRONTEND_NAME,
          subnetId: props.frontendSubnetId,
          privateIpAddress: props.frontendIp,
          privateIpAddressAllocation: 'Static',
          privateIpAddressVersion: 'IPv4',
          zones: props.zones && props.zones.length > 0 ? [...props.zones] : undefined,
        },
      ],
      tags: props.tags,
    });
    const pool = new LbBackendAddressPool(this, 'pool', { name: 'instances', loadbalancerId: lb.id });
    this.rules = props.ports.map((port) => {
      const probe = new LbProbe(this, `probe-${port}`, {
        name: `health-${port}`,
        loadbalancerId: lb.id,
        protocol: 'Http',
        port,
        requestPath: props.healthPath,
        intervalInSeconds: props.probeIntervalSeconds ?? 5,
        probeThreshold: props.probeThreshold ?? 2,
      });
      return new LbRule(this, `rule-${port}`, {
        name: `tcp-${port}`,
        loadbalancerId: lb.id,
        frontendIpConfigurationName: FRONTEND_NAME,
        protocol: 'Tcp',
        frontendPort: port,
        backendPort: port,
        backendAddressPoolIds: [pool.id],
        probeId: probe.id,
        tcpResetEnabled: true,
        floatingIpEnabled: false,
        disableOutboundSnat: true,
        idleTimeoutInMinutes: props.idleTimeoutMinutes ?? 4,
      });
    });
    for (const e of props.instanceInput ?? []) {
      new LbNatRule(this, `nat-${e.name}`, {
        name: `instance-${e.name}`,
        resourceGroupName: props.resourceGroupName,
        loadbalancerId: lb.id,
        frontendIpConfigurationName: FRONTEND_NAME,
        protocol: 'Tcp',
        frontendPortStart: e.frontendPortStart,
        frontendPortEnd: e.frontendPortEnd,
        backendPort: e.port,
        backendAddressPoolId: pool.id,
        tcpResetEnabled: true,
        idleTimeoutInMinutes: props.idleTimeoutMinutes ?? 4,
      });
    }
    this.loadBalancerId = lb.id;
    this.backendPoolId = pool.id;
    this.frontendIp = props.frontendIp;
  }
}
