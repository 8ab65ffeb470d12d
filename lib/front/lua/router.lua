-- The front's router (init_by_lua_file): holds the routing table in a shared dict, validates
-- tables, and chooses each request's slot. Shipped in the front VMs' custom data; the nginx config
-- blob only names this file and passes data through `env FRONT_ROUTER='<json>'` (the
-- environment, the services the config declares, the table's path, the shared dict's name), so
-- the blob carries no code.
local cjson = require "cjson.safe"
local cfg, cfg_err = cjson.decode(os.getenv("FRONT_ROUTER") or "")
if type(cfg) ~= "table" or type(cfg.environment) ~= "string" or type(cfg.services) ~= "table"
  or type(cfg.tablePath) ~= "string" or type(cfg.dict) ~= "string"
  or type(cfg.countersDict) ~= "string" or type(cfg.guardStatePath) ~= "string"
  or type(cfg.slotDownSeconds) ~= "number" or type(cfg.mirrorMethods) ~= "table" then
  error("front: FRONT_ROUTER (the config's env directive) is not {environment, services, tablePath, dict, countersDict, guardStatePath, slotDownSeconds, mirrorMethods}: " .. tostring(cfg_err or "a field is missing"))
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

-- regions (optional, docs/regions.md): this front's region; each other region's front networks
local function ipv4(s)
  local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  if a > 255 or b > 255 or c > 255 or d > 255 then return nil end
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function cidr(s)
  local ip, bits = tostring(s):match("^([%d.]+)/(%d+)$")
  local n, m = ipv4(ip), tonumber(bits)
  if not n or not m or m > 32 then return nil end
  local size = 2 ^ (32 - m)
  local first = n - n % size
  return { first = first, last = first + size - 1 }
end
R.REGION = cfg.region
R.PEERS = {}
if cfg.region ~= nil or cfg.peers ~= nil then
  if type(cfg.region) ~= "string" or type(cfg.peers) ~= "table" then error("front: FRONT_ROUTER region and peers go together") end
  for _, p in ipairs(cfg.peers) do
    if type(p) ~= "table" or type(p.name) ~= "string" or p.name == cfg.region or type(p.cidrs) ~= "table" then error("front: FRONT_ROUTER peers: each needs a name (not this region) and cidrs") end
    local nets = {}
    for _, c in ipairs(p.cidrs) do
      nets[#nets + 1] = cidr(c) or error("front: FRONT_ROUTER peers." .. p.name .. ": not an IPv4 CIDR: " .. tostring(c))
    end
    R.PEERS[p.name] = nets
  end
end
R.PEER_UPSTREAM = "region__"
local dict = ngx.shared[cfg.dict]
if not dict then error("front: no lua_shared_dict " .. cfg.dict) end
-- the outcome counters in a dict of their own: when it fills, nginx evicts old counters, never the table
local counters = ngx.shared[cfg.countersDict]
if not counters then error("front: no lua_shared_dict " .. cfg.countersDict) end
R.GUARD_PATH = cfg.guardStatePath
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
      if e.guard ~= nil then
        local g, gp = e.guard, p .. ".guard"
        local function whole(v, lo, hi) return is_num(v, lo, hi) and v % 1 == 0 end
        if type(g) ~= "table" then
          bad(gp, "not an object")
        else
          if not is_num(g.errorRateMargin, 0.1, 100) then bad(gp .. ".errorRateMargin", "expected 0.1-100 percentage points") end
          if not is_num(g.latencyRatio, 1.1, 100) then bad(gp .. ".latencyRatio", "expected 1.1-100") end
          if not whole(g.latencyMarginMs, 0, 60000) then bad(gp .. ".latencyMarginMs", "expected 0-60000 ms") end
          if not whole(g.minRequests, 10, 1000000) then bad(gp .. ".minRequests", "expected 10-1000000") end
          if not whole(g.windowSeconds, 10, 600) or g.windowSeconds % 5 ~= 0 then bad(gp .. ".windowSeconds", "expected 10-600 in steps of 5") end
          if g.action ~= "rollback" and g.action ~= "hold" then bad(gp .. ".action", "expected rollback or hold") end
          if not whole(g.bakeSeconds, 0, 86400) then bad(gp .. ".bakeSeconds", "expected 0-86400") end
          if not whole(g.attempt, 1, 1000000) then bad(gp .. ".attempt", "expected a whole number from 1") end
          if type(g.releases) ~= "table" or not is_str(g.releases.blue) or not is_str(g.releases.green) then bad(gp .. ".releases", "expected {blue, green} release tags") end
        end
      end
      if e.regions ~= nil then
        local g = e.regions
        if type(g) ~= "table" or type(g.shares) ~= "table" then
          bad(p .. ".regions", "expected {shares, failover}")
        else
          if type(g.failover) ~= "boolean" then bad(p .. ".regions.failover", "expected true or false") end
          local total = 0
          for region, share in pairs(g.shares) do
            if not R.PEERS[region] then
              bad(p .. ".regions.shares." .. tostring(region), "not a region this front forwards to")
            elseif not is_num(share, 0, 100) or math.abs(math.floor(share * 100 + 0.5) - share * 100) > 1e-6 then
              bad(p .. ".regions.shares." .. region, "expected 0-100 with at most two decimals, got " .. tostring(share))
            else
              total = total + share
            end
          end
          if total > 100 + 1e-6 then bad(p .. ".regions.shares", "add up to " .. total .. ", more than 100") end
        end
      end
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
    e.declared_live = e.live
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
    -- each other region's share as a bucket range (0-9999), in a fixed order
    e.away = {}
    if e.regions then
      local names = {}
      for region in pairs(e.regions.shares) do names[#names + 1] = region end
      table.sort(names)
      local upto = 0
      for _, region in ipairs(names) do
        upto = upto + math.floor(e.regions.shares[region] * 100 + 0.5)
        e.away[#e.away + 1] = { region = region, upto = upto }
      end
    end
    -- a tripped guard: the effective live slot and weight (defined below)
    R.with_trip(name, e)
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
  local old_raw = dict:get("table")
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
  -- a swap of a guarded service starts its bake (remembered in the guard's state file)
  local old = old_raw and cjson.decode(old_raw)
  if R.note_swaps(old, t) then R.write_state() end
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

-- the region that forwarded this request (X-Ase-Region from its networks), and whether it sent it back
local function from_region()
  local var = ngx.var
  local header = var.http_x_ase_region or ""
  local claimed = header:match("^[a-z][a-z0-9]*")
  local nets = claimed and R.PEERS[claimed]
  if not nets or (header ~= claimed and header ~= claimed .. ";bounce") then return nil end
  local addr = ipv4(var.remote_addr)
  for _, n in ipairs(nets) do
    if addr and addr >= n.first and addr <= n.last then return claimed, header ~= claimed end
  end
  return nil
end

-- a region that could not serve a service: skipped for it for the window
local function region_down_key(service, region) return "rdown:" .. service .. ":" .. region end
function R.region_down(service, region) return dict:get(region_down_key(service, region)) ~= nil end

-- the client's affinity key (nil: none, or not sent yet)
local function affinity_key(e, var)
  local a = e.affinity
  if a.var then return var[a.var] elseif a.by == "address" then return var.remote_addr end
  return nil
end

-- the first other region whose front is not marked down for the service
local function region_up(service, e)
  for _, w in ipairs(e.away) do
    if not R.region_down(service, w.region) then return w.region end
  end
  return nil
end

-- send the request to another region's front
local function forward(var, region, reason)
  var.front_slot = ""
  var.front_reason = reason
  var.front_upstream = R.PEER_UPSTREAM .. region
  var.front_forward = reason:find("^bounce:") and R.REGION .. ";bounce" or R.REGION
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
  -- with regions only (other configs declare no such variables); variables, as failover() reads them
  local from, bounced
  if R.REGION then from, bounced = from_region() end
  if R.REGION then
    var.front_from = from and (bounced and from .. ";bounce" or from) or ""
    -- the client's scheme, across the plain-HTTP hop
    var.front_proto = from and (var.http_x_forwarded_proto or var.scheme) or var.scheme
  end
  -- (one region: nothing below applies)
  if from then
    -- served here, never forwarded again; both slots down: back to the sender (once)
    if not bounced and R.slot_down(service, "blue") and R.slot_down(service, "green") then return forward(var, from, "bounce:" .. from) end
  elseif R.REGION and #e.away > 0 then
    local key = affinity_key(e, var)
    local b = key and ngx.crc32_long("region:" .. service .. ":" .. key) % 10000 or math.random(0, 9999)
    for _, w in ipairs(e.away) do
      if b < w.upto then
        if not R.region_down(service, w.region) then return forward(var, w.region, "region:" .. w.region) end
        break -- that region's front is down: served here
      end
    end
    -- this region's slots are both down: another region serves it
    local up = e.regions.failover and R.slot_down(service, "blue") and R.slot_down(service, "green") and region_up(service, e)
    if up then return forward(var, up, "failover:local-down") end
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
      local a, key = e.affinity, affinity_key(e, var)
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
  local upstream = var.front_upstream or ""
  if R.REGION and upstream:sub(1, #R.PEER_UPSTREAM) == R.PEER_UPSTREAM then
    -- another region's front took no attempt: skip it for the window, serve here
    local region = upstream:sub(#R.PEER_UPSTREAM + 1)
    if connected or not e or var.front_reason:find("^bounce") then return ngx.exit(status) end
    dict:set(region_down_key(service, region), true, R.SLOT_DOWN_SECONDS)
    ngx.log(ngx.WARN, "front: ", service, ": the front of region ", region, " refused or dropped every attempt (", tostring(var.upstream_addr), "); serving here for ", R.SLOT_DOWN_SECONDS, " s")
    var.front_forward = ""
    var.front_slot = e.live
    var.front_reason = "failover:region-" .. region .. "-down"
    var.front_upstream = e.primary[e.live]
    return
  end
  if connected or not e or not SLOTS[slot] then return ngx.exit(status) end
  dict:set(down_key(service, slot), true, R.SLOT_DOWN_SECONDS)
  -- forwarded here and both slots down (nothing reached a backend): back to the sender, never twice
  local from = R.REGION and var.front_from or ""
  local sent_back = from:find(";bounce$") ~= nil
  if from ~= "" and not sent_back and (R.slot_down(service, SLOTS[slot]) or var.front_reason:find("^failover")) then
    ngx.log(ngx.WARN, "front: ", service, ": no slot here answers a request from region ", from, "; sending it back")
    return forward(var, from, "bounce:" .. from)
  end
  -- both slots here down: to another region, if the service fails over
  local up = R.REGION and from == "" and e.regions and e.regions.failover and R.slot_down(service, SLOTS[slot]) and region_up(service, e)
  if up then return forward(var, up, "failover:local-down") end
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

-- X-Ase-Region-Down: set by a front that sent a request back; its receiver skips that region, hides it
function R.region_signal()
  if not R.REGION then return end
  if (ngx.var.front_reason or ""):find("^bounce:") then
    ngx.header["X-Ase-Region-Down"] = R.REGION
    return
  end
  local down = ngx.var.upstream_http_x_ase_region_down
  if down then
    ngx.header["X-Ase-Region-Down"] = nil
    if R.PEERS[down] and ngx.var.front_upstream == R.PEER_UPSTREAM .. down then
      dict:set(region_down_key(ngx.var.front_service, down), true, R.SLOT_DOWN_SECONDS)
      ngx.log(ngx.WARN, "front: ", ngx.var.front_service, ": region ", down, " has no slot that answers; serving here for ", R.SLOT_DOWN_SECONDS, " s")
    end
  end
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

-- per-slot outcome counters (issue 16): since nginx started, and per minute for the last ten.
-- A request's latency falls in the first bucket whose bound (seconds) it does not pass. A request
-- that failed over counts as an upstream error of the slot it left and as a request of the slot
-- that answered. Forwarded requests (no slot here) are not counted.
local METRICS = { "requests", "5xx", "upstream_errors", "le_0.05", "le_0.2", "le_1", "le_inf" }
local LATENCY = { { 0.05, "le_0.05" }, { 0.2, "le_0.2" }, { 1, "le_1" } }
-- the guard's windows: per 5 s bucket, requests, errors and summed milliseconds of the requests
-- the live slot or the ramp weight chose (pinned and failed-over ones are not judged)
local BUCKET = 5
local WINDOW_TTL = 620
-- counted in this worker's own table (no shared-dict lock per request), added to the counters dict
-- once a second by R.flush (a timer of every worker, init-worker.lua): /status lags by at most 1 s
local pending = {}
local function bump(service, slot, metric, minute)
  local key = service .. ":" .. slot .. ":" .. metric
  local m = pending[minute]
  if not m then m = {}; pending[minute] = m end
  m[key] = (m[key] or 0) + 1
end
local pending_window = {}
local function bump_window(service, slot, metric, n)
  local key = "w:" .. math.floor(ngx.now() / BUCKET) .. ":" .. service .. ":" .. slot .. ":" .. metric
  pending_window[key] = (pending_window[key] or 0) + n
end

function R.flush()
  local batch, windows = pending, pending_window
  pending, pending_window = {}, {}
  for minute, counts in pairs(batch) do
    for key, n in pairs(counts) do
      counters:incr("c:" .. key, n, 0)
      counters:incr("m:" .. minute .. ":" .. key, n, 0, 660)
    end
  end
  for key, n in pairs(windows) do counters:incr(key, n, 0, WINDOW_TTL) end
end

function R.count()
  local var = ngx.var
  local service, slot = var.front_service, var.front_slot
  if not service or service == "" or not slot or slot == "" then return end
  local minute = math.floor(ngx.now() / 60)
  local status = ngx.status
  -- the request's time from the cached clock (no variable lookup): millisecond resolution
  local t = ngx.now() - ngx.req.start_time()
  local bucket = "le_inf"
  for _, b in ipairs(LATENCY) do
    if t <= b[1] then bucket = b[2]; break end
  end
  bump(service, slot, "requests", minute)
  bump(service, slot, bucket, minute)
  local reason = var.front_reason
  -- what the guard judges, for every service (so a guard added with a swap has its reference)
  if reason == "live" or reason == "weight" then
    bump_window(service, slot, "n", 1)
    bump_window(service, slot, "ms", math.floor(t * 1000 + 0.5))
    if status >= 500 then bump_window(service, slot, "err", 1) end
  end
  -- most requests are live or ramped: no pattern to match
  local left = reason ~= "live" and reason ~= "weight" and reason and reason:match("^failover:(%a+)%-down$") or nil
  if status < 500 and not left then return end
  -- per attempt group (" : " between the slot tried first and the failover), "-" where no header came back
  local headers = var.upstream_header_time or ""
  -- the slot it left only when it was tried in this request (not when known down and skipped)
  if left and headers:find(" : ", 1, true) then
    bump(service, left, "upstream_errors", minute)
    -- for the guard, a request the slot could not take: one of its requests, and an error
    bump_window(service, left, "n", 1)
    bump_window(service, left, "err", 1)
  end
  if status >= 500 then bump(service, slot, "5xx", minute) end
  -- nginx's own 502/504: no answer from the slot (a backend's own 5xx came with its headers)
  if (status == 502 or status == 504) and (headers == "" or headers:find("%-$")) then bump(service, slot, "upstream_errors", minute) end
end

-- each served service's counters: since start, and the last five whole minutes and this one
local function counts()
  local t = R.current()
  if not t then return nil end
  local out, minute = {}, math.floor(ngx.now() / 60)
  for service in pairs(t.services) do
    out[service] = {}
    for _, slot in ipairs({ "blue", "green" }) do
      local total, recent = {}, {}
      for _, m in ipairs(METRICS) do
        total[m] = counters:get("c:" .. service .. ":" .. slot .. ":" .. m) or 0
        local n = 0
        for k = minute - 5, minute do n = n + (counters:get("m:" .. k .. ":" .. service .. ":" .. slot .. ":" .. m) or 0) end
        recent[m] = n
      end
      out[service][slot] = { total = total, last_5m = recent }
    end
  end
  return out
end

-- ---------------------------------------------------------------------------------------------
-- The guard (issue 16, docs/guard.md). Per guarded service, each second, one worker compares the
-- judged slot with the good one over the window: during a ramp (weight > 0) the slot the weight
-- sends to against the live slot; for `bakeSeconds` after this front saw a swap, the new live slot
-- against the slot live before. The good slot's own window when it had `minRequests`, else its
-- last window that had (a slot the weight drained, or the one a swap left, has no traffic now).
-- A trip only ever moves traffic toward the good slot: `rollback` sends the judged slot's unpinned
-- share there; `hold` keeps it at the weight it had when it tripped (a later, higher weight waits).
-- It is sticky (the state file, read at a cold start): it belongs to both slots' releases and the
-- guard's settings, so a ramp PR that only raises the weight does not clear it; a new release in
-- either slot, a PR that changes `live` away from the good slot, or a change of the guard does.

-- the window's buckets; from: a time before which nothing counts (its bucket is skipped whole)
local function window(service, slot, seconds, now, from)
  local b = math.floor(now / BUCKET)
  local w = { n = 0, err = 0, ms = 0 }
  local first = b - seconds / BUCKET + 1
  if from then first = math.max(first, math.floor(from / BUCKET) + 1) end
  for k = first, b do
    local p = "w:" .. k .. ":" .. service .. ":" .. slot .. ":"
    w.n = w.n + (counters:get(p .. "n") or 0)
    w.err = w.err + (counters:get(p .. "err") or 0)
    w.ms = w.ms + (counters:get(p .. "ms") or 0)
  end
  return w
end

local function decoded(key)
  local raw = dict:get(key)
  return raw and cjson.decode(raw) or nil
end
local function trip_key(service) return "gtrip:" .. service end
local function swap_key(service) return "gswap:" .. service end
local function base_key(service, slot, release) return "gbase:" .. service .. ":" .. slot .. ":" .. tostring(release) end
local function id_key(service) return "gid:" .. service end
local function from_key(service) return "gfrom:" .. service end

-- what a trip belongs to: the judged and good slots and their releases, the guard's settings
local function guard_id(g, judged, good)
  return ngx.md5(table.concat({ judged, good, tostring(g.releases[judged]), tostring(g.releases[good]), g.errorRateMargin, g.latencyRatio, g.latencyMarginMs, g.minRequests, g.windowSeconds, g.action, g.bakeSeconds, g.attempt }, "|")):sub(1, 16)
end

-- the phase a guarded entry is in: "ramp" or "bake", the judged slot, the good slot, the swap
local function phase_of(service, e, now)
  local g = e.guard
  if not g then return nil end
  local live = e.declared_live or e.live
  if e.weight > 0 then return "ramp", SLOTS[live], live end
  local s = decoded(swap_key(service))
  if s and s.to == live and now - s.at < g.bakeSeconds then return "bake", live, s.from, s end
  return nil
end

-- a trip holds while the table still sends traffic the way it judged: the same good slot in a
-- ramp, the same live slot after a swap, and the same release and settings
local function trip_holds(trip, e)
  -- (a trip read back from the state file is data: only blue and green, one against the other)
  if not e.guard or type(trip) ~= "table" or not SLOTS[trip.judged] or SLOTS[trip.judged] ~= trip.good then return false end
  local live = e.declared_live or e.live
  if trip.phase == "ramp" then
    if live ~= trip.good then return false end
  elseif trip.phase == "bake" then
    -- after the swap it judged, with no ramp since: the same live slot, from the same good one
    local s = decoded(swap_key(trip.service or ""))
    if live ~= trip.judged or e.weight > 0 or not s or s.from ~= trip.good or s.to ~= trip.judged then return false end
  else
    return false
  end
  return trip.id == guard_id(e.guard, trip.judged, trip.good)
end

-- the trip's effect on an entry (in prepare: once per table or trip per worker, none per request)
local function with_trip(service, e)
  local trip = e.guard and decoded(trip_key(service))
  if not trip or not trip_holds(trip, e) then return end
  e.tripped = trip
  if trip.action == "hold" then
    if trip.phase == "ramp" then e.buckets = math.min(e.buckets, tonumber(trip.buckets) or 0) end
  else
    e.live, e.other = trip.good, trip.judged
    e.buckets = 0
    e.mirror = 0
    e.mirror_upstream = service .. "__" .. trip.judged
  end
end

local function rate(w) return w.n > 0 and 100 * w.err / w.n or 0 end
local function mean(w) return w.n > 0 and w.ms / w.n or 0 end
local function summary(w) return { requests = w.n, error_percent = math.floor(rate(w) * 10 + 0.5) / 10, mean_ms = math.floor(mean(w) + 0.5), at = w.at } end

-- the good slot's reference now: its window, or its release's last window with enough requests
local function reference(service, slot, g, now)
  local w = window(service, slot, g.windowSeconds, now)
  if w.n >= g.minRequests then w.at = now; return w end
  return decoded(base_key(service, slot, g.releases[slot]))
end

-- one service's assessment now (read-only): the phase, both windows, and why it would trip
local function assess(service, e, now)
  local g = e.guard
  local phase, judged, good, swap = phase_of(service, e, now)
  if not phase then return { phase = "idle" } end
  local a = { phase = phase, judged = judged, good = good }
  -- the judged slot's requests since what it judges began (a new release, a cleared trip)
  local j = window(service, judged, g.windowSeconds, now, dict:get(from_key(service)))
  local ref = (phase == "bake" and swap.base) or reference(service, good, g, now)
  a.window = { [judged] = summary(j), [good] = ref and summary(ref) or nil }
  if j.n < g.minRequests then a.state = "quiet"; return a end
  if not ref then a.state = "no-reference"; return a end
  local rj, rr = rate(j), rate(ref)
  if rj - rr > g.errorRateMargin then
    a.why = string.format("errors: %s %.1f %% of %d requests against %s %.1f %% of %d (margin %s points)", judged, rj, j.n, good, rr, ref.n, tostring(g.errorRateMargin))
  else
    local mj, mr = mean(j), mean(ref)
    if mj > g.latencyRatio * mr and mj - mr > g.latencyMarginMs then
      a.why = string.format("latency: %s %d ms mean over %d requests against %s %d ms (ratio %s, margin %d ms)", judged, math.floor(mj + 0.5), j.n, good, math.floor(mr + 0.5), tostring(g.latencyRatio), g.latencyMarginMs)
    end
  end
  a.state = a.why and "failing" or "healthy"
  return a
end

-- the guard's state file: swaps and trips, so a restarted nginx keeps them
local function write_state()
  local out = { format = 1, swaps = {}, trips = {} }
  for name in pairs(R.KNOWN) do
    out.swaps[name] = decoded(swap_key(name))
    out.trips[name] = decoded(trip_key(name))
  end
  -- a file of this worker's own, renamed over the state whole (two workers may write at once)
  local tmp = R.GUARD_PATH .. "." .. ngx.worker.pid() .. ".new"
  local f, err = io.open(tmp, "wb")
  if f then
    local wrote, werr = f:write(cjson.encode(out))
    local closed, cerr = f:close()
    if wrote and closed then
      local ok, rerr = os.rename(tmp, R.GUARD_PATH)
      if ok then return end
      err = rerr
    else
      err = werr or cerr
    end
    os.remove(tmp)
  end
  ngx.log(ngx.ERR, "front: guard state not written to ", R.GUARD_PATH, " (", tostring(err), "): a restarted nginx would forget its trips")
end
R.write_state = write_state

-- at a swap (apply): remember the slot live before and its reference, for the bake
local function note_swaps(old, t)
  local now, noted = ngx.now(), false
  for name, e in pairs(t.services) do
    local o = old and old.services and old.services[name]
    if e.guard and e.guard.bakeSeconds > 0 and type(o) == "table" and o.live ~= e.live then
      local base = reference(name, o.live, e.guard, now)
      dict:set(swap_key(name), cjson.encode({ from = o.live, to = e.live, at = now, base = base }))
      ngx.log(ngx.NOTICE, "front: guard: ", name, " swapped to ", e.live, "; baking ", e.guard.bakeSeconds, " s against ", o.live, base and "" or " (no reference: this front saw too few of its requests)")
      noted = true
    end
  end
  return noted
end
R.note_swaps = note_swaps
R.with_trip = with_trip

-- one service's evaluation: keep references, clear a stale trip, trip; true when a trip changed
local function evaluate_service(name, e, t, now)
  local changed = false
  local trip = decoded(trip_key(name))
  local g = e.guard
  if trip and not trip_holds(trip, e) then
    dict:delete(trip_key(name))
    -- the judged slot's earlier requests belong to what the trip judged: judged afresh from now
    dict:set(from_key(name), now)
    ngx.log(ngx.NOTICE, "front: guard cleared: ", name, " (the traffic plan, the release or the guard changed)")
    changed, trip = true, nil
  end
  if not g then return changed end
  for _, slot in ipairs({ "blue", "green" }) do
    local w = window(name, slot, g.windowSeconds, now)
    if w.n >= g.minRequests then w.at = now; dict:set(base_key(name, slot, g.releases[slot]), cjson.encode(w), 86400) end
  end
  local phase, judged, good = phase_of(name, e, now)
  if phase then
    -- another release or setting judged than last time: its window starts now
    local id = guard_id(g, judged, good)
    local last = dict:get(id_key(name))
    if last and last ~= id then dict:set(from_key(name), now) end
    if last ~= id then dict:set(id_key(name), id) end
  end
  if trip then return changed end
  local a = assess(name, e, now)
  if not a.why then return changed end
  trip = { id = guard_id(g, a.judged, a.good), service = name, phase = a.phase, judged = a.judged, good = a.good, action = g.action, buckets = e.buckets, weight = e.weight, why = a.why, at = now, version = t.version }
  dict:set(trip_key(name), cjson.encode(trip))
  local effect = g.action == "hold" and (a.phase == "ramp" and "holding " .. a.judged .. " at " .. e.weight .. " %" or "alert only: nothing to hold after a swap") or "all unpinned requests to " .. a.good
  ngx.log(ngx.ERR, "front: guard tripped: ", name, " ", a.judged, " (", a.phase, ", ", g.action, "): ", a.why, "; ", effect)
  return true
end

-- each second, in one worker (init-worker.lua): every service on its own, so one bad record
-- stops only its own service's guard
function R.evaluate()
  local t = R.current()
  if not t then return end
  local now, changed = ngx.now(), false
  for name, e in pairs(t.services) do
    local ok, result = pcall(evaluate_service, name, e, t, now)
    if not ok then
      ngx.log(ngx.ERR, "front: guard of ", name, " not evaluated: ", tostring(result))
    elseif result then
      changed = true
    end
  end
  if changed then
    -- every worker prepares the table again, with the trips
    dict:incr("serial", 1, 0)
    write_state()
  end
end

-- the guard runs once a second on one worker: the first to claim the second
function R.evaluate_once()
  if counters:add("eval:" .. math.floor(ngx.now()), true, 10) then R.evaluate() end
end

-- the guard of each guarded service, for /status
local function guards()
  local t = R.current()
  if not t then return nil end
  local out, now = {}, ngx.now()
  for name, e in pairs(t.services) do
    if e.guard then
      local a = assess(name, e, now)
      local trip = e.tripped
      out[name] = { phase = a.phase, judged = a.judged, good = a.good, state = trip and "tripped" or a.state, window = a.window, tripped = trip and { action = trip.action, phase = trip.phase, judged = trip.judged, good = trip.good, why = trip.why, at = trip.at, weight = trip.weight } or nil }
    end
  end
  return out
end

-- trips as lines for the agent, which logs each new one to the journal (an Azure Monitor alert)
function R.guard_lines()
  local t = R.current()
  local lines = {}
  for name, e in pairs(t and t.services or {}) do
    local trip = e.tripped
    if trip then lines[#lines + 1] = string.format("%s %s %.0f %s %s (%s, %s): %s", name, trip.id, trip.at, name, trip.judged, trip.phase, trip.action, trip.why) end
  end
  table.sort(lines)
  return lines
end

function R.status()
  return { version = dict:get("version"), applied_at = dict:get("applied_at"), error = dict:get("error"), refused_at = dict:get("refused_at"), config_error = dict:get("config_error"), draining = dict:get("draining"), counters = counts(), guard = guards() }
end

-- the guard's swaps and trips, at a cold start (on a reload the shared dict still holds them)
local gf = not dict:get("version") and io.open(R.GUARD_PATH, "rb")
if gf then
  local state = cjson.decode(gf:read("*a") or "")
  gf:close()
  if type(state) == "table" and state.format == 1 and type(state.swaps) == "table" and type(state.trips) == "table" then
    -- data from a file: only records whose slots, phase and times are what the router writes
    local function a_swap(x) return type(x) == "table" and SLOTS[x.from] ~= nil and SLOTS[x.from] == x.to and type(x.at) == "number" end
    local function a_trip(x)
      return type(x) == "table" and type(x.id) == "string" and SLOTS[x.judged] ~= nil and SLOTS[x.judged] == x.good
        and (x.phase == "ramp" or x.phase == "bake") and (x.action == "rollback" or x.action == "hold") and type(x.at) == "number"
    end
    for name in pairs(R.KNOWN) do
      if a_swap(state.swaps[name]) then dict:set(swap_key(name), cjson.encode(state.swaps[name])) end
      if a_trip(state.trips[name]) then
        state.trips[name].service = name
        dict:set(trip_key(name), cjson.encode(state.trips[name]))
        ngx.log(ngx.WARN, "front: guard still tripped (from ", R.GUARD_PATH, "): ", name, " ", tostring(state.trips[name].judged), ": ", tostring(state.trips[name].why))
      end
    end
  else
    ngx.log(ngx.ERR, "front: guard state ", R.GUARD_PATH, " is not a state file; starting without its trips")
  end
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
