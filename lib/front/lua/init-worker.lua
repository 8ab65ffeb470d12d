-- init_worker_by_lua_file: a random seed per worker (ramp draws without affinity), and the
-- timer that adds this worker's outcome counters to the shared dict every second; in the same
-- second one worker only (the first to claim it) runs the guard
math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
ngx.timer.every(1, function(premature)
  if premature then return end
  front_router.flush()
  front_router.evaluate_once()
end)
