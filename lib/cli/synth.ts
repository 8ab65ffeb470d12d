/**
 * `ase synth`: the synth of a cdktf app that describes its environments in files, with the same
 * guarantees as this repository's own app (`npm run synth`, which runs this code): every spec
 * problem of every file at once and nothing written; lock files beside the environment files;
 * the policy pack over the stacks; the review summary; the output swapped in whole.
 *
 * In a user's own cdktf app, cdktf.json's `"app": "npx ase synth --environments environments"`
 * makes `cdktf synth`, `cdktf diff` and `cdktf deploy` run it (cdktf sets CDKTF_OUTDIR).
 */
import { resolve } from 'node:path';
import { formatProblems, synthesize } from '../environment/synthesize';
import { environmentFiles, loadSpecFile, type LoadedSpec } from '../spec/load';
import { commandHelp, EXIT_PROBLEMS, parseCommandArgs, type CommandArgs } from './args';
import { CommandError } from './command';
import { DEFAULT_ENVIRONMENTS, ensureTypeScriptHook, folderProblem } from './environments';

/** What `ase synth` (and `npm run synth`) accept. */
export const SYNTH_ARGS: CommandArgs = {
  command: 'ase synth',
  summary: 'validate every environment file, synthesize its stacks, check them with the policy pack, and write them whole (or nothing)',
  usage: ['ase synth [--environments DIR] [--out DIR] [--frozen-lock]'],
  flags: {
    environments: { type: 'string', value: 'DIR', description: 'the folder of environment files (.ts, .js, .json, .yaml); their lock files live beside them', default: DEFAULT_ENVIRONMENTS },
    out: { type: 'string', value: 'DIR', description: 'where the stacks are written (cdktf sets CDKTF_OUTDIR; this flag wins)', default: 'CDKTF_OUTDIR or cdktf.out' },
    'frozen-lock': { type: 'boolean', description: "fail instead of writing when an environment's lock file would change (CI)" },
  },
  notes: ['exit 1 with every problem of every file, and nothing written, when any environment has problems'],
};

/** Where the synth reads and writes, when not from the command line. */
export interface SynthPlace {
  /** The folder the environment files are loaded from. */
  readonly dir: string;
  /** The folder named in messages (as the user typed it). */
  readonly shown: string;
  /** The folder of the lock files. */
  readonly lockDir: string;
  /** The project: imported certificate files must lie outside it. */
  readonly projectRoot: string;
  /** Loads one file (this repository's app loads transpiled copies). @default loadSpecFile */
  readonly load?: (dir: string, file: string) => LoadedSpec;
}

/**
 * Synthesizes every environment file of `place` into `outdir`; prints what it wrote (or every
 * problem and "Nothing was written."); returns the exit code.
 */
export function runSynth(place: SynthPlace, outdir: string, frozenLock: boolean, quiet = false): number {
  let files: string[];
  try {
    files = environmentFiles(place.dir);
  } catch (e) {
    throw new CommandError(folderProblem(place.shown, e), 2);
  }
  if (!place.load && files.some((f) => f.endsWith('.ts'))) ensureTypeScriptHook();
  const load = place.load ?? loadSpecFile;
  const specs = files.map((f) => load(place.dir, f));
  const result = synthesize(specs, outdir, { lockDir: place.lockDir, frozenLock, projectRoot: place.projectRoot });
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.problems, place.shown)}\nNothing was written.\n`);
    return EXIT_PROBLEMS;
  }
  for (const w of result.warnings ?? []) process.stderr.write(`warning: ${w.file}: ${w.path}: ${w.message}\n`);
  if (!quiet) process.stdout.write(`Synthesized ${result.stacks.length} stacks into ${outdir}/: ${result.stacks.join(', ')}\n`);
  return 0;
}

/** `ase synth …`. */
export function main(argv: string[], spec: CommandArgs = SYNTH_ARGS, place?: SynthPlace): number {
  const { help, values } = parseCommandArgs(spec, argv);
  if (help) {
    process.stdout.write(`${commandHelp(spec)}\n`);
    return 0;
  }
  const given = values.environments as string;
  const dir = resolve(given);
  const typed = argv.some((a) => a === '--environments' || a.startsWith('--environments='));
  const where: SynthPlace = place && !typed ? place : { dir, shown: given, lockDir: dir, projectRoot: place?.projectRoot ?? process.cwd() };
  const out = (values.out as string | undefined) === spec.flags.out.default ? (process.env.CDKTF_OUTDIR ?? 'cdktf.out') : (values.out as string);
  // under cdktf (CDKTF_OUTDIR set, no --out), cdktf prints its own summary
  return runSynth(where, out, values['frozen-lock'] === true, process.env.CDKTF_OUTDIR !== undefined && out === process.env.CDKTF_OUTDIR);
}
