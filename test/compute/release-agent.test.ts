/**
 * How a release reaches running VMs. Azure applies changed custom data only when an instance is
 * reimaged; user data reaches a running instance when it is updated to the latest model, and the
 * VM reads it from IMDS. So the release (version, artifact URL, SHA-256) is in the user data, and
 * the release agent on each VM installs what it names: at boot (the `<service>-release` step) and
 * whenever it changes (`sync`, run every 30 s by its unit), switching the instances one port at a
 * time. docs/vm-side.md has the path and the provider source it rests on.
 *
 * Here the agent, fetcher, retry wrapper and health endpoint (lib/compute/vm/) run for real (python3, sh)
 * against a loopback stub of IMDS (token and user data) and the artifact store, with a stand-in
 * for `systemctl` that starts each instance as systemd would (the unit's environment files, PORT,
 * `current/bin/start` resolved at start). Each release's `bin/start` is a small HTTP server that
 * answers with the release it was built as and the VERSION it was given.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { VM_PATHS } from '../../lib/compute/cloud-init';
import { evaluateReply } from '../support/app-health-extension';
import { tempDir } from '../helpers';
import { freePorts } from '../support/ports';
import { vmProgram } from '../support/vm-programs';

const IDENTITY = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x';

/** A release archive whose bin/start serves /health and /release (what it was built as, and VERSION). */
function release(name: string, opts: { broken?: boolean } = {}): Buffer {
  const dir = tempDir('release-');
  mkdirSync(join(dir, 'bin'));
  const start = opts.broken
    ? '#!/bin/sh\necho "this release cannot start" >&2\nexit 1\n'
    : [
        '#!/usr/bin/env python3',
        'import os',
        'from http.server import BaseHTTPRequestHandler, HTTPServer',
        'class H(BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        `        body = ("${name} " + os.environ.get("VERSION", "-")).encode()`,
        '        self.send_response(200)',
        '        self.send_header("Content-Length", str(len(body)))',
        '        self.end_headers()',
        '        self.wfile.write(body)',
        '    def log_message(self, *a):',
        '        pass',
        'HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()',
        '',
      ].join('\n');
  writeFileSync(join(dir, 'bin', 'start'), start);
  chmodSync(join(dir, 'bin', 'start'), 0o755);
  return execFileSync('tar', ['-czf', '-', '-C', dir, 'bin']);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ARCHIVES: Record<string, Buffer> = { 'v1.tgz': release('build-1'), 'v2.tgz': release('build-2'), 'broken.tgz': release('broken', { broken: true }) };

/** The user data a slot's scale set carries: base64 of the release document (releaseUserData). */
const userDataOf = (version: string, archive: string, sha256 = sha(ARCHIVES[archive])) =>
  Buffer.from(JSON.stringify({ slot: 'blue', services: { app: { version, artifact: { url: `${storageUrl}/releases/${archive}`, sha256 } } } }, null, 2)).toString('base64');

let storageUrl = '';
let userData = '';
const downloads: string[] = [];
let imds: Server;
beforeAll(async () => {
  imds = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stub');
    if (url.pathname === '/metadata/identity/oauth2/token') return void res.writeHead(200).end('{"access_token": "tok-1"}');
    if (url.pathname === '/metadata/instance/compute/userData') {
      // IMDS answers only with the Metadata header, and the format the agent asks for
      if (req.headers.metadata !== 'true' || url.searchParams.get('format') !== 'text' || url.searchParams.get('api-version') !== '2021-01-01') return void res.writeHead(400).end();
      return void res.writeHead(200).end(userData);
    }
    const archive = url.pathname.startsWith('/releases/') ? ARCHIVES[url.pathname.slice('/releases/'.length)] : undefined;
    if (archive && req.headers.authorization === 'Bearer tok-1') {
      downloads.push(url.pathname);
      return void res.writeHead(200).end(archive);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
  storageUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
});
afterAll(() => imds.close());


/**
 * `systemctl start|restart|stop app@PORT.service` as systemd runs the instance unit: its
 * environment files (release.env, then the agent's version.env), PORT, and `current/bin/start`
 * resolved when it starts. It logs each restart with what the other instances answer meanwhile.
 */
const FAKE_SYSTEMCTL = `#!/bin/sh
set -u
action="$1"; unit="$2"
# show -p ActiveState -p SubState UNIT: active while the instance's process lives (a worker's check)
if [ "$action" = show ]; then eval "unit=\\\${$#}"; fi
instance="\${unit%.service}"; service="\${instance%@*}"; port="\${instance#*@}"
pids="$SLOTENV_PREFIX/fake-systemd"; mkdir -p "$pids"
stop() {
  [ -f "$pids/$instance" ] || return 0
  pid=$(cat "$pids/$instance"); kill "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$pids/$instance"
}
start() {
  ( set -a; . "$SLOTENV_PREFIX/etc/$service/release.env"; . "$SLOTENV_PREFIX${VM_PATHS.versionEnv('$service')}"; set +a
    PORT="$port" exec "$SLOTENV_PREFIX/opt/$service/current/bin/start" ) > /dev/null 2>&1 &
  echo $! > "$pids/$instance"
}
if [ "$action" = restart ]; then
  others=""
  for f in "$pids"/*; do
    other=$(basename "$f"); [ "$other" = "$instance" ] && continue
    others="$others \${other}=$(curl -s --max-time 2 "http://127.0.0.1:\${other#*@}/release" || echo down)"
  done
  echo "restart $instance;$others" >> "$SLOTENV_PREFIX/restarts"
fi
case "$action" in
  show)
    f="$pids/\${unit%.service}"
    # alive and not a zombie (an exited instance nobody has reaped yet)
    if [ -f "$f" ] && [ "$(awk '{print $3}' "/proc/$(cat "$f")/stat" 2>/dev/null)" != Z ] && kill -0 "$(cat "$f")" 2>/dev/null; then printf 'SubState=running\\nNRestarts=0\\nActiveState=active\\n'; else printf 'SubState=dead\\nNRestarts=0\\nActiveState=inactive\\n'; fi ;;
  start) start ;;
  stop) stop ;;
  # what the health endpoint answers while this instance is down for its switch
  restart) stop; [ -n "\${HEALTH_URL:-}" ] && curl -s --max-time 5 "$HEALTH_URL" >> "$SLOTENV_PREFIX/health-during-restarts" && echo >> "$SLOTENV_PREFIX/health-during-restarts"; start ;;
  *) echo "fake systemctl: $action?" >&2; exit 1 ;;
esac
`;

interface Vm {
  readonly prefix: string;
  readonly ports: readonly number[];
  readonly healthPort: number;
  readonly env: Record<string, string>;
  readonly health: ChildProcess;
}

/** A VM's files in a temp prefix: the agent, fetcher, wrapper and health endpoint (lib/compute/vm/), and their configs. */
async function vm(startupSeconds = 30, opts: { worker?: boolean } = {}): Promise<Vm> {
  const prefix = tempDir('vm-');
  const [healthPort, ...ports] = await freePorts(3);
  ports.sort((x, y) => x - y); // the agent goes through them in this order
  for (const [name, file] of [['release-agent', 'release-agent.py'], ['fetch-release', 'fetch-release.sh'], ['retry', 'retry.sh'], ['vm-health.py', 'vm-health.py']] as const) {
    copyFileSync(vmProgram('service', file), join(prefix, name));
    chmodSync(join(prefix, name), 0o755);
  }
  writeFileSync(join(prefix, 'systemctl'), FAKE_SYSTEMCTL);
  chmodSync(join(prefix, 'systemctl'), 0o755);
  mkdirSync(join(prefix, 'etc/app'), { recursive: true });
  writeFileSync(join(prefix, 'etc/app/release.env'), 'SERVICE="app"\nSLOT="blue"\n');
  const stateDir = VM_PATHS.stateDir;
  // a worker's entry has no health path: its instances are checked by their units (settleSeconds: how long one must stay up)
  const entry = opts.worker ? { service: 'app', ports, worker: true } : { service: 'app', ports, healthPath: '/health' };
  writeFileSync(join(prefix, 'agent.json'), JSON.stringify({ stateDir, fetch: join(prefix, 'fetch-release'), identity: IDENTITY, pollSeconds: 30, startupSeconds, settleSeconds: 0.5, services: [entry] }));
  writeFileSync(
    join(prefix, 'vm-health.json'),
    JSON.stringify({ bind: '127.0.0.1', port: healthPort, timeoutSeconds: 1, startupSeconds: 300, stateDir: join(prefix, stateDir), services: [{ service: 'app', steps: ['app-release'], checks: ports.map((port) => ({ port, path: '/health' })) }] }),
  );
  const env = { ...process.env, SLOTENV_PREFIX: prefix, IMDS_ENDPOINT: storageUrl, RELEASE_AGENT_CONFIG: join(prefix, 'agent.json'), SYSTEMCTL: join(prefix, 'systemctl'), RETRY_ATTEMPTS: '1', HEALTH_URL: `http://127.0.0.1:${healthPort}/health` } as Record<string, string>;
  const health = spawn('python3', [join(prefix, 'vm-health.py'), join(prefix, 'vm-health.json')], { stdio: 'ignore' });
  started.push({ prefix, health, ports });
  return { prefix, ports, healthPort, env, health };
}
const started: Array<{ prefix: string; health: ChildProcess; ports: readonly number[] }> = [];
afterAll(async () => {
  for (const s of started) {
    s.health.kill();
    for (const port of s.ports) await run(s.prefix, join(s.prefix, 'systemctl'), ['stop', `app@${port}.service`], { SLOTENV_PREFIX: s.prefix });
  }
});

function run(prefix: string, cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd: prefix });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The boot step as its unit runs it: the agent's `boot` under the retry wrapper (one attempt here). */
const boot = (v: Vm) => run(v.prefix, 'sh', [join(v.prefix, 'retry'), VM_PATHS.state('app-release'), 'python3', join(v.prefix, 'release-agent'), 'boot', 'app'], v.env);
/** One poll of the agent (its unit runs `watch`: this, every 30 s). */
const sync = (v: Vm) => run(v.prefix, 'python3', [join(v.prefix, 'release-agent'), 'sync'], v.env);

/** GET a loopback URL until it answers (instances and the health endpoint start in the background). */
async function get(url: string): Promise<{ status: number; body: string }> {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(url);
      return { status: r.status, body: await r.text() };
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
const answers = (v: Vm) => Promise.all(v.ports.map((p) => get(`http://127.0.0.1:${p}/release`).then((r) => r.body)));
const health = (v: Vm) => get(`http://127.0.0.1:${v.healthPort}/health`);
const state = (v: Vm) => JSON.parse(readFileSync(join(v.prefix, VM_PATHS.releaseState('app')), 'utf8'));
const restarts = (v: Vm) => (existsSync(join(v.prefix, 'restarts')) ? readFileSync(join(v.prefix, 'restarts'), 'utf8').trim().split('\n') : []);

/** A VM booted on v1: the boot step installed it, cloud-init started both instances. */
async function bootedOnV1(startupSeconds?: number, opts: { worker?: boolean } = {}): Promise<Vm> {
  const v = await vm(startupSeconds, opts);
  userData = userDataOf('1.0.0', 'v1.tgz');
  const b = await boot(v);
  expect(b.stderr).toContain('release-agent: app 1.0.0 installed at boot');
  expect(b.code).toBe(0);
  expect(readFileSync(join(v.prefix, VM_PATHS.state('app-release')), 'utf8')).toBe('ready\n');
  for (const port of v.ports) expect((await run(v.prefix, join(v.prefix, 'systemctl'), ['start', `app@${port}.service`], v.env)).code).toBe(0);
  expect(await answers(v)).toEqual(['build-1 1.0.0', 'build-1 1.0.0']);
  return v;
}

/**
 * A VM on v1 given a v2 that cannot start: the sync fails, the first instance is rolled back to v1
 * (restarted twice), the second never touched. Returns the VM and its first port for the reason.
 */
async function brokenV2RolledBack(opts: { worker?: boolean } = {}): Promise<{ v: Vm; first: number }> {
  const v = await bootedOnV1(2, opts);
  userData = userDataOf('2.0.0', 'broken.tgz');
  const r = await sync(v);
  expect(r.code).toBe(1);
  expect(await answers(v)).toEqual(['build-1 1.0.0', 'build-1 1.0.0']);
  const [a, b] = v.ports;
  expect(restarts(v)).toEqual([`restart app@${a}; app@${b}=build-1 1.0.0`, `restart app@${a}; app@${b}=build-1 1.0.0`]);
  return { v, first: a };
}

describe('the release agent, against a stub IMDS serving user data v1, then v2', () => {
  test('v2 in the user data: every instance switches to it, one port at a time, and the health endpoint reports v2', async () => {
    const v = await bootedOnV1();
    const before = await health(v);
    expect(before.status).toBe(200);
    expect(JSON.parse(before.body)).toEqual({ ApplicationHealthState: 'Healthy', release: { app: '1.0.0' } });
    expect(evaluateReply(before).state).toBe('Healthy');

    // the same user data: nothing to do, nothing restarted
    expect((await sync(v)).code).toBe(0);
    expect(restarts(v)).toEqual([]);

    // the scale set's model now carries v2; the instance was updated to it (no reimage)
    userData = userDataOf('2.0.0', 'v2.tgz');
    const r = await sync(v);
    expect(r.stderr).toContain('release-agent: app: every instance runs 2.0.0');
    expect(r.code).toBe(0);
    expect(await answers(v)).toEqual(['build-2 2.0.0', 'build-2 2.0.0']);
    // one at a time: while the second restarted, the first already answered on v2
    const [a, b] = v.ports;
    expect(restarts(v)).toEqual([`restart app@${a}; app@${b}=build-1 1.0.0`, `restart app@${b}; app@${a}=build-2 2.0.0`]);
    // while an instance was down for its switch the VM stayed Healthy (its wait is bounded), saying so
    const during = readFileSync(join(v.prefix, 'health-during-restarts'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(during).toEqual([
      { ApplicationHealthState: 'Healthy', release: { app: '1.0.0' }, warning: `app: switching to 2.0.0 (app@${a} restarting)` },
      { ApplicationHealthState: 'Healthy', release: { app: '1.0.0' }, warning: `app: switching to 2.0.0 (app@${b} restarting)` },
    ]);
    expect(state(v)).toEqual({ running: '2.0.0', release: ['2.0.0', sha(ARCHIVES['v2.tgz'])] });
    const after = await health(v);
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ ApplicationHealthState: 'Healthy', release: { app: '2.0.0' } });
    expect(evaluateReply(after).state).toBe('Healthy');

    // the next poll finds nothing to do
    expect((await sync(v)).code).toBe(0);
    expect(restarts(v)).toHaveLength(2);
  });

  test('v2 with a SHA-256 that does not match: v1 keeps running, the health endpoint stays Healthy and names the refusal; a corrected v2 goes through', async () => {
    const v = await bootedOnV1();
    const wrong = 'f'.repeat(64);
    userData = userDataOf('2.0.0', 'v2.tgz', wrong);
    const r = await sync(v);
    expect(r.code).toBe(1);
    const refusal = `fetch-release: ${storageUrl}/releases/v2.tgz has sha256 ${sha(ARCHIVES['v2.tgz'])}, expected ${wrong}; refusing it`;
    expect(await answers(v)).toEqual(['build-1 1.0.0', 'build-1 1.0.0']);
    expect(restarts(v)).toEqual([]);
    const reply = await health(v);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ApplicationHealthState: 'Healthy', release: { app: '1.0.0' }, warning: `app: 2.0.0 refused: ${refusal}; 1.0.0 keeps running` });
    expect(evaluateReply(reply).state).toBe('Healthy');

    // refused for good: the next polls do not download it again
    const count = downloads.length;
    expect((await sync(v)).code).toBe(0);
    expect(downloads).toHaveLength(count);

    // the release corrected in the user data (the right checksum): it goes through
    userData = userDataOf('2.0.0', 'v2.tgz');
    expect((await sync(v)).code).toBe(0);
    expect(await answers(v)).toEqual(['build-2 2.0.0', 'build-2 2.0.0']);
    expect(JSON.parse((await health(v)).body)).toEqual({ ApplicationHealthState: 'Healthy', release: { app: '2.0.0' } });
  });

  test('v2 whose instances never answer: the first one is rolled back to v1, the second never touched, and the health endpoint names it', async () => {
    const { v, first: a } = await brokenV2RolledBack();
    const s = state(v);
    expect(s.running).toBe('1.0.0');
    expect(s.error).toMatch(new RegExp(`^2\\.0\\.0 rolled back: app@${a} no answer on /health \\(.*\\) after 2s; 1\\.0\\.0 keeps running$`));
    const reply = await health(v);
    expect(JSON.parse(reply.body)).toEqual({ ApplicationHealthState: 'Healthy', release: { app: '1.0.0' }, warning: `app: ${s.error}` });
  });

  test('a new VM booting while the user data names a refused release has nothing to run: its boot step fails for good, and the VM is Unhealthy', async () => {
    const v = await vm();
    const wrong = 'e'.repeat(64);
    userData = userDataOf('2.0.0', 'v2.tgz', wrong);
    const b = await boot(v);
    expect(b.code).toBe(65);
    expect(readFileSync(join(v.prefix, VM_PATHS.state('app-release')), 'utf8')).toBe(`failed fetch-release: ${storageUrl}/releases/v2.tgz has sha256 ${sha(ARCHIVES['v2.tgz'])}, expected ${wrong}; refusing it\n`);
    const reply = await health(v);
    expect(evaluateReply(reply).state).toBe('Unhealthy');
    expect(JSON.parse(reply.body).reason).toContain('app-release failed: fetch-release:');
  });

  test('IMDS without user data for the service: the boot step retries (transient), naming why', async () => {
    const v = await vm();
    userData = Buffer.from(JSON.stringify({ slot: 'blue', services: {} })).toString('base64');
    const b = await boot(v);
    expect(b.code).toBe(1);
    expect(readFileSync(join(v.prefix, VM_PATHS.state('app-release')), 'utf8')).toBe('failed after 1 attempts: the user data names no release for app\n');
  });

  test('a queue worker (no health path): v2 goes in port by port, each instance checked by its unit staying active', async () => {
    const v = await bootedOnV1(5, { worker: true });
    userData = userDataOf('2.0.0', 'v2.tgz');
    const r = await sync(v);
    expect(r.stderr).toContain('release-agent: app: every instance runs 2.0.0');
    expect(r.code).toBe(0);
    expect(await answers(v)).toEqual(['build-2 2.0.0', 'build-2 2.0.0']);
    expect(state(v)).toEqual({ running: '2.0.0', release: ['2.0.0', sha(ARCHIVES['v2.tgz'])] });
  });

  test('a queue worker whose v2 cannot start: its unit never stays active, the first instance is rolled back to v1, the second never touched', async () => {
    const { v, first: a } = await brokenV2RolledBack({ worker: true });
    expect(state(v).error).toBe(`2.0.0 rolled back: app@${a} is inactive (dead) after 2s; 1.0.0 keeps running`);
  });
});
