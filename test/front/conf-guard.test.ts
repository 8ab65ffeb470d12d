/**
 * The config guard (lib/front/vm/conf-guard.py), run for real with python3 as the front VMs run it:
 * every config the library renders passes it (and real `nginx -t`), and a config that carries
 * code or points nginx's root master at other files is refused, each with its line. Ports are
 * free ones (nginx -t binds them), so this runs beside the other front tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER_FILE } from '../../lib/front/lua';
import { renderFrontConf } from '../../lib/front/model';
import { localFrontPaths, renderNginxConf, VM_FRONT_PATHS, type FrontPaths, type FrontServiceConfig } from '../../lib/front/nginx-conf';
import { exampleSpec, planOf, synthStacks, tempDir, type Json } from '../helpers';
import { vmProgram } from '../support/vm-programs';
import { freePorts } from './harness';

const GUARD = vmProgram('front', 'conf-guard.py');

function guard(text: string, env: Record<string, string> = {}) {
  const file = join(tempDir(), 'nginx.conf');
  writeFileSync(file, text);
  const r = spawnSync('python3', [GUARD, file], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, problems: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
}

/** The guard's paths for a config run from a folder. */
const guardEnv = (paths: FrontPaths, extra: Record<string, string> = {}) => ({ GUARD_TABLE: paths.table, GUARD_TRIP_STATE: paths.guardState, GUARD_LUA_DIR: paths.lua, GUARD_PID: paths.pid, GUARD_ERROR_LOG: paths.errorLog, GUARD_ACCESS_LOG: paths.accessLog, GUARD_TEMP: paths.temp, ...extra });

/** The guard's verdict on a config run from `dir`, and real `nginx -t`'s. */
function guardAndNginx(dir: string, paths: FrontPaths, text: string, extraEnv: Record<string, string> = {}) {
  const verdict = guard(text, guardEnv(paths, extraEnv));
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, text);
  mkdirSync(paths.temp, { recursive: true });
  const t = spawnSync('nginx', ['-t', '-q', '-c', file, '-p', `${dir}/`], { encoding: 'utf8' });
  return { guard: verdict, nginx: { status: t.status, stderr: t.stderr } };
}

const svc = (name: string, extra: Partial<FrontServiceConfig> = {}): FrontServiceConfig => ({
  name,
  hosts: [`${name}.test.internal`],
  readTimeoutSeconds: 5,
  slots: { blue: { address: '127.0.0.1', ports: [18001] }, green: { address: '127.0.0.1', ports: [18002] } },
  ...extra,
});

test("the guard admits exactly the router's files (a new one left out of its list refuses every config that names it)", () => {
  const guardText = readFileSync(join(__dirname, '..', '..', 'lib', 'front', 'vm', 'conf-guard.py'), 'utf8');
  const listed = new Set([.../ROUTER_FILES = \{([^}]*)\}/.exec(guardText)![1].matchAll(/"([^"]+)"/g)].map((m) => m[1]));
  expect([...listed].sort()).toEqual(Object.values(ROUTER_FILE).sort());
});

test('the example front config, as delivered to the VMs (with TLS), passes the guard with the VM paths', () => {
  const text = renderFrontConf(planOf(exampleSpec()));
  expect(text).toContain('ssl_certificate $front_tls_file;');
  expect(text).not.toMatch(/_by_lua_block|_by_lua\s/);
  expect(guard(text)).toEqual({ status: 0, problems: [], stderr: '' });
});

test("both regions' front configs of a two-region spec, as delivered to the VMs, pass the guard with the VM paths", () => {
  const spec = exampleSpec() as Json;
  spec.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  spec.services[0].regions = ['westeurope', 'northeurope'];
  const stacks = synthStacks(spec);
  for (const [stack, peer] of [['retail-front', 'northeurope'], ['retail-ne-front', 'westeurope']]) {
    const text = JSON.parse(stacks[stack]).resource.azurerm_storage_blob.front_config.source_content as string;
    expect(text).toContain(`upstream region__${peer} {`);
    expect({ stack, ...guard(text) }).toEqual({ stack, status: 0, problems: [], stderr: '' });
  }
});

test('a rendered config run from a folder (host names, path prefixes, TLS, a worker user) passes the guard and real nginx -t', async () => {
  const dir = tempDir();
  const paths = localFrontPaths(dir);
  const [http, https, status, admin] = await freePorts(4);
  const pem = join(dir, 'front.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=t', '-days', '1', '-keyout', pem, '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  expect(gen.status).toBe(0);
  writeFileSync(pem, `${readFileSync(join(dir, 'cert.pem'), 'utf8')}${readFileSync(pem, 'utf8')}`);
  const text = renderNginxConf({
    environment: 'retail',
    services: [svc('pricing'), svc('catalog', { pathPrefix: '/catalog/' })],
    listenAddress: '127.0.0.1',
    ports: { http, https },
    statusPort: status,
    adminPort: admin,
    tlsFile: pem,
    paths,
    user: 'www-data',
    workerProcesses: 1,
  });
  expect(guardAndNginx(dir, paths, text, { GUARD_TLS_FILE: pem })).toEqual({ guard: { status: 0, problems: [], stderr: '' }, nginx: { status: 0, stderr: '' } });
});

test('a config with regions (another region\'s front as an upstream, the router told its peers) passes the guard and real nginx -t', async () => {
  const dir = tempDir();
  const paths = localFrontPaths(dir);
  const [http, status, admin] = await freePorts(3);
  const text = renderNginxConf({
    environment: 'retail',
    services: [svc('pricing'), svc('catalog', { pathPrefix: '/catalog/' })],
    listenAddress: '127.0.0.1',
    ports: { http },
    statusPort: status,
    adminPort: admin,
    paths,
    workerProcesses: 1,
    region: { name: 'westeurope', peers: [{ name: 'northeurope', address: '10.40.0.100', port: 80, cidrs: ['10.40.0.0/26'] }] },
  });
  expect(text).toContain('upstream region__northeurope {');
  expect(text).toContain('"region":"westeurope","peers":[{"name":"northeurope","cidrs":["10.40.0.0/26"]}]');
  expect(guardAndNginx(dir, paths, text)).toEqual({ guard: { status: 0, problems: [], stderr: '' }, nginx: { status: 0, stderr: '' } });
  const env = guardEnv(paths);
  // regions the router cannot read are refused: a peer named as this region, a network that is not a CIDR
  expect(guard(text.replace('"name":"northeurope"', '"name":"westeurope"'), env).problems.join()).toMatch(/the router's regions must be/);
  expect(guard(text.replace('"cidrs":["10.40.0.0/26"]', '"cidrs":["any"]'), env).problems.join()).toMatch(/the router's regions must be/);
});

describe('refused, each with its line', () => {
  const base = renderFrontConf(planOf(exampleSpec()));
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const inHttp = (directive: string) => base.replace('http {\n', `http {\n  ${directive}\n`);
  const cases: Array<[string, string, RegExp]> = [
    ['inline Lua at init (the root master runs it)', inHttp('init_worker_by_lua_block { os.execute("id > /tmp/x") }'), /init_worker_by_lua_block: inline Lua is code in the config/],
    ['inline Lua in a location', base.replace('location = /status {', 'location = /status { access_by_lua_block { os.execute("id") }'), /access_by_lua_block: inline Lua/],
    ['the one-line inline form', base.replace('location = /status {', "location = /status { set_by_lua $x 'return os.execute(\"id\")';"), /set_by_lua: inline Lua/],
    ['a module of its own', base.replace('load_module /usr/lib/nginx/modules/ndk_http_module.so;', 'load_module /tmp/evil.so;'), /load_module: only the Lua router's modules/],
    ['a Lua file that is not the router\'s', base.replace(`init_by_lua_file ${VM_FRONT_PATHS.lua}/router.lua;`, 'init_by_lua_file /tmp/evil.lua;'), /init_by_lua_file: only the router's own files/],
    ['a path that escapes the router\'s folder', base.replace(`init_by_lua_file ${VM_FRONT_PATHS.lua}/router.lua;`, `init_by_lua_file ${VM_FRONT_PATHS.lua}/../../../tmp/router.lua;`), /init_by_lua_file: only the router's own files/],
    ['an include', inHttp('include /tmp/more.conf;'), /include: not a directive the front's config uses/],
    ['a Lua search path', inHttp('lua_package_path "/tmp/?.lua;;";'), /lua_package_path: not a directive/],
    ['an environment variable other than the router\'s data', base.replace("env 'FRONT_ROUTER=", "env LD_PRELOAD=/tmp/evil.so;\nenv 'FRONT_ROUTER="), /env: only the router's data/],
    ['an error log the root master writes into cron', base.replace(`error_log ${VM_FRONT_PATHS.errorLog} info;`, 'error_log /etc/cron.d/evil info;'), /error_log: only \/var\/log\/nginx\/error\.log/],
    ['an access log elsewhere', base.replace(`access_log ${VM_FRONT_PATHS.accessLog} front`, 'access_log /etc/profile.d/evil.sh front'), /access_log: only/],
    ['the router pointed at another file as its table', base.replace('"tablePath":"/var/lib/front/table.json"', '"tablePath":"/etc/shadow"'), /env: the router's data must be/],
    ['a unix socket the root master creates anywhere', base.replace(/listen 0\.0\.0\.0:(\d+);/, 'listen unix:/etc/cron.d/evil;'), /listen: only an IPv4 address and port/],
    ['workers as root', base.replace('worker_processes', 'user root;\nworker_processes'), /user: only nobody or www-data/],
    ['an OpenSSL engine', base.replace('worker_processes', 'ssl_engine evil;\nworker_processes'), /ssl_engine: not a directive/],
    ['perl', inHttp('perl_modules /tmp;'), /perl_modules: not a directive/],
    ['njs', inHttp('js_import /tmp/evil.js;'), /js_import: not a directive/],
    ['a certificate path read by the root master', base.replace('ssl_certificate $front_tls_file;', 'ssl_certificate /etc/shadow;'), /ssl_certificate: only \$front_tls_file/],
    ['an error page that redirects elsewhere', base.replace('location = /status {', 'location = /status { error_page 502 = http://attacker.invalid/;'), /error_page: only codes = @named-location/],
    ['the guard\'s state file elsewhere (the worker would write it)', base.replace('"guardStatePath":"/var/lib/front/guard/state.json"', '"guardStatePath":"/etc/cron.d/evil"'), /env: the router's data must be/],
    ['the counters in the table\'s dict (evictions would take the table)', base.replace('"countersDict":"front_counters"', '"countersDict":"front_table"'), /env: the router's data must be/],
    ['mirroring methods that write', base.replace('"mirrorMethods":["GET","HEAD"]', '"mirrorMethods":["GET","POST"]'), /env: the router's data must be/],
    ['a known directive out of its context', base.replace('location = /status {', 'location = /status { lua_shared_dict other 1m;'), /lua_shared_dict: not allowed in location/],
  ];
  test.each(cases)('%s', (_name, text, why) => {
    const r = guard(text);
    expect(r.status).toBe(1);
    expect(r.problems.some((p) => why.test(p))).toBe(true);
    expect(r.problems.every((p) => /^line \d+: /.test(p) || /^load_module: /.test(p))).toBe(true);
  });

  test('the line named is the directive\'s', () => {
    const text = inHttp('include /tmp/more.conf;');
    expect(guard(text).problems).toEqual([`line ${lineOf(text, 'include /tmp/more.conf;')}: include: not a directive the front's config uses: refused`]);
  });

  test('a broken file is refused, not crashed on', () => {
    for (const text of [`${base}\n"unterminated`, base.replace(/\}\s*$/, ''), 'http {\n  server_tokens off\n}\n']) {
      const r = guard(text);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('');
      expect(r.problems.length).toBeGreaterThan(0);
    }
  });
});
