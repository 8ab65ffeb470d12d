-- content_by_lua_file of the loopback admin endpoint /table: PUT a routing table
if ngx.req.get_method() ~= "PUT" then return ngx.exit(405) end
ngx.req.read_body()
local body = ngx.req.get_body_data()
local ok, detail = front_router.apply(body, "admin")
ngx.status = ok and 200 or 422
ngx.say(ok and ("applied " .. detail) or ("refused: " .. detail))
