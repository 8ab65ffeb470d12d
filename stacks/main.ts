/**
 * The cdktf app: one set of stacks per environment file in stacks/environments/.
 * `npm run synth` runs this directly; `npx cdktf synth` runs it through cdktf.json.
 */
import { join } from 'node:path';
import { environmentFiles, loadSpecFile } from '../lib/spec/load';
import { formatProblems, synthesize } from './synthesize';

const dir = join(__dirname, 'environments');
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
const result = synthesize(environmentFiles(dir).map((f) => loadSpecFile(dir, f)), outdir);
if (!result.ok) {
  process.stderr.write(`${formatProblems(result.problems, 'stacks/environments')}\nNothing was written.\n`);
  process.exitCode = 1;
} else if (!process.env.CDKTF_OUTDIR) {
  process.stdout.write(`Synthesized ${result.stacks.length} stacks into ${outdir}/: ${result.stacks.join(', ')}\n`);
}
