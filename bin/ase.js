#!/usr/bin/env node
// The package's command line: runs the compiled lib/cli/main.ts (npm run build writes dist/).
'use strict';
require('../dist/lib/cli/main.js').run();
