-- content_by_lua_file of /status: the router's state as JSON (503 while no table is applied)
-- this worker's own counts first (the others add theirs every second)
front_router.flush()
local s = front_router.status()
ngx.header["Content-Type"] = "application/json"
if not s.version then ngx.status = 503 end
ngx.say(require("cjson.safe").encode(s))
