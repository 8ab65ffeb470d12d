-- The front's router (init_by_lua_file): holds the routing table in a shared dict, validates
-- tables, and chooses each request's slot. Shipped in the front VMs' custom data; the nginx config
-- blob only names this file and passes data through `env FRONT_ROUTER='<json>'` (the
-- environment, the services the config declares, the table's path, the shared dict's name), so
-- the blob carries no code.
local cjson = require "cjson.safe"
local cfg, cfg_err = cjson.decode(os.getenv("FRONT_ROUTER") or "")
if type(cfg) ~= "table" or type(cfg.environment) ~= "string" or type(cfg.services) ~= "table"
  or type(cfg.tablePath) ~= "string" or type(cfg.dict) ~= "string"
  or type(cfg.slotDownSeconds) ~= "number" or type(cfg.mirrorMethods) ~= "table" then
  error("front: FRONT_ROUTER (the config's env directive) is not {environment, services, tablePath, dict, slotDownSeconds, mirrorMethods}: " .. tostring(cfg_err or "a field is missing"))
end
local R = {}
front_router = R
R.ENVIRONMENT = cfg.environment
R.KNOWN = {}
for _, name in ipairs(cfg.services) do R.KNOWN[name] = true end
R.TABLE_PATH = cfg.tablePath
R.SLOT_DOWN_SECONDS = cfg.slotDownSeconds
local MIRROR_METHODS = {}
for _, m in ipairs(cfg.mirrorMethods) do MIRROR_METHODS[m] = true end
local dict = ngx.shared[cfg.dict]
if not dict then error("front: no lua_shared_dict " .. cfg.dict) end
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

-- the drain agent's switch (before Azure deletes or reboots this VM): /healthz answers 503, and
-- every service response says Connection: close (route.lua sends the request to @drain_<service>)
function R.set_draining(on)
  if on then dict:set("draining", ngx.now()) else dict:delete("draining") end
end

function R.draining() return dict:get("draining") ~= nil end

function R.status()
  return { version = dict:get("version"), applied_at = dict:get("applied_at"), error = dict:get("error"), refused_at = dict:get("refused_at"), config_error = dict:get("config_error"), draining = dict:get("draining") }
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
