/**
 * From the environment's plans to the front's inputs (pure): the services the front serves, each
 * slot's internal LB frontend address and planned ports, host names or path prefix. Static: it
 * never depends on the traffic plan, so a swap never changes the rendered nginx.conf.
 */
import type { EnvironmentPlan } from '../spec/plan';
import { defaultDomain, serviceHosts } from '../spec/names';
import { SLOT_NAMES } from '../spec/schema';
import { renderNginxConf, type FrontConfigInput, type FrontServiceConfig } from './nginx-conf';
import { routingTable, type RoutingTable } from '../slots/traffic';

/** The domain of default host names. */
export const frontDomain = (plan: EnvironmentPlan): string => defaultDomain(plan.env.name, plan.env.front);

export function frontServices(plan: EnvironmentPlan): FrontServiceConfig[] {
  const domain = frontDomain(plan);
  return plan.env.services
    // a retired service leaves the front at once (docs/lifecycle.md)
    .filter((svc) => svc.endpoints.input.from.includes('front') && !svc.retired)
    .map((svc) => ({
      name: svc.name,
      hosts: [...serviceHosts(svc, domain)],
      ...(svc.route.pathPrefix ? { pathPrefix: svc.route.pathPrefix } : {}),
      readTimeoutSeconds: svc.route.readTimeoutSeconds,
      slots: Object.fromEntries(
        SLOT_NAMES.map((slot) => [slot, { address: plan.ips.services[svc.name].frontendIps[slot], ports: plan.ports.services[svc.name].ports }]),
      ) as FrontServiceConfig['slots'],
    }));
}



/**
 * The certificate nginx reads: the agent writes the vault's secret (key and chain, PEM) here,
 * readable by nginx's group, replacing it whole (a rename) when the certificate is renewed.
 */
export const FRONT_TLS_FILE = '/etc/front/tls/front.pem';

/** The nginx.conf a front VM runs. */
export function frontConfigInput(plan: EnvironmentPlan): FrontConfigInput {
  const tls = plan.env.front.tlsCertificate;
  return {
    environment: plan.env.name,
    services: frontServices(plan),
    ports: plan.env.front.ports,
    user: 'www-data',
    ...(tls ? { tlsFile: FRONT_TLS_FILE } : {}),
    // several regions: the other regions' fronts, reached over peering (docs/regions.md)
    // (a retired region is no one's peer: no front forwards to it)
    ...(plan.regions ? { region: { name: plan.regions.self.name, peers: plan.regions.others.filter((o) => !o.retired).map((o) => ({ name: o.name, address: o.frontAddress, port: o.frontHttpPort, cidrs: [o.frontCidr] })) } } : {}),
  };
}

/** The routing table the environment's front serves: with each multi-region service's shares when there are regions. */
export function frontRoutingTable(plan: EnvironmentPlan): RoutingTable {
  const r = plan.regions;
  return routingTable(plan.env, r ? { self: r.self.name, first: r.self.index === 0 ? r.self.name : r.others.find((o) => o.index === 0)!.name, retired: r.others.filter((o) => o.retired).map((o) => o.name) } : undefined);
}

/** The nginx.conf the environment's front VMs run (renderNginxConf of the plan's services). */
export const renderFrontConf = (plan: EnvironmentPlan): string => renderNginxConf(frontConfigInput(plan));

/**
 * An internal LB address mapped to loopback, keeping the last three octets (10.20.1.5 →
 * 127.20.1.5): every slot keeps its own address, so `front preview` and the tests run the real
 * config against stub backends on this machine.
 */
export const loopbackOf = (address: string): string => `127.${address.split('.').slice(1).join('.')}`;

export function onLoopback(services: readonly FrontServiceConfig[]): FrontServiceConfig[] {
  return services.map((s) => ({
    ...s,
    slots: { blue: { ...s.slots.blue, address: loopbackOf(s.slots.blue.address) }, green: { ...s.slots.green, address: loopbackOf(s.slots.green.address) } },
  }));
}
