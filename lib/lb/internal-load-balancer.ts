/**
 * InternalLoadBalancer: a Standard internal load balancer with static private frontend IPs (from
 * the IP plan: one for a service's slot, or one per service on a node pool's slot), one backend
 * pool, and per planned port an HTTP probe on its service's health path and a TCP rule with reset
 * on idle. Outbound SNAT is off (egress goes through the NAT gateway). A VM joins the backend
 * pools of one internal load balancer only: services sharing VMs share it, each with a frontend.
 */
import { Lb, LbBackendAddressPool, LbNatRule, LbProbe, LbRule } from '../runtime/azurerm';
import { Construct } from 'constructs';
import { LB_PROBE_INTERVAL_SECONDS, LB_PROBE_THRESHOLD } from '../spec/constants';

/** Props of {@link InternalLoadBalancer}. */
export interface InternalLoadBalancerProps {
  /** The load balancer's name. */
  readonly name: string;
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The subnet the frontend IPs live in (the plan's load-balancer frontend subnet). */
  readonly frontendSubnetId: string;
  /** One frontend per service the VMs run; ports are unique across frontends (the port plan). */
  readonly frontends: readonly LoadBalancerFrontend[];
  /** Zones of the frontends; several make them zone-redundant. @default - none (regional) */
  readonly zones?: readonly string[];
  /** Seconds between two probes of a backend. @default 5 */
  readonly probeIntervalSeconds?: number;
  /** Consecutive failures before a backend leaves rotation. @default 2 */
  readonly probeThreshold?: number;
  /**
   * Idle TCP connections are reset after this many minutes, on rules (azurerm: 4-100) and on the
   * NAT rules of instance input endpoints (azurerm: 4-30); a value outside the range of a resource
   * it applies to is refused here. @default 4
   */
  readonly idleTimeoutMinutes?: number;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** One static private frontend IP of an {@link InternalLoadBalancer}, with its ports. */
export interface LoadBalancerFrontend {
  /** The frontend's name: 'frontend' for a service's own slot, the service's name on a pool. */
  readonly name: string;
  /** The static frontend IP, from the IP plan. */
  readonly ip: string;
  /** Planned ports: one probe and one rule each, frontend port = backend port. */
  readonly ports: readonly number[];
  /** Path the probes request on every port. */
  readonly healthPath: string;
  /**
   * Probe this one port instead of each rule's own (a front that serves HTTPS on one of its
   * ports has its plain-HTTP status endpoint elsewhere). @default - a probe per port
   */
  readonly probePort?: number;
  /**
   * Instance input endpoints: frontend ports `frontendPortStart` … `frontendPortEnd` forward to
   * `port` on each VM of the pool, one frontend port per VM (NAT rules on the backend pool; not
   * NAT pools, which Azure retires). Names are unique per load balancer. @default - none
   */
  readonly instanceInput?: readonly InstanceInputEndpoint[];
}

/** A port on each VM reached through its own frontend port (an `azurerm_lb_nat_rule` on the pool). */
export interface InstanceInputEndpoint {
  /** Unique per load balancer; the NAT rule is `instance-<name>`. */
  readonly name: string;
  /** The port on each VM. */
  readonly port: number;
  /** First frontend port of the range (one per VM). */
  readonly frontendPortStart: number;
  /** Last frontend port of the range: leave room for max instances plus an upgrade surge. */
  readonly frontendPortEnd: number;
}

/** The frontend name of a service's own slot load balancer. */
export const FRONTEND_NAME = 'frontend';

/**
 * A Standard internal load balancer: static private frontend IPs, one backend pool, per port an
 * HTTP probe and a TCP rule with reset on idle, outbound SNAT off.
 */
export class InternalLoadBalancer extends Construct {
  /** The load balancer's resource ID (a Terraform reference). */
  public readonly loadBalancerId: string;
  /** The backend pool's resource ID: give it to the scale set (`loadBalancerBackendPoolIds`). */
  public readonly backendPoolId: string;
  /**
   * The rules. A scale set that names one of this balancer's probes as its `health_probe_id` must
   * depend on them: Azure refuses a probe no rule uses. (The ScaleSet construct uses the health
   * extension instead, so it names no probe and needs no such dependency.)
   */
  public readonly rules: readonly LbRule[];

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);
    const problems = idleTimeoutProblems(props);
    if (problems.length > 0) throw new Error(`InternalLoadBalancer ${props.name}: ${problems.join('; ')}`);
    const lb = new Lb(this, 'lb', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'Standard',
      frontendIpConfiguration: props.frontends.map((f) => ({
        name: f.name,
        subnetId: props.frontendSubnetId,
        privateIpAddress: f.ip,
        privateIpAddressAllocation: 'Static',
        privateIpAddressVersion: 'IPv4',
        zones: props.zones && props.zones.length > 0 ? [...props.zones] : undefined,
      })),
      tags: props.tags,
    });
    // each attribute read makes a new token (cdktf records a stack trace per token): read once
    const loadbalancerId = lb.id;
    const pool = new LbBackendAddressPool(this, 'pool', { name: 'instances', loadbalancerId });
    const poolId = pool.id;
    const probes = new Map<number, LbProbe>();
    const probeOn = (port: number, path: string) => {
      const existing = probes.get(port);
      if (existing) return existing;
      const probe = new LbProbe(this, `probe-${port}`, {
        name: `health-${port}`,
        loadbalancerId,
        protocol: 'Http',
        port,
        requestPath: path,
        intervalInSeconds: props.probeIntervalSeconds ?? LB_PROBE_INTERVAL_SECONDS,
        probeThreshold: props.probeThreshold ?? LB_PROBE_THRESHOLD,
      });
      probes.set(port, probe);
      return probe;
    };
    this.rules = props.frontends.flatMap((f) => f.ports.map((port) => {
      const probe = probeOn(f.probePort ?? port, f.healthPath);
      return new LbRule(this, `rule-${port}`, {
        name: `tcp-${port}`,
        loadbalancerId,
        frontendIpConfigurationName: f.name,
        protocol: 'Tcp',
        frontendPort: port,
        backendPort: port,
        backendAddressPoolIds: [poolId],
        probeId: probe.id,
        tcpResetEnabled: true,
        floatingIpEnabled: false,
        disableOutboundSnat: true,
        idleTimeoutInMinutes: props.idleTimeoutMinutes ?? 4,
      });
    }));
    for (const f of props.frontends) for (const e of f.instanceInput ?? []) {
      new LbNatRule(this, `nat-${e.name}`, {
        name: `instance-${e.name}`,
        resourceGroupName: props.resourceGroupName,
        loadbalancerId,
        frontendIpConfigurationName: f.name,
        protocol: 'Tcp',
        frontendPortStart: e.frontendPortStart,
        frontendPortEnd: e.frontendPortEnd,
        backendPort: e.port,
        backendAddressPoolId: poolId,
        tcpResetEnabled: true,
        idleTimeoutInMinutes: props.idleTimeoutMinutes ?? 4,
      });
    }
    this.loadBalancerId = loadbalancerId;
    this.backendPoolId = poolId;
  }
}

/** Idle timeouts azurerm 4.55 accepts: `lb_rule_resource.go` 4-100, `lb_nat_rule_resource.go` 4-30. */
export const IDLE_TIMEOUT_LIMITS = { rule: { min: 4, max: 100 }, natRule: { min: 4, max: 30 } } as const;

/** What is wrong with `idleTimeoutMinutes` for the rules and NAT rules it would be applied to. */
export function idleTimeoutProblems(props: Pick<InternalLoadBalancerProps, 'idleTimeoutMinutes' | 'frontends'>): string[] {
  const t = props.idleTimeoutMinutes;
  if (t === undefined) return [];
  const problems: string[] = [];
  const { rule, natRule } = IDLE_TIMEOUT_LIMITS;
  if (!Number.isInteger(t) || t < rule.min || t > rule.max) problems.push(`idleTimeoutMinutes ${t} is outside ${rule.min}-${rule.max}, what a load-balancing rule accepts`);
  const nat = props.frontends.flatMap((f) => (f.instanceInput ?? []).map((e) => `frontends[${f.name}].instanceInput[${e.name}]`));
  if (nat.length > 0 && Number.isInteger(t) && t >= rule.min && t > natRule.max) {
    problems.push(`idleTimeoutMinutes ${t} is above ${natRule.max}, the most a NAT rule accepts, and applies to the NAT rules of ${nat.join(', ')} too (give at most ${natRule.max} with instance input endpoints)`);
  }
  return problems;
}
