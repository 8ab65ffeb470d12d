/**
 * The cdktf app: one set of stacks per environment file in stacks/environments/.
 * `npm run synth` runs this directly; `npx cdktf synth` runs it through cdktf.json.
 *   --environments DIR   read environment files from DIR instead (.ts, .json, .yaml)
 *   --frozen-lock        fail if an environment's lock file would change (CI)
 */
import { resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentFiles, loadSpecFile } from '../lib/spec/load';
import { formatProblems, synthesize } from '../lib/environment/synthesize';

const { values } = parseArgs({ options: { environments: { type: 'string' }, 'frozen-lock': { type: 'boolean', default: false } }, strict: true });
const dir = values.environments ? resolve(values.environments) : resolve(__dirname, 'environments');
const shown = values.environments ?? 'stacks/environments';
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';

// Run from .build/ (scripts/app.js), a .js environment file was transpiled from the user's .ts.
const fromBuild = !values.environments && __dirname.split(sep).includes('.build');
const specs = environmentFiles(dir).map((f) => {
  const loaded = loadSpecFile(dir, f);
  return fromBuild ? { ...loaded, file: f.replace(/\.js$/, '.ts') } : loaded;
});
// lock files live beside the environment files the user edits, not in .build/
const lockDir = values.environments ? dir : resolve(__dirname, '..', ...(fromBuild ? ['..', 'stacks'] : []), 'environments');
const projectRoot = resolve(__dirname, '..', ...(fromBuild ? ['..'] : []));
const result = synthesize(specs, outdir, { lockDir, frozenLock: values['frozen-lock'], projectRoot });
if (!result.ok) {
  process.stderr.write(`${formatProblems(result.problems, shown)}\nNothing was written.\n`);
  process.exitCode = 1;
} else {
  for (const w of result.warnings ?? []) process.stderr.write(`warning: ${w.file}: ${w.path}: ${w.message}\n`);
}
if (result.ok && !process.env.CDKTF_OUTDIR) {
  process.stdout.write(`Synthesized ${result.stacks.length} stacks into ${outdir}/: ${result.stacks.join(', ')}\n`);
}
