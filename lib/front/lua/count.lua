-- log_by_lua_file of every service location: the request's outcome in its slot's counters (issue 16)
front_router.count()
