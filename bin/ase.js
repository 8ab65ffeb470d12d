#!/usr/bin/env node
// The package's command line: runs the compiled lib/cli/main.ts (npm run build writes dist/), on
// the runtime the app has installed: cdktf (dist/lib) or CDK Terrain (dist/cdktn/lib), cdktf when
// both are; ASE_RUNTIME=cdktn|cdktf chooses (docs/runtimes.md).
'use strict';
const has = (pkg) => {
  try {
    require.resolve(`${pkg}/package.json`, { paths: [process.cwd(), __dirname] });
    return true;
  } catch {
    return false;
  }
};
const wanted = process.env.ASE_RUNTIME;
if (wanted !== undefined && wanted !== 'cdktf' && wanted !== 'cdktn') {
  process.stderr.write(`ase: ASE_RUNTIME is '${wanted}'; use cdktf or cdktn\n`);
  process.exit(2);
}
const runtime = wanted ?? (has('cdktf') ? 'cdktf' : has('cdktn') ? 'cdktn' : undefined);
if (runtime === undefined) {
  process.stderr.write('ase: neither cdktf nor cdktn is installed; install one with its azurerm provider (docs/getting-started.md)\n');
  process.exit(2);
}
require(runtime === 'cdktn' ? '../dist/cdktn/lib/cli/main.js' : '../dist/lib/cli/main.js').run();
