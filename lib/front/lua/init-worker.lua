-- init_worker_by_lua_file: a random seed per worker (ramp draws without affinity)
math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
