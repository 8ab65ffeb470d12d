#!/usr/bin/env node
// Part of `npm run build`: copies the programs the VMs run (every .lua, .py and .sh file under
// lib/: lib/compute/vm/, lib/front/vm/, lib/front/lua/) to the same place under dist/lib/, where
// the compiled modules read them beside themselves (__dirname). scripts/app.js copies the same
// files into .build/; test/package/install-check.js checks the tarball holds each one.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const VM_FILES = /\.(lua|py|sh)$/;
const copied = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (VM_FILES.test(e.name)) {
      const dest = path.join(root, 'dist', path.relative(root, p));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(p, dest);
      copied.push(path.relative(root, p));
    }
  }
})(path.join(root, 'lib'));
if (copied.length === 0) throw new Error('no VM-side programs under lib/');
