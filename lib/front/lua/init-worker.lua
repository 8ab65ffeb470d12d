-- init_worker_by_lua_file: a random seed per worker (ramp draws without affinity), and the
-- timer that adds this worker's outcome counters to the shared dict every second
math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
ngx.timer.every(1, function(premature)
  if not premature then front_router.flush() end
end)
