-- content_by_lua_file of the admin endpoint's /guard: each tripped guard as a line (service, trip
-- id, time, description), which the agent logs once to the journal (the Azure Monitor alert)
if ngx.req.get_method() ~= "GET" then return ngx.exit(405) end
ngx.header["Content-Type"] = "text/plain"
for _, line in ipairs(front_router.guard_lines()) do ngx.say(line) end
