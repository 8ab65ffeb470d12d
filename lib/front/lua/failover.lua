-- the failover location (error_page 502 504 of a service's location): see front_router.failover
front_router.failover()
