/**
 * A private network for a booted VM (test-only): two network namespaces joined by a veth pair, and
 * joined to the host's loopback by Unix sockets only. Nothing outside 127.0.0.0/8 is ever
 * configured on the host, and the VM reaches only what the test serves.
 *
 *   the VM's namespace      lo, and eth0 with the VM's NIC address (10.20.0.4/24 for the example's
 *                           front subnet); its default route goes to the subnet's gateway (.1), as
 *                           on an Azure VNet
 *   the network's namespace the gateway address on the other end of the veth, and on its loopback
 *                           the Azure addresses the VM calls (/32 each): the instance metadata
 *                           address 169.254.169.254, the internal load balancers' frontends
 *
 * So what the VM calls is off the VM, as on Azure (a listener on 169.254.169.254:80 inside the VM's
 * own namespace would keep nginx from binding 0.0.0.0:80), and what the VM serves is reached on its
 * NIC address, as a load balancer reaches it: 127.0.0.1-only listeners (the front's admin port)
 * stay private to the VM.
 *
 * test/support/netns-bridge.js runs in the network's namespace (`ip netns exec`) and
 *   - listens on each `inbound` address:port, piping every connection to a Unix socket the test
 *     serves here, which pipes it on to 127.0.0.1:`to` on the host;
 *   - for each `publish` port, makes a Unix socket piping to the VM's address:port, which the test
 *     reaches on 127.0.0.1:hostPort(port) here.
 *
 * The boot harness runs the container in the VM's namespace with `--network-namespace-path=`
 * (test/support/boot.ts), so VMs that listen on the same ports can run side by side.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export interface Inbound {
  /** The address and port the VM connects to, inside the namespace. */
  readonly address: string;
  readonly port: number;
  /** The host's 127.0.0.1 port that answers it. */
  readonly to: number;
}

export interface NetworkSpec {
  /** The VM's NIC address, with its subnet's prefix length: `10.20.0.4/24`. The gateway is the subnet's .1. */
  readonly vm: string;
  /** The Azure addresses the VM calls, on the network's loopback (each /32). */
  readonly addresses: readonly string[];
  readonly inbound: readonly Inbound[];
  /** Ports the VM listens on (on its NIC address or 0.0.0.0) that the test calls from the host. */
  readonly publish: readonly number[];
}

export interface PrivateNetwork {
  /** The VM's namespace (the network's is NAME-n). */
  readonly name: string;
  /** The VM's NIC address. */
  readonly address: string;
  /** /run/netns/NAME, for `systemd-nspawn --network-namespace-path=`. */
  readonly path: string;
  /** The host's 127.0.0.1 port that reaches `port` inside. */
  hostPort(port: number): number;
  close(): Promise<void>;
}

// the two-way pipe, shared with the bridge's half
const { join: join2 } = require('./netns-bridge.js') as { join: (a: net.Socket, b: net.Socket) => void };

const listen = (server: net.Server, ...args: [string] | [number, string]) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [number, string]), () => resolve());
  });

export async function privateNetwork(label: string, spec: NetworkSpec): Promise<PrivateNetwork> {
  const dir = mkdtempSync('/tmp/ase-netns-');
  const name = `ase-${label}-${dir.slice(-6)}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const outside = `${name}-n`;
  const [address, prefix] = spec.vm.split('/');
  const gateway = address.replace(/\.\d+$/, '.1');
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('netns', 'add', name);
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s)));
  let bridge: ChildProcess | undefined;
  const close = async () => {
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
      const gone = new Promise((r) => bridge!.once('exit', r));
      bridge.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (bridge.exitCode === null && bridge.signalCode === null) bridge.kill('SIGKILL');
    }
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    // deleting a namespace deletes its end of the veth, and with it the other end
    for (const ns of [name, outside]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not made, or already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip('netns', 'add', outside);
    ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'gw0', 'netns', outside);
    ip('-n', name, 'addr', 'add', `${address}/${prefix}`, 'dev', 'eth0');
    ip('-n', outside, 'addr', 'add', `${gateway}/${prefix}`, 'dev', 'gw0');
    for (const [ns, dev] of [[name, 'eth0'], [name, 'lo'], [outside, 'gw0'], [outside, 'lo']]) ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', name, 'route', 'add', 'default', 'via', gateway);
    for (const a of spec.addresses) ip('-n', outside, 'addr', 'add', `${a}/32`, 'dev', 'lo');
    const listenCfg = spec.inbound.map((b, i) => ({ address: b.address, port: b.port, socket: join(dir, `in.${i}.sock`) }));
    for (const [i, b] of spec.inbound.entries()) {
      const s = net.createServer((c) => {
        track(c);
        join2(c, track(net.connect(b.to, '127.0.0.1')));
      });
      await listen(s, listenCfg[i].socket);
      servers.push(s);
    }
    const exposeCfg = spec.publish.map((port) => ({ address, port, socket: join(dir, `out.${port}.sock`) }));
    const child = (bridge = spawn('ip', ['netns', 'exec', outside, process.execPath, join(__dirname, 'netns-bridge.js'), JSON.stringify({ listen: listenCfg, expose: exposeCfg })], { stdio: ['pipe', 'pipe', 'pipe'] }));
    let said = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`netns ${name}: the bridge did not start: ${said}`)), 15_000);
      child.stdout!.on('data', (c) => ((said += c), said.includes('ready\n') && (clearTimeout(timer), resolve())));
      child.stderr!.on('data', (c) => (said += c));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`netns ${name}: the bridge exited (${code}): ${said}`))));
    });
    const hostPorts = new Map<number, number>();
    for (const x of exposeCfg) {
      const s = net.createServer((c) => {
        track(c);
        join2(c, track(net.connect(x.socket)));
      });
      await listen(s, 0, '127.0.0.1');
      servers.push(s);
      hostPorts.set(x.port, (s.address() as net.AddressInfo).port);
    }
    return {
      name,
      address,
      path: `/run/netns/${name}`,
      hostPort(port) {
        const p = hostPorts.get(port);
        if (!p) throw new Error(`netns ${name}: port ${port} is not published`);
        return p;
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
