#!/usr/bin/env node
// Runs a TypeScript entry point of this project without type-checking it (type-checking is
// `npm run typecheck`). Each .ts file under lib/, stacks/ and scripts/ is transpiled by sucrase
// into .build/ when its source is newer; outputs whose source is gone are removed, and data
// files under stacks/environments/ and the VM-side files under lib/ (Lua, Python, shell) are copied. Then the entry runs in this process, as its main module.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, '.build');
const DIRS = ['lib', 'stacks', 'scripts'];
const DATA = /\.(json|ya?ml)$/;
const VM_FILES = /\.(lua|py|sh)$/;
let sucrase;

function walk(dir, files = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, files);
    else files.push(p);
  }
  return files;
}

function build() {
  const wanted = new Set();
  for (const d of DIRS) {
    if (!fs.existsSync(path.join(root, d))) continue;
    for (const src of walk(path.join(root, d))) {
      const rel = path.relative(root, src);
      const isTs = rel.endsWith('.ts') && !rel.endsWith('.d.ts');
      const isData = (DATA.test(rel) && rel.startsWith(path.join('stacks', 'environments'))) || (VM_FILES.test(rel) && rel.startsWith(`lib${path.sep}`));
      if (!isTs && !isData) continue;
      const dest = path.join(out, isTs ? rel.replace(/\.ts$/, '.js') : rel);
      wanted.add(dest);
      const stale = !fs.existsSync(dest) || fs.statSync(dest).mtimeMs < fs.statSync(src).mtimeMs;
      if (!stale) continue;
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (isData) {
        fs.copyFileSync(src, dest);
        continue;
      }
      sucrase ??= require('sucrase');
      let code;
      try {
        ({ code } = sucrase.transform(fs.readFileSync(src, 'utf8'), { transforms: ['typescript', 'imports'], filePath: src }));
      } catch (e) {
        // a syntax error in an environment file (or any source) is the user's to fix: where and what, no stack
        const m = /^(?:Error transforming .*?: )?(.*?)\s*\((\d+):(\d+)\)$/.exec(String(e.message).split('\n')[0]);
        process.stderr.write(`${rel}${m ? `:${m[2]}:${m[3]}` : ''}: syntax error: ${m ? m[1] : e.message}\nNothing was written.\n`);
        process.exit(1);
      }
      fs.writeFileSync(dest, code);
    }
  }
  if (fs.existsSync(out)) for (const f of walk(out)) if (!wanted.has(f)) fs.rmSync(f);
}

const args = process.argv.slice(2);
const entry = args[0] && !args[0].startsWith('-') ? args.shift() : 'stacks/main.ts';
build();
// the entry runs as the program (require.main === module in it), as `node <entry>.js` would
process.argv = [process.argv[0], path.join(out, entry.replace(/\.ts$/, '.js')), ...args];
require('node:module').runMain();
