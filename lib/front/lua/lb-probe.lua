-- content_by_lua_file of the load balancer's probe: 200 while a table is applied, else 503; 503
-- while the VM drains (the load balancer stops sending it new connections)
local s = front_router.status()
if s.draining then
  ngx.status = 503
  ngx.say("draining")
elseif s.version then
  ngx.say("ok ", s.version, s.error and " (a newer table was refused: see /status)" or "")
else
  ngx.status = 503
  ngx.say("no routing table")
end
