/** The tests' port allocator (test/support/ports.ts): below the ephemeral range, distinct, bindable. */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePorts, portSlice } from '../support/ports';

test('ports come from below the ephemeral range, distinct, and a listener can take each', async () => {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = await freePorts(40);
  expect(new Set(ports).size).toBe(40);
  for (const p of ports) expect(p).toBeLessThan(ephemeralLow);
  const servers = await Promise.all(ports.map((p) => new Promise<net.Server>((resolve, reject) => { const s = net.createServer(); s.once('error', reject); s.listen(p, '127.0.0.1', () => resolve(s)); })));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

test('a port something listens on is skipped: the next two held, the allocator hands out the one after', async () => {
  let [p] = await freePorts(1);
  while (p + 3 > portSlice().last) [p] = await freePorts(1); // not at the slice's end, where it wraps
  const hold = (port: number) => new Promise<net.Server>((resolve) => { const s = net.createServer(); s.listen(port, '127.0.0.1', () => resolve(s)); });
  const holders = [await hold(p + 1), await hold(p + 2)];
  try {
    expect(await freePorts(1)).toEqual([p + 3]);
  } finally {
    await Promise.all(holders.map((h) => new Promise((r) => h.close(r))));
  }
});
