std = "luajit"
-- front_router: set once by router.lua, called by every phase file; ngx: the Lua module's API (its fields are written per request)
globals = { "front_router", "ngx" }
max_line_length = false
