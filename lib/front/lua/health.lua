-- content_by_lua_file of the Application Health extension's endpoint (type handler 2.0)
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
