/**
 * The front's router, in Lua for nginx's Lua module (Debian/Ubuntu `libnginx-mod-http-lua`). It
 * holds the routing table in a shared dict, so a swap, a ramp step or a rule change takes effect
 * on the next request of every connection, kept-alive ones included, with no reload (a graceful
 * reload closes idle keep-alive connections as clients send on them: measured in FIELD-NOTES).
 *
 * - `init_by_lua` loads the last good table from disk (written by the table agent after nginx
 *   accepted it), so a restarted or new VM serves the current table.
 * - `apply` validates a table against the services this config declares (every service present,
 *   slots blue/green, weights 0-100 ...). A table that fails is refused whole: the last good one
 *   keeps serving, the reason is logged as `front: routing table refused: ...` and shown on the
 *   status endpoint.
 * - `route` runs per request: pin rules first, then the ramp weight by the client's affinity
 *   bucket (0-9999, fixed per client, so a client moved to the new slot stays there as the weight
 *   grows), then sets the slot's upstream; with failover on, a slot marked down goes to the other.
 * - `failover` runs when nginx got no response from the slot (its own 502/504): only when no
 *   attempt could connect is the slot down; it is marked so for a window (`SLOT_DOWN_SECONDS`,
 *   a key with a TTL in the shared dict, so every worker sees it) and the request goes to the
 *   other slot. A backend's own 5xx, a reset or a read timeout after connecting never moves traffic.
 * - `mirror` sends the copy chosen by `route` (GET and HEAD only) or nothing.
 *
 * Kept in one string per phase so the rendered nginx.conf is one self-contained file.
 */

/** Lua string literal (double-quoted, escaped). */
export const luaString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export interface RouterInput {
  readonly environment: string;
  readonly services: readonly string[];
  readonly tablePath: string;
  /** Name of the lua_shared_dict. */
  readonly dict: string;
  /** How long a slot that could not be connected to is skipped. */
  readonly slotDownSeconds: number;
  /** Methods copied to the other slot when a service mirrors. */
  readonly mirrorMethods: readonly string[];
}

export function initLua(input: RouterInput): string {
  const known = input.services.map((s) => `[${luaString(s)}] = true`).join(', ');
  return `
    local cjson = require "cjson.safe"
    local R = {}
    front_router = R
    R.ENVIRONMENT = ${luaString(input.environment)}
    R.KNOWN = { ${known} }
    R.TABLE_PATH = ${luaString(input.tablePath)}
    R.SLOT_DOWN_SECONDS = ${Number(input.slotDownSeconds)}
    local MIRROR_METHODS = { ${input.mirrorMethods.map((m) => `[${luaString(m)}] = true`).join(', ')} }
    local dict = ngx.shared[${luaString(input.dict)}]
    local SLOTS = { blue = "green", green = "blue" }
    local HEADER = "^[A-Za-z0-9][A-Za-z0-9-]*$"
    local COOKIE = "^[A-Za-z][A-Za-z0-9_]*$"

    local function is_num(v, lo, hi) return type(v) == "number" and v >= lo and v <= hi end
    local function is_str(v) return type(v) == "string" and #v > 0 end

    -- every problem with a decoded table, each with its path
    function R.check(t)
      local errs = {}
      local function bad(path, msg) errs[#errs + 1] = path .. ": " .. msg end
      if type(t) ~= "table" then bad("table", "not a JSON object"); return errs end
      if t.format ~= 1 then bad("format", "expected 1, got " .. tostring(t.format)) end
      if t.environment ~= R.ENVIRONMENT then bad("environment", "expected " .. R.ENVIRONMENT .. ", got " .. tostring(t.environment)) end
      if not is_str(t.version) then bad("version", "missing") end
      if type(t.services) ~= "table" then bad("services", "missing"); return errs end
      for name in pairs(R.KNOWN) do
        if t.services[name] == nil then bad("services." .. name, "missing: this front serves it") end
      end
      for name, e in pairs(t.services) do
        local p = "services." .. tostring(name)
        if not R.KNOWN[name] then
          bad(p, "unknown service: this front does not serve it")
        elseif type(e) ~= "table" then
          bad(p, "not an object")
        else
          if not SLOTS[e.live] then bad(p .. ".live", "unknown slot " .. tostring(e.live)) end
          if not is_num(e.weight, 0, 100) or math.abs(math.floor(e.weight * 100 + 0.5) - e.weight * 100) > 1e-6 then bad(p .. ".weight", "expected 0-100 with at most two decimals, got " .. tostring(e.weight)) end
          if type(e.failover) ~= "boolean" then bad(p .. ".failover", "expected true or false") end
          if not is_num(e.mirror, 0, 100) then bad(p .. ".mirror", "expected 0-100, got " .. tostring(e.mirror)) end
          local a = e.affinity
          if type(a) ~= "table" then
            bad(p .. ".affinity", "missing")
          elseif a.by == "cookie" then
            if not is_str(a.name) or not a.name:find(COOKIE) then bad(p .. ".affinity.name", "not a cookie name") end
            if not is_num(a.maxAgeSeconds, 60, 31536000) then bad(p .. ".affinity.maxAgeSeconds", "expected 60-31536000") end
          elseif a.by == "header" then
            if not is_str(a.name) or not a.name:find(HEADER) then bad(p .. ".affinity.name", "not a header name") end
          elseif a.by ~= "address" and a.by ~= "none" then
            bad(p .. ".affinity.by", "expected cookie, header, address or none, got " .. tostring(a.by))
          end
          if type(e.rules) ~= "table" then
            bad(p .. ".rules", "expected a list")
          else
            for i, r in ipairs(e.rules) do
              local rp = p .. ".rules[" .. (i - 1) .. "]"
              if type(r) ~= "table" then
                bad(rp, "not an object")
              else
                if not is_str(r.name) then bad(rp .. ".name", "missing") end
                if not SLOTS[r.slot] then bad(rp .. ".slot", "unknown slot " .. tostring(r.slot)) end
                local m = r.header or r.cookie
                if (r.header == nil) == (r.cookie == nil) then
                  bad(rp, "needs exactly one of header or cookie")
                elseif type(m) ~= "table" or not is_str(m.name) or not is_str(m.value) then
                  bad(rp, "header or cookie needs a name and a value")
                elseif not m.name:find(r.header and HEADER or COOKIE) then
                  bad(rp, "bad header or cookie name " .. m.name)
                end
              end
            end
          end
        end
      end
      table.sort(errs)
      return errs
    end

    -- derived fields the per-request code uses (done once per table per worker)
    local function prepare(t)
      for name, e in pairs(t.services) do
        e.other = SLOTS[e.live]
        e.buckets = math.floor(e.weight * 100 + 0.5)
        e.primary = { blue = name .. "__blue", green = name .. "__green" }
        e.mirror_upstream = name .. "__" .. e.other
        for _, r in ipairs(e.rules) do
          if r.header then r.var = "http_" .. r.header.name:lower():gsub("-", "_"); r.value = r.header.value
          else r.var = "cookie_" .. r.cookie.name; r.value = r.cookie.value end
        end
        if e.affinity.by == "header" then e.affinity.var = "http_" .. e.affinity.name:lower():gsub("-", "_")
        elseif e.affinity.by == "cookie" then e.affinity.var = "cookie_" .. e.affinity.name end
      end
      return t
    end

    -- validate and install a table; the last good one stays on any failure
    function R.apply(raw, source)
      local t, err = cjson.decode(raw or "")
      local errs = t and R.check(t) or { "table: not JSON (" .. tostring(err) .. ")" }
      if #errs > 0 then
        local msg = table.concat(errs, "; ")
        dict:set("error", msg)
        dict:set("refused_at", ngx.now())
        ngx.log(ngx.ERR, "front: routing table refused (", source, "): ", msg, "; still serving version ", tostring(dict:get("version")))
        return false, msg
      end
      local stored, serr = dict:safe_set("table", raw)
      if not stored then
        local msg = "table: cannot be stored (" .. tostring(serr) .. ")"
        dict:set("error", msg)
        ngx.log(ngx.ERR, "front: routing table refused (", source, "): ", msg)
        return false, msg
      end
      dict:set("version", t.version)
      dict:set("applied_at", ngx.now())
      dict:delete("error")
      dict:incr("serial", 1, 0)
      ngx.log(ngx.NOTICE, "front: routing table applied (", source, "): version ", t.version)
      return true, t.version
    end

    local cached_serial, cached
    function R.current()
      local serial = dict:get("serial")
      if serial == nil then return nil end
      if serial ~= cached_serial then
        cached = prepare(cjson.decode(dict:get("table")))
        cached_serial = serial
      end
      return cached
    end

    local function bucket_of(service, key)
      return ngx.crc32_long(service .. ":" .. key) % 10000
    end

    function R.route()
      local var = ngx.var
      local service = var.front_service
      local t = R.current()
      local e = t and t.services[service]
      if not e then
        var.front_reason = "no-table"
        return ngx.exit(503)
      end
      local slot, reason
      for _, r in ipairs(e.rules) do
        if var[r.var] == r.value then slot, reason = r.slot, "rule:" .. r.name; break end
      end
      if not slot then
        if e.buckets <= 0 then
          slot, reason = e.live, "live"
        elseif e.buckets >= 10000 then
          slot, reason = e.other, "weight"
        else
          local a, key = e.affinity, nil
          if a.var then key = var[a.var] elseif a.by == "address" then key = var.remote_addr end
          if a.by == "cookie" and (key == nil or not key:find("^%x+$") or #key ~= 16) then
            key = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
            ngx.ctx.front_cookie = a.name .. "=" .. key .. "; Path=/; Max-Age=" .. a.maxAgeSeconds .. "; HttpOnly; SameSite=Lax"
          end
          local b = key and bucket_of(service, key) or math.random(0, 9999)
          if b < e.buckets then slot, reason = e.other, "weight" else slot, reason = e.live, "live" end
        end
      end
      -- a slot found down (no attempt could connect) is skipped for its window, unless both are
      if e.failover and R.slot_down(service, slot) and not R.slot_down(service, SLOTS[slot]) then
        slot, reason = SLOTS[slot], "failover:" .. slot .. "-down"
      end
      var.front_slot = slot
      var.front_reason = reason
      var.front_upstream = e.primary[slot]
      -- copy this share of the safe requests the live slot serves to the other slot
      if e.mirror > 0 and slot == e.live and MIRROR_METHODS[ngx.req.get_method()] and math.random() * 100 < e.mirror then
        var.front_mirror_upstream = e.mirror_upstream
      end
    end

    local function down_key(service, slot) return "down:" .. service .. ":" .. slot end
    function R.slot_down(service, slot) return dict:get(down_key(service, slot)) ~= nil end

    -- nginx got no response from the slot (its own 502 or 504, after the retry); $upstream_connect_time
    -- is "-" for an attempt that never connected. All of them: the slot is down, nothing was sent.
    function R.failover()
      local var = ngx.var
      local status = tonumber((var.upstream_status or ""):match("(%d+)%s*$")) or 502
      local service, slot = var.front_service, var.front_slot
      local t = R.current()
      local e = t and t.services[service]
      local times = var.upstream_connect_time or ""
      local connected = times == "" or times:find("%d") ~= nil
      if connected or not e or not SLOTS[slot] then return ngx.exit(status) end
      dict:set(down_key(service, slot), true, R.SLOT_DOWN_SECONDS)
      if not e.failover or var.front_reason:find("^failover") then return ngx.exit(status) end
      ngx.log(ngx.WARN, "front: ", service, " slot ", slot, " refused or dropped every attempt (", tostring(var.upstream_addr), "); failing over to ", SLOTS[slot], " for ", R.SLOT_DOWN_SECONDS, " s")
      var.front_reason = "failover:" .. slot .. "-down"
      var.front_slot = SLOTS[slot]
      var.front_upstream = e.primary[SLOTS[slot]]
    end

    -- in the mirror subrequest (which shares the request's variables): send the copy or nothing
    function R.mirror()
      if ngx.var.front_mirror_upstream == "" then return ngx.exit(204) end
    end

    function R.add_cookie()
      local c = ngx.ctx.front_cookie
      if not c then return end
      local existing = ngx.header["Set-Cookie"]
      if existing == nil then ngx.header["Set-Cookie"] = c
      elseif type(existing) == "table" then existing[#existing + 1] = c; ngx.header["Set-Cookie"] = existing
      else ngx.header["Set-Cookie"] = { existing, c } end
    end

    -- what the agent reports about the newest config (nil: the newest one is running)
    function R.set_config_error(msg)
      if msg then dict:set("config_error", msg:sub(1, 2000)) else dict:delete("config_error") end
    end

    function R.status()
      return { version = dict:get("version"), applied_at = dict:get("applied_at"), error = dict:get("error"), refused_at = dict:get("refused_at"), config_error = dict:get("config_error") }
    end

    -- the last good table, if the agent has written one; on a reload the shared dict still holds
    -- the current table (newer than any file), so the file is read only at a cold start
    local f = not dict:get("version") and io.open(R.TABLE_PATH, "rb")
    if f then
      local raw = f:read("*a")
      f:close()
      R.apply(raw, "file " .. R.TABLE_PATH)
    elseif not dict:get("version") then
      ngx.log(ngx.WARN, "front: no routing table at ", R.TABLE_PATH, " yet; serving 503 until the agent delivers one")
    end
`;
}

export const INIT_WORKER_LUA = `
    math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
`;

export const STATUS_LUA = `
      local s = front_router.status()
      ngx.header["Content-Type"] = "application/json"
      if not s.version then ngx.status = 503 end
      ngx.say(require("cjson.safe").encode(s))
`;

/**
 * The load balancer's probe (`/healthz`): an Azure LB HTTP probe counts only a 200 as up, so this
 * answers 200 while a routing table is applied and 503 while none is (the VM would answer every
 * request with 503).
 */
export const LB_PROBE_LUA = `
      local s = front_router.status()
      if s.version then
        ngx.say("ok ", s.version, s.error and " (a newer table was refused: see /status)" or "")
      else
        ngx.status = 503
        ngx.say("no routing table")
      end
`;

/**
 * The Application Health extension's endpoint (`/health`), type handler 2.0 (rich health states).
 * The extension (Azure/applicationhealth-extension-linux, main/health.go HttpHealthProbe.evaluate
 * and main/probeResponse.go) counts a reply as Healthy or Unhealthy only when it is a 2xx whose
 * JSON body has "ApplicationHealthState" set to exactly "Healthy" or "Unhealthy"; anything else (a
 * non-2xx, a body that is not a JSON object, another value) is Unknown. So this always answers 200
 * with that JSON:
 * - Healthy while nginx serves with a routing table, with `version`, and a `warning` when a newer
 *   table or config was refused (the last good one keeps serving: a refused blob is the same on
 *   every VM, and replacing VMs for it would only boot more VMs with the same blob);
 * - Unhealthy, with a `reason`, while no table is applied (this VM answers every request 503).
 */
export const HEALTH_LUA = `
      local s = front_router.status()
      local body
      if s.version then
        local warnings = {}
        if s.error then warnings[#warnings + 1] = "a newer routing table was refused: " .. s.error end
        if s.config_error then warnings[#warnings + 1] = "a newer config was refused: " .. s.config_error end
        body = { ApplicationHealthState = "Healthy", version = s.version, warning = #warnings > 0 and table.concat(warnings, "; ") or nil }
      else
        body = { ApplicationHealthState = "Unhealthy", reason = s.error and ("no routing table applied: the one delivered was refused: " .. s.error) or "no routing table applied yet" }
      end
      ngx.header["Content-Type"] = "application/json"
      ngx.say(require("cjson.safe").encode(body))
`;

export const ADMIN_TABLE_LUA = `
      if ngx.req.get_method() ~= "PUT" then return ngx.exit(405) end
      ngx.req.read_body()
      local body = ngx.req.get_body_data()
      local ok, detail = front_router.apply(body, "admin")
      ngx.status = ok and 200 or 422
      ngx.say(ok and ("applied " .. detail) or ("refused: " .. detail))
`;

/** The agent reports a refused config here (PUT the reason; DELETE once a config is applied). */
export const ADMIN_CONFIG_STATE_LUA = `
      local method = ngx.req.get_method()
      if method == "DELETE" then front_router.set_config_error(nil); return ngx.exit(204) end
      if method ~= "PUT" then return ngx.exit(405) end
      ngx.req.read_body()
      front_router.set_config_error(ngx.req.get_body_data() or "refused")
      return ngx.exit(204)
`;
