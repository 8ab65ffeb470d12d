'use strict';
/**
 * The in-namespace half of test/support/netns.ts (test-only), run as
 * `ip netns exec <net-ns> node netns-bridge.js '<json>'` in the namespace that stands for Azure's
 * network beside the VM. A Unix socket is a file, so it crosses network namespaces: this process
 * joins that network to the host's loopback without a veth, a route or an address outside
 * 127.0.0.0/8 on the host side.
 *
 *   listen: [{address, port, socket}]  TCP listeners in the network (an address the VM calls:
 *                                      IMDS, a load balancer's frontend); each connection is piped
 *                                      to the Unix socket (served on the host)
 *   expose: [{address, port, socket}]  Unix sockets this process creates; each connection is piped
 *                                      to address:port, the VM's (what the VM serves)
 *
 * Prints "ready" once every listener is up; ends on SIGTERM or when its parent's pipe closes.
 * Required (netns.ts does), it only gives `join`, the two-way pipe both halves use.
 */
const net = require('node:net');
const { rmSync } = require('node:fs');

/** Pipes two sockets both ways; an end or error on one ends the other. */
function join(a, b) {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}

module.exports = { join };
if (require.main === module) main();

function main() {
  const config = JSON.parse(process.argv[2]);
  const servers = [];
  let pending = config.listen.length + config.expose.length;
  const up = () => {
    if (--pending === 0) process.stdout.write('ready\n');
  };
  for (const l of config.listen) {
    const s = net.createServer((c) => join(c, net.connect(l.socket)));
    s.on('error', (e) => {
      process.stderr.write(`netns-bridge: ${l.address}:${l.port}: ${e.message}\n`);
      process.exit(1);
    });
    s.listen(l.port, l.address, up);
    servers.push(s);
  }
  for (const x of config.expose) {
    rmSync(x.socket, { force: true });
    const s = net.createServer((c) => join(c, net.connect(x.port, x.address)));
    s.on('error', (e) => {
      process.stderr.write(`netns-bridge: ${x.socket}: ${e.message}\n`);
      process.exit(1);
    });
    s.listen(x.socket, up);
    servers.push(s);
  }
  if (pending === 0) process.stdout.write('ready\n');
  const quit = () => {
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', quit);
  process.stdin.on('end', quit);
  process.stdin.resume();
}
