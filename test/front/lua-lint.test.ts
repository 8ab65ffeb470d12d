/**
 * The router ships with the front VMs as Lua files (lib/front/lua/): linted with luacheck
 * (Debian's lua-check), LuaJIT's standard library, nginx's `ngx` and the router's one global.
 */
import { spawnSync } from 'node:child_process';
import { ROUTER_DIR, ROUTER_FILES } from '../../lib/front/lua';

test('the router passes luacheck (no undefined globals, no unused locals, no shadowing)', () => {
  const r = spawnSync('luacheck', ['--no-color', '--std', 'luajit', '--globals', 'front_router', 'ngx', '--no-max-line-length', '--codes', ...ROUTER_FILES.map((f) => `${ROUTER_DIR}/${f.name}`)], { encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout).toMatch(/Total: 0 warnings \/ 0 errors in 14 files/);
  expect(r.status).toBe(0);
});
