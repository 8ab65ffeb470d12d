/**
 * The port plan: every service instance on a VM gets its own port, with no hand-kept port table
 * (seed 003). A service's ports follow from its own `block` (or its explicit `port`) and
 * `instancesPerVm` only: port, port + 1, …, port + instancesPerVm − 1. The same list feeds the
 * systemd units, the load-balancer rules and probes, the NSG rules and the front's upstreams.
 */
import { PORT_BASE, PORT_STRIDE, VM_HEALTH_PORT } from './constants';
import type { Environment, Front } from './schema';

/** A service's planned ports on each VM. */
export interface ServicePorts {
  /** Every planned port, ascending; instance i listens on ports[i]. */
  readonly ports: readonly number[];
  /** The first planned port. */
  readonly first: number;
  /** The last planned port. */
  readonly last: number;
}

/** Every port of an environment (see {@link planPorts}). */
export interface PortPlan {
  /** The front's HTTP and HTTPS ports. */
  readonly front: Front['ports'];
  /** The VM health endpoint every service VM runs. */
  readonly vmHealth: number;
  /** Per service name, in name order. */
  readonly services: Readonly<Record<string, ServicePorts>>;
}

export const defaultFirstPort = (block: number): number => PORT_BASE + PORT_STRIDE * (block - 1);

export function portsOf(svc: { block: number; port?: number; instancesPerVm: number }): ServicePorts {
  const first = svc.port ?? defaultFirstPort(svc.block);
  const ports = Array.from({ length: svc.instancesPerVm }, (_, i) => first + i);
  return { ports, first, last: first + svc.instancesPerVm - 1 };
}

/** Plans every port. Expects a validated environment (see validateEnvironment). */
export function planPorts(env: Environment): PortPlan {
  const services: Record<string, ServicePorts> = {};
  for (const svc of [...env.services].sort((a, b) => a.name.localeCompare(b.name))) services[svc.name] = portsOf(svc);
  return { front: env.front.ports, vmHealth: VM_HEALTH_PORT, services };
}

/** '10000' or '10000-10003', as NSG and LB port ranges are written. */
export const portRange = (p: ServicePorts): string => (p.first === p.last ? `${p.first}` : `${p.first}-${p.last}`);
