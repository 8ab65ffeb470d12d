-- content_by_lua_file of /drain: the drain agent turns the drain on (PUT) or off (DELETE); GET reports
local method = ngx.req.get_method()
if method == "PUT" then front_router.set_draining(true); return ngx.exit(204) end
if method == "DELETE" then front_router.set_draining(false); return ngx.exit(204) end
if method ~= "GET" then return ngx.exit(405) end
ngx.header["Content-Type"] = "application/json"
ngx.say(require("cjson.safe").encode({ draining = front_router.draining() }))
