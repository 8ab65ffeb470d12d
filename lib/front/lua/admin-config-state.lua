-- content_by_lua_file of /config-state: the agent reports a refused config (PUT) or clears it (DELETE)
local method = ngx.req.get_method()
if method == "DELETE" then front_router.set_config_error(nil); return ngx.exit(204) end
if method ~= "PUT" then return ngx.exit(405) end
ngx.req.read_body()
front_router.set_config_error(ngx.req.get_body_data() or "refused")
return ngx.exit(204)
