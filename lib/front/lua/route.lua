-- rewrite_by_lua_file of a service location: choose the slot
front_router.route()
