/**
 * Numbers and patterns the spec, the plans and the messages share. A limit named in an error
 * message comes from here, the same constant the check uses.
 */

/** Lower-case letters, digits and single hyphens; starts with a letter, ends with a letter or digit. */
export const NAME_PATTERN = /^(?!.*--)[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

/** Ports a service may be planned on. Below 1024 needs root; the front owns 80 and 443. */
export const PORT_MIN = 1024;
export const PORT_MAX = 65535;

/** Default first port of block 1; block N starts PORT_STRIDE × (N − 1) higher. */
export const PORT_BASE = 10000;
/** Ports reserved per block: the most instances one VM may run of one service. */
export const MAX_INSTANCES_PER_VM = 16;
export const PORT_STRIDE = MAX_INSTANCES_PER_VM;

/**
 * Ports every VM keeps for the platform. The VM health endpoint (one per VM, covering every
 * planned port) listens on VM_HEALTH_PORT.
 */
export const VM_HEALTH_PORT = 9000;
export const RESERVED_PORTS: Readonly<Record<number, string>> = { [VM_HEALTH_PORT]: 'the VM health endpoint' };
/** The front's loopback-only admin port (its table agent PUTs routing tables there). */
export const FRONT_ADMIN_PORT = 9001;
/** Ports nginx on each front VM keeps for itself; `front.ports` may not take them. */
export const FRONT_RESERVED_PORTS: Readonly<Record<number, string>> = {
  22: "sshd, which the images run for the admin's SSH keys (nginx could not bind it)",
  [VM_HEALTH_PORT]: "the front's status server (its load balancer's probe and the VM health extension)",
  [FRONT_ADMIN_PORT]: "the front's loopback admin server (the table agent)",
};

/**
 * Largest rolling batch without surge, in percent: a third of the instances. The policy pack's
 * ASE-VM-004 refuses a larger one in the synthesized scale set, so validation refuses it at the
 * spec's field first.
 */
export const MAX_BATCH_PERCENT_WITHOUT_SURGE = 34;

/**
 * The internal load balancers' HTTP probes (lib/lb): one every LB_PROBE_INTERVAL_SECONDS, a
 * backend leaves rotation after LB_PROBE_THRESHOLD failures in a row. The drain agent waits
 * interval × threshold plus one interval after its switch before it counts connections.
 */
export const LB_PROBE_INTERVAL_SECONDS = 5;
export const LB_PROBE_THRESHOLD = 2;
/** The address Azure Load Balancer's health probes come from (Azure's load balancer docs). */
export const AZURE_PROBE_SOURCE = '168.63.129.16';

export const DEFAULT_FRONT_PORTS = { http: 80, https: 443 } as const;
export const DEFAULT_SUBNET_PREFIX_LENGTH = 24;

/** Azure reserves the network address, the next three and the broadcast address in every subnet. */
export const AZURE_RESERVED_ADDRESSES_PER_SUBNET = 5;
/** Offset of the first address Azure lets a NIC or frontend use in a subnet. */
export const FIRST_USABLE_OFFSET = 4;

/**
 * Address blocks (each `network.subnetPrefixLength` wide) the platform owns, in order from the
 * start of the address space. Service block N is address block PLATFORM_BLOCKS.length − 1 + N.
 */
export const PLATFORM_BLOCKS = ['front', 'loadBalancers', 'endpoints'] as const;

/** Private ranges a VNet may use (RFC 1918 and the shared range of RFC 6598). */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] as const;
