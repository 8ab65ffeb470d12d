-- rewrite_by_lua_file of the mirror subrequest: send the copy or nothing
front_router.mirror()
