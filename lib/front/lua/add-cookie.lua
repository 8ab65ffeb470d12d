-- header_filter_by_lua_file of a service location and its failover: the affinity cookie, when one
-- was drawn, and the region signal between fronts
front_router.add_cookie()
front_router.region_signal()
