/**
 * The boot harness: boots a real systemd (Debian 12, systemd 252 as PID 1 in systemd-nspawn) with
 * cloud-init running a rendered document from a NoCloud seed, and gives the test the unit states,
 * the journal, commands run inside and loopback access to what the VM serves. Shared by the boot
 * suites (test/boot/); they run only with ASE_BOOT_TESTS=1, as root (`npm run test:boot`).
 *
 * - The root file system is built once by scripts/boot-root.sh (debootstrap + cloud-init, nginx,
 *   ...) and cached outside the repository, keyed by its package list. Every VM runs on it
 *   read-only under an overlay whose upper layer is the VM's own folder (`--overlay=ROOT:UPPER:/`,
 *   mounted inside nspawn's own mount namespace, so nothing is left mounted when nspawn exits and
 *   the root is never written); the upper layer survives a reboot() and goes with stop().
 * - By default the container shares the host's network namespace (no `--private-network`): loopback
 *   stubs on 127.0.0.1 are reachable from inside, and what the VM serves (its health endpoint on
 *   9000, its instances) is reachable from the test on 127.0.0.1. So such boots run one at a time,
 *   and the ports a document listens on are checked free before the boot. A VM that must see Azure
 *   addresses (169.254.169.254, the load balancers' frontends) runs in a namespace of its own
 *   instead (`network`, test/support/netns.ts), joined to the host's loopback by Unix sockets.
 * - Every boot is bounded: `timeout -k 15 <limit>` wraps nspawn (each boot of a reboot() afresh) (it bounds the boot even if the
 *   test process dies), and stop() powers off through the reporter, then ends nspawn and the
 *   container's init by PID if they are still there.
 *
 * What the harness adds to the VM (the test-only seam, docs/boot-tests.md says what differs from Azure):
 * the NoCloud seed (`/var/lib/cloud/seed/nocloud/{user-data,meta-data}`, user-data = the document
 * byte for byte), `/etc/cloud/cloud.cfg.d/99-ase-boot.cfg` (datasource NoCloud only, network
 * config off), `/etc/systemd/system.conf.d/ase-boot.conf` (systemd's `DefaultEnvironment=`: the
 * endpoint overrides the rendered programs read, IMDS_ENDPOINT and VAULT_URL), the reporter units,
 * and any `files` the test names; all bound read-only into the container.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { decodeCustomData } from '../../lib/compute/scale-set';

/** The boot suites run only when asked (root, systemd-nspawn, a few minutes). */
export const BOOT_TESTS = process.env.ASE_BOOT_TESTS === '1';

const repo = join(__dirname, '..', '..');

/** The cached root file system (built by scripts/boot-root.sh on first use, about 2 minutes). */
export function bootRoot(): string {
  const out = execFileSync('bash', [join(repo, 'scripts', 'boot-root.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  return out.trim().split('\n').pop()!;
}

export interface VmFile {
  readonly path: string;
  readonly content: string | Buffer;
  readonly mode?: number;
}

export interface BootSpec {
  /** A short name for the boot's folder and the machine name. */
  readonly name: string;
  /** The cloud-init user-data, byte for byte: the scale set's rendered custom data. */
  readonly userData: string | Buffer;
  /** systemd's DefaultEnvironment= for every unit: the endpoint overrides (IMDS_ENDPOINT, VAULT_URL). */
  readonly environment?: Readonly<Record<string, string>>;
  /** More test-only files, bound read-only into the VM (say why in the test). */
  readonly files?: readonly VmFile[];
  /** Ports the document listens on (on the host's loopback, shared): checked free before the boot. */
  readonly ports?: readonly number[];
  /**
   * A network namespace to run in (its path, /run/netns/NAME: test/support/netns.ts) instead of
   * the host's: the VM then has its own loopback and Azure addresses, and `ports` are not checked.
   */
  readonly network?: string;
  /** The hard limit on the boot, from start to power-off (default 300 s). */
  readonly limitSeconds?: number;
}

/** One unit's state, as `systemctl show` gives it. */
export interface UnitState {
  readonly Id: string;
  readonly ActiveState: string;
  readonly SubState?: string;
  readonly Result?: string;
  readonly NRestarts?: string;
  readonly ExecMainStatus?: string;
  readonly MainPID?: string;
}

export type Units = Readonly<Record<string, UnitState>>;

/** The units in state failed, by name. */
export const failedUnits = (u: Units): string[] => Object.values(u).filter((x) => x.ActiveState === 'failed').map((x) => x.Id);

/** What a finished boot leaves: the final unit states, the journal, cloud-init's status and log. */
export interface BootResult {
  readonly units: Units;
  readonly journal: string;
  readonly cloudInitStatus: string;
  readonly cloudInitOutput: string;
  readonly console: string;
  /** Seconds from nspawn's start to its exit. */
  readonly seconds: number;
  /** How it ended: the reporter powered off (clean), or it was killed at the limit. */
  readonly ended: 'poweroff' | 'killed';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

function parseUnits(text: string): Units {
  const units: Record<string, UnitState> = {};
  for (const block of text.split(/\n\s*\n/)) {
    const u: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) u[line.slice(0, i)] = line.slice(i + 1);
    }
    if (u.Id) units[u.Id] = u as unknown as UnitState;
  }
  return units;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PIDs below `pid` (children first found through /proc/PID/task/T/children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** A booted VM. Always stop() it (the suites do so in `finally`/afterEach). */
export class Vm {
  private exited!: Promise<void>;
  private exitCode: number | null = null;
  private ended: 'poweroff' | 'killed' = 'poweroff';
  private cmdSeq = 0;
  private exitedAt = 0;
  private boots = 0;
  private child!: ChildProcess;
  /** When nspawn was started (ms since the epoch), for the current boot. */
  startedAt = 0;
  /** The container's init (PID 1 inside), once nspawn has forked it. */
  private initPid = 0;

  constructor(
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly limitSeconds: number,
  ) {
    this.launch();
  }

  private launch(): void {
    const consoleFd = openSync(join(this.dir, this.boots ? `console.${this.boots}` : 'console'), 'w');
    const child = (this.child = spawn('timeout', [...this.args], { stdio: ['ignore', consoleFd, consoleFd] }));
    this.boots++;
    this.startedAt = Date.now();
    this.exitedAt = 0;
    this.initPid = 0;
    this.exited = new Promise((resolve) => child.once('exit', (code) => ((this.exitCode = code), (this.exitedAt = Date.now()), resolve())));
    const poll = setInterval(() => {
      if (this.initPid || !child.pid) return clearInterval(poll);
      // timeout → systemd-nspawn → (nspawn's child) → the container's systemd
      const nspawn = descendants(child.pid)[0];
      const init = nspawn && descendants(nspawn).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'systemd');
      if (init) this.initPid = init;
    }, 200);
    poll.unref();
  }

  get running(): boolean {
    return this.exitedAt === 0;
  }

  /** The latest unit states the reporter wrote (empty before its first report). */
  units(): Units {
    const f = join(this.dir, 'out', 'units');
    return existsSync(f) ? parseUnits(readFileSync(f, 'utf8')) : {};
  }

  /** The journal so far (streamed by ase-boot-journal.service). */
  journal(): string {
    const f = join(this.dir, 'out', 'journal-live');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** Waits until `test` holds for the unit states (polled every 0.5 s), or fails naming what it saw. */
  async waitForUnits(what: string, test: (units: Units) => boolean, timeoutMs = 180_000): Promise<Units> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const units = this.units();
      if (test(units)) return units;
      if (!this.running || Date.now() > deadline) {
        const states = Object.values(units).filter((u) => !/^(sys-|dev-|proc-|-\.)/.test(u.Id) && u.ActiveState !== 'inactive');
        throw new Error(`boot ${this.dir}: ${this.running ? 'timed out' : 'VM exited'} waiting for ${what}; units: ${states.map((u) => `${u.Id}=${u.ActiveState}/${u.SubState}`).join(' ')}\n${this.journal().split('\n').slice(-40).join('\n')}`);
      }
      await sleep(500);
    }
  }

  /** Runs a shell command inside the VM (as root, through the reporter) and returns its output and status. */
  async exec(command: string, timeoutMs = 60_000): Promise<{ status: number; output: string }> {
    const id = String(++this.cmdSeq);
    const ctl = join(this.dir, 'control');
    writeFileSync(join(ctl, `.cmd.${id}`), command + '\n');
    renameSync(join(ctl, `.cmd.${id}`), join(ctl, `cmd.${id}`));
    const rc = join(this.dir, 'out', `cmd.${id}.rc`);
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(rc)) {
      if (!this.running || Date.now() > deadline) throw new Error(`boot ${this.dir}: no answer to ${JSON.stringify(command)}`);
      await sleep(200);
    }
    return { status: Number(readFileSync(rc, 'utf8')), output: readFileSync(join(this.dir, 'out', `cmd.${id}.out`), 'utf8') };
  }

  /**
   * Reboots the VM (`systemctl reboot` inside) and boots it again on the same disk: the overlay's
   * upper layer keeps what the first boot wrote, /run starts empty, as on a VM. nspawn exits with
   * 133 when its container reboots; the harness starts it again with the same arguments (and the
   * same limit, counted afresh). The first boot's journal stays in out/journal-live.1.
   */
  async reboot(timeoutMs = 120_000): Promise<void> {
    writeFileSync(join(this.dir, 'control', 'reboot'), '');
    const exited = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!exited) throw new Error(`boot ${this.dir}: no reboot within ${timeoutMs / 1000} s`);
    if (this.exitCode !== 133) throw new Error(`boot ${this.dir}: nspawn exited with ${this.exitCode}, not 133 (reboot)`);
    const out = join(this.dir, 'out');
    if (existsSync(join(out, 'journal-live'))) renameSync(join(out, 'journal-live'), join(out, `journal-live.${this.boots}`));
    for (const f of ['units', 'final']) rmSync(join(out, f), { force: true });
    this.launch();
  }

  /**
   * Powers the VM off and waits for nspawn to exit: through the reporter (final states, journal,
   * cloud-init status), then SIGTERM to nspawn after 60 s, then SIGKILL to nspawn and the
   * container's init by PID. Removes the boot's folder unless `keep`.
   */
  async stop(keep = process.env.ASE_BOOT_KEEP === '1'): Promise<BootResult> {
    if (this.running) writeFileSync(join(this.dir, 'control', 'poweroff'), '');
    const waitExit = (ms: number) => Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
    const nspawn = this.child.pid ? descendants(this.child.pid)[0] : undefined;
    if (!(await waitExit(60_000))) {
      this.ended = 'killed';
      if (nspawn && alive(nspawn)) process.kill(nspawn, 'SIGTERM');
      if (!(await waitExit(15_000))) {
        for (const pid of [nspawn, this.initPid, this.child.pid]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
        await waitExit(10_000);
      }
    }
    // the container's init dies with its PID namespace; make sure
    if (this.initPid && alive(this.initPid) && readFileSync(`/proc/${this.initPid}/comm`, 'utf8').trim() === 'systemd') process.kill(this.initPid, 'SIGKILL');
    const read = (name: string) => (existsSync(join(this.dir, 'out', name)) ? readFileSync(join(this.dir, 'out', name), 'utf8') : '');
    if (!existsSync(join(this.dir, 'out', 'final'))) this.ended = 'killed';
    const result: BootResult = {
      units: parseUnits(read('units')),
      journal: read('journal') || read('journal-live'),
      cloudInitStatus: read('cloud-init-status'),
      cloudInitOutput: read('cloud-init-output.log'),
      console: existsSync(join(this.dir, 'console')) ? readFileSync(join(this.dir, 'console'), 'utf8') : '',
      seconds: ((this.exitedAt || Date.now()) - this.startedAt) / 1000,
      ended: this.ended,
    };
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
    return result;
  }

  /** The limit the boot was started with. */
  get limit(): number {
    return this.limitSeconds;
  }
}

const REPORT_UNIT = `[Unit]
Description=ase-boot: report unit states to the test (test-only)
DefaultDependencies=no

[Service]
Type=simple
ExecStart=/bin/sh /ase-boot/report.sh
`;

const JOURNAL_UNIT = `[Unit]
Description=ase-boot: stream the journal to the test (test-only)
DefaultDependencies=no
After=systemd-journald.service

[Service]
Type=simple
ExecStart=/bin/sh -c 'exec journalctl -b -f --no-pager -o short-monotonic > /ase-boot/out/journal-live'
`;

const CLOUD_CFG = `# ase-boot (test-only): read the NoCloud seed only, never probe Azure or another datasource;
# the container shares the host's network, so cloud-init must not write network configuration
datasource_list: [ NoCloud, None ]
network: {config: disabled}
`;

/**
 * Boots `spec.userData` under cloud-init and systemd. Returns once nspawn is started; wait on
 * what you need with {@link Vm.waitForUnits} and probes on loopback, then {@link Vm.stop}.
 */
export async function boot(root: string, spec: BootSpec): Promise<Vm> {
  for (const port of spec.network ? [] : spec.ports ?? []) {
    if (!(await portFree(port, '0.0.0.0'))) throw new Error(`boot ${spec.name}: port ${port} is in use on this machine; the VM shares the host's network and listens on it`);
  }
  const dir = mkdtempSync(`/tmp/ase-boot-${spec.name}.`);
  for (const d of ['out', 'control', 'seed', 'files', 'upper']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'seed', 'user-data'), spec.userData);
  const instance = `ase-boot-${spec.name}-${dir.slice(-6)}`;
  writeFileSync(join(dir, 'seed', 'meta-data'), `instance-id: ${instance}\nlocal-hostname: ${spec.name}\n`);
  writeFileSync(join(dir, 'report.sh'), readFileSync(join(__dirname, 'boot-report.sh')));
  const env = Object.entries(spec.environment ?? {}).map(([k, v]) => `"${k}=${v}"`).join(' ');
  // the test's files replace the harness's at the same path
  const files: VmFile[] = [
    { path: '/etc/cloud/cloud.cfg.d/99-ase-boot.cfg', content: CLOUD_CFG },
    { path: '/etc/systemd/system.conf.d/ase-boot.conf', content: `# ase-boot (test-only): the stubs' endpoints\n[Manager]\nDefaultEnvironment=${env}\n` },
    { path: '/etc/systemd/system/ase-boot-report.service', content: REPORT_UNIT },
    { path: '/etc/systemd/system/ase-boot-journal.service', content: JOURNAL_UNIT },
  ].filter((f) => !(spec.files ?? []).some((g) => g.path === f.path));
  files.push(...(spec.files ?? []));
  const binds: string[] = [];
  files.forEach((f, i) => {
    const host = join(dir, 'files', String(i));
    writeFileSync(host, f.content, { mode: f.mode ?? 0o644 });
    binds.push(`--bind-ro=${host}:${f.path}`);
  });
  const limit = spec.limitSeconds ?? 300;
  const args = [
    '-k', '15', String(limit),
    'systemd-nspawn', '-q', '-D', root, `--overlay=${root}:${join(dir, 'upper')}:/`, '-b', '--register=no', '--keep-unit', '--console=read-only',
    `--machine=${instance.slice(0, 60)}`,
    // a VM in a network of its own manages that network as root does on Azure (the service VMs'
    // drain fence is iptables); nspawn drops CAP_NET_ADMIN otherwise. On the host's network it stays dropped
    ...(spec.network ? [`--network-namespace-path=${spec.network}`, '--capability=CAP_NET_ADMIN'] : []),
    `--bind=${dir}:/ase-boot`,
    `--bind-ro=${join(dir, 'seed')}:/var/lib/cloud/seed/nocloud`,
    ...binds,
    // kernel-command-line style arguments to the container's systemd
    'systemd.wants=ase-boot-report.service', 'systemd.wants=ase-boot-journal.service',
  ];
  return new Vm(dir, args, limit);
}

/** Decodes a scale set's custom data (base64) from a synthesized stack. */
export function customData(stackJson: string, scaleSet: string): string {
  const j = JSON.parse(readFileSync(stackJson, 'utf8'));
  const ss = j.resource?.azurerm_linux_virtual_machine_scale_set?.[scaleSet] ?? j.resource?.azurerm_orchestrated_virtual_machine_scale_set?.[scaleSet];
  if (!ss) throw new Error(`${stackJson}: no scale set ${scaleSet}`);
  return decodeCustomData(ss.custom_data);
}
