/**
 * The router runs on Ubuntu 24.04's lua-nginx-module 0.10.26 with lua-resty-core 0.1.28, which the
 * tests cannot run (they run Debian 12's 0.10.23 and Debian 13's 0.10.28). Every nginx-Lua API and
 * directive the router uses was read at those tags (docs/boot-tests.md, "The router on Ubuntu's
 * module, read from source"). This test holds the router to that list: an API or directive not on
 * it fails here until it is checked at 0.10.26 and added to the page and to the list below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER_DIR, ROUTER_FILES } from '../../lib/front/lua';
import { exampleStacks } from '../helpers';

/** The `ngx.*` names read at v0.10.26 (`ngx.var.x` and `ngx.ctx.x` count as `ngx.var`, `ngx.ctx`). */
const CHECKED_NGX = [
  'ngx.ERR', 'ngx.NOTICE', 'ngx.WARN', 'ngx.crc32_long', 'ngx.ctx', 'ngx.exec', 'ngx.exit', 'ngx.header', 'ngx.log', 'ngx.md5', 'ngx.now',
  'ngx.req.get_body_data', 'ngx.req.get_method', 'ngx.req.read_body', 'ngx.req.start_time', 'ngx.say', 'ngx.shared', 'ngx.status',
  'ngx.timer.every', 'ngx.var', 'ngx.worker.pid',
];
/** Shared-dict methods read at lua-resty-core 0.1.28 (`:get(` … on a dict). */
const CHECKED_DICT = ['add', 'delete', 'get', 'incr', 'safe_set', 'set'];
/** Methods that are not nginx's: Lua strings and files. */
const NOT_NGINX = new Set(['find', 'match', 'sub', 'gsub', 'lower', 'upper', 'format', 'rep', 'byte', 'len', 'gmatch', 'read', 'write', 'close', 'lines', 'seek', 'flush']);
/** Modules required, read at their tags or packages. */
const CHECKED_REQUIRES = ['cjson.safe'];
/** The nginx-Lua directives of the rendered config, read at v0.10.26. */
const CHECKED_DIRECTIVES = ['content_by_lua_file', 'header_filter_by_lua_file', 'init_by_lua_file', 'init_worker_by_lua_file', 'log_by_lua_file', 'lua_shared_dict', 'rewrite_by_lua_file'];

const sources = ROUTER_FILES.map((f) => readFileSync(join(ROUTER_DIR, f.name), 'utf8').replace(/--[^\n]*/g, ''));
const all = (re: RegExp, texts: readonly string[]) => [...new Set(texts.flatMap((t) => [...t.matchAll(re)].map((m) => m[1])))].sort();

test('every ngx API the router calls was checked at lua-nginx-module 0.10.26', () => {
  const used = all(/\b(ngx\.[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?)/g, sources).map((n) => n.replace(/^ngx\.(var|ctx)\..*$/, 'ngx.$1'));
  expect([...new Set(used)].sort()).toEqual([...CHECKED_NGX].sort());
});

test('every method call is a shared-dict method checked at lua-resty-core 0.1.28, or a string or file method', () => {
  const methods = all(/:([a-z_]+)\(/g, sources).filter((m) => !NOT_NGINX.has(m));
  expect(methods).toEqual(CHECKED_DICT);
});

test('the router requires only modules checked', () => {
  expect(all(/require\s*\(?\s*["']([^"']+)["']/g, sources)).toEqual(CHECKED_REQUIRES);
});

test("the example front's config uses only the Lua directives checked, and no HTTP/2 or HTTP/3", () => {
  const stack = JSON.parse(exampleStacks()['retail-front']) as { resource: { azurerm_storage_blob: Record<string, { source_content: string }> } };
  const conf = stack.resource.azurerm_storage_blob.front_config.source_content;
  expect(all(/(?:^|[{;])\s*([a-z_]+_by_lua[a-z_]*|lua_[a-z_]+)\s/gm, [conf])).toEqual(CHECKED_DIRECTIVES);
  // 0.10.26 alone refuses ngx.req.read_body() for an HTTP/2 or HTTP/3 request without a
  // Content-Length (reverted in 0.10.27): the admin listener's table and config pushes call it
  expect(conf).toMatch(/listen 127\.0\.0\.1:\d+;/);
  expect(conf).not.toMatch(/\bhttp2\b|\bhttp3\b|\bquic\b/);
});
