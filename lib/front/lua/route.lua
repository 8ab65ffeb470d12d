-- rewrite_by_lua_file of a service location: choose the slot. While the VM drains, the request goes
-- to the service's drain location first (keepalive_timeout 0 there: the response says
-- Connection: close and nginx closes the connection after it), where this file runs again
if front_router.draining() and ngx.var.front_drained ~= "1" then
  return ngx.exec("@drain_" .. ngx.var.front_service)
end
front_router.route()
