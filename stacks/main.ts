/**
 * The cdktf app: one set of stacks per environment file in stacks/environments/.
 * `npm run synth` runs this directly; `npx cdktf synth` runs it through cdktf.json. It is
 * `ase synth` (lib/cli/synth.ts) with this repository's places:
 *   --environments DIR   read environment files from DIR instead (.ts, .json, .yaml)
 *   --out DIR            write the stacks there (default CDKTF_OUTDIR, else cdktf.out)
 *   --frozen-lock        fail if an environment's lock file would change (CI)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { loadSpecFile } from '../lib/spec/load';
import { SYNTH_ARGS, main } from '../lib/cli/synth';
import { runCommand } from '../lib/cli/main';

// Run from .build/ (scripts/app.js), a .js environment file was transpiled from the user's .ts:
// problems name the .ts file, and lock files live beside it, not in .build/.
const fromBuild = __dirname.split(sep).includes('.build');
const projectRoot = resolve(__dirname, '..', ...(fromBuild ? ['..'] : []));
const place = {
  dir: resolve(__dirname, 'environments'),
  shown: 'stacks/environments',
  lockDir: resolve(projectRoot, 'stacks', 'environments'),
  projectRoot,
  load: (dir: string, file: string) => {
    const loaded = loadSpecFile(dir, file);
    if (!fromBuild || !file.endsWith('.js')) return loaded;
    // the transpiled copy ran; problems are located in the .ts file the user edits
    const ts = file.replace(/\.js$/, '.ts');
    const source = resolve(projectRoot, 'stacks', 'environments', ts);
    return { ...loaded, file: ts, ...(existsSync(source) ? { text: readFileSync(source, 'utf8') } : {}) };
  },
};
const spec = { ...SYNTH_ARGS, command: 'npm run synth --', usage: ['npm run synth -- [--environments DIR] [--out DIR] [--frozen-lock]'] };
runCommand('npm run synth --', () => main(process.argv.slice(2), spec, place));
