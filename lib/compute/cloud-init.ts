/**
 * The cloud-init document of a slot's VMs (pure; no cdktf). For each service on the VM (one, or
 * several on a node pool) it installs one systemd unit instance per planned port
 * (`<service>@<port>`), each given PORT, the slot's version and the service's settings, and the
 * start steps the instances require: a oneshot that downloads the release with the VM's managed
 * identity and refuses it when its SHA-256 differs, one that fetches the service's Key Vault
 * secrets, one that publishes its certificates. Each step retries inside its own activation
 * (RETRY_SCRIPT) and records its state, so under systemd 249/252 a failed first attempt still
 * ends with every instance running, and a failure for good is named by the health endpoint.
 * Once per VM the health endpoint on VM_HEALTH_PORT speaks the ApplicationHealthLinux 2.0 (rich
 * health states) contract over every planned port of every service. The same port list feeds
 * the load balancer, the NSG rules and the front: one source of truth. docs/vm-side.md has the
 * unit graph and its failure paths.
 *
 * Secrets never appear here: custom data is readable by anyone who can read the scale set.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { readVmProgram } from '../core/vm-program';
import { renderServiceUpdatesFiles } from './updates';
import { CERT_EXPIRY_UNITS, certExpiryFiles } from './cert-expiry';
import { AZURE_PROBE_SOURCE, LB_PROBE_INTERVAL_SECONDS, LB_PROBE_THRESHOLD, VM_HEALTH_PORT } from '../spec/constants';
import { keyVaultCertificatePath } from '../vault/vm-extension';
import type { EnvironmentPlan } from '../spec/plan';
import type { Service, SlotName } from '../spec/schema';

/** One service on the VM. */
export interface ServiceBoot {
  /** The service's name: its units, user and folders are named after it. */
  readonly service: string;
  /** The release version the slot runs, given to every instance as VERSION. */
  readonly version: string;
  /** Planned ports of the service on each VM; one unit instance each. */
  readonly ports: readonly number[];
  /** The path every instance answers 200 on when healthy. */
  readonly healthPath: string;
  /** Environment variables for every instance (not secrets). */
  readonly settings: Readonly<Record<string, string>>;
  /** Environment variables from Key Vault secrets: variable → secret name. @default - none */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The vault the secrets and certificates are in (its name). Required with either. */
  readonly vaultName?: string;
  /** Key Vault certificates the service reads, by name. @default - none */
  readonly certificates?: readonly string[];
  /**
   * A queue worker (docs/workers.md): its instances take no requests, so the health endpoint reads
   * each instance unit's state instead of asking `healthPath`, and a stopped instance (a release,
   * a drain before Azure deletes the VM) gets `stopSeconds` after SIGTERM to finish the messages it
   * holds; the drain stops the instances before it approves. @default - a request/reply service
   */
  readonly worker?: {
    /** Seconds an instance may take to stop after SIGTERM (systemd's TimeoutStopSec). */
    readonly stopSeconds: number;
  };
  /** The release to download; absent when the image holds /opt/<service>/current/bin/start. */
  readonly artifact?: {
    /** A blob URL in the artifact store (fetched with the VM's identity). */
    readonly url: string;
    /** The archive's SHA-256, hex; a different file is refused. */
    readonly sha256: string;
  };
}

/** A slot's VMs: one service, or several on a node pool, each on its own planned ports. */
export interface CloudInitInput {
  /** The slot's name ('blue' or 'green'), given to every instance as SLOT. */
  readonly slot: string;
  /** The services on the VMs. */
  readonly services: readonly ServiceBoot[];
  /**
   * Resource ID of the VM's user-assigned identity: static (built from names), so custom data
   * holds no Terraform reference and is computed at synth.
   */
  readonly identityResourceId: string;
}

/**
 * The folder of the programs the service VMs run, beside this module (`lib/compute/vm/`, copied
 * to `dist/lib/compute/vm/` by the build): real shell and Python files, linted and run by the
 * tests as they are, and written into custom data byte for byte.
 */
export const SERVICE_VM_DIR = join(__dirname, 'vm');

/** Where things live on a VM. */
export const VM_PATHS = {
  lib: '/usr/local/lib/slotenv',
  /** Runs a start step until it succeeds or fails for good, recording its state for the health endpoint. */
  retry: '/usr/local/lib/slotenv/retry',
  /** Where each start step's state is (per boot): `<unit>.state`, read by the health endpoint. */
  stateDir: '/run/slotenv',
  state: (unit: string) => `/run/slotenv/${unit.replace(/\.service$/, '')}.state`,
  fetch: '/usr/local/lib/slotenv/fetch-release',
  /** Installs the release the VM's user data names, at boot and whenever it changes (RELEASE_AGENT_SCRIPT). */
  agent: '/usr/local/lib/slotenv/release-agent',
  agentConfig: '/etc/slotenv/release-agent.json',
  /** VERSION of the release a service's instances run: written by the release agent, read by systemd for each instance. */
  versionEnv: (service: string) => `/run/slotenv/${service}.version.env`,
  /** The release a service runs, the one its user data wants, and why they differ: written by the agent, read by the health endpoint. */
  releaseState: (service: string) => `/run/slotenv/${service}.release.json`,
  health: '/usr/local/lib/slotenv/vm-health.py',
  /** Drains the VM before a Scheduled Events Terminate, Preempt, Reboot or Redeploy (DRAIN_SCRIPT). */
  drain: '/usr/local/lib/slotenv/drain',
  drainConfig: '/etc/slotenv/drain.json',
  /** Where the drain agent records the event it handles and its phase. */
  drainState: '/run/slotenv/drain.json',
  healthConfig: '/etc/slotenv/vm-health.json',
  releaseEnv: (service: string) => `/etc/${service}/release.env`,
  secrets: '/usr/local/lib/slotenv/fetch-secrets',
  /** Which secret each variable comes from (names only, no values). */
  secretsList: (service: string) => `/etc/${service}/secrets.list`,
  /** The fetched values: root's only, read by systemd for the unit (the service's own user cannot read it). */
  secretsEnv: (service: string) => `/run/slotenv-secrets/${service}.env`,
  certs: '/usr/local/lib/slotenv/publish-certs',
  certsDir: (service: string) => `/etc/${service}/certs`,
  /** Where the Key Vault extension writes a certificate. */
  keyVaultCert: keyVaultCertificatePath,
  start: (service: string) => `/opt/${service}/current/bin/start`,
} as const;

/** The systemd units of one service. */
export const unitNames = (service: string) => ({
  instance: `${service}@.service`,
  instanceOf: (port: number) => `${service}@${port}.service`,
  release: `${service}-release.service`,
  secrets: `${service}-secrets.service`,
  certs: `${service}-certs.service`,
  certsPath: `${service}-certs.path`,
});

/** The exit status a start step uses for a failure no retry can mend (a wrong checksum, a bad value). */
export const PERMANENT_FAILURE_EXIT = 65;

/**
 * Runs one start step (release download, secrets fetch, certificate publish) until it succeeds or
 * fails for good, and records where it is in a state file the VM health endpoint reads:
 * `running attempt N`, `retrying …`, `ready`, or `failed <reason>`.
 *
 * The retries happen here, inside one activation of the oneshot, not through systemd's
 * `Restart=`: before systemd 254 (Ubuntu 22.04 has 249, Debian 12 252) units that `Requires=` a
 * oneshot fail with "dependency failed" on its first failure and are not started again when a
 * restart of it succeeds. Here the oneshot stays "activating" while it retries, the instances'
 * start jobs wait for it (`After=`), and start when it succeeds.
 *
 * Exit 0: `ready`. Exit PERMANENT_FAILURE_EXIT (65): `failed <its last message>`, no retry.
 * Anything else is transient: `retrying`, a wait that doubles from RETRY_FIRST_SECONDS (5) up to
 * RETRY_MAX_SECONDS (300), and again, forever unless RETRY_ATTEMPTS is set (tests). SLOTENV_PREFIX
 * exists for tests.
 * The program: `lib/compute/vm/retry.sh`.
 */
export const RETRY_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'retry.sh', [`    ${PERMANENT_FAILURE_EXIT}) record "failed`, `exit ${PERMANENT_FAILURE_EXIT} ;;`]);

/**
 * Publishes the Key Vault extension's certificate files (root's) to `/etc/<service>/certs/<name>.pem`,
 * readable by the service's group, each replaced whole. Run (under RETRY_SCRIPT) when an instance
 * starts, and by a path unit whenever the extension writes a renewal. It waits WAIT_SECONDS for
 * the extension's first sync, then fails (transient: RETRY_SCRIPT tries again, for as long as it
 * takes). SLOTENV_PREFIX and WAIT_SECONDS exist for tests.
 * The program: `lib/compute/vm/publish-certs.sh`.
 */
export const CERTS_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'publish-certs.sh');

/**
 * Fetches a service's Key Vault secrets with the VM's managed identity into an environment file
 * only root can read (systemd reads it for the unit; the service's own user cannot). Run by the
 * `<service>-secrets` oneshot (under RETRY_SCRIPT) each time an instance starts, so a rotated
 * secret arrives with the next restart. A missing token, an unreachable vault, a refused grant (it
 * can take minutes to reach Key Vault) or a missing secret are transient: exit 1, retried. A value
 * of more than one line cannot be an environment variable: exit 65, a failure for good, named in
 * the health endpoint. IMDS_ENDPOINT, VAULT_URL and SLOTENV_PREFIX exist so tests can run it
 * against loopback and a temp folder.
 * The program: `lib/compute/vm/fetch-secrets.py`.
 */
export const SECRETS_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'fetch-secrets.py', [`(name, variable), ${PERMANENT_FAILURE_EXIT})`]);

/** The VM health endpoint's unit: one per VM, whatever services it runs. */
export const HEALTH_UNIT = 'vm-health.service';

/** The release agent's unit: one per VM; it polls the user data and switches services to a new release. */
export const RELEASE_AGENT_UNIT = 'slotenv-release-agent.service';

/** How often the release agent reads the VM's user data, in seconds. */
export const RELEASE_POLL_SECONDS = 30;

/**
 * Downloads a release with the VM's managed identity, verifies it and points `current` at it.
 * Run by the `<service>-release` oneshot under RETRY_SCRIPT. No token, no answer, or a refusal
 * from storage (a grant can take minutes to arrive, a release can be uploaded late) are
 * transient: exit 1, retried. A file whose SHA-256 differs from the spec's, that is not a gzip tar
 * or has no executable `bin/start` is refused for good: exit 65, named in the health endpoint.
 * IMDS_ENDPOINT and SLOTENV_PREFIX exist so tests can run it against loopback and a temp folder.
 * The program: `lib/compute/vm/fetch-release.sh`.
 */
export const FETCH_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'fetch-release.sh', [`exit ${PERMANENT_FAILURE_EXIT}; }`]);

/**
 * The release agent (python3, one per VM). A slot's release (per service: version, and the
 * artifact's URL and SHA-256) travels in the scale set's **user data**, not its custom data:
 * Azure applies changed custom data only when an instance is reimaged, while user data reaches a
 * running instance when it is updated to the latest model, and the VM reads it through IMDS
 * (`/metadata/instance/compute/userData`, base64). docs/vm-side.md has the whole path.
 *
 * - `boot SERVICE`: the `<service>-release` start step (under RETRY_SCRIPT). Reads the user data,
 *   installs the release it names (FETCH_SCRIPT when it has an artifact), writes the version the
 *   instances get, and records the running release. IMDS unreachable, no entry for the service, a
 *   download refused: exit 1 (retried). The artifact refused (SHA-256, not a tar, no bin/start): 65.
 * - `sync`: one pass over the services already running a release. When the user data names
 *   another one, it installs it, then restarts the instances one port at a time, each only after
 *   the previous one answers on its health path. An instance that does not answer within
 *   `startupSeconds` rolls the service back to the release it ran. A release refused or rolled
 *   back is not tried again until the user data names another one; the previous release keeps
 *   running and the health endpoint names the failure (a warning: the VM still serves).
 * - `watch`: `sync` every `pollSeconds`, forever (the `slotenv-release-agent` unit).
 *
 * State, per service, in `<stateDir>/<service>.release.json`: `running`, `release` (version and
 * SHA-256 running), and while it differs from the user data `wanted`, `switching` (the port being
 * restarted) or `error`. RELEASE_AGENT_CONFIG, IMDS_ENDPOINT, SYSTEMCTL and SLOTENV_PREFIX exist
 * for tests.
 * The program: `lib/compute/vm/release-agent.py`.
 */
export const RELEASE_AGENT_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'release-agent.py', [`"RELEASE_AGENT_CONFIG", "${VM_PATHS.agentConfig}"`, `PERMANENT = ${PERMANENT_FAILURE_EXIT}\n`, `config.get("pollSeconds", ${RELEASE_POLL_SECONDS})`]);

/**
 * The VM health endpoint, speaking the ApplicationHealthLinux extension's type handler 2.0
 * contract (rich health states; docs/vm-side.md has the source it is read from). GET /health:
 *
 * - `200 {"ApplicationHealthState": "Healthy"}`: every planned instance of every service answers
 *   2xx on its health path.
 * - `200 {"ApplicationHealthState": "Unhealthy", "reason": …}`: a start step failed for good (its
 *   state file says `failed`), or an instance does not answer although it did before, or has not
 *   within `startupSeconds` of its start steps being ready. The extension needs a 2xx to read the
 *   body at all: an Unhealthy sent with 503 would be Unknown.
 * - `503 {"reason": "starting: …"}`: start steps still running or retrying, or instances inside
 *   their start-up allowance. The extension reads any non-2xx as Unknown, which it reports as
 *   Initializing until its grace period ends; it never ends the grace period early (Unhealthy
 *   would).
 * The program: `lib/compute/vm/vm-health.py`.
 */
export const HEALTH_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'vm-health.py', [`else "${VM_PATHS.healthConfig}"`, `config.get("stateDir", "${VM_PATHS.stateDir}")`]);

/**
 * systemd EnvironmentFile syntax: KEY="value" with \\, ", $ and ` escaped (systemd unescapes
 * exactly these four inside double quotes, env-file.c SHELL_NEED_ESCAPE; so does a shell that
 * sources the file). Every other character stays as it is, line breaks too: inside double quotes
 * systemd keeps a raw newline, while `\n` would reach the service as a backslash and an n.
 */
export const envLine = (key: string, value: string) => `${key}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;

/** The drain agent's unit: one per VM, service and front VMs alike. */
export const DRAIN_UNIT = 'slotenv-drain.service';

/**
 * The drain agent (python3, one per VM, service and front). It polls Azure's Scheduled Events
 * (IMDS `/metadata/scheduledevents`, once a second) and, on a `Terminate`, `Preempt`, `Reboot` or
 * `Redeploy` that names this VM (IMDS `compute/name`): turns the drain switch on (service VMs: the
 * load balancer's probe address may not open connections to the instance ports any more, so
 * every per-port probe fails; front VMs: `/healthz` answers 503 and every response says
 * `Connection: close`), waits interval × threshold plus one interval of the load balancer's
 * probes, waits until no connection is established on the ports, on the front stops nginx
 * gracefully (Terminate, Preempt), then approves the event. Every wait ends at NotBefore minus
 * `approveMarginSeconds`. docs/vm-side.md has the sequence and what Azure's docs say.
 * DRAIN_CONFIG, IMDS_ENDPOINT and IPTABLES exist for tests.
 * The program: `lib/compute/vm/drain.py`.
 */
export const DRAIN_SCRIPT = readVmProgram(SERVICE_VM_DIR, 'drain.py', [`"DRAIN_CONFIG", "${VM_PATHS.drainConfig}"`, '/metadata/scheduledevents?api-version=2020-07-01']);

/**
 * DRAIN_SCRIPT as custom data carries it: gzip, base64 (cloud-init's `encoding: gz+b64`), about
 * 4.7 KB instead of 14.7 KB; custom data is limited to 64 KB. Deterministic: Node's gzip writes no
 * name and no time.
 */
export const DRAIN_SCRIPT_PACKED = gzipSync(Buffer.from(DRAIN_SCRIPT, 'utf8'), { level: 9 }).toString('base64');

/** Seconds the drain agent waits after its switch for the load balancer to stop sending new connections. */
export const DRAIN_LB_SECONDS = LB_PROBE_INTERVAL_SECONDS * LB_PROBE_THRESHOLD + LB_PROBE_INTERVAL_SECONDS;

/** The drain agent approves at the latest this long before the event's NotBefore. */
export const DRAIN_APPROVE_MARGIN_SECONDS = 10;

/** The drain agent's config: what it switches, which ports it waits on. */
export interface DrainConfig {
  readonly mode: 'service' | 'front';
  /** Ports whose established connections must end before the event is approved. */
  readonly ports: readonly number[];
  readonly pollSeconds: number;
  readonly lbSeconds: number;
  readonly approveMarginSeconds: number;
  readonly stateFile: string;
  /** Service VMs: connections from this address to the ports are refused while draining. */
  readonly probeSource?: string;
  /** Peers whose connections do not count (the VM health endpoint's probes on loopback). */
  readonly ignorePeers?: readonly string[];
  /** Front VMs: the admin endpoint that turns the drain on (PUT) and off (DELETE). */
  readonly adminUrl?: string;
  /** Commands run once the connections are gone (Terminate, Preempt): the front's nginx quit, a worker VM's instances stopped. */
  readonly stop?: readonly (readonly string[])[];
  /** What `stop` stops, for the drain's state file. @default 'nginx' */
  readonly stopWhat?: string;
  /** Front VMs: the pid file whose removal says nginx has exited. */
  readonly stopPidFile?: string;
}

/**
 * A service VM's drain config: the fence is on the instance ports of every service. With queue
 * workers on the VM (`workerUnits`), their instances are stopped before the approval, each within
 * its TimeoutStopSec.
 */
export function serviceDrainConfig(ports: readonly number[], workerUnits: readonly string[] = []): DrainConfig {
  return {
    mode: 'service',
    ports: [...ports].sort((a, b) => a - b),
    ...(workerUnits.length > 0 ? { stop: [['systemctl', 'stop', ...[...workerUnits].sort()]], stopWhat: 'the queue workers' } : {}),
    pollSeconds: 1,
    lbSeconds: DRAIN_LB_SECONDS,
    approveMarginSeconds: DRAIN_APPROVE_MARGIN_SECONDS,
    stateFile: VM_PATHS.drainState,
    probeSource: AZURE_PROBE_SOURCE,
    ignorePeers: ['127.0.0.1'],
  };
}

/** The drain agent's unit (one per VM). It runs as root: iptables, and nginx on the front. */
export function renderDrainUnit(): string {
  return daemonUnit({
    description: 'Drain this VM before Azure deletes or reboots it (Scheduled Events from IMDS)',
    unit: ['After=network-online.target', 'Wants=network-online.target', 'StartLimitIntervalSec=0'],
    service: ['Type=simple'],
    execStart: `/usr/bin/python3 ${VM_PATHS.drain} watch`,
    restartSec: 2,
  });
}


/**
 * How long an instance may take to answer its health path for the first time, counted from when
 * its start steps were ready: until then the health endpoint says "starting" (Unknown), after it
 * Unhealthy.
 */
export const STARTUP_SECONDS = 300;

/** A service's start steps, by unit name without `.service`: each keeps a state file. */
export function startSteps(b: Pick<ServiceBoot, 'service' | 'secrets' | 'certificates'>): string[] {
  const u = unitNames(b.service);
  // every service has a release step: it installs what the user data names, artifact or not
  return [
    u.release,
    ...(Object.keys(b.secrets ?? {}).length > 0 ? [u.secrets] : []),
    ...((b.certificates ?? []).length > 0 ? [u.certs] : []),
  ].map((unit) => unit.replace(/\.service$/, ''));
}

/**
 * The units of one service (its instance template and start steps). Nothing here depends on the
 * release (version, artifact): that is in the user data, read by the release step at boot and by
 * the release agent afterwards, so a release does not change custom data.
 */
export function renderServiceUnits(input: Omit<ServiceBoot, 'version' | 'artifact'> & { readonly slot: string; readonly identityResourceId: string }): Record<string, string> {
  const u = unitNames(input.service);
  const needsSecrets = Object.keys(input.secrets ?? {}).length > 0;
  const certs = [...(input.certificates ?? [])].sort();
  const before = [u.release, ...(needsSecrets ? [u.secrets] : []), ...(certs.length > 0 ? [u.certs] : [])];
  const units: Record<string, string> = {};
  units[u.instance] = [
    '[Unit]',
    `Description=${input.service} (${input.slot} slot) on port %i`,
    `After=${['network-online.target', ...before].join(' ')}`,
    'Wants=network-online.target',
    ...(before.length > 0 ? [`Requires=${before.join(' ')}`] : []),
    // a crashing instance keeps being restarted (the health endpoint names it), never given up on
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `User=${input.service}`,
    `EnvironmentFile=${VM_PATHS.releaseEnv(input.service)}`,
    // VERSION: the release the agent installed (from the user data)
    `EnvironmentFile=${VM_PATHS.versionEnv(input.service)}`,
    ...(needsSecrets ? [`EnvironmentFile=${VM_PATHS.secretsEnv(input.service)}`] : []),
    'Environment=PORT=%i',
    ...(certs.length > 0 ? [`Environment=CERTS_DIR=${VM_PATHS.certsDir(input.service)}`] : []),
    `ExecStart=${VM_PATHS.start(input.service)}`,
    'Restart=always',
    'RestartSec=2',
    // a worker stops taking messages on SIGTERM and finishes the ones it holds (docs/workers.md)
    ...(input.worker ? [`TimeoutStopSec=${input.worker.stopSeconds}`] : []),
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    `StateDirectory=${input.service}/%i`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  units[u.release] = [
    '[Unit]',
    `Description=Install ${input.service}'s release named in the VM's user data`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    // retries inside this activation (RETRY_SCRIPT): the instances' start jobs wait, then start
    `ExecStart=${VM_PATHS.retry} ${VM_PATHS.state(u.release)} /usr/bin/python3 ${VM_PATHS.agent} boot ${input.service}`,
    'TimeoutStartSec=infinity',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  if (certs.length > 0) {
    if (!input.vaultName) throw new Error(`${input.service}: certificates need the vault's name`);
    const sources = certs.map((c) => VM_PATHS.keyVaultCert(input.vaultName!, c));
    units[u.certs] = [
      '[Unit]',
      `Description=Publish ${input.service}'s Key Vault certificates (before an instance starts, and on renewal)`,
      '',
      '[Service]',
      'Type=oneshot',
      // the extension's file is local: look again at least every minute, however long it takes
      'Environment=WAIT_SECONDS=30 RETRY_MAX_SECONDS=30',
      `ExecStart=${VM_PATHS.retry} ${VM_PATHS.state(u.certs)} ${VM_PATHS.certs} ${input.service} ${VM_PATHS.certsDir(input.service)} ${certs.map((c, i) => `${sources[i]} ${c}`).join(' ')}`,
      'TimeoutStartSec=infinity',
      '',
    ].join('\n');
    units[u.certsPath] = [
      '[Unit]',
      `Description=Republish ${input.service}'s certificates when the Key Vault extension renews one`,
      '',
      '[Path]',
      ...sources.map((p) => `PathChanged=${p}`),
      `Unit=${u.certs}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n');
  }
  if (needsSecrets) {
    if (!input.vaultName) throw new Error(`${input.service}: secrets need the vault's name`);
    units[u.secrets] = [
      '[Unit]',
      `Description=Fetch ${input.service}'s Key Vault secrets (each time an instance starts)`,
      'After=network-online.target',
      'Wants=network-online.target',
      '',
      '[Service]',
      // not RemainAfterExit: every instance start pulls it in again, so a rotated secret arrives on restart
      'Type=oneshot',
      `ExecStart=${VM_PATHS.retry} ${VM_PATHS.state(u.secrets)} /usr/bin/python3 ${VM_PATHS.secrets} ${input.service} ${input.vaultName} ${input.identityResourceId} ${VM_PATHS.secretsList(input.service)} ${VM_PATHS.secretsEnv(input.service)}`,
      'TimeoutStartSec=infinity',
      '',
    ].join('\n');
  }
  return units;
}

/**
 * A long-running unit that systemd restarts whenever it exits, with no start limit: the shape of
 * every agent on the VMs (release agent, drain agent, health endpoint, the front's agent).
 */
export function daemonUnit(u: {
  readonly description: string;
  /** `[Unit]` lines after the description (After=, Wants=, Requires=). */
  readonly unit: readonly string[];
  /** `[Service]` lines before ExecStart (Type=, DynamicUser=, EnvironmentFile=). */
  readonly service: readonly string[];
  readonly execStart: string;
  readonly restartSec: number;
}): string {
  return ['[Unit]', `Description=${u.description}`, ...u.unit, '', '[Service]', ...u.service, `ExecStart=${u.execStart}`, 'Restart=always', `RestartSec=${u.restartSec}`, '', '[Install]', 'WantedBy=multi-user.target', ''].join('\n');
}

/** The release agent's unit (one per VM): polls the user data, switches services to a new release. */
export function renderReleaseAgentUnit(): string {
  return daemonUnit({
    description: "Switch the services to the release the VM's user data names (polled from IMDS)",
    unit: ['After=network-online.target', 'Wants=network-online.target', 'StartLimitIntervalSec=0'],
    service: ['Type=simple'],
    execStart: `/usr/bin/python3 ${VM_PATHS.agent} watch`,
    restartSec: 5,
  });
}

/**
 * The release document a slot's VMs read from their user data: per service the version and, when
 * it is downloaded, the artifact's URL and SHA-256. Pretty-printed JSON, keys in a fixed order, so
 * the review's line diff shows the one field that changed. Not secret: any process on the VM can
 * read user data.
 */
export function releaseUserData(input: Pick<CloudInitInput, 'slot' | 'services'>): string {
  const services = [...input.services].sort((a, b) => a.service.localeCompare(b.service));
  const doc = {
    slot: input.slot,
    services: Object.fromEntries(services.map((b) => [b.service, { version: b.version, ...(b.artifact ? { artifact: { url: b.artifact.url, sha256: b.artifact.sha256 } } : {}) }])),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The VM health endpoint's unit (one per VM). */
export function renderHealthUnit(): string {
  return daemonUnit({
    description: `VM health endpoint on port ${VM_HEALTH_PORT}`,
    unit: ['After=network-online.target', 'StartLimitIntervalSec=0'],
    service: ['Type=simple', 'DynamicUser=yes'],
    execStart: `/usr/bin/python3 ${VM_PATHS.health} ${VM_PATHS.healthConfig}`,
    restartSec: 2,
  });
}

export interface WriteFile {
  readonly path: string;
  readonly owner: string;
  readonly permissions: string;
  readonly content: string;
  /** 'b64' when the content is base64 of the file (see {@link asYamlSafe}); 'gz+b64' when it is gzip, then base64 (the drain agent). */
  readonly encoding?: 'b64' | 'gz+b64';
}

/**
 * Text that cloud-init's YAML reader (PyYAML, YAML 1.1) reads back as the yaml library writes it:
 * tab, line feed, printable ASCII and the Unicode it counts as printable, without its line breaks.
 * The yaml library (YAML 1.2) writes DEL, the C1 controls (U+0080-U+009F), U+FFFE and U+FFFF
 * unescaped, which PyYAML refuses ("special characters are not allowed": the VM would get no
 * configuration at all), and NEL, LS and PS unescaped, which PyYAML folds into spaces inside a
 * quoted scalar.
 */
const YAML_SAFE = /^[\t\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** A file whose content (a service's settings, as written in the spec) PyYAML would not read back exactly goes base64-encoded. */
export const asYamlSafe = (f: WriteFile): WriteFile => (YAML_SAFE.test(f.content) ? f : { ...f, content: Buffer.from(f.content, 'utf8').toString('base64'), encoding: 'b64' });

/** The document as data: what `renderCloudInit` writes. */
export function cloudInitDocument(input: CloudInitInput) {
  const services = [...input.services].sort((a, b) => a.service.localeCompare(b.service));
  const healthConfig = {
    port: VM_HEALTH_PORT,
    timeoutSeconds: 2,
    startupSeconds: STARTUP_SECONDS,
    stateDir: VM_PATHS.stateDir,
    services: services.map((b) => ({
      service: b.service,
      steps: startSteps(b),
      // a worker's instance has no port to ask: its unit's state is its health
      checks: b.ports.map((port) => (b.worker ? { port, unit: `${b.service}@${port}.service` } : { port, path: b.healthPath })),
    })),
  };
  const perService = services.map((b) => {
    // VERSION is not here: it comes with the release, in the user data (VM_PATHS.versionEnv)
    const env = [
      envLine('SERVICE', b.service),
      envLine('SLOT', input.slot),
      ...Object.keys(b.settings)
        .sort()
        .map((k) => envLine(k, b.settings[k])),
    ].join('\n');
    const units = renderServiceUnits({ ...b, slot: input.slot, identityResourceId: input.identityResourceId });
    const secrets = Object.entries(b.secrets ?? {}).sort(([a], [c]) => a.localeCompare(c));
    return {
      envFile: { path: VM_PATHS.releaseEnv(b.service), owner: 'root:root', permissions: '0644', content: `${env}\n` },
      secretsList: secrets.length > 0 ? [{ path: VM_PATHS.secretsList(b.service), owner: 'root:root', permissions: '0600', content: secrets.map(([k, v]) => `${k} ${v}\n`).join('') }] : [],
      unitFiles: Object.entries(units).map(([name, content]) => ({ path: `/etc/systemd/system/${name}`, owner: 'root:root', permissions: '0644', content })),
    };
  });
  const agentConfig = {
    stateDir: VM_PATHS.stateDir,
    fetch: VM_PATHS.fetch,
    identity: input.identityResourceId,
    pollSeconds: RELEASE_POLL_SECONDS,
    startupSeconds: STARTUP_SECONDS,
    // a worker's instance is checked by its unit staying active (it has no port to ask)
    services: services.map((b) => ({ service: b.service, ports: b.ports, ...(b.worker ? { worker: true } : { healthPath: b.healthPath }) })),
  };
  const reported = services.flatMap((b) => (b.certificates ?? []).map((c) => ({ name: `${b.service}/${c}`, path: `${VM_PATHS.certsDir(b.service)}/${c}.pem` })));
  const writeFiles: WriteFile[] = [
    ...perService.flatMap((p) => [p.envFile, ...p.secretsList]),
    { path: VM_PATHS.healthConfig, owner: 'root:root', permissions: '0644', content: `${JSON.stringify(healthConfig)}\n` },
    { path: VM_PATHS.agentConfig, owner: 'root:root', permissions: '0644', content: `${JSON.stringify(agentConfig)}\n` },
    {
      path: VM_PATHS.drainConfig,
      owner: 'root:root',
      permissions: '0644',
      content: `${JSON.stringify(serviceDrainConfig(services.flatMap((b) => b.ports), services.filter((b) => b.worker).flatMap((b) => b.ports.map((port) => `${b.service}@${port}.service`))))}\n`,
    },
    HEALTH_FILE,
    RETRY_FILE,
    // a later release may bring an artifact: the fetcher is always there
    FETCH_FILE,
    AGENT_FILE,
    DRAIN_FILE,
    ...(services.some((b) => Object.keys(b.secrets ?? {}).length > 0) ? [SECRETS_FILE] : []),
    ...(services.some((b) => (b.certificates ?? []).length > 0) ? [CERTS_FILE] : []),
    ...perService.flatMap((p) => p.unitFiles),
    { path: `/etc/systemd/system/${HEALTH_UNIT}`, owner: 'root:root', permissions: '0644', content: renderHealthUnit() },
    { path: `/etc/systemd/system/${RELEASE_AGENT_UNIT}`, owner: 'root:root', permissions: '0644', content: renderReleaseAgentUnit() },
    { path: `/etc/systemd/system/${DRAIN_UNIT}`, owner: 'root:root', permissions: '0644', content: renderDrainUnit() },
    // security updates between OS patches: daily, never a reboot, never a restart of every instance at once (updates.ts)
    ...renderServiceUpdatesFiles(services.map((b) => b.service)),
    // when each certificate on the VM expires, for the certificate-expiry alert (cert-expiry.ts)
    ...certExpiryFiles(reported),
  ];
  return {
    users: ['default', ...services.map((b) => ({ name: b.service, system: true, shell: '/usr/sbin/nologin', no_create_home: true }))],
    package_update: false,
    write_files: writeFiles.map(asYamlSafe),
    runcmd: [
      ['systemctl', 'daemon-reload'],
      // --no-block: start steps may retry for a long time; cloud-init's final stage does not wait for them
      [
        'systemctl',
        'enable',
        '--now',
        '--no-block',
        HEALTH_UNIT,
        RELEASE_AGENT_UNIT,
        DRAIN_UNIT,
        ...services.filter((b) => (b.certificates ?? []).length > 0).map((b) => unitNames(b.service).certsPath),
        ...(reported.length > 0 ? [CERT_EXPIRY_UNITS.timer] : []),
        ...services.flatMap((b) => b.ports.map((p) => unitNames(b.service).instanceOf(p))),
      ],
    ],
  };
}

const HEALTH_FILE: WriteFile = { path: VM_PATHS.health, owner: 'root:root', permissions: '0755', content: HEALTH_SCRIPT };
const RETRY_FILE: WriteFile = { path: VM_PATHS.retry, owner: 'root:root', permissions: '0755', content: RETRY_SCRIPT };
const FETCH_FILE: WriteFile = { path: VM_PATHS.fetch, owner: 'root:root', permissions: '0755', content: FETCH_SCRIPT };
const SECRETS_FILE: WriteFile = { path: VM_PATHS.secrets, owner: 'root:root', permissions: '0755', content: SECRETS_SCRIPT };
const CERTS_FILE: WriteFile = { path: VM_PATHS.certs, owner: 'root:root', permissions: '0755', content: CERTS_SCRIPT };
const AGENT_FILE: WriteFile = { path: VM_PATHS.agent, owner: 'root:root', permissions: '0755', content: RELEASE_AGENT_SCRIPT };
const DRAIN_FILE: WriteFile = { path: VM_PATHS.drain, owner: 'root:root', permissions: '0755', encoding: 'gz+b64', content: DRAIN_SCRIPT_PACKED };
const YAML_OPTIONS = { lineWidth: 0 } as const;

/** The reference rendering: the whole document through the yaml library. */
export function renderCloudInitReference(input: CloudInitInput): string {
  return `#cloud-config\n${stringify(cloudInitDocument(input), YAML_OPTIONS)}`;
}

/** One write_files entry as it appears under `write_files:` (two-space indented sequence item). */
const fragment = (f: WriteFile) => stringify([f], YAML_OPTIONS).replace(/^(?=.)/gm, '  ');
/** The library's own scripts are the same in every document: rendered once. */
const CONSTANT_FRAGMENTS = new Map([HEALTH_FILE, RETRY_FILE, FETCH_FILE, SECRETS_FILE, CERTS_FILE, AGENT_FILE, DRAIN_FILE].map((f) => [f, fragment(f)]));

/**
 * The whole #cloud-config document, deterministic for the same input. Byte-identical to
 * `renderCloudInitReference` (a test holds it to that), but the library's constant scripts are
 * serialized once instead of once per scale set: a large environment renders hundreds.
 */
export function renderCloudInit(input: CloudInitInput): string {
  const { write_files: files, runcmd, ...head } = cloudInitDocument(input);
  return [
    '#cloud-config\n',
    stringify(head, YAML_OPTIONS),
    'write_files:\n',
    ...files.map((f) => CONSTANT_FRAGMENTS.get(f) ?? fragment(f)),
    stringify({ runcmd }, YAML_OPTIONS),
  ].join('');
}

/** What one service brings to a slot's VMs. */
export function serviceBoot(plan: EnvironmentPlan, svc: Service, slot: SlotName): ServiceBoot {
  const s = svc.slots[slot];
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.settings)) {
    if (typeof v === 'string') settings[k] = v;
    else secrets[k] = v.secret;
  }
  return {
    service: svc.name,
    version: s.version,
    ports: plan.ports.services[svc.name].ports,
    healthPath: svc.healthPath,
    settings,
    artifact: s.artifact,
    ...(Object.keys(secrets).length > 0 || svc.certificates.length > 0 ? { vaultName: plan.names.keyVault } : {}),
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    ...(svc.certificates.length > 0 ? { certificates: svc.certificates } : {}),
  };
}

/** The cloud-init input of one slot of a planned service on its own scale set. */
export function cloudInitFor(plan: EnvironmentPlan, svc: Service, slot: SlotName, identityResourceId: string): CloudInitInput {
  return { slot, identityResourceId, services: [serviceBoot(plan, svc, slot)] };
}
