// Preloaded into every node process of a measured command: appends its peak resident memory (kB)
// to BENCH_RSS_FILE; the bench reports the largest (npm's own process is one of them).
'use strict';
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) require('node:fs').appendFileSync(process.env.BENCH_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
});
