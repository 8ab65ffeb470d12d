-- header_filter_by_lua_file of a service location: the affinity cookie, when one was drawn
front_router.add_cookie()
