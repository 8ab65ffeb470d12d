#!/usr/bin/env python3
"""front-conf-guard: refuses an nginx config blob that could make nginx run code.

The front's nginx master runs as root and runs the Lua a config names when it starts or reloads,
so whoever can write the config blob could run code as root on every front VM. The router's code
ships with the VM; a config may only name its files and pass it data. This guard reads a config
and accepts it only when every directive is one the library renders (an allow list), in the
context it renders it, and the directives that name code or files name only these:

- `load_module`: the two modules of the Lua router (ndk, then lua), from the modules folder;
- `*_by_lua_file`: the router's own files, in the router's folder (no inline `*_by_lua_block`,
  no `*_by_lua`, no `lua_package_path`, no `include`, no `env` but the router's data);
- `env FRONT_ROUTER=`: JSON with the environment, the services, the table's path (only the
  agent's table file) and the shared dict's name;
- `pid`, `error_log`, `access_log`, the temp paths: nginx's own files (a log at another path
  written by the root master, e.g. in /etc/cron.d, is a way to run code);
- `user`: nobody or www-data; `ssl_certificate*`: the certificate variable only.

Usage: front-conf-guard CONFIG. Exit 0 when accepted; else exit 1 and one line per problem on
stdout ("line N: ..."). The paths come from the environment (the agent's settings file), with
the VM's paths as defaults.
"""
import json
import os
import re
import sys

ENV = os.environ.get
LUA_DIR = ENV("GUARD_LUA_DIR", "/usr/local/lib/front")
MODULES = ENV("GUARD_MODULES_DIR", "/usr/lib/nginx/modules")
PID = ENV("GUARD_PID", "/run/nginx.pid")
ERROR_LOG = ENV("GUARD_ERROR_LOG", "/var/log/nginx/error.log")
ACCESS_LOG = ENV("GUARD_ACCESS_LOG", "/var/log/nginx/access.log")
TEMP = ENV("GUARD_TEMP", "/var/lib/nginx")
TLS_FILE = ENV("GUARD_TLS_FILE", "/etc/front/tls/front.pem")
TABLE = ENV("GUARD_TABLE", "/var/lib/front/table.json")
# the traffic guard's state file (trips and swaps), which the nginx worker writes
TRIP_STATE = ENV("GUARD_TRIP_STATE", "/var/lib/front/guard/state.json")
ROUTER_FILES = {
    "router.lua", "init-worker.lua", "route.lua", "add-cookie.lua", "mirror.lua", "status.lua",
    "lb-probe.lua", "health.lua", "admin-table.lua", "admin-config-state.lua", "failover.lua",
    "admin-drain.lua", "count.lua", "guard.lua",
}
ROUTER_ENV = "FRONT_ROUTER="

# directive -> contexts it may appear in ("main", "events", "http", "server", "location",
# "upstream", "map"); everything else is refused
ALLOWED = {
    "load_module": {"main"}, "env": {"main"}, "user": {"main"}, "worker_processes": {"main"},
    "pid": {"main"}, "error_log": {"main"}, "worker_rlimit_nofile": {"main"},
    "events": {"main"}, "worker_connections": {"events"},
    "http": {"main"},
    "server_tokens": {"http"}, "default_type": {"http"},
    "client_body_temp_path": {"http"}, "proxy_temp_path": {"http"}, "fastcgi_temp_path": {"http"},
    "uwsgi_temp_path": {"http"}, "scgi_temp_path": {"http"},
    "keepalive_timeout": {"http", "upstream", "location"}, "keepalive_requests": {"http", "upstream"},
    "keepalive_time": {"upstream"},
    "log_format": {"http"}, "access_log": {"http", "server", "location"},
    "map": {"http"}, "default": {"map"},
    "ssl_protocols": {"http"}, "ssl_session_cache": {"http"},
    "proxy_http_version": {"http"}, "proxy_set_header": {"http"},
    "proxy_connect_timeout": {"http", "location"}, "proxy_send_timeout": {"http", "location"},
    "proxy_next_upstream": {"http", "location"}, "error_page": {"location"},
    "proxy_next_upstream_tries": {"http"}, "proxy_next_upstream_timeout": {"http"},
    "lua_shared_dict": {"http"}, "init_by_lua_file": {"http"}, "init_worker_by_lua_file": {"http"},
    "upstream": {"http"}, "zone": {"upstream"}, "keepalive": {"upstream"}, "server": {"http", "upstream"},
    "listen": {"server"}, "server_name": {"server"},
    "ssl_certificate": {"server"}, "ssl_certificate_key": {"server"},
    "client_max_body_size": {"server"}, "client_body_buffer_size": {"http", "server"},
    "location": {"server"}, "internal": {"location"}, "set": {"location"}, "return": {"location"},
    "content_by_lua_file": {"location"}, "rewrite_by_lua_file": {"location"},
    "header_filter_by_lua_file": {"location"}, "log_by_lua_file": {"location"},
    "mirror": {"location"}, "mirror_request_body": {"location"},
    "proxy_read_timeout": {"location"}, "proxy_pass": {"location"},
}
BLOCKS = {"events", "http", "map", "upstream", "server", "location"}


def tokens(text):
    """(token, line, quoted) with '{', '}', ';' as their own tokens; comments dropped."""
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c, line, False
            i += 1
        elif c in "'\"":
            q, i, start, buf = c, i + 1, line, []
            while i < n and text[i] != q:
                if text[i] == "\\" and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise ValueError(f"line {start}: unterminated string")
            i += 1
            yield "".join(buf), start, True
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in "{};'\"#":
                i += 1
            yield text[start:i], line, False


def check(text):
    problems = []
    stack = ["main"]
    words, first_line = [], None
    modules = []
    try:
        for tok, line, quoted in tokens(text):
            if not quoted and tok in ("{", ";"):
                if not words:
                    problems.append(f"line {line}: an empty directive")
                    continue
                name, args = words[0], words[1:]
                where = first_line
                ctx = stack[-1]
                problems += directive(name, args, ctx, where, tok == "{", modules)
                if tok == "{":
                    if name.endswith("_by_lua_block"):
                        # its body is Lua, not config: refused above; nothing after it can be trusted
                        return problems
                    stack.append(name if name in BLOCKS and ctx != "upstream" else "?")
                words, first_line = [], None
            elif not quoted and tok == "}":
                if words:
                    problems.append(f"line {line}: a directive without ';' before '}}'")
                    words = []
                if len(stack) == 1:
                    problems.append(f"line {line}: '}}' closes nothing")
                else:
                    stack.pop()
            else:
                if not words:
                    first_line = line
                words.append(tok)
    except ValueError as e:
        problems.append(str(e))
    if words:
        problems.append(f"line {first_line}: a directive without ';' at the end")
    if len(stack) > 1:
        problems.append("the config ends inside a block")
    want = [f"{MODULES}/ndk_http_module.so", f"{MODULES}/ngx_http_lua_module.so"]
    if modules and modules != want:
        problems.append(f"load_module: expected exactly {' then '.join(want)}")
    return problems


def directive(name, args, ctx, line, opens, modules):
    at = f"line {line}: {name}"
    if name.endswith("_by_lua_block") or name.endswith("_by_lua"):
        return [f"{at}: inline Lua is code in the config: refused (the router's code ships with the VM; name its files with *_by_lua_file)"]
    if name not in ALLOWED:
        return [f"{at}: not a directive the front's config uses: refused"]
    if ctx not in ALLOWED[name]:
        return [f"{at}: not allowed in {ctx}"]
    block = name in BLOCKS and not (name == "server" and ctx == "upstream")
    if opens != block:
        return [f"{at}: {'a block' if block else 'not a block'} expected"]
    if name == "load_module":
        modules.append(args[0] if len(args) == 1 else "")
        return [] if len(args) == 1 and os.path.dirname(args[0]) == MODULES else [f"{at}: only the Lua router's modules from {MODULES}"]
    if name.endswith("_by_lua_file"):
        ok = len(args) == 1 and os.path.dirname(args[0]) == LUA_DIR and os.path.basename(args[0]) in ROUTER_FILES
        return [] if ok else [f"{at}: only the router's own files in {LUA_DIR}"]
    if name == "env":
        if not (len(args) == 1 and args[0].startswith(ROUTER_ENV)):
            return [f"{at}: only the router's data ({ROUTER_ENV}...)"]
        try:
            data = json.loads(args[0][len(ROUTER_ENV):])
        except ValueError:
            return [f"{at}: the router's data is not JSON"]
        base = {"environment", "services", "tablePath", "dict", "countersDict", "guardStatePath", "slotDownSeconds", "mirrorMethods"}
        # with regions: this front's region, and each other region's front with the networks its requests come from
        regions = set(data) == base | {"region", "peers"} if isinstance(data, dict) else False
        if regions and not (isinstance(data["region"], str) and re.fullmatch(r"[a-z][a-z0-9]*", data["region"])
                            and isinstance(data["peers"], list)
                            and all(isinstance(p, dict) and set(p) == {"name", "cidrs"} and isinstance(p["name"], str)
                                    and re.fullmatch(r"[a-z][a-z0-9]*", p["name"]) and p["name"] != data["region"]
                                    and isinstance(p["cidrs"], list)
                                    and all(isinstance(c, str) and re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", c) for c in p["cidrs"])
                                    for p in data["peers"])):
            return [f"{at}: the router's regions must be {{region, peers: [{{name, cidrs}}]}}"]
        ok = (isinstance(data, dict) and (set(data) == base or regions)
              and data["tablePath"] == TABLE and data["guardStatePath"] == TRIP_STATE and isinstance(data["environment"], str)
              and isinstance(data["dict"], str) and isinstance(data["countersDict"], str) and data["dict"] != data["countersDict"]
              and isinstance(data["services"], list)
              and all(isinstance(x, str) for x in data["services"])
              and isinstance(data["slotDownSeconds"], (int, float)) and not isinstance(data["slotDownSeconds"], bool)
              and isinstance(data["mirrorMethods"], list) and all(x in ("GET", "HEAD") for x in data["mirrorMethods"]))
        return [] if ok else [f"{at}: the router's data must be {{environment, services, tablePath: {TABLE}, dict, countersDict (another dict), guardStatePath: {TRIP_STATE}, slotDownSeconds, mirrorMethods (GET, HEAD)}}"]
    if name == "error_page":
        # only to a named location of this config (the failover handler), never a URI or a redirect
        ok = len(args) >= 3 and args[-2] == "=" and args[-1].startswith("@") and all(a.isdigit() for a in args[:-2])
        return [] if ok else [f"{at}: only codes = @named-location"]
    if name == "user":
        return [] if len(args) in (1, 2) and args[0] in ("nobody", "www-data") else [f"{at}: only nobody or www-data"]
    if name == "pid":
        return [] if args == [PID] else [f"{at}: only {PID}"]
    if name == "error_log":
        return [] if args[:1] == [ERROR_LOG] and len(args) <= 2 else [f"{at}: only {ERROR_LOG}"]
    if name == "access_log":
        return [] if args[:1] in (["off"], [ACCESS_LOG]) else [f"{at}: only {ACCESS_LOG} or off"]
    if name.endswith("_temp_path"):
        return [] if len(args) == 1 and os.path.dirname(args[0]) == TEMP else [f"{at}: only a folder in {TEMP}"]
    if name in ("ssl_certificate", "ssl_certificate_key"):
        return [] if args == ["$front_tls_file"] else [f"{at}: only $front_tls_file"]
    if name == "map":
        return [] if args == ["$host", "$front_tls_file"] else [f"{at}: only the certificate's map"]
    if name == "default" and ctx == "map":
        return [] if args == [TLS_FILE] else [f"{at}: only {TLS_FILE}"]
    if name == "listen":
        ok = bool(args) and re.fullmatch(r"(\d{1,3}(\.\d{1,3}){3}:)?\d{1,5}", args[0]) is not None and all(a in ("ssl", "default_server") for a in args[1:])
        return [] if ok else [f"{at}: only an IPv4 address and port (ssl, default_server)"]
    if name == "proxy_pass":
        ok = len(args) == 1 and re.fullmatch(r"http://\$front_(mirror_)?upstream(\$request_uri)?", args[0]) is not None
        return [] if ok else [f"{at}: only the router's upstream variables"]
    return []


def main():
    if len(sys.argv) != 2:
        print("usage: front-conf-guard CONFIG", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"cannot read the config: {e}")
        return 1
    problems = check(text)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
