-- content_by_lua_file of /status: the router's state as JSON (503 while no table is applied)
local s = front_router.status()
ngx.header["Content-Type"] = "application/json"
if not s.version then ngx.status = 503 end
ngx.say(require("cjson.safe").encode(s))
